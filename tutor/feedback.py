"""Thumbs up/down from the web chat, kept as JSON lines in the data dir for later evaluation."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_LOCK = threading.Lock()


def record_feedback(path: Path, liked: bool, answer: dict[str, Any]) -> None:
    """Append one feedback record: the verdict plus the answer it judges (as `tutor ask --json` shows it)."""
    entry = {"time": datetime.now(UTC).isoformat(timespec="seconds"), "liked": liked, **answer}
    line = json.dumps(entry, ensure_ascii=False)
    with _LOCK:
        path.parent.mkdir(parents=True, exist_ok=True)
        with path.open("a", encoding="utf-8") as f:
            f.write(line + "\n")
