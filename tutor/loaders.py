"""Turn a file into blocks of text that each sit in one section and on one page.

Papers rarely mark their structure, so PDF headings are recognised from numbered lines
("3.2.1 Scaled Dot-Product Attention", "III. FACTORIZATION MACHINES", "2.1. Functional
Correctness") and accepted only when the numbering moves forward plausibly; that rejects
reference entries ("2018. Contextual string…") and numbered lists inside the text.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path

from tutor.errors import DocumentError

# pypdf logs every repair it makes; ingest counts them per document and reports that instead.
_pypdf_log = logging.getLogger("pypdf")
_pypdf_log.propagate = False
_pypdf_log.addHandler(logging.NullHandler())


@dataclass
class Block:
    section: str
    page: int  # 1-based PDF page; 0 for formats without pages
    text: str


@dataclass
class LoadedDocument:
    blocks: list[Block]
    pages: int
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ headings

_ARABIC = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+([A-Z][^\n]{1,90})$")
_ROMAN = re.compile(r"^([IVX]{1,5})\.\s+([A-Z][^\n]{2,90})$")
_LETTER = re.compile(r"^([A-H])\.\s+([A-Z][^\n]{2,90})$")
_OPENING = {"abstract", "introduction"}  # unnumbered headings before the numbered ones
_CLOSING = {"references", "acknowledgements", "acknowledgments", "appendix", "bibliography"}
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}


def _roman(numeral: str) -> int:
    total = 0
    for ch, nxt in zip(numeral, numeral[1:] + " ", strict=True):
        value = _ROMAN_VALUES[ch]
        total += -value if nxt != " " and _ROMAN_VALUES[nxt] > value else value
    return total


def _looks_like_title(title: str) -> bool:
    words = title.split()
    if not 1 <= len(words) <= 12 or title.endswith((".", ",", ";")):
        return False
    letters = sum(c.isalpha() for c in title)
    return letters >= 0.6 * len(title.replace(" ", "")) and "et al" not in title


def _follows(new: tuple[int, ...], cur: tuple[int, ...]) -> bool:
    """Is `new` a plausible next heading number after `cur` (allowing one missed heading)?"""
    if not cur:
        return new[0] <= 2 and all(n <= 1 for n in new[1:])
    for k in range(min(len(new), len(cur) + 1)):
        if k == len(cur):  # a child of the current heading: 3.2 -> 3.2.1 (or 3.2.2 if one was missed)
            return new[:k] == cur and new[k] <= 2 and all(n <= 1 for n in new[k + 1 :])
        if new[:k] != cur[:k]:
            return False
        if new[k] != cur[k]:
            return new[k] in (cur[k] + 1, cur[k] + 2) and all(n <= 1 for n in new[k + 1 :])
    return False


class HeadingTracker:
    """Keeps the current section while reading lines in order; recognises the next heading."""

    def __init__(self) -> None:
        self.number: tuple[int, ...] = ()
        self.roman: int = 0
        self.section = ""

    def feed(self, line: str) -> bool:
        """Return True (and update `section`) when the line is a heading."""
        line = line.strip()
        if len(line) > 100:
            return False
        bare = line.lower().rstrip(":")
        if bare in _CLOSING or (bare in _OPENING and not self.number and not self.roman):
            self.section = line.rstrip(":").title()
            return True
        if m := _ARABIC.match(line):
            number = tuple(int(p) for p in m.group(1).split("."))
            if _looks_like_title(m.group(3)) and _follows(number, self.number):
                self.number = number
                self.section = f"{m.group(1)}{m.group(2)} {m.group(3).strip()}"  # numbering as printed: "3.1."
                return True
        if m := _ROMAN.match(line):
            value = _roman(m.group(1))
            title = m.group(2).strip()
            if title.upper() == title and _looks_like_title(title) and value in (self.roman + 1, self.roman + 2):
                self.roman = value
                self.section = f"{m.group(1)}. {title}"
                return True
        if self.roman and (m := _LETTER.match(line)) and _looks_like_title(m.group(2)):
            parent = self.section.split(".")[0].split(" ")[0]
            self.section = f"{parent}.{m.group(1)} {m.group(2).strip()}"
            return True
        return False


# ------------------------------------------------------------------------------------------ PDF

_READABLE = re.compile(
    r"[\x20-\x7e\s\u00a0-\u00ff\u0370-\u03ff\u2000-\u22ff\u2500-\u25ff\u3000-\u303f\u4e00-\u9fff\uff00-\uffef\ufb00-\ufb06]"
)
_LATIN1_NOISE = re.compile(r"[\u0080-\u00bf\u00c0-\u00ff]")


def text_quality(text: str) -> float:
    """Share of characters that look like real text rather than undecodable glyph codes.

    Bitmap (Type 3) fonts without a ToUnicode map extract as control codes and a soup of
    Latin-1 letters; real papers have a handful of accented names at most.
    """
    stripped = "".join(text.split())
    if not stripped:
        return 0.0
    readable = len(_READABLE.findall(stripped)) - 2 * len(_LATIN1_NOISE.findall(stripped))
    return max(0.0, readable / len(stripped))


class _CountWarnings(logging.Handler):
    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.count = 0

    def emit(self, record: logging.LogRecord) -> None:
        # A wrong xref offset is repaired silently by pypdf and loses no text.
        if not record.getMessage().startswith("Ignoring wrong pointing object"):
            self.count += 1


def read_pdf_pages(path: Path, limit: int | None = None) -> list[str]:
    """Text of each page (or the first `limit`); unreadable files raise DocumentError saying why."""
    from pypdf import PdfReader
    from pypdf.errors import DependencyError, FileNotDecryptedError, PyPdfError, WrongPasswordError

    try:
        reader = PdfReader(path)
        if reader.is_encrypted and not reader.decrypt(""):
            raise FileNotDecryptedError("needs a password")
        texts = []
        for page in reader.pages[:limit]:
            try:
                texts.append(page.extract_text() or "")
            except (PyPdfError, ValueError, KeyError, TypeError, ZeroDivisionError):
                texts.append("")
        return texts
    except (FileNotDecryptedError, WrongPasswordError) as exc:
        raise DocumentError(
            f"{path.name}: encrypted with a password. Remove the password "
            "(e.g. `qpdf --decrypt in.pdf out.pdf`) and add the result."
        ) from exc
    except DependencyError as exc:
        raise DocumentError(
            f"{path.name}: AES-encrypted and the crypto extra is missing: `pip install 'pypdf[crypto]'`."
        ) from exc
    except (PyPdfError, ValueError, KeyError, TypeError, OSError) as exc:
        raise DocumentError(f"{path.name}: not a readable PDF (damaged or truncated: {exc}).") from exc


def load_pdf(path: Path, min_quality: float) -> LoadedDocument:
    counter = _CountWarnings()
    _pypdf_log.addHandler(counter)
    try:
        page_texts = read_pdf_pages(path)
    finally:
        _pypdf_log.removeHandler(counter)

    if not page_texts:
        raise DocumentError(f"{path.name}: the PDF has no pages.")
    all_text = "".join(page_texts)
    if len(all_text.strip()) < 20 * len(page_texts) and len(all_text.strip()) < 200:
        raise DocumentError(
            f"{path.name}: no text layer (scanned or image-only PDF). Run OCR on it "
            "(e.g. `ocrmypdf in.pdf out.pdf`) and add the result."
        )
    if text_quality(all_text) < min_quality:
        raise DocumentError(
            f"{path.name}: no usable text layer (its fonts are bitmaps without a "
            "character map, so extraction gives garbage). Run OCR on it "
            "(e.g. `ocrmypdf --force-ocr in.pdf out.pdf`) and add the result."
        )

    warnings = []
    if counter.count:
        warnings.append(f"{counter.count} damaged object(s) or stream(s); some text may be missing")
    tracker = HeadingTracker()
    blocks: list[Block] = []
    for number, text in enumerate(page_texts, start=1):
        if len(text.strip()) < 20 or text_quality(text) < min_quality:
            warnings.append(f"page {number}: no readable text")
            continue
        blocks.extend(_blocks_from_lines(text.splitlines(), tracker, number))
    return LoadedDocument(blocks, len(page_texts), warnings)


def _blocks_from_lines(lines: list[str], tracker: HeadingTracker, page: int) -> list[Block]:
    """Cut a page's lines into blocks at each heading; the heading line opens its block."""
    blocks: list[Block] = []
    current: list[str] = []

    def close(section: str) -> None:
        text = "\n".join(current).strip()
        if text:
            blocks.append(Block(section, page, text))
        current.clear()

    for line in lines:
        section_before = tracker.section
        if tracker.feed(line):
            close(section_before)
        current.append(line)
    close(tracker.section)
    return blocks


