"""Which part of a paper a chunk is, and which sentences may be quoted: on PDFs the tests write."""

from __future__ import annotations

from pathlib import Path

import pytest
from fpdf import FPDF

from tutor.config import Settings
from tutor.ingest import Source, make_chunks
from tutor.lang.quotable import quotable
from tutor.lang.script import detect_language
from tutor.lang.sentences import split_sentences
from tutor.loaders import Block, HeadingTracker, LoadedDocument, load_file
from tutor.roles import classify

BODY = (
    "We study how the scaled dot product keeps the softmax away from its flat regions during training. "
    "The scores are divided by the square root of the key width before the softmax is applied. "
)
INTRODUCTION = (
    "Attention lets every position read from every other position in one step. "
    "The output is a weighted sum of the values, with weights from a softmax over query-key scores. "
)
REFERENCES = [
    "Ashish Vaswani, Noam Shazeer, and Niki Parmar. 2017. Attention is all you need. In Advances in Neural",
    "Information Processing Systems, pages 6000-6010.",
    "Kaiming He, Xiangyu Zhang, Shaoqing Ren, and Jian Sun. 2016. Deep residual learning for image",
    "recognition. In Proceedings of the IEEE Conference on Computer Vision and Pattern Recognition.",
]
FIGURE = ["Table 2", "Model", "BLEU", "EN-DE", "EN-FR", "ByteNet", "23.75", "Transformer", "28.4", "41.8", "3.3e18"]


def write_paper(path: Path) -> Path:
    """Title block with authors and e-mail, body sections, a table's residue, references, then an appendix."""
    pdf = FPDF()
    pdf.set_font("Helvetica", size=10)

    def lines(rows: list[str]) -> None:
        for row in rows:
            pdf.multi_cell(0, 5, text=row, new_x="LMARGIN", new_y="NEXT")

    pdf.add_page()
    lines(["A Test Paper on Attention", "Jane Doe", "University of Testing", "jane.doe@example.org", "Abstract"])
    lines([BODY * 2])
    pdf.add_page()
    lines(["1 Introduction", INTRODUCTION * 3, "2 Method", BODY * 2])
    pdf.add_page()
    lines(FIGURE)
    pdf.add_page()
    lines(["References", *REFERENCES])
    pdf.add_page()
    lines(["A Additional Details", BODY * 2, "A.1 Training Procedure", BODY * 2])
    pdf.output(str(path))
    return path


@pytest.fixture
def chunks(tmp_path: Path, settings: Settings) -> list[dict[str, object]]:
    path = write_paper(tmp_path / "paper.pdf")
    loaded = load_file(path, "pdf", 0.85)
    source = Source("user-paper", "user-paper", "A Test Paper", path, "pdf", "user", "", "en")
    return [{"text": c.text, **c.metadata} for c in make_chunks(source, loaded, "abc", settings)]


def test_each_chunk_knows_which_part_of_the_paper_it_is(chunks: list[dict[str, object]]) -> None:
    passages = [c for c in chunks if c["kind"] != "sentence"]
    roles = {(c["section"], c["role"]) for c in passages}
    assert ("", "front") in roles, "the title block with the e-mail"
    assert ("Abstract", "abstract") in roles
    assert ("1 Introduction", "body") in roles
    assert ("References", "references") in roles
    assert ("Appendix A Additional Details", "appendix") in roles, "an appendix is not labelled References"
    assert ("Appendix A.1 Training Procedure", "appendix") in roles
    figure = [c for c in passages if "28.4" in str(c["text"])]
    assert figure and all(c["role"] == "figure" for c in figure), "a table's residue is not body text"


def test_sentences_are_indexed_only_from_quotable_parts(chunks: list[dict[str, object]]) -> None:
    sentences = [c for c in chunks if c["kind"] == "sentence"]
    assert sentences and all(c["source_kind"] == "user" for c in sentences)
    texts = " ".join(str(c["text"]) for c in sentences)
    assert "jane.doe@example.org" not in texts and "Proceedings of the IEEE" not in texts
    assert any(c["role"] == "body" and "weighted sum of the values" in str(c["text"]) for c in sentences)
    assert not any(str(c["text"]).startswith(("A Additional", "A.1 Training")) for c in sentences), "no heading"
    assert len({str(c["text"]) for c in sentences}) == len(sentences), "overlapping chunks index a sentence once"


def test_a_learners_measured_numbers_are_quotable(tmp_path: Path, settings: Settings) -> None:
    """A Markdown paragraph dense with numbers is the learner's prose, not a figure's residue."""
    path = tmp_path / "ring.md"
    path.write_text(
        "# Ring all-reduce notes\n\nOur cluster averages gradients with ring all-reduce across the nodes.\n\n"
        "## Measured\n\nOn 16 GPUs with a 1.2 GB gradient, one all-reduce took 310 ms over 100 Gb/s links. "
        "Overlapping it with the backward pass hid about 70 % of that time.\n",
        encoding="utf-8",
    )
    source = Source("user-ring", "user-ring", "Ring all-reduce notes", path, "md", "user", "", "en")
    chunks = make_chunks(source, load_file(path, "md", 0.85), "abc", settings)
    quoted = [c for c in chunks if c.metadata["kind"] == "sentence" and "310 ms" in c.text]
    assert [c.metadata["role"] for c in quoted] == ["body"]


