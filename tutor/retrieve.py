"""Question in; what bears on it out, with its signals: Q&A pairs, passages, sentences, reading-list entries.

The question is embedded once (multilingual USE, so a Chinese question meets English papers) and searched
four ways: the tutor's Q&A pairs (every pair's closeness by each signal), passages of the readings and the
learner's own documents (dense search and BM25 with the glossary's English terms, fused by reciprocal rank),
the reading list, and sentences. Nothing is decided here: tutor/select/ chooses the answer.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from langchain_core.documents import Document

from tutor.catalog import CatalogHit, ReadingCatalog
from tutor.config import Settings
from tutor.conversation import Turn, asked_words
from tutor.facets import FacetIndex, PairSignals
from tutor.glossary import Glossary, Match
from tutor.lang.quotable import quotable
from tutor.lang.script import CJK, CJK_RUN, detect_language
from tutor.lang.tokens import content_words, tokenize
from tutor.lexical import Bm25
from tutor.library import is_own_document
from tutor.roles import NEVER_QUOTED, QUOTABLE
from tutor.store import Store, chunk_body
from tutor.vectors import normalise

_EMBEDDED_KEPT = 512
_CJK_FUNCTION = set("的了是吗呢么和与在有也都就还很把被让给对从向为这那哪什怎如何吧啊呀")
# Questions that ask for what is usually kept out of answers: appendix, figures, tables, code.
_ASKS_FOR_EXTRAS = re.compile(
    r"\b(?:appendix|table|figure|fig\.|code|example|sample|listing)s?\b|附录|表格|图|代码|例子|示例", re.I
)


@dataclass(frozen=True)
class Hit:
    doc: Document
    score: float  # reciprocal-rank-fusion score
    similarity: float  # dense cosine similarity, 0 when only BM25 found it

    @property
    def meta(self) -> dict[str, Any]:
        return self.doc.metadata

    @property
    def reading_id(self) -> str:
        return str(self.meta["reading_id"])

    @property
    def is_note(self) -> bool:
        return self.meta.get("kind") == "note"

    @property
    def own(self) -> bool:
        """From a document the learner added."""
        return is_own_document(self.reading_id)

    @property
    def body(self) -> str:
        return chunk_body(self.doc.page_content)


@dataclass(frozen=True)
class Sentence:
    """One indexed sentence of a reading or note, and how close it is to what was searched."""

    text: str
    meta: dict[str, Any]
    similarity: float
    id: str = ""  # the indexed sentence's id: document, version, passage and place in it

    @property
    def reading_id(self) -> str:
        return str(self.meta.get("reading_id", ""))

    @property
    def is_note(self) -> bool:
        return self.meta.get("source_kind") == "note"

    @property
    def page(self) -> int | None:
        return int(self.meta.get("page") or 0) or None

    @property
    def quotable(self) -> bool:
        """Still quotable by today's rules (an index may predate one), as a list item if it was indexed as one."""
        return quotable(self.text, bool(self.meta.get("item")))


class Vocabulary:
    """Every word and Chinese character the tutor's material uses: a question full of words it has never
    seen ("sourdough", "Firefox", 红烧肉) is about something else, whatever it shares with the field."""

    def __init__(self, texts: Sequence[str]) -> None:
        self.words: set[str] = set()
        self.chars: set[str] = set()
        self.pairs: set[str] = set()  # Chinese character bigrams: single characters are shared too widely
        for text in texts:
            self.words.update(content_words(text))
            self.chars.update(CJK.findall(text))
            for run in CJK_RUN.findall(text):
                self.pairs.update(run[i : i + 2] for i in range(len(run) - 1))

    def knows(self, word: str) -> bool:
        return word in self.words or (word.endswith("s") and word[:-1] in self.words)

    def share_known(self, question: str) -> float:
        """Share of the question's content words and Chinese bigrams this vocabulary uses (1.0 when it has none)."""
        words, pairs = asked_words(question)
        if not words and not pairs:
            return 1.0
        known = sum(self.knows(w) for w in words) + sum(p in self.pairs for p in pairs)
        return known / (len(words) + len(pairs))

    def foreign(self, question: str) -> tuple[int, int]:
        """(unknown words and characters, all content words and characters) in the question."""
        words = content_words(question)
        chars = [c for c in CJK.findall(question) if c not in _CJK_FUNCTION]
        unknown = sum(not self.knows(w) for w in words) + sum(c not in self.chars for c in chars)
        return unknown, max(1, len(words) + len(chars))


