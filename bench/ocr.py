"""OCR of Chinese scanned chapters: how much of the text tesseract recovers, by language setting.

    python bench/ocr.py [--chapters 30] [--langs eng+chi_sim chi_sim]

Each Chinese `*.scan.txt` under eval/docs/ is drawn as an image-only PDF (as the eval adds it), every page is
rendered at 300 dpi and read by tesseract in each setting; the OCR text is aligned with the source (whitespace
dropped) and the characters matched in order are counted. Precision: matched / characters read; recall: matched /
characters of the source. A learner's document is read in eng+chi_sim first and then, when its first page is
Chinese, in chi_sim alone (`tutor.ocr.PageOcr`); this is the measurement behind that choice.
"""

from __future__ import annotations

import argparse
import difflib
import os
import re
import statistics
import subprocess
import tempfile
from pathlib import Path

from tutor.config import PROJECT_ROOT
from tutor.lang.script import CJK_TEXT_CLASS
from tutor.select.documents import scanned_pdf

_CJK = re.compile(f"[{CJK_TEXT_CLASS}]")


def read(pages: list[Path], langs: str) -> str:
    env = {**os.environ, "OMP_THREAD_LIMIT": "1"}
    run = [["tesseract", str(p), "stdout", "-l", langs, "--dpi", "300"] for p in pages]
    return "".join(subprocess.run(cmd, capture_output=True, text=True, env=env, check=True).stdout for cmd in run)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--chapters", type=int, default=30)
    parser.add_argument("--langs", nargs="+", default=["eng+chi_sim", "chi_sim"])
    args = parser.parse_args()
    sources = sorted((PROJECT_ROOT / "eval" / "docs").glob("*/*.scan.txt"))
    chinese = [s for s in sources if len(_CJK.findall(s.read_text(encoding="utf-8"))) > 200][: args.chapters]
    scores: dict[str, list[tuple[float, float]]] = {langs: [] for langs in args.langs}
    for source in chinese:
        truth = re.sub(r"\s+", "", source.read_text(encoding="utf-8"))
        with tempfile.TemporaryDirectory() as tmp:
            pdf = scanned_pdf(source.read_text(encoding="utf-8"), Path(tmp) / "chapter.pdf")
            subprocess.run(["pdftoppm", "-r", "300", "-gray", str(pdf), f"{tmp}/page"], check=True)
            pages = sorted(Path(tmp).glob("page*.pgm"))
            row = []
            for langs in args.langs:
                got = re.sub(r"\s+", "", read(pages, langs))
                blocks = difflib.SequenceMatcher(None, truth, got, autojunk=False).get_matching_blocks()
                matched = sum(b.size for b in blocks)
                scores[langs].append((matched / max(1, len(got)), matched / len(truth)))
                row.append(f"{langs} {scores[langs][-1][1]:.3f}")
        print(f"{source.name:40s} recall: {'  '.join(row)}")
    for langs, pairs in scores.items():
        precision = statistics.fmean(p for p, _ in pairs)
        recall = statistics.fmean(r for _, r in pairs)
        print(f"{langs:14s} precision {precision:.3f}  recall {recall:.3f}  ({len(pairs)} chapters)")


if __name__ == "__main__":
    main()
