"""The calculator's one error: a size the user gave (or left out) that a formula cannot use.

    TutorError
    └── NumbersError   a missing, unknown or impossible size, preset or precision

The message says which size and how to give it; ``missing`` names the sizes so the chat can ask for them, and
``reason`` names a calculation that does not apply to the model at all (a KV cache for BERT).
"""

from __future__ import annotations

from tutor.errors import TutorError


class NumbersError(TutorError):
    """A calculation cannot be done with the sizes given."""

    def __init__(self, message: str, missing: tuple[str, ...] = (), reason: str = "") -> None:
        super().__init__(message)
        self.missing = missing
        self.reason = reason  # set when no size would help: "encoder_no_kv", "encoder_decoder_flops", "not_decoder"
