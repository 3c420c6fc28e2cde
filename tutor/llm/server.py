"""Engine for any OpenAI-compatible chat server: vLLM, Ollama, llama.cpp's server, LM Studio, hosted APIs.

The answer's token budget is sent both as `max_tokens` (what llama.cpp's server and older servers read;
it ignores `max_completion_tokens`) and as `max_completion_tokens` (what newer APIs read). A server that
rejects one of the two gets the other alone from then on. The budget is also enforced while streaming.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from tutor.config import Settings
from tutor.errors import BackendUnavailable
from tutor.lang.script import CJK, CJK_CLASS

_LIMITS = ("max_tokens", "max_completion_tokens")


class ServerEngine:
    def __init__(self, settings: Settings) -> None:
        import openai

        if not settings.llm.base_url:
            raise BackendUnavailable(
                "No LLM server configured. Set TUTOR_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1 for "
                "`python -m llama_cpp.server --model MODEL.gguf --port 8080`, or http://127.0.0.1:11434/v1 "
                "for `ollama serve`) and TUTOR_LLM_MODEL."
            )
        self.settings = settings
        self.label = settings.llm.model
        self.client = openai.OpenAI(
            base_url=settings.llm.base_url,
            api_key=settings.llm.api_key,
            timeout=settings.llm.timeout,
            max_retries=0,
        )
        self.limits = list(_LIMITS)

    def count_tokens(self, text: str) -> int:
        """An estimate (the server's tokenizer is not at hand): ~1.3 tokens per word, ~0.8 per CJK character."""
        words = len(re.findall(r"[A-Za-z0-9]+", text))
        cjk = len(CJK.findall(text))
        other = len(re.findall(f"[^\\sA-Za-z0-9{CJK_CLASS}]", text))
        return int(1.3 * words + 0.8 * cjk + 0.5 * other) + 1

    def stream(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str]) -> Iterator[str]:
        import openai

        where = self.settings.llm.base_url
        response: Any = None
        try:
            response = self._create(messages, max_tokens, stop)
            for chunk in response:
                if chunk.choices and chunk.choices[0].delta and chunk.choices[0].delta.content:
                    yield chunk.choices[0].delta.content
        except openai.AuthenticationError as exc:
            raise BackendUnavailable(f"The LLM server at {where} rejected the API key (TUTOR_LLM_API_KEY).") from exc
        except openai.NotFoundError as exc:
            raise BackendUnavailable(
                f"The LLM server at {where} has no model {self.settings.llm.model!r}; set TUTOR_LLM_MODEL "
                "to one it serves."
            ) from exc
        except openai.APITimeoutError as exc:
            raise BackendUnavailable(
                f"The LLM server at {where} did not answer within {self.settings.llm.timeout:.0f} s "
                "(TUTOR_LLM_TIMEOUT)."
            ) from exc
        except openai.APIConnectionError as exc:
            raise BackendUnavailable(
                f"Cannot reach the LLM server at {where}. Start it (e.g. `python -m llama_cpp.server --model "
                "MODEL.gguf --port 8080` or `ollama serve`) or unset TUTOR_LLM_BASE_URL."
            ) from exc
        except openai.APIError as exc:
            raise BackendUnavailable(f"The LLM server at {where} failed: {exc}") from exc
        finally:
            if response is not None:
                response.close()  # stops the server's generation when we stop reading

    def _create(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str]) -> Any:
        """Start the stream, dropping whichever length parameter the server refuses."""
        import openai

        while True:
            options: dict[str, Any] = {name: max_tokens for name in self.limits}
            try:
                return self.client.chat.completions.create(
                    model=self.settings.llm.model,
                    messages=messages,  # type: ignore[arg-type]  # plain role/content dicts are valid messages
                    temperature=self.settings.llm.temperature,
                    stop=stop[:4],
                    stream=True,
                    **options,
                )
            except openai.BadRequestError as exc:
                refused = [name for name in self.limits if re.search(rf"\b{name}\b", str(exc))]
                if len(self.limits) < 2 or not refused:
                    raise
                # A server that reads only one of them names the other ("use max_completion_tokens instead").
                self.limits = ["max_tokens"] if refused == ["max_completion_tokens"] else ["max_completion_tokens"]
