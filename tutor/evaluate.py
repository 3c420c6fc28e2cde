"""The evaluation harness: run a question file through the tutor and score the *answers*, not only retrieval.

A question file is JSON lines:
    {"id", "question", "lang", "level", "expected": [reading or note ids],
     "facts": [[alternative strings], ...], "history": [earlier questions], "tags": [...]}
An empty `expected` means the readings do not cover the question and the tutor should say so. The
answer covers a fact group if it contains any of the group's strings (case-insensitive). `history`
questions are asked first, in order, in the same session, so follow-ups are answered as a learner
would meet them.
"""

from __future__ import annotations

import json
import re
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from tutor.answer import Answer, Tutor
from tutor.conversation import Turn
from tutor.jsonl import load_jsonl
from tutor.lang.quotable import quotable
from tutor.lang.script import detect_language
from tutor.lang.verdict import verdict_polarity
from tutor.llm.grounding import strip_markers
from tutor.select.data import Labelled
from tutor.select.documents import add_documents, hide_all_but

STAGE_ORDER = ["foundations", "boosting-residual", "attention", "llms", "further"]


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    lang: str = Field(pattern="^(en|zh)$")
    level: str = Field(pattern="^(beginner|intermediate|expert)$")
    expected: list[str]
    facts: list[list[str]] = []
    history: list[str] = []
    tags: list[str] = []


def load_questions(path: Path) -> list[Question]:
    return load_jsonl(
        path, Question, "id, question, lang (en|zh), level, expected, and optionally facts, history, tags"
    )


def junk_quote(quote: str) -> bool:
    """A quote no learner should be shown: a reference entry, an e-mail or URL, LaTeX or code residue, a
    fragment (all of which `quotable` rejects), or a Markdown link left in the text."""
    return not quotable(quote) or "](" in re.sub(r"\$[^$]*\$", "", quote)


@dataclass
class Outcome:
    question: Question
    answer: Answer
    stage: str

    @property
    def ranked_ids(self) -> list[str]:
        """Distinct reading/note ids in the order the answer rests on them."""
        return list(dict.fromkeys(r["reading_id"] for r in self.answer.retrieved))

    @property
    def rank(self) -> int | None:
        for i, rid in enumerate(self.ranked_ids, start=1):
            if rid in self.question.expected:
                return i
        return None

    @property
    def facts_covered(self) -> list[bool]:
        text = self.answer.text.lower()
        return [any(alt.lower() in text for alt in group) for group in self.question.facts]

    @property
    def quotes(self) -> list[str]:
        return [c.quote for c in self.answer.citations if c.quote]

    @property
    def right_language(self) -> bool:
        return detect_language(self.answer.direct or self.answer.text) == self.question.lang

    def as_json(self) -> dict[str, Any]:
        return {
            **self.answer.as_json(),
            "id": self.question.id,
            "answer_id": self.answer.id,
            "expected": self.question.expected,
            "tags": self.question.tags,
            "rank": self.rank,
            "facts_covered": self.facts_covered,
            "junk_quotes": [q for q in self.quotes if junk_quote(q)],
        }


def stage_of(tutor: Tutor, question: Question) -> str:
    for rid in question.expected:
        if rid in tutor.readings.by_id:
            return tutor.readings.by_id[rid].stage
        note = tutor.notes.get(rid, "en")
        if note is not None:
            return note.stage
    return "uncovered" if not question.expected else "unknown"


def run(tutor: Tutor, questions: list[Question], backend: Any = None) -> Iterator[Outcome]:
    for q in questions:
        turns: list[Turn] = []
        for earlier in q.history:
            turns.append(tutor.ask(earlier, level=q.level, history=turns, backend=backend).as_turn())
        answer = tutor.ask(q.question, level=q.level, lang="auto", history=turns, backend=backend)
        yield Outcome(q, answer, stage_of(tutor, q))


def _share(flags: list[bool]) -> float | None:
    return round(sum(flags) / len(flags), 3) if flags else None


