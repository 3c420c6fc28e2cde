"""The web app as the web tests use it: the small real index of corpus_fixture, a Transformer paper whose text
has formulas the way PDFs print them (√dk), and `tutor serve` running in a subprocess on a free port."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
from corpus_fixture import PAPERS, build_index
from fpdf import FPDF

from tutor.config import Settings
from tutor.ingest import ingest
from tutor.readings import load_reading_list
from tutor.store import Store

MATHS_SENTENCE = (
    "We divide each dot product by √dk so that the scores keep unit variance and the softmax does not "
    "enter regions where it has extremely small gradients."
)


def _font() -> Path:
    import matplotlib

    return Path(matplotlib.__file__).parent / "mpl-data" / "fonts" / "ttf" / "DejaVuSans.ttf"  # ships with it


def maths_paper(path: Path) -> None:
    """The fixture's Transformer paper, same pages, with its 3.2.1 printed in a font that has √."""
    title, sections = PAPERS["vaswani2017-attention"]
    pdf = FPDF()
    pdf.add_font("DejaVu", fname=str(_font()))
    pdf.set_auto_page_break(True, margin=15)
    pdf.add_page()
    pdf.set_font("DejaVu", size=16)
    pdf.multi_cell(0, 8, text=title, new_x="LMARGIN", new_y="NEXT")
    pdf.set_font("DejaVu", size=10)
    pdf.multi_cell(0, 5, text="Abstract\nA test paper generated for tutor's own tests.", new_x="LMARGIN", new_y="NEXT")
    for heading, body in sections:
        pdf.add_page()
        pdf.set_font("DejaVu", size=12)
        pdf.multi_cell(0, 6, text=heading, new_x="LMARGIN", new_y="NEXT")
        pdf.set_font("DejaVu", size=10)
        text = f"{body} {MATHS_SENTENCE}" if heading.startswith("3.2.1") else body
        pdf.multi_cell(0, 5, text=text, new_x="LMARGIN", new_y="NEXT")
    pdf.output(str(path))


def build_web_index(root: Path) -> Settings:
    settings = build_index(root)
    maths_paper(settings.library_dir / "vaswani2017-attention.pdf")
    ingest(settings, load_reading_list(settings.data.corpus), Store(settings))
    return settings


class Server:
    """`tutor serve` on a free port with the given data and corpus; its log kept for the tests to read."""

    def __init__(self, settings: Settings, log: Path, extra_env: dict[str, str] | None = None) -> None:
        self.settings = settings
        self.log_path = log
        self.extra_env = extra_env or {}
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            self.port = s.getsockname()[1]
        self.url = f"http://127.0.0.1:{self.port}/"
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> Server:
        env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")}
        env |= {"TUTOR_DATA_DIR": str(self.settings.data.dir), "TUTOR_DATA_CORPUS": str(self.settings.data.corpus)}
        env |= self.extra_env
        log = self.log_path.open("w")
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "tutor", "serve", "--port", str(self.port)], env=env, stdout=log, stderr=log
        )
        started = time.monotonic()
        while True:
            try:
                if httpx.get(self.url, timeout=2).status_code in (200, 303):  # 303: to the login page
                    return self
            except httpx.HTTPError:
                pass
            if self.proc.poll() is not None:
                raise RuntimeError(f"tutor serve exited:\n{self.log()}")
            if time.monotonic() - started > 90:
                self.stop()  # never leave a server behind a failed start
                raise RuntimeError(f"page not up within 90 s:\n{self.log()}")
            time.sleep(0.3)

    def log(self) -> str:
        return self.log_path.read_text(encoding="utf-8", errors="replace")

    def stop(self) -> None:
        if self.proc is not None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:  # an open event stream can hold up uvicorn's graceful exit
                self.proc.kill()
                self.proc.wait(timeout=15)
            self.proc = None


# Gradio marks the outputs of a running event .pending (queued) or .generating (streaming). A click on Ask while the
# previous answer's event is still finishing is dropped (a button's event runs once at a time), so a test that asks
# twice waits for the page to be idle first: under load the answer card can show before its event has ended.
_IDLE = "() => document.querySelectorAll('.pending, .generating').length === 0"


def wait_idle(page: Any, timeout: float = 120000) -> None:
    page.wait_for_function(_IDLE, timeout=timeout)
