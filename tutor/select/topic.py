"""Is a question about the reading path at all? A logistic model over the question's embedding, fitted on the
labelled questions (declined ones against the rest).

The decision model (tutor/select/model.py) reads its log-odds as one feature, "off_path". Term and similarity
features see the words a question shares with the path; the embedding sees what the whole question is about,
so "电力变压器（transformer）的铁芯损耗怎么计算？" or "Redis cache eviction config" read as off the path although
they name a term of it, and "what problem were resnets invented to fix?" reads as on it.
"""

from __future__ import annotations

import numpy as np

from tutor.select.model import Linear, log_odds

C_GRID = (0.3, 1.0, 3.0, 10.0)


def fit_topic(vectors: np.ndarray, declined: np.ndarray, c: float) -> Linear:
    """A logistic model of "declined" over the embeddings (standardised, L2-regularised with strength 1/c)."""
    from sklearn.linear_model import LogisticRegression

    mean = vectors.mean(axis=0)
    scale = np.where(vectors.std(axis=0) < 1e-6, 1.0, vectors.std(axis=0))
    model = LogisticRegression(C=c, max_iter=5000).fit((vectors - mean) / scale, declined.astype(int))
    names = tuple(f"e{i}" for i in range(vectors.shape[1]))  # one per embedding dimension
    return Linear(names, mean, scale, model.coef_, model.intercept_)


def out_of_fold(vectors: np.ndarray, declined: np.ndarray, c: float, folds: int) -> np.ndarray:
    """Log-odds for each row from a model fitted without its fold: what the decision model is fitted on, so it
    learns how far to trust this feature on questions the topic model has not seen."""
    out = np.zeros(len(vectors), dtype=np.float32)
    fold = np.arange(len(vectors)) % folds
    for f in range(folds):
        held = fold == f
        out[held] = log_odds(fit_topic(vectors[~held], declined[~held], c), vectors[held])
    return out