@dataclass
class Retrieval:
    question: str
    lang: str  # the answer's language
    vector: np.ndarray  # the embedded question (unit length; mixed-language questions blended)
    context_vector: np.ndarray | None  # the question read with the one before it, in a conversation
    pairs: PairSignals
    passages: list[Hit]  # from the readings and the learner's documents, diverse across readings
    notes: list[Hit]  # the project's notes, best first
    readings: list[CatalogHit]  # reading-list entries, best first
    matches: list[Match] = field(default_factory=list)
    extras: bool = False  # the learner asks about an appendix, a figure, a table or code
    best_passage: float = 0.0  # dense similarity of the closest passage
    best_sentence: float = 0.0  # dense similarity of the closest sentence of the readings and documents
    # The nearest passage of each of the learner's documents that `passages` left out: a learner who added a
    # document expects it considered for every question, however many readings outrank it.
    own: list[Hit] = field(default_factory=list)
    ms: float = 0.0

    @property
    def english_terms(self) -> list[str]:
        return [m.term.en for m in self.matches]

    def roles(self) -> list[str]:
        """The chunk roles worth quoting for this question."""
        return sorted(QUOTABLE | ({"appendix", "figure", "code"} if self.extras else set()))


class ChunkIndex:
    """Committed chunks of one kind with their embeddings, in memory, reloaded when the store's generation moves.

    Chroma stays the store of record (embedded or on a server); scoring a few thousand passages or sentences
    against one vector, restricted to some readings and roles, is a matrix product here: about a millisecond,
    against 20-50 ms for a Chroma query with metadata filters.
    """

    def __init__(self, store: Store, where: dict[str, Any]) -> None:
        self.store = store
        self.where = where
        self._lock = threading.Lock()
        self._key: tuple[str, ...] | None = None
        self.docs: list[Document] = []
        self.matrix = np.zeros((0, 1), dtype=np.float32)
        self._reading = np.zeros(0, dtype=np.int32)
        self._reading_code: dict[str, int] = {}
        self._role = np.zeros(0, dtype=np.int32)
        self._role_code: dict[str, int] = {}
        self._note = np.zeros(0, dtype=bool)
        self._rows: dict[int, np.ndarray] = {}
        self._place: dict[str, int] = {}  # a chunk's id → its row, the rows of each reading in id order

    def load(self) -> list[Document]:
        """The chunks of the current committed set, reloading them (and their vectors) when it changed."""
        key = self.store.manifest.committed_versions
        with self._lock:
            if key != self._key:
                docs, rows = self.store.chunks_with_vectors(self.where)
                self.matrix = normalise(np.asarray(rows, dtype=np.float32)) if docs else np.zeros((0, 1), np.float32)
                readings = [str(d.metadata.get("reading_id", "")) for d in docs]
                roles = [str(d.metadata.get("role", "body")) for d in docs]
                self._reading_code = {r: i for i, r in enumerate(dict.fromkeys(readings))}
                self._role_code = {r: i for i, r in enumerate(dict.fromkeys(roles))}
                self._reading = np.asarray([self._reading_code[r] for r in readings], dtype=np.int32)
                self._role = np.asarray([self._role_code[r] for r in roles], dtype=np.int32)
                self._note = np.asarray([d.metadata.get("source_kind", d.metadata.get("kind")) == "note" for d in docs])
                # Remember each reading's rows, so a search within a reading scores only those.
                self._rows = {}
                for code in self._reading_code.values():
                    mine = np.flatnonzero(self._reading == code)
                    self._rows[code] = mine[np.argsort([str(docs[int(i)].id) for i in mine], kind="stable")]
                self._place = {str(d.id): i for i, d in enumerate(docs)}
                self.docs = docs
                self._key = key
            return self.docs

    def readings(self) -> list[str]:
        """The readings (and learner's documents) that have chunks here."""
        self.load()
        return list(self._reading_code)

    def nearest(
        self,
        vector: np.ndarray,
        k: int,
        reading_ids: Sequence[str] | None = None,
        roles: Sequence[str] | None = None,
        notes: bool | None = None,
    ) -> list[tuple[Document, float]]:
        """The k chunks closest to `vector` (cosine), optionally only in some readings, roles, or (not) notes."""
        docs = self.load()
        if not docs:
            return []
        if reading_ids is not None:  # score only those readings' rows: evidence is sought in one or two papers
            codes = [self._reading_code[r] for r in dict.fromkeys(reading_ids) if r in self._reading_code]
            rows = np.concatenate([self._rows[c] for c in codes]) if codes else np.zeros(0, dtype=np.int64)
        else:
            rows = np.arange(len(docs))
        if not len(rows):
            return []
        sims = self.matrix[rows] @ vector if reading_ids is not None else self.matrix @ vector
        mask = np.ones(len(rows), dtype=bool)
        if roles is not None:
            mask &= np.isin(self._role[rows], [self._role_code[r] for r in roles if r in self._role_code])
        if notes is not None:
            mask &= self._note[rows] if notes else ~self._note[rows]
        sims = np.where(mask, sims, -np.inf)
        top = np.argpartition(-sims, min(k, len(sims) - 1))[:k] if len(sims) > k else np.arange(len(sims))
        best = [i for i in top[np.argsort(-sims[top])] if np.isfinite(sims[i])]
        return [(docs[rows[i]], float(sims[i])) for i in best]

    def around(self, chunk_id: str, before: int, after: int) -> list[Document]:
        """The chunk and its neighbours in the same section of the same reading, in reading order (ids number a
        reading's passages and each passage's sentences in order)."""
        docs = self.load()
        row = self._place.get(chunk_id)
        if row is None:
            return []
        rows = self._rows[int(self._reading[row])]
        at = int(np.flatnonzero(rows == row)[0])
        section = docs[row].metadata.get("section")
        window = rows[max(at - before, 0) : at + after + 1]
        return [docs[i] for i in window if docs[i].metadata.get("section") == section]


