"""Fetching against a real HTTP server on 127.0.0.1, and importing local files."""

from __future__ import annotations

import os
import random
import re
import string
from collections.abc import Callable
from pathlib import Path

import pytest
from click.testing import CliRunner, Result
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
    result = add_file(settings, readings, notes)
    assert re.fullmatch(r"user-my-lecture-notes-[0-9a-f]{8}", result.doc_id)
    assert (settings.library_dir / f"{result.doc_id}.md").read_bytes() == notes.read_bytes()


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


# ------------------------------------------------------------------------------------------ add never destroys


def tutor_cli(*args: str, env: dict[str, str | None] | None = None) -> Result:
    """The real `tutor` command in-process, as a user sees it: friendly errors, a wide terminal."""
    from tutor.cli import main

    full_env: dict[str, str | None] = {"COLUMNS": "400"} | (env or {})
    return CliRunner().invoke(main, list(args), env=full_env)


def said(result: Result) -> str:
    """Everything the command printed, with line wrapping undone."""
    return " ".join((result.stdout + result.stderr).split())


@pytest.fixture
def attention_pdf(tmp_path: Path) -> Path:
    return paper_pdf(
        tmp_path / "1706.03762v5.pdf",
        "Attention Is All You Need",
        [("1 Introduction", LOREM * 40), ("3 Model Architecture", LOREM * 40)],
    )


def test_notes_titled_like_a_paper_never_replace_the_paper(
    settings: Settings, attention_pdf: Path, tmp_path: Path
) -> None:
    """Issue 9: a 3-line note titled "My study notes on Attention Is All You Need" deleted the paper."""
    assert tutor_cli("add", str(attention_pdf)).exit_code == 0
    paper = settings.library_dir / "vaswani2017-attention.pdf"
    original = paper.read_bytes()
    notes = tmp_path / "my transformer notes.md"
    notes.write_text("# My study notes on Attention Is All You Need\n\nQ, K and V are projections.\n", "utf-8")

    added = tutor_cli("add", str(notes))
    assert added.exit_code == 0, said(added)
    assert "added as your own document" in said(added)
    assert "replaced" not in said(added)
    assert paper.read_bytes() == original
    [own] = settings.library_dir.glob("user-my-transformer-notes-*.md")
    assert own.read_bytes() == notes.read_bytes()

    for extra in ([], ["--force"]):
        refused = tutor_cli("add", str(notes), "--as", "vaswani2017-attention", *extra)
        assert refused.exit_code == 1
        assert "only replaced by the same kind of document" in said(refused), said(refused)
        assert paper.read_bytes() == original


def test_a_recognised_paper_does_not_replace_a_different_file_of_that_reading(
    settings: Settings, attention_pdf: Path, tmp_path: Path
) -> None:
    assert tutor_cli("add", str(attention_pdf)).exit_code == 0
    paper = settings.library_dir / "vaswani2017-attention.pdf"
    original = paper.read_bytes()
    other = paper_pdf(tmp_path / "attention-v2.pdf", "Attention Is All You Need", [("1 Introduction", LOREM * 3)])

    done = tutor_cli("add", str(other))
    assert done.exit_code == 0
    assert "skipped" in said(done) and "--as vaswani2017-attention --force" in said(done)
    assert paper.read_bytes() == original
    assert sorted(p.name for p in settings.library_dir.iterdir()) == ["vaswani2017-attention.pdf"]


def test_replacing_a_reading_needs_force_and_keeps_the_old_file_as_a_backup(
    settings: Settings, readings: ReadingList, attention_pdf: Path, tmp_path: Path
) -> None:
    add_file(settings, readings, attention_pdf)
    paper = settings.library_dir / "vaswani2017-attention.pdf"
    original = paper.read_bytes()
    newer = paper_pdf(tmp_path / "newer.pdf", "Attention Is All You Need", [("1 Introduction", LOREM * 5)])

    with pytest.raises(LibraryError, match="differs from it. Add --force to replace it"):
        add_file(settings, readings, newer, as_id="vaswani2017-attention")
    assert paper.read_bytes() == original

    result = add_file(settings, readings, newer, as_id="vaswani2017-attention", force=True)
    assert result.status == "replaced"
    assert paper.read_bytes() == newer.read_bytes()
    assert result.backup is not None and result.backup.read_bytes() == original
    assert str(result.backup) in result.note
    assert add_file(settings, readings, newer, as_id="vaswani2017-attention").status == "unchanged"


