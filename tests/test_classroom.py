"""A class on one server: accounts made with `tutor users`, each its own learner, a teacher who sees the class.

The accounts file, the login page in Chromium, thirty learners answering at once through a real `tutor serve`,
and the teacher's view on the Teacher panel, through `GET /api/study/class` and `tutor study class --json`.
"""

from __future__ import annotations

import json
import os
import sqlite3
import stat
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import closing
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner
from corpus_fixture import build_index
from test_study_web import add_study_content
from webapp import Server

from tutor.accounts import Accounts
from tutor.config import Settings

pytestmark = [pytest.mark.slow]

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"
LEARNERS = 30
PASSWORD = "correct horse"


def users(*args: str, stdin: str = "") -> Any:
    from tutor.cli import main

    return CliRunner().invoke(main, ["users", *args], input=stdin)


# ------------------------------------------------------------------------------------------ accounts


def test_users_add_list_remove_with_the_password_from_stdin(settings: Settings) -> None:
    added = users("add", "ada", stdin="lovelace-1843\n")
    assert added.exit_code == 0, added.output
    assert users("add", "grace", "--teacher", stdin="hopper-1906\n").exit_code == 0
    listed = json.loads(users("list", "--json").output)
    assert listed == {
        "accounts": [
            {"name": "ada", "teacher": False, "created_at": listed["accounts"][0]["created_at"]},
            {"name": "grace", "teacher": True, "created_at": listed["accounts"][1]["created_at"]},
        ]
    }
    path = settings.accounts_path
    assert stat.S_IMODE(path.stat().st_mode) == 0o600, "only the server's user can read the hashes"
    text = path.read_text(encoding="utf-8")
    assert "lovelace-1843" not in text and text.count("$argon2id$") == 2
    accounts = Accounts.from_settings(settings)
    assert accounts.verify("ada", "lovelace-1843") is not None
    assert accounts.verify("ada", "lovelace-1844") is None and accounts.verify("nobody", "lovelace-1843") is None
    assert accounts.is_teacher("grace") and not accounts.is_teacher("ada")
    removed = users("remove", "ada")
    assert removed.exit_code == 0 and "study record is kept" in removed.output
    assert Accounts.from_settings(settings).verify("ada", "lovelace-1843") is None


@pytest.mark.parametrize(
    ("args", "stdin", "says"),
    [
        pytest.param(["add", "ada"], "short\n", "at least 8 characters", id="short-password"),
        pytest.param(["add", "guest-1234"], "long enough\n", "kept for browsers", id="guest-name"),
        pytest.param(["add", "a b"], "long enough\n", "is not usable", id="space"),
        pytest.param(["add", "x" * 5000], "long enough\n", "5,000 characters", id="huge-name-capped"),
        pytest.param(["remove", "nobody"], "", "There is no account 'nobody'", id="remove-unknown"),
    ],
)
def test_bad_account_requests_get_one_line(settings: Settings, args: list[str], stdin: str, says: str) -> None:
    result = users(*args, stdin=stdin)
    assert result.exit_code != 0 and says in result.output and len(result.output) < 400, result.output


def test_adding_a_name_twice_is_refused(settings: Settings) -> None:
    assert users("add", "ada", stdin="lovelace-1843\n").exit_code == 0
    again = users("add", "ada", stdin="another-one\n")
    assert again.exit_code != 0 and "already an account ada" in again.output


# ------------------------------------------------------------------------------------------ a class on a server


