"""Issue 19's reproductions, each against a real `tutor serve` on 127.0.0.1: nobody reaches another learner's
record, and malformed requests get a 4xx in one line, never a 500.

The victim, "ada", is a learner made on the command line (as `tutor study answer --learner ada` does) with a
secret in her record; the attacker is a browser of their own. Every Gradio event and every HTTP route is called
with "ada" wherever a value can go, and her record must come out unchanged and unread.
"""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from corpus_fixture import build_index
from test_study_web import add_study_content
from webapp import Server

from tutor.config import Settings

pytestmark = [pytest.mark.slow]

SECRET = "VICTIM-SECRET-zorblax"  # in ada's record only: a response holding it read her record
TABLES = ("attempts", "concept_state", "exposures", "sections_read")


def make_victim(settings: Settings) -> None:
    """ada's record, made from the command line: answers (an open one holding the secret), sections read."""
    from tutor.study.service import StudyService

    service = StudyService.from_settings(settings)
    service.answer("ada", "softmax.en.m1", "B")
    service.answer("ada", "softmax.en.m2", "A")
    service.answer("ada", "seq2seq.en.m1", "B")
    service.answer("ada", "residual-connections.en.o1", f"Deeper plain networks train worse: {SECRET}.")
    service.record_exposure("ada", "softmax")
    service.mark_read("ada", "he2015-resnet", ["3.1. Residual Learning"])


def record_of(settings: Settings, name: str) -> dict[str, list[tuple[Any, ...]]]:
    with sqlite3.connect(settings.data.dir / "study.sqlite3") as conn:
        row = conn.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        if row is None:
            return {}
        return {t: conn.execute(f"SELECT * FROM {t} WHERE learner_id = ?", (row[0],)).fetchall() for t in TABLES}


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_index(tmp_path_factory.mktemp("security"))
    add_study_content(settings)
    make_victim(settings)
    server = Server(settings, tmp_path_factory.mktemp("security-log") / "serve.log").start()
    yield server
    server.stop()


def run_event(client: httpx.Client, fn_index: int, data: list[Any], session: str = "attacker") -> tuple[int, str]:
    """One page event through Gradio's queue, as the page's own script sends it: (join status, all it sent back)."""
    joined = client.post(
        "gradio_api/queue/join",
        json={"data": data, "fn_index": fn_index, "session_hash": session, "event_data": {"value": "ada"}},
    )
    if joined.status_code != 200:
        return joined.status_code, joined.text
    seen = []
    with client.stream("GET", "gradio_api/queue/data", params={"session_hash": session}, timeout=60) as stream:
        for line in stream.iter_lines():
            seen.append(line)
            if '"process_completed"' in line or '"close_stream"' in line:
                break
    return joined.status_code, "\n".join(seen)


def value_for(component: dict[str, Any]) -> Any:
    """The victim's name wherever the component takes text or a choice; nothing where it holds a file or state."""
    kind = component.get("type", "")
    if kind in ("state", "file", "chatbot", "browserstate"):
        return None
    if kind == "checkboxgroup":
        return ["ada"]
    return "ada"


def test_no_event_or_route_reads_or_writes_another_learners_record(site: Server) -> None:
    """Every Gradio dependency of the page and every HTTP route of the server, with "ada" in every value it
    takes, as another browser: her record is unchanged and nothing of it comes back."""
    before = record_of(site.settings, "ada")
    assert before["attempts"] and before["exposures"] and before["sections_read"]
    config = httpx.get(site.url + "config", timeout=30).json()
    components = {c["id"]: c for c in config["components"]}
    replies: list[str] = []
    with httpx.Client(base_url=site.url, timeout=60) as attacker:
        attacker.get("")  # the attacker's own signed guest cookie
        assert len(config["dependencies"]) >= 20
        for dep in config["dependencies"]:
            data = [value_for(components.get(i, {})) for i in dep["inputs"]]
            status, text = run_event(attacker, dep["id"], data)
            assert status < 500, (dep["id"], text[:300])
            replies.append(text)
        for path, method in server_routes(site.settings):
            url = "/".join("ada" if "{" in part else part for part in path.split("/"))  # path parameters: ada
            try:
                response = attacker.request(
                    method,
                    url.lstrip("/"),
                    params={"learner": "ada", "name": "ada", "session_hash": "ada"},
                    json={"learner": "ada", "name": "ada", "item_id": "softmax.en.m1", "answer": "B", "data": ["ada"]}
                    if method == "POST"
                    else None,
                    timeout=5,
                )
            except httpx.ReadTimeout:  # an event stream that stays open (heartbeat): nothing was sent of ada's
                continue
            except httpx.HTTPError as exc:
                raise AssertionError(f"{method} {path}: {exc!r}") from exc
            assert response.status_code < 500, (method, path, response.status_code, response.text[:300])
            replies.append(response.text)
    assert all(SECRET not in reply for reply in replies), "nothing of ada's record is sent to anyone else"
    assert record_of(site.settings, "ada") == before, "ada's record is unchanged"


