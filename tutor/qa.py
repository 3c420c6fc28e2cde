"""Questions learners ask about each concept, with short self-contained answers (corpus/qa/{en,zh}/*.toml).

The offline tutor answers with the pair whose question is closest to the learner's, so a specific
question ("is the degradation problem overfitting?") gets its own answer rather than the concept's
overview. Each pair names the reading, section and page its answer rests on.
"""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from tutor.errors import ConfigError
from tutor.lang.numbers import numbers_in

Kind = Literal["what", "why", "how", "compare", "misconception", "systems", "numbers", "history", "where"]


class Pointer(BaseModel):
    """A place in the reading list: reading (or note) id, section, 1-based PDF page when known."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str
    section: str
    page: int | None = Field(default=None, ge=1)


class QA(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]*$")
    q: str = Field(min_length=8)
    also: list[str] = Field(default_factory=list, max_length=6)
    kind: Kind
    a: str = Field(min_length=20)
    plain: str = ""  # the beginner's answer: shorter, everyday words, no symbols; `a` is for intermediate
    deeper: str = ""
    level: Literal["beginner", "intermediate", "expert", "all"] = "all"
    source: Pointer
    more: list[Pointer] = Field(default_factory=list)
    # Numbers the answer works out rather than quotes (a worked example: "14 GB", "about 70 tokens/s"), as
    # written in it; `tutor audit` does not look for them on the cited pages.
    derived: list[str] = Field(default_factory=list)

    # Filled in by the loader from the file it came from.
    note: str = ""
    lang: str = ""

    @model_validator(mode="after")
    def _derived_numbers_are_in_the_answer(self) -> QA:
        written = " ".join([self.a, self.plain, self.deeper])
        for entry in self.derived:
            if not numbers_in(entry):
                raise ValueError(f"derived entry {entry!r} states no number")
            if entry not in written:
                raise ValueError(f"derived entry {entry!r} is not written in a, plain or deeper")
        return self

    @property
    def key(self) -> str:
        """Unique across the corpus: note, language and pair id."""
        return f"{self.note}#{self.lang}:{self.id}"

    def answer_at(self, level: str) -> str:
        """The answer for a level: plain words for a beginner, the answer for intermediate, and the deeper
        detail (the equation, the paper's numbers) added for an expert."""
        if level == "beginner":
            return self.plain or self.a
        if level == "expert" and self.deeper:
            return f"{self.a} {self.deeper}"
        return self.a

    @property
    def search_text(self) -> str:
        """What retrieval matches a learner's question against: the question and its phrasings."""
        return "\n".join([self.q, *self.also])


class QAFile(BaseModel):
    model_config = ConfigDict(extra="forbid")

    note: str
    qa: list[QA]


def qa_files(corpus_dir: Path) -> list[tuple[str, Path]]:
    """(language, path) for every Q&A file in the corpus."""
    return [(lang, p) for lang in ("en", "zh") for p in sorted((corpus_dir / "qa" / lang).glob("*.toml"))]


def read_qa_file(path: Path, lang: str) -> QAFile:
    try:
        raw = tomllib.loads(path.read_text(encoding="utf-8"))
        parsed = QAFile.model_validate(raw)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path} is not valid TOML: {exc}") from exc
    except ValidationError as exc:
        raise ConfigError(f"{path} does not match the Q&A schema (see corpus/README.md):\n{exc}") from exc
    if path.stem != parsed.note.removeprefix("note-"):
        raise ConfigError(f"{path}: file name must be the note id without 'note-' ({parsed.note}).")
    parsed.qa = [item.model_copy(update={"note": parsed.note, "lang": lang}) for item in parsed.qa]
    ids = [item.id for item in parsed.qa]
    if len(ids) != len(set(ids)):
        raise ConfigError(f"{path}: Q&A ids must be unique within the file.")
    return parsed


def load_qa(corpus_dir: Path) -> list[QA]:
    """Every Q&A pair in the corpus, in file order."""
    return [item for lang, path in qa_files(corpus_dir) for item in read_qa_file(path, lang).qa]