@pytest.fixture(scope="module")
def classroom(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_index(tmp_path_factory.mktemp("classroom"))
    add_study_content(settings)
    accounts = Accounts.from_settings(settings)
    for n in range(LEARNERS):
        accounts.add(f"learner{n:02d}", PASSWORD)
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(settings.data.dir), "TUTOR_DATA_CORPUS": str(settings.data.corpus)}
    made = subprocess.run(  # the teacher, as a teacher makes an account: the password piped in
        [sys.executable, "-m", "tutor", "users", "add", "teacher", "--teacher"],
        input="blackboard-42\n",
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert made.returncode == 0, made.stderr
    server = Server(settings, tmp_path_factory.mktemp("classroom-log") / "serve.log").start()
    yield server
    server.stop()


def signed_in(url: str, name: str, password: str = PASSWORD) -> httpx.Client:
    client = httpx.Client(base_url=url, timeout=120)
    response = client.post("login", data={"username": name, "password": password})
    assert response.status_code == 200, response.text
    return client


def count_attempts(settings: Settings) -> dict[str, int]:
    with sqlite3.connect(settings.data.dir / "study.sqlite3") as conn:
        rows = conn.execute(
            "SELECT learners.name, COUNT(*) FROM attempts JOIN learners ON learners.id = attempts.learner_id "
            "GROUP BY learners.name"
        ).fetchall()
    return dict(rows)


def test_with_accounts_everything_needs_a_login(classroom: Server) -> None:
    page = httpx.get(classroom.url, timeout=30)
    assert page.status_code == 303 and page.headers["location"] == "login"
    for path in ("config", "gradio_api/info", "api/study/progress", "library/he2015-resnet"):
        assert httpx.get(classroom.url + path, timeout=30).status_code == 401, path
    asked = httpx.post(classroom.url + "api/ask", json={"question": "What is attention?"}, timeout=30)
    assert asked.status_code == 401 and asked.json() == {"error": "Not signed in: sign in at /login first."}
    wrong = httpx.post(classroom.url + "login", data={"username": "learner00", "password": "nope"}, timeout=30)
    assert wrong.status_code == 400 and "Wrong name or password" in wrong.json()["error"]


def test_thirty_learners_answering_at_once_are_each_stored_under_their_own_name(classroom: Server) -> None:
    """Issue 19: 30 logged-in learners answer study items concurrently; every attempt lands under its own learner
    and the teacher's view counts them all."""
    before = count_attempts(classroom.settings)
    clients = [signed_in(classroom.url, f"learner{n:02d}") for n in range(LEARNERS)]

    def practise(n: int) -> list[str]:
        client = clients[n]
        seen = []
        for _ in range(3):
            item = client.post("api/study/next", json={"lang": "en"}).json()
            reply = "B" if item["kind"] == "mcq" else "residual connections let the signal skip layers"
            graded = client.post("api/study/answer", json={"item_id": item["item_id"], "answer": reply})
            assert graded.status_code == 200, graded.text
            seen.append(graded.json()["item_id"])
        return seen

    with ThreadPoolExecutor(max_workers=LEARNERS) as pool:
        answered = list(pool.map(practise, range(LEARNERS)))
    after = count_attempts(classroom.settings)
    for n in range(LEARNERS):
        name = f"learner{n:02d}"
        assert after.get(name, 0) - before.get(name, 0) == 3, name
        progress = clients[n].get("api/study/progress").json()
        assert sum(c["mastery"] > 0 for c in progress["concepts"]) >= 1, "each sees their own progress"
    assert set(after) - set(before) <= {f"learner{n:02d}" for n in range(LEARNERS)}, "nobody else got attempts"
    assert all(len(items) == 3 for items in answered)

    teacher = signed_in(classroom.url, "teacher", "blackboard-42")
    view = teacher.get("api/study/class").json()
    by_name = {x["name"]: x for x in view["learners"]}
    assert {f"learner{n:02d}" for n in range(LEARNERS)} <= set(by_name)
    for n in range(LEARNERS):
        assert by_name[f"learner{n:02d}"]["attempts"] == after[f"learner{n:02d}"]
    assert view["attempts"] == sum(after.values()) >= 3 * LEARNERS
    practised = next(c for c in view["concepts"] if c["id"] == "note-residual-connections")
    assert len(practised["practised"]) == LEARNERS
    for client in [*clients, teacher]:
        client.close()

    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {
        "TUTOR_DATA_DIR": str(classroom.settings.data.dir),
        "TUTOR_DATA_CORPUS": str(classroom.settings.data.corpus),
    }
    cli = subprocess.run(
        [sys.executable, "-m", "tutor", "study", "class", "--json"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert cli.returncode == 0, cli.stderr
    assert json.loads(cli.stdout)["attempts"] == view["attempts"], "the command line counts the same"


def test_a_learner_sees_only_their_own_record_and_not_the_class(classroom: Server) -> None:
    with closing(signed_in(classroom.url, "learner05")) as learner:
        assert learner.get("api/study/class").status_code == 403
        record = learner.get("api/study/export").json()
        assert record.get("learner", "learner05") == "learner05"
        assert all(a["item_id"] for a in record.get("attempts", []))
    with closing(signed_in(classroom.url, "teacher", "blackboard-42")) as teacher:
        assert teacher.get("api/study/class").status_code == 200


def test_the_teacher_sees_who_is_stuck_and_the_questions_asked_most(classroom: Server) -> None:
    with closing(signed_in(classroom.url, "learner07")) as stuck:
        for _ in range(3):
            assert stuck.post("api/study/answer", json={"item_id": "seq2seq.en.m1", "answer": "A"}).status_code == 200
        for _ in range(2):
            stuck.post("api/ask", json={"question": "Why divide the scores by the square root of d_k?"})
    with closing(signed_in(classroom.url, "learner08")) as other:
        other.post("api/ask", json={"question": "why divide the scores by the square root of d_k?"})
    with closing(signed_in(classroom.url, "teacher", "blackboard-42")) as teacher:
        view = teacher.get("api/study/class").json()
    seq2seq = next(c for c in view["concepts"] if c["id"] == "note-seq2seq")
    assert "learner07" in seq2seq["stuck"]
    assert "note-seq2seq" in next(x for x in view["learners"] if x["name"] == "learner07")["stuck"]
    top = view["questions"][0]
    assert top["times"] == 3 and top["learners"] == 2 and "square root of d_k" in top["question"]


def test_removing_an_account_ends_its_session(classroom: Server) -> None:
    accounts = Accounts.from_settings(classroom.settings)
    accounts.add("leaver", PASSWORD)
    with closing(signed_in(classroom.url, "leaver")) as leaver:
        assert leaver.get("api/study/progress").status_code == 200
        accounts.remove("leaver")
        assert leaver.get("api/study/progress").status_code == 401


# ------------------------------------------------------------------------------------------ browser


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def sign_in(browser: Any, url: str, name: str, password: str) -> Any:
    page = browser.new_context(viewport={"width": 1440, "height": 1000}, locale="zh-CN").new_page()
    page.goto(url, wait_until="load")
    page.wait_for_selector("#login", timeout=30000)
    assert "登录" in page.inner_text("h1 + p.lead") and "Sign in" in page.inner_text("#sign-in")
    page.fill("#username", name)
    page.fill("#password", password)
    page.click("#sign-in")
    return page


@pytest.mark.browser
def test_a_learner_signs_in_on_the_login_page_and_studies_as_themselves(browser: Any, classroom: Server) -> None:
    page = sign_in(browser, classroom.url, "learner03", "wrong password")
    page.locator("#login-error").wait_for(timeout=30000)
    assert "用户名或密码错误" in page.inner_text("#login-error")
    page.fill("#password", PASSWORD)
    page.click("#sign-in")
    page.wait_for_selector("#question textarea", timeout=60000)
    page.locator("#panels").get_by_role("tab", name="学习", exact=True).click()
    page.locator("#study-who").get_by_text("learner03").wait_for(timeout=30000)
    assert page.locator("#panels").get_by_role("tab", name="Teacher · 教师").count() == 0, "learners see no class"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classroom-learner.png"))
    page.click("#sign-out")
    page.wait_for_selector("#login", timeout=30000)
    page.context.close()


@pytest.mark.browser
def test_the_teacher_panel_shows_the_class(browser: Any, classroom: Server) -> None:
    with closing(signed_in(classroom.url, "learner11")) as learner:
        learner.post("api/study/answer", json={"item_id": "softmax.en.m1", "answer": "B"})
    page = sign_in(browser, classroom.url, "teacher", "blackboard-42")
    page.wait_for_selector("#question textarea", timeout=60000)
    tab = page.locator("#panels").get_by_role("tab", name="Teacher · 教师")
    tab.wait_for(timeout=30000)
    tab.click()
    row = page.locator("#class-view tr[data-learner='learner11']")
    row.wait_for(timeout=30000)
    assert int(row.locator("td").nth(1).inner_text()) >= 1
    assert page.locator("#class-view li[data-concept='note-softmax']").count() == 1
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "classroom-teacher.png"))
    page.context.close()
