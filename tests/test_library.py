"""Fetching against a real HTTP server on 127.0.0.1, and importing local files."""

from __future__ import annotations

import random
import string
from pathlib import Path

import pytest
from fileserver import Routes, closed_port, serve
from pdfs import LOREM, paper_pdf

from tutor.config import Settings
from tutor.errors import LibraryError
from tutor.library import add_file, fetch_all
from tutor.readings import ReadingList


@pytest.fixture
def vaswani_pdf(tmp_path: Path) -> bytes:
    """A few hundred KB of text that does not compress away, so a download takes many reads."""
    rng = random.Random(7)
    words = " ".join(
        "".join(rng.choice(string.ascii_lowercase) for _ in range(rng.randint(2, 9))) for _ in range(60000)
    )
    path = paper_pdf(
        tmp_path / "v.pdf",
        "Attention Is All You Need",
        [("1 Introduction", LOREM * 30), ("3 Model Architecture", words)],
    )
    return path.read_bytes()


def test_fetch_downloads_the_open_reading_and_checks_its_title(
    settings: Settings, readings: ReadingList, vaswani_pdf: bytes
) -> None:
    routes = Routes(files={"/pdf/1706.03762v5": vaswani_pdf})
    with serve(routes) as url:
        settings.fetch.mirror = url
        [result] = fetch_all(settings, readings, ["vaswani2017-attention"])
    assert result.status == "downloaded"
    assert (settings.library_dir / "vaswani2017-attention.pdf").read_bytes() == vaswani_pdf


def test_fetch_refuses_a_file_that_is_not_the_reading(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    wrong = paper_pdf(tmp_path / "w.pdf", "A Completely Different Paper", [("1 Introduction", LOREM)]).read_bytes()
    with serve(Routes(files={"/pdf/1706.03762v5": wrong})) as url:
        settings.fetch.mirror = url
        [result] = fetch_all(settings, readings, ["vaswani2017-attention"])
    assert result.status == "failed"
    assert "not the expected document" in result.message and "Attention Is All You Need" in result.message
    assert not list(settings.library_dir.iterdir()), "nothing wrong is left in the library"


def test_fetch_resumes_after_a_dropped_connection(
    settings: Settings, readings: ReadingList, vaswani_pdf: bytes
) -> None:
    half = len(vaswani_pdf) // 2
    routes = Routes(files={"/pdf/1706.03762v5": vaswani_pdf}, drop_after={"/pdf/1706.03762v5": half})
    with serve(routes) as url:
        settings.fetch.mirror = url
        [result] = fetch_all(settings, readings, ["vaswani2017-attention"])
    assert result.status == "downloaded"
    assert (settings.library_dir / "vaswani2017-attention.pdf").read_bytes() == vaswani_pdf
    path, resume_from = routes.requests[1]
    assert resume_from is not None, "the second request asked for the rest with Range"
    assert 0 < int(resume_from.removeprefix("bytes=").rstrip("-")) <= half


def test_fetch_offline_says_what_is_missing_and_how_to_add_it(settings: Settings, readings: ReadingList) -> None:
    settings.fetch.mirror = closed_port()
    settings.fetch.retries = 0
    results = {r.reading_id: r for r in fetch_all(settings, readings, ["he2015-resnet", "zhou2016-ml-book"])}
    assert results["he2015-resnet"].status == "failed"
    assert "tutor add FILE --as he2015-resnet" in results["he2015-resnet"].message
    assert results["zhou2016-ml-book"].status == "not-open"


def test_fetch_skips_readings_already_in_the_library(
    settings: Settings, readings: ReadingList, vaswani_pdf: bytes
) -> None:
    routes = Routes(files={"/pdf/1706.03762v5": vaswani_pdf})
    with serve(routes) as url:
        settings.fetch.mirror = url
        list(fetch_all(settings, readings, ["vaswani2017-attention"]))
        [again] = fetch_all(settings, readings, ["vaswani2017-attention"])
    assert again.status == "present"
    assert len(routes.requests) == 1


def test_add_recognises_a_reading_by_its_title(settings: Settings, readings: ReadingList, tmp_path: Path) -> None:
    pdf = paper_pdf(tmp_path / "1512.03385.pdf", "Deep Residual Learning for Image Recognition", [("1. Intro", LOREM)])
    result = add_file(settings, readings, pdf)
    assert (result.doc_id, result.status) == ("he2015-resnet", "added")
    assert add_file(settings, readings, pdf).status == "unchanged"


def test_add_unknown_document_keeps_it_as_the_learners_own(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    notes = tmp_path / "My Lecture Notes.md"
    notes.write_text("# Lecture 3\nKV caches trade memory for recomputation.\n", encoding="utf-8")
    assert add_file(settings, readings, notes).doc_id == "user-my-lecture-notes"


def test_add_as_the_wrong_reading_is_refused_unless_forced(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    pdf = paper_pdf(tmp_path / "x.pdf", "Something Else Entirely", [("1 Intro", LOREM)])
    with pytest.raises(LibraryError, match="does not look like he2015-resnet.*--force"):
        add_file(settings, readings, pdf, as_id="he2015-resnet")
    assert add_file(settings, readings, pdf, as_id="he2015-resnet", force=True).doc_id == "he2015-resnet"


@pytest.mark.parametrize(
    ("name", "message"),
    [
        pytest.param("missing.pdf", "no such file", id="missing"),
        pytest.param("slides.pptx", "unsupported file type .pptx", id="unsupported"),
    ],
)
def test_add_bad_paths_are_clear_errors(
    settings: Settings, readings: ReadingList, tmp_path: Path, name: str, message: str
) -> None:
    path = tmp_path / name
    if name.endswith(".pptx"):
        path.write_bytes(b"PK")
    with pytest.raises(LibraryError, match=message):
        add_file(settings, readings, path)


def test_fetch_gives_up_quickly_when_offline(settings: Settings, readings: ReadingList) -> None:
    settings.fetch.mirror = closed_port()
    settings.fetch.retries = 0
    results = list(fetch_all(settings, readings))
    open_ones = [r for r in results if r.status != "not-open"]
    assert all(r.status == "failed" for r in open_ones)
    skipped = [r for r in open_ones if r.message.startswith("skipped (offline)")]
    assert len(skipped) == len(open_ones) - 2, "after two unreachable hosts the rest are not attempted"
