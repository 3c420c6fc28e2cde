"""Finding the Q&A pair that answers a learner's question.

Each pair is matched by every phrasing of its question (dense, multilingual) and by the words of its
question and answer (BM25, with the glossary's English terms for Chinese questions), so the best
*pair*, not the best whole note, decides what the tutor answers.
"""

from __future__ import annotations

import re
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tutor.glossary import Glossary
from tutor.lang.tokens import tokenize
from tutor.lexical import Bm25
from tutor.notes import NoteFile
from tutor.qa import QA, Pointer
from tutor.vectors import VectorCache

ANSWER_WEIGHT = 0.25  # how much the answer's similarity adds to the question's
LEXICAL_WEIGHT = 0.15  # how much shared words add (normalised BM25)
REPEAT_PENALTY = 0.5  # a follow-up should get a new answer, not the one it follows
OVERVIEW_PENALTY = 0.1  # a written pair that matches beats the note's overview
TERM_WEIGHT = 0.2  # share of the question's field terms the pair's question names (in any language)
ANSWER_TERM_WEIGHT = 0.1  # …or its answer names
INTENT_WEIGHT = 0.05  # the pair is the kind of question asked (why / how many / compare)
NAME_WEIGHT = 0.1  # the pair's question names the same numbered model (GPT-1), or a sibling instead (GPT-3)
_NUMBERED_NAME = re.compile(r"\b([A-Za-z]{2,})[- ]?(\d{1,4}[A-Za-z]?)\b")
_INTENTS: dict[str, re.Pattern[str]] = {
    "why": re.compile(r"\bwhy\b|\bwhat (?:is|are) \w+ for\b|为什么|为何|原因|干什么|干嘛|有什么用|做什么用", re.I),
    "numbers": re.compile(r"\bhow (?:many|much|big|large|long|fast)\b|多少|多大|多长|多快|几个|几层", re.I),
    "compare": re.compile(r"\bvs\.?\b|\bversus\b|differ|compare|区别|不同|对比|比较|相比", re.I),
    "misconception": re.compile(r"^\s*(?:is|are|does|do|did|can)\b.*\?$|是不是|是否|吗[？?]?$", re.I),
}
_KIND_INTENT = {"why": "why", "numbers": "numbers", "compare": "compare", "misconception": "misconception"}


@dataclass(frozen=True)
class FacetHit:
    qa: QA
    similarity: float  # best cosine between the question and any phrasing of the pair's question
    answer_similarity: float  # cosine between the question and the pair's answer
    lexical: float  # BM25 over question + answer words, scaled to 0..1 among the candidates
    score: float


OVERVIEW = "overview"  # the id of the pair each note gets for its own name ("Gradient boosting", "梯度提升")


def overview_pairs(notes: Sequence[NoteFile], glossary: Glossary) -> list[QA]:
    """One pair per note and language whose question is the concept's name, so asking for a concept by
    name gets the note's overview at the learner's level rather than whichever specific pair is nearest."""
    by_key = {t.key: t for t in glossary.terms}
    pairs = []
    for note in notes:
        names = [note.title]
        for key in note.terms[:2]:
            term = by_key.get(key)
            if term is not None:
                names.extend([term.en, *term.variants[:1]] if note.lang == "en" else term.zh[:2])
        what = [f"什么是{n}？" if note.lang == "zh" else f"What is {n}?" for n in names[:2]]
        overview = next((note.sections[k] for k in ("beginner", "intermediate", "expert") if note.sections.get(k)), "")
        if len(overview) < 20:
            continue  # a note without level sections has no overview to give
        pointer = note.readings[0] if note.readings else {"id": note.id, "section": note.title}
        pairs.append(
            QA(
                id=OVERVIEW,
                q=note.title if len(note.title) >= 8 else f"{note.title} · {names[0]}",
                also=list(dict.fromkeys([*names[1:], *what]))[:6],
                kind="what",
                a=overview,
                deeper="",
                source=Pointer(
                    id=str(pointer["id"]),
                    section=str(pointer.get("section", "")),
                    page=int(pointer["page"]) if pointer.get("page") else None,
                ),
                note=note.id,
                lang=note.lang,
            )
        )
    return pairs


def numbered_names(text: str) -> frozenset[tuple[str, str]]:
    """("gpt", "2") for GPT-2 or GPT 2, ("resnet", "152") for ResNet-152: models told apart by a number."""
    return frozenset((stem.lower(), number.lower()) for stem, number in _NUMBERED_NAME.findall(text))


