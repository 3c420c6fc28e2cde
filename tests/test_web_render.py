"""What the web page is made of, without a browser: formulas, answer cards, the map, the panels, the viewer."""

from __future__ import annotations

import dataclasses
import re
import subprocess
import sys
from pathlib import Path

import pytest
from pdfs import paper_pdf

from tutor.answer import Answer
from tutor.card import Background, Quote
from tutor.citations import Citation, ReadNext
from tutor.config import Settings
from tutor.notes import find_note_files
from tutor.readings import ReadingList
from tutor.ui.maths import repair_pdf, typeset
from tutor.ui.panels import Status, status_html
from tutor.ui.pathmap import render_map
from tutor.ui.render import answer_markdown, question_markdown
from tutor.ui.viewer import locate, note_markdown, render_page, safe_doc_path

# ------------------------------------------------------------------------------------------ maths


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("softmax(QKᵀ / √d_k) V", r"$\operatorname{softmax}(QK^{\top} / \sqrt{d_k}) V$", id="one-formula"),
        pytest.param("d_model = 512", r"$d_{\text{model}} = 512$", id="word-subscript"),
        pytest.param("F_m = F_{m−1} + ν·ρ_m h_m", r"$F_{m} = F_{m-1} + \nu \cdot \rho_{m} h_{m}$", id="nested"),
        pytest.param("Σ_{i∈M} log p(x_i)", r"$\sum_{i\in M} \log p(x_{i})$", id="sum-limits"),
        pytest.param("addressed by softmax(QK^T).", r"addressed by $\operatorname{softmax}(QK^{T})$.", id="caret"),
        pytest.param(
            "x_{l+1} = x_l + F(x_l), for a d_k vector",
            r"$x_{l+1} = x_{l} + F(x_{l})$, for a $d_{k}$ vector",
            id="call-and-prose",
        ),
        pytest.param(
            "keep $\\frac{1}{\\sqrt{d_k}}$ as written", "keep $\\frac{1}{\\sqrt{d_k}}$ as written", id="latex"
        ),
        pytest.param("除以 √d_k 的原因", r"除以 $\sqrt{d_k}$ 的原因", id="chinese"),
    ],
)
def test_tutor_formulas_are_typeset(text: str, expected: str) -> None:
    assert typeset(text) == expected


def test_stray_dollars_and_identifiers_stay_text() -> None:
    out = typeset("premise, delimiter ($), hypothesis; [z; q; $; a_k] and TUTOR_LLM_BASE_URL costs $5")
    assert out.count('<span class="dollar">&#36;</span>') == 3, "no `$` is left for Gradio to pair up"
    assert "$" not in out.replace("$a_{k}$", "")
    assert "TUTOR_LLM_BASE_URL" in out


def test_html_in_text_is_escaped_outside_and_inside_formulas() -> None:
    assert typeset("<script>alert(1)</script> x_i") == "&lt;script>alert(1)&lt;/script> $x_{i}$"
    assert "<script" not in repair_pdf("<script>x</script> √dk")


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        pytest.param("divide each by √dk, and", r"divide each by $\sqrt{d_k}$, and", id="sqrt"),
        pytest.param("scaled by 1√dk.", r"scaled by $\frac{1}{\sqrt{d_k}}$.", id="one-over-sqrt"),
        pytest.param("q · k = ∑dk i=1 qiki, has", r"q · k = $\sum_{i=1}^{d_k}$ qiki, has", id="sum"),
        pytest.param(
            "−→h i = f(−→h i−1, xi)", r"$\overrightarrow{h}_{i}$ = f($\overrightarrow{h}_{i-1}$, xi)", id="arrow"
        ),
        pytest.param("4To illustrate why", "To illustrate why", id="footnote-mark"),
        pytest.param("the weights W_i*", r"the weights W\_i\*", id="markdown-kept-literal"),
    ],
)
def test_pdf_formulas_are_repaired_only_where_certain(text: str, expected: str) -> None:
    assert repair_pdf(text) == expected


# ------------------------------------------------------------------------------------------ answers


