"""The openai backend against a real OpenAI-compatible server: llama.cpp's, serving the packaged Qwen model."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from corpus_fixture import build_index
from fileserver import closed_port

from tutor.answer import Answer, Tutor
from tutor.config import Settings
from tutor.lang.script import detect_language
from tutor.llm.model import QWEN_CODER_1_5B, ensure_assembled
from tutor.llm.server import ServerEngine

MODEL_CACHE = Path.home() / ".cache" / "tutor" / "models"
KEY = "sesame"


@pytest.fixture(scope="module")
def qwen_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """llama.cpp's OpenAI-compatible server with the packaged model, refusing any API key but KEY."""
    gguf = ensure_assembled(QWEN_CODER_1_5B, MODEL_CACHE)
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    log_path = tmp_path_factory.mktemp("qwen-server") / "server.log"
    with log_path.open("w") as log:
        proc = subprocess.Popen(
            [sys.executable, "-m", "llama_cpp.server", "--model", str(gguf), "--host", "127.0.0.1"]
            + ["--port", str(port), "--n_ctx", "2048", "--api_key", KEY],
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            deadline = time.monotonic() + 180
            while True:
                try:
                    if httpx.get(f"http://127.0.0.1:{port}/docs", timeout=2).status_code == 200:
                        break
                except httpx.HTTPError:
                    pass
                assert proc.poll() is None, f"llama.cpp server exited; see {log_path}"
                assert time.monotonic() < deadline, "llama.cpp server did not start within 180 s"
                time.sleep(0.5)
            yield f"http://127.0.0.1:{port}/v1"
        finally:
            proc.terminate()
            proc.wait(timeout=30)


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("llm-server-index"))


@pytest.fixture
def server_settings(indexed: Settings, qwen_server: str) -> Settings:
    s = indexed.model_copy(deep=True)
    s.llm.base_url, s.llm.api_key, s.llm.model = qwen_server, KEY, "qwen2.5-coder-1.5b"
    s.llm.timeout = 600
    s.llm.level_tokens = {"beginner": 40, "intermediate": 60, "expert": 60}
    return s


@pytest.mark.llm
def test_server_honours_the_token_budget(server_settings: Settings) -> None:
    """llama.cpp's server ignores max_completion_tokens; the engine sends max_tokens too, and it is read."""
    engine = ServerEngine(server_settings)
    messages = [{"role": "user", "content": "Write a long story about a cache line."}]
    pieces = list(engine.stream(messages, 16, []))
    assert 5 < len(pieces) <= 17, len(pieces)
    assert engine.limits == ["max_tokens", "max_completion_tokens"], "both limits were accepted"


@pytest.mark.llm
def test_openai_backend_streams_a_checked_answer(server_settings: Settings) -> None:
    tutor = Tutor.from_settings(server_settings)
    assert tutor.backend.name == "openai"
    pieces = list(tutor.stream("Why divide the scores by the square root of d_k?", level="beginner"))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and answer.covered and answer.generation
    assert answer.generation["tokens"] <= answer.generation["budget"] == 40
    assert answer.checks and answer.grounding is not None
    if answer.backend == "openai":
        assert len([p for p in pieces[:-1] if isinstance(p, str)]) >= 2, "checked sentences arrive one by one"
        assert all(c.sentence in answer.text for c in answer.checks if c.shown)
        assert "SQRT-ANSWER" in answer.text
    else:
        assert "offline study card" in answer.notice


@pytest.mark.llm
def test_openai_backend_answers_in_chinese(server_settings: Settings) -> None:
    answer = Tutor.from_settings(server_settings).ask("注意力为什么要除以根号 d_k？", level="beginner")
    assert answer.language == "zh" and answer.checks
    assert detect_language(" ".join(c.sentence for c in answer.checks)) == "zh"


@pytest.mark.llm
def test_wrong_api_key_is_named_and_falls_back(server_settings: Settings) -> None:
    s = server_settings.model_copy(deep=True)
    s.llm.api_key = "wrong"
    answer = Tutor.from_settings(s).ask("Why divide the scores by the square root of d_k?")
    assert answer.backend == "extractive" and "rejected the API key" in answer.notice


def test_server_down_falls_back_to_the_study_card_with_a_message(indexed: Settings) -> None:
    s = indexed.model_copy(deep=True)
    s.llm.base_url = closed_port() + "/v1"
    answer = Tutor.from_settings(s).ask("Why divide the scores by the square root of d_k?")
    assert answer.backend == "extractive" and answer.covered
    assert "Cannot reach the LLM server" in answer.notice and "llama_cpp.server" in answer.notice
    assert "SQRT-ANSWER" in answer.text and answer.generation and answer.generation["fell_back"]


def test_hung_server_times_out_with_a_message_and_falls_back(indexed: Settings, silent_server: str) -> None:
    s = indexed.model_copy(deep=True)
    s.llm.base_url, s.llm.timeout = silent_server, 1.0
    answer = Tutor.from_settings(s).ask("Why divide the scores by the square root of d_k?")
    assert answer.backend == "extractive" and answer.covered
    assert "did not answer within 1 s" in answer.notice and "TUTOR_LLM_TIMEOUT" in answer.notice
