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
        self.description = (
            f"LLM server {settings.llm.base_url} ({settings.llm.model}); every generated sentence is checked "
            "against the sources, and the study card follows"
        )


class LocalBackend(GenerativeBackend):
    """A GGUF model in this process (TUTOR_LLM_MODEL_PATH, or the packaged Qwen2.5-Coder-1.5B-Instruct)."""

    name = "local"

    def __init__(self, settings: Settings) -> None:
        engine = LocalEngine(settings)
        super().__init__(settings, engine)
        size = "a small model that can be wrong" if engine.packaged else "a local model that can be wrong"
        self.description = (
            f"{engine.label} on this machine ({size}); every generated sentence is checked against the sources, "
            "and the study card follows"
        )


BACKENDS: dict[str, Callable[[Settings], GenerativeBackend]] = {"openai": OpenAIBackend, "local": LocalBackend}