# ------------------------------------------------------------------------------------------ text formats

_FRONT_MATTER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def strip_front_matter(text: str) -> tuple[str, str]:
    """Split ``+++`` TOML front matter from a Markdown body."""
    if m := _FRONT_MATTER.match(text):
        return m.group(1), text[m.end() :]
    return "", text


def split_markdown(text: str) -> list[Block]:
    _, body = strip_front_matter(text)
    blocks: list[Block] = []
    section, current = "", list[str]()
    in_code = False
    for line in body.splitlines():
        if line.startswith("```"):
            in_code = not in_code
        if not in_code and (m := re.match(r"^#{1,6}\s+(.+?)\s*#*$", line)):
            if "".join(current).strip():
                blocks.append(Block(section, 0, "\n".join(current).strip()))
            section, current = m.group(1).strip(), []
            continue
        current.append(line)
    if "".join(current).strip():
        blocks.append(Block(section, 0, "\n".join(current).strip()))
    return blocks


def split_rst(text: str) -> list[Block]:
    lines = text.splitlines()
    blocks: list[Block] = []
    section, current = "", list[str]()
    i = 0
    while i < len(lines):
        line = lines[i]
        nxt = lines[i + 1] if i + 1 < len(lines) else ""
        if line.strip() and _RST_UNDERLINE.match(nxt) and len(nxt.strip()) >= len(line.strip()) - 1:
            if current and _RST_UNDERLINE.match(current[-1]):  # overline style
                current.pop()
            if "".join(current).strip():
                blocks.append(Block(section, 0, "\n".join(current).strip()))
            section, current = line.strip(), []
            i += 2
            continue
        current.append(line)
        i += 1
    if "".join(current).strip():
        blocks.append(Block(section, 0, "\n".join(current).strip()))
    return blocks


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.blocks: list[Block] = []
        self._section = ""
        self._text: list[str] = []
        self._heading: list[str] | None = None
        self._skip = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip += 1
        elif re.fullmatch(r"h[1-6]", tag):
            self._flush()
            self._heading = []
        elif tag in ("p", "br", "li", "div", "tr", "pre"):
            self._text.append("\n")

    def handle_endtag(self, tag: str) -> None:
        if tag in ("script", "style", "nav", "footer"):
            self._skip = max(0, self._skip - 1)
        elif re.fullmatch(r"h[1-6]", tag) and self._heading is not None:
            self._section = " ".join("".join(self._heading).split())
            self._heading = None

    def handle_data(self, data: str) -> None:
        if self._skip:
            return
        (self._heading if self._heading is not None else self._text).append(data)

    def _flush(self) -> None:
        text = re.sub(r"\n\s*\n+", "\n\n", "".join(self._text)).strip()
        if text:
            self.blocks.append(Block(self._section, 0, text))
        self._text = []


def split_html(text: str) -> list[Block]:
    parser = _HtmlText()
    parser.feed(text)
    parser.close()
    parser._flush()
    return parser.blocks


def load_file(path: Path, fmt: str, min_quality: float) -> LoadedDocument:
    """Load any supported format into blocks; raises DocumentError for unreadable files."""
    if fmt == "pdf":
        return load_pdf(path, min_quality)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot be read ({exc}).") from exc
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise DocumentError(f"{path.name}: the file is empty.")
    splitter = {"md": split_markdown, "rst": split_rst, "html": split_html}.get(fmt)
    blocks = splitter(text) if splitter else [Block("", 0, text.strip())]
    return LoadedDocument(blocks, 0)
