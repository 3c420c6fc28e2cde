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
    model: Literal["minilm", "use-multilingual"] = Field(
        default="minilm",
        description="minilm: all-MiniLM-L6-v2 via sentence-transformers (English). "
        "use-multilingual: Google's multilingual USE v3 (English and Chinese in one space).",
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


class FetchSettings(_Group):
    timeout: float = Field(default=60.0, gt=0, description="Seconds to wait on a stalled download.")
    retries: int = Field(default=3, ge=0, description="Times a dropped download is resumed before giving up.")
    mirror: str | None = Field(
        default=None,
        description="Base URL that replaces each reading's host (for a local mirror); unset fetches the originals.",
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
    fetch: FetchSettings = Field(default_factory=FetchSettings, description="Downloading readings.")

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
    def manifest_path(self) -> Path:
        return self.index_dir / f"manifest-{self.embedding.model}.json"
