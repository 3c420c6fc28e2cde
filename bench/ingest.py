"""Ingest benchmark: a folder of readings into a fresh index, then a no-change re-ingest.

    python bench/ingest.py [FOLDER]     (default: ../shared/readings/raw when present)

Prints pages/s, chunks/s, total seconds and peak RSS. Targets on 2 cores: everything indexed in
under 3 minutes, a no-change re-ingest under 5 seconds, peak RSS under 2 GB.
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
from tutor.ingest import ingest
from tutor.library import SUPPORTED_SUFFIXES, add_file
from tutor.readings import load_reading_list
from tutor.store import Store

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "readings" / "raw"


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
                    add_file(settings, readings, path)
                except TutorError as exc:
                    print(f"not added: {exc}")

        start = time.perf_counter()
        store = Store(settings)
        rows = ingest(settings, readings, store)
        first = time.perf_counter() - start
        pages = sum(r.pages for r in rows if r.status == "indexed")
        chunks = sum(r.chunks for r in rows if r.status == "indexed")
        failed = [r.doc_id for r in rows if r.status == "failed"]

        start = time.perf_counter()
        again = ingest(settings, readings, Store(settings, store.embeddings))
        second = time.perf_counter() - start
        assert all(r.status in ("unchanged", "failed") for r in again)

        peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        print(f"documents indexed   {sum(r.status == 'indexed' for r in rows)} (failed: {', '.join(failed) or 'none'})")
        print(f"pages / chunks      {pages} / {chunks}")
        print(f"first ingest        {first:.1f} s  ({pages / first:.1f} pages/s, {chunks / first:.1f} chunks/s)")
        print(f"no-change re-ingest {second:.2f} s")
        print(f"peak RSS            {peak_mb:.0f} MB")
        print(f"index size          {store.size_bytes() / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
