"""What a generated answer reports about itself: model, timings, tokens, why it stopped, what was checked."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

from tutor.llm.grounding import Check, share_supported

Stop = Literal["end", "budget", "repetition", "echo", "language", "error", ""]


@dataclass
class Generation:
    backend: str
    model: str
    budget: int  # token budget of the answer (sent as max_tokens)
    prompt_tokens: int = 0
    tokens: int = 0  # tokens generated
    first_token_ms: float | None = None  # from sending the prompt to the first generated token
    first_text_ms: float | None = None  # to the first checked sentence shown
    total_ms: float = 0.0
    stopped: Stop = ""
    checks: list[Check] = field(default_factory=list)
    fell_back: bool = False  # the learner got the offline card instead

    @property
    def grounding(self) -> float:
        """Share of generated sentences supported by a source (0 when nothing was generated)."""
        return share_supported(self.checks)

    @property
    def conflicts(self) -> int:
        return sum(c.verdict == "conflict" for c in self.checks)

    @property
    def tokens_per_s(self) -> float | None:
        if self.first_token_ms is None or self.tokens < 2:
            return None
        seconds = (self.total_ms - self.first_token_ms) / 1000
        return round((self.tokens - 1) / seconds, 1) if seconds > 0 else None

    def as_json(self) -> dict[str, Any]:
        return {
            "backend": self.backend,
            "model": self.model,
            "budget": self.budget,
            "prompt_tokens": self.prompt_tokens,
            "tokens": self.tokens,
            "first_token_ms": self.first_token_ms,
            "first_text_ms": self.first_text_ms,
            "total_ms": round(self.total_ms, 1),
            "tokens_per_s": self.tokens_per_s,
            "stopped": self.stopped,
            "sentences": len(self.checks),
            "supported": sum(c.shown for c in self.checks),
            "conflicts": self.conflicts,
            "fell_back": self.fell_back,
        }