def _answer(language: str = "en") -> Answer:
    title = "Attention Is All You Need"
    citations = [
        Citation(
            1, "vaswani2017-attention", "Attention Is All You Need", "Vaswani et al., 2017", "3.2.1", 4, "u", "q1"
        ),
        Citation(2, "note-sdpa", "Scaled dot-product attention", "tutor notes", "beginner", None, "", "", "note"),
        Citation(3, "bishop2006-prml", "PRML", "Bishop, 2006", "", None, "https://x", "", "reading-list"),
        Citation(4, "vaswani2017-attention", title, "Vaswani et al., 2017", "3.5", 6, "u", "q4"),
    ]
    return Answer(
        question="Why √d_k?",
        level="beginner",
        language=language,
        backend="extractive",
        covered=True,
        text="",
        citations=citations,
        read_next=[ReadNext("devlin2018-bert", "BERT", "3.1, p. 4", "why", "How does BERT's masked LM work?")],
        retrieved=[],
        timings_ms={},
        direct="Scores grow with d_k [1]; see also [3].",
        background=Background("note-sdpa", "Scaled dot-product attention", "beginner", "A lookup.", 2),
        evidence=[Quote(4, "Since the model contains no recurrence, we add positional encodings.", "vaswani")],
        id="abc123",
    )


def test_every_marker_links_to_the_source_with_that_number() -> None:
    html = answer_markdown(_answer(), lambda doc: doc == "vaswani2017-attention")
    markers = re.findall(r'<a class="cite" href="#src-abc123-(\d+)">\[(\d+)\]</a>', html)
    assert markers and all(a == b for a, b in markers)
    for n, _ in markers:
        item = re.search(rf'<li id="src-abc123-{n}" value="{n}"><span class="src-n">\[{n}\]</span>', html)
        assert item, n
    assert html.index("Scores grow") < html.index("answer-background") < html.index("answer-evidence")


def test_a_runner_up_pair_shows_under_the_direct_answer_with_its_marker_linked() -> None:
    answer = dataclasses.replace(_answer(), also="**If you meant “Why divide by √d_k and not d_k?”**\n\nA std [4].")
    html = answer_markdown(answer, lambda doc: doc == "vaswani2017-attention")
    block = html[html.index('<div class="answer-also">') :]
    assert "If you meant" in block and '<a class="cite" href="#src-abc123-4">[4]</a>' in block
    assert html.index("Scores grow") < html.index("answer-also") < html.index("answer-background")
    assert "answer-also" not in answer_markdown(_answer(), lambda doc: False)


def test_sources_say_how_to_open_them() -> None:
    html = answer_markdown(_answer(), lambda doc: doc == "vaswani2017-attention")
    assert 'id="open-abc123-1" href="library/vaswani2017-attention#page=4"' in html
    assert 'id="open-abc123-2" href="#note"' in html
    assert "tutor add FILE --as bishop2006-prml" in html
    assert "How does BERT&#x27;s masked LM work?" in html or "How does BERT's masked LM work?" in html


def test_generated_sentences_show_which_source_they_were_checked_against() -> None:
    from dataclasses import replace

    from tutor.llm.grounding import Check

    checks = [
        Check("Scores grow with the key width.", "supported", 1, "the dot products grow large in magnitude", 0.8),
        Check("Scaling is not needed for small d_k.", "conflict", 1, "for small values of d_k", 0.7, "negation"),
    ]
    html = answer_markdown(replace(_answer(), checks=checks), lambda doc: False)
    assert "1 of 2 kept" in html
    kept = html[html.index("check-kept") : html.index("check-dropped")]
    assert 'href="#src-abc123-1"' in kept and "the dot products grow large in magnitude" in kept
    assert "left out: negation" in html[html.index("check-dropped") :]
    assert "answer-checks" not in answer_markdown(_answer(), lambda doc: False), "no section without a model"


def test_an_oversized_question_is_not_echoed() -> None:
    shown = question_markdown("why " * 250_000)
    assert len(shown) < 200 and "999,999 characters" in shown
    assert question_markdown("为" * 3000, "zh") == "（问题长达 3,000 个字符，不显示）"


