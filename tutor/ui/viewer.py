"""The in-app source viewer: a cited PDF page drawn server-side with the quoted sentence highlighted,
or one of the tutor's notes with its formulas typeset.

Pages are rendered by PDFium (pypdfium2) to PNG and cached on disk, so the viewer works offline, on a
phone and in any browser, with no PDF.js download. The highlight is found by matching the quote's
letters and digits against the page's text (PDFium and pypdf differ in spaces, ligatures and how they
print formulas), anchored on the quote's start and end.
"""

from __future__ import annotations

import hashlib
import threading
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from tutor.config import Settings
from tutor.library import find_in_library
from tutor.notes import SECTION_HEADINGS, NoteFile, Notes
from tutor.readings import ReadingList
from tutor.ui.maths import escape_html, plain, repair_pdf, typeset
from tutor.ui.render import host as _host
from tutor.ui.render import library_url

_PDFIUM = threading.Lock()  # PDFium is not thread-safe: one call into it at a time
RENDER_SCALE = 1.6  # 612-pt letter pages → ~980 px wide: sharp on a phone, small as grey PNG

LABELS: dict[str, dict[str, Any]] = {
    "en": {
        "page": "page {page} of {pages}",
        "prev": "‹ previous",
        "next": "next ›",
        "pdf": "Open the PDF ↗",
        "empty": "Click a source's “Open here” link in an answer to read the cited page here.",
        "missing": "That page is not available.",
        "not_found": "The quoted sentence could not be located on this page; it is shown below as extracted.",
        "ask": "Ask about this",
        "question": "Explain {title} at my level.",
    },
    "zh": {
        "page": "第 {page} 页，共 {pages} 页",
        "prev": "‹ 上一页",
        "next": "下一页 ›",
        "pdf": "打开 PDF ↗",
        "empty": "在回答的来源中点“在此打开”，就能在这里看到所引的那一页。",
        "missing": "这一页无法显示。",
        "not_found": "没能在这一页上定位所引的句子；下面是提取出的原文。",
        "ask": "就此提问",
        "question": "请按我的水平讲解{title}。",
    },
}


@dataclass(frozen=True)
class Box:
    """A highlight rectangle as percentages of the page (top-left origin)."""

    left: float
    top: float
    width: float
    height: float


@dataclass(frozen=True)
class PageView:
    doc_id: str
    page: int
    pages: int
    image: Path
    boxes: list[Box]


def _labels(lang: str) -> dict[str, Any]:
    return LABELS.get(lang, LABELS["en"])


def _l(lang: str, key: str) -> str:
    return str(_labels(lang)[key])


def safe_doc_path(settings: Settings, doc_id: str) -> Path | None:
    """The library file for an id from a URL, refusing anything that could step outside the library."""
    if not doc_id or "/" in doc_id or "\\" in doc_id or doc_id.startswith(".") or "\x00" in doc_id:
        return None
    path = find_in_library(settings, doc_id)
    if path is None:
        return None
    library = settings.library_dir.resolve()
    return path if path.resolve().parent == library else None


def page_count(path: Path) -> int:
    import pypdfium2 as pdfium

    with _PDFIUM:
        doc = pdfium.PdfDocument(str(path))
        try:
            return len(doc)
        finally:
            doc.close()


def render_page(settings: Settings, doc_id: str, page: int, quote: str = "") -> PageView | None:
    """Render (or reuse) one page as PNG and find the quote on it. None when there is no such page."""
    import pypdfium2 as pdfium

    path = safe_doc_path(settings, doc_id)
    if path is None or path.suffix.lower() != ".pdf":
        return None
    stat = path.stat()
    key = hashlib.sha1(f"{path.name}:{stat.st_size}:{stat.st_mtime_ns}:{RENDER_SCALE}".encode()).hexdigest()[:16]
    target = settings.data.dir / "cache" / "pages" / f"{key}-{page}.png"
    with _PDFIUM:
        doc = pdfium.PdfDocument(str(path))
        try:
            pages = len(doc)
            if not 1 <= page <= pages:
                return None
            pdf_page = doc[page - 1]
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                image = pdf_page.render(scale=RENDER_SCALE, grayscale=True, draw_annots=False).to_pil()
                partial = target.with_suffix(".tmp")
                image.save(partial, format="PNG", optimize=True)
                partial.replace(target)
            boxes = _find_quote(pdf_page, quote) if quote else []
        finally:
            doc.close()
    return PageView(doc_id, page, pages, target, boxes)


def _normalise(text: str) -> tuple[str, list[int]]:
    """Lower-case letters and digits only, with the index in `text` each one came from."""
    out: list[str] = []
    where: list[int] = []
    for i, ch in enumerate(text):
        for c in unicodedata.normalize("NFKC", ch).lower():
            if c.isalnum():
                out.append(c)
                where.append(i)
    return "".join(out), where


