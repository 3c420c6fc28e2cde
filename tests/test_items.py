"""List items as pieces of their own when sentences are indexed: a learner's notes keep decisions and results in
bullet lists, and a bullet's marker made every item unquotable."""

from __future__ import annotations

from pathlib import Path

import pytest
from notes_chunks import markdown_chunks, markdown_sentences

from tutor.config import Settings
from tutor.lang.items import apart_from_items, item_text
from tutor.lang.quotable import quotable
from tutor.retrieve import Sentence
from tutor.select.quotes import candidates


@pytest.mark.parametrize(
    ("line", "text"),
    [
        ("- 线上最终采用 w = 0.1。", "线上最终采用 w = 0.1。"),
        ("* Rank 64 was kept.", "Rank 64 was kept."),
        ("  + nested item", "nested item"),
        ("• 第二条", "第二条"),
        ("1. First we froze the encoder.", "First we froze the encoder."),
        ("2) then the head", "then the head"),
        ("3、再校准", "再校准"),
        ("（4）最后上线", "最后上线"),
        ("-0.5 is the loss here.", None),
        ("*args are passed on.", None),
        ("6.1 感知机模型", None),
        ("The list:", None),
    ],
)
def test_a_list_items_marker_is_not_its_text(line: str, text: str | None) -> None:
    assert item_text(line) == text


def test_items_stand_apart_and_keep_their_continuation_lines() -> None:
    text = "Measured on 8 GPUs:\n- 512 dims, int8:\n  recall@10 = 0.981.\n- 256 dims: 0.951.\nBoth were kept."
    assert apart_from_items(text) == [
        ("Measured on 8 GPUs:", False),
        ("512 dims, int8:\nrecall@10 = 0.981.", True),
        ("256 dims: 0.951.", True),
        ("Both were kept.", False),
    ]


@pytest.mark.parametrize(
    "terse",
    [
        "512 dims, int8: 512 bytes per passage, recall@10 = 0.981.",  # no function words
        "p95 time to first token fell from 1.8 s to 0.6 s.",  # no capital
        "Max batch size 64 requests per GPU",  # no full stop
    ],
)
def test_a_terse_item_may_be_quoted_though_the_same_words_in_prose_may_not(terse: str) -> None:
    assert quotable(terse, item=True) and not quotable(terse)


@pytest.mark.parametrize("residue", ["Fig 3 a b c", "batch 64", "see https://example.org/notes for the full runs"])
def test_an_item_is_still_no_residue(residue: str) -> None:
    assert not quotable(residue, item=True)


NOTES = """# CTR downsampling (team notes)

## Decision

- 正样本全部保留，负样本按固定比例 w 随机保留。
- 线上最终采用 w = 0.1，即只保留 10% 的负样本。
- Training time fell from 6.5 hours to 55 minutes per day.
- p95 time to first token fell from 1.8 s to 0.6 s at 40 requests per second

## Results

The calibrated model kept its AUC.
- 512 dims, int8: 512 bytes per passage, recall@10 = 0.981.
"""


def test_every_item_of_a_learners_list_is_a_quotable_sentence(tmp_path: Path, settings: Settings) -> None:
    sentences = markdown_sentences(tmp_path, settings, "ctr", NOTES)
    assert "线上最终采用 w = 0.1，即只保留 10% 的负样本。" in sentences
    assert "Training time fell from 6.5 hours to 55 minutes per day." in sentences
    assert "p95 time to first token fell from 1.8 s to 0.6 s at 40 requests per second" in sentences
    assert "512 dims, int8: 512 bytes per passage, recall@10 = 0.981." in sentences
    assert "The calibrated model kept its AUC." in sentences


def test_an_indexed_item_stays_quotable_when_quotes_are_picked(tmp_path: Path, settings: Settings) -> None:
    """The quote picker checks each retrieved sentence again; an item must pass there as it did when indexed."""
    chunks = markdown_chunks(tmp_path, settings, "ctr", NOTES)
    items = [c for c in chunks if c.metadata["kind"] == "sentence" and c.metadata["item"]]
    found = [Sentence(c.text, c.metadata, 1.0) for c in items]
    assert [s.text for s in candidates(found)] == [c.text for c in items]
    assert "p95 time to first token fell from 1.8 s to 0.6 s at 40 requests per second" in [s.text for s in found]
