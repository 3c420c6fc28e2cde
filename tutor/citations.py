"""Citations numbered exactly as the [n] markers in an answer, and read-next pointers.

A citation names the reading (or the tutor's note, or the reading-list entry of a reading that has no
file here), the section and the 1-based page, and carries the quoted sentence when there is one.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from typing import Any, Literal

from tutor.readings import ReadingList

_MARKER = re.compile(r"\[(\d{1,2})\]")

CitationKind = Literal["reading", "note", "reading-list", "user"]


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
    kind: CitationKind = "reading"
    ocr: bool = False  # the quote comes from OCR text, not the file's own text layer

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
    section: str  # "3.1 Pre-training BERT, p. 4"
    why: str
    question: str = ""  # a question the learner can click to ask next, in their language

    def as_json(self) -> dict[str, Any]:
        return asdict(self)


class CitationBook:
    """Hands out citation numbers in order of first use, one per (reading, section, page)."""

    def __init__(self, readings: ReadingList, note_label: str) -> None:
        self.readings = readings
        self.note_label = note_label  # "tutor notes" / "导师笔记"
        self._by_key: dict[tuple[str, str, int | None], Citation] = {}

    @property
    def citations(self) -> list[Citation]:
        return sorted(self._by_key.values(), key=lambda c: c.n)

    def cite(
        self,
        reading_id: str,
        section: str = "",
        page: int | None = None,
        quote: str = "",
        *,
        title: str = "",
        kind: CitationKind | None = None,
        ocr: bool = False,
    ) -> int:
        """The number of this place, numbering it if it is new; a first quote given sticks."""
        key = (reading_id, section, page)
        if key in self._by_key:
            found = self._by_key[key]
            if quote and not found.quote:
                self._by_key[key] = Citation(**{**asdict(found), "quote": quote, "ocr": ocr})
            return found.n
        n = len(self._by_key) + 1
        reading = self.readings.by_id.get(reading_id)
        if reading is not None:
            have_file = kind != "reading-list"
            citation = Citation(
                n,
                reading.id,
                reading.title,
                f"{reading.short_authors}, {reading.year}",
                section,
                page,
                reading.page_url(page) if have_file else reading.url,
                quote,
                kind or "reading",
                ocr,
            )
        elif reading_id.startswith("note-"):
            citation = Citation(n, reading_id, title or reading_id, self.note_label, section, None, "", quote, "note")
        else:
            citation = Citation(
                n, reading_id, title or reading_id, "your document", section, page, "", quote, "user", ocr
            )
        self._by_key[key] = citation
        return n


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
