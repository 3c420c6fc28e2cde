"""Turn a file into blocks of text that each sit in one section and on one page.

Papers rarely mark their structure, so PDF headings are recognised from numbered lines
("3.2.1 Scaled Dot-Product Attention", "III. FACTORIZATION MACHINES", "2.1. Functional
Correctness") and accepted only when the numbering moves forward plausibly; that rejects
reference entries ("2018. Contextual string…") and numbered lists inside the text.

A heading is the numbered title only. Run-in headings ("3.1.3 Model Compression. Here, we delve…", as
ACM papers print their sub-subsections) give their title and leave the sentence to the body, and a title
wrapped onto a second line ("3.4. Comparative Analysis of Related Models and" / "Systems") is joined.
`heading_issue` is the one test of whether a label reads as a heading; ingest and `tutor audit` use it too.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field, replace
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING

from tutor.errors import DocumentError
from tutor.lang.script import CJK_CLASS
from tutor.lang.tables import tables_as_lines

if TYPE_CHECKING:
    from tutor.ocr import PageOcr

# pypdf logs every repair it makes; ingest counts them per document and reports that instead.
_pypdf_log = logging.getLogger("pypdf")
_pypdf_log.propagate = False
_pypdf_log.addHandler(logging.NullHandler())


Part = str  # "front" (title, authors, e-mails), "body", "references", "appendix" (anything after the references)


@dataclass
class Block:
    section: str
    page: int  # 1-based PDF page; 0 for formats without pages
    text: str
    part: Part = "body"
    ocr: bool = False  # the text came from OCR, not from the file's own text layer


@dataclass
class LoadedDocument:
    blocks: list[Block]
    pages: int
    warnings: list[str] = field(default_factory=list)


# ------------------------------------------------------------------------------------------ headings

_ARABIC = re.compile(r"^(\d{1,2}(?:\.\d{1,2}){0,3})(\.?)\s+([A-Z][^\n]*)$")
_ROMAN = re.compile(r"^([IVX]{1,5})\.\s+([A-Z][^\n]{2,90})$")
_LETTER = re.compile(r"^([A-H])\.\s+([A-Z][^\n]{2,90})$")
# After the references: "A Additional Details for BERT", "A.1 Illustration…", "B. Object Detection…", "Appendix C".
_APPENDIX = re.compile(r"^(?:Appendix\s+)?([A-H])((?:\.\d{1,2}){0,3})\.?(?::|\s)\s*([A-Z][^\n]{2,90})$")
_INITIALS = re.compile(r"^[A-Z]\.\s?[A-Z][\w'-]*[,.]|,\s?[A-Z]\.")  # "C. Schmid." / "Vaswani, A.": a reference entry
_OPENING = {"abstract", "introduction", "摘要", "引言"}  # unnumbered headings before the numbered ones
_REFERENCES = {"references", "bibliography", "参考文献"}
_APPENDICES = {"appendix", "appendices", "附录"}
_CLOSING = {*_REFERENCES, *_APPENDICES, "acknowledgements", "acknowledgments", "致谢", "习题"}
_ROMAN_VALUES = {"I": 1, "V": 5, "X": 10}

# Chinese textbooks: "第2章 模型评估与选择" (or 第二章), "2.1 经验误差与过拟合", and "§3.2" in either language.
_CN_DIGITS = {c: i for i, c in enumerate("零一二三四五六七八九")}
_CN_CHAPTER = re.compile(r"^第\s*([0-9]{1,2}|[一二三四五六七八九十]{1,3})\s*章(?:\s*(\S[^\n]{0,40}))?$")
_CN_NUMBERED = re.compile(rf"^(\d{{1,2}}(?:\.\d{{1,2}}){{1,3}})\s+([{CJK_CLASS}][^\n]{{0,40}})$")
_SECTION_SIGN = re.compile(r"^§\s*(\d{1,2}(?:\.\d{1,2}){0,3})\.?(?:\s+(\S[^\n]{0,90}))?$")
_CN_SENTENCE = re.compile(r"[。，；！？、]")
_TOC_LEADER = re.compile(r"(?:\.\s?){3,}|…|·{3,}")  # "2.1 经验误差 ........ 23": a table-of-contents line


def _chinese_number(text: str) -> int:
    """Chapter numbers as printed: 2 → 2, 十二 → 12, 二十 → 20."""
    if text.isdigit():
        return int(text)
    if "十" not in text:
        return _CN_DIGITS.get(text, 0)
    tens, _, units = text.partition("十")
    return (_CN_DIGITS.get(tens, 0) if tens else 1) * 10 + (_CN_DIGITS.get(units, 0) if units else 0)


def _looks_like_cjk_title(title: str) -> bool:
    """A Chinese heading is short, has no sentence punctuation and no page number after it (a contents line)."""
    title = title.strip()
    return (
        0 < len(title) <= 24
        and not _CN_SENTENCE.search(title)
        and not _TOC_LEADER.search(title)
        and not re.search(r"\s\d+$", title)
    )


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
    return letters >= 0.6 * len(title.replace(" ", "")) and "et al" not in title and not _sentence_issue(title)


# Words a title does not end on: a title that does was cut off at a line break ("… tailored for").
_DANGLING = {"a", "an", "and", "as", "at", "by", "for", "from", "in", "into", "of", "on", "or", "the", "to", "with"}
_SMALL_WORDS = _DANGLING | {"vs", "vs.", "via", "versus", "is", "are", "can", "do", "does"}
# A full stop that ends a sentence, not an abbreviation ("FMs vs. SVMs", "AdaBoost.MH", "e.g. BERT").
_SENTENCE_STOP = re.compile(r"(?<!\bvs)(?<!\be\.g)(?<!\bi\.e)(?<!\bet al)(?<!\bfig)(?<!\bno)\.\s+(?=\S)", re.I)
_NUMBERING = re.compile(
    r"^(?:Appendix\s+)?(?:§\s*)?(?:\d{1,2}(?:\.\d{1,2}){0,3}|[IVX]{1,5}(?:\.[A-H])?|[A-H](?:\.\d{1,2}){0,3})\.?\s+"
    r"|^(?:[一二三四五六七八九十]{1,3}|\d{1,2})、\s*"  # Chinese enumeration: "一、数据与切块", "2、评测"
    r"|^[（(](?:[一二三四五六七八九十]{1,3}|\d{1,2})[)）]\s*"  # "（一）切块"
)


def heading_title(label: str) -> str:
    """A section label without its numbering: "3.1.3 Model Compression" → "Model Compression"."""
    return _NUMBERING.sub("", label.strip(), count=1)


def _sentence_issue(title: str) -> str:
    """Why a title (numbering removed) reads as a sentence or a paragraph rather than a title ("" if not)."""
    if len(title) > 100 or len(title.split()) > 14:
        return "too long for a heading: a sentence or a paragraph"
    if _CN_SENTENCE.search(title):
        return "Chinese sentence punctuation in a heading"
    stop = _SENTENCE_STOP.search(title)
    if stop and len(title[stop.end() :].split()) >= 5 and len(title.split()) > 8:
        return "a sentence follows the title"
    if title.endswith((",", ";")):
        return "ends mid-sentence"
    return ""


def heading_issue(label: str) -> str:
    """Why a section label is not a heading but a cut-off sentence ("" when it reads as a heading).

    A heading is a title: no sentence after it ("Architecture Design. This subsection explores…"), not a
    numbered title cut off at a line break ("… Related Models and"), not a clause (a comma or semicolon at its
    end), not a paragraph (more than 14 words or 100 characters). Chinese labels must be free of sentence
    punctuation.
    """
    label = " ".join(label.split())
    title = heading_title(label)
    if not title:
        return ""
    if issue := _sentence_issue(title) or ("too long for a heading" if len(label) > 100 else ""):
        return issue
    last = title.split()[-1]
    numbered = title != label  # a title a PDF line gave; a Markdown "Where these files come from" is whole
    if numbered and len(title.split()) > 1 and last.lower().lstrip(",") in _DANGLING:
        return f"ends on {last!r}: cut off"
    return ""


def repair_heading(label: str) -> str | None:
    """A label that reads as a heading, as it is; a run-in heading cut to its numbered title
    ("3.1.2 Architecture Design. This subsection explores…" → "3.1.2 Architecture Design"); a title cut off
    at a line break without its dangling words ("… Related Models and" → "… Related Models"); None when no
    title can be told from the sentence."""
    if not heading_issue(label):
        return label
    label = " ".join(label.split())
    title = heading_title(label)
    number = label[: len(label) - len(title)]
    if _sentence_issue(title):
        head, _ = _run_in(title)
        return f"{number}{head}" if head else None
    words = title.split()
    while len(words) > 1 and words[-1].lower().lstrip(",") in _DANGLING:
        words.pop()
    return f"{number}{' '.join(words).rstrip(' ,;')}"


def _run_in(title: str) -> tuple[str, str]:
    """ "Model Compression. Here, we delve…" → ("Model Compression", "Here, we delve…"): a run-in heading's
    title and the sentence after it on the same line; ("", "") when the line is not one."""
    stop = _SENTENCE_STOP.search(title)
    if not stop or not re.match(r"[A-Z(“\"]", title[stop.end() :]) or len(title[stop.end() :].split()) < 2:
        return "", ""
    head = title[: stop.start()].strip()
    words = head.split()
    title_case = all(w[0].isupper() or w[0].isdigit() or w.lower() in _SMALL_WORDS for w in words)
    if not (1 <= len(words) <= 7 and title_case and _looks_like_title(head)) or re.search(r"[!?:;]", head):
        return "", ""
    return head, title[stop.end() :].strip()


def sound_headings(blocks: list[Block]) -> tuple[list[Block], int]:
    """The blocks with every section label a heading: a run-in or cut-off label repaired to its title, a
    label that is only a sentence replaced by the section before it. Returns the blocks and how many
    labels changed."""
    changed = 0
    out: list[Block] = []
    previous = ""
    for block in blocks:
        label = repair_heading(block.section) if block.section else block.section
        if label is None:
            label = previous
        if label != block.section:
            changed += 1
            block = replace(block, section=label)
        previous = label
        out.append(block)
    return out, changed


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
    """Keeps the current section while reading lines in order; recognises the next heading.

    Also knows which part of the paper it is in: the front matter until the first heading, the body,
    the references, and the appendix after them (so an appendix is never labelled "References").
    """

    def __init__(self) -> None:
        self.number: tuple[int, ...] = ()
        self.roman: int = 0
        self.appendix: tuple[int, ...] = ()
        self.section = ""
        self.part: Part = "front"
        self.run_in = ""  # the sentence that followed the title on the last heading's line, if any

    def feed(self, line: str) -> bool:
        """Return True (and update `section` and `part`) when the line is a heading."""
        line = line.strip()
        self.run_in = ""
        if len(line) > 100 and not _ARABIC.match(line):  # a long line may still be a run-in heading
            return False
        bare = line.lower().rstrip(":.：")
        if bare in _CLOSING or (bare in _OPENING and not self.number and not self.roman):
            self.section = line.rstrip(":.：").title()
            if bare in _REFERENCES:
                self.part = "references"
            elif bare in _APPENDICES:
                self.part = "appendix"
            elif self.part == "front":
                self.part = "body"
            return True
        if self.part in ("references", "appendix") and self._appendix_heading(line):
            return True
        if self._chapter_heading(line):
            return True
        found = self._numbered_heading(line)
        if found and self.section.split(" ", 1)[-1].lower() in _REFERENCES:
            self.part = "references"  # "9. REFERENCES"
        elif found and self.part == "front":
            self.part = "body"
        elif found and self.part == "references":
            self.part = "appendix"  # numbering that goes on after the references: "8. Appendix A: Samples"
        return found

    def turn_page(self, page: int) -> None:
        """Front matter (title, authors, abstract) fits on the first page: a document still "front" after it had
        headings the tracker did not know (a scanned chapter whose chapter line OCR misread), and its text is
        body, to be quoted, not a title block."""
        if page > 1 and self.part == "front":
            self.part = "body"

    def continues(self, line: str) -> bool:
        """Join `line` to the heading just found when the title was wrapped onto it: the title ends on a
        word no title ends on ("… Related Models and" / "Systems"), or the line is a short title-like
        fragment ("… on Different" / "Tasks"). Returns True when joined."""
        line = " ".join(line.split())
        words = line.split()
        if self.run_in or not words or not self.section or line.endswith((".", ",", ";", ":")):
            return False
        if words[0][0].isdigit() or "://" in line or any(p.match(line) for p in (_ROMAN, _LETTER, _APPENDIX)):
            return False  # the next heading, a footnote or a link: not the rest of this title
        cut = bool(heading_issue(self.section))
        short = len(words) <= 3 and (words[0][0].isupper() or words[0][0].isdigit())
        joined = f"{self.section} {line}"
        if not (cut or short) or len(joined) > 100 or heading_issue(joined) or not _looks_like_title(line):
            return False
        self.section = joined
        return True

    def _appendix_heading(self, line: str) -> bool:
        m = _APPENDIX.match(line)
        if not m or _INITIALS.search(line) or not _looks_like_title(m.group(3)):
            return False
        number = (ord(m.group(1)) - ord("A") + 1, *(int(p) for p in m.group(2).split(".")[1:]))
        if not _follows(number, self.appendix):
            return False
        self.appendix = number
        self.section = f"Appendix {m.group(1)}{m.group(2)} {m.group(3).strip()}"
        self.part = "appendix"
        return True

    def _chapter_heading(self, line: str) -> bool:
        """A book's chapter ("第2章 模型评估与选择"), always in the body: a chapter's own references come
        before the next chapter. Any later chapter is accepted, as a learner may scan only some."""
        if not (m := _CN_CHAPTER.match(line)):
            return False
        chapter = _chinese_number(m.group(1))
        title = " ".join((m.group(2) or "").split())
        if not 0 < chapter < 100 or (self.number and chapter <= self.number[0]):
            return False  # the running header of the current chapter, or a table of contents seen before
        if title and not _looks_like_cjk_title(title):
            return False
        self.number = (chapter,)
        self.section = f"第{m.group(1)}章 {title}".strip()  # as printed: 第2章, 第十二章
        self.part = "body"
        return True

    def _numbered_heading(self, line: str) -> bool:
        if m := _CN_NUMBERED.match(line):
            number = tuple(int(p) for p in m.group(1).split("."))
            title = " ".join(m.group(2).split())
            first_of_chapter = not self.number and len(number) == 2 and number[1] == 1  # "7.1" in a chapter scanned
            if _looks_like_cjk_title(title) and (_follows(number, self.number) or first_of_chapter):
                self.number = number
                self.section = f"{m.group(1)} {title}"
                return True
        if m := _SECTION_SIGN.match(line):
            number = tuple(int(p) for p in m.group(1).split("."))
            title = " ".join((m.group(2) or "").split())
            titled = not title or _looks_like_title(title) or _looks_like_cjk_title(title)
            if titled and not _TOC_LEADER.search(title) and _follows(number, self.number):
                self.number = number
                self.section = f"§{m.group(1)} {title}".strip()
                return True
        if m := _ARABIC.match(line):
            number = tuple(int(p) for p in m.group(1).split("."))
            title, rest = m.group(3).strip(), ""
            head, sentence = _run_in(title)  # "3.1.3 Model Compression. Here, we delve…"
            if head:
                title, rest = head, sentence
            elif len(title) > 91 or not _looks_like_title(title):
                title = ""
            if title and _follows(number, self.number):
                self.number = number
                self.section = f"{m.group(1)}{m.group(2)} {title}"  # numbering as printed: "3.1."
                self.run_in = rest
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
_MIN_PAGE_CHARS = 20  # fewer characters than this on a page: no text layer there


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


def scan_resolutions(path: Path, pages: list[int]) -> dict[int, float]:
    """Pixels per inch of the image that fills each given page (a scan), where there is one."""
    from pypdf import PdfReader

    found: dict[int, float] = {}
    try:
        reader = PdfReader(path)
        for number in pages:
            page = reader.pages[number - 1]
            xobjects = page.get("/Resources", {}).get_object().get("/XObject", {}).get_object()
            widths = [
                int(x.get_object()["/Width"]) for x in xobjects.values() if x.get_object().get("/Subtype") == "/Image"
            ]
            page_inches = float(page.mediabox.width) / 72
            if widths and page_inches > 0:
                found[number] = max(widths) / page_inches
    except Exception:  # noqa: BLE001 -- only a hint: without it pages are rendered at the configured resolution
        return found
    return found


def needs_ocr(text: str, min_quality: float) -> bool:
    """A page without a usable text layer: (almost) no text, or text that is not language."""
    return len(text.strip()) < _MIN_PAGE_CHARS or text_quality(text) < min_quality


def _page_list(pages: list[int]) -> str:
    """1, 3, 5-9: pages named compactly in a message."""
    runs: list[list[int]] = []
    for p in pages:
        if runs and p == runs[-1][1] + 1:
            runs[-1][1] = p
        else:
            runs.append([p, p])
    text = ", ".join(f"{a}" if a == b else f"{a}-{b}" for a, b in runs)
    return f"page {text}" if len(pages) == 1 else f"pages {text}"


def load_pdf(path: Path, min_quality: float, ocr: PageOcr | None = None) -> LoadedDocument:
    """Text layer where it is usable, OCR for the pages where it is not (when `ocr` is given and can run)."""
    counter = _CountWarnings()
    _pypdf_log.addHandler(counter)
    try:
        page_texts = read_pdf_pages(path)
    finally:
        _pypdf_log.removeHandler(counter)

    if not page_texts:
        raise DocumentError(f"{path.name}: the PDF has no pages.")
    todo = [n for n, text in enumerate(page_texts, start=1) if needs_ocr(text, min_quality)]
    all_text = "".join(page_texts)
    if len(todo) == len(page_texts):
        scanned = len(all_text.strip()) < 20 * len(page_texts) and len(all_text.strip()) < 200
        reason = (
            "no text layer (scanned or image-only PDF)"
            if scanned
            else "no usable text layer (its fonts are bitmaps without a character map, so extraction gives garbage)"
        )
        if ocr is None:
            raise DocumentError(f"{path.name}: {reason}. Index it with `tutor ingest`, which runs OCR on such pages.")
        if not ocr.available:
            raise DocumentError(f"{path.name}: {reason}; {ocr.unavailable_reason()}.")

    warnings = []
    if counter.count:
        warnings.append(f"{counter.count} damaged object(s) or stream(s); some text may be missing")
    ocr_texts: dict[int, str] = {}
    if todo and ocr is not None and ocr.available:
        ocr_texts = ocr.read(path, todo, scan_resolutions(path, todo))
        warnings.extend(ocr.stats.failures)
        blank = [n for n in todo if n in ocr_texts and len(ocr_texts[n].strip()) < _MIN_PAGE_CHARS]
        if blank:
            warnings.append(f"{_page_list(blank)}: no text found by OCR either")
    elif todo:
        why = ocr.unavailable_reason() if ocr is not None else "not OCRed"
        warnings.append(f"{_page_list(todo)}: no readable text ({why})")

    tracker = HeadingTracker()
    blocks: list[Block] = []
    for number, text in enumerate(page_texts, start=1):
        from_ocr = number in ocr_texts
        text = ocr_texts.get(number, text)
        if len(text.strip()) < _MIN_PAGE_CHARS or (not from_ocr and text_quality(text) < min_quality):
            continue
        tracker.turn_page(number)
        blocks.extend(_blocks_from_lines(text.splitlines(), tracker, number, from_ocr))
    if not blocks:
        raise DocumentError(f"{path.name}: no text layer, and OCR found no text on any of its {len(page_texts)} pages.")
    return LoadedDocument(blocks, len(page_texts), warnings)


def _blocks_from_lines(lines: list[str], tracker: HeadingTracker, page: int, ocr: bool = False) -> list[Block]:
    """Cut a page's lines into blocks at each heading; the heading line opens its block."""
    blocks: list[Block] = []
    current: list[str] = []

    def close(section: str, part: Part) -> None:
        text = "\n".join(current).strip()
        if text:
            blocks.append(Block(section, page, text, part, ocr))
        current.clear()

    joinable = False  # the previous line was a heading whose title may continue on this one
    for line in lines:
        if joinable and tracker.continues(line):
            current.append(line)
            joinable = False
            continue
        section_before, part_before = tracker.section, tracker.part
        joinable = tracker.feed(line)
        if joinable:
            close(section_before, part_before)
            if tracker.run_in:  # the heading line is its title; the sentence after it is body text
                current.extend([line.strip()[: -len(tracker.run_in)].rstrip().rstrip("."), tracker.run_in])
                continue
        current.append(line)
    close(tracker.section, tracker.part)
    return blocks


