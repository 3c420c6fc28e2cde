"""The reading path as typed objects, loaded from ``corpus/readings.toml``.

Keeping the list as data lets a non-programmer correct a page number; validating it here means
a typo in the TOML fails loudly at start-up rather than as a broken citation later.
"""

from __future__ import annotations

import tomllib
from functools import cached_property
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tutor.errors import ConfigError

Kind = Literal["paper", "book", "docs", "discussion", "article"]


class _Data(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Stage(_Data):
    id: str
    order: int
    title_en: str
    title_zh: str
    summary_en: str
    summary_zh: str
    starters_en: list[str] = []
    starters_zh: list[str] = []

    def title(self, lang: str) -> str:
        return self.title_zh if lang == "zh" else self.title_en


class Section(_Data):
    name: str
    page: int | None = Field(default=None, ge=1, description="1-based page in the copy at pdf_url.")


class Reading(_Data):
    id: str
    title: str
    authors: list[str]
    year: int
    venue: str
    kind: Kind
    stage: str
    url: str
    pdf_url: str | None = None
    format: Literal["pdf", "rst", "md", "html", "txt"] = "pdf"
    verify: str | None = None
    licence: str
    in_article: bool = True
    why_en: str
    why_zh: str
    sections: list[Section] = []
    aliases: list[str] = Field(default=[], description="Names learners use for it: 西瓜书, the ResNet paper, GPT-3.")

    @property
    def fetchable(self) -> bool:
        return self.pdf_url is not None

    @property
    def verify_phrase(self) -> str:
        """What must appear near the start of a file for it to count as this reading."""
        return self.verify or self.title

    @property
    def short_authors(self) -> str:
        first = self.authors[0].split(" (")[0]
        return first if len(self.authors) == 1 else f"{first} et al."

    def why(self, lang: str) -> str:
        return self.why_zh if lang == "zh" else self.why_en

    def page_url(self, page: int | None) -> str:
        """Link to a page of the open PDF where there is one, else the canonical page."""
        if self.pdf_url and self.format == "pdf" and page:
            return f"{self.pdf_url}#page={page}"
        return self.url


class Link(_Data):
    model_config = ConfigDict(extra="forbid", frozen=True, populate_by_name=True)

    source: str = Field(alias="from")
    target: str = Field(alias="to")
    label_en: str
    label_zh: str


class ReadingList(_Data):
    stages: list[Stage]
    readings: list[Reading]
    links: list[Link] = []

    @model_validator(mode="after")
    def _check_references(self) -> ReadingList:
        stage_ids = {s.id for s in self.stages}
        seen: set[str] = set()
        for r in self.readings:
            if r.id in seen:
                raise ValueError(f"reading id {r.id!r} appears twice")
            seen.add(r.id)
            if r.stage not in stage_ids:
                raise ValueError(f"reading {r.id!r} has unknown stage {r.stage!r}")
        for link in self.links:
            for end in (link.source, link.target):
                if end not in seen:
                    raise ValueError(f"link refers to unknown reading {end!r}")
        return self

    @cached_property
    def by_id(self) -> dict[str, Reading]:
        return {r.id: r for r in self.readings}

    def get(self, reading_id: str) -> Reading:
        try:
            return self.by_id[reading_id]
        except KeyError:
            known = ", ".join(sorted(self.by_id))
            raise ConfigError(f"Unknown reading id {reading_id!r}. Known ids: {known}") from None

    def in_stage(self, stage_id: str) -> list[Reading]:
        return [r for r in self.readings if r.stage == stage_id]

    def ordered_stages(self) -> list[Stage]:
        return sorted(self.stages, key=lambda s: s.order)


def load_reading_list(corpus_dir: Path) -> ReadingList:
    path = corpus_dir / "readings.toml"
    try:
        with path.open("rb") as f:
            raw = tomllib.load(f)
    except FileNotFoundError:
        raise ConfigError(f"No reading list at {path}. Is TUTOR_DATA_CORPUS pointing at tutor's corpus/?") from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    try:
        return ReadingList.model_validate(raw)
    except ValidationError as exc:
        raise ConfigError(f"{path} does not match the reading-list schema:\n{exc}") from exc
