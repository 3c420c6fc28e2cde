"""Every citation written in corpus/ checked against the reading it names (`tutor audit`).

A citation is a reading id, a section and a 1-based page: a Q&A pair's `source` and `more`, a note's
`readings`, a quiz item's `source`, a section of the reading list. For each whose reading has a file here:

- **section**: the label reads as a heading (`tutor.loaders.heading_issue`: no cut-off sentence) and is one
  the loader extracts from the reading, matched on number and title ("3.1 Decoder: General Description" is
  the PDF's "3.1 DECODER: GENERAL DESCRIPTION");
- **page**: the cited page lies within that section's pages;
- **numbers** (Q&A answers): each number, read with its unit and in either script by `tutor.lang.numbers`,
  is on a cited page or a neighbouring one, unless the pair lists it in `derived` (a worked example);
- **names** (Q&A answers): each model, dataset or system the answer names is there too.

Readings without a file are skipped and listed. Numbers and names are checked only for pairs whose every
citation can be read, since a fact may rest on the one that cannot.
"""

from __future__ import annotations

import json
import re
import time
import tomllib
import unicodedata
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

import click
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from tutor.clierrors import friendly_errors
from tutor.config import Settings
from tutor.errors import ConfigError, DocumentError
from tutor.glossary import load_glossary
from tutor.lang.numbers import number_spans, numbers_in, same_number
from tutor.library import SUPPORTED_SUFFIXES, find_in_library
from tutor.loaders import heading_issue, load_file
from tutor.notes import find_note_files
from tutor.ocr import PageOcr
from tutor.qa import load_qa
from tutor.readings import ReadingList
from tutor.study.items import load_items

Check = Literal["section", "page", "number", "name"]
CHECKS: tuple[Check, ...] = ("section", "page", "number", "name")


# ------------------------------------------------------------------------------------------ what is cited


@dataclass(frozen=True)
class Citation:
    """One place a corpus file points to."""

    origin: str  # where it is written: "qa/en/softmax.toml#why-exp", "notes/zh/kv-cache.md", "readings.toml"
    reading_id: str
    section: str
    page: int | None


@dataclass(frozen=True)
class Claim:
    """What a Q&A pair states that its cited pages must show: its answer's numbers and names."""

    origin: str
    text: str
    derived: tuple[str, ...]
    citations: tuple[Citation, ...]


def corpus_citations(corpus: Path, readings: ReadingList) -> tuple[list[Citation], list[Claim]]:
    """Every citation written in the corpus, and the Q&A answers whose numbers and names are checked."""
    citations: list[Citation] = []
    claims: list[Claim] = []
    for pair in load_qa(corpus):
        origin = f"qa/{pair.lang}/{pair.note.removeprefix('note-')}.toml#{pair.id}"
        cited = tuple(Citation(origin, p.id, p.section, p.page) for p in [pair.source, *pair.more])
        citations.extend(cited)
        claims.append(Claim(origin, "\n".join([pair.a, pair.plain, pair.deeper]), tuple(pair.derived), cited))
    for note in find_note_files(corpus):
        origin = f"notes/{note.lang}/{note.path.name}"
        citations.extend(Citation(origin, p["id"], p["section"], p.get("page")) for p in note.readings)
    for item in load_items(corpus).items:
        slug, lang, local = item.id.split(".", 2)
        origin = f"practice/{lang}/{slug}.toml#{local}"
        citations.append(Citation(origin, item.source.id, item.source.section, item.source.page))
    for reading in readings.readings:
        origin = f"readings.toml#{reading.id}"
        citations.extend(Citation(origin, reading.id, s.name, s.page) for s in reading.sections)
    return citations, claims


# ------------------------------------------------------------------------------------------ what the readings say


@dataclass(frozen=True)
class Heading:
    label: str
    pages: tuple[int, ...]  # every page the section has text on (0 for formats without pages)
    number: str
    title: str  # normalised: lower case, letters and digits


