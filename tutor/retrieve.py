"""Question in; the Q&A pairs, passages, sentences and readings that bear on it out, with a verdict on coverage.

The question is embedded once (multilingual USE, so a Chinese question meets English papers) and
searched five ways: the tutor's Q&A pairs, the reading list, passages (dense search in Chroma and BM25
with the glossary's English terms, fused by reciprocal rank, at most two per reading), and the
sentences of the readings and notes. Whether the readings cover the question is decided from how
close the best pair and passage are *and* whether the question uses the field's own vocabulary;
words with everyday senses ("tree", 注意力) count only as weak evidence.
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
from rank_bm25 import BM25Okapi

from tutor.catalog import CatalogHit, ReadingCatalog
from tutor.config import Settings
from tutor.conversation import Turn, refers_back
from tutor.facets import FacetHit, FacetIndex
from tutor.glossary import Glossary, Match
from tutor.ingest import chunk_body
from tutor.roles import NEVER_QUOTED, QUOTABLE
from tutor.store import Store
from tutor.text import detect_language, tokenize
from tutor.vectors import normalise

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
    def body(self) -> str:
        return chunk_body(self.doc.page_content)


@dataclass(frozen=True)
class Sentence:
    """One indexed sentence of a reading or note, and how close it is to what was searched."""

    text: str
    meta: dict[str, Any]
    similarity: float

    @property
    def reading_id(self) -> str:
        return str(self.meta.get("reading_id", ""))

    @property
    def is_note(self) -> bool:
        return self.meta.get("source_kind") == "note"

    @property
    def page(self) -> int | None:
        return int(self.meta.get("page") or 0) or None


@dataclass(frozen=True)
class Coverage:
    """The numbers coverage is decided on, kept so `tutor eval` can show why a question was refused."""

    facet: float
    passage: float
    strong_terms: int
    weak_terms: int
    named_reading: bool


@dataclass
class Retrieval:
    question: str
    query: str  # what was searched: the question, or with the previous question for a follow-up
    lang: str
    vector: np.ndarray  # the embedded question (unit length)
    facets: list[FacetHit]
    passages: list[Hit]  # from the readings and the learner's documents, diverse across readings
    notes: list[Hit]  # the project's notes, best first
    readings: list[CatalogHit]  # reading-list entries, best first
    covered: bool
    best_similarity: float
    matches: list[Match] = field(default_factory=list)
    follow_up: bool = False
    topic: str = ""  # note id of the concept the question is about ("" when unknown)
    extras: bool = False  # the learner asks about an appendix, a figure, a table or code
    coverage: Coverage | None = None
    ms: float = 0.0

    @property
    def english_terms(self) -> list[str]:
        return [m.term.en for m in self.matches]

    @property
    def domain_terms(self) -> list[str]:
        return [m.term.key for m in self.matches if not m.everyday]

    @property
    def facet(self) -> FacetHit | None:
        return self.facets[0] if self.facets else None

    def roles(self) -> list[str]:
        """The chunk roles worth quoting for this question."""
        return sorted(QUOTABLE | ({"appendix", "figure", "code"} if self.extras else set()))


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
        self._bm25_key: tuple[str, ...] = ()
        self._bm25: BM25Okapi | None = None
        self._docs: list[Document] = []

    # ------------------------------------------------------------------------------------------ pieces

    def embed(self, text: str) -> np.ndarray:
        return normalise(np.asarray(self.store.embeddings.embed_query(text), dtype=np.float32))

    def _passage_filter(self) -> dict[str, Any]:
        return {
            "$and": [
                self.store.committed_filter(),
                {"kind": {"$ne": "sentence"}},
                {"role": {"$nin": sorted(NEVER_QUOTED)}},
            ]
        }

    def _lexical_index(self) -> tuple[BM25Okapi | None, list[Document]]:
        """BM25 over every committed passage, rebuilt only when the committed set changes."""
        key = tuple(self.store.manifest.committed_hashes)
        with self._lock:
            if key != self._bm25_key:
                where = {"$and": [{"kind": {"$ne": "sentence"}}, {"role": {"$nin": sorted(NEVER_QUOTED)}}]}
                self._docs = self.store.chunks(where)
                self._bm25 = BM25Okapi([tokenize(d.page_content) for d in self._docs]) if self._docs else None
                self._bm25_key = key
            return self._bm25, self._docs

    def warm_up(self) -> None:
        """Load the model, embed the Q&A pairs and reading list, build BM25: before the first learner asks."""
        self.facet_index.warm_up()
        self.catalog.warm_up()
        self.retrieve("attention")

    def _dense(self, vector: np.ndarray) -> list[tuple[Document, float]]:
        if not self.store.manifest.docs:
            return []
        return self.store.vectorstore.search_by_vector(
            vector.tolist(), k=self.settings.retrieval.candidates, filter=self._passage_filter()
        )

    def _lexical(self, query: str) -> list[Document]:
        bm25, docs = self._lexical_index()
        tokens = tokenize(query)
        if bm25 is None or not tokens:
            return []
        scores = bm25.get_scores(tokens)
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
        if not self.store.manifest.docs:
            return []
        clauses: list[dict[str, Any]] = [
            self.store.committed_filter(),
            {"kind": "sentence"},
            {"role": {"$in": list(roles)}},
        ]
        if reading_ids is not None:
            clauses.append({"reading_id": {"$in": list(reading_ids) or ["__none__"]}})
        if notes is not None:
            clauses.append({"source_kind": "note"} if notes else {"source_kind": {"$ne": "note"}})
        found = self.store.vectorstore.search_by_vector(vector.tolist(), k=k, filter={"$and": clauses})
        return [Sentence(doc.page_content, dict(doc.metadata), sim) for doc, sim in found]

    # ------------------------------------------------------------------------------------------ search

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
        start = time.perf_counter()
        refresh = getattr(self.store, "refresh", None)
        if refresh is not None:
            refresh()
        cfg = self.settings.retrieval
        lang = lang or detect_language(question)
        vector = self.embed(question)
        matches = self.glossary.matches_in(question)
        extras = bool(_ASKS_FOR_EXTRAS.search(question))
        own_tokens = tokenize(" ".join([question, *(m.term.en for m in matches)]))
        facets = self.facet_index.search(vector, own_tokens, lang)

        # A follow-up: it refers back, and a new pair about the previous concept fits it at least as well
        # as anything else (or it is pure ellipsis: "why?", "具体呢？").
        previous = history[-1] if history else None
        follow_up = False
        if previous and previous.topic and refers_back(question):
            exclude = {previous.facet} if previous.facet else set()
            within = self.facet_index.search(vector, own_tokens, lang, notes={previous.topic}, exclude=exclude)
            fits = bool(within) and within[0].score >= cfg.follow_up_facet
            strong = any(not m.everyday for m in matches)
            if strong:
                follow_up = fits and within[0].score >= (facets[0].score if facets else 0.0) - cfg.follow_up_margin
            else:
                follow_up = fits or is_ellipsis(question)
            if follow_up:
                facets = within if fits else []

        query, search_vector, search_matches = question, vector, matches
        if follow_up and previous is not None:
            query = f"{previous.question} {question}"  # the previous question supplies the topic
            search_vector = normalise(vector + self.embed(previous.question))
            search_matches = self.glossary.matches_in(query)
        english = [m.term.en for m in search_matches]
        passages, notes, best_passage = self._passages(query, search_vector, english, extras)
        catalog = self.catalog.search(search_vector, question, lang)
        coverage = Coverage(
            facet=max((f.similarity for f in facets[:1]), default=0.0),
            passage=best_passage,
            strong_terms=sum(not m.everyday for m in matches),
            weak_terms=sum(m.everyday for m in matches),
            named_reading=any(h.named for h in catalog[:1]),
        )
        covered = bool(passages or notes or facets or catalog) and (follow_up or self.judge(coverage))
        if follow_up and previous is not None:
            topic = facets[0].qa.note if facets else previous.topic
        else:
            topic = facets[0].qa.note if facets else (notes[0].reading_id if notes else "")
        return Retrieval(
            question=question,
            query=query,
            lang=lang,
            vector=vector,
            facets=facets,
            passages=passages,
            notes=notes,
            readings=catalog,
            covered=covered,
            best_similarity=max(best_passage, coverage.facet),
            matches=search_matches,
            follow_up=follow_up,
            topic=topic,
            extras=extras,
            coverage=coverage,
            ms=(time.perf_counter() - start) * 1000,
        )

    def judge(self, c: Coverage) -> bool:
        """Is the question on the path? Close Q&A pairs or passages, and the field's own words.

        Similar text alone is not enough (GPT-2's appendix has a cake recipe), nor is one everyday
        word ("How do I plant an apple tree?").
        """
        cfg = self.settings.retrieval
        if c.named_reading:
            return True
        closest = max(c.facet, c.passage)
        if c.strong_terms:
            return closest >= cfg.min_similarity
        if c.weak_terms:
            return c.facet >= cfg.weak_term_similarity and c.passage >= cfg.min_similarity
        return c.facet >= cfg.confident_similarity or c.passage >= cfg.confident_similarity


_ELLIPSIS_WORDS = frozenset(
    [
        "and",
        "but",
        "so",
        "then",
        "also",
        "why",
        "how",
        "what",
        "about",
        "come",
        "is",
        "that",
        "this",
        "it",
        "does",
        "do",
        "mean",
        "means",
        "example",
        "examples",
        "more",
        "detail",
        "details",
        "explain",
        "again",
        "please",
        "ok",
        "okay",
    ]
)


def is_ellipsis(question: str) -> bool:
    """A question with no content of its own: "why?", "and then?", "具体呢？", "能举个例子吗？"."""
    words = [w for w in tokenize(question) if w not in _ELLIPSIS_WORDS]
    cjk = re.sub(r"[^\u4e00-\u9fff]", "", question)
    cjk = re.sub(r"[那么为什么怎样还有呢吗吧啊所以然后具体能举个例子说明一下再详细讲讲这它是的呀]", "", cjk)
    return len([w for w in words if not re.search(r"[\u4e00-\u9fff]", w)]) == 0 and len(cjk) <= 1


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
