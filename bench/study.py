"""Study mode under load: `next`/`answer` latency with 10,000 recorded attempts, and 50 learners at once.

    python bench/study.py [--attempts 10000] [--calls 200] [--url URL --data-dir DIR]

Part 1 (library, real SQLite file in a temp dir, the real corpus and embedding model): one learner
with N recorded attempts spread over every concept with practice items; then `next` and `answer` are
timed, half the answers multiple choice, half open answers graded with the embedding model.
Targets: p95 < 100 ms for both.

Part 2 (web): 50 learners submit an answer at the same moment through `/study_answer` of a running
`tutor serve` (give --url and its --data-dir), then the attempts table is counted. Without --url the
bench starts `tutor serve` itself on a free port, in a temp data dir holding a copy of the index from
/work/devdata or ./.tutor when one exists. Target: 0 errors, 50 new rows.
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import timedelta
from pathlib import Path

from tutor.config import Settings
from tutor.study import StudyService
from tutor.study.db import Attempt
from tutor.study.items import McqItem, OpenItem
from tutor.study.schedule import iso, now_utc
from tutor.study.service import replay


def p(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def library_latency(attempts: int, calls: int) -> None:
    settings = Settings()
    settings.data.dir = Path(tempfile.mkdtemp(prefix="tutor-bench-study-"))
    service = StudyService.from_settings(settings)
    items = service.bank.items
    if not items:
        sys.exit("No practice items in corpus/practice yet: nothing to benchmark.")
    rng = random.Random(11)
    start = now_utc() - timedelta(days=90)
    rows = []
    for n in range(attempts):
        item = rng.choice(items)
        right = rng.random() < 0.7
        rows.append(
            Attempt(
                item.id, item.concept, item.kind, "B", right, 1.0 if right else 0.0, iso(start + timedelta(minutes=n))
            )
        )
    learner = "bench"
    lid = service.repo.ensure_learner(learner, iso(now_utc()))
    t = time.perf_counter()
    service.repo.replace_record(lid, rows, replay(rows), [], [])
    concepts = len({a.concept for a in rows})
    print(f"seeded {attempts:,} attempts over {concepts} concepts in {time.perf_counter() - t:.1f} s")
    t = time.perf_counter()
    warmed = service.grader.warm_up(items)  # what the web app does in the background at start
    print(f"embedded {warmed} key points in {time.perf_counter() - t:.1f} s (model load included)")

    next_ms: list[float] = []
    answer_ms: list[float] = []
    open_ms: list[float] = []
    open_cpu: list[float] = []
    for k in range(calls):
        t = time.perf_counter()
        proposal = service.next(learner, lang="en" if k % 2 else "zh")
        next_ms.append((time.perf_counter() - t) * 1000)
        item = proposal.item
        if isinstance(item.body, McqItem):
            reply = item.body.answer if k % 3 else "A"
        else:
            assert isinstance(item.body, OpenItem)
            reply = item.body.reference if k % 3 else "I am not sure; maybe it makes training faster on GPUs."
        t, cpu = time.perf_counter(), time.process_time()
        service.answer(learner, item.id, reply)
        elapsed = (time.perf_counter() - t) * 1000
        answer_ms.append(elapsed)
        if item.kind == "open":
            open_ms.append(elapsed)
            open_cpu.append((time.process_time() - cpu) * 1000)
    total = service.repo.count_attempts()
    print(f"next:   p50 {statistics.median(next_ms):.1f} ms  p95 {p(next_ms, 0.95):.1f} ms  ({calls} calls)")
    print(f"answer: p50 {statistics.median(answer_ms):.1f} ms  p95 {p(answer_ms, 0.95):.1f} ms  ({calls} calls)")
    if open_ms:
        mcq_ms = [ms for ms in answer_ms if ms not in open_ms]
        for name, values in (("multiple choice", mcq_ms), ("open answers", open_ms)):
            print(f"  {name}: {len(values)}, p50 {statistics.median(values):.1f} ms, p95 {p(values, 0.95):.1f} ms")
        print(
            f"  open answers, CPU time of this process: p50 {statistics.median(open_cpu):.1f} ms, "
            f"p95 {p(open_cpu, 0.95):.1f} ms (wall time above includes waiting for a busy CPU)"
        )
        print(f"  machine load average while measuring: {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"attempts recorded: {total:,}  (database {settings.data.dir / 'study.sqlite3'})")
    shutil.rmtree(settings.data.dir, ignore_errors=True)


def start_server(data_dir: Path) -> tuple[subprocess.Popen[bytes], str]:
    import httpx

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if not k.startswith("TUTOR_")} | {"TUTOR_DATA_DIR": str(data_dir)}
    log = (data_dir / "serve.log").open("w")
    proc = subprocess.Popen(
        [sys.executable, "-m", "tutor", "serve", "--port", str(port)], env=env, stdout=log, stderr=log
    )
    url = f"http://127.0.0.1:{port}/"
    deadline = time.monotonic() + 600
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return proc, url
        except httpx.HTTPError:
            time.sleep(0.5)
        if proc.poll() is not None:
            break
    proc.kill()
    sys.exit(f"tutor serve did not come up; see {data_dir / 'serve.log'}")


def web_concurrency(url: str | None, data_dir: Path | None, learners: int) -> None:
    from gradio_client import Client

    proc = None
    if url is None:
        data_dir = Path(tempfile.mkdtemp(prefix="tutor-bench-web-"))
        source = next((d for d in (Path("/work/devdata"), Path(".tutor")) if (d / "index").is_dir()), None)
        if source is not None:
            shutil.copytree(source / "index", data_dir / "index")
            if (source / "library").is_dir():
                (data_dir / "library").symlink_to((source / "library").resolve())
        print(f"starting tutor serve in {data_dir} (index from {source or 'scratch: first ingest'})")
        proc, url = start_server(data_dir)
    assert data_dir is not None, "--data-dir is needed with --url, to count the rows"
    database = data_dir / "study.sqlite3"
    service = StudyService.from_settings(Settings())
    mcq = [i for i in service.bank.items if isinstance(i.body, McqItem)]
    try:
        before = _count(database)
        client = Client(url, verbose=False)
        t = time.perf_counter()
        jobs = []
        for n in range(learners):
            item = mcq[n % len(mcq)]
            assert isinstance(item.body, McqItem)
            jobs.append(client.submit(item.id, item.body.answer, api_name="/study_answer"))
        errors: list[str] = []
        latencies: list[float] = []

        def wait(job: object) -> None:
            try:
                job.result(timeout=300)  # type: ignore[attr-defined]
                latencies.append(time.perf_counter() - t)
            except Exception as exc:  # a benchmark reports every failure
                errors.append(str(exc))

        with ThreadPoolExecutor(max_workers=learners) as pool:
            list(pool.map(wait, jobs))
        client.close()
        after = _count(database)
        print(
            f"{learners} learners answering at once: {len(errors)} errors, {after - before} new rows "
            f"(expected {learners}); all done in {max(latencies, default=0):.2f} s, p95 {p(latencies, 0.95):.2f} s"
        )
        for e in errors[:5]:
            print("  error:", e)
    finally:
        if proc is not None:
            proc.terminate()
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait(timeout=15)
            shutil.rmtree(data_dir, ignore_errors=True)  # the temp dir this bench made


def _count(database: Path) -> int:
    if not database.exists():
        return 0
    with sqlite3.connect(database) as conn:
        return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--attempts", type=int, default=10_000)
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--learners", type=int, default=50)
    parser.add_argument("--url", help="a running tutor serve (default: start one)")
    parser.add_argument("--data-dir", type=Path, help="that server's TUTOR_DATA_DIR, to count rows")
    parser.add_argument("--skip-web", action="store_true")
    args = parser.parse_args()
    library_latency(args.attempts, args.calls)
    if not args.skip_web:
        web_concurrency(args.url, args.data_dir, args.learners)


if __name__ == "__main__":
    main()
