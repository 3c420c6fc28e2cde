"""Splitting is pure: these run without any model or store."""

from __future__ import annotations

from pathlib import Path

import pytest
from pdfs import LOREM, encrypted_pdf, image_only_pdf, paper_pdf

from tutor.errors import DocumentError
from tutor.ingest import Source, checked_headings
from tutor.loaders import (
    HeadingTracker,
    _blocks_from_lines,
    heading_issue,
    load_file,
    repair_heading,
    split_html,
    split_markdown,
    split_rst,
    text_quality,
)


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


# ------------------------------------------------------------------ headings are titles, not sentences


def test_run_in_headings_give_the_numbered_title_and_leave_the_sentence_to_the_body() -> None:
    tracker = HeadingTracker()
    for heading in ["1 Introduction", "2 Taxonomy", "2.1 Algorithmic Innovation"]:
        assert tracker.feed(heading)
    line = "2.1.1 Decoding Algorithm. In this section, we review novel decoding algorithms as shown in"
    assert tracker.feed(line)
    assert tracker.section == "2.1.1 Decoding Algorithm"
    assert tracker.run_in == "In this section, we review novel decoding algorithms as shown in"
    blocks = _blocks_from_lines(
        ["2.1.2 Architecture Design. This subsection explores new designs for", "more"], tracker, 8
    )
    assert [(b.section, b.text.splitlines()) for b in blocks] == [
        ("2.1.2 Architecture Design", ["2.1.2 Architecture Design", "This subsection explores new designs for", "more"])
    ]


def test_a_title_wrapped_onto_the_next_line_is_joined_but_not_the_next_heading() -> None:
    tracker = HeadingTracker()
    lines = [
        "1 Introduction",
        "3.1. Comparative Analysis of Related Models and",
        "Systems",
        "Two recent works similar in spirit to Codex are GPT-Neo and GPT-J.",
        "4 RESULTS",
        "4.1 QUANTITATIVE RESULTS",
        "We compare the models in Table 1 on the whole test set.",
    ]
    tracker = HeadingTracker()
    tracker.feed("1 Introduction")
    tracker.feed("2 Background")
    tracker.feed("3 Method")
    blocks = _blocks_from_lines(lines[1:], tracker, 6)
    assert [b.section for b in blocks] == [
        "3.1. Comparative Analysis of Related Models and Systems",
        "4 RESULTS",
        "4.1 QUANTITATIVE RESULTS",
    ]


@pytest.mark.parametrize(
    ("label", "issue"),
    [
        pytest.param("3.2.1 Scaled Dot-Product Attention", "", id="title"),
        pytest.param("IV. FMS VS. SVMS", "", id="abbreviation"),
        pytest.param("6.4 L,_TreeBoost versus K-class LogitBoost and AdaBoost.MH", "", id="dotted-name"),
        pytest.param("Where these files come from", "", id="markdown-heading-ending-on-a-preposition"),
        pytest.param("2.1 经验误差与过拟合", "", id="chinese-title"),
        pytest.param(
            "3.1.2 Architecture Design. This subsection explores innovative architecture designs tailored for",
            "a sentence follows the title",
            id="run-in-sentence",
        ),
        pytest.param("3.4. Comparative Analysis of Related Models and", "ends on 'and': cut off", id="wrapped"),
        pytest.param("2.1 我们发现，模型更好", "Chinese sentence punctuation in a heading", id="chinese-sentence"),
        pytest.param("一、数据与切块", "", id="chinese-enumeration"),
        pytest.param("（二）向量索引", "", id="chinese-parenthesised-enumeration"),
        pytest.param("我们做了什么、为什么", "Chinese sentence punctuation in a heading", id="chinese-list-comma"),
        pytest.param("3 " + "word " * 20, "too long for a heading: a sentence or a paragraph", id="paragraph"),
    ],
)
def test_heading_issue_tells_a_title_from_a_cut_off_sentence(label: str, issue: str) -> None:
    assert heading_issue(label).startswith(issue) if issue else heading_issue(label) == ""