def _scores(outcomes: list[Outcome]) -> dict[str, Any]:
    """Everything measured on one slice of the questions."""
    covered = [o for o in outcomes if o.question.expected]
    refusals = [o for o in outcomes if not o.question.expected]
    ranks = [o.rank for o in covered]
    with_facts = [o for o in covered if o.question.facts]
    shares = [sum(o.facts_covered) / len(o.facts_covered) for o in with_facts]
    quotes = [q for o in outcomes for q in o.quotes]
    return {
        "n": len(outcomes),
        "covered_n": len(covered),
        "hit@1": _share([r == 1 for r in ranks]),
        "hit@5": _share([r is not None and r <= 5 for r in ranks]),
        "mrr": round(sum(1 / r for r in ranks if r) / len(ranks), 3) if ranks else None,
        "answered": _share([o.answer.covered for o in covered]),
        "facts_coverage": round(statistics.fmean(shares), 3) if shares else None,
        "facts_full": _share([all(o.facts_covered) for o in with_facts]),
        "refused_n": len(refusals),
        "refusals": _share([not o.answer.covered for o in refusals]),
        "right_language": _share([o.right_language for o in covered if o.answer.covered]),
        "quotes": len(quotes),
        "junk_quote_rate": _share([junk_quote(q) for q in quotes]),
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    langs = sorted({o.question.lang for o in outcomes})
    stages = [s for s in STAGE_ORDER if any(o.stage == s for o in outcomes)]
    tags = ["conversation", "follow-up", "topic-change", "trap", "off-topic", "mixed", "metadata", "misconception"]
    total_ms = [o.answer.timings_ms["total"] for o in outcomes]
    retrieve_ms = [o.answer.timings_ms["retrieve"] for o in outcomes]
    conversation = [o for o in outcomes if o.question.history]
    on_topic = [
        (o.rank == 1) if o.question.expected else not o.answer.covered for o in conversation
    ]  # the answer is about the right concept, or an off-topic question is still refused
    markers = [o.answer.unresolved_markers for o in outcomes]
    return {
        "summary": True,
        "questions": len(outcomes),
        "all": _scores(outcomes),
        "by_language": {lang: _scores([o for o in outcomes if o.question.lang == lang]) for lang in langs},
        "by_stage": {stage: _scores([o for o in outcomes if o.stage == stage]) for stage in stages},
        "by_tag": {
            tag: _scores([o for o in outcomes if tag in o.question.tags])
            for tag in tags
            if any(tag in o.question.tags for o in outcomes)
        },
        "conversation_on_topic": _share(on_topic),
        "unresolved_markers": sum(markers),
        "latency_ms": {
            "retrieve_p50": _percentile(retrieve_ms, 0.5),
            "retrieve_p95": _percentile(retrieve_ms, 0.95),
            "total_p50": _percentile(total_ms, 0.5),
            "total_p95": _percentile(total_ms, 0.95),
            "mean_total": round(statistics.fmean(total_ms), 1) if total_ms else 0.0,
        },
        "generation": generation_summary(outcomes),
    }


def generation_summary(outcomes: list[Outcome]) -> dict[str, Any] | None:
    """What an LLM backend did on the covered questions: grounding, conflicts caught, guards, speed."""
    runs = [o.answer.generation for o in outcomes if o.answer.generation]
    if not runs:
        return None
    checks = [c for o in outcomes for c in o.answer.checks]
    first = [float(g["first_token_ms"]) for g in runs if g["first_token_ms"] is not None]
    shown = [float(g["first_text_ms"]) for g in runs if g["first_text_ms"] is not None]
    total = [float(g["total_ms"]) for g in runs]
    speed = [float(g["tokens_per_s"]) for g in runs if g["tokens_per_s"]]
    return {
        "answers": len(runs),
        "grounding": round(statistics.fmean(o.answer.grounding or 0.0 for o in outcomes if o.answer.generation), 3),
        "sentences": len(checks),
        "conflicts_caught": sum(c.verdict == "conflict" for c in checks),
        "unsupported_removed": sum(c.verdict == "unsupported" for c in checks),
        "fell_back": _share([bool(g["fell_back"]) for g in runs]),
        "over_budget": sum(int(g["tokens"]) > int(g["budget"]) for g in runs),
        "stopped": {r: sum(g["stopped"] == r for g in runs) for r in sorted({str(g["stopped"]) for g in runs})},
        "first_token_ms_p50": _percentile(first, 0.5),
        "first_token_ms_p95": _percentile(first, 0.95),
        "first_text_ms_p50": _percentile(shown, 0.5),
        "total_ms_p50": _percentile(total, 0.5),
        "total_ms_p95": _percentile(total, 0.95),
        "tokens_per_s_p50": _percentile(speed, 0.5),
    }


def outcome_line(outcome: Outcome) -> str:
    return json.dumps(outcome.as_json(), ensure_ascii=False)


# ------------------------------------------------------------------------------------------ labelled questions
# The answer selector's question sets (eval/select/, eval/test/): decisions, what answers each question, verdicts,
# the learner's own documents. Scored on the answers themselves.


@dataclass
class LabelledOutcome:
    item: Labelled
    answer: Answer
    doc_ids: dict[str, str]  # document file name → library id

    @property
    def decided(self) -> str:
        return str(self.answer.decision.get("kind", "answer" if self.answer.covered else "decline"))

    @property
    def chosen(self) -> str:
        return str(self.answer.decision.get("chosen", ""))

    @property
    def wanted(self) -> set[str]:
        return {
            f"doc:{self.doc_ids[r[4:]]}" if r.startswith("doc:") and r[4:] in self.doc_ids else r
            for r in self.item.answers
        }

    @property
    def right_answer(self) -> bool | None:
        """The chosen candidate is one the labels name (None when the labels name none: the test split)."""
        if not self.item.answers:
            return None
        return self.decided == "answer" and self.chosen in self.wanted

    @property
    def facts_covered(self) -> list[bool]:
        text = self.answer.text.lower()
        return [any(alt.lower() in text for alt in group) for group in self.item.facts]

    @property
    def verdict_served(self) -> str:
        """The verdict the direct answer opens with: "yes", "no" or ""."""
        return verdict_polarity(strip_markers(self.answer.direct))

    @property
    def wrong_verdict(self) -> bool:
        """A verdict served to a question that is not yes/no, or the opposite of the right one."""
        served = self.verdict_served
        if not served:
            return False
        if self.item.verdict is None:
            return self.item.aspect not in (None, "yesno")
        return self.item.verdict != "partly" and served != self.item.verdict

    @property
    def from_own_document(self) -> bool:
        ids = {self.doc_ids.get(Path(d).name, "") for d in self.item.docs}
        return any(c.reading_id in ids for c in self.answer.citations)

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.item.id,
            "question": self.item.question,
            "history": self.item.history,
            "lang": self.item.lang,
            "level": self.item.level,
            "part": self.item.part,
            "expected_decision": self.item.decision,
            "decision": self.decided,
            "chosen": self.chosen,
            "right_answer": self.right_answer,
            "facts_covered": self.facts_covered,
            "wrong_verdict": self.wrong_verdict,
            "from_own_document": self.from_own_document if self.item.docs else None,
            "direct": self.answer.direct,
            "answer": self.answer.text,
            "reference": self.item.reference,
            "ms": self.answer.timings_ms["total"],
        }


