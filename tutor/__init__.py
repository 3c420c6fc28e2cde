"""tutor: a study tutor for the reading path from ML foundations to LLM serving.

    import tutor
    answer = tutor.ask("Why divide by the square root of d_k?", level="intermediate")
    print(answer.text, [c.label for c in answer.citations])

does what `tutor ask` does, against the index in TUTOR_DATA_DIR (build it with `tutor ingest`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.answer import Answer
    from tutor.config import Settings


def ask(
    question: str,
    level: str = "beginner",
    lang: str = "auto",
    backend: str | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer one question from the readings (imports stay lazy so `import tutor` is cheap)."""
    from tutor.answer import Tutor
    from tutor.config import Settings

    return Tutor.from_settings(settings or Settings(), backend=backend).ask(question, level, lang)
