"""The Q&A pairs are the offline tutor's direct answers: validate them like code."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

import pytest
from conftest import READINGS_RAW

from tutor.errors import ConfigError
from tutor.loaders import load_file
from tutor.notes import find_note_files
from tutor.qa import QA, load_qa, qa_files, read_qa_file
from tutor.readings import load_reading_list

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
READINGS = load_reading_list(CORPUS)
NOTE_IDS = {n.id for n in find_note_files(CORPUS)}
PAIRS = load_qa(CORPUS)
MIN_PER_FILE = 8
_CJK = re.compile(r"[\u4e00-\u9fff]")


def pair_param(item: QA) -> object:
    return pytest.param(item, id=item.key)


def test_every_note_has_enough_questions_in_both_languages() -> None:
    counts = {(item.note, item.lang): 0 for item in PAIRS}
    for item in PAIRS:
        counts[(item.note, item.lang)] += 1
    missing = [
        f"{note} ({lang}: {counts.get((note, lang), 0)})"
        for note in sorted(NOTE_IDS)
        for lang in ("en", "zh")
        if counts.get((note, lang), 0) < MIN_PER_FILE
    ]
    assert not missing, f"notes with fewer than {MIN_PER_FILE} Q&A pairs: {', '.join(missing)}"


@pytest.mark.parametrize(
    ("lang", "path"), [pytest.param(lang, p, id=f"{lang}/{p.stem}") for lang, p in qa_files(CORPUS)]
)
def test_file_belongs_to_an_existing_note(lang: str, path: Path) -> None:
    parsed = read_qa_file(path, lang)
    assert parsed.note in NOTE_IDS


def assert_chinese(text: str, limit: int, said: int) -> None:
    """Written in Chinese, and short: Chinese characters plus English words at most `limit` (`said` is the aim)."""
    cjk = len(_CJK.findall(text))
    latin_words = len(re.findall(r"[A-Za-z][A-Za-z0-9'-]*", text))
    assert cjk + latin_words <= limit, f"{cjk} characters and {latin_words} words; keep it under {said}"
    assert cjk > 0.4 * len(re.sub(r"[\s\W\d]", "", text)), "a Chinese answer is written in Chinese"


@pytest.mark.parametrize("item", [pair_param(p) for p in PAIRS])
def test_answer_is_short_self_contained_and_in_its_language(item: QA) -> None:
    assert not re.search(r"\[\d+\]", item.a + item.deeper), "the tutor adds [n] markers itself"
    if item.lang == "en":
        assert len(item.a.split()) <= 90, f"{len(item.a.split())} words; keep the direct answer under 80"
        assert not _CJK.search(item.q)
    else:
        assert_chinese(item.a, limit=180, said=160)
        assert _CJK.search(item.q)


_SYMBOLS = re.compile(r"[=√Σ∑∏∂^$≤≥×·]|\b[a-zA-Z]_\{?[a-zA-Z0-9]|\\[a-z]+")


@pytest.mark.parametrize("item", [pair_param(p) for p in PAIRS if p.plain])
def test_plain_answer_is_short_symbol_free_and_differs_from_the_answer(item: QA) -> None:
    assert item.plain.strip() != item.a.strip(), "plain is the beginner's version: write it differently"
    assert not _SYMBOLS.search(item.plain), f"no symbols for a beginner: {_SYMBOLS.search(item.plain)}"
    assert not re.search(r"\[\d+\]", item.plain)
    if item.lang == "en":
        assert len(item.plain.split()) <= 60, f"{len(item.plain.split())} words; a beginner's answer stays under 60"
        assert not _CJK.search(item.plain)
    else:
        assert_chinese(item.plain, limit=130, said=120)


@pytest.mark.parametrize("item", [pair_param(p) for p in PAIRS])
def test_source_points_to_a_reading_or_note(item: QA) -> None:
    for pointer in [item.source, *item.more]:
        assert pointer.id in READINGS.by_id or pointer.id in NOTE_IDS, pointer.id


def test_ids_are_unique_across_the_corpus() -> None:
    keys = [p.key for p in PAIRS]
    assert len(keys) == len(set(keys))


def test_a_broken_file_is_reported_with_its_path(tmp_path: Path) -> None:
    (tmp_path / "qa" / "en").mkdir(parents=True)
    bad = tmp_path / "qa" / "en" / "softmax.toml"
    bad.write_text('note = "note-softmax"\n[[qa]]\nid = "x"\nq = "What is it?"\n', encoding="utf-8")
    with pytest.raises(ConfigError, match=r"softmax\.toml does not match the Q&A schema"):
        load_qa(tmp_path)


# ------------------------------------------------------------------ against the real readings


def _local_copy(reading_id: str) -> Path | None:
    for name in (f"{reading_id}.pdf", f"{reading_id}.rst", f"{reading_id}-prose.md"):
        if (READINGS_RAW / name).is_file():
            return READINGS_RAW / name
    return None


@cache
def _sections(path: Path) -> dict[str, set[int]]:
    fmt = {".pdf": "pdf", ".rst": "rst", ".md": "md"}[path.suffix]
    pages: dict[str, set[int]] = {}
    for block in load_file(path, fmt, 0.85).blocks:
        pages.setdefault(block.section, set()).add(block.page)
    return pages


@pytest.mark.readings
@pytest.mark.skipif(not READINGS_RAW.is_dir(), reason="../shared/readings/raw is not here")
def test_sources_name_sections_and_pages_as_tutor_extracts_them() -> None:
    """Every source in a reading we have a copy of names a section tutor finds, on a page where it runs."""
    wrong = []
    for item in PAIRS:
        for pointer in [item.source, *item.more]:
            path = _local_copy(pointer.id)
            if path is None or pointer.id == "friedman2001-gbm":  # no text layer without OCR
                continue
            pages = _sections(path)
            if pointer.section not in pages:
                wrong.append(f"{item.key}: no section {pointer.section!r} in {path.name}")
            elif (
                pointer.page is not None
                and pages[pointer.section] != {0}
                and pointer.page not in pages[pointer.section]
            ):
                wrong.append(f"{item.key}: {pointer.section!r} is on pages {sorted(pages[pointer.section])}")
    assert not wrong, "\n".join(wrong[:40])


def test_the_direct_answer_differs_by_level_for_nine_pairs_in_ten() -> None:
    """Beginners get the plain answer, intermediate learners the answer, experts the deeper detail too."""
    differs = [p for p in PAIRS if p.answer_at("beginner") != p.answer_at("intermediate")]
    assert len(differs) >= 0.9 * len(PAIRS), f"{len(differs)} of {len(PAIRS)} pairs differ between levels"
