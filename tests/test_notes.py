"""The study notes and the glossary are data: validate them like code."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from tutor.config import Settings
from tutor.glossary import load_glossary
from tutor.notes import LANGS, SECTION_HEADINGS, NoteFile, find_note_files
from tutor.readings import ReadingList

CORPUS = Path(__file__).resolve().parent.parent / "corpus"
NOTES = find_note_files(CORPUS)
BY_KEY = {(n.id, n.lang): n for n in NOTES}
IDS = sorted({n.id for n in NOTES})
GLOSSARY = load_glossary(CORPUS)

# Every concept the reading path touches (issue 3), as the note that must explain it.
REQUIRED = [
    "note-orientation",
    "note-model-evaluation",
    "note-decision-trees",
    "note-neural-networks",
    "note-backpropagation",
    "note-gradient-boosting",
    "note-xgboost",
    "note-residual-connections",
    "note-boosting-vs-resnet",
    "note-seq2seq",
    "note-bahdanau-attention",
    "note-factorization-machines",
    "note-neural-turing-machines",
    "note-scaled-dot-product-attention",
    "note-attention-as-memory",
    "note-multi-head-attention",
    "note-transformer-block",
    "note-pretraining-finetuning",
    "note-bert-vs-gpt",
    "note-decoder-only",
    "note-scaling-in-context-learning",
    "note-code-models",
    "note-softmax",
    "note-positional-encoding",
    "note-word2vec",
    "note-efficient-inference",
    "note-cnns",
    "note-reinforcement-learning",
    "note-gans",
    # Added with the answer-first cards (issue 8): the concepts learners asked about that no note covered.
    "note-kv-cache",
    "note-batching-paged-memory",
    "note-speculative-decoding",
    "note-quantization",
    "note-humaneval-pass-at-k",
    "note-next-sentence-prediction",
    "note-webtext-zero-shot",
    "note-byte-level-bpe",
    "note-cbow-skip-gram",
    "note-negative-sampling",
    "note-hierarchical-softmax",
    "note-subsampling-frequent-words",
    "note-attention-masking-complexity",
    "note-layer-normalization",
    "note-transformer-training",
    "note-xgboost-split-finding",
    "note-boosting-loss-functions",
]


def note_param(n: NoteFile) -> object:
    return pytest.param(n, id=f"{n.id}.{n.lang}")


@pytest.mark.parametrize("note_id", REQUIRED)
def test_every_concept_on_the_path_has_a_note_in_both_languages(note_id: str) -> None:
    for lang in LANGS:
        assert (note_id, lang) in BY_KEY, f"{note_id} missing in {lang}"


@pytest.mark.parametrize("note", [note_param(n) for n in NOTES])
def test_note_has_every_section_filled(note: NoteFile) -> None:
    assert note.path.stem == note.id.removeprefix("note-")
    assert set(note.sections) == set(SECTION_HEADINGS[note.lang].values())
    shortest = {"en": 40, "zh": 15}[note.lang]  # Chinese says as much in fewer characters
    for key, text in note.sections.items():
        assert len(text) > shortest, f"{key} is too thin"


@pytest.mark.parametrize("note", [note_param(n) for n in NOTES])
def test_levels_are_written_for_their_audience(note: NoteFile) -> None:
    assert "=" not in note.sections["beginner"], "beginner level has no equations"
    assert "=" in note.sections["intermediate"], "intermediate level states the key equation"
    assert len(note.sections["expert"]) > {"en": 250, "zh": 100}[note.lang], "expert level goes into detail"


_ANALOGY_CUES = {
    "en": ("like", "think of", "as if", "imagine", "analogous"),
    "zh": ("就像", "好比", "类似于", "可以看成", "想象"),
}


@pytest.mark.parametrize("note", [note_param(n) for n in NOTES])
def test_the_systems_analogy_is_one_plain_paragraph_that_says_it_is_an_analogy(note: NoteFile) -> None:
    """What a persona's or an analogy request gets (issue 17): no equations, one paragraph, a cue in its first
    sentence so the learner reads it as a comparison, not a claim about the hardware."""
    text = note.sections["analogy"]
    assert "\n" not in text and "=" not in text and not re.search(r"\[\d+\]", text)
    first = re.split(r"(?<=[.!?。！？])\s*", text)[0].lower()
    assert any(cue in first for cue in _ANALOGY_CUES[note.lang]), first


@pytest.mark.parametrize("note", [note_param(n) for n in NOTES if n.lang == "zh"])
def test_chinese_notes_are_written_in_chinese(note: NoteFile) -> None:
    text = " ".join(note.sections.values())  # formulas are Latin; the prose around them must be Chinese
    cjk = len(re.findall(r"[\u4e00-\u9fff]", text))
    assert cjk > 0.3 * len(re.sub(r"\s", "", text))


@pytest.mark.parametrize("note_id", IDS)
def test_front_matter_agrees_across_languages_and_resolves(note_id: str, readings: ReadingList) -> None:
    en, zh = BY_KEY[(note_id, "en")], BY_KEY[(note_id, "zh")]
    for key in ("stage", "readings", "prerequisites", "terms", "title_en", "title_zh"):
        assert en.front[key] == zh.front[key], key
    assert en.stage in {s.id for s in readings.stages}
    for pointer in en.readings:
        reading = readings.get(pointer["id"])
        assert pointer["section"], "point to a section"
        if "page" in pointer and reading.format == "pdf":
            assert pointer["page"] >= 1
    for prerequisite in en.prerequisites:
        assert prerequisite in IDS
    glossary_keys = {t.key for t in GLOSSARY.terms}
    assert set(en.terms) <= glossary_keys, set(en.terms) - glossary_keys


def test_prerequisites_form_no_cycle() -> None:
    graph = {i: BY_KEY[(i, "en")].prerequisites for i in IDS}
    state: dict[str, str] = {}

    def visit(node: str, path: list[str]) -> None:
        if state.get(node) == "done":
            return
        assert state.get(node) != "active", " → ".join([*path, node])
        state[node] = "active"
        for nxt in graph[node]:
            visit(nxt, [*path, node])
        state[node] = "done"

    for node in IDS:
        visit(node, [])


def test_glossary_is_large_bilingual_and_points_to_existing_notes() -> None:
    terms = GLOSSARY.terms
    assert len(terms) >= 150
    assert len({t.key for t in terms}) == len(terms)
    for t in terms:
        assert t.en and t.zh and t.def_en and t.def_zh, t.key
        assert t.note in IDS, f"{t.key} → {t.note}"


@pytest.mark.parametrize(
    ("question", "expected"),
    [
        pytest.param("注意力机制是什么？", "attention", id="zh-attention"),
        pytest.param("残差连接", "residual-connection", id="zh-residual"),
        pytest.param("梯度提升树怎么训练", "gradient-boosting", id="zh-gbdt"),
        pytest.param("完形填空", "cloze", id="zh-cloze"),
        pytest.param("为什么除以根号 d", "sqrt-dk", id="zh-spaced"),
        pytest.param("How does backprop work?", "backpropagation", id="en-variant"),
    ],
)
def test_glossary_carries_chinese_and_variant_terms_to_english(question: str, expected: str) -> None:
    assert expected in [t.key for t in GLOSSARY.terms_in(question)]


def test_the_path_has_at_least_45_concepts() -> None:
    assert len(IDS) >= 45 and set(REQUIRED) <= set(IDS)


@pytest.mark.slow
def test_each_note_is_found_first_by_its_title(settings: Settings, readings: ReadingList, embeddings: object) -> None:
    """Ingest the real notes and ask for each note's title, in each language: the answer is about that note."""
    from tutor.answer import Tutor
    from tutor.ingest import ingest
    from tutor.store import Store

    store = Store(settings, embeddings)  # type: ignore[arg-type]
    ingest(settings, readings, store)
    tutor = Tutor.from_settings(settings, store, backend="extractive")
    misses = []
    for note in NOTES:
        found = tutor.selector.select(note.title, lang=note.lang)
        if found.concept != note.id:
            misses.append(f"{note.lang}: {note.title!r} → {found.concept}")
    assert not misses, misses
