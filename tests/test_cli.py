"""The `tutor` command as a user runs it: a real subprocess, real files."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from pdfs import LOREM, paper_pdf


def run_tutor(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run the CLI the way a user does (no pytest marker in the env, so errors are friendly)."""
    full_env = dict(os.environ)
    full_env.update({"COLUMNS": "200"} | (env or {}))
    return subprocess.run(
        [sys.executable, "-m", "tutor", *args], capture_output=True, text=True, env=full_env, timeout=600
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        pytest.param(["add", "nope.pdf"], "nope.pdf: no such file", id="missing-file"),
        pytest.param(["add", "x.pdf", "y.pdf", "--as", "he2015-resnet"], "pass one file", id="as-with-two-files"),
        pytest.param(["remove", "he2015-resnet"], "not in the library", id="remove-missing"),
    ],
)
def test_user_errors_are_one_clear_line_without_a_traceback(args: list[str], message: str) -> None:
    done = run_tutor(*args)
    assert done.returncode == 1
    assert message in done.stderr
    assert "Traceback" not in done.stderr


def test_invalid_setting_is_reported_with_its_name() -> None:
    done = run_tutor("status", env={"TUTOR_INGEST_CHUNK_SIZE": "ten"})
    assert done.returncode == 1
    assert "Invalid configuration" in done.stderr and "chunk_size" in done.stderr
    assert "Traceback" not in done.stderr


@pytest.mark.slow
def test_add_ingest_and_status_from_the_command_line(tmp_path: Path) -> None:
    pdf = paper_pdf(
        tmp_path / "resnet.pdf",
        "Deep Residual Learning for Image Recognition",
        [("1. Introduction", LOREM * 10), ("3.1. Residual Learning", LOREM * 10)],
    )
    broken = tmp_path / "broken.pdf"
    broken.write_bytes(b"%PDF-1.4 truncated")
    assert "he2015-resnet" in run_tutor("add", str(pdf)).stdout
    refused = run_tutor("add", str(broken))
    assert refused.returncode == 1 and "broken.pdf: not a readable PDF" in refused.stderr
    # A file damaged after it was added is reported by ingest instead.
    (tmp_path / "data" / "library" / "user-broken.pdf").write_bytes(broken.read_bytes())

    done = run_tutor("ingest")
    assert done.returncode == 0, done.stderr
    assert "he2015-resnet" in done.stdout and "indexed" in done.stdout
    assert "user-broken" in done.stdout and "failed" in done.stdout
    assert "Traceback" not in done.stderr

    status = run_tutor("status")
    assert status.returncode == 0
    line = next(ln for ln in status.stdout.splitlines() if "he2015-resnet" in ln)
    assert line.count("yes") == 2, "in the library and indexed"
    assert "Index:" in status.stdout and "MB" in status.stdout


@pytest.mark.slow
def test_ask_with_no_index_builds_it_first_and_answers_from_the_notes(tmp_path: Path) -> None:
    from fileserver import closed_port

    # Offline: the first-use fetch must give up quickly and the notes still answer.
    done = run_tutor("ask", "What is overfitting?", "--json", env={"TUTOR_FETCH_MIRROR": closed_port()})
    assert done.returncode == 0, done.stderr
    assert "No index yet: building it now" in done.stderr
    assert "could not be downloaded" in done.stderr
    payload = json.loads(done.stdout)
    assert payload["covered"] is True
    assert payload["topic"] == "note-model-evaluation" and payload["citations"]
    assert (tmp_path / "data" / "index").is_dir()