def server_routes(settings: Settings) -> list[tuple[str, str]]:
    """(path, method) of every route the server has, walked through the mounted Gradio app and its routers."""
    from tutor.answer import Tutor
    from tutor.web.server import make_server

    found: list[tuple[str, str]] = []

    def walk(routes: list[Any], prefix: str = "") -> None:
        for route in routes:
            path = prefix + (getattr(route, "path", "") or "")
            if hasattr(route, "original_router"):
                walk(route.original_router.routes, prefix)
            elif hasattr(route, "app") and hasattr(route.app, "routes"):
                walk(route.app.routes, path)
            else:
                found.extend(
                    (path or "/", m) for m in sorted(getattr(route, "methods", None) or ["GET"]) if m != "HEAD"
                )

    walk(make_server(settings, Tutor.from_settings(settings)).routes)
    assert ("/api/study/answer", "POST") in found and ("/gradio_api/queue/join", "POST") in found
    return found


# ------------------------------------------------------------------------------------------ the reproductions


def study_event(site: Server, elem_id: str) -> int:
    """The fn_index of the Study tab's event triggered by the component with this elem_id."""
    config = httpx.get(site.url + "config", timeout=30).json()
    ids = {c["id"] for c in config["components"] if c.get("props", {}).get("elem_id") == elem_id}
    return next(d["id"] for d in config["dependencies"] if any(t[0] in ids for t in d["targets"]))


def test_the_reset_event_cannot_erase_a_named_learner(site: Server) -> None:
    """Issue 19: `queue/join {"data":["ada"],"fn_index":8}` wiped ada's record (mastery 0.486 → nothing)."""
    before = record_of(site.settings, "ada")
    assert before["attempts"], "ada still has her record"
    with httpx.Client(base_url=site.url, timeout=60) as other:
        other.get("")
        status, _ = run_event(other, study_event(site, "study-confirm"), ["ada"])
    assert status == 200
    assert record_of(site.settings, "ada") == before


def test_export_is_a_download_of_the_callers_own_record_without_a_server_path(site: Server) -> None:
    """Issue 19: the export event returned ada's attempts, in a file whose temporary server path was in the reply."""
    with httpx.Client(base_url=site.url, timeout=60) as browser:
        browser.post("api/study/answer", json={"item_id": "seq2seq.en.m2", "answer": "B"})
        exported = browser.get("api/study/export")
    assert exported.status_code == 200 and "attachment" in exported.headers["content-disposition"]
    record = exported.json()
    assert record["learner"].startswith("guest-") and record["learner"] != "ada"
    assert [a["item_id"] for a in record["attempts"]] == ["seq2seq.en.m2"]
    assert (
        SECRET not in exported.text and "/tmp" not in exported.text and str(site.settings.data.dir) not in exported.text
    )


def test_the_public_study_answer_endpoint_never_writes_under_a_name_it_is_sent(site: Server) -> None:
    """Issue 19: `/study_answer` wrote attempts under any learner name it was given."""
    before = record_of(site.settings, "ada")
    with httpx.Client(base_url=site.url, timeout=60) as other:
        started = other.post("gradio_api/call/study_answer", json={"data": ["ada", "softmax.en.m1", "B"]})
        assert started.status_code == 200
        other.get(f"gradio_api/call/study_answer/{started.json()['event_id']}")
        for body in ({"item_id": "softmax.en.m1", "answer": "B", "learner": "ada"}, {"learner": "ada"}):
            assert other.post("api/study/answer", json=body).status_code == 400
    assert record_of(site.settings, "ada") == before


def test_a_learner_cookie_the_server_did_not_sign_is_a_new_guest(site: Server) -> None:
    """A cookie naming ada, unsigned or signed with another key, gets a fresh guest of its own."""
    from itsdangerous import URLSafeTimedSerializer

    forged = [
        URLSafeTimedSerializer("not the server's key", salt="tutor-session").dumps({"g": "ada"}),
        URLSafeTimedSerializer("not the server's key", salt="tutor-session").dumps({"u": "ada", "s": ""}),
        "eyJnIjoiYWRhIn0",  # {"g":"ada"} with no signature
    ]
    for cookie in forged:
        progress = httpx.get(site.url + "api/study/progress", cookies={"tutor-session": cookie}, timeout=30)
        assert progress.status_code == 200
        assert all(c["mastery"] == 0 for c in progress.json()["concepts"]), "not ada's progress"
        assert "tutor-session=" in progress.headers.get("set-cookie", ""), "a new signed guest id instead"


# ------------------------------------------------------------------------------------------ malformed requests


def nested(depth: int) -> bytes:
    return b"[" * depth + b"]" * depth


