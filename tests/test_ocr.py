"""OCR of PDF pages without a usable text layer, with the real tesseract and poppler (CI installs them)."""

from __future__ import annotations

import difflib
import hashlib
import os
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from conftest import READINGS_RAW, REPO
from pdfs import LOREM, paper_pdf
from scans import CJK_FONT, bitmap_font_pdf, merged_pdf, scanned_pdf

from tutor.config import Settings
from tutor.errors import DocumentError
from tutor.ingest import ingest
from tutor.library import add_file
from tutor.loaders import HeadingTracker, load_file, needs_ocr, read_pdf_pages
from tutor.ocr import PageOcr, clean_ocr_text, install_hint, langs_for
from tutor.readings import ReadingList

HAVE_OCR = PageOcr("eng+chi_sim").available
needs_tesseract = pytest.mark.skipif(
    not HAVE_OCR, reason=f"tesseract is not installed: {install_hint('eng+chi_sim')} (CI installs it)"
)

ENGLISH_SCAN = [
    [
        "Boosting as Descent in Function Space",
        "",
        "1 Introduction",
        "Each new tree is fitted to the negative gradient of the loss",
        "evaluated at the current model, one step of steepest descent.",
    ],
    [
        "2 Shrinkage",
        "Scaling every step by a learning rate below one slows the fit",
        "but the model generalises better; the zorblax effect is this.",
    ],
    [
        "2.1 Huber Loss",
        "The Huber loss is quadratic for small residuals and linear for",
        "large ones, so outliers pull the fit less than squared error.",
    ],
]

# A chapter of a Chinese textbook on model evaluation (written for this test): 12 pages, a chapter heading,
# two numbered section headings, one topic per page so a question can be traced to its page.
CHINESE_CHAPTER = [
    [
        "第2章 模型评估与选择",
        "",
        "2.1 经验误差与过拟合",
        "分类错误的样本占样本总数的比例叫做错误率，",
        "一减去错误率就是精度，两者描述同一件事情。",
    ],
    [
        "学习器在训练集上的误差叫做训练误差，也叫经验误差；",
        "在新样本上的误差叫做泛化误差，这才是我们关心的。",
    ],
    [
        "如果学习器把训练样本学得太好，把训练集特有的性质",
        "当成了所有样本的普遍规律，泛化性能就会下降，",
        "这种现象叫做过拟合。",
    ],
    [
        "与过拟合相对的是欠拟合：学习器连训练样本的一般",
        "性质都没有学好，例如决策树的分支太少。",
    ],
    [
        "过拟合是机器学习面临的关键障碍，各种算法都带有",
        "一些针对过拟合的措施，但无法彻底避免它。",
    ],
    [
        "现实任务中往往有多种算法和参数可选，",
        "选择哪一个模型，就是模型选择问题。",
    ],
    [
        "2.2 评估方法",
        "我们用一个测试集来估计学习器对新样本的判别能力，",
        "以测试集上的测试误差作为泛化误差的近似。",
    ],
    [
        "留出法直接把数据集划分为两个互斥的集合，",
        "一个作为训练集，另一个作为测试集，",
        "划分时要尽量保持数据分布的一致性。",
    ],
    [
        "交叉验证法先把数据集划分为k个大小相似的子集，",
        "每次用k减一个子集训练，用剩下的一个测试，",
        "最终返回k次测试结果的均值。",
    ],
    [
        "留一法是交叉验证的特例：每个子集只含一个样本，",
        "评估结果往往比较准确，但计算开销很大。",
    ],
    [
        "自助法对数据集进行有放回的随机采样，",
        "约有百分之三十六点八的样本不会出现在采样集中，",
        "这些样本可以用作测试集。",
    ],
    [
        "在模型选择完成后，应当用全部数据重新训练模型，",
        "用于调参的数据集通常称为验证集。",
    ],
]


def ocr_in(tmp: Path, langs: str = "eng", **kw: Any) -> PageOcr:
    return PageOcr(langs, cache_dir=tmp / "ocr-cache", **kw)