@dataclass
class Document:
    """A reading as the loader extracts it: its headings and the text of each page (or section)."""

    reading_id: str
    path: Path
    headings: list[Heading]
    pages: dict[int, str]  # 1-based page → text; without pages, each section's text under its heading's index
    paged: bool
    _numbers: dict[int, set[float]] = field(default_factory=dict)
    _flat: dict[int, str] = field(default_factory=dict)

    def numbers_on(self, page: int) -> set[float]:
        if page not in self._numbers:
            self._numbers[page] = page_numbers(self.pages.get(page, ""))
        return self._numbers[page]

    def flat(self, page: int) -> str:
        """A page's text folded for matching names: lower case, letters and digits only."""
        if page not in self._flat:
            self._flat[page] = fold(self.pages.get(page, "").replace("-\n", ""))
        return self._flat[page]


# How PDFs print what the shared parser reads otherwise: "14, 656" (a table's thousands), "60 × 104" and
# "3 × 10−5" (superscripts set on the line), "10−4" (U+2212, a minus, not a dash).
_GLUED = re.compile(r"(?<=[A-Za-z])\d{1,3}(?![\d.])")
_THOUSANDS_GAP = re.compile(r"(?<![\d.])(\d{1,3}), (\d{3})(?![\d.])")
_POWER = re.compile(r"(?<![\d.])(\d+(?:\.\d+)?)\s*[×·]\s*10\s*(−?)\s*(\d{1,2})(?![\d.])")
_NEGATIVE_POWER = re.compile(r"(?<![\d.])10\s*−\s*(\d{1,2})(?![\d.])")


def page_numbers(text: str) -> set[float]:
    """The numbers a page states: as `tutor.lang.numbers` reads them, plus the forms PDF extraction leaves."""
    values = numbers_in(text) | numbers_in(_THOUSANDS_GAP.sub(r"\1,\2", text))
    values.update(float(m) for m in _GLUED.findall(text))  # FP16, W8A16, INT8: the widths a page names
    for m in _POWER.finditer(text):
        values.add(float(m.group(1)) * 10.0 ** (-int(m.group(3)) if m.group(2) else int(m.group(3))))
    values.update(10.0 ** -int(m.group(1)) for m in _NEGATIVE_POWER.finditer(text))
    return values


def fold(text: str) -> str:
    return re.sub(r"[\W_]+", "", unicodedata.normalize("NFKC", text).casefold())


_NUMBER = re.compile(
    r"^(?:appendix\s+)?(?:§\s*)?(\d{1,2}(?:\.\d{1,2}){0,3}|[ivx]{1,5}(?:\.[a-h])?|[a-h](?:\.\d{1,2}){0,3})\.?(?:\s+|$)",
    re.I,
)


def split_label(label: str) -> tuple[str, str]:
    """ "3.1. Residual Learning" → ("3.1", "residual learning"); "Appendix A.1 Foo" → ("a.1", "foo")."""
    text = " ".join(unicodedata.normalize("NFKC", label).split())
    m = _NUMBER.match(text)
    number = m.group(1).casefold() if m and m.end() < len(text) else ""
    title = text[m.end() :] if number and m else text
    return number, " ".join(re.findall(r"\w+", title.casefold()))


def load_document(reading_id: str, path: Path, min_quality: float, ocr: PageOcr | None) -> Document:
    fmt = SUPPORTED_SUFFIXES[path.suffix.lower()]
    loaded = load_file(path, fmt, min_quality, ocr=ocr)
    paged = loaded.pages > 0
    spans: dict[str, set[int]] = {}
    texts: dict[str, list[str]] = {}
    pages: dict[int, list[str]] = {}
    for block in loaded.blocks:
        spans.setdefault(block.section, set()).add(block.page)
        texts.setdefault(block.section, []).append(block.text)
        pages.setdefault(block.page, []).append(block.text)
    headings = [Heading(label, tuple(sorted(p)), *split_label(label)) for label, p in spans.items() if label]
    if paged:
        page_text = {page: "\n".join(parts) for page, parts in pages.items()}
    else:  # a section stands in for a page: the number and name checks read the cited section
        page_text = {i: "\n".join(texts[h.label]) for i, h in enumerate(headings)}
    return Document(reading_id, path, headings, page_text, paged)


