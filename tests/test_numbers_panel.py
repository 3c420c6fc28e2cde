"""The Numbers panel: its results against the formulas, then a standalone gr.Blocks holding only the panel, served
on 127.0.0.1 and driven by Playwright in Debian's Chromium at desktop (1440×1000) and phone (390×844) sizes, in
English and Chinese. Screenshots go to test-artifacts/."""

from __future__ import annotations

import os
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")  # before gradio is imported: no outbound calls

import gradio as gr  # noqa: E402 -- after the analytics switch
import pytest  # noqa: E402

from tutor.numbers import get_preset, kv_cache_bytes, param_count  # noqa: E402
from tutor.ui.numbers_panel import CUSTOM, PanelInputs, build_numbers_panel, preset_inputs, results  # noqa: E402

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
SIZES = {"desktop": {"width": 1440, "height": 1000}, "phone": {"width": 390, "height": 844}}
LOCALES = {"en": "en-US", "zh": "zh-CN"}


def inputs(preset: str, **changes: Any) -> PanelInputs:
    base = PanelInputs.from_fields(preset, preset_inputs(preset), 1, "fp16", 2.0, 312.0)
    return PanelInputs(**{**base.__dict__, **changes})


# -- without a browser ---------------------------------------------------------------------------------------


def test_results_for_a_preset_match_the_formulas() -> None:
    markdown, chart = results(inputs("gpt3-175b"), "en")
    assert "9.00 GiB" in markdown  # KV cache at 2,048 tokens
    assert "2 · 96 · 96 · 128 · 2,048 · 1 · 2" in markdown
    assert "≈ 156 sequences" in markdown  # 312 TFLOPS, 2 TB/s, fp16
    assert "the paper's table prints 175.0B" in markdown and "Brown et al. 2020, §2" in markdown
    weights = param_count(get_preset("gpt3-175b").shape).value * 2
    per_token = kv_cache_bytes(get_preset("gpt3-175b").shape, 1).value
    top = chart[chart["series"] == "Total"].iloc[-1]
    assert top["tokens"] == 4096 and top["GiB"] == pytest.approx((weights + per_token * 4096) / 2**30)
    assert set(chart["series"]) == {"Weights", "KV cache", "Total"}


def test_typed_sizes_override_the_preset() -> None:
    markdown, _ = results(inputs("gpt3-175b", kv_heads=8), "en")
    assert "768.0 MiB" in markdown  # grouped-query attention: 96 → 8 KV heads
    assert "148.0B" in markdown  # smaller W_K and W_V: 2 · 96 · 12,288 · (12,288 − 1,024) fewer parameters
    assert "the paper's table prints" not in markdown  # no longer the table's model
    custom, _ = results(inputs(CUSTOM, layers=32, d_model=4096, tokens=4096, batch=8), "en")
    assert "16.0 GiB" in custom  # 2 · 32 · 4096 · 4096 · 8 · 2
    assert "needs V" not in custom and "needs d_ff, V" in custom  # no parameter count without d_ff and V


def test_sizes_that_do_not_apply_are_notes_not_errors() -> None:
    bert, chart = results(inputs("bert-base"), "en")
    assert "an encoder keeps no KV cache" in bert and "96.7 GFLOPs" in bert
    assert set(chart["series"]) == {"Weights"}
    gpt2, _ = results(inputs("gpt2-xl"), "zh")
    assert "需要头数" in gpt2  # GPT-2's table gives no head count: no attention-score memory
    broken, _ = results(inputs(CUSTOM, d_model=100, heads=3), "en")
    assert "multiple of heads" in broken


def test_chinese_strings() -> None:
    markdown, chart = results(inputs("gpt3-175b"), "zh")
    assert "KV 缓存" in markdown and "参数量" in markdown and "条序列" in markdown
    assert set(chart["series"]) == {"权重", "KV 缓存", "合计"}


# -- in a browser --------------------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(scope="module")
def apps() -> Iterator[dict[str, str]]:
    """One small Blocks per language, each holding only the panel inside a tab, as the app will."""
    urls: dict[str, str] = {}
    demos: list[gr.Blocks] = []
    for lang in ("en", "zh"):
        with gr.Blocks(title=f"numbers-{lang}") as demo, gr.Tab("Numbers" if lang == "en" else "数字"):
            build_numbers_panel(lang)
        port = _free_port()
        demo.launch(server_name="127.0.0.1", server_port=port, prevent_thread_lock=True, share=False, quiet=True)
        demos.append(demo)
        urls[lang] = f"http://127.0.0.1:{port}/"
    yield urls
    for demo in demos:
        demo.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium fonts-wqy-zenhei)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _open(browser: Any, url: str, size: str, lang: str) -> Any:
    context = browser.new_context(viewport=SIZES[size], locale=LOCALES[lang])
    page = context.new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#numbers-results", timeout=30000)
    return page


def _results(page: Any) -> str:
    return str(page.locator("#numbers-results").inner_text())


def _wait_for_text(page: Any, text: str) -> None:
    page.wait_for_function(
        "t => document.querySelector('#numbers-results')?.innerText.includes(t)", arg=text, timeout=15000
    )


@pytest.mark.browser
@pytest.mark.slow
@pytest.mark.parametrize("size", ["desktop", "phone"])
@pytest.mark.parametrize("lang", ["en", "zh"])
def test_panel_in_a_browser(browser: Any, apps: dict[str, str], size: str, lang: str) -> None:
    page = _open(browser, apps[lang], size, lang)
    kv = "KV cache" if lang == "en" else "KV 缓存"
    assert kv in _results(page) and "9.00 GiB" in _results(page)
    page.locator("#numbers-chart canvas, #numbers-chart svg").first.wait_for(timeout=20000)

    # Typing updates the results without Enter or leaving the field (the `input` event).
    layers = page.locator("#numbers-layers input")
    layers.click()
    layers.press("Control+a")
    layers.press_sequentially("48", delay=50)
    _wait_for_text(page, "4.50 GiB")  # half the layers, half the cache
    assert "2 · 48 · 96 · 128 · 2,048 · 1 · 2" in _results(page)

    # A preset fills the sizes; an encoder shows a note where the KV cache would be.
    preset = page.locator("#numbers-preset input")
    preset.click()
    page.get_by_role("option", name="BERT-base").click()
    _wait_for_text(page, "an encoder keeps no KV cache" if lang == "en" else "编码器没有 KV 缓存")
    assert page.locator("#numbers-layers input").input_value() == "12"

    width = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    assert width[0] <= width[1] + 1, f"the page scrolls sideways at {size}: {width}"
    ARTIFACTS.mkdir(exist_ok=True)
    page.wait_for_timeout(300)
    page.screenshot(path=str(ARTIFACTS / f"numbers-{size}-{lang}.png"), full_page=True)
    page.context.close()
