"""Issue 20 in a real browser: the Study tab and the first screen as a learner sees them, at 1440×1000 and 390×844,
in English and Chinese. `tutor serve` runs on the web tests' small index with the real notes and practice items
(so the placement check, the path and the items are the ones learners get). Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import re
import shutil
import time
from collections.abc import Iterator
from datetime import datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from webapp import Server, build_web_index, wait_idle

from tutor.config import Settings
from tutor.readings import load_reading_list
from tutor.study.items import ItemBank, McqItem, OpenItem, load_items

pytestmark = [pytest.mark.browser, pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent
ARTIFACTS = REPO / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
DESKTOP = {"width": 1440, "height": 1000}
PHONE = {"width": 390, "height": 844}
SIZES = {
    "desktop-en": (DESKTOP, "en-US"),
    "desktop-zh": (DESKTOP, "zh-CN"),
    "phone-en": (PHONE, "en-US"),
    "phone-zh": (PHONE, "zh-CN"),
}
ZONE = "Asia/Shanghai"
WORDS = {
    "en": {"study": "Study", "path": "Reading path", "source": "Source", "numbers": "Numbers", "ask": "Ask"},
    "zh": {"study": "学习", "path": "阅读路径", "source": "原文", "numbers": "估算", "ask": "提问"},
}
CJK = re.compile(r"[\u4e00-\u9fff]")
AA = 4.5


def add_real_study_content(settings: Settings) -> None:
    """The real notes (front matter gives the path) and practice items, beside the fixture's indexed notes."""
    for kind in ("notes", "practice"):
        for lang in ("en", "zh"):
            target = settings.data.corpus / kind / lang
            target.mkdir(parents=True, exist_ok=True)
            for source in (REPO / "corpus" / kind / lang).iterdir():
                if not (target / source.name).exists():
                    shutil.copy(source, target / source.name)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_web_index(tmp_path_factory.mktemp("learner"))
    add_real_study_content(settings)
    server = Server(settings, tmp_path_factory.mktemp("learner-log") / "serve.log").start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def bank(site: Server) -> ItemBank:
    corpus = site.settings.data.corpus
    return load_items(corpus, load_reading_list(corpus))


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def open_page(browser: Any, site: Server) -> Iterator[Any]:
    """A new learner's browser at a size and locale, in the learner's time zone; closed after the test."""
    contexts: list[Any] = []

    def opener(size: str) -> Any:
        viewport, locale = SIZES[size]
        context = browser.new_context(viewport=viewport, locale=locale, timezone_id=ZONE)
        contexts.append(context)
        page = context.new_page()
        page.goto(site.url, wait_until="load")
        page.wait_for_selector("#question textarea", timeout=30000)
        lang = size.split("-")[1]
        # the page switches to the browser's language after Gradio's load event: slow when the machine is busy
        page.wait_for_function(
            "t => document.querySelector('#ask')?.innerText.trim() === t", arg=WORDS[lang]["ask"], timeout=60000
        )
        page.wait_for_timeout(500)
        return page

    yield opener
    for context in contexts:
        context.close()


def shot(page: Any, name: str, full: bool = False, at: str = "") -> None:
    """A screenshot; `at`: an element to bring into view first (a phone shows one panel at a time)."""
    ARTIFACTS.mkdir(exist_ok=True)
    if at:
        page.locator(at).first.scroll_into_view_if_needed()
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=full)


def in_viewport(page: Any, selector: str) -> bool:
    box = page.locator(selector).first.bounding_box()
    height = page.viewport_size["height"]
    return box is not None and box["y"] >= -1 and box["y"] + min(box["height"], 30) <= height


def tab(page: Any, name: str) -> Any:
    return page.locator("#panels").get_by_role("tab", name=name, exact=True)


def open_study(page: Any, lang: str) -> None:
    tab(page, WORDS[lang]["study"]).click()
    page.locator("#study-who p").first.wait_for(timeout=30000)
    page.wait_for_function("() => document.querySelector('#study-progress .study-stage') !== null", timeout=30000)


def shown_item(page: Any) -> str:
    marker = page.locator("#study-question .study-item-id")
    marker.first.wait_for(state="attached", timeout=30000)
    return str(marker.first.get_attribute("id")).removeprefix("item-")


def wait_for_new_item(page: Any, before: str) -> str:
    page.wait_for_function(
        "b => { const m = document.querySelector('#study-question .study-item-id');"
        " return m && m.id !== 'item-' + b; }",
        arg=before,
        timeout=60000,
    )
    return shown_item(page)


