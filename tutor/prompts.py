"""Prompts are files in prompts/, loaded by name; their {variables} are checked before use."""

from __future__ import annotations

import string
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tutor.config import PROJECT_ROOT
from tutor.errors import ConfigError

PROMPTS_DIR = PROJECT_ROOT / "prompts"
# What the model answers when the sources do not cover a question; code and tests recognise it.
CANNOT_ANSWER = "NOT_COVERED_BY_READINGS"
_LANG_SPLIT = "\n+++ zh\n"


@dataclass(frozen=True)
class Prompt:
    name: str
    text: str

    @property
    def variables(self) -> set[str]:
        return {field for _, field, _, _ in string.Formatter().parse(self.text) if field}

    def render(self, **values: str) -> str:
        missing = self.variables - values.keys()
        extra = values.keys() - self.variables
        if missing or extra:
            raise ConfigError(
                f"prompts/{self.name}.md expects {sorted(self.variables)}; "
                f"missing {sorted(missing)}, unexpected {sorted(extra)}."
            )
        return self.text.format(**values)


@cache
def load_prompt(name: str, lang: str = "en", folder: Path = PROMPTS_DIR) -> Prompt:
    """Load prompts/<name>.md; a file may hold a Chinese version after a `+++ zh` line."""
    path = folder / f"{name}.md"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise ConfigError(f"Missing prompt file {path}.") from None
    en, _, zh = text.partition(_LANG_SPLIT)
    chosen = zh if (lang == "zh" and zh) else en
    return Prompt(name, chosen.strip() + "\n")
