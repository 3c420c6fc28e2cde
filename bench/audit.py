"""Audit benchmark: every citation in corpus/ checked against a folder of readings, cold and warm.

    python bench/audit.py [FOLDER]     (default: ../shared/readings/raw when present)

Runs `tutor.audit.audit` twice in a fresh data folder: first with an empty OCR cache (Friedman's bitmap-font
preprint is OCRed, 39 pages), then again with the cache filled, as a second `tutor audit` would. Prints the
seconds, the citations, numbers and names checked and the failures. Target on 2 cores: under 60 s.
"""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path

from tutor.audit import CHECKS, audit
from tutor.config import Settings
from tutor.readings import load_reading_list

DEFAULT = Path(__file__).resolve().parent.parent.parent / "shared" / "readings" / "raw"


def main() -> None:
    folder = Path(sys.argv[1]) if len(sys.argv) > 1 else DEFAULT
    if not folder.is_dir():
        sys.exit(f"No folder {folder}; pass one with the readings' files, named by reading id.")
    with tempfile.TemporaryDirectory() as tmp:
        os.environ["TUTOR_DATA_DIR"] = tmp
        settings = Settings()
        readings = load_reading_list(settings.data.corpus)
        for run in ("cold OCR cache", "warm OCR cache"):
            report = audit(settings, readings, folder)
            checked = ", ".join(f"{report.checked[c]:,} {c}s" for c in CHECKS)
            print(
                f"{run}: {report.seconds:.1f} s; {len(report.readings)} readings; checked {checked}; "
                f"{report.derived} derived numbers skipped; {len(report.failures)} failures"
            )


if __name__ == "__main__":
    main()
