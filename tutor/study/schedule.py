"""Spaced repetition with the maintained `fsrs` package: one card per learner and concept.

Reviewing a concept (not each item) keeps the schedule about what the learner knows: a concept has
six or more items per language, and any of them is a fair review of it. Fuzzing is off so replaying
the same attempts (import, migration) always yields the same schedule.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler

_SCHEDULER = Scheduler(enable_fuzzing=False)


def now_utc() -> datetime:
    return datetime.now(UTC)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat()


def parse_iso(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)


def rating_for(correct: bool, score: float) -> Rating:
    """Right is Good; a wrong answer that still made half the points is Hard; otherwise Again."""
    if correct:
        return Rating.Good
    return Rating.Hard if score >= 0.5 else Rating.Again


def new_card(concept: str, at: datetime) -> Card:
    # A stable id from the concept: Card() without one sleeps a millisecond to make a unique timestamp.
    return Card(card_id=zlib.crc32(concept.encode()), due=at)


def review(card_json: str | None, concept: str, correct: bool, score: float, at: datetime) -> Card:
    """The concept's card after one more answer at `at`."""
    card = Card.from_json(card_json) if card_json else new_card(concept, at)
    reviewed, _ = _SCHEDULER.review_card(card, rating_for(correct, score), review_datetime=at.astimezone(UTC))
    return reviewed


def retrievability(card_json: str, at: datetime) -> float:
    """fsrs' estimate that the learner would recall the concept now (shown next to mastery)."""
    return float(_SCHEDULER.get_card_retrievability(Card.from_json(card_json), at.astimezone(UTC)))
