"""Concepts on the reading path, their prerequisites, and mastery estimated from attempts.

Path order: a topological order of the notes' `prerequisites` graph that follows the article's stages
and, within a stage, the order of the readings in readings.toml. A concept needed by an earlier-stage
concept (softmax, filed under "further", is a prerequisite of scaled dot-product attention) moves up to
just before the first concept that needs it. So the first unmastered concept on the path is always ready.
"""

from __future__ import annotations

import heapq
from dataclasses import dataclass, field
from functools import cached_property

from tutor.errors import ConfigError
from tutor.notes import Notes
from tutor.readings import ReadingList

MASTERED = 0.8  # mastery at which a concept counts as mastered (three right answers in a row from scratch)
PLACED = 0.85  # the starting mastery of a concept the placement check found known: mastered, until answers say not
DECAY = 0.7  # each older attempt weighs 0.7 times the next newer one


def mastery_from(scores_newest_first: list[float], prior: float = 0.0) -> float:
    """Recency-weighted mean of scores, starting from a prior (0, or PLACED after placement) that fades like an
    old attempt.

    From 0: 1 right → 0.59, 2 → 0.78, 3 → 0.86; a wrong answer after three right ones → 0.55. From PLACED: one
    wrong answer → 0.35, so the learner's own answers soon outweigh the placement.
    """
    weights = [DECAY**i for i in range(len(scores_newest_first))]
    fading = DECAY ** len(scores_newest_first)
    total = sum(w * s for w, s in zip(weights, scores_newest_first, strict=True)) + fading * prior
    return round(total / (sum(weights) + fading), 4)


@dataclass(frozen=True)
class Pointer:
    reading_id: str
    section: str
    page: int | None


@dataclass(frozen=True)
class Concept:
    id: str  # the note id
    stage: str
    title_en: str
    title_zh: str
    prerequisites: tuple[str, ...]
    readings: tuple[Pointer, ...]

    @property
    def slug(self) -> str:
        return self.id.removeprefix("note-")

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


@dataclass
class ConceptPath:
    """Every concept, in path order, with stage information."""

    concepts: list[Concept]
    stage_order: dict[str, int]
    stage_titles: dict[str, tuple[str, str]] = field(default_factory=dict)

    @cached_property
    def by_id(self) -> dict[str, Concept]:
        return {c.id: c for c in self.concepts}

    def resolve(self, name: str) -> Concept | None:
        """A note id or its slug ('softmax', 'note-softmax')."""
        return self.by_id.get(name) or self.by_id.get(f"note-{name}")

    def stages(self) -> list[str]:
        return sorted(self.stage_order, key=self.stage_order.__getitem__)

    def in_stage(self, stage: str) -> list[Concept]:
        return [c for c in self.concepts if c.stage == stage]


def build_path(notes: Notes, readings: ReadingList) -> ConceptPath:
    stage_order = {s.id: s.order for s in readings.stages}
    reading_index = {r.id: i for i, r in enumerate(readings.readings)}
    fronts: dict[str, Concept] = {}
    for f in notes.files:
        if f.id in fronts:
            continue
        pointers = tuple(Pointer(r["id"], r.get("section", ""), r.get("page")) for r in f.readings)
        fronts[f.id] = Concept(
            id=f.id,
            stage=f.stage,
            title_en=str(f.front.get("title_en", f.id)),
            title_zh=str(f.front.get("title_zh", f.front.get("title_en", f.id))),
            prerequisites=tuple(f.prerequisites),
            readings=pointers,
        )
    for c in fronts.values():
        if c.stage not in stage_order:
            raise ConfigError(f"Note {c.id} has unknown stage {c.stage!r}.")
        for p in c.prerequisites:
            if p not in fronts:
                raise ConfigError(f"Note {c.id} lists prerequisite {p!r}, which is not a note.")

    def own_key(c: Concept) -> tuple[int, int]:
        first = min((reading_index.get(p.reading_id, 10_000) for p in c.readings), default=10_000)
        return stage_order[c.stage], first

    dependents: dict[str, list[str]] = {cid: [] for cid in fronts}
    for c in fronts.values():
        for p in c.prerequisites:
            dependents[p].append(c.id)
    effective: dict[str, tuple[int, int]] = {}

    def key(cid: str, trail: tuple[str, ...] = ()) -> tuple[int, int]:
        if cid in trail:
            raise ConfigError(f"The notes' prerequisites form a cycle: {' → '.join((*trail, cid))}.")
        if cid not in effective:
            effective[cid] = min([own_key(fronts[cid]), *(key(d, (*trail, cid)) for d in dependents[cid])])
        return effective[cid]

    waiting = {cid: len(set(c.prerequisites)) for cid, c in fronts.items()}
    heap = [(key(cid), own_key(fronts[cid]), cid) for cid, n in waiting.items() if n == 0]
    heapq.heapify(heap)
    ordered: list[Concept] = []
    while heap:
        _, _, cid = heapq.heappop(heap)
        ordered.append(fronts[cid])
        for d in dict.fromkeys(dependents[cid]):
            waiting[d] -= 1
            if waiting[d] == 0:
                heapq.heappush(heap, (key(d), own_key(fronts[d]), d))
    if len(ordered) != len(fronts):
        stuck = sorted(set(fronts) - {c.id for c in ordered})
        raise ConfigError(f"The notes' prerequisites form a cycle among: {', '.join(stuck)}.")
    titles = {s.id: (s.title_en, s.title_zh) for s in readings.stages}
    return ConceptPath(ordered, stage_order, titles)