def locate(page_text: str, quote: str) -> tuple[int, int] | None:
    """Character span of the quote in the page text, or None. Anchored on the quote's head and tail, so a
    formula printed differently in the middle ("∑" as "P") does not stop the match."""
    page_norm, where = _normalise(page_text)
    quote_norm, _ = _normalise(quote)
    if len(quote_norm) < 8:
        return None
    at = page_norm.find(quote_norm)
    if at >= 0:
        return where[at], where[at + len(quote_norm) - 1] + 1
    for head_len in (40, 24, 14):
        head = quote_norm[:head_len]
        start = page_norm.find(head)
        if start < 0:
            continue
        limit = start + 2 * len(quote_norm) + 40
        for tail_len in (30, 18, 10):
            tail = quote_norm[-tail_len:]
            end = page_norm.find(tail, start + len(head) // 2)
            if 0 <= end <= limit:
                return where[start], where[end + len(tail) - 1] + 1
        end_norm = min(len(page_norm), start + len(quote_norm)) - 1
        return where[start], where[end_norm] + 1
    return None


def _find_quote(pdf_page: object, quote: str) -> list[Box]:
    textpage = pdf_page.get_textpage()  # type: ignore[attr-defined]
    try:
        text = textpage.get_text_range()
        span = locate(text, quote)
        if span is None:
            return []
        width, height = pdf_page.get_size()  # type: ignore[attr-defined]
        count = textpage.count_rects(span[0], span[1] - span[0])
        boxes = []
        for i in range(count):
            left, bottom, right, top = textpage.get_rect(i)
            boxes.append(
                Box(
                    round(100 * left / width, 2),
                    round(100 * (height - top) / height, 2),
                    round(100 * (right - left) / width, 2),
                    round(100 * (top - bottom) / height, 2),
                )
            )
        return boxes
    finally:
        textpage.close()


# ------------------------------------------------------------------------------------------ markup


def empty_markdown(lang: str) -> str:
    return f'<div class="viewer-empty">{escape_html(_l(lang, "empty"))}</div>'


def page_markdown(
    view: PageView | None,
    title: str,
    where: str,
    quote: str,
    external: str,
    lang: str,
) -> str:
    """The viewer for a PDF page: title, page navigation, the page with the quote highlighted, the quote."""
    if view is None:
        return f'<div class="viewer-empty">{escape_html(_l(lang, "missing"))}</div>'
    nav = []
    if view.page > 1:
        nav.append(_nav_link(view.doc_id, view.page - 1, _l(lang, "prev")))
    nav.append(
        f'<span class="viewer-page">{escape_html(_l(lang, "page").format(page=view.page, pages=view.pages))}</span>'
    )
    if view.page < view.pages:
        nav.append(_nav_link(view.doc_id, view.page + 1, _l(lang, "next")))
    nav.append(f'<a href="{library_url(view.doc_id, view.page)}" target="_blank">{escape_html(_l(lang, "pdf"))}</a>')
    if external:
        nav.append(f'<a href="{escape_html(external)}" target="_blank">{escape_html(_host(external))} ↗</a>')
    marks = "".join(
        f'<span class="hl" style="left:{b.left}%;top:{b.top}%;width:{b.width}%;height:{b.height}%"></span>'
        for b in view.boxes
    )
    image = f"{library_url(view.doc_id)}/page/{view.page}.png"
    quoted = ""
    if quote:
        missing = "" if view.boxes else f'<div class="hint">{escape_html(_l(lang, "not_found"))}</div>'
        quoted = f'<blockquote class="viewer-quote">{repair_pdf(quote, in_html=True)}</blockquote>{missing}'
    return (
        f'<div class="viewer" id="viewer-{escape_html(view.doc_id)}-{view.page}">'
        f'<div class="viewer-title"><b>{plain(title)}</b>' + (f" · {plain(where)}" if where else "") + "</div>"
        f'<div class="viewer-nav">{" · ".join(nav)}</div>'
        f"{quoted}"
        f'<div class="page-scroll"><div class="page-wrap">'
        f'<img class="page-image" src="{image}" alt="{escape_html(title)}, p. {view.page}">'
        f"{marks}</div></div></div>"
    )


def _nav_link(doc_id: str, page: int, label: str) -> str:
    return f'<a class="view-page" href="{library_url(doc_id, page)}">{escape_html(label)}</a>'


def note_markdown(
    note: NoteFile, level: str, lang: str, readings: ReadingList, local_pdf: Callable[[str], bool] = lambda _: False
) -> str:
    """A note at every level (the cited one open), its systems analogy, confusions and self-check, formulas typeset."""
    headings = SECTION_HEADINGS.get(lang, SECTION_HEADINGS["en"])  # in the notes' own order, named as they are
    parts = [f'<div class="viewer note-view" id="note-view-{escape_html(note.id)}">', ""]
    parts += [f'<div class="viewer-title"><b>{plain(note.title)}</b></div>', ""]
    for name, key in headings.items():
        text = note.sections.get(key)
        if not text:
            continue
        opened = " open" if key == level or (not level and key == "beginner") else ""
        parts += [f'<details class="note-{key}"{opened}><summary>{escape_html(name)}</summary>', ""]
        parts += [typeset(text), "", "</details>", ""]
    pointers = []
    for pointer in note.readings:
        reading = readings.by_id.get(str(pointer.get("id", "")))
        if reading is None:
            continue
        section = str(pointer.get("section", ""))
        page = pointer.get("page")
        label = f"{reading.title}" + (f" — {section}" if section else "") + (f", p. {page}" if page else "")
        if page and local_pdf(reading.id):
            pointers.append(f"<li>{_nav_link(reading.id, int(page), label)}</li>")
        else:
            pointers.append(f"<li>{plain(label)}</li>")
    if pointers:
        parts += ['<ul class="note-readings">', *pointers, "</ul>", ""]
    question = _l(lang, "question").format(title=note.title)
    parts += [f'<div class="answer-actions"><a class="ask-q" href="#ask">{plain(question)}</a></div>', "</div>"]
    return "\n".join(parts)


def find_note(notes: Notes, note_id: str, lang: str) -> NoteFile | None:
    return notes.get(note_id, lang)