def test_a_scanned_chapters_heading_is_not_quoted_with_its_first_sentence(settings: Settings) -> None:
    """OCR reads the heading "第8章 决策树剪枝" without its space; it is still the heading, not a sentence's start."""
    block = Block(
        "第8章 决策树剪枝",
        1,
        "第8章决策树剪枝\n\n剪枝是决策树学习算法对付过拟合的主要手段。\n预剪枝在划分前先做估计。",
        ocr=True,
    )
    source = Source("user-ch8", "user-ch8", "第8章 决策树剪枝", Path("ch8.pdf"), "pdf", "user", "", "zh")
    chunks = make_chunks(source, LoadedDocument([block], 1), "abc", settings)
    sentences = [c.text for c in chunks if c.metadata["kind"] == "sentence"]
    assert sentences == ["剪枝是决策树学习算法对付过拟合的主要手段。", "预剪枝在划分前先做估计。"]


def test_references_after_which_numbering_continues_are_an_appendix() -> None:
    tracker = HeadingTracker()
    for line in ["Abstract", "1 Introduction", "2 Approach", "References"]:
        assert tracker.feed(line)
    assert tracker.part == "references"
    assert not tracker.feed("A. Vaswani, N. Shazeer, and N. Parmar. Attention is all you need.")
    assert tracker.feed("3. Appendix A: Samples") and tracker.part == "appendix"


@pytest.mark.parametrize(
    ("text", "part", "section", "role"),
    [
        pytest.param("Jane Doe\njane@example.org\nUniversity", "front", "", "front", id="author-block"),
        pytest.param(BODY * 3, "front", "", "abstract", id="abstract-without-heading"),
        pytest.param("\n".join(REFERENCES), "references", "References", "references", id="references"),
        pytest.param(
            "def pass_at_k(n, c, k):\n    if n - c < k:\n        return 1.0\n    return 1.0 - prod\n",
            "appendix",
            "Appendix A",
            "code",
            id="code",
        ),
        pytest.param("\n".join(FIGURE), "body", "6 Results", "figure", id="figure"),
        pytest.param(BODY * 3, "body", "3 Method", "body", id="body"),
        pytest.param(
            "On 16 GPUs with a 1.2 GB gradient, one all-reduce took 310 ms over 100 Gb/s links. "
            "Overlapping it with the backward pass hid about 70 % of that time.",
            "body",
            "Measured",
            "body",
            id="measured-paragraph",
        ),
        pytest.param(
            "Let M_t be the contents of the N x M memory matrix at time t, where N is the number\n"
            "of memory locations, and M is the vector size at each location. Let w_t be a\n"
            "r_t = sum_i w_t(i) M_t(i),\n(2)\n"
            "which is clearly differentiable with respect to both the memory and the weighting.",
            "body",
            "3.1 Reading",
            "body",
            id="prose-around-an-equation",
        ),
        pytest.param(
            "BERT-base 84.4 88.4 86.7 92.7 88.5\nNo NSP 83.9 84.9 86.5 92.6 87.9\nLTR & No NSP 82.1 84.3 77.5 92.1",
            "body",
            "5 Ablation",
            "figure",
            id="table-rows",
        ),
    ],
)
def test_chunk_roles(text: str, part: str, section: str, role: str) -> None:
    assert classify(text, part, section) == role


@pytest.mark.parametrize(
    "sentence",
    [
        pytest.param("Jane Doe, jane.doe@example.org, University of Testing.", id="email"),
        pytest.param("Vaswani et al., 2017. In Proceedings of NeurIPS, pp. 5998-6008.", id="reference"),
        pytest.param("is divided by the square root of the key width before the softmax.", id="cut-at-start"),
        pytest.param("The scores are divided by the square root of the key width before the", id="cut-at-end"),
        pytest.param("Input)# )$ )$ Tok M Question Paragraph BERT E[CLS].", id="figure-residue"),
        pytest.param("We scale by $\\frac{1}{\\sqrt{d_k}.", id="broken-latex"),
        pytest.param('Example: def pass_at_k(n, c, k): """ :param n: samples """ return 1.0.', id="code"),
        pytest.param("See [(cite)](https://arxiv.org/abs/1706.03762) for details of the model.", id="url"),
        pytest.param("It works well.", id="too-short"),
        pytest.param(
            "0 20 40 60 80 100 cost per sequence (bits) LSTM NTM with LSTM Controller Figure 7: Learning Curves.",
            id="plot-axis",
        ),
    ],
)
def test_junk_is_not_quotable(sentence: str) -> None:
    assert not quotable(sentence)


def test_whole_clean_sentences_are_quotable_and_split_correctly() -> None:
    text = (
        "We use e.g. dropout as in Srivastava et al. (2014). 4To illustrate why the dot products get large, "
        "assume unit variance. 注意力把查询与所有键比较。然后对值加权求和。"
    )
    found = split_sentences(text)
    assert found[0] == "We use e.g. dropout as in Srivastava et al. (2014)."
    assert found[1].startswith("To illustrate"), "a footnote number glued to the sentence is dropped"
    assert found[2:] == ["注意力把查询与所有键比较。", "然后对值加权求和。"]
    assert quotable("We scale the scores by $\\frac{1}{\\sqrt{d_k}}$ to keep the softmax responsive.")


@pytest.mark.parametrize(
    ("question", "lang"),
    [
        pytest.param("Transformer 里的 self-attention 和 multi-head attention 有什么区别？", "zh", id="zh-with-terms"),
        pytest.param("ResNet 的 residual connection 为什么有用", "zh", id="zh-no-punctuation"),
        pytest.param("BERT 的 NSP", "zh", id="zh-mostly-latin"),
        pytest.param("What does 残差 mean in ResNet?", "en", id="en-with-a-chinese-term"),
        pytest.param("Why divide by √d_k?", "en", id="en"),
        pytest.param("过拟合", "zh", id="zh-term-alone"),
    ],
)
def test_the_answer_language_follows_the_question_frame(question: str, lang: str) -> None:
    assert detect_language(question) == lang
