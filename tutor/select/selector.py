"""One place decides what answers a question: answer (a candidate answers the point asked), closest (the path
covers the topic, not this point), or decline (off the path), with the candidate and the reasons.

Order of precedence, each for a reason a reader can check:
1. a quantitative question that names a model or sizes is computed (tutor/numbers/), since no written
   answer holds every model, context and precision;
2. a question about a reading that has no file here is answered from the reading list;
3. otherwise the fitted models choose: the ranker scores every candidate (Q&A pairs, overviews, passages
   of the readings and the learner's documents), the decision model says answer / closest / decline (with,
   among its features, the topic model's reading of the whole question: tutor/select/topic.py);
   a "What is X?" question that names a term exactly is answered by a candidate that defines X (the best
   the ranker found among them), since a neighbouring point of the same topic is not what was asked; a bare
   grid question around a term of the field ("How does X work?", "为什么需要X？") is never declined.
4. an answer from a Q&A pair names a runner-up pair when the ranker nearly ties them (ALSO_AT): on dev the
   right pair is first for 0.73 of answerable questions and first or second for 0.86, so the learner sees
   the second reading of the question, under its own question, rather than only a neighbouring point.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np

from tutor.catalog import CatalogHit
from tutor.conversation import Turn, points_back, refers_back
from tutor.facets import FacetIndex
from tutor.glossary import Glossary
from tutor.numbers.ask import NumbersAnswer, answer_quantity
from tutor.retrieve import Retrieval, Retriever
from tutor.select.features import (
    CANDIDATE_FEATURES,
    QUESTION_FEATURES,
    Candidate,
    Featurizer,
    Table,
    kinds_of,
    question_row,
)
from tutor.select.model import DECISIONS, Models, keeps_verdict, load_models
from tutor.select.quotes import QUOTE_FEATURES

Kind = Literal["answer", "closest", "decline"]
ALSO_AT = 0.5  # a runner-up pair is shown when the ranker gives it at least this share of the best's probability


@dataclass
class Decision:
    kind: Kind
    retrieval: Retrieval
    table: Table | None = None
    candidate: Candidate | None = None  # what answers (kind "answer"), or the nearest (kind "closest")
    concept: str = ""  # the note the question is about ("" when declined or unknown)
    numbers: NumbersAnswer | None = None
    reading: CatalogHit | None = None  # a reading asked about by name
    scores: dict[str, float] = field(default_factory=dict)  # the decision model's class probabilities
    reasons: list[tuple[str, float]] = field(default_factory=list)  # features that pushed the chosen candidate
    keep_verdict: bool = False  # the chosen pair's "No." / "不是。" answers this question (a yes/no one as close)
    also: Candidate | None = None  # a runner-up pair the ranker nearly ties with the chosen one (kind "answer")
    also_keeps_verdict: bool = False

    @property
    def aspect(self) -> str:
        return self.table.question.aspect if self.table else ""

    @property
    def persona(self) -> bool:
        return bool(self.table and self.table.question.persona)

    def ranked(self, k: int = 5) -> list[tuple[Candidate, float]]:
        if self.table is None or not len(self.table.probabilities):
            return []
        order = np.argsort(-self.table.probabilities)[:k]
        return [(self.table.candidates[int(i)], float(self.table.probabilities[i])) for i in order]

    def as_json(self) -> dict[str, Any]:
        """What `tutor ask --json` shows of the decision: enough to see why this answer was chosen."""
        return {
            "kind": self.kind,
            "aspect": self.aspect,
            "concept": self.concept,
            "chosen": self.candidate.ref if self.candidate else ("numbers" if self.numbers else ""),
            "also": self.also.ref if self.also else "",
            "scores": {k: round(v, 3) for k, v in self.scores.items()},
            "reasons": [{"feature": name, "push": push} for name, push in self.reasons],
            "ranked": [{"ref": c.ref, "p": round(p, 3)} for c, p in self.ranked()],
        }


class Selector:
    """Retrieval → candidates → features → fitted models → one decision."""

    def __init__(
        self, retriever: Retriever, facets: FacetIndex, glossary: Glossary, models: Models | None = None
    ) -> None:
        self.retriever = retriever
        self.featurizer = Featurizer(facets, glossary, retriever)
        self._models = models

    @property
    def models(self) -> Models:
        """The fitted models, read on first use (tutor/select/weights.json)."""
        if self._models is None:
            self._models = load_models(CANDIDATE_FEATURES, QUESTION_FEATURES, quote_features=QUOTE_FEATURES)
        return self._models

    @models.setter
    def models(self, models: Models) -> None:
        self._models = models

    def select(
        self, question: str, history: Sequence[Turn] = (), lang: str | None = None, level: str = "beginner"
    ) -> Decision:
        retrieval = self.retriever.retrieve(question, history, lang)
        previous = history[-1].question if history and refers_back(question) else ""
        quantity = answer_quantity(question, retrieval.lang, level, previous, points_back(question))
        if quantity is not None and quantity.function not in ("needs_sizes", "declined"):
            return Decision("answer", retrieval, numbers=quantity, concept=_numbers_concept(quantity))
        reading = self._reading_question(retrieval)
        table = self.score(question, retrieval, history)
        # never served, as the answer or the runner-up
        barred = self.featurizer.others_analogies(table) | self.featurizer.off_subject(table)
        defining = self.featurizer.defines_subject(table)
        at = self._best(table, defining, barred)
        best = table.candidates[at] if at is not None else None
        concept = concept_of(table, best)
        if reading is not None:
            return Decision("answer", retrieval, table, reading=reading, concept=concept)
        base = self.featurizer.question_base(table)
        off_path = self.models.off_path(retrieval.vector)
        row = question_row(base, table.probabilities, kinds_of(table.candidates), off_path)
        probabilities = self.models.decision.class_probabilities(row)
        scores = dict(zip(DECISIONS, probabilities.tolist(), strict=True))
        top = float(table.probabilities.max()) if at is not None else 0.0
        own_on_top = bool(row[QUESTION_FEATURES.index("top_is_user_doc")])  # read as the fit reads it
        kind: Kind = self.models.decide(probabilities, top, own_on_top)  # type: ignore[assignment]
        if kind == "decline" and self.featurizer.grid_terms(question):
            kind = "answer"  # a bare "How does X work?" about a term of the field is on the path by construction
        if kind == "answer" and at is None:
            kind = "closest"
        if kind == "decline":
            return Decision("decline", retrieval, table, scores=scores)
        if kind == "closest" and best is not None and best.note:
            concept = nearest_concept(table) or concept
        reasons = self.models.ranker.contributions(table.matrix[at]) if at is not None else []
        decision = Decision(kind, retrieval, table, best, concept, scores=scores, reasons=reasons)
        if best is not None and best.pair is not None:
            verdict = self.models.verdict_similarity
            decision.keep_verdict = keeps_verdict(table.question.aspect, table.matrix[at], verdict)
            # a second definition of the subject a "What is X?" answer defines would answer the same question again
            twice = defining if at is not None and defining[at] else np.zeros_like(defining)
            runner_up = self._runner_up(table, at, barred | twice) if kind == "answer" and at is not None else None
            if runner_up is not None:
                decision.also = table.candidates[runner_up]
                decision.also_keeps_verdict = keeps_verdict(table.question.aspect, table.matrix[runner_up], verdict)
        if kind == "closest" and quantity is not None:
            decision.numbers = quantity  # says which sizes the calculation needs
        return decision

    def score(self, question: str, retrieval: Retrieval, history: Sequence[Turn] = ()) -> Table:
        """The candidate table with each candidate's probability of answering the question."""
        table = self.featurizer.table(question, retrieval, history)
        if len(table.candidates):
            table.probabilities = self.models.ranker.probability(table.matrix)
        return table

    def _best(self, table: Table, defining: np.ndarray, barred: np.ndarray) -> int | None:
        """The best candidate: the most probable, or for "What is X?" the most probable that defines X; never a
        `barred` one (another concept's analogy for an analogy request that names its concept, or a candidate of the
        bank naming none of the field terms the question names while another does)."""
        if not len(table.probabilities):
            return None
        scores = np.where(defining, table.probabilities, -np.inf) if defining.any() else table.probabilities
        scores = np.where(barred, -np.inf, scores)
        return int(np.argmax(scores)) if np.isfinite(scores).any() else None

    @staticmethod
    def _runner_up(table: Table, at: int, barred: np.ndarray) -> int | None:
        """The next most probable candidate, not `barred`, when it is another Q&A pair the ranker nearly ties with
        the best."""
        p = table.probabilities
        if len(p) < 2:
            return None
        others = barred | (np.arange(len(p)) == at)
        if others.all():
            return None
        i = int(np.argmax(np.where(others, -np.inf, p)))
        c = table.candidates[i]
        return i if c.kind == "pair" and c.pair is not None and p[i] >= ALSO_AT * p[at] else None

    def _reading_question(self, retrieval: Retrieval) -> CatalogHit | None:
        """A question that names a reading without a file here ("西瓜书应该先读哪几章？"): the reading list answers."""
        top = retrieval.readings[0] if retrieval.readings else None
        if top is None or not top.named:
            return None
        indexed = top.reading.id in self.retriever.store.manifest.docs
        return top if not indexed or not retrieval.passages else None


