"""Files on disk: the library folder, fetching open-access readings, importing local files.

A library file is named ``<doc_id>.<ext>``: the doc id is a reading id from the reading list, or
``user-<slug>-<content hash>`` for a learner's own document. That one rule is how ingest knows what a
file is. Nothing here deletes a file except `remove_doc`; a replaced reading's old file waits in
``library/.backup/`` until the next ``--force`` of the same reading replaces it.

Names from the user's disk are echoed through `tutor.echo.shown`: an ESC in a file name must not reach the
terminal raw, and a huge name is capped.
"""

from __future__ import annotations

import contextlib
import dataclasses
import difflib
import errno
import os
import re
import shutil
import stat
import tempfile
import time
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from tutor.config import Settings
from tutor.echo import shown
from tutor.errors import DocumentError, LibraryError
from tutor.hashing import file_digest
from tutor.lang.script import CJK_CLASS
from tutor.loaders import read_pdf_pages
from tutor.readings import Reading, ReadingList

SUPPORTED_SUFFIXES = {
    ".pdf": "pdf",
    ".rst": "rst",
    ".md": "md",
    ".markdown": "md",
    ".html": "html",
    ".htm": "html",
    ".txt": "txt",
}
_VERIFY_PAGES = 2
_VERIFY_CHARS = 6000
_TITLE_CHARS = 600  # a title sits at the top of page 1; anywhere later it is only a citation


@dataclass(frozen=True)
class LibraryFile:
    doc_id: str
    path: Path
    reading: Reading | None

    @property
    def format(self) -> str:
        return SUPPORTED_SUFFIXES[self.path.suffix.lower()]


def normalise(text: str) -> str:
    """Lower-case letters and digits only: survives ligatures, small caps ("N EURAL") and line breaks."""
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).lower())


def list_library(settings: Settings, readings: ReadingList) -> list[LibraryFile]:
    folder = settings.library_dir
    if not folder.is_dir():
        return []
    files = []
    for path in sorted(folder.iterdir()):
        if path.is_file() and not path.name.startswith(".") and path.suffix.lower() in SUPPORTED_SUFFIXES:
            files.append(LibraryFile(path.stem, path, readings.by_id.get(path.stem)))
    return files


def find_in_library(settings: Settings, doc_id: str) -> Path | None:
    for suffix in SUPPORTED_SUFFIXES:
        candidate = settings.library_dir / f"{doc_id}{suffix}"
        if candidate.is_file():
            return candidate
    return None


def opening_text(path: Path) -> str:
    """The first pages or characters of a file: enough to recognise which document it is."""
    if path.suffix.lower() == ".pdf":
        return "\n".join(read_pdf_pages(path, _VERIFY_PAGES))
    with path.open(encoding="utf-8", errors="replace") as f:
        return f.read(_VERIFY_CHARS)


def is_document(path: Path, reading: Reading) -> bool:
    return normalise(reading.verify_phrase) in normalise(opening_text(path))


def match_reading(path: Path, readings: ReadingList) -> Reading | None:
    """Recognise a file as one of the readings by the title at the top of its first page."""
    top = normalise(opening_text(path)[:_TITLE_CHARS])
    found = [(top.find(normalise(r.verify_phrase)), r) for r in readings.readings]
    hits = [(pos, r) for pos, r in found if pos >= 0]
    return min(hits, key=lambda hit: hit[0])[1] if hits else None


# ------------------------------------------------------------------------------------------ add

AddStatus = Literal["added", "replaced", "unchanged", "skipped"]
_BACKUP_DIR = ".backup"
_INCOMING_DIR = ".incoming"
# Measured on 2 busy cores with passages and sentences indexed: ResNet + Transformer, 27 pages, gave 702
# chunks (26 a page); 300 KB of Markdown gave 729 (one per 410 bytes); 27-50 chunks a second.
_CHUNKS_PER_PDF_PAGE = 26.0
_TEXT_BYTES_PER_CHUNK = 410.0
_CHUNKS_PER_SECOND = 40.0


