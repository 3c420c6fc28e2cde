"""Check the open-answer grader against labelled answers (eval/grading.jsonl) and fit its thresholds.

Each line holds an item inline (question, reference, key points), an answer, and whether a careful
human marks it correct. `kind` says what the answer is testing: right, cross (right, in the other
language), partial, fluent-wrong, negation, direction, off-topic. "Fluent wrong" answers are the
wrong ones that read well: fluent-wrong, negation and direction.
"""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, ValidationError

from tutor.errors import ConfigError
from tutor.study.grading import Calibration, Embedder, Grade, Grader, Thresholds
from tutor.study.items import Item, KeyPoint, OpenItem, Source

FLUENT_WRONG = ("fluent-wrong", "negation", "direction")


class _InlineItem(BaseModel):
    model_config = ConfigDict(extra="forbid")
    lang: str
    question: str
    reference: str
    key_points: list[KeyPoint]


class Case(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    split: Literal["dev", "holdout"] = "dev"
    item_id: str
    item: _InlineItem
    answer: str
    answer_lang: str
    label: bool
    kind: str

    def as_item(self) -> Item:
        body = OpenItem(
            id=self.item_id,
            level="intermediate",
            question=self.item.question,
            reference=self.item.reference,
            source=Source(id="eval", section="eval"),
            key_points=self.item.key_points,
        )
        return Item(f"eval.{self.item.lang}.{self.item_id}", "note-eval", self.item.lang, body)


def load_cases(path: Path) -> list[Case]:
    cases: list[Case] = []
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"Cannot read the labelled answers {path}: {exc.strerror}.") from exc
    for n, line in enumerate(lines, 1):
        if line.strip():
            try:
                cases.append(Case.model_validate(json.loads(line)))
            except (ValueError, ValidationError) as exc:
                raise ConfigError(f"{path}:{n} is not a labelled answer: {exc}") from exc
    return cases


@dataclass(frozen=True)
class Outcome:
    case: Case
    grade: Grade

    @property
    def agrees(self) -> bool:
        return self.grade.correct == self.case.label


def run(grader: Grader, cases: Iterable[Case]) -> list[Outcome]:
    return [Outcome(c, grader.grade(c.as_item(), c.answer)) for c in cases]


def summarise(outcomes: list[Outcome]) -> dict[str, Any]:
    """Accuracy overall, per answer language and per kind; and how often a fluent wrong answer passes."""

    def accuracy(rows: list[Outcome]) -> float:
        return round(sum(o.agrees for o in rows) / len(rows), 3) if rows else 0.0

    fluent = [o for o in outcomes if o.case.kind in FLUENT_WRONG and not o.case.label]
    wrong = [o for o in outcomes if not o.case.label]
    right = [o for o in outcomes if o.case.label]
    langs = sorted({o.case.answer_lang for o in outcomes})
    kinds = sorted({o.case.kind for o in outcomes})
    return {
        "n": len(outcomes),
        "accuracy": accuracy(outcomes),
        "fluent_wrong_accepted": round(sum(o.grade.correct for o in fluent) / len(fluent), 3) if fluent else 0.0,
        "fluent_wrong_n": len(fluent),
        "wrong_accepted": round(sum(o.grade.correct for o in wrong) / len(wrong), 3) if wrong else 0.0,
        "right_rejected": round(sum(not o.grade.correct for o in right) / len(right), 3) if right else 0.0,
        "by_language": {lang: accuracy([o for o in outcomes if o.case.answer_lang == lang]) for lang in langs},
        "by_kind": {kind: accuracy([o for o in outcomes if o.case.kind == kind]) for kind in kinds},
        "n_by_language": {lang: sum(o.case.answer_lang == lang for o in outcomes) for lang in langs},
        "by_split": {
            split: {
                "n": len(rows),
                "accuracy": accuracy(rows),
                "fluent_wrong_accepted": _rate([o for o in rows if o.case.kind in FLUENT_WRONG and not o.case.label]),
            }
            for split in ("dev", "holdout")
            if (rows := [o for o in outcomes if o.case.split == split])
        },
    }


def _rate(fluent: list[Outcome]) -> float:
    return round(sum(o.grade.correct for o in fluent) / len(fluent), 3) if fluent else 0.0


FLOORS = (0.0, 0.05, 0.1, 0.15, 0.2, 0.25, 0.3)
PARAPHRASES = (0.45, 0.5, 0.55, 0.6, 0.65, 0.7, 0.75, 0.8, 0.9, 1.01)


class _Memo:
    """Embeds each text once: the grid below grades the same answers thousands of times."""

    def __init__(self, inner: Embedder) -> None:
        self.inner = inner
        self.vectors: dict[str, list[float]] = {}

    def embed_documents(self, texts: list[str]) -> list[list[float]]:
        missing = [t for t in dict.fromkeys(texts) if t not in self.vectors]
        if missing:
            self.vectors.update(zip(missing, self.inner.embed_documents(missing), strict=True))
        return [self.vectors[t] for t in texts]


def with_pairs(base: Calibration, same: Thresholds, cross: Thresholds) -> Calibration:
    pairs = {"en-en": same, "zh-zh": same, "zh-en": cross, "en-zh": cross, "default": cross}
    return replace(base, pairs=pairs)


def fit(grader: Grader, cases: list[Case]) -> Calibration:
    """Grid-search one (floor, paraphrase) pair for same-language and one for cross-language answers.

    Objective: accuracy, provided fluent wrong answers pass at most 10 % of the time; ties go to the
    stricter paraphrase threshold (fewer answers accepted on similarity alone). Same- and cross-language
    answers depend on different thresholds, so each half is graded per grid point and the halves combined.
    """
    embedder = grader.embedder
    memo = _Memo(embedder) if embedder is not None else None
    grid = list(itertools.product(FLOORS, PARAPHRASES))
    fluent_total = sum(c.kind in FLUENT_WRONG and not c.label for c in cases) or 1

    def scan(subset: list[Case], which: str) -> list[tuple[int, int, Thresholds]]:
        rows = []
        for floor, paraphrase in grid:
            t = Thresholds(floor, paraphrase)
            other = Thresholds(0.0, 1.01)
            cal = (
                with_pairs(grader.calibration, t, other)
                if which == "same"
                else with_pairs(grader.calibration, other, t)
            )
            outcomes = run(Grader(memo, grader.glossary, cal, grader.max_chars), subset)
            agree = sum(o.agrees for o in outcomes)
            passed = sum(o.grade.correct for o in outcomes if o.case.kind in FLUENT_WRONG and not o.case.label)
            rows.append((agree, passed, t))
        return rows

    same_rows = scan([c for c in cases if c.answer_lang == c.item.lang], "same")
    cross_rows = scan([c for c in cases if c.answer_lang != c.item.lang], "cross")
    best: tuple[tuple[float, ...], Calibration] | None = None
    for (a1, f1, t1), (a2, f2, t2) in itertools.product(same_rows, cross_rows):
        if (f1 + f2) / fluent_total > 0.10:
            continue
        key = (a1 + a2, t1.paraphrase + t2.paraphrase, -(f1 + f2), -(t1.floor + t2.floor))
        if best is None or key > best[0]:
            best = (key, with_pairs(grader.calibration, t1, t2))
    if best is None:
        raise ConfigError("No thresholds keep fluent wrong answers under 10 %; the key points need better terms.")
    return best[1]