def find_documents(
    settings: Settings, readings: ReadingList, folder: Path | None, wanted: Iterable[str]
) -> dict[str, Path]:
    """The file of each wanted reading: in `folder`, named by reading id (`<id>.pdf`, or `<id>-…` when no
    file has the bare id), else in the library of the data folder."""
    found: dict[str, Path] = {}
    files = (
        sorted(p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in SUPPORTED_SUFFIXES) if folder else []
    )
    for reading_id in wanted:
        if reading_id not in readings.by_id:
            continue
        if folder is None:
            path = find_in_library(settings, reading_id)
        else:
            named_so = [p for p in files if p.stem == reading_id] or [
                p for p in files if p.stem.startswith(f"{reading_id}-")
            ]
            path = named_so[0] if named_so else None
        if path is not None:
            found[reading_id] = path
    return found


# ------------------------------------------------------------------------------------------ checks


@dataclass(frozen=True)
class Failure:
    origin: str
    check: Check
    reading_id: str
    section: str
    page: int | None
    detail: str

    def as_json(self) -> dict[str, Any]:
        return {
            "origin": self.origin,
            "check": self.check,
            "reading_id": self.reading_id,
            "section": self.section,
            "page": self.page,
            "detail": self.detail,
        }


def _similar(a: str, b: str) -> bool:
    """Two normalised titles name the same section: equal, one the other's start, or mostly the same words."""
    if a == b:
        return True
    if a and b and (a.startswith(b) or b.startswith(a)) and min(len(a.split()), len(b.split())) >= 2:
        return True
    wa, wb = set(a.split()), set(b.split())
    return bool(wa and wb) and len(wa & wb) / len(wa | wb) >= 0.6


def match_section(label: str, doc: Document) -> tuple[Heading | None, str]:
    """The extracted heading a cited label names, or why there is none."""
    number, title = split_label(label)
    for heading in doc.headings:
        if heading.number == number and heading.title == title:
            return heading, ""
    same_number = [h for h in doc.headings if number and h.number == number]
    for heading in same_number:
        if _similar(title, heading.title):
            return heading, ""
    if same_number:
        return None, f"section {number} is {same_number[0].label!r} in the reading"
    same_title = [h for h in doc.headings if _similar(title, h.title)]
    if same_title and not number:
        return same_title[0], ""
    if same_title:
        return None, f"no section numbered {number}; that title is {same_title[0].label!r}"
    return None, f"no such section among the {len(doc.headings)} the reading has"


def _pages_text(pages: Iterable[int]) -> str:
    runs = sorted(set(pages))
    return f"p. {runs[0]}" if len(runs) == 1 else f"pp. {runs[0]}–{runs[-1]}"


def check_citation(citation: Citation, doc: Document) -> tuple[list[Failure], Heading | None]:
    """The section and page checks for one citation; also returns the heading it resolved to."""
    failures: list[Failure] = []

    def fail(check: Check, detail: str) -> None:
        failures.append(Failure(citation.origin, check, citation.reading_id, citation.section, citation.page, detail))

    if issue := heading_issue(citation.section):
        fail("section", f"not a heading ({issue})")
    heading, why = match_section(citation.section, doc)
    if heading is None:
        fail("section", why)
    elif citation.page is not None and doc.paged and not heading.pages[0] <= citation.page <= heading.pages[-1]:
        fail("page", f"{heading.label!r} is on {_pages_text(heading.pages)}")
    return failures, heading


# Numbers that refer to the document, not to a quantity: Table 5, Fig. 4, §3.2, Eq. (3), 第 3 章, 表 2.
_REFERENCE_BEFORE = re.compile(
    r"(?:\b(?:tables?|tab\.|fig\.|figs\.|figures?|sections?|sec\.|eqs?\.|equations?|algorithms?|alg\.|appendix|"
    r"chapters?|ch\.|p\.|pp\.|pages?|steps?|lines?|lemma|theorem|v)|§|第|算法|附录|章节|公式|"
    r"(?:(?<![\u4e00-\u9fff])|(?<=[见如在从]))[表图式])\s*\(?\s*$",  # 表 2, 见图 3; not 代表 or 形式
    re.I,
)
_REFERENCE_AFTER = re.compile(r"^\s*(?:节|章|页|[.]\d)")
_HEDGE = re.compile(r"(?:about|around|roughly|nearly|almost|approximately|over|~|≈|约|大约|近|超过|左右)\s*$", re.I)
_HEDGE_AFTER = re.compile(r"^\s*(?:左右|上下)")  # 0.91 左右: about that
_MORE_AFTER = re.compile(r"^\s*(?:多|余|\+)")  # 三万多, 4 万余, 10+: that and more
_PERCENT_WORD = re.compile(r"^\s*(?:percent|per cent)\b", re.I)  # tutor.lang.numbers reads "%" only
_VAGUE_WORDS = {"dozen", "hundred", "thousand", "million", "billion", "trillion"}  # "thousands of tokens"
_CJK_SCALE = re.compile(r"^\s*[万亿]")  # "330 亿亿": the shared parser reads the first 亿 only


