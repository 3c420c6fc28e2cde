"""`tutor audit`: every citation written in the corpus checked against the reading it names."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import READINGS_RAW
from pdfs import LOREM, paper_pdf

from tutor.audit import AuditReport, audit, named, split_label, stated_numbers
from tutor.cli import main
from tutor.config import Settings
from tutor.errors import ConfigError
from tutor.qa import QAFile
from tutor.readings import load_reading_list

READING = "test2024-soft-memory"
SECTIONS = [
    ("1 Introduction", "The controller reads a memory of 128 rows and 20 columns. " + LOREM * 4),
    ("2 Reading Memory", "We trained ReadNet-7 on 4,000 sequences. " + LOREM * 4),
    ("2.1 Content Addressing", "Content addressing uses a sharpness of 0.37 for every head. " + LOREM * 4),
    ("3 Results", "ReadNet-7 reaches 91.3% accuracy on the copy task. " + LOREM * 4),
]  # one page each: the title and abstract on page 1, then pages 2, 3, 4 and 5

READINGS_TOML = f"""
[[stages]]
id = "further"
order = 1
title_en = "Further"
title_zh = "延伸"
summary_en = "s"
summary_zh = "s"

[[readings]]
id = "{READING}"
title = "Soft Memory Networks"
authors = ["A. Author"]
year = 2024
venue = "Test"
kind = "paper"
stage = "further"
url = "https://example.org/soft-memory"
licence = "test"
why_en = "w"
why_zh = "w"
sections = [{{ name = "2.1 Content Addressing", page = 4 }}, {{ name = "3 Results", page = 2 }}]

[[readings]]
id = "book2020-no-file"
title = "A Book Nobody Has Here"
authors = ["B. Author"]
year = 2020
venue = "Press"
kind = "book"
stage = "further"
url = "https://example.org/book"
licence = "test"
why_en = "w"
why_zh = "w"
sections = [{{ name = "Ch. 1 Memory" }}]
"""


def pair(pair_id: str, answer: str, section: str, page: int | None, extra: str = "") -> str:
    where = f", page = {page}" if page else ""
    return (
        f'[[qa]]\nid = "{pair_id}"\nq = "A question about soft memory?"\nkind = "what"\na = "{answer}"\n'
        f'source = {{ id = "{READING}", section = "{section}"{where} }}\n{extra}\n'
    )


QA_TOML = "\n".join(
    [
        'note = "note-soft-memory"\n',
        pair(
            "right",
            "Content addressing uses a sharpness of 0.37, and ReadNet-7 saw 4,000 sequences.",
            "2.1 Content Addressing",
            4,
        ),
        pair("fuzzy-label", "ReadNet-7 reaches 91.3% accuracy on the copy task.", "3. RESULTS", 5),
        pair("wrong-page", "ReadNet-7 reaches 91.3% accuracy on the copy task.", "3 Results", 2),
        pair("wrong-number", "ReadNet-7 reaches 93.1% accuracy on the copy task.", "3 Results", 5),
        pair("wrong-section", "Content addressing uses a sharpness of 0.37 per head.", "2.2 Location Addressing", 4),
        pair(
            "cut-off-label",
            "We trained ReadNet-7 on 4,000 sequences.",
            "2 Reading Memory. We trained ReadNet-7 on 4,000 sequences of",
            3,
        ),
        pair("wrong-name", "SuperNet-9 reaches 91.3% accuracy on the copy task.", "3 Results", 5),
        pair(
            "derived",
            "A memory of 128 rows and 20 columns holds 2,560 numbers.",
            "1 Introduction",
            2,
            'derived = ["2,560"]',
        ),
        pair(
            "book-too",
            "A memory of 128 rows holds 9,999 words, the book says.",
            "1 Introduction",
            2,
            'more = [{ id = "book2020-no-file", section = "Ch. 1 Memory" }]',
        ),
    ]
)

PRACTICE_TOML = f"""
note = "note-soft-memory"

[[mcq]]
id = "m1"
level = "beginner"
question = "How many rows has the memory?"
choices = ["128", "20"]
answer = "A"
explain = "The introduction says 128 rows."
why_wrong = {{ B = "That is the number of columns." }}
source = {{ id = "{READING}", section = "1 Introduction", page = 4 }}
"""

NOTE_MD = f"""+++
id = "note-soft-memory"
stage = "further"
title_en = "Soft memory"
title_zh = "软记忆"
readings = [
  {{ id = "{READING}", section = "2 Reading Memory", page = 3 }},
  {{ id = "{READING}", section = "9 Conclusion", page = 5 }},
]
+++

