"""Settings: the only place defaults live.

Built once at the edge (CLI or server start) and passed down. Environment variables use the
``TUTOR_`` prefix and one ``_`` between group and field, e.g. ``TUTOR_DATA_DIR``,
``TUTOR_CHROMA_URL``, ``TUTOR_LLM_BASE_URL``. An optional ``tutor.toml`` in the working directory
holds the same groups as TOML tables; environment variables win over it.
"""

from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent

Level = Literal["beginner", "intermediate", "expert"]
LEVELS: tuple[Level, ...] = ("beginner", "intermediate", "expert")


class _Group(BaseModel):
    model_config = ConfigDict(extra="forbid")


class DataSettings(_Group):
    dir: Path = Field(
        default=Path(".tutor"),
        description="Holds the library of files, the Chroma index and caches (relative to the working dir).",
    )
    corpus: Path = Field(
        default=PROJECT_ROOT / "corpus",
        description="Reading list, notes and glossary shipped with tutor.",
    )


class ChromaSettings(_Group):
    url: str | None = Field(
        default=None,
        description="URL of a Chroma server (http://host:port); unset means an embedded store in the data dir.",
    )
    collection: str = Field(default="tutor", description="Collection name prefix (the model key is appended).")


class EmbeddingSettings(_Group):
    model: Literal["use-multilingual", "minilm"] = Field(
        default="use-multilingual",
        description="use-multilingual: Google's multilingual USE v3 (English and Chinese in one space; "
        "chosen by measurement, see README). minilm: all-MiniLM-L6-v2 via sentence-transformers (English only).",
    )
    batch_size: int = Field(default=32, ge=1, description="Passages embedded per batch.")


class IngestSettings(_Group):
    chunk_size: int = Field(default=1000, ge=200, description="Target chunk length in characters.")
    chunk_overlap: int = Field(default=150, ge=0, description="Characters shared by neighbouring chunks.")
    min_text_quality: float = Field(
        default=0.85,
        ge=0,
        le=1,
        description="Share of readable characters below which a PDF page counts as having no text layer.",
    )
    keep_old_seconds: float = Field(
        default=60.0,
        ge=0,
        description="How long a replaced or removed document's old chunks stay in the index after the switch, "
        "so a server in the middle of a question still finds them; the next ingest deletes them.",
    )


class OcrSettings(_Group):
    enabled: bool = Field(
        default=True,
        description="OCR PDF pages that have no usable text layer (scans, bitmap fonts). Needs tesseract and "
        "poppler-utils; without them such pages are reported with the apt command and the rest is indexed.",
    )
    langs: str | None = Field(
        default=None,
        description="Tesseract languages joined by '+', e.g. 'eng' or 'chi_sim+eng'. Unset: a known reading "
        "in its own script (eng for English papers, chi_sim+eng for Chinese books), and your own documents in "
        "eng+chi_sim, narrowed to eng when the first OCRed page has no Chinese on it.",
    )
    jobs: int = Field(default=0, ge=0, description="Pages OCRed at once; 0 means one per CPU core.")
    dpi: int = Field(
        default=300, ge=100, le=600, description="Resolution pages are rendered at for OCR (tesseract reads 300 best)."
    )
    page_timeout: float = Field(
        default=180.0,
        gt=0,
        description="Seconds after which OCR of one page is abandoned; that page is reported and skipped.",
    )


class LibrarySettings(_Group):
    max_pdf_mb: float = Field(
        default=100.0,
        gt=0,
        description="Largest PDF `tutor add` accepts without --force, in MB (the largest reading is ~3 MB, "
        "a scanned textbook can be 60 MB).",
    )
    max_text_mb: float = Field(
        default=20.0,
        gt=0,
        description="Largest text file (md, rst, html, txt) `tutor add` accepts without --force, in MB.",
    )
    warn_seconds: float = Field(
        default=120.0,
        ge=0,
        description="`tutor add` warns with an estimate when indexing a file would take longer than this.",
    )


class FetchSettings(_Group):
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait on a stalled download.")
    retries: int = Field(default=3, ge=0, description="Times a dropped download is resumed before giving up.")
    mirror: str | None = Field(
        default=None,
        description="Base URL that replaces each reading's host (for a local mirror); unset fetches the originals.",
    )


class RetrievalSettings(_Group):
    k: int = Field(default=6, ge=1, le=20, description="Passages from the readings handed to the answer.")
    candidates: int = Field(default=40, ge=5, description="Candidates each retriever returns before fusion.")
    per_reading: int = Field(default=2, ge=1, description="At most this many passages from one reading.")
    rrf_k: int = Field(default=60, ge=1, description="Reciprocal-rank-fusion constant.")