@dataclass(frozen=True)
class Number:
    literal: str
    values: tuple[float, ...]  # as written first; a percentage is also its fraction
    tolerance: float  # of the first value: half a unit of the last digit written, "1.5 billion" ± 0.05e9
    hedged: bool  # "about 150", "约 5 万"
    more: bool = False  # "三万多": the tolerance counts upwards only


def _tolerance(digits: re.Match[str] | None, main: float, percent: bool, hedged: bool, more: bool) -> float:
    """How far a page's number may be from the written one and still be it: half a unit of the last digit
    written, at its scale ("28.5" ± 0.05, "1.5 billion" ± 0.05e9, "70%" ± 0.5). A one-digit number must be
    exact ("0.4" is not 0.377) unless hedged ("about 0.4"), and a hedged round number is read to its last
    non-zero digit, within 5 % ("about 13,000" is 13,317; "about 400" is not 361). "三万多" is 30,000 and up,
    to 40,000 (`Number.more`)."""
    if digits is None:  # 三万, twelve: the number as its digits
        if main != int(main):
            return 0.0
        digits = re.search(r"\d+()", f"{int(main)}")
        assert digits is not None
    written = digits.group(0).replace(",", "")
    decimals = len(digits.group(1) or "")
    base = float(written)
    scale = abs(main / base) if base and not percent else 1.0
    significant = written.replace(".", "").lstrip("0")
    zeros = len(significant) - len(significant.rstrip("0")) if hedged and not decimals else 0
    if len(significant) - zeros < 2 and not hedged:
        return 0.0
    if more:  # 三万多, 4 万余: anything up to the next unit of the last non-zero digit
        return 10.0 ** (zeros - decimals) * scale
    return min(0.5 * 10.0 ** (zeros - decimals), 0.05 * base if zeros else float("inf")) * scale


def _written(text: str) -> list[Number]:
    """Every number in a text, each with the values `tutor.lang.numbers` gives it, the one written first."""
    spans: dict[tuple[int, int], list[float]] = {}
    for value, start, end in number_spans(text):
        spans.setdefault((start, end), []).append(value)
    return [Number(text[a:b].strip(), tuple(v), 0.0, False) for (a, b), v in spans.items()]


def stated_numbers(text: str) -> list[Number]:
    """The quantities a text states, as `tutor.lang.numbers` reads them, less those that cannot be checked on
    a page: years, small counts (ten or less), numbers that are part of a name (GPT-2, fp16, ResNet-34) or
    point into the document (Table 5, §3.2)."""
    spans: dict[tuple[int, int], list[float]] = {}
    for value, start, end in number_spans(text):
        spans.setdefault((start, end), []).append(value)
    found: list[Number] = []
    for (start, end), values in spans.items():
        literal = text[start:end].strip()
        before, after = text[max(0, start - 24) : start], text[end : end + 12]
        if before[-1:].isalpha() and before[-1:].isascii() or re.search(r"[A-Za-z][-_]$", before):
            continue  # GPT-2, fp16, LLaMA-7B, top-5
        if re.match(r"(?:st|nd|rd|th|D|d)\b|[A-Za-z]*\d", after) or _REFERENCE_BEFORE.search(before):
            continue  # 2nd, 3D; Table 5
        if _REFERENCE_AFTER.match(after) or _CJK_SCALE.match(after):
            continue  # 第 3 节, 3.1.2; a number read only in part cannot be checked
        if _PERCENT_WORD.match(after):
            values = [*values, values[0] / 100]
        digits = re.search(r"\d[\d,]*(?:\.(\d+))?", literal)
        main = max(values, key=abs)
        percent = len(values) > 1
        scaled = digits is not None and abs(main) > 10 and not re.fullmatch(r"[\d,.\s]+", literal)
        if digits is None:  # a number word: only the ones a fact would hang on ("twelve"), not "thousands"
            if abs(main) <= 10 or literal.casefold() in _VAGUE_WORDS:
                continue
        elif not percent and not scaled and main == int(main) and abs(main) <= 10:
            continue
        elif digits.group(1) is None and re.fullmatch(r"(?:19|20)\d\d[a-z]?", literal.replace(" ", "")):
            continue  # a year, or a citation's year: "2013b"
        more = bool(_MORE_AFTER.match(after))
        hedged = more or bool(_HEDGE.search(before) or _HEDGE_AFTER.match(after))
        found.append(Number(literal, tuple(values), _tolerance(digits, main, percent, hedged, more), hedged, more))
    return found