@pytest.mark.parametrize(
    ("label", "repaired"),
    [
        pytest.param("3.1 Results", "3.1 Results", id="sound"),
        pytest.param(
            "3.1.2 Architecture Design. This subsection explores innovative architecture designs tailored for",
            "3.1.2 Architecture Design",
            id="run-in",
        ),
        pytest.param("Appendix A.4 Comparison of BERT, ELMo ,and", "Appendix A.4 Comparison of BERT, ELMo", id="cut"),
        pytest.param(
            "we then trained the model for three more days. and it became much better at it", None, id="sentence"
        ),
    ],
)
def test_repair_heading_keeps_the_title_or_gives_up(label: str, repaired: str | None) -> None:
    assert repair_heading(label) == repaired


def test_learners_documents_never_get_a_sentence_as_a_section_at_ingest(tmp_path: Path) -> None:
    """The check `tutor audit` runs on the readings runs on a learner's document when it is indexed."""
    md = tmp_path / "notes.md"
    md.write_text(
        "# 1 Setup\nWe install it.\n"
        "## 2 Results. We found that the model is better than the baseline on every task\nIt was.\n"
        "## we then trained the model for three more days. and it became much better at it\nMore text.\n",
        encoding="utf-8",
    )
    loaded = load_file(md, "md", 0.85)
    source = Source("user-notes-1", "user-notes-1", "notes", md, "md", "user", "", "")
    checked = checked_headings(source, loaded)
    assert [b.section for b in checked.blocks] == ["1 Setup", "2 Results", "2 Results"]
    assert checked.warnings == ["2 section label(s) read as sentences and were cut to their title"]
    reading = Source("he2015-resnet", "he2015-resnet", "ResNet", md, "md", "paper", "", "en")
    assert checked_headings(reading, loaded) is loaded  # the readings' headings are what `tutor audit` checks


def test_pdf_run_in_heading_becomes_its_title(tmp_path: Path) -> None:
    pdf = paper_pdf(
        tmp_path / "survey.pdf",
        "A Survey of Serving",
        [
            ("1 Introduction", LOREM * 4),
            ("2 Taxonomy", LOREM * 4),
            ("2.1 Model Compression. Here we delve into ways to make the model smaller and faster.", LOREM * 4),
        ],
    )
    sections = [b.section for b in load_file(pdf, "pdf", 0.85).blocks]
    assert sections[-1] == "2.1 Model Compression"


def test_front_matter_ends_with_the_first_page(tmp_path: Path) -> None:
    """A document whose headings are not recognised (a scan whose chapter line OCR misread) is not one long
    title block: after page 1 its text is body, so it can be quoted."""
    from fpdf import FPDF

    pdf = FPDF()
    pdf.set_font("Helvetica", size=11)
    for page in range(3):
        pdf.add_page()
        pdf.multi_cell(0, 6, text=f"Lecture notes, page {page + 1}. " + LOREM, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(tmp_path / "notes.pdf"))
    blocks = load_file(tmp_path / "notes.pdf", "pdf", 0.85).blocks
    assert {b.page for b in blocks} == {1, 2, 3}
    assert {b.part for b in blocks if b.page > 1} == {"body"}


def test_a_chapter_scanned_alone_starts_at_its_first_section() -> None:
    """A learner may scan one chapter without its chapter line: "7.1 …" is its first heading."""
    assert feed_all(["· 142 ·  统计学习方法", "7.1  隐马尔可夫模型的基本概念", "正文", "7.2  概率计算算法"]) == [
        "7.1 隐马尔可夫模型的基本概念",
        "7.2 概率计算算法",
    ]
    assert feed_all(["7.3  学习算法"]) == [], "only a chapter's first section opens it"


def test_chinese_enumerated_headings_of_a_learners_notes_are_kept(tmp_path: Path) -> None:
    """A heading "一、数据与切块" is numbered by its 、, and each passage is cited by its own section."""
    path = tmp_path / "notes.md"
    text = "# 上线笔记\n\n## 一、数据与切块\n\n切块大小 512。\n\n## 二、向量索引\n\n索引占 41 GB 内存。\n"
    path.write_text(text, "utf-8")
    source = Source("user-notes", "user-notes", "上线笔记", path, "md", "user", "", "zh")
    loaded = checked_headings(source, load_file(path, "md", 0.85))
    assert [b.section for b in loaded.blocks] == ["一、数据与切块", "二、向量索引"]
    assert not loaded.warnings