def prepare_documents(tutor: Tutor, names: set[str], docs_dir: Path) -> dict[str, str]:
    """Add the named documents to the library and index them; file name → library id."""
    import tempfile

    from tutor.ingest import ingest

    if not names:
        return {}
    with tempfile.TemporaryDirectory() as work:
        ids = add_documents(tutor.settings, tutor.readings, names, docs_dir, Path(work))
    ingest(tutor.settings, tutor.readings, tutor.store)
    return ids


def run_labelled(
    tutor: Tutor, items: list[tuple[Labelled, frozenset[str]]], doc_ids: dict[str, str]
) -> Iterator[LabelledOutcome]:
    """Ask each question (its conversation's earlier ones first) seeing only its library's documents."""
    try:
        for item, library in items:
            hide_all_but(tutor.retriever, doc_ids, library)
            turns: list[Turn] = []
            for earlier in item.history:
                turns.append(tutor.ask(earlier, level=item.level, lang=item.lang, history=turns).as_turn())
            answer = tutor.ask(item.question, level=item.level, lang="auto", history=turns)
            yield LabelledOutcome(item, answer, doc_ids)
    finally:
        tutor.retriever.hidden = frozenset()


def _labelled_scores(outcomes: list[LabelledOutcome]) -> dict[str, Any]:
    answerable = [o for o in outcomes if o.item.decision == "answer"]
    answered = [o for o in answerable if o.decided == "answer"]
    labelled = [o for o in answerable if o.right_answer is not None]
    with_facts = [o for o in outcomes if o.item.facts and o.item.decision != "decline"]
    shares = [sum(o.facts_covered) / len(o.facts_covered) for o in with_facts]
    own = [o for o in answerable if o.item.docs]
    declines = [o for o in outcomes if o.item.decision == "decline"]
    served_pairs = [o for o in labelled if o.decided == "answer" and o.chosen and not o.chosen.startswith("doc:")]
    return {
        "n": len(outcomes),
        "decision_accuracy": _share([o.decided == o.item.decision for o in outcomes]),
        "answered": _share([o.decided == "answer" for o in answerable]),
        "right_answer": _share([bool(o.right_answer) for o in labelled]),
        "another_questions_answer": _share([o.chosen not in o.wanted for o in served_pairs]),
        "facts_coverage": round(statistics.fmean(shares), 3) if shares else None,
        "facts_full": _share([all(o.facts_covered) for o in with_facts]),
        "wrong_verdicts": sum(o.wrong_verdict for o in outcomes),
        "own_document": _share([o.decided == "answer" and o.from_own_document for o in own]),
        "refusals": _share([o.decided == "decline" for o in declines]),
        "closest_right": _share([o.decided == "closest" for o in outcomes if o.item.decision == "closest"]),
        "right_language": _share(
            [detect_language(o.answer.direct or o.answer.text) == o.item.lang for o in answered if o.answer.direct]
        ),
    }


