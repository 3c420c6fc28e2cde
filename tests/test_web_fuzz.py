"""A short fuzz run (bench/fuzz.py, a few hundred malformed requests drawn by hypothesis) against a real
`tutor serve` with study content: no response may be a 5xx."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from corpus_fixture import build_index
from test_study_web import add_study_content
from webapp import Server

pytestmark = [pytest.mark.slow]

REPO = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    settings = build_index(tmp_path_factory.mktemp("fuzz"))
    add_study_content(settings)
    server = Server(settings, tmp_path_factory.mktemp("fuzz-log") / "serve.log").start()
    yield server
    server.stop()


@pytest.mark.parametrize("seed", [0, 1])
def test_hundreds_of_malformed_requests_get_no_5xx(site: Server, seed: int) -> None:
    done = subprocess.run(
        [sys.executable, str(REPO / "bench" / "fuzz.py"), site.url, "--requests", "300", "--seed", str(seed)],
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    first = done.stdout.splitlines()[0].split()
    assert first[:4] == ["requests", "300", "5xx", "0"], done.stdout
    assert "400: " in done.stdout, "most of what was sent was refused as malformed"
