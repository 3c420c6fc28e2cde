"""Ingest benchmark: a folder of readings into a fresh index, then a no-change re-ingest.

    python bench/ingest.py [FOLDER]     (default: ../shared/readings/raw when present)

Prints pages/s, chunks/s, total seconds and peak RSS, and for PDFs that needed OCR (Friedman's bitmap-font
preprint in the default folder) OCR pages/s and CPU seconds per page, then loads those files again to show
that the page cache leaves nothing to OCR. Targets on 2 cores: everything indexed in under 3 minutes, a
no-change re-ingest under 5 seconds, peak RSS under 2 GB, OCR at 1 page/s or more for English.
"""

from __future__ import annotations

import os
import resource
import sys
import tempfile
import time
from pathlib import Path

from tutor.config import Settings
from tutor.errors import TutorError
from tutor.ingest import IngestRow, SilentReporter, Source, ingest
from tutor.library import SUPPORTED_SUFFIXES, add_file, match_reading
from tutor.loaders import load_file
from tutor.ocr import PageOcr
from tutor.readings import load_reading_list
from tutor.store import Store

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "readings" / "raw"


class OcrTimer(SilentReporter):
    """Times each document's OCR through the reporter's optional ocr_progress hook."""

    def __init__(self) -> None:
        self.started: dict[str, float] = {}
        self.done: dict[str, tuple[Source, int, float]] = {}

    def ocr_progress(self, source: Source, done: int, total: int) -> None:
        if done == 0:
            self.started[source.doc_id] = time.perf_counter()
        if done == total:
            self.done[source.doc_id] = (source, total, time.perf_counter() - self.started[source.doc_id])

    def finish(self, row: IngestRow) -> None:
        pass


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)  # pdftoppm and tesseract run as child processes
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        sys.exit(f"No folder {folder}; pass one with PDFs in it.")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUTOR_DATA_DIR"] = tmp
        settings = Settings()
        readings = load_reading_list(settings.data.corpus)
        for path in sorted(folder.iterdir()):
            if path.suffix.lower() in SUPPORTED_SUFFIXES and path.name != "SOURCES.md":
                try:
                    # A scan's title cannot be read before OCR, so a file named after a reading is added as it.
                    known = path.stem if path.stem in readings.by_id and not match_reading(path, readings) else None
                    add_file(settings, readings, path, as_id=known, force=known is not None)
                except TutorError as exc:
                    print(f"not added: {exc}")

        start = time.perf_counter()
        store = Store(settings)
        timer = OcrTimer()
        cpu_before = children_cpu()
        rows = ingest(settings, readings, store, timer)
        first = time.perf_counter() - start
        ocr_cpu = children_cpu() - cpu_before
        pages = sum(r.pages for r in rows if r.status == "indexed")
        chunks = sum(r.chunks for r in rows if r.status == "indexed")
        failed = [r.doc_id for r in rows if r.status == "failed"]

        start = time.perf_counter()
        timer_again = OcrTimer()
        again = ingest(settings, readings, Store(settings, store.embeddings), timer_again)
        second = time.perf_counter() - start
        assert all(r.status in ("unchanged", "failed") for r in again)
        assert not timer_again.started, "a no-change re-ingest OCRs nothing"

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"documents indexed   {sum(r.status == 'indexed' for r in rows)} (failed: {', '.join(failed) or 'none'})")
        print(f"pages / chunks      {pages} / {chunks}")
        print(f"first ingest        {first:.1f} s  ({pages / first:.1f} pages/s, {chunks / first:.1f} chunks/s)")
        print(f"no-change re-ingest {second:.2f} s")
        print(f"peak RSS            {peak_mb:.0f} MB")
        print(f"index size          {store.size_bytes() / 1e6:.1f} MB")

        if timer.done:
            pages_ocr = sum(n for _, n, _ in timer.done.values())
            seconds = sum(t for _, _, t in timer.done.values())
            load = os.getloadavg()[0]
            rate = f"{pages_ocr / seconds:.2f} pages/s, {ocr_cpu / pages_ocr:.2f} CPU-s/page"
            print(f"OCR                 {pages_ocr} pages in {seconds:.1f} s ({rate}, ", end="")
            print(f"{len(os.sched_getaffinity(0))} cores, load average {load:.1f})")
            for doc_id, (source, n, t) in timer.done.items():
                title = source.title if source.kind != "user" else None
                ocr = PageOcr.from_settings(settings, title)
                start = time.perf_counter()
                load_file(source.path, source.fmt, settings.ingest.min_text_quality, ocr=ocr)
                reload = time.perf_counter() - start
                print(f"  {doc_id}: {n} pages, {n / t:.2f} pages/s ({ocr.langs}); loaded again: ", end="")
                print(f"{ocr.stats.pages_ocr} pages OCRed, {ocr.stats.pages_cached} from the cache, {reload:.1f} s")


if __name__ == "__main__":
    main()