def _seen(number: Number, values: set[float], text: str) -> bool:
    for v in number.values:
        tolerance = number.tolerance * abs(v / number.values[0]) if number.values[0] else number.tolerance
        for p in values:
            low, high = (v, v + tolerance) if number.more else (v - tolerance, v + tolerance)
            if same_number(v, p) or low - 1e-9 * abs(v) <= p <= high + 1e-9 * abs(v):
                return True
        # A table gives "65" under "params ×10^6": 65 million is 65 there (a bare 7 for 7 billion is not enough).
        for scale in (1e3, 1e6, 1e9):
            head = v / scale
            if abs(v) >= 1e4 and (head >= 10 or head != int(head)) and any(same_number(head, p) for p in values):
                return True
    plain = number.literal.replace(",", "").split()[0]
    return len(plain) >= 3 and plain in text.replace(",", "")  # tables extracted without spaces: "28.441.8"


# Words shaped like names (ResNet, GPT-2, BERT, vLLM) that name a concept, not a model, dataset or system.
_NAME = re.compile(r"(?<![\w@.])[A-Za-z][A-Za-z0-9]*(?:[-.][A-Za-z0-9]+)*(?![\w@])")


def _looks_like_name(word: str) -> bool:
    if "." in word and not re.search(r"\d", word):
        return False  # e.g. "vs." and "i.e"
    letters = re.sub(r"[^A-Za-z]", "", word)
    if len(letters) < 2:
        return False
    camel = bool(re.search(r"[a-z][A-Z]", word)) or bool(re.search(r"[A-Z]{2}[a-z]", word))
    caps = letters.isupper() and len(letters) >= 3
    return camel or caps or (bool(re.search(r"\d", word)) and word[0].isupper())


_DESCRIBED = re.compile(r"-(?:class|style|like|based|sized|size|level|scale)$", re.I)  # "A100-class" names A100


def named(text: str, generic: set[str]) -> list[str]:
    """Models, datasets and systems a text names (GPT-2, SQuAD, FlexFlow-Serve), less generic terms."""
    names: list[str] = []
    for m in _NAME.finditer(text):
        word = _DESCRIBED.sub("", m.group(0).rstrip(".-"))
        if _looks_like_name(word) and word.casefold() not in generic and word.casefold().rstrip("s") not in generic:
            names.append(word)
    return list(dict.fromkeys(names))


def _shown(name: str, flat: str, aliases: set[str]) -> bool:
    """A name is on the page as written, in the singular, as the parts a table prints apart ("Codex-S" and
    "12B" for Codex-S-12B), or is the cited reading itself (GPT-1 is the GPT paper)."""
    key = fold(name)
    if key in flat or key.rstrip("s") in flat or key in aliases:
        return True
    parts: list[str] = []
    for part in name.split("-"):  # "Codex-S-12B" → "Codex-S", "12B": a one-letter part stays with the one before
        parts[-1:] = [f"{parts[-1]}-{part}"] if parts and len(part) == 1 else [*parts[-1:], part]
    return len(parts) > 1 and all(fold(part) in flat for part in parts)


def generic_terms(corpus: Path) -> set[str]:
    """Name-shaped words that are concepts, units or venues: the glossary's terms and everyday forms, and
    the words `corpus/audit.toml` lists."""
    glossary = load_glossary(corpus)
    forms = {form for term in glossary.terms for form in [term.en, *term.variants]} | set(glossary.everyday)
    listed = corpus / "audit.toml"
    if listed.exists():
        try:
            forms.update(tomllib.loads(listed.read_text(encoding="utf-8")).get("not_names", []))
        except tomllib.TOMLDecodeError as exc:
            raise ConfigError(f"{listed} is not valid TOML: {exc}") from exc
    return {f.casefold() for f in forms}


