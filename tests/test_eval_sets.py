"""The labelled question sets are data the selector is fitted and measured on: validate them like code."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

import pytest

from tutor.notes import find_note_files
from tutor.qa import load_qa
from tutor.select.data import Labelled, load_dir

REPO = Path(__file__).resolve().parent.parent
WRITTEN = load_dir(REPO / "eval" / "select")
TEST = [item for folder in sorted((REPO / "eval").glob("test*")) for item in load_dir(folder)]
NOTE_IDS = {n.id for n in find_note_files(REPO / "corpus")}
PAIR_REFS = {f"{p.note}:{p.id}" for p in load_qa(REPO / "corpus")} | {f"{n}:overview" for n in NOTE_IDS}


def item_param(item: Labelled) -> object:
    return pytest.param(item, id=item.id)


def test_ids_are_unique_across_every_set() -> None:
    counts = Counter(item.id for item in [*WRITTEN, *TEST])
    assert not [k for k, n in counts.items() if n > 1]


@pytest.mark.parametrize("item", [item_param(i) for i in WRITTEN])
def test_written_question_names_what_answers_it(item: Labelled) -> None:
    if item.decision != "decline":
        assert item.note in NOTE_IDS, f"unknown note {item.note!r}"
    if item.decision == "answer":
        assert item.answers, "an answered question names the pair, overview, document or calculation that answers it"
    for ref in item.answers:
        if ref.startswith("note-"):
            assert ref in PAIR_REFS, f"no pair {ref!r} in corpus/qa"
        else:
            assert ref.startswith(("doc:", "numbers:")), ref
    for name in item.docs:
        assert (REPO / "eval" / "docs" / name).is_file(), name


@pytest.mark.parametrize("item", [item_param(i) for i in TEST])
def test_test_question_has_what_a_rater_needs(item: Labelled) -> None:
    if item.decision != "decline":
        assert item.facts and item.reference, "facts and a reference answer to grade against"
    for name in item.docs:
        assert (REPO / "eval" / "docs" / name).is_file(), name