@dataclass(frozen=True)
class AddResult:
    source: Path
    doc_id: str
    status: AddStatus
    note: str = ""
    warning: str = ""  # e.g. how long indexing a large file will take
    backup: Path | None = None  # the replaced file, kept until the next successful ingest


def _name(path: Path) -> str:
    return shown(path.name)


def _path(path: Path) -> str:
    return shown(str(path), 160)


def format_of(path: Path) -> str:
    """The document kind of a path by its suffix, or a LibraryError naming the supported ones."""
    fmt = SUPPORTED_SUFFIXES.get(path.suffix.lower())
    if fmt is None:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LibraryError(
            f"{_name(path)}: unsupported file type {shown(path.suffix, 20) or '(none)'}. Supported: {supported}."
        )
    return fmt


def check_regular_file(path: Path) -> int:
    """The size of path if it is a readable regular file; otherwise say exactly what it is instead."""
    try:
        st = path.stat()
    except OSError as exc:
        if exc.errno == errno.ELOOP:
            raise LibraryError(
                f"{_path(path)}: is a symbolic link loop (it leads back to itself); pass the file itself."
            ) from exc
        if exc.errno == errno.ENOENT and path.is_symlink():
            raise LibraryError(
                f"{_path(path)}: is a broken symbolic link (to {shown(os.readlink(path), 120)})."
            ) from exc
        if exc.errno == errno.ENOENT:
            raise LibraryError(f"{_path(path)}: no such file.") from exc
        raise LibraryError(f"{_path(path)}: cannot be read ({exc.strerror}).") from exc
    mode = st.st_mode
    if stat.S_ISDIR(mode):
        raise LibraryError(
            f"{_path(path)}: is a directory; pass the files inside it (e.g. `tutor add {_path(path)}/*.pdf`)."
        )
    if stat.S_ISCHR(mode) or stat.S_ISBLK(mode):
        raise LibraryError(
            f"{_path(path)}: is a device, not a document; pass a PDF, Markdown, reStructuredText, HTML or text file."
        )
    if stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode):
        raise LibraryError(f"{_path(path)}: is a pipe or socket, not a file; save the document to a file and add that.")
    if not stat.S_ISREG(mode):
        raise LibraryError(f"{_path(path)}: is not a regular file.")
    if not os.access(path, os.R_OK):
        raise LibraryError(f"{_path(path)}: cannot be read (permission denied).")
    return st.st_size


def estimate_ingest_seconds(path: Path, fmt: str, size: int) -> float:
    """Rough indexing time at the measured rates: PDFs by page count, text by size."""
    if fmt == "pdf":
        try:
            from pypdf import PdfReader

            pages = len(PdfReader(path).pages)
        except Exception:  # noqa: BLE001 -- an unreadable PDF is reported by the checks that follow
            return 0.0
        return pages * _CHUNKS_PER_PDF_PAGE / _CHUNKS_PER_SECOND
    return size / _TEXT_BYTES_PER_CHUNK / _CHUNKS_PER_SECOND


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} seconds"
    if seconds < 5400:
        return f"{seconds / 60:.0f} minutes"
    return f"{seconds / 3600:.1f} hours"


def check_size(settings: Settings, path: Path, fmt: str, size: int, force: bool) -> str:
    """Refuse a file over the limit unless forced; return a warning with the estimate when it is large."""
    limits = settings.library
    limit_mb, variable = (
        (limits.max_pdf_mb, "TUTOR_LIBRARY_MAX_PDF_MB")
        if fmt == "pdf"
        else (limits.max_text_mb, "TUTOR_LIBRARY_MAX_TEXT_MB")
    )
    seconds = estimate_ingest_seconds(path, fmt, size)
    mb = size / 1e6
    if mb > limit_mb and not force:
        kind = "PDF" if fmt == "pdf" else "text"
        raise LibraryError(
            f"{_name(path)} is {mb:,.0f} MB; the limit for {kind} files is {limit_mb:g} MB ({variable}). "
            f"Indexing it would take about {_duration(seconds)}. Add --force to add it anyway."
        )
    if seconds > limits.warn_seconds:
        return f"{_name(path)} is large ({mb:,.1f} MB): `tutor ingest` will take about {_duration(seconds)} for it."
    return ""


