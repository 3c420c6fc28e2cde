"""The kind of quantity a question asks for, and whether a sentence states one (tutor/lang/units.py)."""

from __future__ import annotations

import pytest

from tutor.lang.units import asked_kinds, states_kind


@pytest.mark.parametrize(
    ("question", "kinds"),
    [
        ("How much did the fine-tuning run cost?", {"money"}),
        ("这次微调一共花了多少钱？", {"money"}),
        ("How long did each restart take?", {"time"}),
        ("重启一共耽误了多少时间？", {"time"}),
        ("KV cache 要占多少显存？", {"memory"}),
        ("显存要多少GB", {"memory"}),  # an English unit written right against Chinese
        ("What share of the labels were wrong?", {"share"}),
        ("验证集准确率是多少？", {"share"}),
        ("What learning rate did they pick?", set()),  # a rate that is not a share
        ("Which model did the team ship?", set()),
        ("What is the timeline of GPT models?", set()),  # "time" inside a word
    ],
)
def test_the_kind_of_quantity_a_question_asks_for(question: str, kinds: set[str]) -> None:
    assert asked_kinds(question) == kinds


@pytest.mark.parametrize(
    ("sentence", "kind", "states"),
    [
        ("共花费约 2.4 万元。", "money", True),
        ("The whole pass cost $1,200 on spot instances.", "money", True),
        ("The eight restarts added up to about 5.5 hours of lost time.", "time", True),
        ("每步约 0.4 秒。", "time", True),
        ("p95 fell from 1.8 s to 0.6 s.", "time", True),
        ("Skip the next 500 steps of data.", "time", False),  # a count of steps is not a duration
        ("The model needs about 13.5GB in 16-bit.", "memory", True),
        ("权重约 140 GB。", "memory", True),
        ("4.1% of the old labels were wrong.", "share", True),
        ("Kappa rose from 0.62 to 0.79.", "share", False),
        ("共花费约 2.4 万元。", "time", False),
    ],
)
def test_whether_a_sentence_states_that_kind(sentence: str, kind: str, states: bool) -> None:
    assert states_kind(sentence, frozenset({kind})) is states
