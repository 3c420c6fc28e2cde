"""Several processes, one source of truth: running `tutor serve` processes see other processes' ingests,
on the embedded store and on a real Chroma server (`chroma run` on 127.0.0.1) shared by two workers."""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import pytest
from corpus_fixture import build_index

pytestmark = pytest.mark.slow

ZORBLAX = (
    "# Zorblax gating\n\n## Gating {word} positions\n\n"
    "The zorblax gate rescales the attention scores of each head by the qwertyfold factor for {word} positions "
    "before the softmax. It is a made-up mechanism that tutor's tests use to recognise this document.\n\n"
    "Multi-head attention in the Transformer runs several such heads in parallel.\n"
)
QUESTION = "What does the zorblax gate do to the attention scores before the softmax?"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port: int = s.getsockname()[1]
        return port


def tutor_env(data_dir: Path, corpus: Path, chroma_url: str | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {
        "TUTOR_DATA_DIR": str(data_dir),
        "TUTOR_DATA_CORPUS": str(corpus),
        "TUTOR_FETCH_MIRROR": "http://127.0.0.1:9",
    }
    if chroma_url:
        env["TUTOR_CHROMA_URL"] = chroma_url
    return env


def tutor(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [sys.executable, "-m", "tutor", *args],
        env=env | {"COLUMNS": "200"},
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return done


def wait_for(url: str, proc: subprocess.Popen[bytes], what: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while True:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        assert proc.poll() is None, f"{what} exited"
        assert time.monotonic() < deadline, f"{what} not up within {seconds} s"
        time.sleep(0.3)


@contextmanager
def running(args: list[str], env: dict[str, str], url: str, log: Path, what: str) -> Iterator[str]:
    with log.open("w") as out:
        proc = subprocess.Popen(args, env=env, stdout=out, stderr=subprocess.STDOUT)
        try:
            wait_for(url, proc, what)
            yield url
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@contextmanager
def tutor_serve(env: dict[str, str], log: Path) -> Iterator[str]:
    port = free_port()
    args = [sys.executable, "-m", "tutor", "serve", "--port", str(port)]
    with running(args, env, f"http://127.0.0.1:{port}/", log, "tutor serve") as url:
        yield url


def ask(url: str, question: str = QUESTION) -> dict[str, Any]:
    """One question through the web app's public `/ask` endpoint: the `tutor ask --json` object."""
    from gradio_client import Client

    answer: dict[str, Any] = Client(url, verbose=False).predict(question, "beginner", "auto", [], api_name="/ask")
    return answer


def cites_zorblax(answer: dict[str, Any]) -> bool:
    """The answer was built from the zorblax document (it was retrieved, and so could be cited)."""
    found = [*answer["retrieved"], *answer["citations"]]
    return any(str(item["reading_id"]).startswith("user-zorblax") for item in found)


def zorblax_sections(answer: dict[str, Any]) -> set[str]:
    """The sections of the zorblax document the answer was built from (the heading holds the changed word)."""
    found = [*answer["retrieved"], *answer["citations"]]
    return {str(i["section"]) for i in found if str(i["reading_id"]).startswith("user-zorblax")}


@pytest.fixture(scope="module")
def chroma_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A real Chroma server, as a classroom deployment runs it: `chroma run` (shipped with chromadb)."""
    folder = tmp_path_factory.mktemp("chroma")
    port = free_port()
    chroma = str(Path(sys.executable).parent / "chroma")
    args = [chroma, "run", "--path", str(folder / "db"), "--host", "127.0.0.1", "--port", str(port)]
    url = f"http://127.0.0.1:{port}"
    with running(args, dict(os.environ), f"{url}/api/v2/heartbeat", folder / "chroma.log", "chroma run") as _:
        yield url


def test_a_running_server_answers_from_another_processs_ingest_and_never_loses_a_changed_document(
    tmp_path: Path,
) -> None:
    """Issue 9: with `tutor serve` running, `tutor add zorblax.md && tutor ingest` in another shell was never
    seen by the server; after changing one word and re-ingesting, the server lost the document entirely."""
    settings = build_index(tmp_path / "site")
    env = tutor_env(settings.data.dir, settings.data.corpus)
    notes = tmp_path / "zorblax.md"
    notes.write_text(ZORBLAX.format(word="distant"), "utf-8")
    with tutor_serve(env, tmp_path / "serve.log") as url:
        assert not cites_zorblax(ask(url))
        tutor(env, "add", str(notes))
        tutor(env, "ingest")
        assert cites_zorblax(ask(url)), "the running server sees the other process's ingest"

        [library_file] = settings.library_dir.glob("user-zorblax-*.md")
        library_file.write_text(ZORBLAX.format(word="nearby"), "utf-8")
        answers: list[dict[str, Any]] = []
        ingesting = threading.Thread(target=tutor, args=(env, "ingest"))
        ingesting.start()
        while ingesting.is_alive():
            answers.append(ask(url))
        ingesting.join()
        answers.append(ask(url))
        missing = [a for a in answers if not cites_zorblax(a)]
        print(f"answers during and after the re-ingest: {len(answers)}, without the document: {len(missing)}")
        assert len(answers) >= 3 and not missing, (len(answers), [a["retrieved"] for a in missing[:1]])
        assert zorblax_sections(answers[-1]) == {"Gating nearby positions"}, answers[-1]["retrieved"]


def test_two_workers_share_one_chroma_server_and_see_each_others_ingest(chroma_server: str, tmp_path: Path) -> None:
    """Issue 9: scale-out. Two `tutor serve` workers, each with its own data folder, share one Chroma server;
    a document ingested through one worker's installation is answered by the other."""
    os.environ["TUTOR_CHROMA_URL"] = chroma_server  # build_index reads Settings() from the environment
    try:
        first = build_index(tmp_path / "worker-a")
    finally:
        del os.environ["TUTOR_CHROMA_URL"]
    corpus = first.data.corpus
    env_a = tutor_env(first.data.dir, corpus, chroma_server)
    env_b = tutor_env(tmp_path / "worker-b" / "data", corpus, chroma_server)  # nothing local: stateless
    assert not (tmp_path / "worker-b").exists()

    with tutor_serve(env_a, tmp_path / "a.log") as url_a, tutor_serve(env_b, tmp_path / "b.log") as url_b:
        assert not cites_zorblax(ask(url_b))
        notes = tmp_path / "zorblax.md"
        notes.write_text(ZORBLAX.format(word="distant"), "utf-8")
        tutor(env_a, "add", str(notes))
        tutor(env_a, "ingest")
        assert cites_zorblax(ask(url_b)), "worker B answers from what was ingested through worker A"
        assert cites_zorblax(ask(url_a))

    status_b = tutor(env_b, "status").stdout
    assert "Your documents indexed: 3" in " ".join(status_b.split()), status_b
    assert chroma_server in status_b
    assert not list((tmp_path / "worker-b").rglob("chroma.sqlite3")), "worker B keeps no index of its own"


def test_compose_file_describes_the_classroom_layout() -> None:
    """compose.yaml: one Chroma server, workers that use it, a sticky proxy, optional LLM servers.
    `docker compose config` validates it where the compose plugin exists (not on the development machine)."""
    yaml = pytest.importorskip("yaml")
    root = Path(__file__).resolve().parent.parent
    services = yaml.safe_load((root / "compose.yaml").read_text("utf-8"))["services"]
    workers = [name for name, s in services.items() if s.get("command") == "tutor serve"]
    assert len(workers) >= 2
    for name in workers:
        env = services[name]["environment"]
        assert env["TUTOR_CHROMA_URL"] == "http://chroma:8000" and env["TUTOR_SERVER_HOST"] == "0.0.0.0"
    assert services["chroma"]["command"].startswith("chroma run --path")
    assert "tutor ingest" in services["init"]["command"]
    assert {"llm", "llm-cpu"} <= set(services)
    docker = shutil.which("docker")
    if docker is None or subprocess.run([docker, "compose", "version"], capture_output=True).returncode != 0:
        pytest.skip("no `docker compose` here; compose.yaml checked by parsing only")
    done = subprocess.run([docker, "compose", "config", "--quiet"], cwd=root, capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
