"""The evaluation harness: run a question file through the tutor and score retrieval and refusals.

A question file is JSON lines: {"id", "question", "lang", "level", "expected": [reading or note ids]};
an empty `expected` means the readings do not cover the question and the tutor should say so.
"""

from __future__ import annotations

import json
import statistics
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ConfigDict, ValidationError

from tutor.answer import Answer, Tutor
from tutor.citations import markers_in
from tutor.errors import ConfigError


class Question(BaseModel):
    model_config = ConfigDict(extra="forbid")

    id: str
    question: str
    lang: str
    level: str
    expected: list[str]


def load_questions(path: Path) -> list[Question]:
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except FileNotFoundError:
        raise ConfigError(f"No question file at {path}.") from None
    questions = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            questions.append(Question.model_validate_json(line))
        except ValidationError as exc:
            raise ConfigError(f"{path}:{number} is not a question object: {exc.errors()[0]['msg']}") from exc
    return questions


@dataclass
class Outcome:
    question: Question
    answer: Answer
    stage: str

    @property
    def ranked_ids(self) -> list[str]:
        """Distinct reading/note ids in retrieval order."""
        return list(dict.fromkeys(r["reading_id"] for r in self.answer.retrieved))

    @property
    def rank(self) -> int | None:
        for i, rid in enumerate(self.ranked_ids, start=1):
            if rid in self.question.expected:
                return i
        return None

    @property
    def citations_valid(self) -> bool:
        cited = {c.n for c in self.answer.citations}
        return all(n in cited for n in markers_in(self.answer.text))

    def as_json(self) -> dict[str, Any]:
        return {"id": self.question.id, "expected": self.question.expected, **self.answer.as_json()}


def stage_of(tutor: Tutor, question: Question) -> str:
    for rid in question.expected:
        if rid in tutor.readings.by_id:
            return tutor.readings.by_id[rid].stage
        note = tutor.notes.get(rid, "en")
        if note is not None:
            return note.stage
    return "uncovered" if not question.expected else "unknown"


def run(tutor: Tutor, questions: list[Question]) -> Iterator[Outcome]:
    for q in questions:
        answer = tutor.ask(q.question, level=q.level, lang="auto")
        yield Outcome(q, answer, stage_of(tutor, q))


def _retrieval_scores(outcomes: list[Outcome]) -> dict[str, float]:
    ranks = [o.rank for o in outcomes]
    n = len(ranks) or 1
    return {
        "n": len(ranks),
        "hit@1": round(sum(r == 1 for r in ranks) / n, 3),
        "hit@5": round(sum(r is not None and r <= 5 for r in ranks) / n, 3),
        "mrr": round(sum(1 / r for r in ranks if r) / n, 3),
    }


def _percentile(values: list[float], q: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    return round(ordered[min(len(ordered) - 1, int(q * len(ordered)))], 1)


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    covered = [o for o in outcomes if o.question.expected]
    uncovered = [o for o in outcomes if not o.question.expected]
    by_lang = {
        lang: _retrieval_scores([o for o in covered if o.question.lang == lang])
        for lang in sorted({o.question.lang for o in covered})
    }
    by_stage = {
        stage: _retrieval_scores([o for o in covered if o.stage == stage])
        for stage in dict.fromkeys(o.stage for o in covered)
    }
    retrieve_ms = [o.answer.timings_ms["retrieve"] for o in outcomes]
    total_ms = [o.answer.timings_ms["total"] for o in outcomes]
    return {
        "summary": True,
        "questions": len(outcomes),
        "retrieval": _retrieval_scores(covered),
        "by_language": by_lang,
        "by_stage": by_stage,
        "refusals_correct": round(sum(not o.answer.covered for o in uncovered) / (len(uncovered) or 1), 3),
        "answered_when_covered": round(sum(o.answer.covered for o in covered) / (len(covered) or 1), 3),
        "citation_validity": round(sum(o.citations_valid for o in outcomes) / (len(outcomes) or 1), 3),
        "latency_ms": {
            "retrieve_p50": _percentile(retrieve_ms, 0.5),
            "retrieve_p95": _percentile(retrieve_ms, 0.95),
            "total_p50": _percentile(total_ms, 0.5),
            "total_p95": _percentile(total_ms, 0.95),
            "mean_total": round(statistics.fmean(total_ms), 1) if total_ms else 0.0,
        },
    }


def outcome_line(outcome: Outcome) -> str:
    return json.dumps(outcome.as_json(), ensure_ascii=False)