def test_two_chinese_file_names_get_their_own_documents(settings: Settings, tmp_path: Path) -> None:
    """Issue 9: 注意力.md then 残差.md: the second replaced the first (both were `user-document`)."""
    attention = tmp_path / "注意力.md"
    attention.write_text("# 注意力\n\n注意力是一种加权求和。\n", "utf-8")
    residual = tmp_path / "残差.md"
    residual.write_text("# 残差\n\n残差连接让梯度直接回传。\n", "utf-8")
    mixed = tmp_path / "my notes 注意力 ü.md"
    mixed.write_text("# notes\n\nsoftmax of scaled scores\n", "utf-8")

    for path in (attention, residual, mixed):
        done = tutor_cli("add", str(path))
        assert done.exit_code == 0, said(done)
    names = sorted(p.name for p in settings.library_dir.iterdir() if p.is_file())
    assert len(names) == 3
    assert any(re.fullmatch(r"user-注意力-[0-9a-f]{8}\.md", n) for n in names), names
    assert any(re.fullmatch(r"user-残差-[0-9a-f]{8}\.md", n) for n in names), names
    assert any(re.fullmatch(r"user-my-notes-注意力-ü-[0-9a-f]{8}\.md", n) for n in names), names
    contents = {(settings.library_dir / n).read_text("utf-8") for n in names}
    assert contents == {p.read_text("utf-8") for p in (attention, residual, mixed)}