class Retriever:
    """Hybrid retrieval over the committed chunks of a Store, the Q&A pairs and the reading list."""

    def __init__(
        self, settings: Settings, store: Store, glossary: Glossary, facets: FacetIndex, catalog: ReadingCatalog
    ) -> None:
        self.settings = settings
        self.store = store
        self.glossary = glossary
        self.facet_index = facets
        self.catalog = catalog
        self._lock = threading.Lock()  # the web app retrieves from many threads at once
        self._bm25_docs: list[Document] | None = None
        self._bm25: Bm25 | None = None
        self._vocabulary = Vocabulary([])
        self._embedded: dict[str, np.ndarray] = {}
        self._topic_words: dict[tuple[str, str], Vocabulary] = {}
        self.sentence_index = ChunkIndex(store, {"kind": "sentence"})
        self.passage_index = ChunkIndex(
            store, {"$and": [{"kind": {"$ne": "sentence"}}, {"role": {"$nin": sorted(NEVER_QUOTED)}}]}
        )
        # Documents retrieval leaves out. The fit and `tutor eval` add every labelled question's documents to one
        # library, but a learner has only their own few: each question is asked seeing only those of its file.
        self.hidden: frozenset[str] = frozenset()

    # ------------------------------------------------------------------------------------------ pieces

    def embed(self, text: str) -> np.ndarray:
        """The question's embedding; the last few hundred are remembered (starter questions are asked often)."""
        with self._lock:
            found = self._embedded.get(text)
        if found is None:
            found = normalise(np.asarray(self.store.embeddings.embed_query(text), dtype=np.float32))
            with self._lock:
                self._embedded[text] = found
                while len(self._embedded) > _EMBEDDED_KEPT:
                    self._embedded.pop(next(iter(self._embedded)))
        return found

    def _lexical_index(self) -> tuple[Bm25 | None, list[Document]]:
        """BM25 over every committed passage, rebuilt only when the committed set changes."""
        docs = self.passage_index.load()
        with self._lock:
            if self._bm25_docs is not docs:
                self._bm25 = Bm25([tokenize(d.page_content) for d in docs]) if docs else None
                own = [f"{p.search_text} {p.a} {p.deeper}" for p in self.facet_index.pairs]
                own += [" ".join([t.en, *t.zh, *t.variants, t.def_en, t.def_zh]) for t in self.glossary.terms]
                # Body text only: GPT-2's appendix of generated samples talks about pizza and bread.
                prose = [d.page_content for d in docs if d.metadata.get("role", "body") in QUOTABLE]
                self._vocabulary = Vocabulary(prose + own)
                self._bm25_docs = docs
            return self._bm25, docs

    def topic_vocabulary(self, note: str, lang: str) -> Vocabulary:
        """The words the tutor uses about one concept: its Q&A pairs and overview, in the learner's language."""
        key = (note, lang)
        if key not in self._topic_words:
            pairs = [p for p in self.facet_index.pairs if p.note == note and p.lang == lang]
            self._topic_words[key] = Vocabulary([f"{p.search_text} {p.a} {p.deeper}" for p in pairs])
        return self._topic_words[key]

    def vocabulary(self) -> Vocabulary:
        self._lexical_index()
        return self._vocabulary

    def warm_up(self) -> None:
        """Load the model, embed the Q&A pairs and reading list, build BM25 and the sentence index: before
        the first learner asks."""
        self.facet_index.warm_up()
        self.catalog.warm_up()
        self.sentence_index.load()
        self.retrieve("attention")

    def _visible(self, index: ChunkIndex, reading_ids: Sequence[str] | None = None) -> Sequence[str] | None:
        """The readings a search may look in: `reading_ids` (None: all) less the hidden ones."""
        if not self.hidden:
            return reading_ids
        return [r for r in (reading_ids if reading_ids is not None else index.readings()) if r not in self.hidden]

    def _dense(self, vector: np.ndarray) -> list[tuple[Document, float]]:
        return self.passage_index.nearest(vector, self.settings.retrieval.candidates, self._visible(self.passage_index))

    def _lexical(self, query: str) -> list[Document]:
        bm25, docs = self._lexical_index()
        tokens = tokenize(query)
        if bm25 is None or not tokens:
            return []
        scores = bm25.scores(tokens)
        if self.hidden:
            scores = np.where([str(d.metadata.get("reading_id")) in self.hidden for d in docs], 0.0, scores)
        ranked = np.argsort(-scores)[: self.settings.retrieval.candidates]
        return [docs[i] for i in ranked if scores[i] > 0]

    def sentences(
        self,
        vector: np.ndarray,
        k: int = 12,
        reading_ids: Sequence[str] | None = None,
        roles: Sequence[str] = tuple(sorted(QUOTABLE)),
        notes: bool | None = None,
    ) -> list[Sentence]:
        """The indexed sentences nearest to `vector`, optionally only in some readings, roles or kinds."""
        found = self.sentence_index.nearest(vector, k, self._visible(self.sentence_index, reading_ids), roles, notes)
        return [Sentence(doc.page_content, dict(doc.metadata), sim, str(doc.id or "")) for doc, sim in found]

    def around(self, sentence: Sentence, before: int = 1, after: int = 1) -> list[Sentence]:
        """A sentence with the ones next to it in its section: what it says is often finished by its neighbour."""
        found = self.sentence_index.around(sentence.id, before, after)
        return [
            s if s.id != sentence.id else sentence
            for s in (Sentence(d.page_content, dict(d.metadata), 0.0, str(d.id or "")) for d in found)
        ] or [sentence]

    # ------------------------------------------------------------------------------------------ search

    def _in_one_language(self, question: str, vector: np.ndarray, matches: Sequence[Match], lang: str) -> np.ndarray:
        """A question mixing scripts ("What is a 残差连接 in ResNet?") embeds poorly; blend in its
        embedding with the field terms written in the answer language."""
        has_cjk, has_latin = bool(CJK.search(question)), bool(re.search(r"[A-Za-z]{2}", question))
        if not (has_cjk and has_latin) or not matches:
            return vector
        rewritten = question
        for m in matches:
            target = m.term.zh[0] if lang == "zh" else m.term.en
            rewritten = rewritten.replace(m.form, target)
        if rewritten == question:
            return vector
        return normalise(vector + self.embed(rewritten))

    def _passages(
        self, query: str, vector: np.ndarray, english: Sequence[str], extras: bool
    ) -> tuple[list[Hit], list[Hit], float]:
        cfg = self.settings.retrieval
        dense = self._dense(vector)
        lexical = self._lexical(" ".join([query, *english]))
        fused: dict[str, float] = {}
        docs: dict[str, Document] = {}
        similarity: dict[str, float] = {}
        for rank, (doc, sim) in enumerate(dense):
            key = str(doc.id)
            fused[key] = fused.get(key, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
            docs[key], similarity[key] = doc, sim
        for rank, doc in enumerate(lexical):
            key = str(doc.id)
            fused[key] = fused.get(key, 0.0) + 1.0 / (cfg.rrf_k + rank + 1)
            docs.setdefault(key, doc)
        # Third signal, the title field: a document titled like the query ("Gradient boosting") is
        # the answer to a concept-name question, even if a neighbour mentions the concept more often.
        query_tokens = set(tokenize(query))
        for key, doc in docs.items():
            overlap = _jaccard(query_tokens, set(tokenize(str(doc.metadata.get("title", "")))))
            if overlap >= 0.5:
                fused[key] += overlap / (cfg.rrf_k + 1)
            if not extras and doc.metadata.get("role") in ("appendix", "figure", "code"):
                fused[key] *= 0.5  # kept out of the way unless the learner asks for them
        ranked = [Hit(docs[k], s, similarity.get(k, 0.0)) for k, s in sorted(fused.items(), key=lambda kv: -kv[1])]
        passages: list[Hit] = []
        per_reading: dict[str, int] = {}
        for hit in ranked:
            if hit.is_note or len(passages) >= cfg.k:
                continue
            if per_reading.get(hit.reading_id, 0) < cfg.per_reading:
                per_reading[hit.reading_id] = per_reading.get(hit.reading_id, 0) + 1
                passages.append(hit)
        notes = _rank_documents([h for h in ranked if h.is_note])
        best = max((sim for _, sim in dense), default=0.0)
        return passages, notes, best

    def retrieve(self, question: str, history: Sequence[Turn] = (), lang: str | None = None) -> Retrieval:
        """Everything that bears on the question, with its signals; `history` adds a reading of the question
        with the one before it (a follow-up borrows its topic from there)."""
        start = time.perf_counter()
        self.store.refresh()
        lang = lang or detect_language(question)
        matches = self.glossary.matches_in(question)
        vector = self._in_one_language(question, self.embed(question), matches, lang)
        previous = history[-1] if history else None
        previous_vector = self.embed(previous.question) if previous else None
        context = normalise(2 * vector + previous_vector) if previous_vector is not None else None
        tokens = tokenize(" ".join([question, *(m.term.en for m in matches)]))
        pairs = self.facet_index.signals(vector, tokens, context, previous_vector)
        extras = bool(_ASKS_FOR_EXTRAS.search(question))
        query = f"{previous.question} {question}" if previous else question
        search_vector = vector if context is None else normalise(vector + context)
        english = [m.term.en for m in (self.glossary.matches_in(query) if previous else matches)]
        passages, notes, best_passage = self._passages(question, vector, english, extras)
        if context is not None:  # a follow-up's passages may only be found with its topic
            more, _, _ = self._passages(query, search_vector, english, extras)
            seen = {str(h.doc.id) for h in passages}
            passages = [*passages, *(h for h in more if str(h.doc.id) not in seen)]
        best_sentence = max(
            (s.similarity for s in self.sentences(vector, k=1, roles=("abstract", "body"))), default=0.0
        )
        found = {h.reading_id for h in passages}
        own = [
            Hit(doc, 0.0, sim)
            for doc_id in self.passage_index.readings()
            if is_own_document(doc_id) and doc_id not in found and doc_id not in self.hidden
            for doc, sim in self.passage_index.nearest(vector, 1, [doc_id])
        ]
        return Retrieval(
            question=question,
            lang=lang,
            vector=vector,
            context_vector=context,
            pairs=pairs,
            passages=passages,
            notes=notes,
            readings=self.catalog.search(vector, question, lang),
            matches=matches,
            extras=extras,
            best_passage=best_passage,
            best_sentence=best_sentence,
            own=own,
            ms=(time.perf_counter() - start) * 1000,
        )


def _jaccard(a: set[str], b: set[str]) -> float:
    return len(a & b) / len(a | b) if a and b else 0.0


def _rank_documents(hits: list[Hit]) -> list[Hit]:
    """One hit per document (its best chunk), documents ordered by the sum of their chunks' scores.

    A note is split into level sections; ranking it as a whole stops one stray section of a
    neighbouring note from outranking the note that is about the question.
    """
    totals: dict[str, float] = {}
    best: dict[str, Hit] = {}
    for hit in hits:
        totals[hit.reading_id] = totals.get(hit.reading_id, 0.0) + hit.score
        if hit.reading_id not in best or hit.similarity > best[hit.reading_id].similarity:
            best[hit.reading_id] = hit
    return [best[doc] for doc in sorted(totals, key=lambda d: -totals[d])]