# Soft memory
"""


@pytest.fixture
def planted(tmp_path: Path, settings: Settings) -> tuple[Settings, Path]:
    """A generated reading and a corpus citing it, with a wrong page, number, section and name planted."""
    folder = tmp_path / "readings"
    folder.mkdir()
    paper_pdf(folder / f"{READING}.pdf", "Soft Memory Networks", SECTIONS)
    corpus = tmp_path / "corpus"
    for sub in ("qa/en", "practice/en", "notes/en"):
        (corpus / sub).mkdir(parents=True)
    (corpus / "readings.toml").write_text(READINGS_TOML, encoding="utf-8")
    (corpus / "glossary.toml").write_text("terms = []\n", encoding="utf-8")
    (corpus / "qa" / "en" / "soft-memory.toml").write_text(QA_TOML, encoding="utf-8")
    (corpus / "practice" / "en" / "soft-memory.toml").write_text(PRACTICE_TOML, encoding="utf-8")
    (corpus / "notes" / "en" / "soft-memory.md").write_text(NOTE_MD, encoding="utf-8")
    settings.data.corpus = corpus
    return settings, folder


def run(settings: Settings, folder: Path) -> AuditReport:
    return audit(settings, load_reading_list(settings.data.corpus), folder)


def test_planted_wrong_page_number_section_and_name_are_each_reported(planted: tuple[Settings, Path]) -> None:
    report = run(*planted)
    found = {(f.origin, f.check) for f in report.failures}
    assert found == {
        ("qa/en/soft-memory.toml#wrong-page", "page"),
        ("qa/en/soft-memory.toml#wrong-page", "number"),  # 91.3% is on p. 5, not on pp. 1-3
        ("qa/en/soft-memory.toml#wrong-number", "number"),
        ("qa/en/soft-memory.toml#wrong-section", "section"),
        ("qa/en/soft-memory.toml#cut-off-label", "section"),
        ("qa/en/soft-memory.toml#wrong-name", "name"),
        ("practice/en/soft-memory.toml#m1", "page"),
        ("notes/en/soft-memory.md", "section"),
        (f"readings.toml#{READING}", "page"),
    }
    details = {(f.origin.split("#")[-1], f.check): f.detail for f in report.failures}
    assert details["wrong-page", "page"] == "'3 Results' is on p. 5"
    assert details["wrong-number", "number"] == "number '93.1%' is not on test2024-soft-memory pp. 4–5"
    assert details["wrong-section", "section"] == "no such section among the 5 the reading has"
    assert "a sentence follows the title" in details["cut-off-label", "section"]
    assert details["wrong-name", "name"].startswith("name 'SuperNet-9'")


def test_derived_numbers_and_readings_without_a_file_are_not_failures(planted: tuple[Settings, Path]) -> None:
    report = run(*planted)
    assert report.derived == 1
    assert report.skipped == {"book2020-no-file": 2}  # the pair's pointer and the reading list's section
    assert report.unchecked_claims == 1  # "book-too": its 9,999 may come from the book
    assert report.readings == {READING: str(planted[1] / f"{READING}.pdf")}
    assert report.checked["section"] == 14 and report.checked["page"] == 14


def test_audit_command_prints_the_failures_and_exits_non_zero(planted: tuple[Settings, Path]) -> None:
    settings, folder = planted
    env = {"TUTOR_DATA_CORPUS": str(settings.data.corpus), "COLUMNS": "250"}
    result = CliRunner().invoke(main, ["audit", "--readings", str(folder), "--json"], env=env)
    assert result.exit_code == 1, result.output
    body = json.loads(result.stdout)
    assert body["counts"] == {"section": 3, "page": 3, "number": 2, "name": 1}
    assert body["skipped"] == {"book2020-no-file": 2}

    table = CliRunner().invoke(main, ["audit", "--readings", str(folder)], env=env)
    assert table.exit_code == 1
    assert "wrong-number" in table.stdout and "9 failure(s)" in table.stdout


def test_readings_are_found_by_id_in_the_library_when_no_folder_is_given(planted: tuple[Settings, Path]) -> None:
    settings, folder = planted
    settings.library_dir.mkdir(parents=True)
    (folder / f"{READING}.pdf").rename(settings.library_dir / f"{READING}.pdf")
    report = audit(settings, load_reading_list(settings.data.corpus))
    assert len(report.failures) == 9 and list(report.readings) == [READING]


@pytest.mark.parametrize(
    ("text", "checked"),
    [
        pytest.param("It reaches 28.4 BLEU after 3.5 days.", ["28.4", "3.5"], id="decimals"),
        pytest.param("GPT-2 and ResNet-34 in fp16 on an A100", [], id="parts-of-names"),
        pytest.param("Table 5 and Fig. 4 in §3.2 (Eq. 3), p. 10", [], id="references-into-the-paper"),
        pytest.param("Mikolov et al. (2013b) in 2017 used 8 GPUs", [], id="years-and-small-counts"),
        pytest.param("a 7 billion parameter model, 14 GB, 40% of it", ["7 billion", "14", "40%"], id="units"),
        pytest.param("七十亿参数，约 1.5 亿，三万多个", ["七十亿", "1.5 亿", "三万"], id="chinese-numerals"),
        pytest.param("330 亿亿次运算", [], id="read-only-in-part"),
        pytest.param("drops 30 percent", ["30"], id="percent-word"),
    ],
)
def test_which_numbers_an_answer_states(text: str, checked: list[str]) -> None:
    assert [n.literal for n in stated_numbers(text)] == checked


def test_a_percentage_in_words_matches_its_fraction() -> None:
    (number,) = stated_numbers("the big model drops 30 percent")
    assert 0.3 in number.values


@pytest.mark.parametrize(
    ("label", "parts"),
    [
        pytest.param("3.1 Decoder: General Description", ("3.1", "decoder general description"), id="arabic"),
        pytest.param("3.1. Residual Learning", ("3.1", "residual learning"), id="trailing-dot"),
        pytest.param("III.A Factorization Machine Model", ("iii.a", "factorization machine model"), id="roman"),
        pytest.param("Appendix A.1 Illustration", ("a.1", "illustration"), id="appendix"),
        pytest.param("Learn the tree structure", ("", "learn the tree structure"), id="unnumbered"),
        pytest.param("6.3 Classiﬁcation", ("6.3", "classification"), id="ligature"),
    ],
)
def test_section_labels_are_compared_on_number_and_title(label: str, parts: tuple[str, str]) -> None:
    assert split_label(label) == parts


def test_names_are_models_datasets_and_systems_not_glossary_terms_or_units() -> None:
    text = "FlexFlow-Serve beats vLLM on SQuAD with BERT and GPT-2; the KV cache takes 512 KiB on a GPU."
    assert named(text, {"kib", "gpu", "kv"}) == ["FlexFlow-Serve", "vLLM", "SQuAD", "BERT", "GPT-2"]


def test_a_derived_entry_must_be_a_number_written_in_the_answer() -> None:
    base = {"id": "x", "q": "How big is it?", "kind": "numbers", "a": "It holds 2,560 numbers in all."}
    source = {"id": READING, "section": "1 Introduction", "page": 2}
    QAFile.model_validate({"note": "note-x", "qa": [{**base, "source": source, "derived": ["2,560"]}]})
    for wrong in (["2,561"], ["many"]):
        with pytest.raises(ValueError, match="derived entry"):
            QAFile.model_validate({"note": "note-x", "qa": [{**base, "source": source, "derived": wrong}]})


def test_a_broken_audit_file_is_reported(planted: tuple[Settings, Path]) -> None:
    settings, folder = planted
    (settings.data.corpus / "audit.toml").write_text("not_names = [", encoding="utf-8")
    with pytest.raises(ConfigError, match="audit.toml is not valid TOML"):
        run(settings, folder)


@pytest.mark.readings
@pytest.mark.slow
@pytest.mark.skipif(not READINGS_RAW.is_dir(), reason="../shared/readings/raw is not here")
def test_every_citation_in_the_corpus_holds_on_the_real_readings(settings: Settings) -> None:
    """The corpus against the 16 real readings (Friedman's through OCR): no failure, none unread."""
    report = audit(settings, load_reading_list(settings.data.corpus), READINGS_RAW)
    assert len(report.readings) == 16 and not report.unreadable
    assert not report.failures, "\n".join(f"{f.origin} {f.check}: {f.detail}" for f in report.failures[:40])
    assert report.checked["section"] > 3000 and report.checked["number"] > 1500 and report.checked["name"] > 500
