"""Concurrent learners against a running `tutor serve`, through gradio_client.

    python bench/chat_load.py [URL] [--sessions 20] [--questions 3]

Each session asks its questions one after another (as a learner would); sessions run at once.
Prints p50/p95 answer latency and the error count. Target with the offline backend on 2 cores:
20 concurrent learners, zero errors, p95 under 3 s.
"""

from __future__ import annotations

import argparse
import statistics
import threading
import time

from gradio_client import Client

QUESTIONS = [
    "Why divide by the square root of d_k in attention?",
    "残差连接为什么能解决深层网络的退化问题？",
    "What does each new tree fit in gradient boosting?",
    "BERT 的掩码语言模型为什么像完形填空？",
    "What does the KV cache save during inference?",
    "How does a Neural Turing Machine read from memory?",
]


def session(url: str, index: int, count: int, latencies: list[float], errors: list[str]) -> None:
    try:
        client = Client(url, verbose=False)
    except Exception as exc:  # a benchmark reports every failure instead of stopping
        errors.append(f"connect: {exc}")
        return
    chat: list[dict[str, object]] = []  # pairs/answers state lives in the client's session
    for k in range(count):
        question = QUESTIONS[(index + k) % len(QUESTIONS)]
        start = time.perf_counter()
        try:
            chat, _, _ = client.predict(question, chat, "beginner", "auto", api_name="/respond")
            content = chat[-1]["content"]
            text = content if isinstance(content, str) else " ".join(part.get("text", "") for part in content)
            if "Sources" not in text and "来源" not in text:
                errors.append(f"no sources in answer to {question!r}")
        except Exception as exc:
            errors.append(f"{question!r}: {exc}")
            continue
        latencies.append(time.perf_counter() - start)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:7860/")
    parser.add_argument("--sessions", type=int, default=20)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    latencies: list[float] = []
    errors: list[str] = []
    threads = [
        threading.Thread(target=session, args=(args.url, i, args.questions, latencies, errors))
        for i in range(args.sessions)
    ]
    start = time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    wall = time.perf_counter() - start
    ordered = sorted(latencies)
    p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))] if ordered else float("nan")
    print(f"sessions {args.sessions} × {args.questions} questions in {wall:.1f} s")
    print(f"answers  {len(latencies)}   errors {len(errors)}")
    if ordered:
        print(f"latency  p50 {statistics.median(ordered):.2f} s   p95 {p95:.2f} s   max {ordered[-1]:.2f} s")
    for e in errors[:5]:
        print("  error:", e)


if __name__ == "__main__":
    main()
