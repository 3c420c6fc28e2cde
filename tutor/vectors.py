"""Embeddings of the tutor's own short texts (Q&A phrasings, reading-list entries), computed once.

These texts ship with tutor rather than coming from the library, so they are not in Chroma: they are
embedded on first use and kept in ``<data dir>/cache/vectors-<model>.npz``, keyed by a hash of the
text, so a restart or a second worker does not embed them again.
"""

from __future__ import annotations

import hashlib
import os
import threading
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
from langchain_core.embeddings import Embeddings

_BATCH = 256


def _key(text: str) -> str:
    return hashlib.sha1(text.encode()).hexdigest()[:20]


def normalise(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length, so a dot product is a cosine similarity."""
    norms = np.linalg.norm(matrix, axis=-1, keepdims=True)
    return (matrix / np.where(norms == 0, 1.0, norms)).astype(np.float32)


def cosine(a: Sequence[float] | np.ndarray, b: Sequence[float] | np.ndarray) -> float:
    """Cosine similarity of two vectors (0 when either is zero)."""
    x, y = np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64)
    norms = float(np.linalg.norm(x) * np.linalg.norm(y))
    return float(x @ y) / norms if norms else 0.0


class VectorCache:
    """Text → unit-length embedding, remembered in memory and on disk."""

    def __init__(self, embeddings: Callable[[], Embeddings], path: Path) -> None:
        self._embeddings = embeddings
        self.path = path
        self._lock = threading.Lock()
        self._vectors: dict[str, np.ndarray] | None = None

    def _load(self) -> dict[str, np.ndarray]:
        if self._vectors is None:
            self._vectors = {}
            try:
                with np.load(self.path) as saved:
                    self._vectors = dict(zip(saved["keys"].tolist(), saved["vectors"], strict=True))
            except (OSError, ValueError, KeyError):
                pass  # no cache yet, or a damaged one: embed again
        return self._vectors

    def _save(self, vectors: dict[str, np.ndarray]) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.stem}-{os.getpid()}-{threading.get_ident()}.npz")
        keys = np.array(list(vectors))
        np.savez(tmp, keys=keys, vectors=np.stack(list(vectors.values())))
        os.replace(tmp, self.path)

    def matrix(self, texts: Sequence[str]) -> np.ndarray:
        """Embeddings of `texts` as rows of a (len(texts), dim) float32 matrix."""
        with self._lock:
            vectors = self._load()
            missing = list(dict.fromkeys(t for t in texts if _key(t) not in vectors))
            if missing:
                model = self._embeddings()
                for start in range(0, len(missing), _BATCH):
                    batch = missing[start : start + _BATCH]
                    rows = normalise(np.asarray(model.embed_documents(batch), dtype=np.float32))
                    vectors.update((_key(t), row) for t, row in zip(batch, rows, strict=True))
                self._save(vectors)
            if not texts:
                return np.zeros((0, 1), dtype=np.float32)
            return np.stack([vectors[_key(t)] for t in texts])
