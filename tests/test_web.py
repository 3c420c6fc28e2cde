"""The web tutor in a real browser: `tutor serve` on a free port, driven by Playwright in Debian's Chromium."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from corpus_fixture import build_index

from tutor.config import Settings

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


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Settings]]:
    settings = build_index(tmp_path_factory.mktemp("web-index"))
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "PYTEST_CURRENT_TEST" and not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(settings.data.dir), "TUTOR_DATA_CORPUS": str(settings.data.corpus)}
    log = (tmp_path_factory.mktemp("serve") / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "serve", "--port", str(port)], env=env, stdout=log, stderr=subprocess.STDOUT
    )
    url = f"http://127.0.0.1:{port}/"
    started = time.monotonic()
    try:
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "tutor serve exited"
            assert time.monotonic() - started < 60, "page not up within 60 s"
            time.sleep(0.3)
        yield url, settings
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def page(browser: object, server: tuple[str, Settings]) -> Iterator[object]:
    page = browser.new_page(viewport={"width": 1440, "height": 1000}, locale="en-US")  # type: ignore[attr-defined]
    page.goto(server[0], wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30000)
    yield page
    page.close()


def ask(page: object, question: str, wait_for: str) -> str:
    page.fill("#question textarea", question)  # type: ignore[attr-defined]
    page.click("#ask")  # type: ignore[attr-defined]
    page.locator("#chat").get_by_text(wait_for).last.wait_for(timeout=30000)  # type: ignore[attr-defined]
    return str(page.inner_text("#chat"))  # type: ignore[attr-defined]


def shot(page: object, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=False)  # type: ignore[attr-defined]


def test_a_question_gets_a_streamed_answer_with_citations(page: object) -> None:
    text = ask(page, "Why divide by the square root of d_k in attention?", "Sources")
    assert "BEGINNER-EN" in text and "[1]" in text
    assert "Attention Is All You Need" in text and "p. " in text
    assert page.locator("#read-next").inner_text().strip()  # type: ignore[attr-defined]
    shot(page, "answer-en")


def test_switching_to_expert_and_chinese_changes_the_next_answer(page: object) -> None:
    ask(page, "Why divide by the square root of d_k in attention?", "Sources")
    page.get_by_label("Expert · 专家").check()  # type: ignore[attr-defined]
    page.get_by_label("中文").check()  # type: ignore[attr-defined]
    text = ask(page, "Why divide by the square root of d_k in attention?", "来源")
    assert "专家-中文" in text and "原文怎么说" in text
    shot(page, "answer-zh-expert")


def test_asking_about_a_reading_from_the_path_panel(page: object) -> None:
    page.get_by_text("2. Gradient boosting and residual connections").click()  # type: ignore[attr-defined]
    page.get_by_role("button", name="Ask about Kaiming He et al. 2015").click()  # type: ignore[attr-defined]
    page.locator("#chat").get_by_text("Sources").last.wait_for(timeout=30000)  # type: ignore[attr-defined]
    text = page.inner_text("#chat")  # type: ignore[attr-defined]
    assert "Deep Residual Learning for Image Recognition" in text
    shot(page, "path-panel")


def test_a_citation_link_opens_the_local_pdf_at_its_page(page: object, server: tuple[str, Settings]) -> None:
    ask(page, "What is the degradation problem in deep networks?", "Sources")
    link = page.locator("#chat a[href*='he2015-resnet.pdf#page=']").first  # type: ignore[attr-defined]
    href = link.get_attribute("href")
    assert href and href.startswith("/gradio_api/file=") and "#page=" in href
    response = page.request.get(server[0].rstrip("/") + href.split("#")[0])  # type: ignore[attr-defined]
    assert response.status == 200 and response.headers["content-type"] == "application/pdf"
    assert response.body().startswith(b"%PDF")


def test_login_guards_the_page_and_the_library_files(server: tuple[str, Settings]) -> None:
    from fastapi.testclient import TestClient

    from tutor.answer import Tutor
    from tutor.ui.app import make_server

    settings = server[1].model_copy(deep=True)
    settings.auth = "ada:lovelace"
    client = TestClient(make_server(settings, Tutor.from_settings(settings)))
    pdf = f"/gradio_api/file={(settings.library_dir / 'he2015-resnet.pdf').resolve()}"
    assert client.get("/config").status_code == 401
    assert client.get(pdf).status_code == 401
    assert client.post("/login", data={"username": "ada", "password": "nope"}).status_code == 400
    assert client.post("/login", data={"username": "ada", "password": "lovelace"}).status_code == 200
    assert client.get(pdf).headers["content-type"] == "application/pdf"
    assert client.get(f"/gradio_api/file={settings.data.dir.resolve()}/index/").status_code == 403


def test_an_empty_question_gets_a_friendly_message(page: object) -> None:
    page.click("#ask")  # type: ignore[attr-defined]
    page.locator("#chat").get_by_text("Please type a question first").wait_for(timeout=15000)  # type: ignore[attr-defined]
    shot(page, "empty-question")


def test_script_planted_in_a_pdf_is_shown_as_text(page: object) -> None:
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))  # type: ignore[attr-defined]
    text = ask(page, "How does speculative decoding verify the draft tokens?", "Sources")
    assert "<script>document.title='HACKED'</script>" in text, "the tag is visible as text"
    assert page.title() != "HACKED" and not dialogs  # type: ignore[attr-defined]
    assert page.locator("#chat script").count() == 0  # type: ignore[attr-defined]


def test_glossary_search_and_path_map(page: object) -> None:
    page.get_by_role("tab", name="Glossary").click()  # type: ignore[attr-defined]
    page.fill("#glossary-search textarea", "残差")  # type: ignore[attr-defined]
    page.locator("#glossary").get_by_text("residual connection").first.wait_for(timeout=15000)  # type: ignore[attr-defined]
    assert "attention" not in page.inner_text("#glossary").split("\n")[1:3]  # type: ignore[attr-defined]
    page.get_by_role("tab", name="Map of the path").click()  # type: ignore[attr-defined]
    image = page.locator("#path-map img").first  # type: ignore[attr-defined]
    image.wait_for(state="visible", timeout=15000)
    assert image.evaluate("img => img.complete && img.naturalWidth > 1000")
    shot(page, "path-map")


def test_feedback_is_stored_locally(page: object, server: tuple[str, Settings]) -> None:
    ask(page, "What does BERT's masked language model predict?", "Sources")
    page.locator("#chat button[aria-label='Like']").last.click()  # type: ignore[attr-defined]
    feedback = server[1].data.dir / "feedback.jsonl"
    deadline = time.monotonic() + 10
    while not feedback.exists() and time.monotonic() < deadline:
        time.sleep(0.2)
    assert "masked language model" in feedback.read_text(encoding="utf-8")


def test_interface_speaks_chinese_to_a_chinese_browser(browser: object, server: tuple[str, Settings]) -> None:
    page = browser.new_page(locale="zh-CN")  # type: ignore[attr-defined]
    page.goto(server[0], wait_until="load")
    page.wait_for_selector("#question textarea", timeout=30000)
    assert page.inner_text("#ask").strip() == "提问"
    assert "中文或英文" in page.get_attribute("#question textarea", "placeholder")
    page.close()


def test_read_next_items_ask_about_them_and_clear_empties_the_chat(page: object) -> None:
    ask(page, "Why divide by the square root of d_k in attention?", "Sources")
    item = page.locator("#read-next button").first  # type: ignore[attr-defined]
    label = item.inner_text()
    assert "Attention Is All You Need" in label
    item.click()
    page.locator("#chat").get_by_text(label.strip()[:40]).first.wait_for(timeout=15000)  # type: ignore[attr-defined]
    page.wait_for_function("document.querySelectorAll('#chat .message-row, #chat [data-testid=user]').length >= 2")  # type: ignore[attr-defined]
    page.locator("#chat").get_by_text("Sources").nth(1).wait_for(timeout=30000)  # type: ignore[attr-defined]
    page.click("#clear")  # type: ignore[attr-defined]
    page.wait_for_function("!document.querySelector('#chat').innerText.includes('Sources')")  # type: ignore[attr-defined]
