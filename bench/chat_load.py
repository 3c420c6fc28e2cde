"""Concurrent learners against a running `tutor serve`, through its public `POST /api/ask` endpoint.

    python bench/chat_load.py [URL] [--sessions 50] [--questions 3]

Each session asks its questions one after another, passing its earlier answers as `history` (as a
learner's follow-ups would); the sessions run at once. One asyncio loop drives them all over plain HTTP
(JSON in, JSON out), so the load generator costs little CPU on the machine it measures. Prints p50/p95/max
latency, answers per second and errors.
Target with the offline backend on 2 cores: 50 learners × 3 questions, zero errors, p95 under 1 s (issue 17).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import time
from typing import Any

import httpx

QUESTIONS = [
    "Why divide by the square root of d_k in attention?",
    "残差连接为什么能解决深层网络的退化问题？",
    "What does each new tree fit in gradient boosting?",
    "BERT 的掩码语言模型为什么像完形填空？",
    "What does the KV cache save during inference?",
    "How does a Neural Turing Machine read from memory?",
    "What is overfitting and how do I detect it?",
    "负采样是怎么加速 word2vec 训练的？",
]


async def ask(client: httpx.AsyncClient, question: str, history: list[dict[str, Any]]) -> dict[str, Any]:
    """One call of the documented endpoint: the same JSON as `tutor ask --json`, or an exception."""
    body = {"question": question, "level": "beginner", "language": "auto", "history": history}
    response = await client.post("api/ask", json=body)
    if response.status_code != 200:
        raise RuntimeError(response.json().get("error", response.text))
    answer: dict[str, Any] = response.json()
    return answer


async def session(client: httpx.AsyncClient, index: int, count: int, latencies: list[float], errors: list[str]) -> None:
    history: list[dict[str, Any]] = []
    for k in range(count):
        question = QUESTIONS[(index + k) % len(QUESTIONS)]
        start = time.perf_counter()
        try:
            answer = await ask(client, question, history[-4:])
        except Exception as exc:  # a benchmark reports every failure instead of stopping
            errors.append(f"{question!r}: {type(exc).__name__}: {exc}")
            continue
        latencies.append(time.perf_counter() - start)
        if not answer.get("citations") and answer.get("covered"):
            errors.append(f"no citations in the answer to {question!r}")
        history.append({k: answer[k] for k in ("question", "topic", "facet", "direct")})


async def run(url: str, sessions: int, questions: int) -> None:
    latencies: list[float] = []
    errors: list[str] = []
    limits = httpx.Limits(max_connections=2 * sessions + 10)
    async with httpx.AsyncClient(base_url=url, timeout=120, limits=limits) as client:
        await ask(client, "What is a decision tree?", [])  # warm: the first answer loads the model
        start = time.perf_counter()
        await asyncio.gather(*(session(client, i, questions, latencies, errors) for i in range(sessions)))
        wall = time.perf_counter() - start
    ordered = sorted(latencies)
    print(f"sessions {sessions} × {questions} questions in {wall:.1f} s")
    print(f"answers  {len(ordered)}   errors {len(errors)}   {len(ordered) / wall:.1f} answers/s")
    if ordered:
        p95 = ordered[min(len(ordered) - 1, int(0.95 * len(ordered)))]
        print(f"latency  p50 {statistics.median(ordered):.2f} s   p95 {p95:.2f} s   max {ordered[-1]:.2f} s")
    for e in errors[:5]:
        print("  error:", e)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("url", nargs="?", default="http://127.0.0.1:7860/")
    parser.add_argument("--sessions", type=int, default=50)
    parser.add_argument("--questions", type=int, default=3)
    args = parser.parse_args()
    asyncio.run(run(args.url.rstrip("/") + "/", args.sessions, args.questions))


if __name__ == "__main__":
    main()
