"""When the server, not the request, is the problem: the shared Chroma server down (503, then recovery when it is
back) and a full disk (a message that says so), through a real `tutor serve`, a real `chroma run` and a real
filesystem that fills up (a small tmpfs; mounting one needs root, as CI has)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from corpus_fixture import build_index
from test_scaleout import free_port, wait_for
from test_study_web import add_study_content
from webapp import Server

pytestmark = [pytest.mark.slow]

QUESTION = {"question": "What does a residual block compute?"}


class Chroma:
    """`chroma run` on a fixed port and folder, so it can be stopped and started again where it was."""

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        chroma = str(Path(sys.executable).parent / "chroma")
        args = [chroma, "run", "--path", str(self.folder / "db"), "--host", "127.0.0.1", "--port", str(self.port)]
        log = (self.folder / "chroma.log").open("a")
        self.proc = subprocess.Popen(args, stdout=log, stderr=subprocess.STDOUT)
        wait_for(f"{self.url}/api/v2/heartbeat", self.proc, "chroma run")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            self.proc.wait(timeout=30)
            self.proc = None


@pytest.fixture
def chroma(tmp_path: Path) -> Iterator[Chroma]:
    server = Chroma(tmp_path / "chroma")
    server.folder.mkdir()
    server.start()
    yield server
    server.stop()


def test_the_index_server_down_is_a_503_that_names_it_and_the_tutor_recovers(chroma: Chroma, tmp_path: Path) -> None:
    """Issue 19: remote Chroma down gave 400 "failed (ConnectError)"."""
    os.environ["TUTOR_CHROMA_URL"] = chroma.url  # build_index reads Settings() from the environment
    try:
        settings = build_index(tmp_path / "site")
    finally:
        del os.environ["TUTOR_CHROMA_URL"]
    tutor = Server(settings, tmp_path / "serve.log", {"TUTOR_CHROMA_URL": chroma.url}).start()
    try:
        assert httpx.post(tutor.url + "api/ask", json=QUESTION, timeout=60).status_code == 200
        chroma.stop()
        down = httpx.post(tutor.url + "api/ask", json=QUESTION, timeout=120)
        assert down.status_code == 503, down.text
        assert down.json() == {
            "error": f"The index server at 127.0.0.1:{chroma.port} is not reachable; try again in a moment."
        }
        started = httpx.post(
            tutor.url + "gradio_api/call/ask", json={"data": [QUESTION["question"], "beginner", "auto", []]}, timeout=60
        )
        stream = httpx.get(tutor.url + f"gradio_api/call/ask/{started.json()['event_id']}", timeout=120).text
        assert "event: error" in stream and f"127.0.0.1:{chroma.port} is not reachable" in stream
        chroma.start()
        deadline = time.monotonic() + 60
        while (back := httpx.post(tutor.url + "api/ask", json=QUESTION, timeout=120)).status_code != 200:
            assert time.monotonic() < deadline, back.text
            time.sleep(1)
        assert back.json()["covered"] is True, "answers again once the index server is back"
    finally:
        tutor.stop()


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Path]:
    mount = tmp_path / "disk"
    mount.mkdir()
    done = subprocess.run(["mount", "-t", "tmpfs", "-o", "size=64m", "tmpfs", str(mount)], capture_output=True)
    if done.returncode != 0:
        pytest.skip(f"cannot mount a tmpfs here (needs root): {done.stderr.decode().strip()}")
    yield mount
    subprocess.run(["umount", "-l", str(mount)], check=False)


def fill(disk: Path) -> None:
    with (disk / "filler").open("wb") as f:
        try:
            while True:
                f.write(b"\0" * (1 << 20))
        except OSError:
            pass


def test_a_full_disk_is_said_to_be_full(small_disk: Path, tmp_path: Path) -> None:
    """Issue 19: a full disk made `ask` fail with a hint about TUTOR_CHROMA_URL. Whatever fails now (a question, when
    the index has to write; a study answer, always) says the disk is full, and shows no server path."""
    settings = build_index(tmp_path / "site")
    add_study_content(settings)
    shutil.copytree(settings.data.dir, small_disk / "data")
    settings.data.dir = small_disk / "data"
    tutor = Server(settings, tmp_path / "serve.log").start()
    try:
        with httpx.Client(base_url=tutor.url, timeout=120) as learner:
            assert learner.post("api/study/answer", json={"item_id": "softmax.en.m1", "answer": "B"}).status_code == 200
            fill(small_disk)
            asked = learner.post("api/ask", json=QUESTION)
            wrote = learner.post("api/study/answer", json={"item_id": "softmax.en.m2", "answer": "B"})
        for reply in (asked, wrote) if asked.status_code != 200 else (wrote,):  # the index may still answer
            assert reply.status_code == 507, reply.text
            assert "disk is full" in reply.json()["error"] and "TUTOR_CHROMA_URL" not in reply.text
            assert str(small_disk) not in reply.text
    finally:
        tutor.stop()
        (small_disk / "filler").unlink(missing_ok=True)