OWN_PREFIX = "user-"  # every learner's document id starts so; the reading list's ids never do


def is_own_document(doc_id: str) -> bool:
    """A document the learner added (not a reading of the path)."""
    return doc_id.startswith(OWN_PREFIX)


def user_doc_id(name: str, digest: str) -> str:
    """`user-<readable slug>-<8 hex of the content hash>`: stable for the same file, distinct for different
    content. The slug keeps letters of every script (注意力, ü), so Chinese file names stay readable."""
    stem = unicodedata.normalize("NFKC", Path(name).stem).lower()
    slug = re.sub(r"[\W_]+", "-", stem).strip("-").removeprefix(OWN_PREFIX)
    slug = slug[:48].strip("-") or "document"
    return f"{OWN_PREFIX}{slug}-{digest[:8]}"


_HEADING = re.compile(r"^#{1,2}\s+(?P<title>\S.*?)\s*#*\s*$")
_TITLE_CHARS = 120
# A textbook chapter's heading, as a scan's text carries it below a running header: "第 6 章   支 持 向 量 机",
# "CHAPTER 6. LEARNING FROM IMBALANCED CLASSES" (a page number may stand before or after it)
_CHAPTER = re.compile(
    r"(?:^|\s)(?P<title>(?:chapter|CHAPTER|Chapter)\s+\d+\b.*\S|第\s*[\d一二三四五六七八九十百]+\s*章.*\S)\s*$"
)
_CHAPTER_LINES = 8  # the opening lines searched for it
_CHAPTER_CHARS = 60
_SENTENCE_ENDS = tuple(".。!！?？,，;；:：")
_OCR_SPACE = re.compile(f"(?<=[{CJK_CLASS}])(?<!章) (?=[{CJK_CLASS}])")  # OCR spaces between characters


def own_title(doc_id: str, path: Path | None = None) -> str:
    """A learner's document's readable title: the heading a Markdown or text file opens with ("# 推荐排序模型线上 A/B
    实验规范"), or the chapter heading among a scanned chapter's first lines ("第 6 章 集成学习"), else the file name's
    slug without `user-` and the content hash (a scanned PDF's chapter heading replaces that at ingest). The title
    is matched against questions that name the document ("the team's A/B notes", "奖励模型训练笔记"), and a file
    name is often pinyin or an abbreviation."""
    if path is not None and path.suffix.lower() in (".md", ".markdown", ".txt"):
        try:
            with path.open(encoding="utf-8", errors="replace") as f:
                head = f.read(4096)
        except OSError:
            head = ""
        lines = [line.strip() for line in head.splitlines() if line.strip()]
        m = _HEADING.match(lines[0]) if lines else None
        if m:
            return m.group("title")[:_TITLE_CHARS]
        chapter = chapter_title(head)
        if chapter:
            return chapter
    return re.sub(r"-[0-9a-f]{8}$", "", doc_id.removeprefix(OWN_PREFIX)).replace("-", " ")


def chapter_title(text: str) -> str | None:
    """The chapter heading among a text's first lines ("第 6 章   支 持 向 量 机" → "第 6 章 支持向量机"), or None.
    Ingest also reads it from a scanned PDF's first OCR'd page, which the file name says nothing about."""
    lines = [line.strip() for line in text.splitlines() if line.strip()]
    for line in lines[:_CHAPTER_LINES]:
        m = _CHAPTER.search(line)
        if m:
            title = re.sub(r"\s{2,}\d+$", "", m.group("title"))  # a page number after the heading
            title = _OCR_SPACE.sub("", re.sub(r"\s+", " ", title))
            if len(title) <= _CHAPTER_CHARS and not title.endswith(_SENTENCE_ENDS):  # a heading, not prose
                return title
    return None


