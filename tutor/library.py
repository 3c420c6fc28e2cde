"""Files on disk: the library folder, fetching open-access readings, importing local files.

A library file is named ``<doc_id>.<ext>``: the doc id is a reading id from the reading list, or
``user-<name>`` for a learner's own document. That one rule is how ingest knows what a file is.
"""

from __future__ import annotations

import re
import shutil
import unicodedata
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Literal
from urllib.parse import urlsplit

import httpx

from tutor.config import Settings
from tutor.errors import DocumentError, LibraryError
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
        if path.is_file() and path.suffix.lower() in SUPPORTED_SUFFIXES:
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
    return path.read_text(encoding="utf-8", errors="replace")[:_VERIFY_CHARS]


def is_document(path: Path, reading: Reading) -> bool:
    return normalise(reading.verify_phrase) in normalise(opening_text(path))


def match_reading(path: Path, readings: ReadingList) -> Reading | None:
    """Recognise a file as one of the readings by the title at the top of its first page."""
    top = normalise(opening_text(path)[:_TITLE_CHARS])
    found = [(top.find(normalise(r.verify_phrase)), r) for r in readings.readings]
    hits = [(pos, r) for pos, r in found if pos >= 0]
    return min(hits, key=lambda hit: hit[0])[1] if hits else None


# ------------------------------------------------------------------------------------------ add

AddStatus = Literal["added", "replaced", "unchanged"]


@dataclass(frozen=True)
class AddResult:
    source: Path
    doc_id: str
    status: AddStatus
    note: str = ""


def _user_doc_id(path: Path) -> str:
    slug = re.sub(r"[^a-z0-9]+", "-", path.stem.lower()).strip("-") or "document"
    return f"user-{slug}"


def add_file(
    settings: Settings, readings: ReadingList, path: Path, as_id: str | None = None, force: bool = False
) -> AddResult:
    """Copy a local file into the library under the reading id it belongs to."""
    if not path.exists():
        raise LibraryError(f"{path}: no such file.")
    if not path.is_file():
        raise LibraryError(f"{path}: is a directory; pass the files inside it.")
    suffix = path.suffix.lower()
    if suffix not in SUPPORTED_SUFFIXES:
        supported = ", ".join(sorted(SUPPORTED_SUFFIXES))
        raise LibraryError(f"{path.name}: unsupported file type {suffix or '(none)'}. Supported: {supported}.")

    note = ""
    if as_id is not None:
        reading = readings.get(as_id)
        if not force and not is_document(path, reading):
            raise LibraryError(
                f"{path.name} does not look like {reading.id} (could not find {reading.verify_phrase!r} "
                "in its first pages; a scan without a text layer cannot be checked). "
                "If it is the right file, add it again with --force."
            )
        doc_id = reading.id
    else:
        matched = match_reading(path, readings)
        doc_id = matched.id if matched else _user_doc_id(path)
        note = f"recognised as {matched.id}" if matched else "added as your own document"

    settings.library_dir.mkdir(parents=True, exist_ok=True)
    existing = find_in_library(settings, doc_id)
    target = settings.library_dir / f"{doc_id}{'.md' if suffix == '.markdown' else suffix}"
    if existing and existing.read_bytes() == path.read_bytes():
        return AddResult(path, doc_id, "unchanged", note)
    if existing:
        existing.unlink()
    shutil.copyfile(path, target)
    return AddResult(path, doc_id, "replaced" if existing else "added", note)


def remove_doc(settings: Settings, doc_id: str) -> Path:
    path = find_in_library(settings, doc_id)
    if path is None:
        raise LibraryError(f"{doc_id} is not in the library ({settings.library_dir}).")
    path.unlink()
    return path


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