class LlmSettings(_Group):
    backend: Literal["auto", "extractive", "openai", "local"] = Field(
        default="auto",
        description="extractive: offline study cards, no language model. openai: an OpenAI-compatible server. "
        "local: a GGUF model run in this process by llama-cpp-python (`make run-local`). "
        "auto: openai when TUTOR_LLM_BASE_URL is set, else extractive.",
    )
    base_url: str | None = Field(default=None, description="OpenAI-compatible endpoint, e.g. http://127.0.0.1:8080/v1.")
    model: str = Field(default="local-model", description="Model name the server expects.")
    api_key: str = Field(default="not-needed", description="API key; local servers usually ignore it.")
    timeout: float = Field(default=60.0, gt=0, description="Seconds before a request to the server is abandoned.")
    temperature: float = Field(default=0.2, ge=0, le=2, description="Sampling temperature.")
    max_tokens: int = Field(default=700, ge=16, description="Ceiling on any answer's tokens, above the level budgets.")
    level_tokens: dict[Level, int] = Field(
        default={"beginner": 200, "intermediate": 300, "expert": 380},
        description="Token budget of a generated answer per level (sent as max_tokens and enforced while streaming).",
    )
    prompt_tokens: int = Field(
        default=800, ge=200, description="Most prompt tokens handed to the model (small models echo long prompts)."
    )
    min_grounding: float = Field(
        default=0.5,
        ge=0,
        le=1,
        description="Share of generated sentences that must be supported by the sources; below it the learner "
        "gets the offline card with a one-line notice.",
    )
    concurrency: int = Field(default=2, ge=1, description="Answers generated at once by the web app.")
    model_path: Path | None = Field(
        default=None,
        description="GGUF file (with a chat template) for the local backend; unset: the packaged "
        "Qwen2.5-Coder-1.5B-Instruct, assembled from its PyPI parts into the model cache on first use.",
    )
    model_cache: Path | None = Field(
        default=None, description="Where the packaged model is assembled; unset: <data dir>/cache/models."
    )
    threads: int = Field(default=0, ge=0, description="CPU threads for the local model; 0 means one per core.")
    context: int = Field(default=2048, ge=512, description="Context window (tokens) the local model is loaded with.")
    queue_wait: float = Field(
        default=0.0,
        ge=0,
        description="Seconds a question waits for the local model while it answers someone else; after that the "
        "learner gets the offline card at once (0: at once, so other learners are never held up).",
    )


class ServerSettings(_Group):
    host: str = Field(default="127.0.0.1", description="Address the web app binds to (loopback by default).")
    port: int = Field(default=7860, ge=1, le=65535, description="Port of the web app.")
    secret: str | None = Field(
        default=None,
        description="Key that signs the learner and login cookies. Unset: a random key made once and kept in "
        "<data dir>/secret. Workers behind one proxy with different data folders need the same value.",
    )
    accounts_file: Path | None = Field(
        default=None,
        description="Classroom accounts (`tutor users add`), with argon2 password hashes. Unset: "
        "<data dir>/accounts.json. When it holds any account, the web app requires a login.",
    )
    session_days: float = Field(default=14.0, gt=0, description="Days a login lasts before the learner signs in again.")
    secure_cookies: bool = Field(
        default=False,
        description="Send cookies only over HTTPS (turn on behind a proxy that terminates TLS).",
    )
    max_body_kb: int = Field(
        default=256,
        ge=16,
        description="Largest request body the web app reads, in KB; larger ones get 413 before they are parsed "
        "(a question is at most 2,000 characters; a 20-turn history of answers is about 100 KB).",
    )
    max_upload_mb: float = Field(
        default=8.0, gt=0, description="Largest file a learner may upload (a study record to import), in MB."
    )
    max_json_depth: int = Field(
        default=32,
        ge=4,
        description="Deepest nesting of JSON arrays and objects a request may have; deeper ones get 400.",
    )


class Settings(BaseSettings):
    """Everything configurable about tutor, in nested groups."""

    model_config = SettingsConfigDict(
        env_prefix="TUTOR_",
        env_nested_delimiter="_",
        env_nested_max_split=1,
        extra="forbid",
        toml_file="tutor.toml",
    )

    debug: bool = Field(default=False, description="Re-raise errors with their traceback instead of a message.")
    data: DataSettings = Field(default_factory=DataSettings, description="Where files live.")
    chroma: ChromaSettings = Field(default_factory=ChromaSettings, description="The vector store.")
    embedding: EmbeddingSettings = Field(default_factory=EmbeddingSettings, description="Passage embedding.")
    ingest: IngestSettings = Field(default_factory=IngestSettings, description="Loading and splitting.")
    library: LibrarySettings = Field(default_factory=LibrarySettings, description="Adding files to the library.")
    ocr: OcrSettings = Field(default_factory=OcrSettings, description="Reading scanned pages.")
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Downloading readings.")
    retrieval: RetrievalSettings = Field(default_factory=RetrievalSettings, description="Finding passages.")
    llm: LlmSettings = Field(default_factory=LlmSettings, description="The answer backend.")
    server: ServerSettings = Field(default_factory=ServerSettings, description="The web app.")
    auth: str | None = Field(
        default=None,
        description="user:password, a one-learner login for the web app (TUTOR_AUTH); for a class, make accounts "
        "with `tutor users add`.",
    )
    max_question_chars: int = Field(default=2000, ge=10, description="Longest question accepted.")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings, env_settings, TomlConfigSettingsSource(settings_cls))

    @property
    def library_dir(self) -> Path:
        return self.data.dir / "library"

    @property
    def index_dir(self) -> Path:
        return self.data.dir / "index"

    @property
    def chroma_dir(self) -> Path:
        return self.index_dir / "chroma"

    @property
    def ocr_cache_dir(self) -> Path:
        return self.data.dir / "cache" / "ocr"

    @property
    def accounts_path(self) -> Path:
        return self.server.accounts_file or self.data.dir / "accounts.json"

    @property
    def manifest_path(self) -> Path:
        return self.index_dir / f"manifest-{self.embedding.model}.json"