def choose(page: Any, bank: ItemBank, item_id: str, right: bool = True) -> str:
    """Pick the right (or a wrong) choice, or write the model answer; returns what was answered."""
    body = bank.by_id[item_id].body
    if isinstance(body, McqItem):
        letter = body.answer if right else next(x for x in body.letters if x != body.answer)
        page.locator("#study-choice label").nth(body.letters.index(letter)).click()
        return letter
    assert isinstance(body, OpenItem)
    text = body.reference if right else "I do not know."
    page.fill("#study-answer textarea", text)
    return text


def submit_and_wait(page: Any) -> str:
    """Check the answer and wait for its verdict; returns the feedback's text."""
    page.evaluate("() => document.querySelectorAll('#study-feedback .study-verdict').forEach(v => v.dataset.seen = 1)")
    page.click("#study-submit")
    page.wait_for_function(
        "() => document.querySelector('#study-feedback .study-verdict:not([data-seen])') !== null", timeout=90000
    )
    return str(page.locator("#study-feedback .study-verdict").first.locator("xpath=..").inner_text())


def plain_words(text: str) -> str:
    """The longest stretch of a text that has no formula in it (formulas are typeset, so read differently)."""
    return max(re.findall(r"[A-Za-z\u4e00-\u9fff ,，、]{8,}", text), key=len).strip(" ,，、")


def prose(locator: Any) -> str:
    """The text of an element without its typeset formulas (KaTeX's own markup carries TeX and glyphs)."""
    return str(
        locator.evaluate(
            "e => { const c = e.cloneNode(true); c.querySelectorAll('.katex').forEach(k => k.remove());"
            " return c.textContent; }"
        )
    )


def concept_pct(page: Any, concept: str) -> int:
    node = page.locator(f"#study-progress a.study-node[data-concept='{concept}']")
    text = node.locator(".study-pct").inner_text() if node.locator(".study-pct").count() else "0 %"
    return int(text.replace("%", "").strip())


def stage_count(page: Any, stage: str) -> tuple[int, int]:
    line = page.locator(f"#study-progress .study-stage[data-stage='{stage}'] .study-count").inner_text()
    numbers = re.findall(r"(\d+) ?/ ?(\d+)|(\d+) of (\d+)", line)[0]
    mastered, total = [int(x) for x in numbers if x]
    return mastered, total


CONTRAST_JS = """
(selectors) => {
  const parse = (s) => {
    const m = s.match(/^rgba?\\(([^)]+)\\)$/);
    if (!m) throw new Error('unparsed colour ' + s);
    return m[1].split(/[\\s,\\/]+/).filter(Boolean).map(Number);
  };
  const lin = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
  const lum = (c) => 0.2126 * lin(c[0]) + 0.7152 * lin(c[1]) + 0.0722 * lin(c[2]);
  const background = (el) => {
    for (let e = el; e; e = e.parentElement) {
      const c = parse(getComputedStyle(e).backgroundColor);
      if (c.length < 4 || c[3] > 0.5) return c.slice(0, 3);
    }
    return [255, 255, 255];
  };
  const found = [];
  for (const selector of selectors) {
    for (const el of document.querySelectorAll(selector)) {
      const box = el.getBoundingClientRect();
      if (!box.width || !box.height || !el.textContent.trim()) continue;
      const [a, b] = [lum(parse(getComputedStyle(el).color).slice(0, 3)), lum(background(el))].sort((x, y) => y - x);
      found.push({ selector, text: el.textContent.trim().slice(0, 40), ratio: (a + 0.05) / (b + 0.05) });
    }
  }
  return found;
}
"""


def low_contrast(page: Any, selectors: list[str]) -> list[dict[str, Any]]:
    checked = page.evaluate(CONTRAST_JS, selectors)
    assert checked, f"nothing to check among {selectors}"
    return [c for c in checked if c["ratio"] < AA]


# ------------------------------------------------------------------------------------------ 1. the tab bar


