"""The web app's API and HTTP surface, through a real `tutor serve`: one public endpoint for asking, one-line
errors for malformed input, nothing echoed or leaked, library files behind the login."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from webapp import Server, build_web_index

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    # A data folder with a space, `(` and `#` in its path: links must not depend on it (issue 14, item 7).
    settings = build_web_index(tmp_path_factory.mktemp("web-api") / "My Papers (#1)")
    server = Server(settings, tmp_path_factory.mktemp("web-api-log") / "serve.log").start()
    yield server
    server.stop()


def call(site: Server, payload: Any, raw: bytes | None = None) -> tuple[int, str]:
    """POST to /ask the way Gradio's REST clients do; returns (status, the error or answer text)."""
    body = raw if raw is not None else json.dumps(payload).encode()
    started = httpx.post(
        site.url + "gradio_api/call/ask", content=body, headers={"Content-Type": "application/json"}, timeout=60
    )
    if started.status_code != 200:
        return started.status_code, started.text
    event_id = started.json()["event_id"]
    stream = httpx.get(site.url + f"gradio_api/call/ask/{event_id}", timeout=60).text
    event = next(line for line in stream.splitlines() if line.startswith("event:")).split(":", 1)[1].strip()
    data = next(line for line in stream.splitlines() if line.startswith("data:")).split(":", 1)[1].strip()
    return (200 if event == "complete" else 400), data


def test_only_the_ask_endpoint_and_the_study_answer_are_public(site: Server) -> None:
    info = httpx.get(site.url + "gradio_api/info", timeout=10).json()
    assert set(info["named_endpoints"]) == {"/ask", "/study_answer"}
    assert info["unnamed_endpoints"] == {}
    params = [p["parameter_name"] for p in info["named_endpoints"]["/ask"]["parameters"]]
    assert params == ["question", "level", "language", "history"]
    study = [p["parameter_name"] for p in info["named_endpoints"]["/study_answer"]["parameters"]]
    assert study == ["item_id", "answer"], "no endpoint takes a learner: the server decides who that is"


def test_ask_returns_the_same_json_as_the_cli(site: Server) -> None:
    from gradio_client import Client

    question = "What does a residual block compute?"
    client = Client(site.url, verbose=False)
    try:
        web = client.predict(question, "intermediate", "auto", [], api_name="/ask")
    finally:
        client.close()
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(site.settings.data.dir), "TUTOR_DATA_CORPUS": str(site.settings.data.corpus)}
    cli = json.loads(
        subprocess.run(
            [sys.executable, "-m", "tutor", "ask", question, "--level", "intermediate", "--json"],
            env=env,
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
        ).stdout
    )
    assert set(web) == set(cli)
    for key in ("question", "level", "language", "backend", "covered", "answer", "direct", "citations", "read_next"):
        assert web[key] == cli[key], key
    assert web["id"] != cli["id"]


def test_history_makes_a_follow_up(site: Server) -> None:
    status, first = call(site, {"data": ["What does a residual block compute?", "beginner", "auto", []]})
    assert status == 200
    earlier = json.loads(first)[0]
    status, second = call(site, {"data": ["And is that overfitting?", "beginner", "auto", [earlier]]})
    assert status == 200
    answer = json.loads(second)[0]
    assert answer["follow_up"] is True and answer["topic"] == earlier["topic"]


BIG = "why " * 250_000  # a 1 MB question: over the body limit, refused before it is parsed
LONG = "why " * 750  # 3,000 characters: a body well under the limit, a question over it


@pytest.mark.parametrize(
    ("payload", "raw", "says"),
    [
        pytest.param({"data": ["What is attention?"]}, None, "Expected 4 input values, got 1", id="too-few-values"),
        pytest.param({"data": "garbage"}, None, "expected JSON with a `data` list", id="data-not-a-list"),
        pytest.param(None, b"{not json", "not JSON", id="not-json"),
        pytest.param({"data": ["What is attention?", "wizard", "auto", []]}, None, "`level` must be", id="level"),
        pytest.param({"data": [123, "beginner", "auto", []]}, None, "`question` must be text", id="question-type"),
        pytest.param({"data": ["What?", "beginner", "auto", {"a": 1}]}, None, "`history` must be", id="history"),
        pytest.param({"data": [LONG, "beginner", "auto", []]}, None, "the limit is 2,000", id="too-long"),
        pytest.param({"data": [BIG, "beginner", "auto", []]}, None, "too large (the limit is 256 KB)", id="oversized"),
    ],
)
def test_malformed_input_gets_a_one_line_error_and_no_traceback(
    site: Server, payload: Any, raw: bytes | None, says: str
) -> None:
    status, text = call(site, payload, raw)
    assert status in (400, 413)
    message = json.loads(text)["error"]
    assert says in message and "\n" not in message
    assert "why why" not in text and len(text) < 500, "the question is never echoed back"
    assert "Traceback" not in site.log()


