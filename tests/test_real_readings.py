"""Ingestion on the real papers in ../shared/readings/raw; skipped where that folder is absent."""

from __future__ import annotations

import re
import unicodedata
from pathlib import Path
from typing import Any

import pytest
from conftest import READINGS_RAW, REPO

from tutor.errors import DocumentError
from tutor.library import match_reading
from tutor.loaders import heading_issue, heading_title, load_file
from tutor.ocr import PageOcr
from tutor.readings import ReadingList

pytestmark = [
    pytest.mark.readings,
    pytest.mark.skipif(not READINGS_RAW.is_dir(), reason="../shared/readings/raw is not here"),
]


@pytest.fixture(scope="module")
def ocr(tmp_path_factory: pytest.TempPathFactory) -> PageOcr:
    """English OCR with one cache for the module, so Friedman's 39 pages are OCRed once."""
    return PageOcr("eng", cache_dir=tmp_path_factory.mktemp("ocr-cache"))


@pytest.mark.parametrize(
    ("name", "section", "page"),
    [
        pytest.param("vaswani2017-attention.pdf", "3.2.1 Scaled Dot-Product Attention", 4, id="vaswani"),
        pytest.param("he2015-resnet.pdf", "3.1. Residual Learning", 3, id="resnet"),
        pytest.param("bahdanau2014-nmt.pdf", "3.1 DECODER: GENERAL DESCRIPTION", 3, id="small-caps"),
        pytest.param("rendle2010-fm.pdf", "III.A Factorization Machine Model", 2, id="roman-numerals"),
        pytest.param("graves2014-ntm.pdf", "3.3.1 Focusing by Content", 8, id="ntm"),
        pytest.param("miao2023-llm-serving-survey.pdf", "3.2 System Optimization", 11, id="survey"),
        pytest.param("miao2023-llm-serving-survey.pdf", "3.1.2 Architecture Design", 8, id="survey-run-in"),
        pytest.param("miao2023-llm-serving-survey.pdf", "3.1.3 Model Compression", 10, id="survey-compression"),
        pytest.param("miao2023-llm-serving-survey.pdf", "3.2.3 Memory Management", 13, id="survey-memory"),
        pytest.param("chen2021-codex.pdf", "3.4. Comparative Analysis of Related Models and Systems", 6, id="wrapped"),
        pytest.param("devlin2018-bert.pdf", "Appendix A.4 Comparison of BERT, ELMo ,and OpenAI GPT", 14, id="appendix"),
    ],
)
def test_sections_and_pages_match_the_real_papers(name: str, section: str, page: int) -> None:
    loaded = load_file(READINGS_RAW / name, "pdf", 0.85)
    starts: dict[str, int] = {}
    for block in loaded.blocks:
        starts.setdefault(block.section, block.page)
    assert starts[section] == page


def _outline(path: Path) -> list[tuple[str, int]]:
    """The PDF's own table of contents (its bookmarks): title and 1-based page of every entry."""
    from pypdf import PdfReader

    reader = PdfReader(path)
    entries: list[tuple[str, int]] = []

    def walk(items: list[Any]) -> None:
        for item in items:
            if isinstance(item, list):
                walk(item)
            else:
                entries.append((item.title, reader.get_destination_page_number(item) + 1))

    walk(reader.outline)
    return entries


def _title(label: str) -> str:
    return " ".join(re.findall(r"\w+", unicodedata.normalize("NFKC", heading_title(label)).casefold()))


@pytest.mark.parametrize("path", sorted(READINGS_RAW.glob("*.pdf")) if READINGS_RAW.is_dir() else [], ids=str)
def test_sections_come_out_as_in_the_table_of_contents(path: Path) -> None:
    """Every entry of a PDF's own table of contents is a heading tutor extracts, starting on that page (or the
    one before, where a heading sits at the foot of a page); the bookmarks give titles without numbers too."""
    entries = _outline(path)
    if not entries:
        pytest.skip("no table of contents in this PDF")
    starts: dict[str, set[int]] = {}
    for block in load_file(path, "pdf", 0.85).blocks:
        starts.setdefault(_title(block.section), set()).add(block.page)
    missing = []
    for title, page in entries:
        if title == "Abstract" and "abstract" not in starts:
            continue  # an abstract printed without the word "Abstract" (ACM) has no heading to find
        pages = starts.get(_title(title), set())
        if page not in pages and page - 1 not in pages:
            missing.append(f"{title} (p. {page}): found on {sorted(pages) or 'no page'}")
    assert not missing, "\n".join(missing)


def test_no_heading_of_a_real_reading_is_a_cut_off_sentence(ocr: PageOcr) -> None:
    """The survey printed "3.1.2 Architecture Design. This subsection explores…": headings are titles only."""
    cut = []
    for path in sorted(READINGS_RAW.iterdir()):
        if path.suffix not in (".pdf", ".md", ".rst") or path.name == "SOURCES.md":
            continue
        if path.name == "friedman2001-gbm.pdf" and not ocr.available:
            continue
        fmt = {".pdf": "pdf", ".md": "md", ".rst": "rst"}[path.suffix]
        for section in {b.section for b in load_file(path, fmt, 0.85, ocr=ocr).blocks}:
            if issue := heading_issue(section):
                cut.append(f"{path.name}: {section!r} ({issue})")
    assert not cut, "\n".join(cut)


