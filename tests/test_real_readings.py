"""Ingestion on the real papers in ../shared/readings/raw; skipped where that folder is absent."""

from __future__ import annotations

import pytest
from conftest import READINGS_RAW, REPO

from tutor.errors import DocumentError
from tutor.library import match_reading
from tutor.loaders import load_file
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
    ],
)
def test_sections_and_pages_match_the_real_papers(name: str, section: str, page: int) -> None:
    loaded = load_file(READINGS_RAW / name, "pdf", 0.85)
    starts: dict[str, int] = {}
    for block in loaded.blocks:
        starts.setdefault(block.section, block.page)
    assert starts[section] == page


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
