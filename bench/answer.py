"""Offline answer latency: p50/p95 of `Tutor.ask` after warm-up, split into retrieval and card.

    python bench/answer.py [QUESTIONS.jsonl] [--rounds 2]

Uses the index in TUTOR_DATA_DIR (build it with `tutor ingest`); the questions default to
eval/questions.jsonl (history questions are asked in order first, like a learner would). Target: whole
answer p50 < 150 ms on a 2-core machine.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

from tutor.answer import Tutor
from tutor.config import PROJECT_ROOT, Settings
from tutor.conversation import Turn
from tutor.evaluate import load_questions


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("questions", nargs="?", type=Path, default=PROJECT_ROOT / "eval" / "questions.jsonl")
    parser.add_argument("--rounds", type=int, default=2, help="times each question is asked")
    args = parser.parse_args()

    start = time.perf_counter()
    tutor = Tutor.from_settings(Settings(), backend="extractive")
    tutor.retriever.warm_up()
    print(f"warm-up (model, Q&A vectors, BM25, sentence index): {time.perf_counter() - start:.1f} s")

    questions = load_questions(args.questions)
    retrieve: list[float] = []
    total: list[float] = []
    for _ in range(args.rounds):
        for q in questions:
            turns: list[Turn] = []
            for earlier in q.history:
                turns.append(tutor.ask(earlier, level=q.level, history=turns).as_turn())
            began = time.perf_counter()
            answer = tutor.ask(q.question, level=q.level, history=turns)
            total.append((time.perf_counter() - began) * 1000)
            retrieve.append(answer.timings_ms["retrieve"])
    print(f"{len(total)} answers ({len(questions)} questions × {args.rounds})")
    for name, values in (("retrieve", retrieve), ("whole answer", total)):
        print(
            f"{name:>13}: p50 {percentile(values, 0.5):6.1f} ms   p95 {percentile(values, 0.95):6.1f} ms   "
            f"mean {statistics.fmean(values):6.1f} ms"
        )
    print(f"   throughput: {len(total) / (sum(total) / 1000):.1f} answers/s on one thread")


if __name__ == "__main__":
    main()