class FacetIndex:
    """All Q&A pairs of one corpus, searchable by an embedded question."""

    def __init__(self, pairs: Sequence[QA], cache: VectorCache, glossary: Glossary) -> None:
        self.pairs = list(pairs)
        self.cache = cache
        self.glossary = glossary
        self._by_note_id = {(p.note, p.lang, p.id): p for p in self.pairs}

    @cached_property
    def _phrasings(self) -> tuple[np.ndarray, np.ndarray]:
        """(matrix of every phrasing, the row where each pair's phrasings start)."""
        texts: list[str] = []
        starts: list[int] = []
        for pair in self.pairs:
            starts.append(len(texts))
            texts.extend([pair.q, *pair.also])
        return self.cache.matrix(texts), np.asarray(starts, dtype=np.int64)

    @cached_property
    def _answers(self) -> np.ndarray:
        return self.cache.matrix([p.a for p in self.pairs])

    @cached_property
    def _bm25(self) -> Bm25 | None:
        docs = [tokenize(f"{p.search_text}\n{p.a}") for p in self.pairs]
        return Bm25(docs) if any(docs) else None

    @cached_property
    def _terms(self) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
        """The field terms (glossary keys, so 残差连接 and residual connection are one) each pair's question
        phrasings and its answer name; everyday words left out."""
        questions, answers = [], []
        for pair in self.pairs:
            questions.append(
                frozenset(m.term.key for m in self.glossary.matches_in(pair.search_text) if not m.everyday)
            )
            answers.append(frozenset(m.term.key for m in self.glossary.matches_in(pair.a) if not m.everyday))
        return questions, answers

    @cached_property
    def _term_column(self) -> dict[str, int]:
        q_terms, a_terms = self._terms
        keys = sorted(set().union(*q_terms, *a_terms)) if self.pairs else []
        return {k: i for i, k in enumerate(keys)}

    @cached_property
    def _term_matrix(self) -> tuple[np.ndarray, np.ndarray]:
        """Pairs × field terms: 1 where the pair's question (first) or answer (second) names the term."""
        q_terms, a_terms = self._terms
        shape = (len(self.pairs), max(1, len(self._term_column)))
        in_question, in_answer = np.zeros(shape, np.float32), np.zeros(shape, np.float32)
        for i, (q, a) in enumerate(zip(q_terms, a_terms, strict=True)):
            in_question[i, [self._term_column[t] for t in q]] = 1.0
            in_answer[i, [self._term_column[t] for t in a]] = 1.0
        return in_question, in_answer

    @cached_property
    def _names(self) -> list[frozenset[tuple[str, str]]]:
        """Numbered names each pair's question uses: ("gpt", "1"), ("resnet", "34")."""
        return [numbered_names(p.search_text) for p in self.pairs]

    def _name_scores(self, question: str) -> np.ndarray | None:
        """Same numbered model as the question: a bonus; only a sibling of it (GPT-3 for GPT-1): a penalty."""
        asked = numbered_names(question)
        if not asked:
            return None
        stems = {stem for stem, _ in asked}
        scores = np.zeros(len(self.pairs), dtype=np.float32)
        for i, names in enumerate(self._names):
            if names & asked:
                scores[i] = NAME_WEIGHT
            elif any(stem in stems for stem, _ in names):
                scores[i] = -NAME_WEIGHT
        return scores

    @cached_property
    def _kinds(self) -> np.ndarray:
        return np.asarray([_KIND_INTENT.get(p.kind, "") for p in self.pairs], dtype=object)

    @cached_property
    def _is_overview(self) -> np.ndarray:
        return np.asarray([p.id == OVERVIEW for p in self.pairs], dtype=np.float32)

    def _field_terms(self, text: str) -> frozenset[str]:
        return frozenset(m.term.key for m in self.glossary.matches_in(text) if not m.everyday)

    def warm_up(self) -> None:
        _ = self._phrasings, self._answers, self._bm25, self._term_matrix, self._kinds, self._is_overview, self._names

    def answer_vector(self, pair: QA) -> np.ndarray:
        row: np.ndarray = self._answers[self._index[pair.key]]
        return row

    @cached_property
    def _index(self) -> dict[str, int]:
        return {p.key: i for i, p in enumerate(self.pairs)}

    def sibling(self, pair: QA, lang: str) -> QA:
        """The same question in another language when it was written there under the same id."""
        return self._by_note_id.get((pair.note, lang, pair.id), pair)

    def search(
        self,
        vector: np.ndarray,
        tokens: Sequence[str],
        lang: str,
        notes: Collection[str] | None = None,
        exclude: Collection[str] = (),
        k: int = 5,
        penalise: Collection[str] = (),
        terms: Collection[str] = (),
        question: str = "",
    ) -> list[FacetHit]:
        """The pairs in `lang` closest to the question, best first; optionally only within `notes`.

        Pairs in `penalise` (the one that just answered, for a follow-up) lose REPEAT_PENALTY: a new pair
        wins unless none comes close.
        """
        if not self.pairs:
            return []
        matrix, starts = self._phrasings
        best = np.maximum.reduceat(matrix @ vector, starts)  # each pair's phrasings are contiguous rows
        answer_sims = self._answers @ vector
        lexical = np.zeros(len(self.pairs), dtype=np.float32)
        if self._bm25 is not None and tokens:
            raw = self._bm25.scores(list(tokens))
            if raw.max() > 0:
                lexical = raw / raw.max()
        scores = best + ANSWER_WEIGHT * answer_sims + LEXICAL_WEIGHT * lexical
        if terms:
            wanted = list(dict.fromkeys(terms))
            in_question, in_answer = self._term_matrix
            columns = [self._term_column[t] for t in wanted if t in self._term_column]
            if columns:
                scores += (
                    TERM_WEIGHT * in_question[:, columns].sum(axis=1)
                    + ANSWER_TERM_WEIGHT * in_answer[:, columns].sum(axis=1)
                ) / len(wanted)
        named = self._name_scores(question)
        if named is not None:
            scores += named
        intents = [kind for kind, pattern in _INTENTS.items() if pattern.search(question)]
        if intents:
            scores += INTENT_WEIGHT * np.isin(self._kinds, intents)
        scores -= OVERVIEW_PENALTY * self._is_overview
        for key in penalise:
            if key in self._index:
                scores[self._index[key]] -= REPEAT_PENALTY
        hits: list[FacetHit] = []
        order = np.argsort(-scores)
        for i in order:
            pair = self.pairs[int(i)]
            if pair.lang != lang or pair.key in exclude or (notes is not None and pair.note not in notes):
                continue
            hits.append(FacetHit(pair, float(best[i]), float(answer_sims[i]), float(lexical[i]), float(scores[i])))
            if len(hits) >= k:
                break
        return hits
