"""Finding the Q&A pair that answers a learner's question.

Each pair is matched by every phrasing of its question (dense, multilingual) and by the words of its
question and answer (BM25, with the glossary's English terms for Chinese questions), so the best
*pair*, not the best whole note, decides what the tutor answers.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tutor.glossary import Glossary
from tutor.lang.tokens import tokenize
from tutor.lexical import Bm25
from tutor.notes import NoteFile
from tutor.qa import QA, Pointer
from tutor.vectors import VectorCache

_NUMBERED_NAME = re.compile(r"\b([A-Za-z]{2,})[- ]?(\d{1,4}[A-Za-z]?)\b")


@dataclass(frozen=True)
class PairSignals:
    """How close every pair is to one question, by each signal; rows follow `FacetIndex.pairs`."""

    similarity: np.ndarray  # best cosine between the question and any phrasing of the pair's question
    main_similarity: np.ndarray  # cosine between the question and the pair's own question (its first phrasing)
    answer_similarity: np.ndarray  # cosine between the question and the pair's answer
    lexical: np.ndarray  # BM25 over the pair's phrasings and answer, scaled to 0..1
    lexical_question: np.ndarray  # BM25 over the pair's phrasings alone, scaled to 0..1
    context_similarity: np.ndarray | None  # as `similarity`, for the question read with the one before it
    # as `similarity`, for the previous question alone: in a conversation the answer is often a sibling of what was
    # asked before (the ranker weighs it positively)
    previous_similarity: np.ndarray | None
    # Within each concept (note and language): what tells a pair from its siblings. The question and the
    # phrasings less their concept's mean phrasing, compared (best phrasing); BM25 over the concept's own
    # phrasings, whose word weights come from that concept alone, scaled to its best pair.
    concept_similarity: np.ndarray
    concept_lexical: np.ndarray


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
    def term_sets(self) -> tuple[list[frozenset[str]], list[frozenset[str]]]:
        """The field terms (glossary keys, so 残差连接 and residual connection are one) each pair's question
        phrasings and its answer name; everyday words left out."""
        questions = [self.glossary.field_terms(pair.search_text) for pair in self.pairs]
        answers = [self.glossary.field_terms(pair.a) for pair in self.pairs]
        return questions, answers

    @cached_property
    def names(self) -> list[frozenset[tuple[str, str]]]:
        """Numbered names each pair's question uses: ("gpt", "1"), ("resnet", "34")."""
        return [numbered_names(p.search_text) for p in self.pairs]

    @cached_property
    def _bm25_questions(self) -> Bm25 | None:
        docs = [tokenize(p.search_text) for p in self.pairs]
        return Bm25(docs) if any(docs) else None

    @cached_property
    def _concepts(self) -> tuple[np.ndarray, list[np.ndarray], np.ndarray, np.ndarray, np.ndarray]:
        """Per phrasing its concept's index; per concept its pair rows; the concepts' mean phrasings; per
        phrasing, its distance from its concept's mean as a unit vector, and that vector's product with the mean."""
        matrix, pair_of_phrasing = self.phrasing_rows()
        keys = list(dict.fromkeys((p.note, p.lang) for p in self.pairs))
        index = {k: i for i, k in enumerate(keys)}
        of_pair = np.asarray([index[(p.note, p.lang)] for p in self.pairs], dtype=np.int64)
        of_phrasing = of_pair[pair_of_phrasing]
        means = np.zeros((len(keys), matrix.shape[1]), dtype=np.float32)
        np.add.at(means, of_phrasing, matrix)
        means /= np.bincount(of_phrasing, minlength=len(keys))[:, None]
        residual = matrix - means[of_phrasing]
        residual /= np.maximum(np.linalg.norm(residual, axis=1, keepdims=True), 1e-6)
        along_mean = np.einsum("ij,ij->i", residual, means[of_phrasing])
        rows = [np.flatnonzero(of_pair == k) for k in range(len(keys))]
        return of_phrasing, rows, means, residual, along_mean

    @cached_property
    def _concept_bm25(self) -> list[Bm25 | None]:
        _, rows, *_ = self._concepts
        docs = [[tokenize(self.pairs[i].search_text) for i in group] for group in rows]
        return [Bm25(d) if any(d) else None for d in docs]

    def _concept_similarity(self, vector: np.ndarray) -> np.ndarray:
        """cos(question − concept mean, phrasing − concept mean), best phrasing of each pair."""
        _, starts = self._phrasings
        of_phrasing, _, means, residual, along_mean = self._concepts
        to_mean = means @ vector
        distance = np.sqrt(np.maximum(1.0 - 2.0 * to_mean + np.einsum("ij,ij->i", means, means), 1e-6))
        sims = (residual @ vector - along_mean) / distance[of_phrasing]
        best: np.ndarray = np.maximum.reduceat(sims, starts)
        return best

    def _concept_lexical(self, tokens: Sequence[str]) -> np.ndarray:
        out = np.zeros(len(self.pairs), dtype=np.float32)
        _, rows, *_ = self._concepts
        if not tokens:
            return out
        for group, index in zip(rows, self._concept_bm25, strict=True):
            if index is not None:
                out[group] = _scaled(index, tokens, len(group))
        return out

    def warm_up(self) -> None:
        _ = self._phrasings, self._answers, self._bm25, self._bm25_questions, self.term_sets, self.names
        _ = self._concepts, self._concept_bm25

    def answer_vector(self, pair: QA) -> np.ndarray:
        row: np.ndarray = self._answers[self._index[pair.key]]
        return row

    def answer_closeness(self, key: str) -> np.ndarray | None:
        """Every pair's answer's cosine with the answer of the pair `key` (None when no pair has that key): how near
        a follow-up's candidate stays to the answer just given (the previous pair itself is never a candidate)."""
        row = self._index.get(key)
        if row is None:
            return None
        closeness: np.ndarray = self._answers @ self._answers[row]
        return closeness

    @cached_property
    def _index(self) -> dict[str, int]:
        return {p.key: i for i, p in enumerate(self.pairs)}

    def sibling(self, pair: QA, lang: str) -> QA:
        """The same question in another language when it was written there under the same id."""
        return self._by_note_id.get((pair.note, lang, pair.id), pair)

    def phrasing_rows(self) -> tuple[np.ndarray, np.ndarray]:
        """(every phrasing's embedding, the pair row it belongs to): what concepts group and a question map is
        fitted against."""
        matrix, starts = self._phrasings
        return matrix, np.repeat(np.arange(len(starts)), np.diff(np.r_[starts, len(matrix)]))

    def phrase_similarity(self, vector: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(best cosine over each pair's phrasings, cosine with its first phrasing, the pair's own question)."""
        if not self.pairs:  # a corpus without Q&A (a learner's documents alone)
            empty = np.zeros(0, dtype=np.float32)
            return empty, empty
        matrix, starts = self._phrasings
        sims = matrix @ vector
        best: np.ndarray = np.maximum.reduceat(sims, starts)  # each pair's phrasings are contiguous rows
        return best, sims[starts]

    def signals(
        self,
        vector: np.ndarray,
        tokens: Sequence[str],
        context: np.ndarray | None = None,
        previous: np.ndarray | None = None,
    ) -> PairSignals:
        """Every pair's closeness to the question: dense (phrasings, answer), lexical, with the context, and to
        the previous question on its own."""
        n = len(self.pairs)
        if not n:
            empty = np.zeros(0, dtype=np.float32)
            return PairSignals(empty, empty, empty, empty, empty, None, None, empty, empty)
        similarity, main_similarity = self.phrase_similarity(vector)
        return PairSignals(
            similarity=similarity,
            main_similarity=main_similarity,
            answer_similarity=self._answers @ vector,
            lexical=_scaled(self._bm25, tokens, n),
            lexical_question=_scaled(self._bm25_questions, tokens, n),
            context_similarity=self.phrase_similarity(context)[0] if context is not None else None,
            previous_similarity=self.phrase_similarity(previous)[0] if previous is not None else None,
            concept_similarity=self._concept_similarity(vector),
            concept_lexical=self._concept_lexical(tokens),
        )


def _scaled(index: Bm25 | None, tokens: Sequence[str], n: int) -> np.ndarray:
    """BM25 scores divided by the best one (all zero when nothing matches)."""
    if index is None or not tokens:
        return np.zeros(n, dtype=np.float32)
    raw = index.scores(list(tokens))
    top = float(raw.max()) if raw.size else 0.0
    return raw / top if top > 0 else np.zeros(n, dtype=np.float32)
