"""The topic model: whether a question is about the reading path at all, read from its whole embedding."""

from __future__ import annotations

import numpy as np
import pytest

from tutor.select.features import CANDIDATE_FEATURES, QUESTION_FEATURES
from tutor.select.model import Models, load_models, log_odds
from tutor.select.quotes import QUOTE_FEATURES
from tutor.select.topic import fit_topic, out_of_fold


def _clusters(n: int = 60, size: int = 8) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    on = rng.normal(0.0, 1.0, (n, size)) + np.r_[3.0, np.zeros(size - 1)]
    off = rng.normal(0.0, 1.0, (n, size)) - np.r_[3.0, np.zeros(size - 1)]
    return np.vstack([on, off]), np.r_[np.zeros(n), np.ones(n)].astype(bool)


def test_the_topic_model_separates_what_it_was_fitted_to_separate() -> None:
    vectors, declined = _clusters()
    model = fit_topic(vectors, declined, 1.0)
    odds = log_odds(model, vectors)
    assert odds.shape == (len(vectors),)
    assert (odds[declined] > 0).mean() > 0.95 and (odds[~declined] < 0).mean() > 0.95


def test_out_of_fold_log_odds_come_from_models_that_did_not_see_the_row() -> None:
    vectors, declined = _clusters()
    vectors[0] = vectors[-1]  # an "on the path" row that looks exactly like the off-path cluster
    odds = out_of_fold(vectors, declined, 1.0, 5)
    assert odds[0] > 0  # its own label, unseen by its fold's model, does not pull it back
    assert (odds[declined] > 0).mean() > 0.9


def test_without_a_topic_model_for_this_embedder_the_feature_pushes_neither_way() -> None:
    stored = load_models(CANDIDATE_FEATURES, QUESTION_FEATURES, quote_features=QUOTE_FEATURES)
    fitted_around = float(stored.decision.mean[QUESTION_FEATURES.index("off_path")])
    other_size = np.ones(384, dtype=np.float32) / np.sqrt(384)  # all-MiniLM-L6-v2's size, not the model's
    assert stored.off_path(other_size) == pytest.approx(fitted_around)
    no_topic = Models(stored.ranker, stored.decision, 1.0, 0.5, 0.0, {})
    assert no_topic.off_path(other_size) == pytest.approx(fitted_around)


def test_the_stored_topic_model_reads_off_path_questions_as_off_path(embeddings: object) -> None:
    """With the real embedder: questions off the path, some sharing a word with it, score above questions on it,
    in both languages."""
    models = load_models(CANDIDATE_FEATURES, QUESTION_FEATURES, quote_features=QUOTE_FEATURES)
    off = [
        "What's the best way to descale an espresso machine?",
        "How do I replace the brake pads on my bike?",
        "My Kafka consumer group keeps rebalancing; which timeout should I raise?",
        "宝宝发烧到 38 度要不要马上去医院？",
        "电动车冬天续航掉得厉害，有什么办法？",
    ]
    on = [
        "Why does attention divide the scores by the square root of d_k?",
        "what problem were resnets invented to fix?",
        "How much memory does the KV cache take for a 7B model?",
        "残差连接为什么能让很深的网络训练得动？",
        "梯度提升每一轮拟合的是什么？",
    ]

    def score(text: str) -> float:
        vector = np.asarray(embeddings.embed_query(text), dtype=np.float32)  # type: ignore[attr-defined]
        return models.off_path(vector / np.linalg.norm(vector))

    assert min(score(q) for q in off) > max(score(q) for q in on)
