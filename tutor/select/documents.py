"""Learners' own documents for the labelled questions (eval/docs/): added to the library before asking.

Markdown and text files are added as they are; a `NAME.scan.txt` is first drawn as an image-only PDF, like a
scanned page, so the question can only be answered through OCR. Labels name a document by its file name
("doc:dropout.md"); the library gives it an id of its own ("user-dropout-3fa1c2d9").
"""

from __future__ import annotations

import textwrap
import time
from collections.abc import Iterable
from pathlib import Path

from tutor.config import Settings
from tutor.errors import ConfigError
from tutor.lang.script import has_cjk
from tutor.library import add_file, is_own_document
from tutor.readings import ReadingList
from tutor.retrieve import Retriever

CJK_FONTS = (
    Path("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"),  # Debian's fonts-wqy-zenhei
    Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc"),
)
_DPI = 200
_FONT_PX = 36


def scanned_pdf(text: str, path: Path) -> Path:
    """Draw text on A4 pages at 200 dpi with no text layer: what a scanner makes of a printed page."""
    from PIL import Image, ImageDraw, ImageFont

    font = next((f for f in CJK_FONTS if f.exists()), None)
    if font is None:
        raise ConfigError("Drawing a scanned page needs a Chinese font: sudo apt-get install fonts-wqy-zenhei.")
    width, height, margin = int(8.27 * _DPI), int(11.69 * _DPI), int(0.8 * _DPI)
    per_line = (width - 2 * margin) // _FONT_PX  # a CJK character is about one em wide
    lines: list[str] = []
    for paragraph in text.splitlines():
        wrap = per_line if has_cjk(paragraph) else per_line * 2
        lines.extend(textwrap.wrap(paragraph, wrap) or [""])
    face = ImageFont.truetype(str(font), _FONT_PX)
    per_page = (height - 2 * margin) // int(_FONT_PX * 1.6)
    pages = []
    for start in range(0, max(1, len(lines)), per_page):
        image = Image.new("L", (width, height), 255)
        draw = ImageDraw.Draw(image)
        for n, line in enumerate(lines[start : start + per_page]):
            draw.text((margin, margin + n * int(_FONT_PX * 1.6)), line, font=face, fill=0)
        pages.append(image)
    fixed = time.gmtime(0)  # the same text always makes the same file, so adding it twice adds it once
    pages[0].save(
        path, "PDF", resolution=float(_DPI), save_all=True, append_images=pages[1:], creationDate=fixed, modDate=fixed
    )
    return path


def add_documents(
    settings: Settings, readings: ReadingList, names: Iterable[str], docs_dir: Path, work_dir: Path
) -> dict[str, str]:
    """Add each named document (a path under `docs_dir`) to the library; file name → library id.

    Ingest afterwards to index them."""
    work_dir.mkdir(parents=True, exist_ok=True)
    ids: dict[str, str] = {}
    for name in sorted(set(names)):
        source = docs_dir / name
        if not source.is_file():
            raise ConfigError(f"No document {name} under {docs_dir}.")
        path = source
        if source.name.endswith(".scan.txt"):
            path = scanned_pdf(source.read_text(encoding="utf-8"), work_dir / source.name.replace(".scan.txt", ".pdf"))
        ids[source.name] = add_file(settings, readings, path).doc_id
    return ids


def hide_all_but(retriever: Retriever, doc_ids: dict[str, str], library: Iterable[str]) -> None:
    """Let retrieval see only the learner's documents named in `library` (paths under eval/docs/; `doc_ids` is
    keyed by file name, as `add_documents` returns it): every other learner's document in the index is hidden, as
    if that learner had never added it."""
    mine = {doc_ids[Path(name).name] for name in library if Path(name).name in doc_ids}
    own = {r for r in retriever.passage_index.readings() if is_own_document(r)}
    retriever.hidden = frozenset(own - mine)
