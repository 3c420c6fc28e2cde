"""OCR for PDF pages without a usable text layer: scans, and bitmap fonts without a character map.

Each page is rendered by poppler's ``pdftoppm`` and read by the ``tesseract`` command, one process per
page, as many at once as there are cores. Measured on Friedman's 39-page bitmap-font preprint on 2 cores,
this costs ~1.5 CPU-seconds a page against ~2.4 for ``ocrmypdf --force-ocr --sidecar`` (which also builds
a new PDF we do not need), for the same text. The original file is only read.

Text is cached per page under the data dir (``cache/ocr/<sha256 of the file>/<langs>/p00001-300dpi.txt``),
keyed by the file's bytes, the languages and the resolution, so a page is never OCRed twice: not on
re-ingest, not after ``tutor remove`` and ``tutor add`` of the same file, and not by ``tutor sections``.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import tempfile
import time
from collections.abc import Callable, Iterable, Mapping
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from tutor.config import Settings
from tutor.hashing import file_digest
from tutor.lang.script import CJK_TEXT_CLASS

OcrProgress = Callable[[int, int], None]  # (pages done, pages to do); called with 0 first
_CJK = CJK_TEXT_CLASS  # what OCR spaces apart
_CJK_GAP = re.compile(
    rf"(?<=[{_CJK}])[ \t]+(?=[{_CJK}])"  # 经 验 → 经验
    rf"|(?<=[{_CJK}])[ \t]+(?=[,.;:!?)])"  # 误差 ; → 误差; (tesseract reads full-width punctuation as ASCII)
    rf"|(?<=[{_CJK}][,.;:!?])[ \t]+(?=[{_CJK}])"  # 欠拟合: 学习器 → 欠拟合:学习器
)
# A number or a one-letter symbol between Chinese characters: 第 2 章 → 第2章, 分为 k 个 → 分为k个 (words stay apart).
_CJK_SANDWICH = re.compile(rf"(?<=[{_CJK}])[ \t]+([0-9][0-9.,%]*|[A-Za-z])[ \t]+(?=[{_CJK}])")
_HYPHENATED = re.compile(r"([a-z])-\n([a-z])")
_DOUBLE_DASH = re.compile(r"(?<=\w)(?:-[—–]|[—–]-)(?=\w)")
_HEADING_SPECK = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3}\.?\s+)[‘’'`\"“”,.]+(?=[A-Z])", re.M)
_CJK_CHAR = re.compile(rf"[{_CJK}]")
_CJK_LANGS = {"chi_sim", "chi_tra", "chi_sim_vert", "chi_tra_vert", "jpn", "jpn_vert", "kor", "kor_vert"}
_MIN_SCAN_PPI = 150  # scans below this are rendered at the configured resolution all the same


def clean_ocr_text(text: str) -> str:
    """Tesseract's text made fit for chunking and quoting.

    Tesseract separates Chinese characters with spaces ("经 验 误差 与 过 拟 合"); Chinese is written
    without them, so they go, while spaces between Latin words and around Latin terms stay. Words split
    across lines with a hyphen ("opti-\\nmization") are joined so search finds them.
    """
    text = text.replace("\f", "").replace("\r", "")
    text = _CJK_GAP.sub("", _CJK_GAP.sub("", text))  # twice: "误差 ; 在" needs the first gap gone to see the second
    text = _CJK_SANDWICH.sub(r"\1", text)
    text = _HYPHENATED.sub(r"\1\2", text)
    text = _DOUBLE_DASH.sub("-", text)  # "M-—Regression": one hyphen read twice
    text = _HEADING_SPECK.sub(r"\1", text)  # "7 ‘Tree boosting": a speck before a heading's first letter
    lines = [line.rstrip() for line in text.split("\n")]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()


def apt_packages(langs: str) -> list[str]:
    """The Debian packages that give tesseract, these languages and the page renderer."""
    packs = ["tesseract-ocr"] + [f"tesseract-ocr-{lang.replace('_', '-').lower()}" for lang in langs.split("+")]
    return [*dict.fromkeys(packs), "poppler-utils"]


def install_hint(langs: str) -> str:
    return f"`sudo apt-get install {' '.join(apt_packages(langs))}`"


def langs_for(settings: Settings, reading_title: str | None = None) -> str:
    """Tesseract languages for one document.

    An explicit TUTOR_OCR_LANGS wins. Otherwise a known reading is read in its own script (a CJK title in
    the reading list means a Chinese book: chi_sim+eng; else eng, which is twice as fast as eng+chi_sim and
    does not turn maths into stray Chinese characters), and the learner's own documents in eng+chi_sim
    (narrowed by `PageOcr` to eng when their first OCRed page has no Chinese on it, else to chi_sim).
    """
    if settings.ocr.langs:
        return settings.ocr.langs
    if reading_title is None:
        return "eng+chi_sim"
    return "chi_sim+eng" if _CJK_CHAR.search(reading_title) else "eng"


@dataclass
class OcrStats:
    pages_ocr: int = 0  # pages tesseract read in this run
    pages_cached: int = 0  # pages whose text came from the cache
    seconds: float = 0.0  # wall time spent on OCR
    failures: list[str] = field(default_factory=list)


class PageOcr:
    """Reads chosen pages of one PDF with tesseract; everything it needs is decided up front."""

    def __init__(
        self,
        langs: str = "eng+chi_sim",
        *,
        jobs: int = 0,
        dpi: int = 300,
        cache_dir: Path | None = None,
        page_timeout: float = 180.0,
        enabled: bool = True,
        narrow: bool = False,
        progress: OcrProgress | None = None,
    ) -> None:
        self.langs = langs
        self.narrow = narrow  # read a document in the Latin-script or the Chinese languages only, by its first page
        self.langs_used = langs
        self.jobs = jobs or _cores()
        self.dpi = dpi
        self.cache_dir = cache_dir
        self.page_timeout = page_timeout
        self.enabled = enabled
        self.progress = progress
        self.stats = OcrStats()

    @classmethod
    def from_settings(
        cls, settings: Settings, reading_title: str | None = None, progress: OcrProgress | None = None
    ) -> PageOcr:
        o = settings.ocr
        return cls(
            langs_for(settings, reading_title),
            jobs=o.jobs,
            dpi=o.dpi,
            cache_dir=settings.ocr_cache_dir,
            page_timeout=o.page_timeout,
            enabled=o.enabled,
            narrow=o.langs is None and reading_title is None,
            progress=progress,
        )

    # ---------------------------------------------------------------------------------- availability

    def missing(self) -> list[str]:
        """What is missing to OCR with these languages: commands and language data (empty: ready)."""
        missing = _missing_commands(os.environ.get("PATH", ""))
        if "tesseract" not in missing:
            installed = _installed_langs(os.environ.get("PATH", ""))
            missing += [f"{lang} language data" for lang in self.langs.split("+") if lang not in installed]
        return missing

    @property
    def available(self) -> bool:
        return self.enabled and not self.missing()

    def unavailable_reason(self) -> str:
        """Why OCR will not run here, and the one command that fixes it."""
        if not self.enabled:
            return "OCR is switched off (TUTOR_OCR_ENABLED=false); switch it on to read these pages"
        return (
            f"OCR needs {', '.join(self.missing())}, not installed: install with {install_hint(self.langs)} "
            "and run `tutor ingest` again"
        )

    # ---------------------------------------------------------------------------------- reading pages

    def read(self, path: Path, pages: Iterable[int], scan_ppi: Mapping[int, float] | None = None) -> dict[int, str]:
        """Cleaned OCR text of the given 1-based pages; a page that fails is left out (see stats.failures).

        `scan_ppi` gives the resolution of a page's scanned image where known: such a page is rendered at
        that resolution, not above it (upsampling a 200-dpi scan to 300 made tesseract misread 3 of 150
        Chinese characters that it read perfectly at 200). With `narrow`, the first page is read in all the
        languages and, when it has no Chinese on it, the rest in the Latin-script ones only; when it has, every page
        is read in the Chinese ones only.
        """
        started = time.perf_counter()
        folder = self.cache_dir / file_digest(path) if self.cache_dir else None
        ppi = scan_ppi or {}
        wanted = sorted(set(pages))
        latin = "+".join(lang for lang in self.langs.split("+") if lang not in _CJK_LANGS) or self.langs
        cjk = "+".join(lang for lang in self.langs.split("+") if lang in _CJK_LANGS) or self.langs
        narrowing = self.narrow and latin != self.langs and cjk != self.langs
        candidates = [self.langs, latin, cjk] if narrowing else [self.langs]
        uncached = [
            p for p in wanted if all(self._cached(folder, p, self.dpi_for(ppi.get(p)), lg) is None for lg in candidates)
        ]
        run = _Run(self.progress, len(uncached))
        texts: dict[int, str] = {}
        langs = self.langs
        if narrowing:
            first = self._read(path, folder, wanted[:1], ppi, self.langs, run)
            if looks_chinese(first.get(wanted[0], "")):
                # Chinese pages, the first one again: tesseract's Chinese model alone recovers more of a Chinese
                # chapter than beside English (bench/ocr.py, 28 chapters: 0.915 of the characters against 0.887)
                langs = cjk
            else:
                langs, texts, wanted = latin, first, wanted[1:]
        texts |= self._read(path, folder, wanted, ppi, langs, run)
        run.close()
        self.langs_used = langs
        self.stats.seconds += time.perf_counter() - started
        return texts

    def _cached(self, folder: Path | None, page: int, dpi: int, langs: str) -> str | None:
        target = folder / langs / f"p{page:05d}-{dpi}dpi.txt" if folder else None
        return target.read_text("utf-8") if target is not None and target.is_file() else None

    def _read(
        self, path: Path, folder: Path | None, pages: list[int], ppi: Mapping[int, float], langs: str, run: _Run
    ) -> dict[int, str]:
        texts: dict[int, str] = {}
        todo: list[tuple[int, int]] = []
        for page in pages:
            dpi = self.dpi_for(ppi.get(page))
            if (cached := self._cached(folder, page, dpi, langs)) is not None:
                texts[page] = cached
                self.stats.pages_cached += 1
            else:
                todo.append((page, dpi))
        if not todo:
            return texts
        run.begin()
        with ThreadPoolExecutor(max_workers=min(self.jobs, len(todo))) as pool:
            futures = {pool.submit(self._ocr_page, path, page, dpi, langs): (page, dpi) for page, dpi in todo}
            for future in as_completed(futures):
                page, dpi = futures[future]
                try:
                    text = clean_ocr_text(future.result())
                except OcrPageError as exc:
                    self.stats.failures.append(f"page {page}: {exc}")
                else:
                    texts[page] = text
                    self.stats.pages_ocr += 1
                    if folder is not None:
                        _write_atomic(folder / langs / f"p{page:05d}-{dpi}dpi.txt", text)
                run.step()
        return texts

    def dpi_for(self, scan_ppi: float | None) -> int:
        """The configured resolution, or a scan's own when that is lower but still readable."""
        if scan_ppi is not None and _MIN_SCAN_PPI <= scan_ppi < self.dpi:
            return round(scan_ppi)
        return self.dpi

    def _ocr_page(self, path: Path, page: int, dpi: int, langs: str) -> str:
        """Render one page to a greyscale image and read it; the image lives in a private temp dir."""
        # One thread per tesseract: pages already run in parallel, and its OpenMP threads only contend.
        env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
        with tempfile.TemporaryDirectory(prefix="tutor-ocr-") as tmp:
            image = Path(tmp) / "page"
            _run(
                ["pdftoppm", "-r", str(dpi), "-gray", "-f", str(page), "-l", str(page), "-singlefile",
                 str(path), str(image)],
                env,
                self.page_timeout,
            )  # fmt: skip
            return _run(
                ["tesseract", str(image.with_suffix(".pgm")), "stdout", "-l", langs, "--dpi", str(dpi)],
                env,
                self.page_timeout,
            )