@pytest.mark.parametrize("size", list(SIZES))
def test_every_tab_is_shown_once_and_whole_after_opening_study_and_numbers(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    for name in (WORDS[lang]["study"], WORDS[lang]["numbers"], WORDS[lang]["path"]):
        tab(page, name).click()
        page.wait_for_timeout(400)
        tabs = page.locator("#panels [role='tab']")
        labels = [t.strip() for t in tabs.all_inner_texts()]
        assert len(labels) == len(set(labels)), f"a tab is duplicated: {labels}"
        assert WORDS[lang]["numbers"] in labels and WORDS[lang]["source"] in labels
        for i in range(tabs.count()):
            button = tabs.nth(i)
            box = button.bounding_box()
            assert button.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= page.viewport_size["width"] + 1
            clipped = button.evaluate("b => b.scrollWidth > b.clientWidth + 1 || b.scrollHeight > b.clientHeight + 1")
            assert not clipped, f"{labels[i]} is cut off"
        assert not page.locator("#panels .overflow-menu").is_visible()
    shot(page, f"learner-tabs-{size}")


# ------------------------------------------------------------------------------------------ 2. language


@pytest.mark.parametrize("size", list(SIZES))
def test_study_speaks_the_interface_language_with_the_item_language_as_an_override(
    open_page: Any, site: Server, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    who = page.inner_text("#study-who")
    words_outside_the_id = re.sub(r"guest-[0-9a-f]+", "", who)
    if lang == "zh":
        assert CJK.search(who) and not re.search(r"[A-Za-z]{3,}", words_outside_the_id), who
    else:
        assert not CJK.search(who), who
    assert page.locator("#study-concept input").input_value() == (
        "按路径的下一个" if lang == "zh" else "Next on the path"
    )
    page.click("#placement-skip")
    first = shown_item(page)
    assert f".{lang}." in first, f"the item follows the interface language: {first}"
    question = page.inner_text("#study-question strong")
    assert bool(CJK.search(question)) == (lang == "zh"), question
    # The explicit override: the other language, then the interface switch moves the labels but not the override.
    other = "en" if lang == "zh" else "zh"
    page.locator("#study-lang").get_by_text("English" if other == "en" else "中文", exact=True).click()
    page.click("#study-next")
    assert f".{other}." in wait_for_new_item(page, first)
    page.locator("#ui-lang").get_by_text("English" if other == "en" else "中文", exact=True).click()
    page.wait_for_function(
        "t => document.querySelector('#study-next')?.innerText.trim() === t",
        arg="Next question" if other == "en" else "下一题",
        timeout=15000,
    )
    label = page.locator("#study-concept").get_by_text("Concept" if other == "en" else "概念", exact=True)
    assert label.count() == 1
    shot(page, f"learner-language-{size}", at="#study-question")


@pytest.mark.parametrize("size", list(SIZES))
def test_review_dates_are_relative_in_the_learners_language_and_time_zone(
    open_page: Any, site: Server, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    page.click("#placement-skip")
    item = shown_item(page)
    feedback = ""
    for attempt in range(2):  # the second right answer schedules the review days away
        choose(page, bank, item)
        feedback = submit_and_wait(page)
        assert "UTC" not in feedback and not re.search(r"\d{4}-\d\d-\d\dT", feedback), feedback
        if attempt == 0:
            page.click("#study-next")
            item = wait_for_new_item(page, item)
    learner = re.search(r"guest-[0-9a-f]+", page.inner_text("#study-who")).group(0)
    import sqlite3

    with sqlite3.connect(site.settings.data.dir / "study.sqlite3") as conn:
        due = conn.execute(
            "SELECT s.due FROM concept_state s JOIN learners l ON l.id = s.learner_id WHERE l.name = ?", (learner,)
        ).fetchone()[0]
    local = datetime.fromisoformat(due).astimezone(ZoneInfo(ZONE))
    if lang == "zh":
        assert re.search(r"\d+ 天后（", feedback) or "明天（" in feedback, feedback
        assert f"{local.month}月{local.day}日" in feedback and f"{local:%H:%M}" in feedback
    else:
        assert re.search(r"next review (in \d+ days|tomorrow) \(", feedback), feedback
        assert f" {local.day} " in feedback and f"{local:%H:%M}" in feedback
    shot(page, f"learner-dates-{size}", at="#study-feedback")


# ------------------------------------------------------------------------------------------ 3. progress


@pytest.mark.parametrize("size", list(SIZES))
def test_ten_right_answers_on_one_concept_move_its_mastery_and_the_stage_count(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    concept, stage = "note-model-evaluation", "foundations"
    page.locator("#study-progress .study-stage[data-stage='foundations'] summary").first.wait_for(timeout=10000)
    before_count = stage_count(page, stage)
    seen = [concept_pct(page, concept)]
    node = f"#study-progress a.study-node[data-concept='{concept}']"
    item = ""
    for _ in range(10):
        title = page.locator(node).get_attribute("title")
        page.locator(node).click()  # practise it now
        item = wait_for_new_item(page, item) if item else shown_item(page)
        assert bank.by_id[item].concept == concept
        choose(page, bank, item)
        submit_and_wait(page)
        page.wait_for_function(
            "([n, t]) => { const e = document.querySelector(n); return e && e.title !== t; }",
            arg=[node, title],
            timeout=30000,
        )
        seen.append(concept_pct(page, concept))
    assert all(b >= a for a, b in zip(seen, seen[1:], strict=False)) and seen[3] > seen[1] > seen[0], seen
    mastered, total = stage_count(page, stage)
    assert mastered == before_count[0] + 1 and total == before_count[1], "the stage's count moved"
    bar = page.locator(f"#study-progress .study-stage[data-stage='{stage}'] .study-bar")
    assert int(bar.get_attribute("aria-valuenow")) > 0
    shot(page, f"learner-progress-{size}", full=size.startswith("desktop"), at="#study-progress .study-current")
    tab(page, WORDS[lang]["path"]).click()  # the path opens where the learner is practising, not on stage 2
    page.wait_for_function(
        "() => document.querySelector('#path details.stage[open]')?.id === 'stage-foundations'", timeout=15000
    )


@pytest.mark.parametrize("size", list(SIZES))
def test_prerequisites_are_advice_any_concept_can_be_practised_and_colours_meet_aa(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    progress = page.inner_text("#study-progress")
    assert "locked" not in progress
    page.locator("#study-progress .study-stage[data-stage='further'] summary").click()
    kv = page.locator("#study-progress a.study-node[data-concept='note-kv-cache']")
    advice = kv.locator(".study-advice").inner_text()
    assert advice.startswith("建议先复习") if lang == "zh" else (advice.startswith("review ") and "first" in advice)
    kv.click()
    item = shown_item(page)
    assert bank.by_id[item].concept == "note-kv-cache", "a concept whose prerequisites are not mastered is practised"
    choose(page, bank, item, right=False)
    submit_and_wait(page)
    bad = low_contrast(
        page,
        [
            "#study-progress a.study-node .study-name",
            "#study-progress a.study-node .study-advice",
            "#study-progress .study-count",
            "#study-progress .study-legend",
            "#study-feedback .study-verdict",
            "#study-feedback p",
            "#study-who p",
            "#panels [role='tab']",
            "#status .status-text",
        ],
    )
    assert not bad, bad
    shot(page, f"learner-advice-{size}", at="#study-feedback .study-verdict")


# ------------------------------------------------------------------------------------------ 4. placement


@pytest.mark.parametrize("size", list(SIZES))
def test_a_learner_who_knows_the_foundations_places_into_stage_2_in_under_two_minutes(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    offer = page.locator("#placement")
    offer.wait_for(timeout=15000)
    assert ("8 道题" if lang == "zh" else "8 questions") in offer.inner_text()
    started = time.monotonic()
    page.click("#placement-start")
    asked: list[str] = []
    item = ""
    for _ in range(8):
        item = wait_for_new_item(page, item) if item else shown_item(page)
        asked.append(item)
        concept = bank.by_id[item].concept
        in_foundations = concept in ("note-model-evaluation", "note-neural-networks", "note-backpropagation")
        choose(page, bank, item, right=in_foundations)
        page.click("#study-submit")
    page.locator("#study-feedback").get_by_text("第 2 阶段" if lang == "zh" else "stage 2").wait_for(timeout=60000)
    took = time.monotonic() - started
    assert took < 120, f"the placement took {took:.0f} s"
    assert len(set(asked)) == 8 and all(f".{lang}." in i and i.endswith(".p1") for i in asked)
    nxt = shown_item(page)
    assert bank.by_id[nxt].concept == "note-gradient-boosting", nxt
    mastered, total = stage_count(page, "foundations")
    assert mastered == total > 0
    assert not page.locator("#placement").is_visible(), "the offer is gone"
    shot(page, f"learner-placement-result-{size}", at="#study-feedback")
    tab(page, WORDS[lang]["path"]).click()
    page.locator("#path details.stage[open]").first.wait_for(timeout=15000)
    assert page.locator("#path details.stage[open]").first.get_attribute("id") == "stage-boosting-residual"
    shot(page, f"learner-placement-{size}", at="#path details.stage[open]")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_placement_can_be_skipped_and_the_first_item_is_about_ml_not_the_tool(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    page.click("#placement-skip")
    item = shown_item(page)
    assert bank.by_id[item].concept != "note-orientation"
    assert ("阅读路径" if lang == "zh" else "reading path") not in page.inner_text("#study-question")
    shot(page, f"learner-skipped-{size}", at="#study-question")
    page.reload(wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30000)
    open_study(page, lang)
    page.wait_for_timeout(1000)
    assert not page.locator("#placement").is_visible(), "a skipped check is not offered again"


# ------------------------------------------------------------------------------------------ 5. feedback


@pytest.mark.parametrize("size", list(SIZES))
def test_feedback_shows_the_choice_the_explanation_and_a_page_that_opens_in_the_viewer(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    page.locator("#study-progress .study-stage[data-stage='attention'] summary").click()
    page.locator("#study-progress a.study-node[data-concept='note-scaled-dot-product-attention']").click()
    item_id = shown_item(page)
    body = bank.by_id[item_id].body
    assert isinstance(body, McqItem)
    letter = choose(page, bank, item_id, right=False)
    feedback = submit_and_wait(page)
    choice = body.choices[body.letters.index(letter)]
    label = "你的选择：" if lang == "zh" else "Your choice:"
    line = next(x for x in feedback.splitlines() if x.startswith(label))
    assert line.startswith(f"{label} {letter}.") and choice.split("$")[0][:12] in line, line
    assert plain_words(body.why_wrong[letter]) in feedback and plain_words(body.explain) in feedback
    assert ("✗ 还没答对" if lang == "zh" else "✗ Not yet") in feedback
    link = page.locator("#study-feedback a.view-page, #study-feedback a.open-note").first
    link.click()
    page.locator("#viewer .viewer, #viewer .note-view").first.wait_for(timeout=30000)
    assert tab(page, WORDS[lang]["source"]).get_attribute("aria-selected") == "true"
    shot(page, f"learner-feedback-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_free_text_ticks_agree_with_the_verdict_and_ask_puts_the_concept_in_the_chat(
    open_page: Any, bank: ItemBank, size: str
) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    open_study(page, lang)
    concept = "note-residual-connections"
    page.locator("#study-progress .study-stage[data-stage='boosting-residual'] summary").click()
    node = page.locator(f"#study-progress a.study-node[data-concept='{concept}']")
    item = ""
    while True:  # the open items come after the multiple-choice ones
        node.click()
        item = wait_for_new_item(page, item) if item else shown_item(page)
        if isinstance(bank.by_id[item].body, OpenItem):
            break
        choose(page, bank, item)
        submit_and_wait(page)
    body = bank.by_id[item].body
    assert isinstance(body, OpenItem)
    page.fill("#study-answer textarea", re.split(r"(?<=[.。])\s*", body.reference)[0])  # the first sentence only
    feedback = submit_and_wait(page)
    verdict = page.inner_text("#study-feedback .study-verdict")
    ticks = [x for x in feedback.splitlines() if x[:1] in "✓✗○"]
    if verdict.startswith("✓"):
        assert not any(t.startswith("✗") for t in ticks), feedback
    else:
        assert not any(t.startswith("○") for t in ticks) and any(t.startswith("✗") for t in ticks), feedback
    made = sum(t.startswith("✓") for t in ticks)
    points = (
        f"答到 {made} / {len(body.key_points)} 个要点"
        if lang == "zh"
        else f"{made} of {len(body.key_points)} key points"
    )
    assert points in verdict
    before = page.locator("#chat .answer[id]").count()
    page.locator("#study-feedback a.ask-about").click()
    page.wait_for_function(f"document.querySelectorAll('#chat .answer[id]').length > {before}", timeout=120000)
    assert ("讲讲残差连接" if lang == "zh" else "Explain Residual connections") in page.inner_text("#chat")
    shot(page, f"learner-free-text-{size}", at="#chat .answer[id]")


# ------------------------------------------------------------------------------------------ 6. first screen


@pytest.mark.parametrize("size", list(SIZES))
def test_the_first_screen_is_for_a_learner(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    status = page.locator("#status .status-text")
    text = status.inner_text().strip()
    assert re.fullmatch(r"已就绪 · \d+ 篇文献 · 离线" if lang == "zh" else r"Ready · \d+ readings · offline", text)
    line = float(status.evaluate("e => parseFloat(getComputedStyle(e).lineHeight) || 20"))
    assert status.bounding_box()["height"] < 1.8 * line, "one line"
    assert not page.locator("#status details").evaluate("d => d.open")
    assert "TUTOR_" not in page.locator("#status").inner_text()
    # The path opens on the first stage with indexed readings (here: ResNet's); readings not here are folded.
    opened = page.locator("#path details.stage[open]")
    assert opened.count() == 1 and opened.get_attribute("id") == "stage-boosting-residual"
    folded = page.locator("#path details.stage[open] details.missing-readings")
    assert folded.count() == 1 and not folded.evaluate("d => d.open")
    assert not page.locator("#path .reading-missing").first.is_visible()
    if size.startswith("phone"):
        assert page.locator("#question textarea").bounding_box()["y"] < 260, "the question box comes first"
        short = page.locator("#tagline .tagline-short")
        assert short.is_visible() and short.bounding_box()["height"] < 1.8 * line, "a one-line tagline"
        page.locator("#tagline a.to-path").click()
        page.wait_for_timeout(800)
        assert in_viewport(page, "#panels [role='tablist']"), "the path is one tap away"
    shot(page, f"learner-first-screen-{size}")


# ------------------------------------------------------------------------------------------ 7. chat view


@pytest.mark.parametrize("size", list(SIZES))
def test_after_an_answer_its_top_is_in_view_and_the_header_stays_reachable(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    questions = {
        "en": ("What does a residual block compute?", "Why divide the scores by the square root of d_k?"),
        "zh": ("残差块计算的是什么？", "注意力为什么要除以根号 d_k？"),
    }[lang]
    for q in questions:
        wait_idle(page)
        before = page.locator("#chat .answer[id]").count()
        page.fill("#question textarea", q)
        page.click("#ask")
        page.wait_for_function(f"document.querySelectorAll('#chat .answer[id]').length > {before}", timeout=120000)
    page.wait_for_timeout(800)
    newest = page.locator("#chat .answer[id]").last.get_attribute("id")
    assert in_viewport(page, f"#{newest} .answer-title")
    header = page.locator("#header").bounding_box()
    if size.startswith("desktop"):
        assert header["y"] >= 0, f"the header scrolled off: {header}"
    else:
        assert page.evaluate("window.scrollY") < page.viewport_size["height"], "the header is one swipe away"
    shot(page, f"learner-chat-{size}")


# ------------------------------------------------------------------------------------------ 8. text fixes


@pytest.mark.parametrize("size", list(SIZES))
def test_a_formula_in_the_direct_answer_is_typeset_as_one(open_page: Any, size: str) -> None:
    """Answered or declined (the nearest readings' entries), softmax(QKᵀ) is one typeset formula, never QKT."""
    page = open_page(size)
    lang = size.split("-")[1]
    question = "注意力是怎样从记忆里读取内容的？" if lang == "zh" else "How does attention read from memory?"
    before = page.locator("#chat .answer[id]").count()
    page.fill("#question textarea", question)
    page.click("#ask")
    page.wait_for_function(f"document.querySelectorAll('#chat .answer[id]').length > {before}", timeout=120000)
    answer = page.locator("#chat .answer[id]").last
    text = prose(answer.locator(".answer-direct"))
    assert "QK^T" not in text and "QKᵀ" not in text and "softmax(" not in text, text
    formulas = answer.locator(".answer-direct .katex annotation").all_text_contents()
    assert any(r"\operatorname{softmax}(QK^" in f for f in formulas), formulas
    shot(page, f"learner-formula-{size}")


@pytest.mark.parametrize("size", list(SIZES))
def test_the_glossary_has_no_stray_escapes_one_maths_font_and_a_filtered_count(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    tab(page, "术语表" if lang == "zh" else "Glossary").click()
    count = page.locator("#glossary .terms-count")
    total = int(re.search(r"\d+", count.inner_text()).group(0))
    page.fill("#glossary-search textarea", "d_k")
    page.wait_for_timeout(500)
    shown = page.locator("#glossary .term:not([hidden])").count()
    assert 0 < shown < total
    expected = f"显示 {shown} / 共 {total} 个术语" if lang == "zh" else f"{shown} of {total} terms"
    assert count.inner_text().strip() == expected
    heads = " ".join(prose(h) for h in page.locator("#glossary .term:not([hidden]) .term-head").all())
    assert "\\" not in heads and "d_k" not in heads.replace("sqrt d_k", ""), heads
    assert page.locator("#glossary .term:not([hidden]) .term-head .katex").count() >= 1, "√d_k is typeset"
    page.fill("#glossary-search textarea", "dot-product attention")
    page.wait_for_timeout(500)
    definition = page.locator("#term-scaled-dot-product .term-def, #term-scaled-dot-product .term-def2").first
    formulas = definition.locator(".katex annotation").all_text_contents()
    assert any(r"\operatorname{softmax}(QK^{\top} / \sqrt{d_k})V" in f for f in formulas), formulas
    assert "softmax(" not in definition.evaluate(
        "d => [...d.childNodes].filter(n => n.nodeType === 3).map(n => n.textContent).join('')"
    ), "no formula split between the body font and KaTeX's"
    page.fill("#glossary-search textarea", "")
    page.wait_for_timeout(300)
    assert re.search(r"\d+", count.inner_text()).group(0) == str(total)
    shot(page, f"learner-glossary-{size}", at="#glossary")


@pytest.mark.parametrize("size", list(SIZES))
def test_map_markers_sit_on_their_own_edges_without_piling_up(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    tab(page, "路径图" if lang == "zh" else "Map").click()
    page.locator("#path-map .map-edge circle").first.wait_for(timeout=15000)
    found = page.evaluate(
        """() => [...document.querySelectorAll('#path-map .map-edge')].map(g => {
            const c = g.querySelector('circle'), p = g.querySelector('path');
            const r = c.getBoundingClientRect();
            const pt = c.ownerSVGElement.createSVGPoint();
            pt.x = +c.getAttribute('cx'); pt.y = +c.getAttribute('cy');
            return { x: r.x, y: r.y, w: r.width, h: r.height, on: p.isPointInStroke(pt) };
        })"""
    )
    assert found and all(f["on"] for f in found), "every marker is on its own edge"
    for i, a in enumerate(found):
        for b in found[i + 1 :]:
            overlap = (
                a["x"] < b["x"] + b["w"] - 1
                and b["x"] < a["x"] + a["w"] - 1
                and a["y"] < b["y"] + b["h"] - 1
                and b["y"] < a["y"] + a["h"] - 1
            )
            assert not overlap, f"markers pile up: {a} {b}"
    page.locator("#path-map .map-edge circle").first.scroll_into_view_if_needed()
    page.mouse.move(1, 1)  # no tooltip over the picture
    page.evaluate("() => { const t = document.querySelector('#path-map .map-tip'); if (t) t.hidden = true; }")
    shot(page, f"learner-map-{size}")


# ------------------------------------------------------------------------------------------ Numbers


@pytest.mark.parametrize("size", list(SIZES))
def test_the_numbers_tab_follows_the_language_switch(open_page: Any, size: str) -> None:
    page = open_page(size)
    lang = size.split("-")[1]
    tab(page, WORDS[lang]["numbers"]).click()
    results = page.locator("#numbers-results")
    results.wait_for(timeout=15000)
    kv = {"en": "KV cache", "zh": "KV 缓存"}
    page.wait_for_function(
        "t => document.querySelector('#numbers-results')?.innerText.includes(t)", arg=kv[lang], timeout=15000
    )
    layers = page.locator("#numbers-layers input")
    layers.click()
    layers.press("Control+a")
    layers.press_sequentially("48", delay=50)
    page.wait_for_function(
        "() => document.querySelector('#numbers-results')?.innerText.includes('4.50 GiB')", timeout=15000
    )
    other = "en" if lang == "zh" else "zh"
    page.locator("#ui-lang").get_by_text("English" if other == "en" else "中文", exact=True).click()
    page.wait_for_function(
        "t => document.querySelector('#numbers-results')?.innerText.includes(t)", arg=kv[other], timeout=15000
    )
    assert "4.50 GiB" in results.inner_text(), "the typed size is kept"
    assert tab(page, WORDS[other]["numbers"]).count() == 1
    label = "层数 L" if other == "zh" else "Layers L"
    assert page.locator("#numbers-layers").get_by_text(label, exact=True).count() == 1
    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the page scrolls sideways: {width}"
    shot(page, f"learner-numbers-{size}", at="#numbers-results")
