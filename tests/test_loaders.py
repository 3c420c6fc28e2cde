"""Splitting is pure: these run without any model or store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfs import LOREM, encrypted_pdf, image_only_pdf, paper_pdf

from tutor.errors import DocumentError
from tutor.loaders import HeadingTracker, load_file, split_html, split_markdown, split_rst, text_quality


def feed_all(lines: list[str]) -> list[str]:
    tracker = HeadingTracker()
    return [tracker.section for line in lines if tracker.feed(line)]


def test_numbered_headings_are_tracked_in_order() -> None:
    lines = [
        "Abstract",
        "1 Introduction",
        "text",
        "3 Model Architecture",
        "3.1 Encoder and Decoder Stacks",
        "3.2 Attention",
        "3.2.1 Scaled Dot-Product Attention",
        "4 Why Self-Attention",
        "References",
    ]
    assert feed_all(lines) == lines[:2] + lines[3:]


@pytest.mark.parametrize(
    "line",
    [
        pytest.param("2018. Contextual string embeddings for sequence", id="reference-year"),
        pytest.param("9 The model achieves 28.4 BLEU on the task.", id="sentence-with-period"),
        pytest.param("1 Introduction", id="going-backwards"),
        pytest.param("7 Training", id="skipping-too-far"),
    ],
)
def test_lines_that_only_look_like_headings_are_ignored(line: str) -> None:
    tracker = HeadingTracker()
    for heading in ["1 Introduction", "2 Background", "3 Model"]:
        assert tracker.feed(heading)
    assert not tracker.feed(line)
    assert tracker.section == "3 Model"


def test_roman_and_lettered_headings_as_in_ieee_papers() -> None:
    lines = [
        "I. INTRODUCTION",
        "II. PREDICTION UNDER SPARSITY",
        "III. FACTORIZATION MACHINES (FM)",
        "A. Factorization Machine Model",
        "B. Factorization Machines as Predictors",
        "IV. FMS VS. SVMS",
    ]
    assert feed_all(lines) == [
        "I. INTRODUCTION",
        "II. PREDICTION UNDER SPARSITY",
        "III. FACTORIZATION MACHINES (FM)",
        "III.A Factorization Machine Model",
        "III.B Factorization Machines as Predictors",
        "IV. FMS VS. SVMS",
    ]


def test_text_quality_separates_prose_from_undecodable_glyphs() -> None:
    assert text_quality("Attention maps a query and key-value pairs to an output: softmax(QKᵀ/√d)V.") > 0.95
    assert text_quality("注意力机制把查询与键值对映射为输出。") > 0.95
    assert text_quality('\x00 \x01þ¿\x93ÇÉÅ\x03\x02?Ã\x16ÁXÈ\x05\x04"Ä\x07\x06%Â\x12ÃJÇ Ã\t\x08XÈ¦Â') < 0.3


def test_markdown_rst_and_html_keep_their_section_names() -> None:
    md = split_markdown(
        "+++\nid = 'x'\n+++\n# Title\nintro\n## Positional Encoding\nsines\n```\n# not a heading\n```\n"
    )
    assert [(b.section, b.text.splitlines()[0]) for b in md] == [("Title", "intro"), ("Positional Encoding", "sines")]
    rst = split_rst("Boosted Trees\n=============\nintro\n\nAdditive Training\n-----------------\nadd one tree\n")
    assert [b.section for b in rst] == ["Boosted Trees", "Additive Training"]
    html = split_html("<h1>Answer</h1><p>Residual blocks <b>add</b> a correction.</p><script>x()</script>")
    assert [(b.section, b.text) for b in html] == [("Answer", "Residual blocks add a correction.")]


def test_pdf_blocks_carry_the_section_and_the_page_they_are_on(tmp_path: Path) -> None:
    pdf = paper_pdf(
        tmp_path / "p.pdf",
        "Soft Memory Networks",
        [("1 Introduction", LOREM * 8), ("2 Reading Memory", LOREM * 30), ("2.1 Content Addressing", LOREM * 8)],
        two_columns=True,
    )
    loaded = load_file(pdf, "pdf", 0.85)
    assert loaded.pages == 4
    by_section = {b.section: b.page for b in loaded.blocks}
    assert by_section["1 Introduction"] == 2
    assert by_section["2 Reading Memory"] == 3
    assert by_section["2.1 Content Addressing"] == 4


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda p: p.write_bytes(b""), "not a readable PDF", id="empty"),
        pytest.param(lambda p: p.write_bytes(b"%PDF-1.7\n garbage \x00\x01" * 50), "not a readable PDF", id="garbage"),
        pytest.param(lambda p: encrypted_pdf(p, "Secret Paper"), "encrypted with a password", id="encrypted"),
        pytest.param(lambda p: image_only_pdf(p), "no text layer", id="image-only"),
    ],
)
def test_unreadable_pdfs_raise_a_document_error_that_says_why(tmp_path: Path, make: object, message: str) -> None:
    path = tmp_path / "bad.pdf"
    make(path)  # type: ignore[operator]
    with pytest.raises(DocumentError, match=message):
        load_file(path, "pdf", 0.85)


def test_truncated_pdf_is_reported(tmp_path: Path) -> None:
    good = paper_pdf(tmp_path / "good.pdf", "Whole Paper", [("1 Introduction", LOREM * 20)])
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(good.read_bytes()[: good.stat().st_size // 3])
    with pytest.raises(DocumentError, match="cut.pdf"):
        load_file(cut, "pdf", 0.85)
