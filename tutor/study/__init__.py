"""Study mode: practice items, grading, mastery, spaced repetition and progress along the reading path.

items.py     practice files → validated items
grading.py   multiple choice exactly; open answers by key points (terms, polarity, direction, similarity)
db.py        learners' records in SQLite (versioned schema, WAL) behind a repository interface
schedule.py  fsrs review schedule per learner and concept
mastery.py   concepts, prerequisites, path order, mastery from attempts
service.py   StudyService: next, answer, progress, reset, export/import, exposure, sections read
cli.py       `tutor study …`
"""

from __future__ import annotations

from tutor.study.errors import DatabaseError, StudyError
from tutor.study.service import AnswerResult, NextItem, Progress, StudyService

__all__ = ["AnswerResult", "DatabaseError", "NextItem", "Progress", "StudyError", "StudyService"]