def test_a_refused_file_path_is_not_echoed(site: Server) -> None:
    for path in ["/etc/passwd", f"{site.settings.data.dir.resolve()}/index/"]:
        response = httpx.get(site.url + f"gradio_api/file={path}", timeout=10)
        assert response.status_code in (403, 404)
        assert path not in response.text and str(site.settings.data.dir) not in response.text


def test_library_route_serves_files_and_pages_and_refuses_anything_else(site: Server) -> None:
    pdf = httpx.get(site.url + "library/he2015-resnet", timeout=10)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF")
    page = httpx.get(site.url + "library/he2015-resnet/page/2.png", timeout=30)
    assert page.status_code == 200 and page.headers["content-type"] == "image/png"
    assert page.content.startswith(b"\x89PNG")
    for bad in ["library/..%2F..%2Fetc%2Fpasswd", "library/.hidden", "library/he2015-resnet/page/99.png"]:
        response = httpx.get(site.url + bad, timeout=10)
        assert response.status_code == 404, bad
        assert str(site.settings.data.dir) not in response.text


def test_chat_load_benchmark_runs_against_the_endpoint(site: Server) -> None:
    out = subprocess.run(
        [sys.executable, str(REPO / "bench" / "chat_load.py"), site.url, "--sessions", "4", "--questions", "2"],
        capture_output=True,
        text=True,
        timeout=300,
        check=True,
    ).stdout
    assert "answers  8   errors 0" in out, out
    assert "answers/s" in out and "p95" in out


def test_login_guards_the_page_the_library_and_the_api(site: Server) -> None:
    from fastapi.testclient import TestClient

    from tutor.answer import Tutor
    from tutor.web.server import make_server

    settings = site.settings.model_copy(deep=True)
    settings.auth = "ada:lovelace"
    client = TestClient(make_server(settings, Tutor.from_settings(settings)))
    assert client.get("/config").status_code == 401
    assert client.get("/library/he2015-resnet").status_code == 401
    assert client.get("/library/he2015-resnet/page/2.png").status_code == 401
    assert client.post("/gradio_api/call/ask", json={"data": ["What?", "beginner", "auto", []]}).status_code == 401
    assert client.post("/login", data={"username": "ada", "password": "nope"}).status_code == 400
    assert client.post("/login", data={"username": "ada", "password": "lovelace"}).status_code == 200
    assert client.get("/library/he2015-resnet").headers["content-type"] == "application/pdf"


def test_plain_json_endpoint_answers_follow_ups_and_rejects_bad_input_in_one_line(site: Server) -> None:
    first = httpx.post(site.url + "api/ask", json={"question": "Why divide the scores by the square root of d_k?"})
    assert first.status_code == 200 and first.json()["covered"] is True
    follow = httpx.post(
        site.url + "api/ask", json={"question": "and why does that help training?", "history": [first.json()]}
    )
    assert follow.status_code == 200 and follow.json()["follow_up"] is True
    assert follow.json()["facet"] != first.json()["facet"], "a follow-up gets a new answer"
    for body in (b"not json", b"[1, 2]", json.dumps({"question": 7}).encode(), json.dumps({"level": "x"}).encode()):
        bad = httpx.post(site.url + "api/ask", content=body, headers={"Content-Type": "application/json"})
        assert bad.status_code == 400 and set(bad.json()) == {"error"}, body
        assert "\n" not in bad.json()["error"] and "Traceback" not in bad.text
    long = httpx.post(site.url + "api/ask", json={"question": LONG}, timeout=60)
    assert long.status_code == 400 and "why why" not in long.text and "2,000" in long.json()["error"]
    huge = httpx.post(site.url + "api/ask", json={"question": "why " * 100_000}, timeout=60)
    assert huge.status_code == 413 and "why why" not in huge.text and "256 KB" in huge.json()["error"]