def _same_content(settings: Settings, size: int, digest: str) -> Path | None:
    """A library file with exactly these bytes (sizes compared first, so this rarely hashes anything)."""
    if not settings.library_dir.is_dir():
        return None
    for path in sorted(settings.library_dir.iterdir()):
        if (
            path.is_file()
            and not path.name.startswith(".")
            and path.suffix.lower() in SUPPORTED_SUFFIXES
            and path.stat().st_size == size
            and file_digest(path) == digest
        ):
            return path
    return None


def _backup(settings: Settings, existing: Path) -> Path:
    """Move a replaced file aside, as the reading's one backup: the backup an earlier --force kept goes now."""
    for older in list_backups(settings, existing.stem):
        older.unlink(missing_ok=True)
    folder = settings.library_dir / _BACKUP_DIR
    folder.mkdir(parents=True, exist_ok=True)
    stamp = time.strftime("%Y%m%d-%H%M%S")
    n = 0
    while (target := folder / f"{stamp}-{n}--{existing.name}").exists():
        n += 1  # two replacements in one second must not overwrite the first backup
    os.replace(existing, target)
    return target


def list_backups(settings: Settings, doc_id: str) -> list[Path]:
    folder = settings.library_dir / _BACKUP_DIR
    if not folder.is_dir():
        return []
    return sorted(p for p in folder.iterdir() if Path(p.name.partition("--")[2]).stem == doc_id)


def drop_backups(settings: Settings, doc_id: str) -> list[Path]:
    """Called after doc_id's current file was indexed: backups older than the newest go (a library from before
    one backup per reading can hold several). The newest stays until the next --force of doc_id: a file that
    indexes cleanly can still be the wrong one."""
    dropped = list_backups(settings, doc_id)[:-1]
    for path in dropped:
        path.unlink(missing_ok=True)
    return dropped


@contextlib.contextmanager
def _incoming(settings: Settings, path: Path) -> Iterator[Path]:
    """A private copy of path inside the library folder, under the same name (so messages name the user's
    file). Everything is decided on the copy, which is then renamed into place: a file that changes while
    it is added cannot end up half-copied or under a hash of other bytes."""
    folder = Path(tempfile.mkdtemp(prefix=f"{_INCOMING_DIR}-", dir=settings.library_dir))
    try:
        staged = folder / path.name
        try:
            shutil.copyfile(path, staged)
        except OSError as exc:
            raise LibraryError(f"{_path(path)}: cannot be copied into the library ({exc.strerror}).") from exc
        yield staged
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def _target(settings: Settings, doc_id: str, path: Path) -> Path:
    suffix = path.suffix.lower()
    return settings.library_dir / f"{doc_id}{'.md' if suffix == '.markdown' else suffix}"


def check_symlink(path: Path, follow: bool) -> None:
    """A symbolic link may point inside the folder it is in; anything further (`notes.md -> /etc/passwd`) only
    with `follow`, since the library serves and quotes what it holds."""
    if follow or not path.is_symlink():
        return
    folder = path.absolute().parent.resolve()
    target = path.resolve()
    if not target.is_relative_to(folder):
        raise LibraryError(
            f"{_path(path)}: is a symbolic link to {shown(str(target), 160)}, outside its folder; tutor does not "
            "follow it there. Add the file itself, or pass --follow-symlinks if you mean it."
        )


