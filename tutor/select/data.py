"""Labelled questions: what the selector is fitted on, chosen on, and tested on (eval/select/, eval/test/).

One JSON object a line. `answers` names what answers the question's point: a Q&A pair as
"note-<slug>:<pair id>" (in either language: pairs that share an id are the same question), a concept's
overview as "note-<slug>:overview", a learner's document as "doc:<file name>" and the calculator as
"numbers:<function>". The frozen test split is written by someone who has not seen the bank, so its
questions carry a decision, facts and a reference answer but no `answers`.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from tutor.jsonl import load_jsonl

Part = Literal["real", "grid", "conversation", "own-doc", "trap"]
Decision = Literal["answer", "closest", "decline"]
Aspect = Literal[
    "definition", "mechanism", "reason", "comparison", "quantity", "yesno", "example", "history", "explain"
]


class Labelled(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9._-]*$")
    question: str = Field(min_length=2)
    lang: Literal["en", "zh"]
    level: Literal["beginner", "intermediate", "expert"] = "beginner"
    history: list[str] = Field(default_factory=list)  # earlier questions of the conversation, oldest first
    part: Part
    source: str = ""  # the address a real question was asked at; "grid", "written" otherwise
    decision: Decision
    note: str = ""  # the concept asked about (note id); "" when declined or unknown
    answers: list[str] = Field(default_factory=list)
    aspect: Aspect | None = None
    verdict: Literal["yes", "no", "partly"] | None = None  # the right answer to a yes/no question
    facts: list[list[str]] = Field(default_factory=list)  # any string of each group must appear
    docs: list[str] = Field(default_factory=list)  # files under eval/docs/ added before asking
    reference: str = ""  # a reference answer (the test split's raters grade against it)

    @model_validator(mode="after")
    def _consistent(self) -> Labelled:
        if self.part == "real" and not self.source.startswith(("http://", "https://")):
            raise ValueError("a real question records the address it was asked at")
        if self.decision == "decline" and self.answers:
            raise ValueError("a declined question has no answers")
        if self.part == "own-doc" and not self.docs:
            raise ValueError("an own-document question names the documents it needs")
        return self

    @property
    def split(self) -> str:
        """train or dev, fixed by the id: a quarter of the written questions choose features and thresholds."""
        return "dev" if int(hashlib.sha256(self.id.encode()).hexdigest(), 16) % 4 == 0 else "train"


def load_labelled(path: Path) -> list[Labelled]:
    """Every labelled question in a file, or a ConfigError naming the line that is wrong."""
    return load_jsonl(path, Labelled, "see eval/select/README.md")


def load_dir(folder: Path) -> list[Labelled]:
    """The labelled questions of every *.jsonl file in a folder, in file order."""
    return [item for path in sorted(folder.glob("*.jsonl")) for item in load_labelled(path)]


def with_libraries(path: Path) -> list[tuple[Labelled, frozenset[str]]]:
    """Each labelled question of a file (or of every file in a folder) with its library: the documents its file's
    questions name. A test split was asked of one learner who had added its few documents, for every one of its
    questions; a file that names none was asked with none."""
    out: list[tuple[Labelled, frozenset[str]]] = []
    for file in sorted(path.glob("*.jsonl")) if path.is_dir() else [path]:
        items = load_labelled(file)
        library = frozenset(d for item in items for d in item.docs)
        out.extend((item, library) for item in items)
    return out
