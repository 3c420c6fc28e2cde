"""The fitted question map (tutor/select/question_map.py): it learns which pair a question means from labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from tutor.select.question_map import FILE, QuestionMap, fit_question_map


def unit(x: np.ndarray) -> np.ndarray:
    return np.asarray(x / np.linalg.norm(x, axis=-1, keepdims=True), dtype=np.float32)


def test_without_a_fitted_map_vectors_are_unchanged(tmp_path: Path) -> None:
    vector = unit(np.arange(1, 9, dtype=np.float32))
    assert QuestionMap.load(tmp_path / "none.npz").apply(vector) is vector


def test_a_fitted_map_sends_questions_to_the_pair_their_labels_name(tmp_path: Path) -> None:
    """Questions written about pair 1 happen to sit nearest pair 0's phrasing (a shared word, say); the map learns
    the shift from half of them and applies it to the other half, which it never saw."""
    rng = np.random.default_rng(0)
    phrasings = unit(np.eye(8, dtype=np.float32)[:4] + 0.05)
    phrasing_pair = np.arange(4)
    shift = np.zeros(8, dtype=np.float32)
    shift[0], shift[1] = 1.2, -0.5  # toward pair 0, away from pair 1
    questions = []
    labels = []
    for pair in range(4):
        for _ in range(40):
            base = phrasings[pair] + rng.normal(0, 0.1, 8).astype(np.float32)
            questions.append(base + (shift if pair == 1 else 0))
            labels.append(pair)
    q = unit(np.asarray(questions))
    y = np.asarray(labels)
    seen = np.arange(len(q)) % 2 == 0

    def top1(vectors: np.ndarray) -> float:
        return float(np.mean(np.argmax(vectors[~seen] @ phrasings.T, axis=1) == y[~seen]))

    fitted = fit_question_map(q[seen], [{int(p)} for p in y[seen]], phrasings, phrasing_pair, epochs=300)
    assert top1(q) < 0.8  # pair 1's questions are taken for pair 0's
    assert top1(fitted.apply(q)) > 0.9
    fitted.save(tmp_path / "map.npz")
    again = QuestionMap.load(tmp_path / "map.npz")
    np.testing.assert_allclose(again.apply(q), fitted.apply(q), atol=1e-6)
    assert np.allclose(np.linalg.norm(again.apply(q), axis=1), 1.0, atol=1e-5)


@pytest.mark.skipif(not FILE.exists(), reason="no fitted question map in the repository")
def test_the_shipped_map_is_small_and_keeps_vectors_close() -> None:
    shipped = QuestionMap.load()
    assert shipped.delta is not None and shipped.delta.shape == (512, 512)
    rng = np.random.default_rng(1)
    vectors = unit(rng.normal(size=(50, 512)).astype(np.float32))
    moved = np.einsum("ij,ij->i", vectors, shipped.apply(vectors))
    assert moved.min() > 0.3  # a nudge toward the labelled pairs, not a new space
