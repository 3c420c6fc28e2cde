"""A map of question embeddings fitted on the labelled questions: which pair's phrasings a question is close to.

The multilingual encoder puts a learner's question near bank phrasings that share its words, and that is often a
neighbouring point of the same concept. The labelled questions say which pair answers. A linear map
x → normalise(x + x·A) is fitted on the train split so that a question's best phrasing of the right pair
scores above every other pair's (cross-entropy over pairs, each scored by its best phrasing; A starts at zero and
is kept small by weight decay). The similarity after the map is one more feature of the ranker; it decides nothing
alone. Fitted by `python -m tutor.select.fit --extract`, which also gives each train question the map of the folds
without it, so that the ranker never learns from a similarity that has seen the question's own label.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import numpy as np

FILE = Path(__file__).with_name("question_map.npz")
EPOCHS = 20  # dev top-1 of the mapped similarity peaked between 14 and 30 epochs
DECAY = 1e-3  # on A's squared entries
TEMPERATURE = 0.05
BATCH = 256


class QuestionMap:
    """x → normalise(x + x·A); without a fitted A, the identity."""

    def __init__(self, delta: np.ndarray | None = None) -> None:
        self.delta = delta

    @classmethod
    def load(cls, path: Path = FILE) -> QuestionMap:
        if not path.exists():
            return cls()
        with np.load(path) as data:
            return cls(np.asarray(data["delta"], dtype=np.float32))

    def save(self, path: Path = FILE) -> None:
        assert self.delta is not None
        np.savez_compressed(path, delta=self.delta.astype(np.float32))

    def apply(self, vectors: np.ndarray) -> np.ndarray:
        """Mapped unit vectors, for one vector or a matrix of rows."""
        if self.delta is None:
            return vectors
        mapped = vectors + vectors @ self.delta
        norm = np.linalg.norm(mapped, axis=-1, keepdims=True)
        return np.asarray(mapped / np.maximum(norm, 1e-6), dtype=np.float32)


def fit_question_map(
    questions: np.ndarray,
    answers: Sequence[set[int]],
    phrasings: np.ndarray,
    phrasing_pair: np.ndarray,
    epochs: int = EPOCHS,
    seed: int = 0,
) -> QuestionMap:
    """Fit A on question vectors and the pair rows that answer each (`answers`), against every pair's phrasings
    (`phrasing_pair`: the pair row of each phrasing row)."""
    import torch

    torch.manual_seed(seed)
    torch.set_num_threads(2)
    n_pairs = int(phrasing_pair.max()) + 1
    targets = torch.zeros((len(questions), n_pairs), dtype=torch.bool)
    for row, rows in enumerate(answers):
        targets[row, sorted(rows)] = True
    q_all = torch.from_numpy(np.asarray(questions, dtype=np.float32))
    p = torch.from_numpy(np.asarray(phrasings, dtype=np.float32))
    index = torch.from_numpy(np.asarray(phrasing_pair, dtype=np.int64))
    delta = torch.zeros((q_all.shape[1], q_all.shape[1]), requires_grad=True)
    optimiser = torch.optim.Adam([delta], lr=1e-3)
    for _ in range(epochs):
        order = torch.randperm(len(q_all))
        for start in range(0, len(order), BATCH):
            batch = order[start : start + BATCH]
            q = q_all[batch] + q_all[batch] @ delta
            q = q / q.norm(dim=1, keepdim=True)
            sims = q @ p.T
            best = torch.full((len(batch), n_pairs), -1e4).scatter_reduce(
                1, index.expand(len(batch), -1), sims, reduce="amax", include_self=True
            )
            logits = best / TEMPERATURE
            right = logits.masked_fill(~targets[batch], -1e9)
            loss = (torch.logsumexp(logits, 1) - torch.logsumexp(right, 1)).mean() + DECAY * (delta**2).sum()
            optimiser.zero_grad()
            loss.backward()  # type: ignore[no-untyped-call]
            optimiser.step()
    return QuestionMap(delta.detach().numpy().astype(np.float32))
