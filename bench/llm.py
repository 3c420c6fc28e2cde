"""Benchmark the generated-answer path: first-token latency, tokens/s, grounding, and other learners' latency.

    python bench/llm.py                      # local backend (packaged model), 6 questions, then the load check
    python bench/llm.py --backend openai     # the server in TUTOR_LLM_BASE_URL
    python bench/llm.py --questions 12 --offline 30

Uses the index in TUTOR_DATA_DIR (build it with `tutor ingest`). Prints one row per question, the medians,
then p50/p95 of offline answers asked while one generated answer is being written (a second learner on
the local backend gets the offline card at once), then the conflict detector's scores on
eval/grounding.jsonl.
"""

from __future__ import annotations

import argparse
import json
import statistics
import threading
import time
from pathlib import Path

from tutor.answer import Answer, ExtractiveBackend, Tutor
from tutor.config import PROJECT_ROOT, Settings
from tutor.evaluate import load_questions
from tutor.lang.script import detect_language
from tutor.llm.grounding import score_pairs


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))] if ordered else 0.0


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--backend", default="local", choices=["local", "openai"])
    parser.add_argument("--questions", type=int, default=6, help="covered questions from eval/questions.jsonl")
    parser.add_argument("--level", default="beginner")
    parser.add_argument("--offline", type=int, default=20, help="offline answers asked during one generation")
    args = parser.parse_args()

    settings = Settings()
    tutor = Tutor.from_settings(settings, backend=args.backend)
    questions = [q for q in load_questions(PROJECT_ROOT / "eval" / "questions.jsonl") if q.expected and not q.history]
    en = [q for q in questions if q.lang == "en"]
    zh = [q for q in questions if q.lang == "zh"]
    picked = [q for pair in zip(en, zh, strict=False) for q in pair][: args.questions]
    tutor.ask(picked[0].question, level=args.level, backend=ExtractiveBackend())  # load the embedding model

    print(f"backend {args.backend}, level {args.level}, {len(picked)} questions")
    print(
        f"{'id':28} {'lang':4} {'prompt':>6} {'tokens':>6} {'first tok':>9} {'first sent':>10} {'total':>7} "
        f"{'tok/s':>6} {'ground':>6} stopped   shown"
    )
    rows = []
    for q in picked:
        answer = tutor.ask(q.question, level=args.level)
        g = answer.generation or {}
        rows.append(g)
        right = detect_language(" ".join(c.sentence for c in answer.checks) or answer.direct) == q.lang
        print(
            f"{q.id:28} {q.lang:4} {g.get('prompt_tokens', 0):>6} {g.get('tokens', 0):>6} "
            f"{(g.get('first_token_ms') or 0) / 1000:>8.1f}s {(g.get('first_text_ms') or 0) / 1000:>9.1f}s "
            f"{g.get('total_ms', 0) / 1000:>6.1f}s {g.get('tokens_per_s') or 0:>6.1f} "
            f"{answer.grounding or 0:>6.2f} {g.get('stopped', ''):9} {answer.backend}{'' if right else ' (language!)'}"
        )
    first = [g["first_token_ms"] / 1000 for g in rows if g.get("first_token_ms")]
    total = [g["total_ms"] / 1000 for g in rows if g]
    speed = [g["tokens_per_s"] for g in rows if g.get("tokens_per_s")]
    print(
        f"median first token {statistics.median(first):.1f} s, median answer {statistics.median(total):.1f} s, "
        f"median {statistics.median(speed):.1f} tokens/s, over budget {sum(g['tokens'] > g['budget'] for g in rows)}, "
        f"echo/loop stops {sum(g['stopped'] in ('echo', 'repetition') for g in rows)}"
    )

    # Other learners while one answer is generated: offline answers, and a second learner on the same backend.
    offline: list[float] = []
    second: list[Answer] = []
    generating = threading.Thread(target=lambda: tutor.ask(picked[0].question, level=args.level))
    generating.start()
    time.sleep(1.0)
    for q in (questions * 3)[: args.offline]:
        start = time.perf_counter()
        tutor.ask(q.question, level=q.level, backend=ExtractiveBackend())
        offline.append(time.perf_counter() - start)
        if not generating.is_alive():
            break
    if generating.is_alive() and args.backend == "local":
        start = time.perf_counter()
        second.append(tutor.ask(picked[1].question, level=args.level))
        busy_ms = (time.perf_counter() - start) * 1000
        print(f"second learner on the busy local model: {second[0].backend} in {busy_ms:.0f} ms ({second[0].notice})")
    generating.join()
    print(
        f"offline answers during one generation: n={len(offline)}, p50 {percentile(offline, 0.5):.2f} s, "
        f"p95 {percentile(offline, 0.95):.2f} s"
    )

    rows_g = [json.loads(line) for line in Path(PROJECT_ROOT / "eval" / "grounding.jsonl").read_text().splitlines()]
    scores = score_pairs(rows_g, tutor.store.embeddings.embed_documents)
    for name, s in scores.items():
        print(
            f"grounding set [{name}] n={s['n']}: conflict precision {s['conflict_precision']}, recall "
            f"{s['conflict_recall']}, contradictions shown {s['contradictions_shown']}, "
            f"faithful kept {s['faithful_kept']}"
        )


if __name__ == "__main__":
    main()