# ------------------------------------------------------------------------------------------ the audit


@dataclass
class AuditReport:
    failures: list[Failure]
    checked: Counter[str]  # citations or numbers or names checked, by check
    derived: int  # numbers skipped because their pair marks them derived
    unchecked_claims: int  # pairs whose numbers and names rest partly on a reading without a file
    readings: dict[str, str]  # reading id → the file read
    skipped: dict[str, int]  # reading id without a file → how many citations name it
    unreadable: dict[str, str]  # reading id → why its file could not be read
    seconds: float

    def as_json(self) -> dict[str, Any]:
        return {
            "failures": [f.as_json() for f in self.failures],
            "counts": {check: sum(f.check == check for f in self.failures) for check in CHECKS},
            "checked": dict(self.checked),
            "derived": self.derived,
            "unchecked_claims": self.unchecked_claims,
            "readings": self.readings,
            "skipped": self.skipped,
            "unreadable": self.unreadable,
            "seconds": round(self.seconds, 1),
        }


def audit(
    settings: Settings,
    readings: ReadingList,
    folder: Path | None = None,
    progress: Callable[[str], None] | None = None,
) -> AuditReport:
    """Check every citation in the corpus against the readings' files in `folder` (else the library)."""
    started = time.perf_counter()
    corpus = settings.data.corpus
    citations, claims = corpus_citations(corpus, readings)
    cited = Counter(c.reading_id for c in citations if c.reading_id in readings.by_id)
    paths = find_documents(settings, readings, folder, cited)
    docs: dict[str, Document] = {}
    unreadable: dict[str, str] = {}
    for reading_id, path in paths.items():
        if progress:
            progress(reading_id)
        ocr = PageOcr.from_settings(settings, readings.by_id[reading_id].title)
        try:
            docs[reading_id] = load_document(reading_id, path, settings.ingest.min_text_quality, ocr)
        except DocumentError as exc:
            unreadable[reading_id] = str(exc)

    failures: list[Failure] = []
    checked: Counter[str] = Counter()
    resolved: dict[Citation, Heading | None] = {}
    for citation in citations:
        doc = docs.get(citation.reading_id)
        if doc is None:
            continue
        found, heading = check_citation(citation, doc)
        failures.extend(found)
        resolved[citation] = heading
        checked["section"] += 1
        checked["page"] += citation.page is not None and doc.paged

    generic = generic_terms(corpus)
    derived = unchecked = 0
    for claim in claims:
        if any(c.reading_id not in docs for c in claim.citations):
            unchecked += any(c.reading_id in docs for c in claim.citations)
            continue
        found, counts = check_claim(claim, docs, resolved, generic, readings)
        failures.extend(found)
        checked.update(counts)
        derived += counts["derived"]
    del checked["derived"]
    skipped = {rid: n for rid, n in sorted(cited.items()) if rid not in docs}
    return AuditReport(
        failures,
        checked,
        derived,
        unchecked,
        {rid: str(doc.path) for rid, doc in sorted(docs.items())},
        skipped,
        unreadable,
        time.perf_counter() - started,
    )


def check_claim(
    claim: Claim,
    docs: dict[str, Document],
    resolved: dict[Citation, Heading | None],
    generic: set[str],
    readings: ReadingList,
) -> tuple[list[Failure], Counter[str]]:
    """The number and name checks of one answer, against every page its citations point to (and their
    neighbours); returns the failures and how many numbers and names were checked or skipped as derived."""
    where = [(docs[c.reading_id], _places(c, docs[c.reading_id], resolved.get(c))) for c in claim.citations]
    values = set().union(*(doc.numbers_on(p) for doc, places in where for p in places))
    text = "\n".join(doc.pages.get(p, "") for doc, places in where for p in places)
    flat = "".join(doc.flat(p) for doc, places in where for p in places)
    first = claim.citations[0]
    failures: list[Failure] = []
    counts: Counter[str] = Counter()

    def fail(check: Check, what: Number | str) -> None:
        failures.append(
            Failure(claim.origin, check, first.reading_id, first.section, first.page, _missing(what, where))
        )

    skip = [n.values[0] for entry in claim.derived for n in _written(entry)]  # as written: "90%" is 90, not 0.9
    numbers = {n.values: n for n in stated_numbers(claim.text)}  # once each, though a and plain both say it
    for number in numbers.values():
        if any(same_number(number.values[0], s) for s in skip):
            counts["derived"] += 1
            continue
        counts["number"] += 1
        if not _seen(number, values, text):
            fail("number", number)
    aliases = {fold(a) for c in claim.citations for a in readings.by_id[c.reading_id].aliases}
    for name in named(claim.text, generic):
        counts["name"] += 1
        if not _shown(name, flat, aliases):
            fail("name", name)
    return failures, counts


