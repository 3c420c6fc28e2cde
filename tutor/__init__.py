"""tutor: a study tutor for the reading path from ML foundations to LLM serving.

    import tutor
    answer = tutor.ask("Why divide by the square root of d_k?", level="intermediate")
    print(answer.text, [c.label for c in answer.citations])

does what `tutor ask` does, against the index in TUTOR_DATA_DIR (build it with `tutor ingest`).
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tutor.answer import Answer, Tutor
    from tutor.config import Settings

_tutors: dict[tuple[str, str | None], Tutor] = {}
_tutors_lock = threading.Lock()


def ask(
    question: str,
    level: str = "beginner",
    lang: str = "auto",
    backend: str | None = None,
    settings: Settings | None = None,
) -> Answer:
    """Answer one question from the readings (imports stay lazy so `import tutor` is cheap).

    One Tutor (index, model, BM25) is kept per distinct settings and backend, so later calls cost a
    retrieval, not a reload; each retrieval first picks up any ingest another process has committed.
    """
    from tutor.answer import Tutor
    from tutor.config import Settings

    settings = settings or Settings()
    key = (settings.model_dump_json(), backend)
    with _tutors_lock:
        tutor = _tutors.get(key)
        if tutor is None:
            tutor = _tutors[key] = Tutor.from_settings(settings.model_copy(deep=True), backend=backend)
    return tutor.ask(question, level, lang)