class _Run:
    """Progress over one read: (0, total) before the first page is OCRed, then one step per page."""

    def __init__(self, progress: OcrProgress | None, total: int) -> None:
        self.progress, self.total, self.done, self.started = progress, total, 0, False

    def begin(self) -> None:
        if self.progress and not self.started and self.total:
            self.progress(0, self.total)
        self.started = True

    def step(self) -> None:
        self.done = min(self.done + 1, self.total)
        if self.progress and self.total:
            self.progress(self.done, self.total)

    def close(self) -> None:
        if self.progress and self.started and self.done < self.total:
            self.progress(self.total, self.total)


def looks_chinese(text: str) -> bool:
    """Enough Chinese on a page to read the document in Chinese (a stray 了 in an English formula is not)."""
    cjk = len(_CJK_CHAR.findall(text))
    letters = sum(c.isalpha() for c in text)
    return cjk >= 5 and cjk >= 0.1 * letters


class OcrPageError(Exception):
    """One page could not be rendered or read; the page is reported and the rest go on."""


def _run(cmd: list[str], env: dict[str, str], timeout: float) -> str:
    try:
        done = subprocess.run(cmd, capture_output=True, env=env, timeout=timeout, check=False)
    except subprocess.TimeoutExpired as exc:
        raise OcrPageError(f"{cmd[0]} took longer than {timeout:g} s (TUTOR_OCR_PAGE_TIMEOUT)") from exc
    except OSError as exc:
        raise OcrPageError(f"{cmd[0]} could not run ({exc.strerror})") from exc
    if done.returncode != 0:
        detail = done.stderr.decode("utf-8", "replace").strip().splitlines()
        raise OcrPageError(f"{cmd[0]} failed ({detail[-1] if detail else f'exit {done.returncode}'})")
    return done.stdout.decode("utf-8", "replace")


