"""The Study tab through the real web app: `tutor serve` subprocesses, gradio_client and Chromium."""

from __future__ import annotations

import os
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus_fixture import build_index
from test_study import build_study_corpus

from tutor.config import Settings

pytestmark = [pytest.mark.slow]

ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]


def add_study_content(settings: Settings) -> None:
    """The four test concepts' notes (front matter only) and practice files, next to the fixture index."""
    corpus = settings.data.corpus
    source = build_study_corpus(corpus.parent / "study-src")
    for kind in ("notes", "practice"):
        for lang in ("en", "zh"):
            target = corpus / kind / lang
            target.mkdir(parents=True, exist_ok=True)
            for f in (source / kind / lang).iterdir():
                (target / f.name).write_bytes(f.read_bytes())


class Server:
    """`tutor serve` on a free port, started and stopped by the test."""

    def __init__(self, settings: Settings, log_dir: Path, auth: str | None = None) -> None:
        self.settings = settings
        self.log_dir = log_dir
        self.auth = auth
        self.proc: subprocess.Popen[bytes] | None = None
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
        env |= {"TUTOR_DATA_DIR": str(self.settings.data.dir), "TUTOR_DATA_CORPUS": str(self.settings.data.corpus)}
        if self.auth:
            env["TUTOR_AUTH"] = self.auth
        log = (self.log_dir / f"serve-{time.monotonic_ns()}.log").open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tutor", "serve", "--port", str(self.port)], env=env, stdout=log, stderr=log
        )
        started = time.monotonic()
        while True:
            try:
                if httpx.get(self.url, timeout=2).status_code in (200, 303):  # 303: to the login page
                    return self
            except httpx.HTTPError:
                pass
            assert self.proc.poll() is None, f"tutor serve exited; see {log.name}"
            if time.monotonic() - started > 90:
                self.stop()  # never leave a server behind a failed start
                raise AssertionError("page not up within 90 s")
            time.sleep(0.3)

    def stop(self) -> None:
        """Ctrl-C-like stop; uvicorn waits for open client streams, so kill if that takes too long."""
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=15)
            self.proc = None


@pytest.fixture(scope="module")
def study_site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_index(tmp_path_factory.mktemp("study-web"))
    add_study_content(settings)
    server = Server(settings, tmp_path_factory.mktemp("study-logs")).start()
    yield server
    server.stop()


def count_attempts(settings: Settings, learner: str | None = None) -> int:
    with sqlite3.connect(settings.data.dir / "study.sqlite3") as conn:
        if learner is None:
            return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
        row = conn.execute(
            "SELECT COUNT(*) FROM attempts JOIN learners ON learners.id = attempts.learner_id WHERE learners.name = ?",
            (learner,),
        ).fetchone()
        return int(row[0])


@contextmanager
def client(url: str, auth: tuple[str, str] | None = None) -> Iterator[Any]:
    from gradio_client import Client

    c = Client(url, verbose=False, auth=auth)
    try:
        yield c
    finally:
        c.close()


# ------------------------------------------------------------------------------------------ API


def test_fifty_concurrent_answers_through_the_web_app_are_all_stored(study_site: Server) -> None:
    before = count_attempts(study_site.settings)
    with client(study_site.url) as c, ThreadPoolExecutor(max_workers=50) as pool:
        jobs = [c.submit(f"softmax.en.m{n % 4 + 1}", "B", api_name="/study_answer") for n in range(50)]
        results = list(pool.map(lambda job: job.result(timeout=120), jobs))
    assert all(r["correct"] is True and r["item_id"].startswith("softmax.en.") for r in results)
    assert count_attempts(study_site.settings) - before == 50


