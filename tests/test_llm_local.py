"""The local backend with the real packaged model (Qwen2.5-Coder-1.5B-Instruct Q4_K_M, from its PyPI parts).

The assembled file is cached in ~/.cache/tutor/models so later runs (and CI on the same machine) do not
assemble 1.1 GB again; the model itself answers in these tests, at small token budgets to keep them short.
"""

from __future__ import annotations

import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_fixture import build_index

from tutor.answer import Answer, Tutor
from tutor.config import Settings
from tutor.errors import BackendUnavailable
from tutor.lang.script import detect_language
from tutor.llm import local
from tutor.llm.backends import LocalBackend
from tutor.llm.local import LocalEngine
from tutor.llm.model import ModelError, PackagedModel, ensure_assembled

MODEL_CACHE = Path.home() / ".cache" / "tutor" / "models"


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    return build_index(tmp_path_factory.mktemp("llm-local-index"))


@pytest.fixture
def local_settings(indexed: Settings) -> Settings:
    s = indexed.model_copy(deep=True)
    s.llm.backend = "local"
    s.llm.model_cache = MODEL_CACHE
    s.llm.timeout = 600  # a busy CI machine; the token budget is what bounds these answers
    s.llm.level_tokens = {"beginner": 40, "intermediate": 60, "expert": 60}
    return s


@pytest.fixture(scope="module")
def tutor_local(indexed: Settings) -> Tutor:
    s = indexed.model_copy(deep=True)
    s.llm.model_cache = MODEL_CACHE
    s.llm.timeout = 600
    s.llm.level_tokens = {"beginner": 40, "intermediate": 60, "expert": 60}
    return Tutor.from_settings(s, backend="local")


def generated(answer: Answer) -> str:
    return " ".join(c.sentence for c in answer.checks)


# ------------------------------------------------------------------------------------------ the model file