def concept_of(table: Table, best: Candidate | None) -> str:
    """The concept a question is about: the best candidate's; when a document is best (or nothing is), the
    concept the question names (a passage is not about whichever note ranked next), else none."""
    return (best.note if best is not None else "") or next(iter(sorted(table.question.named_notes)), "")


def nearest_concept(table: Table) -> str:
    """For a question no candidate answers: the concept whose candidates hold most of the ranker's probability
    (on dev it names the labelled concept more often than the best candidate's own: 37 against 31 of the 54
    questions the ranker is least sure of, 680 against 657 of 758 in all)."""
    mass: dict[str, float] = {}
    for candidate, probability in zip(table.candidates, table.probabilities, strict=True):
        if candidate.note:
            mass[candidate.note] = mass.get(candidate.note, 0.0) + float(probability)
    return max(mass, key=lambda note: mass[note]) if mass else ""


# The concept a calculation belongs to, for the background note and what to read next.
_NUMBERS_CONCEPT = {
    "kv_cache": "note-kv-cache",
    "weight": "note-quantization",
    "param": "note-transformer-block",
    "attention": "note-attention-masking-complexity",
    "decode": "note-kv-cache",
    "compute_bound": "note-efficient-inference",
    "flops": "note-efficient-inference",
    "prefill": "note-efficient-inference",
    "pass_at_k": "note-humaneval-pass-at-k",
}


def _numbers_concept(answer: NumbersAnswer) -> str:
    return next((note for key, note in _NUMBERS_CONCEPT.items() if key in answer.function), "note-efficient-inference")
