"""The reading list as searchable entries, so readings without a file here can still be found.

"Which chapters of the watermelon book should I read first?" or "How big is GPT-3?" are about
readings that exist only as metadata (the books, GPT-3, the Stack Exchange threads). Each reading's
title, authors, aliases, reason for being on the path and the sections the article points to are
embedded in both languages and searched beside the documents.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cached_property

import numpy as np

from tutor.lang.tokens import tokenize
from tutor.readings import Reading, ReadingList
from tutor.vectors import VectorCache


@dataclass(frozen=True)
class CatalogHit:
    reading: Reading
    similarity: float
    named: bool  # the question names the reading (title, alias, or first author with the year)


def entry_text(reading: Reading, lang: str) -> str:
    """What a learner might say about a reading: its names, why it is on the path, what to read in it."""
    names = "; ".join([reading.title, *reading.aliases])
    sections = "; ".join(s.name for s in reading.sections)
    if lang == "zh":
        return f"{names}。{reading.short_authors}，{reading.year}。{reading.why_zh} 章节：{sections}"
    return f"{names}. {reading.short_authors}, {reading.year}. {reading.why_en} Sections: {sections}"


class ReadingCatalog:
    def __init__(self, readings: ReadingList, cache: VectorCache) -> None:
        self.readings = readings
        self.cache = cache

    @cached_property
    def _matrix(self) -> dict[str, np.ndarray]:
        return {lang: self.cache.matrix([entry_text(r, lang) for r in self.readings.readings]) for lang in ("en", "zh")}

    @cached_property
    def _names(self) -> list[list[set[str]]]:
        """For each reading, the token sets of its names; a question containing all of one names it."""
        out = []
        for r in self.readings.readings:
            names = [r.title.split("(")[0], *r.aliases]
            out.append([set(tokenize(n)) for n in names if len(set(tokenize(n))) >= 1])
        return out

    def warm_up(self) -> None:
        _ = self._matrix, self._names

    def search(self, vector: np.ndarray, question: str, lang: str, k: int = 3) -> list[CatalogHit]:
        sims = self._matrix[lang] @ vector
        words = set(tokenize(question))
        hits = []
        for i, reading in enumerate(self.readings.readings):
            named = any(name and name <= words and len(name) >= 2 for name in self._names[i]) or any(
                alias in question for alias in reading.aliases if len(alias) >= 3
            )
            hits.append(CatalogHit(reading, float(sims[i]), named))
        hits.sort(key=lambda h: (h.named, h.similarity), reverse=True)
        return hits[:k]
