"""load → split → embed → upsert, incremental by content hash.

Per document: its new chunks are added under ids keyed by document and content hash, then the
manifest switches to the new version (atomic write, new generation), and the old version is retired;
a later ingest deletes retired chunks (see tutor.store). A crash or kill -9 at any point leaves the last
committed version searchable; the next run sweeps the leftovers and redoes the unfinished document.
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal, Protocol

from langchain_text_splitters import RecursiveCharacterTextSplitter

from tutor.config import Settings
from tutor.errors import DocumentError
from tutor.lang.items import apart_from_items
from tutor.lang.quotable import quotable
from tutor.lang.script import CJK
from tutor.lang.sentences import split_sentences
from tutor.lang.tables import apart_from_rows
from tutor.library import chapter_title, drop_backups, list_library, own_title
from tutor.loaders import Block, LoadedDocument, load_file, sound_headings
from tutor.notes import NoteFile, find_note_files, indexed_heading, level_of_heading
from tutor.ocr import fingerprint as ocr_fingerprint
from tutor.ocr import ocr_for_source
from tutor.readings import ReadingList
from tutor.roles import NEVER_QUOTED, classify
from tutor.store import ManifestEntry, Store, chunk_text, version_of

SPLITTER_VERSION = "23"  # bump when splitting or titling changes, so every document is re-chunked
_BATCH = 64
_MIN_CHUNK_CHARS = 30
_NO_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class Source:
    """One document to index."""

    doc_id: str  # key in the manifest: reading id, user-<name>, or <note id>.<lang>
    reading_id: str  # what citations name: a reading id, a note id or the user doc id
    title: str
    path: Path
    fmt: str
    kind: str
    stage: str
    lang: str


@dataclass(frozen=True)
class Chunk:
    id: str
    text: str
    metadata: dict[str, Any]


Status = Literal["indexed", "updated", "unchanged", "failed", "removed"]


@dataclass(frozen=True)
class IngestRow:
    doc_id: str
    title: str
    pages: int
    chunks: int
    status: Status
    note: str = ""


class Reporter(Protocol):
    def start(self, source: Source, total: int) -> None: ...
    def advance(self, n: int) -> None: ...
    def finish(self, row: IngestRow) -> None: ...


class SilentReporter:
    def start(self, source: Source, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self, row: IngestRow) -> None:
        pass


# ------------------------------------------------------------------------------------------ sources


def _written_in(text: str) -> str:
    """A chunk's language from its own characters: a Chinese textbook's pages are Chinese whatever the file."""
    visible = [ch for ch in text if not ch.isspace()]
    cjk = len(CJK.findall("".join(visible)))
    return "zh" if visible and cjk >= 0.3 * len(visible) else "en"


def discover_sources(settings: Settings, readings: ReadingList) -> list[Source]:
    sources = []
    for f in list_library(settings, readings):
        if f.reading:
            sources.append(
                Source(f.doc_id, f.doc_id, f.reading.title, f.path, f.format, f.reading.kind, f.reading.stage, "en")
            )
        else:
            sources.append(
                Source(
                    f.doc_id,
                    f.doc_id,
                    own_title(f.doc_id, f.path),
                    f.path,
                    f.format,
                    "user",
                    "",
                    "",  # each chunk's language is read from its own text (`_written_in`)
                )
            )
    for note in find_note_files(settings.data.corpus):
        sources.append(_note_source(note))
    return sources


def _note_source(note: NoteFile) -> Source:
    return Source(f"{note.id}.{note.lang}", note.id, note.title, note.path, "md", "note", note.stage, note.lang)


def content_hash(path: Path, settings: Settings) -> str:
    """Hash of the bytes and of the splitting settings: either changing means re-chunking."""
    h = hashlib.sha256()
    h.update(f"{SPLITTER_VERSION}:{settings.ingest.chunk_size}:{settings.ingest.chunk_overlap}:".encode())
    if path.suffix.lower() == ".pdf":  # pages skipped for want of OCR are read once it is installed
        h.update(ocr_fingerprint(settings).encode())
    h.update(path.read_bytes())
    return h.hexdigest()[:16]


# ------------------------------------------------------------------------------------------ splitting


def chunk_blocks(blocks: list[Block], chunk_size: int, overlap: int) -> Iterator[tuple[Block, str]]:
    """Split each block on its own, so no chunk straddles a section or a page."""
    splitter = RecursiveCharacterTextSplitter(chunk_size=chunk_size, chunk_overlap=overlap)
    for block in blocks:
        for piece in splitter.split_text(block.text):
            if len(piece.strip()) >= _MIN_CHUNK_CHARS:
                yield block, piece


def checked_headings(source: Source, loaded: LoadedDocument) -> LoadedDocument:
    """A learner's document with every section label a heading (`tutor.loaders.heading_issue`, the check
    `tutor audit` runs on the readings): a cut-off sentence never becomes a section name in a citation."""
    if source.kind != "user":
        return loaded
    blocks, changed = sound_headings(loaded.blocks)
    if not changed:
        return loaded
    note = f"{changed} section label(s) read as sentences and were cut to their title"
    return LoadedDocument(blocks, loaded.pages, [*loaded.warnings, note])


def indexed_sections(source: Source, loaded: LoadedDocument) -> LoadedDocument:
    """A note without the sections that are shown but never retrieved (tutor.notes.UNINDEXED_SECTIONS)."""
    if source.kind != "note":
        return loaded
    return LoadedDocument([b for b in loaded.blocks if indexed_heading(b.section)], loaded.pages, loaded.warnings)


def make_chunks(source: Source, loaded: LoadedDocument, doc_hash: str, settings: Settings) -> list[Chunk]:
    """Passages (with a header line naming the document and section), then the quotable sentences in them.

    Each passage carries its role (body, abstract, front matter, references, appendix, figure, code);
    each quotable sentence is indexed on its own (kind "sentence") so an answer can quote the sentence
    that answers a question, not just the passage around it.
    """
    chunks: list[Chunk] = []
    sentences: list[Chunk] = []
    seen: set[str] = set()
    pieces = chunk_blocks(loaded.blocks, settings.ingest.chunk_size, settings.ingest.chunk_overlap)
    for i, (block, text) in enumerate(pieces):
        section = block.section or source.title
        header = f"{source.title} › {section}" if block.section else source.title
        role = "body" if source.kind == "note" else classify(text, block.part, block.section)
        meta = {
            "doc_id": source.doc_id,
            "reading_id": source.reading_id,
            "doc_hash": doc_hash,
            "title": source.title,
            "section": block.section,
            "page": block.page,
            "chunk": i,
            "chunk_hash": hashlib.sha256(text.encode()).hexdigest()[:16],
            "kind": source.kind,
            "role": role,
            "ocr": block.ocr,
            "stage": source.stage,
            "lang": source.lang if source.kind == "note" else _written_in(text),
            "level": level_of_heading(block.section) if source.kind == "note" else "",
        }
        # The header line helps both the embedding and BM25 find a passage by its section name.
        chunks.append(Chunk(f"{source.doc_id}@{doc_hash}#{i:05d}", chunk_text(header, text), meta))
        if role in NEVER_QUOTED:
            continue
        first_line, _, rest = text.partition("\n")
        # The heading line opens its block; it is not part of a sentence. Compared without spaces: OCR reads
        # "第8章 决策树剪枝" as "第8章决策树剪枝".
        line_letters = _NO_SPACE.sub("", first_line)
        heading = bool(
            block.section and rest and line_letters and _NO_SPACE.sub("", block.section).endswith(line_letters)
        )
        prose = rest if heading else text
        parts = (part for rows in apart_from_rows(prose) for part in apart_from_items(rows))
        for j, (sentence, item) in enumerate((s, item) for part, item in parts for s in split_sentences(part)):
            if sentence in seen or not quotable(sentence, item):
                continue  # neighbouring passages overlap: index each sentence once
            seen.add(sentence)
            sentence_meta = {**meta, "kind": "sentence", "source_kind": source.kind, "item": item}
            sentences.append(Chunk(f"{source.doc_id}@{doc_hash}#{i:05d}.{j:03d}", sentence, sentence_meta))
    return chunks + sentences


# ------------------------------------------------------------------------------------------ pipeline


def ingest(
    settings: Settings, readings: ReadingList, store: Store, reporter: Reporter | None = None
) -> list[IngestRow]:
    """Bring the index in line with the library and the notes; one ingest at a time per data folder."""
    reporter = reporter or SilentReporter()
    with store.writing(on_wait=getattr(reporter, "waiting", None)):
        store.sweep()  # what an interrupted run left, and old versions past their grace period
        rows: list[IngestRow] = []
        sources = discover_sources(settings, readings)
        for source in sources:
            rows.append(_ingest_one(settings, store, source, reporter))

        present = {s.doc_id for s in sources}
        for doc_id in sorted(set(store.manifest.docs) - present):
            entry = store.manifest.docs[doc_id]
            store.commit(doc_id, None)
            row = IngestRow(doc_id, entry.title, entry.pages, 0, "removed", "no longer in the library")
            reporter.finish(row)
            rows.append(row)
        store.sweep()
        for row in rows:
            if row.status != "failed":  # the file now in the library is indexed: its predecessor can go
                drop_backups(settings, row.doc_id)
    return rows


def _titled_by_chapter(source: Source, loaded: LoadedDocument) -> Source:
    """A learner's PDF named by the chapter heading its first page carries ("第 7 章 主动学习"), not by its file name:
    a scan's text is known only once it is read, and questions name the chapter, not the file."""
    if source.kind != "user" or source.fmt != "pdf" or not loaded.blocks:
        return source
    first = loaded.blocks[0]
    opening = "\n".join([first.section, *(b.text for b in loaded.blocks if b.page == first.page)])
    title = chapter_title(opening)
    return replace(source, title=title) if title else source


