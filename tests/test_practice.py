"""Every practice file in corpus/practice is data: validate it like code.

Schema, exactly one right choice, a why_wrong for every wrong one, sources that exist, key points with
terms a Chinese and an English answer can both meet, and reference answers that pass their own item.
`test_every_note_has_enough_items` (marker `content`) lists the notes still short of items.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.glossary import load_glossary
from tutor.notes import LANGS, find_note_files
from tutor.readings import load_reading_list
from tutor.study.grading import Grader, expand_with_glossary
from tutor.study.items import Item, McqItem, OpenItem, load_practice_file, practice_files

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
READINGS = load_reading_list(CORPUS)
GLOSSARY = load_glossary(CORPUS)
FILES = practice_files(CORPUS)
NOTE_IDS = sorted({n.id for n in find_note_files(CORPUS)})
_CJK = re.compile(r"[\u3400-\u9fff]")


def _param(path: Path, lang: str) -> object:
    return pytest.param(path, lang, id=f"{lang}/{path.stem}")


def _items() -> list[Item]:
    found: list[Item] = []
    for path, lang in FILES:
        try:
            found.extend(load_practice_file(path, lang, READINGS))
        except Exception:  # reported by test_practice_file_is_valid
            continue
    return found


ITEMS = _items()


@pytest.mark.parametrize(("path", "lang"), [_param(p, lang) for p, lang in FILES])
def test_practice_file_is_valid(path: Path, lang: str) -> None:
    """Schema, one right answer, why_wrong for each wrong choice, known readings (see tutor/study/items.py)."""
    items = load_practice_file(path, lang, READINGS)
    assert items, "the file has no items"
    assert f"note-{path.stem}" in NOTE_IDS, f"there is no note {path.stem}.md for this practice file"


@pytest.mark.parametrize("item", [pytest.param(i, id=i.id) for i in ITEMS])
def test_item_text_is_in_its_language(item: Item) -> None:
    text = item.question + (item.body.explain if isinstance(item.body, McqItem) else item.body.reference)
    has_cjk = bool(_CJK.search(text))
    assert has_cjk == (item.lang == "zh"), "Chinese items are written in Chinese, English ones in English"


@pytest.mark.parametrize("item", [pytest.param(i, id=i.id) for i in ITEMS if isinstance(i.body, McqItem)])
def test_mcq_choices_are_distinct_and_explained(item: Item) -> None:
    body = item.body
    assert isinstance(body, McqItem)
    assert 3 <= len(body.choices) <= 5, "three to five choices"
    assert set(body.why_wrong) == set(body.letters) - {body.answer}


def _bilingual(group: list[str], point: str) -> bool:
    """A Chinese answer can meet the group: a Chinese wording, one via the glossary, or a name/symbol
    Chinese learners write in Latin letters too (BERT, √d_k, l'homme, or a word the point capitalises: GitHub)."""
    wordings = expand_with_glossary(group, GLOSSARY)
    named = [m.group() for w in group for m in re.finditer(re.escape(w), point, re.I) if re.search(r"[A-Z]", m.group())]
    return bool(named) or any(_CJK.search(w) or re.search(r"[A-Z0-9]|[^A-Za-z\s-]", w) for w in wordings)


@pytest.mark.parametrize("item", [pytest.param(i, id=i.id) for i in ITEMS if isinstance(i.body, OpenItem)])
def test_open_item_key_points_work_in_both_languages(item: Item) -> None:
    body = item.body
    assert isinstance(body, OpenItem)
    assert 1 <= len(body.key_points) <= 5
    for kp in body.key_points:
        for group in kp.terms:
            assert _bilingual(group, kp.point), f"{kp.point!r}: add Chinese (or English) wordings to {group}"
            english = [w for w in expand_with_glossary(group, GLOSSARY) if not _CJK.search(w)]
            assert english, f"{kp.point!r}: add English wordings to {group}"


@pytest.fixture(scope="module")
def grader(embeddings: object) -> Grader:
    return Grader(embeddings, GLOSSARY)  # type: ignore[arg-type]


@pytest.mark.slow
@pytest.mark.parametrize("item", [pytest.param(i, id=i.id) for i in ITEMS if isinstance(i.body, OpenItem)])
def test_reference_answer_passes_its_own_item(item: Item, grader: Grader) -> None:
    """If the reference fails, the key points' terms do not match how the point is actually said."""
    assert isinstance(item.body, OpenItem)
    grade = grader.grade(item, item.body.reference)
    assert grade.correct and not grade.missed, [(p.point, p.why) for p in grade.points if not p.hit]


@pytest.mark.content
def test_every_note_has_enough_items() -> None:
    """≥ 4 multiple-choice and ≥ 2 open items per note and language (issue 11). Lists every shortfall."""
    counts: dict[tuple[str, str], tuple[int, int]] = {}
    for item in ITEMS:
        mcq, open_ = counts.get((item.concept, item.lang), (0, 0))
        counts[(item.concept, item.lang)] = (mcq + (item.kind == "mcq"), open_ + (item.kind == "open"))
    short = [
        f"{note_id.removeprefix('note-')} [{lang}]: {counts.get((note_id, lang), (0, 0))[0]} mcq, "
        f"{counts.get((note_id, lang), (0, 0))[1]} open"
        for note_id in NOTE_IDS
        for lang in LANGS
        if counts.get((note_id, lang), (0, 0))[0] < 4 or counts.get((note_id, lang), (0, 0))[1] < 2
    ]
    assert not short, f"{len(short)} of {len(NOTE_IDS) * len(LANGS)} note/language pairs need items:\n" + "\n".join(
        short
    )
