"""Practice items (corpus/practice/{en,zh}/<slug>.toml) as validated, typed objects.

A typo in a practice file should fail loudly with the file and the item named, not show a learner a
question with two right answers; so every rule the corpus README states is checked here, once, on load.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator

from tutor.errors import ConfigError
from tutor.notes import LANGS
from tutor.readings import ReadingList

Level = Literal["beginner", "intermediate", "expert"]
LEVEL_RANK = {"beginner": 0, "intermediate": 1, "expert": 2}
LETTERS = "ABCDEFGH"


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Source(_Data):
    """Where the item's answer is taught: a reading id (or a note id), its section and 1-based page."""

    id: str = Field(min_length=1)
    section: str = Field(min_length=1)
    page: int | None = Field(default=None, ge=1)


class McqItem(_Data):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    level: Level
    question: str = Field(min_length=5)
    choices: list[str] = Field(min_length=2, max_length=len(LETTERS))
    answer: str
    explain: str = Field(min_length=5)
    why_wrong: dict[str, str]
    source: Source
    placement: bool = False  # one of the few items of the placement check (tutor/study/placement.py)

    @field_validator("choices")
    @classmethod
    def _distinct_choices(cls, choices: list[str]) -> list[str]:
        if any(not c.strip() for c in choices):
            raise ValueError("a choice is empty")
        if len({c.strip().lower() for c in choices}) != len(choices):
            raise ValueError("two choices are the same")
        return choices

    @model_validator(mode="after")
    def _one_right_answer(self) -> McqItem:
        letters = LETTERS[: len(self.choices)]
        if len(self.answer) != 1 or self.answer not in letters:
            raise ValueError(f"answer must be exactly one letter of {', '.join(letters)}, not {self.answer!r}")
        wrong = set(letters) - {self.answer}
        if self.answer in self.why_wrong:
            raise ValueError(f"why_wrong explains the right answer {self.answer}; it is for wrong choices only")
        if unknown := set(self.why_wrong) - set(letters):
            raise ValueError(f"why_wrong names choices that do not exist: {sorted(unknown)}")
        if missing := sorted(wrong - set(self.why_wrong)):
            raise ValueError(f"why_wrong lacks an explanation for choice(s) {', '.join(missing)}")
        if any(len(text.strip()) < 3 for text in self.why_wrong.values()):
            raise ValueError("a why_wrong explanation is empty")
        return self

    @property
    def kind(self) -> Literal["mcq"]:
        return "mcq"

    @property
    def letters(self) -> str:
        return LETTERS[: len(self.choices)]


class KeyPoint(_Data):
    point: str = Field(min_length=3)
    terms: list[list[str]] = Field(min_length=1)
    polarity: Literal["positive", "negative"] = "positive"

    @field_validator("terms")
    @classmethod
    def _groups_have_terms(cls, groups: list[list[str]]) -> list[list[str]]:
        for group in groups:
            if not group or any(not t.strip() for t in group):
                raise ValueError("every terms group needs at least one non-empty wording")
        return groups


class OpenItem(_Data):
    id: str = Field(min_length=1, pattern=r"^[A-Za-z0-9_-]+$")
    level: Level
    question: str = Field(min_length=5)
    reference: str = Field(min_length=5)
    source: Source
    key_points: list[KeyPoint] = Field(min_length=1)

    @property
    def kind(self) -> Literal["open"]:
        return "open"


class PracticeFile(_Data):
    note: str = Field(pattern=r"^note-[a-z0-9-]+$")
    # false for a note about using the tutor itself: its items are asked only when chosen, never proposed as
    # "next", never in the placement check, and not counted as progress along the path.
    quiz: bool = True
    mcq: list[McqItem] = []
    open: list[OpenItem] = []

    @model_validator(mode="after")
    def _unique_ids(self) -> PracticeFile:
        seen: set[str] = set()
        bodies: list[McqItem | OpenItem] = [*self.mcq, *self.open]
        for item in bodies:
            if item.id in seen:
                raise ValueError(f"item id {item.id!r} appears twice in the file")
            seen.add(item.id)
        return self


@dataclass(frozen=True)
class Item:
    """One practice item with where it comes from: `id` is <slug>.<lang>.<local id>, stable across releases."""

    id: str
    concept: str  # the note id, e.g. note-residual-connections
    lang: str
    body: McqItem | OpenItem
    quiz: bool = True  # false for items about using the tutor (see PracticeFile.quiz)

    @property
    def kind(self) -> Literal["mcq", "open"]:
        return self.body.kind

    @property
    def level(self) -> str:
        return self.body.level

    @property
    def question(self) -> str:
        return self.body.question

    @property
    def source(self) -> Source:
        return self.body.source

    @property
    def placement(self) -> bool:
        return isinstance(self.body, McqItem) and self.body.placement and self.quiz


def item_id(note_id: str, lang: str, local_id: str) -> str:
    return f"{note_id.removeprefix('note-')}.{lang}.{local_id}"


def load_practice_file(path: Path, lang: str, readings: ReadingList | None = None) -> list[Item]:
    """Read and validate one file; ConfigError names the file and what to fix."""
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        parsed = PracticeFile.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} does not match the practice-item schema (corpus/README.md):\n{exc}") from exc
    if parsed.note.removeprefix("note-") != path.stem:
        raise ConfigError(f"{path}: note = {parsed.note!r} but the file is named {path.stem}.toml; they must agree.")
    bodies: list[McqItem | OpenItem] = [*parsed.mcq, *parsed.open]
    items = [Item(item_id(parsed.note, lang, b.id), parsed.note, lang, b, parsed.quiz) for b in bodies]
    if readings is not None:
        for item in items:
            src = item.source.id
            if not src.startswith("note-") and src not in readings.by_id:
                raise ConfigError(
                    f"{path}: item {item.id} cites unknown reading {src!r}; use an id from readings.toml."
                )
    return items


class ItemBank:
    """Every practice item, by id and by concept."""

    def __init__(self, items: list[Item]) -> None:
        self.items = items

    @cached_property
    def by_id(self) -> dict[str, Item]:
        return {i.id: i for i in self.items}

    @cached_property
    def by_concept(self) -> dict[str, list[Item]]:
        grouped: dict[str, list[Item]] = {}
        for item in self.items:
            grouped.setdefault(item.concept, []).append(item)
        return grouped

    def for_concept(self, concept: str, lang: str | None = None) -> list[Item]:
        found = self.by_concept.get(concept, [])
        return [i for i in found if lang is None or i.lang == lang]

    def quiz(self, concept: str) -> bool:
        """The concept has items that are about the subject (not about using the tutor)."""
        return any(i.quiz for i in self.by_concept.get(concept, []))


def practice_files(corpus_dir: Path) -> list[tuple[Path, str]]:
    found: list[tuple[Path, str]] = []
    for lang in LANGS:
        folder = corpus_dir / "practice" / lang
        if folder.is_dir():
            found.extend((p, lang) for p in sorted(folder.glob("*.toml")))
    return found


def load_items(corpus_dir: Path, readings: ReadingList | None = None) -> ItemBank:
    """All practice files under corpus/practice; none yet is an empty bank, not an error."""
    items: list[Item] = []
    for path, lang in practice_files(corpus_dir):
        items.extend(load_practice_file(path, lang, readings))
    return ItemBank(items)