# ------------------------------------------------------------------------------------------ text formats

_FRONT_MATTER = re.compile(r"\A\+\+\+\n(.*?)\n\+\+\+\n", re.S)
_RST_UNDERLINE = re.compile(r"^([=\-~^\"'`#*+])\1{2,}\s*$")


def strip_front_matter(text: str) -> tuple[str, str]:
    """Split ``+++`` TOML front matter from a Markdown body."""
    if m := _FRONT_MATTER.match(text):
        return m.group(1), text[m.end() :]
    return "", text


_HTML_COMMENT = re.compile(r"<!--.*?-->", re.S)
_HTML_TAG = re.compile(r"</?[a-zA-Z][^>]*>")
_RST_MATH_ROLE = re.compile(r":math:`([^`]*)`")
_RST_ROLE = re.compile(r":(?:ref|doc|class|func|py:\w+):`([^`<]*?)(?:\s*<[^>]*>)?`")


def _markdown_prose(text: str) -> str:
    """Drop HTML comments (a licence header is not content) and tags, keeping the text inside tags."""
    return _HTML_TAG.sub("", _HTML_COMMENT.sub("", text))


def _rst_prose(text: str) -> str:
    """rst maths as $…$ / $$…$$ (the web app typesets both); other roles as their plain text."""
    text = _RST_MATH_ROLE.sub(lambda m: f"${m.group(1)}$", text)
    text = _RST_ROLE.sub(lambda m: m.group(1), text)

    def display(m: re.Match[str]) -> str:
        body = " ".join(line.strip() for line in m.group(1).splitlines() if line.strip())
        return f"\n$${body}$$\n"

    return re.sub(r"^\.\. math::\s*\n((?:[ \t]+.*\n|[ \t]*\n)+)", display, text, flags=re.M)


def split_markdown(text: str) -> list[Block]:
    _, body = strip_front_matter(text)
    body = tables_as_lines(_markdown_prose(body))
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
    lines = _rst_prose(text).splitlines()
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


def load_file(path: Path, fmt: str, min_quality: float, *, ocr: PageOcr | None = None) -> LoadedDocument:
    """Load any supported format into blocks; raises DocumentError for unreadable files.

    With `ocr`, PDF pages without a usable text layer are OCRed (or, where OCR cannot run, reported with
    the command that installs it while the other pages are loaded); without it they are skipped.
    """
    if fmt == "pdf":
        return load_pdf(path, min_quality, ocr)
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise DocumentError(f"{path.name}: cannot be read ({exc}).") from exc
    text = raw.decode("utf-8", errors="replace")
    if not text.strip():
        raise DocumentError(f"{path.name}: the file is empty.")
    splitter = {"md": split_markdown, "rst": split_rst, "html": split_html}.get(fmt)
    blocks = splitter(text) if splitter else [Block("", 0, tables_as_lines(text.strip()))]
    return LoadedDocument(blocks, 0)