def check_not_empty(path: Path, staged: Path, fmt: str, size: int) -> None:
    if size == 0:
        raise LibraryError(f"{_name(path)}: is empty (0 bytes); there is nothing in it to index.")
    if fmt != "pdf" and not staged.read_text(encoding="utf-8", errors="replace").strip():
        raise LibraryError(f"{_name(path)}: holds only blank space; there is nothing in it to index.")


def add_file(
    settings: Settings,
    readings: ReadingList,
    path: Path,
    as_id: str | None = None,
    force: bool = False,
    follow_symlinks: bool = False,
) -> AddResult:
    """Copy a local file into the library. Never deletes or overwrites anything by itself.

    With ``as_id`` the file becomes that reading: its title must be found (with ``force``: it must at least
    not be another reading, and be the reading's kind of document), and an existing different file for the
    reading is only replaced by the same kind of document and with ``force``, the old one kept as the
    reading's backup. Without ``as_id``, a file whose title is a reading's fills that reading's empty place;
    anything else becomes the learner's own document under an id of its own. The same content twice is a
    no-op. Empty files, and symbolic links out of their folder (unless ``follow_symlinks``), are refused.
    """
    size = check_regular_file(path)
    check_symlink(path, follow_symlinks)
    fmt = format_of(path)
    warning = check_size(settings, path, fmt, size, force)
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    with _incoming(settings, path) as staged:
        check_not_empty(path, staged, fmt, staged.stat().st_size)
        digest = file_digest(staged)
        if as_id is not None:
            result = _add_as(settings, readings, readings.get(as_id), path, staged, fmt, digest, force)
        else:
            result = _add_recognised(settings, readings, path, staged, fmt, size, digest)
    return dataclasses.replace(result, warning=warning) if result.status in ("added", "replaced") else result


def _add_as(
    settings: Settings,
    readings: ReadingList,
    reading: Reading,
    path: Path,
    staged: Path,
    fmt: str,
    digest: str,
    force: bool,
) -> AddResult:
    try:
        recognised = is_document(staged, reading)
        other = None if recognised else match_reading(staged, readings)
    except DocumentError:
        if not force:
            raise
        recognised, other = False, None  # unreadable here (damaged, or a scan): --force takes it unchecked
    if not recognised:
        if not force:
            raise LibraryError(
                f"{_name(path)} does not look like {reading.id} (could not find {reading.verify_phrase!r} "
                "in its first pages; a scan without a text layer cannot be checked). "
                "If it is the right file, add it again with --force."
            )
        if other is not None and other.id != reading.id:
            raise LibraryError(
                f"{_name(path)} is {other.id} (its first page has the title {other.verify_phrase!r}), not "
                f"{reading.id}; --force accepts a file whose title cannot be checked, never another reading. "
                f"To add it as what it is: `tutor add {_path(path)} --as {other.id}`."
            )
        if fmt != reading.format:
            raise LibraryError(
                f"{reading.id} is a {reading.format} document and {_name(path)} is a {fmt} file whose title "
                f"cannot be checked; even with --force a reading only takes its own kind of document."
            )
    existing = find_in_library(settings, reading.id)
    if existing is None:
        os.replace(staged, _target(settings, reading.id, path))
        return AddResult(path, reading.id, "added")
    if file_digest(existing) == digest:
        return AddResult(path, reading.id, "unchanged", f"the library already has this file as {existing.name}")
    old_fmt = SUPPORTED_SUFFIXES[existing.suffix.lower()]
    if fmt != old_fmt:
        raise LibraryError(
            f"{reading.id} is in the library as a {old_fmt} file ({existing.name}) and {_name(path)} is a {fmt} "
            f"file; a reading is only replaced by the same kind of document. To swap it anyway, run "
            f"`tutor remove {reading.id}` first."
        )
    if not force:
        raise LibraryError(
            f"{reading.id} is already in the library ({existing.name}, {existing.stat().st_size / 1e6:.1f} MB) "
            f"and {_name(path)} differs from it. Add --force to replace it; the old file is kept as its backup "
            f"until the next --force of {reading.id}."
        )
    backup = _backup(settings, existing)
    os.replace(staged, _target(settings, reading.id, path))
    note = f"the old {existing.name} is kept at {backup} until the next --force of {reading.id}"
    return AddResult(path, reading.id, "replaced", note, backup=backup)


