"""Question files as JSON lines: one pydantic object a line, and a message naming the line that is wrong."""

from __future__ import annotations

from pathlib import Path
from typing import TypeVar

from pydantic import BaseModel, ValidationError

from tutor.errors import ConfigError

M = TypeVar("M", bound=BaseModel)


def load_jsonl(path: Path, model: type[M], fields: str = "") -> list[M]:
    """Every object of a JSON-lines file (blank lines skipped); `fields` tells what a line should hold."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"No question file at {path}.") from None
    items = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            items.append(model.model_validate_json(line))
        except ValidationError as exc:
            error = exc.errors()[0]
            where = ".".join(str(p) for p in error["loc"]) or "line"
            hint = f" Fields: {fields}." if fields else ""
            raise ConfigError(f"{path}:{number} is not a question object: {where}: {error['msg']}.{hint}") from exc
    return items