def test_same_content_twice_is_a_no_op_and_new_content_never_overwrites(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    notes = tmp_path / "kv.md"
    notes.write_text("# KV cache\n\nKeys and values of earlier tokens are kept.\n", "utf-8")
    first = add_file(settings, readings, notes)
    again = add_file(settings, readings, notes)
    assert (again.status, again.doc_id) == ("unchanged", first.doc_id)
    copy = tmp_path / "copy of kv.md"
    copy.write_bytes(notes.read_bytes())
    assert add_file(settings, readings, copy).doc_id == first.doc_id, "same bytes under another name: no-op"

    notes.write_text("# KV cache\n\nKeys and values of earlier tokens are kept, per layer.\n", "utf-8")
    changed = add_file(settings, readings, notes)
    assert changed.status == "added" and changed.doc_id != first.doc_id
    assert changed.doc_id.startswith("user-kv-")
    assert len(list(settings.library_dir.glob("user-kv-*.md"))) == 2, "the earlier version is still there"


@pytest.mark.parametrize(
    ("make", "message"),
    [
        pytest.param(lambda d: Path("/dev/zero"), "is a device, not a document", id="dev-zero"),
        pytest.param(lambda d: d, "is a directory; pass the files inside it", id="directory"),
        pytest.param(lambda d: _loop(d), "is a symbolic link loop", id="symlink-loop"),
        pytest.param(lambda d: _dangling(d), "is a broken symbolic link", id="dangling-symlink"),
        pytest.param(lambda d: _fifo(d), "is a pipe or socket", id="fifo"),
        pytest.param(lambda d: d / "nope.md", "no such file", id="missing"),
    ],
)
def test_special_paths_each_get_the_right_message(
    settings: Settings, tmp_path: Path, make: Callable[[Path], Path], message: str
) -> None:
    folder = tmp_path / "in"
    folder.mkdir()
    path = make(folder)
    done = tutor_cli("add", str(path))
    assert done.exit_code == 1
    assert message in said(done), said(done)
    assert "Traceback" not in said(done)


def _loop(folder: Path) -> Path:
    (folder / "a.md").symlink_to(folder / "b.md")
    (folder / "b.md").symlink_to(folder / "a.md")
    return folder / "a.md"


def _dangling(folder: Path) -> Path:
    (folder / "gone.md").symlink_to(folder / "never-existed.md")
    return folder / "gone.md"


def _fifo(folder: Path) -> Path:
    os.mkfifo(folder / "pipe.md")
    return folder / "pipe.md"


def test_an_oversized_file_is_refused_with_an_estimate_unless_forced(settings: Settings, tmp_path: Path) -> None:
    """Issue 9: a 200 MB text file was accepted in 0.6 s and would have taken over half an hour to index."""
    huge = tmp_path / "dump.txt"
    with huge.open("wb") as f:
        f.truncate(200_000_000)  # sparse: 200 MB by size, nothing on disk
    done = tutor_cli("add", str(huge))
    assert done.exit_code == 1
    text = said(done)
    assert "dump.txt is 200 MB; the limit for text files is 20 MB (TUTOR_LIBRARY_MAX_TEXT_MB)" in text
    assert re.search(r"would take about \d+(\.\d)? (minutes|hours)", text), text
    assert "--force" in text
    assert not settings.library_dir.exists() or not any(settings.library_dir.iterdir())

    big = tmp_path / "big.md"
    big.write_text(("Attention weights are a softmax over scaled scores. " * 20 + "\n\n") * 1400, "utf-8")  # ~1.5 MB
    env = {"TUTOR_LIBRARY_MAX_TEXT_MB": "1", "TUTOR_LIBRARY_WARN_SECONDS": "5"}
    assert "the limit for text files is 1 MB" in said(tutor_cli("add", str(big), env=env))
    forced = tutor_cli("add", str(big), "--force", env=env)
    assert forced.exit_code == 0, said(forced)
    assert re.search(r"big.md is large \(1.5 MB\): `tutor ingest` will take about \d+ seconds", said(forced))


def test_remove_is_the_only_delete_and_says_what_it_deleted(
    settings: Settings, readings: ReadingList, attention_pdf: Path, tmp_path: Path
) -> None:
    add_file(settings, readings, attention_pdf)
    newer = paper_pdf(tmp_path / "newer.pdf", "Attention Is All You Need", [("1 Introduction", LOREM * 5)])
    backup = add_file(settings, readings, newer, as_id="vaswani2017-attention", force=True).backup
    assert backup is not None

    done = tutor_cli("remove", "vaswani2017-attention")
    assert done.exit_code == 0, said(done)
    text = said(done)
    assert f"deleted {settings.library_dir / 'vaswani2017-attention.pdf'}" in text
    assert f"deleted {backup}" in text
    assert "removed vaswani2017-attention: 2 file(s)" in text and "tutor ingest" in text
    assert not list(settings.library_dir.rglob("*.pdf*"))

    missing = tutor_cli("remove", "vaswani2017-atention")
    assert missing.exit_code == 1 and "is not in the library" in said(missing)


# ------------------------------------------------------------------------------------------ debug setting


def test_debug_in_tutor_toml_shows_the_traceback(settings: Settings, tmp_path: Path) -> None:
    """Issue 14: `debug` in tutor.toml was ignored (cli.py read TUTOR_DEBUG itself)."""
    (tmp_path / "tutor.toml").write_text("debug = true\n", "utf-8")
    done = tutor_cli("remove", "not-there")
    assert isinstance(done.exception, LibraryError), "debug on: the error propagates with its traceback"


@pytest.mark.parametrize("value", ["False", "false", "0"])
def test_tutor_debug_false_means_off(settings: Settings, value: str) -> None:
    """Issue 14: TUTOR_DEBUG=False turned debug on."""
    done = tutor_cli("remove", "not-there", env={"TUTOR_DEBUG": value})
    assert done.exit_code == 1 and isinstance(done.exception, SystemExit)
    assert "not-there is not in the library" in said(done)


def test_tutor_debug_true_shows_the_traceback(settings: Settings) -> None:
    done = tutor_cli("remove", "not-there", env={"TUTOR_DEBUG": "1"})
    assert isinstance(done.exception, LibraryError)


def test_own_documents_have_a_readable_title_without_the_hash() -> None:
    from tutor.library import own_title, user_doc_id

    assert own_title(user_doc_id("my notes 注意力 ü.md", "0123456789abcdef")) == "my notes 注意力 ü"
    assert own_title("user-my-lecture-notes") == "my lecture notes", "ids from before the hash suffix"


def test_an_own_document_that_opens_with_a_heading_is_titled_by_it(tmp_path: Path) -> None:
    from tutor.library import own_title

    notes = tmp_path / "ab-shiyan-guifan.md"
    notes.write_text("\n# 推荐排序模型线上 A/B 实验规范（团队笔记）\n\n维护：推荐算法组。\n", encoding="utf-8")
    assert own_title("user-ab-shiyan-guifan-0123abcd", notes) == "推荐排序模型线上 A/B 实验规范（团队笔记）"
    plain = tmp_path / "rm-notes.txt"
    plain.write_text("Reward model notes, March run.\n\n# Setup\n", encoding="utf-8")
    assert own_title("user-rm-notes-0123abcd", plain) == "rm notes", "no opening heading: the file name"
    scan = tmp_path / "chapter.pdf"
    scan.write_bytes(b"%PDF-1.4\n")
    assert own_title("user-chapter-0123abcd", scan) == "chapter"


@pytest.mark.parametrize(
    ("opening", "title"),
    [
        ("· 86 ·        统计学习基础教程\n第 6 章   支 持 向 量 机\n6.1  间隔与支持向量\n", "第 6 章 支持向量机"),
        ("                第13章  半监督学习          293\n13.1  未标记样本\n", "第13章 半监督学习"),
        ("214    CHAPTER 6. LEARNING FROM SKEWED CLASSES\n6.3  Skew\n", "CHAPTER 6. LEARNING FROM SKEWED CLASSES"),
        ("第七章  随机森林\n7.1  从一棵树到一片森林\n", "第七章 随机森林"),
        # prose that mentions a chapter is not a heading, nor is a sentence that starts with one
        ("在第3章中，我们采用预排序的方法。\n第3章讲过的预排序太慢，所以本章先把特征分桶。\n", "suiji senlin"),
        ("Notes from the reading group.\nChapter 3 of the book says to scale the inputs first.\n", "suiji senlin"),
    ],
)
def test_a_scanned_chapter_is_titled_by_its_chapter_heading(tmp_path: Path, opening: str, title: str) -> None:
    from tutor.library import own_title

    scan = tmp_path / "suiji-senlin.scan.txt"
    scan.write_text(opening + "正文。\n" * 5, encoding="utf-8")
    assert own_title("user-suiji-senlin-0123abcd", scan) == title


# ------------------------------------------------------------------------------------------ issue 19


def test_a_symlink_out_of_its_folder_is_refused_unless_followed(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    """Issue 19: `tutor add` followed a link to /etc/passwd; it became a document served at /library/<id>."""
    folder = tmp_path / "papers"
    folder.mkdir()
    outside = tmp_path / "secret.txt"
    outside.write_text("root:x:0:0:root:/root:/bin/bash\n", encoding="utf-8")
    link = folder / "notes.txt"
    link.symlink_to(outside)
    refused = tutor_cli("add", str(link))
    assert refused.exit_code != 0 and "outside its folder" in said(refused) and "--follow-symlinks" in said(refused)
    assert not settings.library_dir.exists() or not any(settings.library_dir.glob("user-*"))
    (folder / "real.txt").write_text("KV caches trade memory for recomputation.\n", encoding="utf-8")
    inside = folder / "alias.txt"
    inside.symlink_to(folder / "real.txt")
    assert add_file(settings, readings, inside).status == "added", "a link inside its folder is fine"
    followed = tutor_cli("add", str(link), "--follow-symlinks")
    assert followed.exit_code == 0 and "added" in said(followed)


@pytest.mark.parametrize(
    ("name", "content"),
    [
        pytest.param("empty.md", b"", id="zero-bytes"),
        pytest.param("blank.txt", b"  \n\t\n   ", id="blank-text"),
        pytest.param("empty.pdf", b"", id="zero-byte-pdf"),
    ],
)
def test_an_empty_document_is_refused(
    settings: Settings, readings: ReadingList, tmp_path: Path, name: str, content: bytes
) -> None:
    """Issue 19: a 0-byte .md was accepted."""
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(LibraryError, match="nothing in it to index"):
        add_file(settings, readings, path)
    assert not any(settings.library_dir.glob("user-*"))


def test_control_characters_in_a_name_are_printed_escaped_and_long_names_capped(
    settings: Settings, tmp_path: Path
) -> None:
    """Issue 19: ESC characters in file names were printed raw (a file name could drive the terminal)."""
    hostile = tmp_path / "evil\x1b[2J\x1b]0;pwned\x07.md"
    hostile.write_text("# Notes\nKV caches trade memory for recomputation.\n", encoding="utf-8")
    added = tutor_cli("add", str(hostile))
    assert added.exit_code == 0, said(added)
    assert "\x1b" not in added.output and "\x07" not in added.output and "\\x1b[2J" in added.output
    missing = tutor_cli("add", str(tmp_path / ("missing\x1b[31m" + "x" * 240 + ".pdf")))
    assert missing.exit_code != 0 and "\x1b" not in missing.output and "\\x1b[31m" in missing.output
    assert "x" * 200 not in said(missing) and "characters)" in said(missing)


def test_force_still_refuses_another_reading_and_another_kind(
    settings: Settings, readings: ReadingList, tmp_path: Path
) -> None:
    """Issue 19: `bahdanau.pdf --as he2015-resnet --force` was accepted."""
    bahdanau = paper_pdf(
        tmp_path / "bahdanau.pdf",
        "Neural Machine Translation by Jointly Learning to Align and Translate",
        [("1 Introduction", LOREM)],
    )
    with pytest.raises(LibraryError, match="is bahdanau2014-nmt .*not he2015-resnet.*--as bahdanau2014-nmt"):
        add_file(settings, readings, bahdanau, as_id="he2015-resnet", force=True)
    notes = tmp_path / "resnet-notes.md"
    notes.write_text("# My notes on residual blocks\nThe shortcut adds x.\n", encoding="utf-8")
    with pytest.raises(LibraryError, match="he2015-resnet is a pdf document and resnet-notes.md is a md file"):
        add_file(settings, readings, notes, as_id="he2015-resnet", force=True)
    assert not (settings.library_dir / "he2015-resnet.pdf").exists() and not any(settings.library_dir.glob("he2015*"))
    scan = paper_pdf(tmp_path / "scan.pdf", "Unreadable Title Page", [("1 Intro", LOREM)])
    assert add_file(settings, readings, scan, as_id="he2015-resnet", force=True).status == "added", (
        "a file whose title cannot be checked is still taken with --force"
    )


def test_the_last_backup_of_a_reading_stays_until_its_next_force(
    no_notes: Settings, readings: ReadingList, make_store: Callable[..., object], tmp_path: Path
) -> None:
    """Issue 19: the backup was deleted at the next ingest; a file that indexes cleanly can still be the wrong one."""
    from tutor.ingest import ingest
    from tutor.library import list_backups

    title = "Attention Is All You Need"
    first = paper_pdf(tmp_path / "first.pdf", title, [("1 Introduction", LOREM * 3)])
    second = paper_pdf(tmp_path / "second.pdf", title, [("1 Introduction", LOREM * 4)])
    third = paper_pdf(tmp_path / "third.pdf", title, [("1 Introduction", LOREM * 5)])
    add_file(no_notes, readings, first, as_id="vaswani2017-attention")
    add_file(no_notes, readings, second, as_id="vaswani2017-attention", force=True)
    ingest(no_notes, readings, make_store(no_notes))  # type: ignore[arg-type]
    [kept] = list_backups(no_notes, "vaswani2017-attention")
    assert kept.read_bytes() == first.read_bytes(), "the backup outlives a successful ingest"
    add_file(no_notes, readings, third, as_id="vaswani2017-attention", force=True)
    [kept] = list_backups(no_notes, "vaswani2017-attention")
    assert kept.read_bytes() == second.read_bytes(), "the next --force keeps only the file it replaced"