def digest(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


class OcrCounter:
    """A reporter that records OCR progress (the optional hook) next to the usual calls."""

    def __init__(self) -> None:
        self.ocr: dict[str, int] = {}

    def start(self, source: Any, total: int) -> None:
        pass

    def advance(self, n: int) -> None:
        pass

    def finish(self, row: Any) -> None:
        pass

    def ocr_progress(self, source: Any, done: int, total: int) -> None:
        self.ocr[source.doc_id] = total


# ------------------------------------------------------------------------------------------ text and headings


@pytest.mark.parametrize(
    ("raw", "clean"),
    [
        pytest.param("经 验 误差 与 过 拟 合", "经验误差与过拟合", id="cjk-gaps"),
        pytest.param("错误率 ， 精度 。", "错误率，精度。", id="cjk-punctuation"),
        pytest.param("经验误差 ; 在新样本上 : 泛化", "经验误差;在新样本上:泛化", id="ascii-punctuation-in-chinese"),
        pytest.param("使用 Transformer 模型 的 注意力", "使用 Transformer 模型的注意力", id="latin-term-kept"),
        pytest.param(
            "第 2 章 划分为 k 个 子集 ， 约 36.8% 的", "第2章划分为k个子集，约36.8%的", id="numbers-in-chinese"
        ),
        pytest.param("steepest descent in function space", "steepest descent in function space", id="latin"),
        pytest.param("numerical opti-\nmization\f", "numerical optimization", id="hyphenation"),
        pytest.param("4.4 M-—Regression\n7 ‘Tree boosting", "4.4 M-Regression\n7 Tree boosting", id="specks"),
    ],
)
def test_ocr_text_loses_spaces_between_chinese_characters_only(raw: str, clean: str) -> None:
    assert clean_ocr_text(raw) == clean


def test_chinese_textbook_headings_are_recognised() -> None:
    tracker = HeadingTracker()
    lines = {
        "目录": None,
        "第1章 绪论 1": None,  # a contents line: page number after the title
        "第2章 模型评估与选择": "第2章 模型评估与选择",
        "2.1 经验误差与过拟合": "2.1 经验误差与过拟合",
        "错误率是分类错误的样本占样本总数的比例。": None,
        "第 2 章 模型评估与选择": None,  # the running header of the same chapter
        "2.2 评估方法": "2.2 评估方法",
        "2.3 这一行是正文，它有逗号": None,
        "§2.3": "§2.3",
        "参考文献": "参考文献",
        "第三章 线性模型": "第三章 线性模型",
        "3.1 基本形式": "3.1 基本形式",
        "§3.2 Linear Discriminant Analysis": "§3.2 Linear Discriminant Analysis",
    }
    for line, section in lines.items():
        assert tracker.feed(line) == (section is not None), line
        if section is not None:
            assert tracker.section == section
    assert tracker.part == "body"  # a chapter after a chapter's references is body, not an appendix


def test_languages_come_from_the_setting_or_the_reading(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    assert langs_for(settings, None) == "eng+chi_sim"
    assert langs_for(settings, "Greedy Function Approximation: A Gradient Boosting Machine") == "eng"
    assert langs_for(settings, 'Machine Learning (机器学习, the "watermelon book")') == "chi_sim+eng"
    monkeypatch.setenv("TUTOR_OCR_LANGS", "chi_sim")
    assert langs_for(Settings(), "Greedy Function Approximation") == "chi_sim"


# ------------------------------------------------------------------------------------------ real OCR


@needs_tesseract
def test_image_only_english_pdf_is_read_with_sections_and_pages(tmp_path: Path) -> None:
    pdf = scanned_pdf(tmp_path / "scan.pdf", ENGLISH_SCAN)
    original = digest(pdf)
    assert all(needs_ocr(text, 0.85) for text in read_pdf_pages(pdf))
    ocr = ocr_in(tmp_path, "eng+chi_sim", narrow=True)  # what the learner's own documents get
    loaded = load_file(pdf, "pdf", 0.85, ocr=ocr)
    assert ocr.stats.pages_ocr == 3 and loaded.pages == 3
    assert ocr.langs_used == "eng", "no Chinese on the first page: the rest is read in English only"
    starts = {b.section: b.page for b in reversed(loaded.blocks)}
    assert starts == {"": 1, "1 Introduction": 1, "2 Shrinkage": 2, "2.1 Huber Loss": 3}
    assert all(b.ocr for b in loaded.blocks)
    text = " ".join(b.text for b in loaded.blocks)
    assert "negative gradient of the loss" in text and "zorblax" in text
    assert digest(pdf) == original, "the original file is never modified"


@needs_tesseract
def test_image_only_chinese_pdf_keeps_its_characters_and_headings(tmp_path: Path) -> None:
    if not CJK_FONT.exists():
        pytest.skip("needs fonts-wqy-zenhei")
    pdf = scanned_pdf(tmp_path / "chapter.pdf", CHINESE_CHAPTER, font=CJK_FONT, size=36)
    ocr = ocr_in(tmp_path, "eng+chi_sim", narrow=True)
    loaded = load_file(pdf, "pdf", 0.85, ocr=ocr)
    assert ocr.langs_used == "chi_sim", "Chinese on the first page: every page is read in Chinese only"
    pages = {b.section: sorted({x.page for x in loaded.blocks if x.section == b.section}) for b in loaded.blocks}
    assert pages == {
        "第2章 模型评估与选择": [1],
        "2.1 经验误差与过拟合": [1, 2, 3, 4, 5, 6],
        "2.2 评估方法": list(range(7, 13)),
    }
    # Tesseract misreads the odd character (交叉 → 交义 in one run): compare the whole text, not phrases.
    read = "".join("".join(b.text for b in loaded.blocks).split())
    truth = "".join("".join(line for page in CHINESE_CHAPTER for line in page).split())
    assert difflib.SequenceMatcher(None, read, truth, autojunk=False).ratio() > 0.97
    assert not [b.text for b in loaded.blocks if " " in b.text.split("\n", 1)[-1]], "no spaces left in the prose"


@needs_tesseract
def test_mixed_pdf_gets_ocr_only_on_the_page_without_text(tmp_path: Path) -> None:
    typed = paper_pdf(
        tmp_path / "typed.pdf",
        "Residual Learning Notes",
        [("1 Introduction", LOREM * 6), ("3 Experiments", LOREM * 6)],
    )
    scan = scanned_pdf(tmp_path / "scan.pdf", [["2 Shrinkage", *ENGLISH_SCAN[1][1:]]])
    mixed = merged_pdf(tmp_path / "mixed.pdf", (typed, [1, 2]), (scan, [1]), (typed, [3]))
    ocr = ocr_in(tmp_path)
    loaded = load_file(mixed, "pdf", 0.85, ocr=ocr)
    assert ocr.stats.pages_ocr == 1
    assert {b.page for b in loaded.blocks if b.ocr} == {3}
    assert {b.section: b.page for b in reversed(loaded.blocks)}["2 Shrinkage"] == 3
    assert {b.section: b.page for b in reversed(loaded.blocks)}["3 Experiments"] == 4


@needs_tesseract
def test_bitmap_font_byte_soup_is_detected_and_read(tmp_path: Path) -> None:
    """Friedman's preprint when ../shared is here (its first two pages), else a Type 3 font made here."""
    if READINGS_RAW.is_dir():
        pdf = merged_pdf(tmp_path / "friedman-1-2.pdf", (READINGS_RAW / "friedman2001-gbm.pdf", [1, 2]))
        expected = ["Greedy Function Approximation", "numerical optimization in function space", "1.1 Numerical"]
        sections = {"1 Function estimation", "1.1 Numerical optimization"}
    else:
        pdf = bitmap_font_pdf(tmp_path / "bitmap.pdf", ENGLISH_SCAN)
        expected = ["Each new tree is fitted to the negative gradient", "Huber loss is quadratic"]
        sections = {"1 Introduction", "2 Shrinkage", "2.1 Huber Loss"}
    texts = read_pdf_pages(pdf)
    assert all(len(t.strip()) > 100 for t in texts), "there is a text layer..."
    assert all(needs_ocr(t, 0.85) for t in texts), "...but it is not language"
    with pytest.raises(DocumentError, match="no usable text layer"):
        load_file(pdf, "pdf", 0.85)  # without OCR: refused, and the message says how to get it read
    loaded = load_file(pdf, "pdf", 0.85, ocr=ocr_in(tmp_path))
    text = " ".join(" ".join(b.text.split()) for b in loaded.blocks)
    for phrase in expected:
        assert phrase in text
    assert sections <= {b.section for b in loaded.blocks}
    assert all(b.ocr for b in loaded.blocks)


# ------------------------------------------------------------------------------------------ ingest


@pytest.mark.slow
@needs_tesseract
def test_scanned_chinese_chapter_is_indexed_and_a_chinese_question_finds_its_page(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    if not CJK_FONT.exists():
        pytest.skip("needs fonts-wqy-zenhei")
    from tutor.answer import Tutor

    scan = scanned_pdf(tmp_path / "西瓜书第2章.pdf", CHINESE_CHAPTER, font=CJK_FONT, size=36)
    # A scan's title cannot be checked, hence force; the reading's Chinese title picks chi_sim+eng.
    add_file(no_notes, readings, scan, as_id="zhou2016-ml-book", force=True)
    store = make_store()
    [row] = ingest(no_notes, readings, store)
    assert row.status == "indexed" and row.pages == 12
    chunks = store.chunks({"reading_id": "zhou2016-ml-book"})
    assert chunks and all(c.metadata["ocr"] for c in chunks)
    by_page = {c.metadata["page"]: c.metadata["section"] for c in chunks if c.metadata["kind"] != "sentence"}
    assert by_page[2] == "2.1 经验误差与过拟合" and by_page[11] == "2.2 评估方法"

    shutil.copy(REPO / "corpus" / "glossary.toml", no_notes.data.corpus)  # the tutor's vocabulary, no notes or Q&A
    tutor = Tutor.from_settings(no_notes, store=store, backend="extractive")
    for question, page in [("自助法中有多少样本不会出现在采样集里？", 11), ("留出法怎样划分训练集和测试集？", 8)]:
        answer = tutor.ask(question, "beginner", "zh")
        passages = [(r["reading_id"], r["page"]) for r in answer.as_json()["retrieved"] if r["page"]]
        assert passages and passages[0] == ("zhou2016-ml-book", page), (question, passages)


@pytest.mark.slow
@needs_tesseract
def test_a_learners_scanned_chapter_is_titled_by_its_chapter_heading_not_its_file_name(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    if not CJK_FONT.exists():
        pytest.skip("needs fonts-wqy-zenhei")
    scan = scanned_pdf(tmp_path / "scan-0042.pdf", CHINESE_CHAPTER[:2], font=CJK_FONT, size=36)
    add_file(no_notes, readings, scan)
    store = make_store()
    [row] = ingest(no_notes, readings, store)
    assert row.status == "indexed" and row.title == "第2章 模型评估与选择"
    chunks = store.chunks({"reading_id": row.doc_id})
    assert chunks and {c.metadata["title"] for c in chunks} == {"第2章 模型评估与选择"}
    [again] = ingest(no_notes, readings, store)
    assert again.status == "unchanged" and again.title == "第2章 模型评估与选择"


@pytest.mark.slow
@needs_tesseract
def test_reingest_reads_ocr_text_from_the_cache(no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path):
    lib = no_notes.library_dir
    lib.mkdir(parents=True)
    scan = scanned_pdf(lib / "user-descent-notes.pdf", ENGLISH_SCAN)
    original = digest(scan)
    first = OcrCounter()
    [row] = ingest(no_notes, readings, make_store(), first)
    assert row.status == "indexed" and first.ocr == {"user-descent-notes": 3}
    assert len(list(no_notes.ocr_cache_dir.rglob("*.txt"))) == 3

    # New splitting settings re-chunk the document: it is loaded again, but nothing is OCRed again.
    rechunk = no_notes.model_copy(deep=True)
    rechunk.ingest.chunk_size = 400
    second = OcrCounter()
    [again] = ingest(rechunk, readings, make_store(rechunk), second)
    assert again.status == "updated" and second.ocr == {}
    assert digest(scan) == original


@pytest.mark.slow
@needs_tesseract
def test_without_tesseract_the_rest_is_indexed_and_the_apt_command_is_given(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    lib = no_notes.library_dir
    lib.mkdir(parents=True)
    typed = paper_pdf(lib / "graves2014-ntm.pdf", "Neural Turing Machines", [("1 Introduction", LOREM * 8)])
    scanned_pdf(lib / "user-scan.pdf", ENGLISH_SCAN)
    page = scanned_pdf(tmp_path / "page.pdf", [ENGLISH_SCAN[1]])
    merged_pdf(lib / "user-mixed.pdf", (typed, [1, 2]), (page, [1]))
    apt = "apt-get install tesseract-ocr tesseract-ocr-eng tesseract-ocr-chi-sim poppler-utils"

    # No tesseract on PATH (nor pdftoppm): a user who never installed them, through the real CLI.
    empty = tmp_path / "no-tools"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"PATH": str(empty), "COLUMNS": "200", "TUTOR_DATA_DIR": str(no_notes.data.dir)}
    env |= {"TUTOR_DATA_CORPUS": str(no_notes.data.corpus)}
    done = subprocess.run([sys.executable, "-m", "tutor", "ingest"], capture_output=True, text=True, env=env)
    assert done.returncode == 0, done.stderr
    said = " ".join((done.stdout + done.stderr).split())
    assert "skipped user-scan" in said and apt in said

    with monkeypatch.context() as without:
        without.setenv("PATH", str(empty))
        rows = {r.doc_id: r for r in ingest(no_notes, readings, make_store())}
    assert rows["graves2014-ntm"].status == "unchanged"
    assert rows["user-scan"].status == "failed" and apt in rows["user-scan"].note
    assert rows["user-mixed"].status == "unchanged" and rows["user-mixed"].chunks > 0

    # Once tesseract is installed, the next ingest reads the scan and the mixed file's skipped page.
    rows = {r.doc_id: r for r in ingest(no_notes, readings, make_store())}
    assert rows["user-scan"].status == "indexed"
    assert rows["user-mixed"].status == "updated"
    assert rows["graves2014-ntm"].status == "updated"  # every PDF is re-read once: cheap, and nothing is missed
    ocr_pages = {c.metadata["page"] for c in make_store().chunks({"doc_id": "user-mixed"}) if c.metadata["ocr"]}
    assert ocr_pages == {3}


def test_missing_tools_are_named_with_the_command_that_installs_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PATH", str(tmp_path))
    ocr = PageOcr("chi_sim+eng")
    assert not ocr.available and ocr.missing() == ["tesseract", "pdftoppm"]
    pdf = scanned_pdf(tmp_path / "scan.pdf", ENGLISH_SCAN[:1])
    with pytest.raises(DocumentError) as caught:
        load_file(pdf, "pdf", 0.85, ocr=ocr)
    message = str(caught.value)
    assert "scan.pdf: no text layer" in message
    assert "`sudo apt-get install tesseract-ocr tesseract-ocr-chi-sim tesseract-ocr-eng poppler-utils`" in message


def test_ocr_switched_off_is_reported_not_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TUTOR_OCR_ENABLED", "false")
    ocr = PageOcr.from_settings(Settings())
    pdf = scanned_pdf(tmp_path / "scan.pdf", ENGLISH_SCAN[:1])
    with pytest.raises(DocumentError, match="OCR is switched off"):
        load_file(pdf, "pdf", 0.85, ocr=ocr)
    assert ocr.stats.pages_ocr == 0