def _add_recognised(
    settings: Settings, readings: ReadingList, path: Path, staged: Path, fmt: str, size: int, digest: str
) -> AddResult:
    same = _same_content(settings, size, digest)
    if same is not None:
        return AddResult(path, same.stem, "unchanged", f"the library already has this content as {same.name}")
    matched = match_reading(staged, readings)
    if matched is not None and fmt == matched.format:
        existing = find_in_library(settings, matched.id)
        if existing is None:
            os.replace(staged, _target(settings, matched.id, path))
            return AddResult(path, matched.id, "added", f"recognised as {matched.id} by its title")
        return AddResult(
            path,
            matched.id,
            "skipped",
            f"its title is {matched.id}'s, which is already in the library as {existing.name}; nothing was "
            f"changed. To replace that file: `tutor add {_path(path)} --as {matched.id} --force`",
        )
    doc_id = user_doc_id(path.name, digest)
    os.replace(staged, _target(settings, doc_id, path))
    note = "added as your own document"
    if matched is not None:
        note += (
            f"; it mentions {matched.id}'s title, but that reading is a {matched.format} file. If it is a copy "
            f"of the reading, `tutor remove {doc_id}` and `tutor add {_path(path)} --as {matched.id}`"
        )
    return AddResult(path, doc_id, "added", note)


@dataclass(frozen=True)
class RemoveResult:
    doc_id: str
    removed: list[Path]  # the library file(s), then any backups
    bytes: int


def remove_doc(settings: Settings, doc_id: str) -> RemoveResult:
    """The only way a document leaves the library: its file(s) and backups, each named in the result."""
    files = [settings.library_dir / f"{doc_id}{s}" for s in SUPPORTED_SUFFIXES]
    found = [p for p in files if p.is_file()] + list_backups(settings, doc_id)
    if not found:
        known = [f.stem for f in settings.library_dir.iterdir() if f.is_file()] if settings.library_dir.is_dir() else []
        close = difflib.get_close_matches(doc_id, known, n=3, cutoff=0.5)
        hint = f" Did you mean {', '.join(close)}?" if close else " `tutor status` lists what is there."
        raise LibraryError(f"{doc_id} is not in the library ({settings.library_dir}).{hint}")
    total = 0
    for path in found:
        total += path.stat().st_size
        path.unlink()
    return RemoveResult(doc_id, found, total)


# ------------------------------------------------------------------------------------------ fetch

FetchStatus = Literal["downloaded", "present", "failed", "not-open"]


@dataclass(frozen=True)
class FetchResult:
    reading_id: str
    status: FetchStatus
    message: str = ""
    unreachable: bool = False  # the host could not even be connected to


ProgressHook = Callable[[str, int, int | None], None]
"""Called as (reading_id, bytes_so_far, total_or_None) while a download runs."""


def source_url(settings: Settings, reading: Reading) -> str:
    """The reading's open URL, or the same path on the configured mirror."""
    assert reading.pdf_url is not None
    if settings.fetch.mirror is None:
        return reading.pdf_url
    parts = urlsplit(reading.pdf_url)
    return settings.fetch.mirror.rstrip("/") + parts.path


