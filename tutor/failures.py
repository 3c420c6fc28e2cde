"""Failures of the server rather than of the request, as a status and one line a learner can act on.

Two are common in a classroom: the Chroma server the workers share is down (503: try again; the tutor
reconnects by itself once it is back), and the disk holding the data folder is full (507). Both are found
by walking the exception's causes, since they surface from chromadb, httpx, SQLite or the OS. No server path
is ever part of the message. A leaf module: the web layer uses it, and so can the command line.
"""

from __future__ import annotations

import errno
import sqlite3
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import urlsplit

from tutor.config import Settings

_DISK_FULL_WORDS = ("no space left on device", "database or disk is full", "disk is full", "disk quota exceeded")
_UNREACHABLE_WORDS = (
    "connecterror",
    "connection refused",
    "could not connect",
    "failed to establish a new connection",
    "name or service not known",
    "connection reset",
    "remoteprotocolerror",
    "server disconnected",
    "connecttimeout",
)


@dataclass(frozen=True)
class Failure:
    status: int
    message: str


def _chain(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    todo: list[BaseException] = [exc]
    while todo:
        current = todo.pop()
        if id(current) in seen:
            continue
        seen.add(id(current))
        yield current
        todo.extend(e for e in (current.__cause__, current.__context__) if e is not None)


def _disk_full(exc: BaseException) -> bool:
    if isinstance(exc, OSError) and exc.errno in (errno.ENOSPC, errno.EDQUOT):
        return True
    if isinstance(exc, sqlite3.Error) and getattr(exc, "sqlite_errorcode", None) == sqlite3.SQLITE_FULL:
        return True
    text = str(exc).lower()
    return any(words in text for words in _DISK_FULL_WORDS)


def _unreachable(exc: BaseException) -> bool:
    if isinstance(exc, ConnectionError | TimeoutError):
        return True
    name = type(exc).__name__.lower()
    text = f"{name} {exc}".lower()
    return any(words in text for words in _UNREACHABLE_WORDS)


def index_address(settings: Settings) -> str:
    url = urlsplit(settings.chroma.url or "")
    return f"{url.hostname or '127.0.0.1'}:{url.port or 8000}"


def classify(exc: BaseException, settings: Settings) -> Failure | None:
    """The failure `exc` stands for, or None when it is not one of these (then it is a bug, and logged)."""
    chain = list(_chain(exc))
    if any(_disk_full(e) for e in chain):
        return Failure(
            507, "The server's disk is full, so the tutor cannot work right now: free some space on it and try again."
        )
    if settings.chroma.url and any(_unreachable(e) for e in chain):
        return Failure(503, f"The index server at {index_address(settings)} is not reachable; try again in a moment.")
    return None


def scrub(message: str, settings: Settings) -> str:
    """No server paths in what a learner sees."""
    for path in {settings.data.dir, settings.data.dir.resolve(), settings.data.corpus}:
        message = message.replace(str(path), "…")
    return message