def summarise_labelled(outcomes: list[LabelledOutcome]) -> dict[str, Any]:
    total_ms = [o.answer.timings_ms["total"] for o in outcomes]
    parts = sorted({o.item.part for o in outcomes})
    return {
        "summary": True,
        "questions": len(outcomes),
        "all": _labelled_scores(outcomes),
        "by_language": {lang: _labelled_scores([o for o in outcomes if o.item.lang == lang]) for lang in ("en", "zh")},
        "by_part": {part: _labelled_scores([o for o in outcomes if o.item.part == part]) for part in parts},
        "latency_ms": {"p50": _percentile(total_ms, 0.5), "p95": _percentile(total_ms, 0.95)},
    }


def is_labelled(path: Path) -> bool:
    """A folder of labelled questions, or a file whose first question carries a decision."""
    if path.is_dir():
        return True
    try:
        first = next((line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()), "{}")
    except OSError:
        return False
    return '"decision"' in first


def run_labelled_eval(tutor: Tutor, path: Path, split: str, as_json: bool) -> dict[str, Any]:
    """Ask every labelled question (after adding the documents they need); print lines and the summary."""
    from tutor.config import PROJECT_ROOT
    from tutor.select.data import with_libraries

    items = [(item, library) for item, library in with_libraries(path) if split in ("all", item.split)]
    names = {name for _, library in items for name in library}
    doc_ids = prepare_documents(tutor, names, PROJECT_ROOT / "eval" / "docs")
    outcomes = []
    for outcome in run_labelled(tutor, items, doc_ids):
        outcomes.append(outcome)
        if as_json:
            print(json.dumps(outcome.as_json(), ensure_ascii=False))
    summary = summarise_labelled(outcomes)
    print(json.dumps(summary, ensure_ascii=False, indent=None if as_json else 1))
    return summary
