"""The project's own study notes: Markdown files with TOML front matter in corpus/notes/<lang>/.

Each note has the same id in every language; its level sections are marked by localised
headings ("## Beginner" / "## 入门"), which this module maps back to a level name.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from functools import cached_property
from pathlib import Path
from typing import Any

from tutor.errors import ConfigError
from tutor.loaders import strip_front_matter

LANGS = ("en", "zh")

# Localised section headings → the key code selects on.
SECTION_HEADINGS: dict[str, dict[str, str]] = {
    "en": {
        "Beginner": "beginner",
        "Intermediate": "intermediate",
        "Expert": "expert",
        "Systems analogy": "analogy",
        "Common confusions": "confusions",
        "Self-check": "self-check",
        "Read next": "read-next",
    },
    "zh": {
        "入门": "beginner",
        "进阶": "intermediate",
        "专家": "expert",
        "系统类比": "analogy",
        "常见误区": "confusions",
        "自测": "self-check",
        "接下来读": "read-next",
    },
}
LEVEL_KEYS = ("beginner", "intermediate", "expert")


# Sections shown when a learner asks for them and never retrieved: an analogy's cache, ADC and TCP words would
# draw questions about caches, ADCs and TCP to the note.
UNINDEXED_SECTIONS = frozenset({"analogy"})


def indexed_heading(heading: str) -> bool:
    """Whether a note's section is indexed for retrieval (every section but UNINDEXED_SECTIONS)."""
    return all(table.get(heading.strip()) not in UNINDEXED_SECTIONS for table in SECTION_HEADINGS.values())


def level_of_heading(heading: str) -> str:
    """'Beginner' or '入门' → 'beginner'; any other heading → ''."""
    for table in SECTION_HEADINGS.values():
        key = table.get(heading.strip())
        if key in LEVEL_KEYS:
            return key
    return ""


@dataclass(frozen=True)
class NoteFile:
    id: str
    lang: str
    stage: str
    title: str
    path: Path
    front: dict[str, Any]
    body: str

    @cached_property
    def sections(self) -> dict[str, str]:
        """Section key ('beginner', 'confusions', …) → its Markdown text."""
        table = SECTION_HEADINGS[self.lang]
        found: dict[str, str] = {}
        parts = re.split(r"^##\s+(.+?)\s*$", self.body, flags=re.M)
        for heading, text in zip(parts[1::2], parts[2::2], strict=True):
            if heading in table:
                found[table[heading]] = text.strip()
        return found

    @property
    def readings(self) -> list[dict[str, Any]]:
        """Where in the readings this note points: [{id, section, page?}]."""
        return list(self.front.get("readings", []))

    @property
    def prerequisites(self) -> list[str]:
        return list(self.front.get("prerequisites", []))

    @property
    def terms(self) -> list[str]:
        return list(self.front.get("terms", []))


def read_note_file(path: Path, lang: str) -> NoteFile:
    text = path.read_text(encoding="utf-8")
    front_src, body = strip_front_matter(text)
    if not front_src:
        raise ConfigError(f"{path}: a note must start with +++ TOML front matter +++.")
    try:
        front = tomllib.loads(front_src)
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(f"{path}: front matter is not valid TOML: {exc}") from exc
    for key in ("id", "stage", f"title_{lang}"):
        if key not in front:
            raise ConfigError(f"{path}: front matter is missing {key!r}.")
    return NoteFile(front["id"], lang, front["stage"], front[f"title_{lang}"], path, front, body)


def find_note_files(corpus_dir: Path) -> list[NoteFile]:
    notes: list[NoteFile] = []
    for lang in LANGS:
        folder = corpus_dir / "notes" / lang
        if folder.is_dir():
            notes.extend(read_note_file(p, lang) for p in sorted(folder.glob("*.md")))
    return notes


class Notes:
    """All note files, looked up by note id and language."""

    def __init__(self, files: list[NoteFile]) -> None:
        self.files = files
        self._by_key = {(f.id, f.lang): f for f in files}

    def get(self, note_id: str, lang: str) -> NoteFile | None:
        """The note in the wanted language, else in the other one."""
        return self._by_key.get((note_id, lang)) or next(
            (self._by_key[(note_id, other)] for other in LANGS if (note_id, other) in self._by_key), None
        )


def load_notes(corpus_dir: Path) -> Notes:
    return Notes(find_note_files(corpus_dir))
