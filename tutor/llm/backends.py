"""The LLM backends by name: each is the one pipeline around an engine."""

from __future__ import annotations

from collections.abc import Callable

from tutor.config import Settings
from tutor.llm.local import LocalEngine
from tutor.llm.pipeline import GenerativeBackend
from tutor.llm.server import ServerEngine


class OpenAIBackend(GenerativeBackend):
    """Any OpenAI-compatible chat server."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, ServerEngine(settings))


class LocalBackend(GenerativeBackend):
    """A GGUF model in this process (TUTOR_LLM_MODEL_PATH, or the packaged Qwen2.5-Coder-1.5B-Instruct)."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        super().__init__(settings, LocalEngine(settings))


BACKENDS: dict[str, Callable[[Settings], GenerativeBackend]] = {"openai": OpenAIBackend, "local": LocalBackend}