def test_progress_survives_a_restart_of_tutor_serve(study_site: Server, tmp_path: Path) -> None:
    """The browser's signed learner cookie is still good after a restart (the key is kept in the data folder)."""
    with httpx.Client(base_url=study_site.url, timeout=60) as browser:
        first = browser.post("api/study/answer", json={"item_id": "seq2seq.en.m1", "answer": "B"}).json()
        assert first["mastery"] == {"note-seq2seq": 0.588}
        study_site.stop()
        study_site.start()
        second = browser.post("api/study/answer", json={"item_id": "seq2seq.en.m2", "answer": "B"}).json()
    assert second["mastery"] == {"note-seq2seq": 0.776}, "the first answer was remembered across the restart"


def test_with_a_login_the_login_name_is_the_learner(study_site: Server, tmp_path: Path) -> None:
    guarded = Server(study_site.settings, tmp_path, auth="ada:lovelace").start()
    try:
        before_ada = count_attempts(study_site.settings, "ada")
        with client(guarded.url, auth=("ada", "lovelace")) as c:
            c.predict("softmax.en.m1", "B", api_name="/study_answer")
        sent_a_name = httpx.post(
            guarded.url + "gradio_api/call/study_answer",
            json={"data": ["mallory", "softmax.en.m1", "B"]},
            cookies=httpx.post(guarded.url + "login", data={"username": "ada", "password": "lovelace"}).cookies,
            timeout=30,
        )
        assert sent_a_name.status_code == 200
        httpx.get(guarded.url + f"gradio_api/call/study_answer/{sent_a_name.json()['event_id']}", timeout=60)
        assert count_attempts(study_site.settings, "mallory") == 0, "no name sent is ever the learner"
        assert count_attempts(study_site.settings, "ada") == before_ada + 1
        assert httpx.get(guarded.url + "config", timeout=10).status_code == 401
    finally:
        guarded.stop()


# ------------------------------------------------------------------------------------------ browser


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def open_study(page: object, url: str) -> str:
    page.goto(url, wait_until="load")  # type: ignore[attr-defined]
    page.get_by_role("tab", name="Study").click()  # type: ignore[attr-defined]
    who = page.locator("#study-who")  # type: ignore[attr-defined]
    who.get_by_text("guest-").wait_for(timeout=30000)
    return str(who.inner_text())


@pytest.mark.browser
def test_study_tab_answer_feedback_page_link_and_reload(browser: object, study_site: Server) -> None:
    page = browser.new_page(viewport={"width": 1440, "height": 1100}, locale="en-US")  # type: ignore[attr-defined]
    learner = open_study(page, study_site.url)
    page.click("#study-next")
    page.locator("#study-question").get_by_text("Question 1: which choice is right?").wait_for(timeout=30000)
    assert "Residual connections" in page.inner_text("#study-question")
    page.locator("#study-choice").get_by_text("A. choice zero").click()
    page.click("#study-submit")
    page.locator("#study-feedback").get_by_text("Not yet").wait_for(timeout=30000)
    link = page.locator("#study-feedback a[href='library/he2015-resnet#page=3']").first
    href = link.get_attribute("href")
    assert href and str(study_site.settings.data.dir) not in page.content(), "no server path in the page"
    response = page.request.get(study_site.url + href.split("#")[0])
    assert response.status == 200 and response.body().startswith(b"%PDF")
    node = page.locator("#study-progress [data-concept='note-residual-connections']")
    assert "1 answer" in node.get_attribute("title")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "study-tab.png"))

    page.reload(wait_until="load")
    assert open_study(page, study_site.url) == learner, "the browser keeps its learner id"
    node = page.locator("#study-progress [data-concept='note-residual-connections']")
    node.wait_for(timeout=30000)
    assert "1 answer" in node.get_attribute("title"), "progress is still there after a reload"
    page.close()


@pytest.mark.browser
def test_a_second_browser_is_a_different_learner(browser: object, study_site: Server) -> None:
    one = browser.new_context().new_page()  # type: ignore[attr-defined]
    two = browser.new_context().new_page()  # type: ignore[attr-defined]
    assert open_study(one, study_site.url) != open_study(two, study_site.url)
    one.context.close()
    two.context.close()