def _stream_with_resume(
    client: httpx.Client, url: str, part: Path, retries: int, on_progress: Callable[[int, int | None], None]
) -> None:
    """Download url into part, resuming with a Range request after a dropped connection."""
    attempt = 0
    while True:
        have = part.stat().st_size if part.exists() else 0
        headers = {"Range": f"bytes={have}-"} if have else {}
        try:
            with client.stream("GET", url, headers=headers) as resp:
                if resp.status_code == 416:  # already complete
                    return
                resp.raise_for_status()
                resumed = resp.status_code == 206
                mode = "ab" if resumed else "wb"
                length = resp.headers.get("content-length")
                total = (int(length) + (have if resumed else 0)) if length else None
                done = have if resumed else 0
                with part.open(mode) as f:
                    for chunk in resp.iter_bytes(16384):
                        f.write(chunk)
                        done += len(chunk)
                        on_progress(done, total)
                if total is not None and done < total:
                    raise httpx.RemoteProtocolError(f"connection closed at {done} of {total} bytes")
                return
        except (httpx.TransportError, httpx.RemoteProtocolError):
            attempt += 1
            if attempt > retries:
                raise


def fetch_reading(
    settings: Settings, reading: Reading, client: httpx.Client, progress: ProgressHook | None = None
) -> FetchResult:
    if not reading.fetchable:
        return FetchResult(
            reading.id, "not-open", f"no open copy; add your own with `tutor add FILE --as {reading.id}`"
        )
    if find_in_library(settings, reading.id):
        return FetchResult(reading.id, "present")
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    target = settings.library_dir / f"{reading.id}.{reading.format}"
    part = target.with_name(target.name + ".part")
    url = source_url(settings, reading)
    try:
        _stream_with_resume(
            client,
            url,
            part,
            settings.fetch.retries,
            lambda done, total: progress(reading.id, done, total) if progress else None,
        )
    except httpx.HTTPStatusError as exc:
        part.unlink(missing_ok=True)
        return FetchResult(reading.id, "failed", f"{url} answered HTTP {exc.response.status_code}")
    except httpx.HTTPError as exc:
        # Keep the partial file: the next `tutor fetch` resumes from it.
        return FetchResult(
            reading.id,
            "failed",
            f"could not download {url} ({type(exc).__name__}); "
            f"offline? Download it yourself and run `tutor add FILE --as {reading.id}`",
            unreachable=isinstance(exc, httpx.ConnectError),
        )
    try:
        ok = _verify_part(part, target, reading)
    except DocumentError as exc:
        ok, why = False, str(exc)
    else:
        why = f"the file does not mention {reading.verify_phrase!r} on its first pages"
    if not ok:
        part.unlink(missing_ok=True)
        return FetchResult(reading.id, "failed", f"{url} is not the expected document: {why}")
    return FetchResult(reading.id, "downloaded")


def _verify_part(part: Path, target: Path, reading: Reading) -> bool:
    """Move the finished download into place only if it really is the reading."""
    staged = part.with_name(f".verify-{target.name}")
    part.replace(staged)
    try:
        if is_document(staged, reading):
            staged.replace(target)
            return True
        return False
    finally:
        staged.unlink(missing_ok=True)


def fetch_all(
    settings: Settings, readings: ReadingList, ids: list[str] | None = None, progress: ProgressHook | None = None
) -> Iterator[FetchResult]:
    chosen = [readings.get(i) for i in ids] if ids else readings.readings
    timeout = httpx.Timeout(settings.fetch.timeout, connect=10.0)
    with httpx.Client(
        timeout=timeout,
        follow_redirects=True,
        headers={"User-Agent": "tutor/0.1 (study tutor; fetches open-access readings)"},
    ) as client:
        unreachable = 0
        for reading in chosen:
            if unreachable >= 2 and reading.fetchable and not find_in_library(settings, reading.id):
                # Two hosts in a row could not be reached: offline; say so instead of waiting on each.
                message = f"skipped (offline); add it by hand with `tutor add FILE --as {reading.id}`"
                yield FetchResult(reading.id, "failed", message, unreachable=True)
                continue
            result = fetch_reading(settings, reading, client, progress)
            if result.status != "not-open":
                unreachable = unreachable + 1 if result.unreachable else 0
            yield result
