"""The fitted models, as data: which candidate answers (a logistic ranker) and what to do (answer, closest,
decline: a multinomial logistic model over question-level features).

The weights live in tutor/select/weights.json, written by `python -m tutor.select.fit` from the labelled
questions (eval/select/); serving needs only numpy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from tutor.errors import ConfigError
from tutor.select.features import CANDIDATE_FEATURES, QUESTION_FEATURES

WEIGHTS = "weights.json"
DECISIONS = ("answer", "closest", "decline")
_LOG_ODDS_CLIP = 1e-4


@dataclass(frozen=True)
class Linear:
    """Standardised features times weights: a logistic (one row of weights) or softmax (one per class) model."""

    names: tuple[str, ...]
    mean: np.ndarray
    scale: np.ndarray
    coef: np.ndarray  # classes × features (one row for a binary model)
    intercept: np.ndarray  # classes

    def logits(self, matrix: np.ndarray) -> np.ndarray:
        x = (np.atleast_2d(matrix) - self.mean) / self.scale
        out: np.ndarray = x @ self.coef.T + self.intercept
        return out

    def probability(self, matrix: np.ndarray) -> np.ndarray:
        """Binary model: the probability of the positive class for each row."""
        z = self.logits(matrix)[:, 0]
        out: np.ndarray = 1.0 / (1.0 + np.exp(-z))
        return out

    def class_probabilities(self, row: np.ndarray) -> np.ndarray:
        """Softmax model: the probability of each class for one row."""
        z = self.logits(row)[0]
        e = np.exp(z - z.max())
        out: np.ndarray = e / e.sum()
        return out

    def contributions(self, row: np.ndarray, k: int = 4) -> list[tuple[str, float]]:
        """The features that pushed a binary model's score most, with their push: the reasons for a choice."""
        x = (row - self.mean) / self.scale
        push = x * self.coef[0]
        order = np.argsort(-np.abs(push))[:k]
        return [(self.names[i], round(float(push[i]), 2)) for i in order]

    def as_json(self) -> dict[str, Any]:
        return {
            "features": list(self.names),
            "mean": _rounded(self.mean),
            "scale": _rounded(self.scale),
            "coef": [_rounded(row) for row in self.coef],
            "intercept": _rounded(self.intercept),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any], names: tuple[str, ...]) -> Linear:
        if tuple(data["features"]) != names:
            raise ConfigError(
                "The selector's weights were fitted on other features than the code computes; refit them with "
                "`python -m tutor.select.fit` (see eval/select/README.md)."
            )
        return cls(
            names,
            np.asarray(data["mean"], dtype=np.float64),
            np.asarray(data["scale"], dtype=np.float64),
            np.asarray(data["coef"], dtype=np.float64),
            np.asarray(data["intercept"], dtype=np.float64),
        )


def _rounded(values: np.ndarray) -> list[float]:
    return [round(float(v), 6) for v in np.asarray(values).ravel()]


@dataclass(frozen=True)
class Models:
    ranker: Linear
    decision: Linear
    verdict_similarity: float  # a verdict pair keeps its verdict only for a yes/no question this close to its own
    decline_at: float  # the decision model's probability of "decline" from which a question is declined
    answer_at: float  # the ranker's probability from which the best candidate answers (else: closest)
    fitted: dict[str, Any]  # what they were fitted on and how they scored (counts, splits, metrics)
    quotes: Linear | None = None  # which sentences of a document to quote (tutor/select/quotes.py)
    topic: Linear | None = None  # whether a question is off the path, from its embedding (tutor/select/topic.py)

    def off_path(self, vector: np.ndarray) -> float:
        """The topic model's log-odds that the question is off the path. Without a topic model for this
        embedder (none fitted, or another embedding size), the value the decision model was fitted around, so
        the feature pushes neither way."""
        if self.topic is None or np.asarray(vector).shape[-1] != len(self.topic.names):
            return float(self.decision.mean[QUESTION_FEATURES.index("off_path")])
        return float(log_odds(self.topic, vector)[0])

    def decide(self, classes: np.ndarray, top_probability: float, top_is_user_doc: bool = False) -> str:
        """Off the path → decline; on it, the best candidate answers if the ranker is confident, else closest. A
        learner's own document at the top is quoted whatever the confidence: "closest" would give the bank's
        definition instead of the passage the learner's question is nearest to."""
        if classes[DECISIONS.index("decline")] >= self.decline_at:
            return "decline"
        return "answer" if top_probability >= self.answer_at or top_is_user_doc else "closest"

    def as_json(self) -> dict[str, Any]:
        return {
            "ranker": self.ranker.as_json(),
            "decision": {**self.decision.as_json(), "classes": list(DECISIONS)},
            "verdict_similarity": self.verdict_similarity,
            "decline_at": self.decline_at,
            "answer_at": self.answer_at,
            **({"quotes": self.quotes.as_json()} if self.quotes is not None else {}),
            **({"topic": self.topic.as_json()} if self.topic is not None else {}),
            "fitted": self.fitted,
        }


def log_odds(model: Linear, rows: np.ndarray) -> np.ndarray:
    """A binary model's log-odds for each row, its probability clipped to [1e-4, 1 - 1e-4] first."""
    p = np.clip(model.probability(rows), _LOG_ODDS_CLIP, 1 - _LOG_ODDS_CLIP)
    out: np.ndarray = np.log(p / (1 - p)).astype(np.float32)
    return out


def keeps_verdict(aspect: str, row: np.ndarray, threshold: float) -> bool:
    """A pair's opening "No." / "不是。" answers the learner only if the learner asked a yes/no question, about the
    same terms (every field term of the question is in the pair's question), and close to the pair's question."""
    similarity = row[CANDIDATE_FEATURES.index("main_similarity")]
    same_terms = row[CANDIDATE_FEATURES.index("terms_in_question")] >= 1.0
    return aspect == "yesno" and bool(same_terms) and float(similarity) >= threshold


def load_models(
    candidate_features: tuple[str, ...],
    question_features: tuple[str, ...],
    path: Path | None = None,
    quote_features: tuple[str, ...] = (),
) -> Models:
    """The stored weights (tutor/select/weights.json unless `path` is given)."""
    try:
        text = (
            path.read_text(encoding="utf-8")
            if path
            else resources.files("tutor.select").joinpath(WEIGHTS).read_text(encoding="utf-8")
        )
        data = json.loads(text)
    except (OSError, ValueError) as exc:
        raise ConfigError(f"The answer selector's weights cannot be read ({exc}); refit them.") from exc
    return Models(
        Linear.from_json(data["ranker"], candidate_features),
        Linear.from_json(data["decision"], question_features),
        float(data["verdict_similarity"]),
        float(data["decline_at"]),
        float(data["answer_at"]),
        dict(data.get("fitted", {})),
        Linear.from_json(data["quotes"], quote_features) if "quotes" in data and quote_features else None,
        Linear.from_json(data["topic"], tuple(data["topic"]["features"])) if "topic" in data else None,
    )