# ------------------------------------------------------------------------------------------ panels


def test_map_is_an_svg_with_readable_labels_and_every_link(readings: ReadingList) -> None:
    html = render_map(readings, "en", {"vaswani2017-attention"}, {"he2015-resnet"}, {"vaswani2017-attention": 0.5})
    assert html.count('class="map-node') == len(readings.readings)
    assert html.count('class="map-edge"') == len(readings.links)
    assert 'data-id="vaswani2017-attention"' in html and "map-indexed" in html and "map-library" in html
    assert "map-mastery" in html
    assert 'data-q="What should I read first in “Deep Residual Learning for Image Recognition”' in html


def test_map_in_chinese_labels_its_stages_in_chinese(readings: ReadingList) -> None:
    html = render_map(readings, "zh", set(), set())
    assert "注意力机制" in html and "《Attention Is All You Need》" in html


def test_status_is_plain_words_first_and_commands_in_details() -> None:
    status = Status(24, 15, 29, 0, ["bishop2006-prml"], "extractive", "local-model")
    html = status_html(status, "zh")
    plain_part = html.split("<details")[0]
    assert "已就绪 · 15 篇文献 · 离线</span>" in plain_part, "one short line (issue 20)"
    assert "TUTOR_" not in plain_part and "tutor " not in plain_part
    folded = html.split("<details")[1]
    assert "24 篇文献中已收录 15 篇" in folded and "TUTOR_LLM_BASE_URL" in folded and "bishop2006-prml" in folded
    assert "Ready · 15 readings · offline</span>" in status_html(status, "en")


def test_the_web_app_does_not_draw_with_matplotlib() -> None:
    """The map used to be a matplotlib PNG; a font cache built before the CJK font was installed broke it."""
    probe = "import sys, tutor.ui.app; print('matplotlib' in sys.modules)"
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "False"


# ------------------------------------------------------------------------------------------ viewer


def test_the_quote_is_found_on_the_page_despite_spacing_and_formulas() -> None:
    page = "variables with mean 0 and variance 1. Then their dot product, q · k =\r\nPdk\r\ni=1 qiki, has mean 0"
    span = locate(page, "Then their dot product, q · k = ∑dk i=1 qiki, has mean 0")
    assert span is not None
    assert page[span[0] : span[1]].startswith("Then their") and page[span[0] : span[1]].endswith("mean 0")
    assert locate(page, "Nothing like this sentence appears on the page at all.") is None


def test_a_cited_page_renders_with_the_quote_highlighted(settings: Settings, tmp_path: Path) -> None:
    settings.library_dir.mkdir(parents=True)
    body = "Deeper plain networks show the degradation problem: training error rises with depth. " * 3
    paper_pdf(settings.library_dir / "he2015-resnet.pdf", "Deep Residual Learning", [("1. Introduction", body)])
    view = render_page(settings, "he2015-resnet", 2, "training error rises with depth.")
    assert view is not None and view.pages == 2 and view.image.read_bytes().startswith(b"\x89PNG")
    assert view.boxes and all(0 <= b.left <= 100 and 0 <= b.top <= 100 for b in view.boxes)
    assert render_page(settings, "he2015-resnet", 3) is None
    assert safe_doc_path(settings, "../he2015-resnet") is None and safe_doc_path(settings, ".x") is None


@pytest.mark.parametrize(
    ("lang", "summaries"),
    [
        (
            "en",
            ["Beginner", "Intermediate", "Expert", "Systems analogy", "Common confusions", "Self-check", "Read next"],
        ),
        ("zh", ["入门", "进阶", "专家", "系统类比", "常见误区", "自测", "接下来读"]),
    ],
)
def test_a_note_shows_every_section_in_order_under_its_heading(
    lang: str, summaries: list[str], readings: ReadingList
) -> None:
    note = next(n for n in find_note_files(Path(__file__).parent.parent / "corpus") if n.lang == lang)
    html = note_markdown(note, "expert", lang, readings)
    assert re.findall(r"<summary>(.*?)</summary>", html) == summaries
    assert '<details class="note-expert" open>' in html and '<details class="note-analogy">' in html
