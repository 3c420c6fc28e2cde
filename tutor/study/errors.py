"""Errors of study mode; both are TutorErrors, so the CLI and the UI show them as messages.

TutorError
└── StudyError          an unknown item or learner, an empty or malformed answer, a bad import file
    └── DatabaseError   the study database is damaged, locked for too long, or from a newer tutor
"""

from __future__ import annotations

from tutor.errors import TutorError


class StudyError(TutorError):
    """Something about a study request is wrong; the message says what to do instead."""


class DatabaseError(StudyError):
    """The SQLite file holding learners' records cannot be used as it is."""