@pytest.mark.parametrize(
    ("path", "body", "status", "says"),
    [
        pytest.param("api/ask", nested(100_000), 400, "nested deeper than 32", id="api-100000-deep"),
        pytest.param(
            "gradio_api/call/ask",
            b'{"data": ' + nested(5000) + b"}",
            400,
            "nested deeper than 32",
            id="gradio-5000-deep",
        ),
        pytest.param(
            "gradio_api/queue/join",
            json.dumps({"data": ["ada"], "fn_index": 9999, "session_hash": "x"}).encode(),
            404,
            "No such event",
            id="unknown-fn-index",
        ),
        pytest.param(
            "api/ask",
            json.dumps({"question": "Why?", "history": ["h" * 1000] * 20_000}).encode(),
            413,
            "too large (the limit is 256 KB)",
            id="20-MB-history",
        ),
        pytest.param("gradio_api/call/nope", b'{"data": []}', 404, "No such endpoint", id="unknown-endpoint"),
        pytest.param("api/study/next", nested(1000), 400, "nested deeper than 32", id="study-deep"),
        pytest.param("api/study/answer", b'{"item_id": 5, "answer": "B"}', 400, "`item_id` must be text", id="item"),
    ],
)
def test_malformed_requests_get_a_4xx_in_one_line(site: Server, path: str, body: bytes, status: int, says: str) -> None:
    """Issue 19: a 100,000-deep array to /api/ask, 5,000-deep to /gradio_api/call/ask and `fn_index` 9999 gave
    500s with tracebacks, and a 20 MB history was parsed."""
    tracebacks = site.log().count("Traceback")
    response = httpx.post(site.url + path, content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == status, response.text[:300]
    error = response.json()["error"]
    assert says in error and "\n" not in error
    assert site.log().count("Traceback") == tracebacks and "RecursionError" not in site.log()


@pytest.mark.parametrize(
    ("question", "says"),
    [
        pytest.param("\ud800 what is attention?", "not valid", id="lone-surrogate"),
        pytest.param("\x01\x02\x1b\x7f", "type a question first", id="control-only"),
        pytest.param("\u200b\u200b", "type a question first", id="zero-width-only"),
        pytest.param("\u200b \ufeff\u2060\n", "type a question first", id="invisible-only"),
    ],
)
def test_questions_with_nothing_to_answer_get_400(site: Server, question: str, says: str) -> None:
    """Issue 19: a lone surrogate gave "failed (UnicodeEncodeError)"; control characters only, or two zero-width
    spaces, were answered (covered, a softmax answer)."""
    body = json.dumps({"question": question}).encode()  # ensure_ascii: a lone surrogate travels as \\ud800
    response = httpx.post(site.url + "api/ask", content=body, headers={"Content-Type": "application/json"}, timeout=60)
    assert response.status_code == 400 and says in response.json()["error"]
    started = httpx.post(
        site.url + "gradio_api/call/ask",
        content=json.dumps({"data": [question, "beginner", "auto", []]}).encode(),
        headers={"Content-Type": "application/json"},
        timeout=30,
    )
    if started.status_code == 200:  # the page's own endpoint: an error event, not an answer
        stream = httpx.get(site.url + f"gradio_api/call/ask/{started.json()['event_id']}", timeout=60).text
        assert "event: error" in stream and says in stream
    else:
        assert started.status_code == 400 and says in started.json()["error"]


def test_the_command_line_refuses_the_same_questions(site: Server) -> None:
    env = {"TUTOR_DATA_DIR": str(site.settings.data.dir), "TUTOR_DATA_CORPUS": str(site.settings.data.corpus)}
    for question in ("\x01\x02", "\u200b\u200b"):
        done = subprocess.run(
            [sys.executable, "-m", "tutor", "ask", question, "--json"],
            env={**_clean_env(), **env},
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode != 0 and "type a question first" in done.stderr and not done.stdout


def _clean_env() -> dict[str, str]:
    import os

    return {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}


def test_a_long_learner_name_is_not_echoed_back(site: Server) -> None:
    """Issue 19: a 100,000-character learner name came back in full in the error."""
    from tutor.errors import TutorError
    from tutor.study.service import StudyService

    with pytest.raises(TutorError) as caught:
        StudyService.check_learner("a" * 100_000)
    assert len(str(caught.value)) < 300 and "100,000 characters" in str(caught.value)
    with pytest.raises(TutorError) as caught:
        StudyService.check_learner("ada\x1b[31mred")
    assert "\x1b" not in str(caught.value) and "\\x1b" in str(caught.value)
    done = subprocess.run(
        [sys.executable, "-m", "tutor", "study", "progress", "--learner", "b" * 100_000],
        env={**_clean_env(), "TUTOR_DATA_DIR": str(site.settings.data.dir)},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert done.returncode != 0 and len(done.stderr) < 600 and "b" * 200 not in done.stderr
