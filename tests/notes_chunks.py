"""A learner's Markdown page cut into passages and sentences as `tutor ingest` would, without an index."""

from __future__ import annotations

from pathlib import Path

from tutor.config import Settings
from tutor.ingest import Chunk, Source, make_chunks
from tutor.loaders import load_file


def markdown_chunks(folder: Path, settings: Settings, name: str, text: str) -> list[Chunk]:
    path = folder / f"{name}.md"
    path.write_text(text, encoding="utf-8")
    source = Source(f"user-{name}", f"user-{name}", name, path, "md", "user", "", "en")
    return make_chunks(source, load_file(path, "md", 0.85), "abc", settings)


def markdown_sentences(folder: Path, settings: Settings, name: str, text: str) -> set[str]:
    return {c.text for c in markdown_chunks(folder, settings, name, text) if c.metadata["kind"] == "sentence"}