def _places(citation: Citation, doc: Document, heading: Heading | None) -> list[int]:
    """Where a citation's numbers and names are looked for: the cited page and its neighbours; without a
    page, the cited section's pages (or, for formats without pages, the section's own text)."""
    if not doc.paged:
        return [doc.headings.index(heading)] if heading else list(doc.pages)
    if citation.page is not None:
        return [p for p in (citation.page - 1, citation.page, citation.page + 1) if p in doc.pages]
    if heading:
        return [p for p in range(heading.pages[0] - 1, heading.pages[-1] + 2) if p in doc.pages]
    return list(doc.pages)


def _missing(what: Number | str, where: list[tuple[Document, list[int]]]) -> str:
    label = what if isinstance(what, str) else what.literal
    kind = "name" if isinstance(what, str) else "number"
    places = "; ".join(f"{doc.reading_id} {_pages_text(p) if doc.paged else 'section'}" for doc, p in where if p)
    return f"{kind} {label!r} is not on {places or 'any cited page'}"


# ------------------------------------------------------------------------------------------ command


@click.command(name="audit")
@click.option(
    "--readings",
    "folder",
    type=click.Path(exists=True, file_okay=False, path_type=Path),
    help="A folder of the readings' files, named by reading id (default: the library of the data folder).",
)
@click.option("--json", "as_json", is_flag=True, help="Print one JSON object: failures, counts, what was skipped.")
@click.pass_context
@friendly_errors
def audit_cmd(ctx: click.Context, folder: Path | None, as_json: bool) -> None:
    """Check every citation in corpus/ (section, page, numbers, names) against the readings' files.

    Exits with status 1 when a citation fails.
    """
    root = ctx.find_root().obj
    err = Console(stderr=True)
    with err.status("reading the readings…") as status:
        report = audit(root.settings, root.readings, folder, lambda rid: status.update(f"reading {rid}…"))
    if as_json:
        click.echo(json.dumps(report.as_json(), ensure_ascii=False))
    else:
        _print_report(report, Console())
    if report.failures:
        ctx.exit(1)


def _print_report(report: AuditReport, out: Console) -> None:
    if report.failures:
        table = Table("where", "check", "reading", "section", "p.", "what fails", title="Citations that fail")
        for f in report.failures:
            table.add_row(f.origin, f.check, f.reading_id, f.section, str(f.page or ""), f.detail)
        out.print(table)
    checked = ", ".join(f"{report.checked[c]:,} {c}s" for c in CHECKS)
    out.print(
        f"{len(report.failures)} failure(s); checked {checked} in {len(report.readings)} readings "
        f"({report.derived} derived numbers not looked for) in {report.seconds:.1f} s.",
        highlight=False,
    )
    if not report.readings:
        out.print(
            "No cited reading has a file here: run `tutor fetch`, add yours with `tutor add FILE --as ID`, "
            "or point --readings at a folder of files named by reading id.",
            highlight=False,
        )
    if report.skipped:
        names = ", ".join(f"{rid} ({n})" for rid, n in report.skipped.items())
        out.print(f"Skipped, no file here: {names}.", highlight=False)
    if report.unchecked_claims:
        out.print(
            f"{report.unchecked_claims} answers also cite a reading without a file: their numbers and names "
            "were not checked.",
            highlight=False,
        )
    for rid, why in report.unreadable.items():
        out.print(f"[red]Could not read {escape(rid)}:[/] {escape(why)}")