@pytest.mark.slow
def test_reading_list_pages_match_the_real_papers(readings: ReadingList, ocr: PageOcr) -> None:
    """Every section page in corpus/readings.toml for a file we have is where that section starts or runs."""
    checked = 0
    for reading in readings.readings:
        path = READINGS_RAW / f"{reading.id}.pdf"
        if not path.exists() or all(section.page is None for section in reading.sections):
            continue
        if reading.id == "friedman2001-gbm" and not ocr.available:
            continue  # bitmap fonts: readable only with OCR
        pages: dict[str, set[int]] = {}
        for block in load_file(path, "pdf", 0.85, ocr=ocr).blocks:
            pages.setdefault(block.section.lower(), set()).add(block.page)
        for section in reading.sections:
            if section.page is None:
                continue
            key = next((k for k in pages if k.startswith(section.name.lower()[:12])), None)
            assert key is not None, f"{reading.id}: no section like {section.name!r}"
            assert section.page in pages[key], f"{reading.id} {section.name}: p. {section.page} not in {pages[key]}"
            checked += 1
    assert checked >= 20


@pytest.mark.slow
def test_bitmap_font_preprint_is_read_with_ocr(ocr: PageOcr) -> None:
    """Friedman's preprint: bitmap fonts without a character map, so every page goes through OCR."""
    path = READINGS_RAW / "friedman2001-gbm.pdf"
    if not ocr.available:
        with pytest.raises(DocumentError, match="no usable text layer.*apt-get install tesseract-ocr"):
            load_file(path, "pdf", 0.85, ocr=ocr)
        return
    loaded = load_file(path, "pdf", 0.85, ocr=ocr)
    assert loaded.pages == 39 and {b.page for b in loaded.blocks} == set(range(1, 40))
    assert all(b.ocr for b in loaded.blocks)
    starts: dict[str, int] = {}
    for block in loaded.blocks:
        starts.setdefault(block.section, block.page)
    assert starts["2 Numerical optimization in function space"] == 3
    assert starts["4.3 Regression trees"] == 6
    assert starts["4.4 M-Regression"] == 7
    assert starts["5 Regularization"] == 12
    assert starts["10 Data Mining"] == 36
    assert starts["References"] == 38
    text = " ".join(" ".join(b.text.split()) for b in loaded.blocks)
    assert "numerical optimization in function space" in text and "shrinkage" in text


def test_pdf_with_damaged_streams_still_yields_its_text() -> None:
    damaged = load_file(READINGS_RAW / "mikolov2013-negative-sampling.pdf", "pdf", 0.85)
    clean = load_file(READINGS_RAW / "mikolov2013-negative-sampling-arxiv.pdf", "pdf", 0.85)
    assert sum(len(b.text) for b in damaged.blocks) > 0.9 * sum(len(b.text) for b in clean.blocks)


@pytest.mark.parametrize(
    ("name", "reading_id"),
    [
        ("bahdanau2014-nmt.pdf", "bahdanau2014-nmt"),
        ("mikolov2013-word2vec.pdf", "mikolov2013-word2vec"),
        ("xgboost-docs-boosted-trees.rst", "xgboost-docs-boosted-trees"),
        ("chen2021-codex.pdf", "chen2021-codex"),
    ],
)
def test_real_files_are_recognised_by_their_title(readings: ReadingList, name: str, reading_id: str) -> None:
    reading = match_reading(READINGS_RAW / name, readings)
    assert reading is not None and reading.id == reading_id


def test_note_page_pointers_match_the_real_papers(ocr: PageOcr) -> None:
    from tutor.notes import find_note_files

    checked = 0
    cache: dict[str, dict[str, set[int]]] = {}
    for note in find_note_files(REPO / "corpus"):
        for pointer in note.readings:
            path = READINGS_RAW / f"{pointer['id']}.pdf"
            if "page" not in pointer or not path.exists():
                continue
            if pointer["id"] == "friedman2001-gbm" and not ocr.available:
                continue  # bitmap fonts: readable only with OCR
            if pointer["id"] not in cache:
                pages: dict[str, set[int]] = {}
                for block in load_file(path, "pdf", 0.85, ocr=ocr).blocks:
                    pages.setdefault(block.section.lower(), set()).add(block.page)
                cache[pointer["id"]] = pages
            pages = cache[pointer["id"]]
            key = next((k for k in pages if k.startswith(pointer["section"].lower()[:12])), None)
            assert key is not None, f"{note.id}: no section like {pointer['section']!r}"
            assert pointer["page"] in pages[key], f"{note.id} {pointer['section']}: p. {pointer['page']} ∉ {pages[key]}"
            checked += 1
    assert checked >= 30