@functools.cache
def _missing_commands(search_path: str) -> list[str]:
    """Commands not on this PATH (cached per PATH: ingest asks once per document)."""
    return [cmd for cmd in ("tesseract", "pdftoppm") if shutil.which(cmd, path=search_path) is None]


@functools.cache
def _installed_langs(search_path: str) -> frozenset[str]:
    try:
        out = subprocess.run(["tesseract", "--list-langs"], capture_output=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return frozenset()
    return frozenset(line.strip() for line in out.stdout.decode("utf-8", "replace").splitlines()[1:] if line.strip())


def _cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


def _write_atomic(target: Path, text: str) -> None:
    """Write then rename, so a killed run never leaves half a page in the cache."""
    target.parent.mkdir(parents=True, exist_ok=True)
    tmp = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    tmp.write_text(text, "utf-8")
    os.replace(tmp, target)


# ------------------------------------------------------------------------------------------ ingest glue


class _Source(Protocol):
    @property
    def title(self) -> str: ...
    @property
    def kind(self) -> str: ...


def ocr_for_source(settings: Settings, source: _Source, reporter: object = None) -> PageOcr:
    """The OCR a document gets during ingest, reporting pages through the reporter's optional
    ``ocr_progress(source, done, total)`` (reporters without it still work)."""
    hook = getattr(reporter, "ocr_progress", None)
    progress: OcrProgress | None = (lambda done, total: hook(source, done, total)) if hook else None
    title = source.title if source.kind not in ("user", "note") else None
    return PageOcr.from_settings(settings, title, progress)


def fingerprint(settings: Settings) -> str:
    """Part of a PDF's content hash: changes when OCR becomes possible (or is switched on or off), so a
    document indexed with pages skipped for want of OCR is read again once those pages can be read."""
    ready = settings.ocr.enabled and not _missing_commands(os.environ.get("PATH", ""))
    return "" if ready else "no-ocr:"  # empty when OCR can run, so existing indexes keep their hashes