def _ingest_one(settings: Settings, store: Store, source: Source, reporter: Reporter) -> IngestRow:
    """Write the new version's chunks, then switch the manifest to it; the old version is only retired."""
    previous = store.manifest.docs.get(source.doc_id)
    doc_hash = content_hash(source.path, settings)
    if previous and previous.doc_hash == doc_hash:
        row = IngestRow(source.doc_id, previous.title, previous.pages, previous.chunks, "unchanged")
        reporter.finish(row)
        return row
    try:
        loaded = load_file(
            source.path, source.fmt, settings.ingest.min_text_quality, ocr=ocr_for_source(settings, source, reporter)
        )
        loaded = indexed_sections(source, checked_headings(source, loaded))
        source = _titled_by_chapter(source, loaded)
        chunks = make_chunks(source, loaded, doc_hash, settings)
        if not chunks:
            raise DocumentError(f"{source.path.name}: no text to index.")
    except DocumentError as exc:
        note = str(exc) + (" The previous version stays indexed." if previous else "")
        row = IngestRow(source.doc_id, source.title, 0, previous.chunks if previous else 0, "failed", note)
        reporter.finish(row)
        return row

    version = version_of(source.doc_id, doc_hash)
    reporter.start(source, len(chunks))
    for start in range(0, len(chunks), _BATCH):
        batch = chunks[start : start + _BATCH]
        # Chunk ids are <doc_id>@<hash>#<n> and carry `version`: keyed by document and content, so two
        # files with the same bytes never share chunks and an old version is untouched until it is retired.
        metadatas = [{**c.metadata, "version": version} for c in batch]
        store.add([c.text for c in batch], metadatas, [c.id for c in batch])
        reporter.advance(len(batch))
    store.commit(
        source.doc_id,
        ManifestEntry(doc_hash, source.reading_id, source.title, str(source.path), loaded.pages, len(chunks)),
    )
    row = IngestRow(
        source.doc_id,
        source.title,
        loaded.pages,
        len(chunks),
        "updated" if previous else "indexed",
        "; ".join(loaded.warnings[:3]),
    )
    reporter.finish(row)
    return row
