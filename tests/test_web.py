"""The web tutor in a real browser: `tutor serve` on a free port, driven by Playwright in Debian's Chromium at
desktop (1440×1000) and phone (390×844) sizes, in English and Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import json
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from webapp import Server, build_web_index, wait_idle

pytestmark = [pytest.mark.browser, pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
APT = "apt-get install chromium chromium-driver fonts-wqy-zenhei"
DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
SIZES = {
    "desktop-en": (DESKTOP, "en-US"),
    "phone-zh": (PHONE, "zh-CN"),
    "desktop-zh": (DESKTOP, "zh-CN"),
    "phone-en": (PHONE, "en-US"),
}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_web_index(tmp_path_factory.mktemp("web"))
    server = Server(settings, tmp_path_factory.mktemp("web-log") / "serve.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists() or not _cjk_font():
        pytest.exit(f"Browser tests need Debian's Chromium and a CJK font. Install them: {APT}", returncode=3)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _cjk_font() -> bool:
    fonts = [Path("/usr/share/fonts/truetype/wqy"), Path("/usr/share/fonts/opentype/noto")]
    return any(f.is_dir() and any(f.iterdir()) for f in fonts) or bool(shutil.which("fc-list"))


@pytest.fixture
def open_page(browser: Any, site: Server) -> Iterator[Any]:
    """Open the app at a size and locale: open_page("phone-zh"); the browser context closes after the test."""
    contexts: list[Any] = []

    def opener(size: str, **options: Any) -> Any:
        viewport, locale = SIZES[size]
        context = browser.new_context(viewport=viewport, locale=locale, **options)
        contexts.append(context)
        page = context.new_page()
        page.goto(site.url, wait_until="load")
        page.wait_for_selector("#question textarea", timeout=30000)
        return page

    yield opener
    for context in contexts:
        context.close()


def ask(page: Any, question: str) -> Any:
    """Ask once the page is idle and wait for the new answer card; returns its locator."""
    wait_idle(page)
    before = page.locator("#chat .answer[id]").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll('#chat .answer[id]').length > {before}", timeout=60000)
    return page.locator("#chat .answer[id]").last


def shot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 30) <= height


QUESTIONS = {
    "en": ("What does a residual block compute?", "Why divide the scores by the square root of d_k?"),
    "zh": ("残差块计算的是什么？", "注意力为什么要除以根号 d_k？"),
}


@pytest.mark.parametrize("size", list(SIZES))
def test_the_newest_answer_is_shown_from_its_title_and_every_marker_finds_its_source(
    open_page: Any, site: Server, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    first, second = QUESTIONS[lang]
    ask(page, first)
    answer = ask(page, second)
    page.wait_for_timeout(500)
    answer_id = answer.get_attribute("id")
    assert in_viewport(page, f"#{answer_id} .answer-title"), "the new answer is read from its top"
    markers = answer.locator("a.cite")
    assert markers.count() >= 2
    for i in range(markers.count()):
        marker = markers.nth(i)
        n = marker.text_content().strip("[]")
        target = page.locator(marker.get_attribute("href"))
        assert target.count() == 1 and target.locator(".src-n").text_content() == f"[{n}]"
    direct = answer.locator(".answer-direct")
    assert direct.bounding_box()["y"] < answer.locator(".answer-sources").bounding_box()["y"]
    shot(page, f"answer-{size}")


def test_formulas_are_typeset_in_a_note_and_in_a_quote(open_page: Any, site: Server) -> None:
    page = open_page("desktop-en")
    page.get_by_label("Intermediate").check()
    answer = ask(page, "Why divide the scores by the square root of d_k?")
    assert answer.locator(".answer-background .katex").count() >= 1, "the note's d_k is typeset"
    evidence = answer.locator(".answer-evidence")
    assert evidence.locator(".katex").count() >= 1, "the PDF's √dk is typeset"
    assert "sqrt{d_k}" in evidence.locator(".katex annotation").first.text_content()
    page.get_by_role("tab", name="Glossary").click()
    page.fill("#glossary-search textarea", "square root")
    page.locator("#glossary .term:not([hidden]) .katex").first.wait_for(timeout=10000)
    shot(page, "maths-desktop-en")


@pytest.mark.parametrize("size", ["desktop-en", "phone-zh"])
def test_a_citation_opens_the_cited_page_in_the_app_with_the_quote_highlighted(
    open_page: Any, site: Server, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    answer = ask(page, QUESTIONS[lang][1])
    source = answer.locator(".answer-sources li").filter(has=page.locator("a.open-here[href^='library/']")).first
    cited = source.locator(".src-links a.open-here")
    page_number = cited.get_attribute("href").split("#page=")[1]
    cited.click()
    viewer = page.locator(f"#viewer .viewer[id='viewer-vaswani2017-attention-{page_number}']")
    viewer.wait_for(timeout=30000)
    image = viewer.locator("img.page-image")
    image.scroll_into_view_if_needed()
    page.wait_for_function("document.querySelector('#viewer img.page-image').complete", timeout=30000)
    assert image.evaluate("img => img.naturalWidth > 500")
    assert viewer.locator(".hl").count() >= 1, "the quoted sentence is highlighted"
    assert viewer.locator("a[href^='https://arxiv.org/']").count() == 1, "the external link is still there"
    assert in_viewport(page, "#viewer .viewer-title") or size.startswith("phone")
    shot(page, f"viewer-{size}")


def test_read_next_items_are_questions_that_ask_when_clicked(open_page: Any, site: Server) -> None:
    page = open_page("desktop-en")
    ask(page, "What does a residual block compute?")
    items = page.locator("#suggestions a.ask-q")
    assert items.count() >= 1
    for text in items.all_inner_texts():
        assert text.rstrip().endswith(("?", "？")), text
        assert "References" not in text and "参考文献" not in text
    for text in page.locator("#chat .answer-next").all_inner_texts():
        assert "References" not in text
    question = items.first.inner_text()
    before = page.locator("#chat .answer[id]").count()
    items.first.click()
    page.wait_for_function(f"document.querySelectorAll('#chat .answer[id]').length > {before}", timeout=60000)
    assert question in page.locator("#chat").inner_text()


@pytest.mark.parametrize("size", ["desktop-en", "phone-zh"])
def test_the_map_is_legible_and_a_click_on_a_reading_asks_about_it(open_page: Any, site: Server, size: str) -> None:
    page = open_page(size)
    tab = "Map" if size.endswith("en") else "路径图"
    page.get_by_role("tab", name=tab).click()
    node = page.locator("#path-map .map-node[data-id='he2015-resnet']")
    node.wait_for(timeout=15000)
    sizes = page.evaluate(
        """() => {
          const svg = document.querySelector('#path-map .map-svg');
          const scale = svg.getBoundingClientRect().width / svg.viewBox.baseVal.width;
          return [...svg.querySelectorAll('.map-title, .map-name, .map-stage')]
            .map(t => parseFloat(getComputedStyle(t).fontSize) * scale);
        }"""
    )
    assert sizes and min(sizes) >= 11, f"smallest rendered label {min(sizes):.1f} px"
    node.scroll_into_view_if_needed()
    node.hover()
    assert page.locator("#path-map .map-tip").inner_text().strip(), "a tooltip says why to read it"
    shot(page, f"map-{size}")
    node.click()
    page.locator("#chat .answer[id]").first.wait_for(timeout=60000)
    assert "Deep Residual Learning for Image Recognition" in page.locator("#chat").inner_text()


def test_a_glossary_definition_is_fully_visible_on_a_phone(open_page: Any, site: Server) -> None:
    page = open_page("phone-zh")
    page.get_by_role("tab", name="术语表").click()
    page.fill("#glossary-search textarea", "残差")
    term = page.locator("#glossary .term:not([hidden])").first
    term.wait_for(timeout=10000)
    term.scroll_into_view_if_needed()
    definition = term.locator(".term-def")
    box = definition.bounding_box()
    assert box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"]
    assert definition.evaluate("d => d.scrollWidth <= d.clientWidth && d.scrollHeight <= d.clientHeight + 1")
    assert len(definition.inner_text()) > 5
    shot(page, "glossary-phone-zh")


@pytest.mark.parametrize("size", ["phone-zh", "phone-en"])
def test_the_question_box_and_starters_are_on_a_phones_first_screen(open_page: Any, site: Server, size: str) -> None:
    page = open_page(size)
    page.wait_for_timeout(800)
    assert in_viewport(page, "#question textarea")
    assert in_viewport(page, "#suggestions a.ask-q >> nth=0")
    status = page.locator("#status .status-text").inner_text()
    assert "TUTOR_" not in status and "tutor fetch" not in status
    if size.endswith("zh"):
        assert "已就绪" in status and page.inner_text("#ask").strip() == "提问"
    shot(page, f"first-screen-{size}")


def test_the_language_switch_persists_across_a_reload(open_page: Any, site: Server) -> None:
    page = open_page("desktop-en")
    assert page.inner_text("#ask").strip() == "Ask"
    page.locator("#ui-lang").get_by_text("中文").click()
    page.wait_for_function("document.querySelector('#ask')?.innerText.trim() === '提问'", timeout=15000)
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30000)
    page.wait_for_function("document.querySelector('#ask')?.innerText.trim() === '提问'", timeout=15000)
    assert "已就绪" in page.inner_text("#status")
    assert_every_tab_shown_once(page, "zh")


TAB_NAMES = {
    "en": ["Reading path", "Map", "Glossary", "Source", "Numbers", "Study"],
    "zh": ["阅读路径", "路径图", "术语表", "原文", "估算", "学习"],
}


def assert_every_tab_shown_once(page: Any, lang: str) -> None:
    """Each side-panel tab is on screen exactly once, inside the window, with no overflow menu to hide it in."""
    width = page.viewport_size["width"]
    for name in TAB_NAMES[lang]:
        tab = page.locator("#panels").get_by_role("tab", name=name, exact=True)
        assert tab.count() == 1, f"{name}: {tab.count()} tabs"
        box = tab.bounding_box()
        assert box is not None and tab.is_visible(), f"{name} is hidden"
        assert box["x"] >= 0 and box["x"] + box["width"] <= width + 1, f"{name} is cut off at {box}"
        clipped = tab.evaluate("b => b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1")
        assert not clipped, f"{name}'s label is cut (issue 20: 阅读路径 showed as 阅读路彳)"
    labels = [x.strip() for x in page.locator("#panels [role='tab']").all_inner_texts()]
    assert len(labels) == len(set(labels)), f"a tab is duplicated: {labels}"
    assert not page.locator("#panels .overflow-menu").is_visible()


@pytest.mark.parametrize("size", list(SIZES))
def test_every_tab_stays_visible_in_both_languages_after_a_reload_and_opening_study(
    open_page: Any, site: Server, size: str
) -> None:
    page = open_page(size)
    first = "zh" if size.endswith("zh") else "en"
    page.wait_for_function(
        f"document.querySelector('#ask')?.innerText.trim() === '{'提问' if first == 'zh' else 'Ask'}'", timeout=15000
    )
    assert_every_tab_shown_once(page, first)
    other = "en" if first == "zh" else "zh"
    page.locator("#ui-lang").get_by_text("English" if other == "en" else "中文").click()
    page.wait_for_function(
        f"document.querySelector('#ask')?.innerText.trim() === '{'提问' if other == 'zh' else 'Ask'}'", timeout=15000
    )
    assert_every_tab_shown_once(page, other)
    page.locator("#panels").get_by_role("tab", name=TAB_NAMES[other][-1], exact=True).click()
    page.wait_for_timeout(500)
    assert_every_tab_shown_once(page, other)
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30000)
    page.wait_for_function(
        f"document.querySelector('#ask')?.innerText.trim() === '{'提问' if other == 'zh' else 'Ask'}'", timeout=15000
    )
    assert_every_tab_shown_once(page, other)
    shot(page, f"tabs-{size}-{other}")


def test_feedback_is_stored_against_the_answer_it_rates_after_an_empty_question(open_page: Any, site: Server) -> None:
    page = open_page("phone-en")
    page.click("#ask")
    page.locator("#chat").get_by_text("Please type a question first").wait_for(timeout=15000)
    answer = ask(page, "What does a residual block compute?")
    answer_id = answer.get_attribute("id").removeprefix("ans-")
    like = page.locator("#chat button[aria-label='Like']").last
    like.scroll_into_view_if_needed()
    like.click()
    feedback = site.settings.data.dir / "feedback.jsonl"
    deadline = time.monotonic() + 10
    while not (feedback.exists() and feedback.read_text(encoding="utf-8").strip()) and time.monotonic() < deadline:
        time.sleep(0.2)  # the file can exist a moment before its line is written
    last = json.loads(feedback.read_text(encoding="utf-8").splitlines()[-1])
    assert last["id"] == answer_id and last["liked"] is True


def test_the_copy_button_copies_the_answer_as_text(open_page: Any, site: Server) -> None:
    page = open_page("desktop-en", permissions=["clipboard-read", "clipboard-write"])
    answer = ask(page, "Why divide the scores by the square root of d_k?")
    answer.locator("a.copy-answer").click()
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "[1]" in copied and "Sources" in copied
    assert answer.locator(".answer-direct").inner_text().split("[")[0].strip()[:30] in copied


def test_a_script_planted_in_a_pdf_is_shown_as_text(open_page: Any, site: Server) -> None:
    page = open_page("desktop-en")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask(page, "How does speculative decoding verify the draft tokens?")
    assert page.title() != "HACKED" and not dialogs
    assert page.locator("#chat script").count() == 0


SCRIPT_LINK_QUESTION = (
    "[see the proof](javascript:document.title='PWNED') [diagram](data:text/html;base64,PHNjcmlwdD4=) "
    "[x]( JaVa\tScript:alert(1)) why divide the scores by the square root of d_k?"
)


def test_markdown_links_to_scripts_or_inline_data_are_shown_as_text(open_page: Any, site: Server) -> None:
    """Issue 19: `[x](javascript:…)` links passed through escaping unchanged (here in the learner's own bubble, the
    same rendering every answer goes through)."""
    page = open_page("desktop-en")
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    ask(page, SCRIPT_LINK_QUESTION)
    chat = page.locator("#chat")
    bubble = chat.get_by_text("see the proof", exact=False).first
    assert "javascript:document.title" in bubble.inner_text(), "the link is there, as text"
    for link in chat.locator("a").all():
        target = (link.get_attribute("href") or "").replace("\t", "").replace(" ", "").lower()
        assert not target.startswith(("javascript:", "data:")), target
    for link in chat.locator("a").all():
        if "proof" in link.inner_text() or "diagram" in link.inner_text():
            raise AssertionError(f"rendered as a link: {link.evaluate('a => a.outerHTML')}")
    assert page.title() != "PWNED" and not dialogs


def test_screenshot_for_the_readme(open_page: Any, site: Server) -> None:
    """docs/screenshot.png: a Chinese question answered at intermediate level, desktop size, the cited page open
    beside it with the quote highlighted. The test checks each of those before it takes the picture."""
    page = open_page("desktop-zh")
    page.get_by_label("进阶").check()
    answer = ask(page, "注意力为什么要除以根号 d_k？")
    assert answer.locator(".answer-title .badge").inner_text().strip() == "进阶"
    direct = answer.locator(".answer-direct").inner_text()
    assert re.search(r"[\u4e00-\u9fff]{6}", direct), "the answer is in Chinese"
    assert re.search(r"\[\d\]", direct), "with its citation markers"
    cited = answer.locator(".answer-sources li").filter(has_text="Attention Is All You Need").first
    assert re.search(r"第 \d+ 页", cited.inner_text()), "the Transformer paper is cited with its page"
    opener = cited.locator("a.open-here[href^='library/vaswani2017-attention']")
    page_number = opener.get_attribute("href").split("#page=")[1]
    opener.click()
    viewer = page.locator(f"#viewer .viewer[id='viewer-vaswani2017-attention-{page_number}']")
    viewer.wait_for(timeout=30000)
    page.wait_for_function("document.querySelector('#viewer img.page-image').complete", timeout=30000)
    assert viewer.locator("img.page-image").evaluate("img => img.naturalWidth > 500"), "the page is rendered"
    assert viewer.locator(".hl").count() >= 1, "the quoted sentence is highlighted"
    assert in_viewport(page, "#viewer .viewer-title") and in_viewport(page, f"#{answer.get_attribute('id')}")
    page.wait_for_timeout(500)
    page.evaluate("window.scrollTo(0, 0)")
    shot(page, "readme-desktop-zh")