def fake_parts(root: Path, contents: list[bytes], monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Importable packages laid out like the model's parts (name/data/partNN.bin)."""
    names = []
    for i, data in enumerate(contents, start=1):
        name = f"fake_model_part{i}_{root.name}"
        (root / name / "data").mkdir(parents=True)
        (root / name / "__init__.py").write_text("", encoding="utf-8")
        (root / name / "data" / f"part{i:02d}.bin").write_bytes(data)
        names.append(name)
    monkeypatch.syspath_prepend(str(root))
    return names


def test_parts_are_assembled_once_and_checked(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    parts = fake_parts(tmp_path / "site", [b"GGUF" + b"a" * 100, b"b" * 50], monkeypatch)
    whole = b"GGUF" + b"a" * 100 + b"b" * 50
    model = PackagedModel("fake", "fake.gguf", parts, len(whole), hashlib.sha256(whole).hexdigest())
    path = ensure_assembled(model, tmp_path / "cache")
    assert path.read_bytes() == whole
    stamp = path.with_name("fake.gguf.sha256").read_text()
    assert (
        ensure_assembled(model, tmp_path / "cache") == path and path.with_name("fake.gguf.sha256").read_text() == stamp
    )


def test_sha256_mismatch_is_a_clear_error(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    parts = fake_parts(tmp_path / "site", [b"GGUF" + b"a" * 100, b"b" * 50], monkeypatch)
    model = PackagedModel("fake model", "fake.gguf", parts, 154, "0" * 64)
    with pytest.raises(ModelError, match=r"does not match the expected file .*sha256 0{64}.*Reinstall"):
        ensure_assembled(model, tmp_path / "cache")
    assert not (tmp_path / "cache" / "fake.gguf").exists(), "a file that does not match is never kept"


def test_tampered_cached_model_is_refused(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    import hashlib

    parts = fake_parts(tmp_path / "site", [b"GGUF" + b"a" * 100], monkeypatch)
    whole = b"GGUF" + b"a" * 100
    model = PackagedModel("fake", "fake.gguf", parts, len(whole), hashlib.sha256(whole).hexdigest())
    path = ensure_assembled(model, tmp_path / "cache")
    path.write_bytes(b"GGUF" + b"x" * 100)  # same size, other bytes, newer mtime
    with pytest.raises(ModelError, match="sha256"):
        ensure_assembled(model, tmp_path / "cache")


def test_missing_model_file_falls_back_with_a_notice(indexed: Settings, tmp_path: Path) -> None:
    s = indexed.model_copy(deep=True)
    s.llm.model_path = tmp_path / "nowhere.gguf"
    answer = Tutor.from_settings(s, backend="local").ask("Why divide the scores by the square root of d_k?")
    assert answer.backend == "extractive" and answer.covered
    assert "No model file at" in answer.notice and "TUTOR_LLM_MODEL_PATH" in answer.notice
    assert "SQRT-ANSWER" in answer.text


def test_missing_llama_cpp_falls_back_with_the_install_command(
    indexed: Settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setitem(sys.modules, "llama_cpp", None)  # as if llama-cpp-python were not installed
    monkeypatch.setattr(local.importlib.util, "find_spec", lambda name: None)
    answer = Tutor.from_settings(indexed, backend="local").ask("Why divide the scores by the square root of d_k?")
    assert answer.backend == "extractive" and "make run-local" in answer.notice


# ------------------------------------------------------------------------------------------ the real model


@pytest.mark.llm
def test_local_engine_streams_token_by_token_within_its_budget(local_settings: Settings) -> None:
    engine = LocalEngine(local_settings)
    messages = [{"role": "user", "content": "Explain in three sentences what a cache is."}]
    pieces = list(engine.stream(messages, 16, []))
    assert 5 < len(pieces) <= 16, pieces
    assert not local.busy(), "the lock is released when the stream ends"


@pytest.mark.llm
def test_local_answer_is_checked_and_within_budget(tutor_local: Tutor) -> None:
    pieces = list(tutor_local.stream("Is the degradation problem caused by overfitting?", level="beginner"))
    answer = pieces[-1]
    assert isinstance(answer, Answer) and answer.covered and answer.generation
    gen = answer.generation
    assert gen["backend"] == "local" and gen["model"].startswith("Qwen2.5-Coder-1.5B")
    assert gen["tokens"] <= gen["budget"] == 40, "no answer over its budget"
    assert gen["first_token_ms"] is not None and gen["stopped"] in ("end", "budget")
    assert answer.grounding is not None and answer.checks, "every generated sentence is checked"
    assert all(c.n is None or c.n in {x.n for x in answer.citations} | {0} or not c.shown for c in answer.checks)
    if answer.backend == "local":
        shown = [c for c in answer.checks if c.shown]
        assert all(c.sentence in answer.text for c in shown)
        assert all(c.sentence not in answer.text for c in answer.checks if not c.shown)
        assert "DEGRADATION-ANSWER" in answer.text, "the card's checked answer follows the generated text"
        assert "small local model that can be wrong" in answer.text
    else:
        assert "offline study card" in answer.notice and "DEGRADATION-ANSWER" in answer.text


@pytest.mark.llm
def test_chinese_question_gets_a_chinese_generated_answer(tutor_local: Tutor) -> None:
    answer = tutor_local.ask("退化问题是过拟合造成的吗？", level="beginner")
    assert answer.language == "zh" and answer.checks
    assert detect_language(generated(answer)) == "zh", generated(answer)
    assert answer.generation and answer.generation["tokens"] <= 40


class PlantingEngine:
    """The real model, with a wrong sentence planted into its stream after its first sentence."""

    def __init__(self, engine: LocalEngine, planted: list[str]) -> None:
        self.engine, self.planted, self.label = engine, planted, engine.label

    def count_tokens(self, text: str) -> int:
        return self.engine.count_tokens(text)

    def stream(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str]) -> Iterator[str]:
        text = ""
        planted = False
        for piece in self.engine.stream(messages, max_tokens, stop):
            text += piece
            yield piece
            if not planted and text.rstrip().endswith(("。", ".")):
                planted = True
                yield from self.planted


@pytest.mark.llm
def test_planted_negation_flip_and_wrong_number_are_removed(tutor_local: Tutor) -> None:
    backend = LocalBackend(tutor_local.settings)
    flip = "退化问题是过拟合造成的，更深的网络只是把训练集背下来了。"
    number = "更深的普通网络训练误差比浅的高 5 倍。"
    backend.engine = PlantingEngine(backend.engine, [flip, number])  # type: ignore[assignment]
    answer = tutor_local.ask("退化问题是过拟合造成的吗？", level="beginner", backend=backend)
    planted = [c for c in answer.checks if c.sentence in (flip, number)]
    assert len(planted) == 2 and not any(c.shown for c in planted), [(c.verdict, c.reason) for c in planted]
    assert flip not in answer.text and number not in answer.text


@pytest.mark.llm
def test_busy_model_gives_the_card_at_once_and_a_closed_stream_frees_it(indexed: Settings) -> None:
    s = indexed.model_copy(deep=True)
    s.llm.model_cache, s.llm.queue_wait, s.llm.timeout = MODEL_CACHE, 0.0, 600
    engine = LocalEngine(s)
    stream = engine.stream([{"role": "user", "content": "Count from one to fifty."}], 64, [])
    next(stream)  # generating: the model is held
    assert local.busy()
    with pytest.raises(BackendUnavailable, match="answering another question"):
        next(LocalEngine(s).stream([{"role": "user", "content": "Hi"}], 4, []))
    other: list[Answer] = []
    thread = threading.Thread(
        target=lambda: other.append(
            Tutor.from_settings(s, backend="local").ask("Why divide the scores by the square root of d_k?")
        )
    )
    thread.start()
    thread.join(timeout=120)
    assert other and other[0].backend == "extractive" and "answering another question" in other[0].notice
    stream.close()  # the learner went away mid-answer
    assert not local.busy()
