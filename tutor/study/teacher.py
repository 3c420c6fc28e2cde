"""The teacher's view of a class: per stage and concept who has practised, their mastery, who is stuck, and the
questions asked most in the chat. Read from the study records only; the Teacher panel and `tutor study class`
show it, and only a teacher's account may see it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from tutor.study.db import AskedQuestion, ClassRow
from tutor.study.mastery import MASTERED
from tutor.study.service import StudyService

STUCK_WRONG = 3  # wrong answers among a learner's last five to a concept not yet mastered make them stuck on it


@dataclass(frozen=True)
class LearnerOnConcept:
    learner: str
    attempts: int
    wrong: int
    mastery: float
    stuck: bool


@dataclass(frozen=True)
class ConceptInClass:
    id: str
    stage: str
    title_en: str
    title_zh: str
    learners: list[LearnerOnConcept]

    @property
    def mastered(self) -> list[str]:
        return [x.learner for x in self.learners if x.mastery >= MASTERED]

    @property
    def stuck(self) -> list[str]:
        return [x.learner for x in self.learners if x.stuck]

    @property
    def mean_mastery(self) -> float:
        return sum(x.mastery for x in self.learners) / len(self.learners) if self.learners else 0.0

    def as_json(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "stage": self.stage,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "practised": [x.learner for x in self.learners],
            "attempts": sum(x.attempts for x in self.learners),
            "mastery": {x.learner: round(x.mastery, 3) for x in self.learners},
            "mean_mastery": round(self.mean_mastery, 3),
            "mastered": self.mastered,
            "stuck": self.stuck,
        }


@dataclass(frozen=True)
class StageInClass:
    stage: str
    title_en: str
    title_zh: str
    concepts: int
    practised: list[str]  # learners who answered at least one item of the stage
    mastered: dict[str, int]  # learner → concepts of the stage mastered

    def as_json(self) -> dict[str, Any]:
        return {
            "stage": self.stage,
            "title_en": self.title_en,
            "title_zh": self.title_zh,
            "concepts": self.concepts,
            "practised": self.practised,
            "mastered": self.mastered,
        }


@dataclass(frozen=True)
class LearnerSummary:
    name: str
    attempts: int
    correct: int
    mastered: int
    stuck: list[str]  # concept ids
    last_active: str

    def as_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "attempts": self.attempts,
            "correct": self.correct,
            "mastered": self.mastered,
            "stuck": self.stuck,
            "last_active": self.last_active,
        }


@dataclass(frozen=True)
class ClassView:
    learners: list[LearnerSummary]
    stages: list[StageInClass]
    concepts: list[ConceptInClass]
    questions: list[AskedQuestion]

    @property
    def attempts(self) -> int:
        return sum(x.attempts for x in self.learners)

    def as_json(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "learners": [x.as_json() for x in self.learners],
            "stages": [x.as_json() for x in self.stages],
            "concepts": [x.as_json() for x in self.concepts],
            "questions": [
                {"question": q.question, "times": q.times, "learners": q.learners, "concept": q.concept}
                for q in self.questions
            ],
        }


def class_view(service: StudyService, roster: Sequence[str] = (), top_questions: int = 10) -> ClassView:
    """The whole class from the study records; `roster` (the accounts) adds learners who have not practised yet."""
    rows = service.repo.class_rows()
    by_concept: dict[str, list[ClassRow]] = {}
    by_learner: dict[str, list[ClassRow]] = {name: [] for name in roster}
    for row in rows:
        by_concept.setdefault(row.concept, []).append(row)
        by_learner.setdefault(row.learner, []).append(row)

    def stuck(row: ClassRow) -> bool:
        return row.recent_wrong >= STUCK_WRONG and row.mastery < MASTERED

    concepts = [
        ConceptInClass(
            c.id,
            c.stage,
            c.title_en,
            c.title_zh,
            [LearnerOnConcept(r.learner, r.attempts, r.wrong, r.mastery, stuck(r)) for r in by_concept.get(c.id, [])],
        )
        for c in service.path.concepts
    ]
    stages = []
    for stage in service.readings.ordered_stages():
        in_stage = [c for c in concepts if c.stage == stage.id]
        practised = sorted({x.learner for c in in_stage for x in c.learners})
        mastered = {name: sum(name in c.mastered for c in in_stage) for name in practised}
        stages.append(StageInClass(stage.id, stage.title_en, stage.title_zh, len(in_stage), practised, mastered))
    learners = [
        LearnerSummary(
            name,
            sum(r.attempts for r in mine),
            sum(r.attempts - r.wrong for r in mine),
            sum(r.mastery >= MASTERED for r in mine),
            [r.concept for r in mine if stuck(r)],
            max((r.last_at for r in mine), default=""),
        )
        for name, mine in sorted(by_learner.items())
    ]
    return ClassView(learners, stages, concepts, service.repo.top_questions(top_questions))
