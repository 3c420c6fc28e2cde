"""Question in, ranked passages with scores out.

Two retrievers over the same committed chunks — dense search in Chroma and BM25 — fused by
reciprocal rank, then thinned so one long paper cannot crowd out the rest. Chinese questions reach
the English readings twice over: the multilingual embedding matches across languages, and the
glossary adds the English terms BM25 needs. A follow-up ("and why divide by √d?") is searched
together with the question it follows.
"""

from __future__ import annotations

import re
import threading
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from langchain_core.documents import Document
from rank_bm25 import BM25Okapi

from tutor.config import Settings
from tutor.glossary import Glossary
from tutor.ingest import chunk_body
from tutor.store import Store

_CJK = re.compile(r"[\u4e00-\u9fff]")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_STOP = frozenset(
    {
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "into",
        "than",
        "also",
        "just",
        "more",
        "most",
        "other",
        "some",
        "such",
        "them",
        "they",
        "we",
        "our",
        "us",
        "me",
        "my",
    }
)
_FOLLOW_UP_START = re.compile(
    r"^\s*(and|but|so|then|also|what about|how about|why|because|那|那么|还有|那为什么|为什么|为何|所以|然后|它|这)",
    re.I,
)
_PRONOUN = re.compile(r"\b(it|its|this|that|these|those|they|them|he|she)\b|它|这个|那个|这种|其", re.I)


def detect_language(text: str) -> str:
    """'zh' when Chinese characters make up a real share of the text, else 'en'."""
    cjk = len(_CJK.findall(text))
    latin = len(re.findall(r"[A-Za-z]", text))
    return "zh" if cjk and cjk * 3 >= latin else "en"


def tokenize(text: str) -> list[str]:
    """English words without stop words, plus overlapping CJK bigrams for Chinese text."""
    lowered = text.lower()
    tokens = [w for w in _WORD.findall(lowered) if w not in _STOP and len(w) > 1]
    for run in re.findall(r"[\u4e00-\u9fff]+", lowered):
        tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return tokens


def is_follow_up(question: str) -> bool:
    words = question.split()
    short = len(words) <= 6 if detect_language(question) == "en" else len(_CJK.findall(question)) <= 10
    return bool(_FOLLOW_UP_START.match(question) or _PRONOUN.search(question) or short)


def resolve_follow_up(question: str, history: Sequence[str]) -> str:
    """Search a follow-up together with the question before it; a standalone question as it is."""
    if history and is_follow_up(question):
        return f"{history[-1]} {question}"
    return question


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


@dataclass
class Retrieval:
    question: str
    query: str  # what was searched: follow-up resolved, English glossary terms added
    lang: str
    passages: list[Hit]  # from the readings and the learner's documents, diverse across readings
    notes: list[Hit]  # the project's notes, best first
    covered: bool
    best_similarity: float
    english_terms: list[str] = field(default_factory=list)
    domain_terms: list[str] = field(default_factory=list)
    ms: float = 0.0


class Retriever:
    """Hybrid retrieval over the committed chunks of a Store."""

    def __init__(self, settings: Settings, store: Store, glossary: Glossary) -> None:
        self.settings = settings
        self.store = store
        self.glossary = glossary
        self._lock = threading.Lock()  # the web app retrieves from many threads at once
        self._bm25_key: tuple[str, ...] = ()
        self._bm25: BM25Okapi | None = None
        self._docs: list[Document] = []

    def _lexical_index(self) -> tuple[BM25Okapi | None, list[Document]]:
        """BM25 over every committed chunk, rebuilt only when the committed set changes."""
        key = tuple(sorted(self.store.manifest.committed_hashes))
        with self._lock:
            if key != self._bm25_key:
                self._docs = self.store.chunks()
                self._bm25 = BM25Okapi([tokenize(d.page_content) for d in self._docs]) if self._docs else None
                self._bm25_key = key
            return self._bm25, self._docs

    def warm_up(self) -> None:
        """Load the embedding model and build BM25 now, rather than in the first learner's request."""
        self.retrieve("attention")

    def _dense(self, query: str) -> list[tuple[Document, float]]:
        if not self.store.manifest.docs:
            return []
        found = self.store.vectorstore.similarity_search_with_score(
            query, k=self.settings.retrieval.candidates, filter=self.store.committed_filter()
        )
        return [(doc, 1.0 - float(distance)) for doc, distance in found]

    def _lexical(self, query: str) -> list[Document]:
        bm25, docs = self._lexical_index()
        tokens = tokenize(query)
        if bm25 is None or not tokens:
            return []
        scores = bm25.get_scores(tokens)
        ranked = sorted(range(len(docs)), key=lambda i: -scores[i])[: self.settings.retrieval.candidates]
        return [docs[i] for i in ranked if scores[i] > 0]

    def retrieve(self, question: str, history: Sequence[str] = (), lang: str | None = None) -> Retrieval:
        start = time.perf_counter()
        self.store.refresh()  # another process's ingest becomes visible here, before any search
        cfg = self.settings.retrieval
        resolved = resolve_follow_up(question, history)
        lang = lang or detect_language(question)
        terms = self.glossary.terms_in(resolved)  # matched once: it is the costliest step before search
        english = [t.en for t in terms]  # what the English readings will say
        domain = [t.key for t in terms if not t.generic]
        lexical_query = " ".join([resolved, *english])

        dense = self._dense(resolved)
        lexical = self._lexical(lexical_query)
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
        query_tokens = set(tokenize(resolved))
        for key, doc in docs.items():
            overlap = _jaccard(query_tokens, set(tokenize(str(doc.metadata.get("title", "")))))
            if overlap >= 0.5:
                fused[key] += overlap / (cfg.rrf_k + 1)
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
        best = max((sim for _, sim in dense), default=0.0)  # the notes are part of what the tutor covers
        return Retrieval(
            question=question,
            query=resolved,
            lang=lang,
            passages=passages,
            notes=notes,
            # Similar passages alone are not enough (GPT-2's appendix has a cake recipe): the question
            # must also use the field's vocabulary, unless the match is very close.
            covered=bool(passages or notes)
            and best >= cfg.min_similarity
            and (bool(domain) or best >= cfg.confident_similarity),
            best_similarity=best,
            english_terms=english,
            domain_terms=domain,
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
