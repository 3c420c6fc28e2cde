"""Citation markers ↔ sources, quotable sentences, and read-next pointers."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any

from tutor.notes import NoteFile
from tutor.readings import ReadingList
from tutor.retrieve import Hit, tokenize

_MARKER = re.compile(r"\[(\d{1,2})\]")
_SENTENCE_END = re.compile(r"(?<=[.!?。！？])\s+(?=[A-Z0-9\u4e00-\u9fff(“\"])")


@dataclass(frozen=True)
class Citation:
    n: int
    reading_id: str
    title: str
    authors: str  # "Vaswani et al., 2017"
    section: str
    page: int | None
    url: str
    quote: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)

    @property
    def label(self) -> str:
        where = ", ".join(p for p in [self.section, f"p. {self.page}" if self.page else ""] if p)
        return f"{self.title} ({self.authors})" + (f" — {where}" if where else "")


@dataclass(frozen=True)
class ReadNext:
    reading_id: str
    title: str
    section: str
    why: str

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


_PAPER_REFERENCE = re.compile(r"\s?\[\d{1,3}(?:\s?[,–-]\s?\d{1,3})*\]")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")


def clean_text(text: str) -> str:
    """Make document text read as prose and keep it from posing as our citations.

    Joins PDF line breaks and hyphenation, drops Markdown images, and removes the papers' own
    reference markers ("[36]"), which would otherwise look like our [n] markers.
    """
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    text = _MD_IMAGE.sub("", text)
    text = _PAPER_REFERENCE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


def sentences(text: str) -> list[str]:
    """Whole sentences only: a piece starting in lower case was cut mid-sentence by a page or chunk edge."""
    pieces = [s.strip() for s in _SENTENCE_END.split(clean_text(text)) if len(s.strip()) > 25]
    return [s for s in pieces if not s[0].islower()]


def best_sentences(
    body: str, query_tokens: set[str], limit: int = 1, key_tokens: frozenset[str] = frozenset()
) -> list[str]:
    """The sentences of a passage that share the most words with the question.

    Words of the field's own terms (from the glossary) count double.
    """
    scored = []
    for i, sentence in enumerate(sentences(body)):
        if len(sentence) >= 600:
            continue
        words = set(tokenize(sentence))
        overlap = len(words & query_tokens) + len(words & key_tokens)
        if overlap:
            scored.append((overlap / (1 + len(words) ** 0.5), -i, sentence))
    return [s for _, _, s in sorted(scored, reverse=True)[:limit]]


def make_citation(n: int, hit: Hit, readings: ReadingList, quote: str) -> Citation:
    meta = hit.meta
    page = int(meta.get("page") or 0) or None
    reading = readings.by_id.get(hit.reading_id)
    if reading:
        return Citation(
            n,
            reading.id,
            reading.title,
            f"{reading.short_authors}, {reading.year}",
            str(meta.get("section") or ""),
            page,
            reading.page_url(page),
            quote,
        )
    kind = meta.get("kind")
    authors = "tutor notes" if kind == "note" else "your document"
    return Citation(
        n,
        hit.reading_id,
        str(meta.get("title", hit.reading_id)),
        authors,
        str(meta.get("section") or ""),
        page,
        "",
        quote,
    )


def markers_in(text: str) -> list[int]:
    """Marker numbers in order of first appearance."""
    seen: list[int] = []
    for m in _MARKER.finditer(text):
        n = int(m.group(1))
        if n not in seen:
            seen.append(n)
    return seen


def drop_unknown_markers(text: str, valid: set[int]) -> str:
    """Remove [n] markers that point to no source (a model inventing [7] when it saw five)."""
    cleaned = _MARKER.sub(lambda m: m.group(0) if int(m.group(1)) in valid else "", text)
    return re.sub(r"[ \t]+([.,;:。，])", r"\1", cleaned)


def read_next(
    readings: ReadingList,
    answered_by: list[Hit],
    note: NoteFile | None,
    lang: str,
    level: str,
    limit: int = 3,
) -> list[ReadNext]:
    """One to three readings to open next: where the answer came from, then the next step on the path.

    Order: the section that answered the question; the sections the tutor's note points to; for a
    beginner, what comes before on the path; otherwise what follows it.
    """
    picks: list[ReadNext] = []

    def add(reading_id: str, section: str, page: object = None) -> None:
        reading = readings.by_id.get(reading_id)
        if reading and len(picks) < limit and all(p.reading_id != reading_id for p in picks):
            where = section + (f", p. {page}" if page else "")
            picks.append(ReadNext(reading_id, reading.title, where, reading.why(lang)))

    for hit in answered_by[:1]:
        add(hit.reading_id, str(hit.meta.get("section") or ""), hit.meta.get("page"))
    for pointer in note.readings if note else []:
        add(str(pointer.get("id", "")), str(pointer.get("section", "")), pointer.get("page"))
    if picks:
        anchor = picks[0].reading_id
        links = readings.links
        neighbours = (
            [lk.source for lk in links if lk.target == anchor]
            if level == "beginner"
            else [lk.target for lk in links if lk.source == anchor]
        )
        for rid in neighbours:
            sections = readings.by_id[rid].sections
            add(rid, sections[0].name if sections else "")
    for hit in answered_by[1:]:
        add(hit.reading_id, str(hit.meta.get("section") or ""))
    return picks
