"""Learners' records in SQLite under the data directory, behind a small repository interface.

Safe with several web workers and threads: every call opens its own connection (cheap for SQLite),
the file is in WAL mode so readers never block the writer, writers wait up to a busy timeout, and each
write is one `BEGIN IMMEDIATE` transaction. The schema is versioned with `PRAGMA user_version` and
upgraded by numbered migrations after a backup copy; an older file is migrated, never dropped.

The SQL is plain (no SQLite-only types), and the rest of study mode only sees `Repository`, so the
records could move to PostgreSQL by writing one more class.
"""

from __future__ import annotations

import os
import sqlite3
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from tutor.study.errors import DatabaseError

# Each entry upgrades the schema by one version; never edit a shipped one, append a new one.
MIGRATIONS: list[tuple[str, str]] = [
    (
        "attempts and the review schedule",
        """
        CREATE TABLE learners (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE,
            created_at TEXT NOT NULL
        );
        CREATE TABLE attempts (
            id INTEGER PRIMARY KEY,
            learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
            item_id TEXT NOT NULL,
            concept TEXT NOT NULL,
            kind TEXT NOT NULL,
            answer TEXT NOT NULL,
            correct INTEGER NOT NULL,
            score REAL NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX attempts_by_learner_concept ON attempts(learner_id, concept, id);
        CREATE TABLE concept_state (
            learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
            concept TEXT NOT NULL,
            mastery REAL NOT NULL,
            attempts INTEGER NOT NULL,
            card TEXT NOT NULL,
            due TEXT NOT NULL,
            PRIMARY KEY (learner_id, concept)
        );
        """,
    ),
    (
        "chat exposure and sections read",
        """
        CREATE TABLE exposures (
            id INTEGER PRIMARY KEY,
            learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
            concept TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX exposures_by_learner ON exposures(learner_id, concept);
        CREATE TABLE sections_read (
            learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
            reading_id TEXT NOT NULL,
            section TEXT NOT NULL,
            created_at TEXT NOT NULL,
            PRIMARY KEY (learner_id, reading_id, section)
        );
        """,
    ),
    (
        "questions asked in the chat, for the teacher's view",
        """
        CREATE TABLE questions (
            id INTEGER PRIMARY KEY,
            learner_id INTEGER NOT NULL REFERENCES learners(id) ON DELETE CASCADE,
            question TEXT NOT NULL,
            concept TEXT NOT NULL,
            covered INTEGER NOT NULL,
            created_at TEXT NOT NULL
        );
        CREATE INDEX questions_by_learner ON questions(learner_id);
        """,
    ),
    (
        "the placement check: the last stage found known ('' when skipped or none)",
        """
        CREATE TABLE placements (
            learner_id INTEGER PRIMARY KEY REFERENCES learners(id) ON DELETE CASCADE,
            stage TEXT NOT NULL,
            created_at TEXT NOT NULL
        );
        """,
    ),
]
SCHEMA_VERSION = len(MIGRATIONS)


@dataclass(frozen=True)
class Attempt:
    item_id: str
    concept: str
    kind: str
    answer: str
    correct: bool
    score: float
    created_at: str  # ISO 8601, UTC


@dataclass(frozen=True)
class ConceptState:
    """What is known about one learner and one concept, derived from the attempts (so rebuildable)."""

    concept: str
    mastery: float
    attempts: int
    card: str  # the fsrs card as JSON
    due: str  # ISO 8601, UTC


@dataclass(frozen=True)
class Question:
    """A question a learner asked in the chat, and the concept it was answered from ('' when declined)."""

    question: str
    concept: str
    covered: bool
    created_at: str


@dataclass(frozen=True)
class Placement:
    """The placement check, taken or skipped: the last stage of the path it found known ('' for none)."""

    stage: str
    created_at: str


@dataclass(frozen=True)
class ClassRow:
    """One learner's practice of one concept, as the teacher's view needs it."""

    learner: str
    concept: str
    attempts: int
    wrong: int
    recent_wrong: int  # wrong answers among the last RECENT_FOR_STUCK
    mastery: float
    last_at: str


@dataclass(frozen=True)
class AskedQuestion:
    question: str
    times: int
    learners: int
    concept: str


@dataclass(frozen=True)
class ItemStat:
    item_id: str
    times: int
    last_id: int
    last_correct: bool


# The update callback gets the concept's recent scores (newest first) and its current state, if any.
StateUpdate = Callable[[list[float], ConceptState | None], ConceptState]


class Repository(Protocol):
    """The storage study mode needs; SqliteRepository is the one implementation."""

    def learner_id(self, name: str) -> int | None: ...
    def ensure_learner(self, name: str, now: str) -> int: ...
    def learners(self) -> list[str]: ...
    def record_attempt(self, learner: int, attempt: Attempt, update: StateUpdate) -> ConceptState: ...
    def concept_states(self, learner: int) -> dict[str, ConceptState]: ...
    def item_stats(self, learner: int, concept: str) -> dict[str, ItemStat]: ...
    def attempts(self, learner: int) -> list[Attempt]: ...
    def add_exposure(self, learner: int, concept: str, now: str) -> None: ...
    def exposures(self, learner: int) -> list[tuple[str, str]]: ...
    def set_sections_read(self, learner: int, reading_id: str, sections: list[str], now: str) -> None: ...
    def sections_read(self, learner: int) -> list[tuple[str, str, str]]: ...
    def add_question(self, learner: int, question: Question) -> None: ...
    def questions(self, learner: int) -> list[Question]: ...
    def placement(self, learner: int) -> Placement | None: ...
    def set_placement(self, learner: int, placement: Placement) -> None: ...
    def replace_record(
        self,
        learner: int,
        attempts: list[Attempt],
        states: list[ConceptState],
        exposures: list[tuple[str, str]],
        sections: list[tuple[str, str, str]],
        questions: list[Question],
        placement: Placement | None = None,
    ) -> None: ...
    def count_attempts(self, learner: int | None = None) -> int: ...
    def class_rows(self) -> list[ClassRow]: ...
    def top_questions(self, limit: int) -> list[AskedQuestion]: ...


RECENT = 30  # attempts per concept that mastery looks at; older ones weigh < 0.7**30
RECENT_FOR_STUCK = 5  # the teacher's view calls a learner stuck on a concept from their last five answers to it


class SqliteRepository:
    """Learners, attempts and schedules in one SQLite file."""

    def __init__(self, path: Path, busy_timeout: float = 15.0) -> None:
        self.path = path
        self.busy_timeout = busy_timeout
        self._local = threading.local()
        path.parent.mkdir(parents=True, exist_ok=True)
        self._migrate()

    # -------------------------------------------------------------------------------- plumbing

    def _damaged(self, exc: Exception) -> DatabaseError:
        text = str(exc)
        if isinstance(exc, sqlite3.OperationalError) and ("locked" in text or "busy" in text):
            return DatabaseError(
                f"The study database {self.path} stayed locked for more than {self.busy_timeout:.0f} s "
                "(another process is writing to it). Try again; if it persists, stop the other tutor processes."
            )
        if not any(sign in text for sign in ("not a database", "malformed", "corrupt", "encrypted", "disk I/O")):
            return DatabaseError(f"The study database {self.path} failed: {exc}.")
        return DatabaseError(
            f"The study database {self.path} cannot be used ({exc}). It is damaged or not a tutor database. "
            f"Move it aside (e.g. `mv {self.path} {self.path}.bad`) and tutor starts a new one; "
            "restore a learner's record with `tutor study import FILE` if you exported it."
        )

    def _open(self) -> sqlite3.Connection:
        try:
            conn = sqlite3.connect(self.path, timeout=self.busy_timeout, isolation_level=None)
            conn.execute(f"PRAGMA busy_timeout = {int(self.busy_timeout * 1000)}")
            conn.execute("PRAGMA foreign_keys = ON")
            conn.execute("PRAGMA synchronous = NORMAL")
        except sqlite3.Error as exc:
            raise self._damaged(exc) from exc
        return conn

    @contextmanager
    def _connect(self) -> Iterator[sqlite3.Connection]:
        """This thread's connection, kept open: closing the last connection to a WAL file checkpoints
        and deletes the log (an fsync, ~10 ms), which per-call connections would pay on every request."""
        local = self._local
        if getattr(local, "pid", None) != os.getpid() or getattr(local, "conn", None) is None:
            local.conn, local.pid = self._open(), os.getpid()  # a forked worker opens its own
        conn: sqlite3.Connection = local.conn
        try:
            yield conn
        except sqlite3.DatabaseError as exc:
            local.conn = None
            conn.close()
            raise self._damaged(exc) from exc

    def close(self) -> None:
        """Close this thread's connection (others close when their thread ends)."""
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None

    @contextmanager
    def _write(self) -> Iterator[sqlite3.Connection]:
        """One write transaction, taken up front so two writers never deadlock upgrading a read lock."""
        with self._connect() as conn:
            conn.execute("BEGIN IMMEDIATE")
            try:
                yield conn
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def _migrate(self) -> None:
        fresh = not self.path.exists() or self.path.stat().st_size == 0
        with self._connect() as conn:
            conn.execute("PRAGMA journal_mode = WAL")
            version = conn.execute("PRAGMA user_version").fetchone()[0]
            if version > SCHEMA_VERSION:
                raise DatabaseError(
                    f"The study database {self.path} has schema version {version}, newer than this tutor "
                    f"understands ({SCHEMA_VERSION}). Upgrade tutor, or point TUTOR_DATA_DIR elsewhere."
                )
            if version == SCHEMA_VERSION:
                return
            tables = conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'").fetchall()
            if version == 0 and tables:
                raise DatabaseError(
                    f"{self.path} is a SQLite file but not a tutor study database (it has tables "
                    f"{', '.join(t[0] for t in tables)}). Move it aside so tutor can create its own."
                )
            if not fresh and version > 0:
                backup = self.path.with_name(f"{self.path.name}.v{version}.bak")
                with sqlite3.connect(backup) as copy:
                    conn.backup(copy)
                copy.close()
            conn.execute("BEGIN IMMEDIATE")
            try:
                # Re-read inside the lock: another worker may have migrated meanwhile.
                current = conn.execute("PRAGMA user_version").fetchone()[0]
                for number, (_, sql) in enumerate(MIGRATIONS[current:], start=current + 1):
                    for statement in sql.split(";"):
                        if statement.strip():
                            conn.execute(statement)
                    conn.execute(f"PRAGMA user_version = {number}")
            except BaseException:
                conn.execute("ROLLBACK")
                raise
            conn.execute("COMMIT")

    def schema_version(self) -> int:
        with self._connect() as conn:
            return int(conn.execute("PRAGMA user_version").fetchone()[0])

    # -------------------------------------------------------------------------------- learners

    def learner_id(self, name: str) -> int | None:
        with self._connect() as conn:
            row = conn.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        return int(row[0]) if row else None

    def ensure_learner(self, name: str, now: str) -> int:
        found = self.learner_id(name)
        if found is not None:
            return found
        with self._write() as conn:
            conn.execute(
                "INSERT INTO learners (name, created_at) VALUES (?, ?) ON CONFLICT(name) DO NOTHING", (name, now)
            )
            row = conn.execute("SELECT id FROM learners WHERE name = ?", (name,)).fetchone()
        return int(row[0])

    def learners(self) -> list[str]:
        with self._connect() as conn:
            return [r[0] for r in conn.execute("SELECT name FROM learners ORDER BY name")]

    # -------------------------------------------------------------------------------- attempts

    def record_attempt(self, learner: int, attempt: Attempt, update: StateUpdate) -> ConceptState:
        """Store the attempt and the concept's new state in one transaction (no lost updates)."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO attempts (learner_id, item_id, concept, kind, answer, correct, score, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                (
                    learner,
                    attempt.item_id,
                    attempt.concept,
                    attempt.kind,
                    attempt.answer,
                    int(attempt.correct),
                    attempt.score,
                    attempt.created_at,
                ),
            )
            scores = [
                float(r[0])
                for r in conn.execute(
                    "SELECT score FROM attempts WHERE learner_id = ? AND concept = ? ORDER BY id DESC LIMIT ?",
                    (learner, attempt.concept, RECENT),
                )
            ]
            row = conn.execute(
                "SELECT concept, mastery, attempts, card, due FROM concept_state WHERE learner_id = ? AND concept = ?",
                (learner, attempt.concept),
            ).fetchone()
            state = update(scores, ConceptState(*row) if row else None)
            self._upsert_state(conn, learner, state)
        return state

    @staticmethod
    def _upsert_state(conn: sqlite3.Connection, learner: int, s: ConceptState) -> None:
        conn.execute(
            "INSERT INTO concept_state (learner_id, concept, mastery, attempts, card, due) VALUES (?, ?, ?, ?, ?, ?) "
            "ON CONFLICT(learner_id, concept) DO UPDATE SET mastery = excluded.mastery, "
            "attempts = excluded.attempts, card = excluded.card, due = excluded.due",
            (learner, s.concept, s.mastery, s.attempts, s.card, s.due),
        )

    def concept_states(self, learner: int) -> dict[str, ConceptState]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT concept, mastery, attempts, card, due FROM concept_state WHERE learner_id = ?", (learner,)
            ).fetchall()
        return {r[0]: ConceptState(*r) for r in rows}

    def item_stats(self, learner: int, concept: str) -> dict[str, ItemStat]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT s.item_id, s.times, s.last_id, b.correct FROM ("
                "SELECT item_id, COUNT(*) AS times, MAX(id) AS last_id FROM attempts "
                "WHERE learner_id = ? AND concept = ? GROUP BY item_id) AS s "
                "JOIN attempts AS b ON b.id = s.last_id",
                (learner, concept),
            ).fetchall()
        return {r[0]: ItemStat(r[0], int(r[1]), int(r[2]), bool(r[3])) for r in rows}

    def attempts(self, learner: int) -> list[Attempt]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT item_id, concept, kind, answer, correct, score, created_at FROM attempts "
                "WHERE learner_id = ? ORDER BY id",
                (learner,),
            ).fetchall()
        return [Attempt(r[0], r[1], r[2], r[3], bool(r[4]), float(r[5]), r[6]) for r in rows]

    def count_attempts(self, learner: int | None = None) -> int:
        with self._connect() as conn:
            if learner is None:
                return int(conn.execute("SELECT COUNT(*) FROM attempts").fetchone()[0])
            return int(conn.execute("SELECT COUNT(*) FROM attempts WHERE learner_id = ?", (learner,)).fetchone()[0])

    # -------------------------------------------------------------------------------- exposure, reading

    def add_exposure(self, learner: int, concept: str, now: str) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO exposures (learner_id, concept, created_at) VALUES (?, ?, ?)", (learner, concept, now)
            )

    def exposures(self, learner: int) -> list[tuple[str, str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT concept, created_at FROM exposures WHERE learner_id = ? ORDER BY id", (learner,)
            ).fetchall()
        return [(r[0], r[1]) for r in rows]

    def set_sections_read(self, learner: int, reading_id: str, sections: list[str], now: str) -> None:
        """The reading's read sections become exactly `sections` (unticking one unmarks it)."""
        with self._write() as conn:
            conn.execute("DELETE FROM sections_read WHERE learner_id = ? AND reading_id = ?", (learner, reading_id))
            conn.executemany(
                "INSERT INTO sections_read (learner_id, reading_id, section, created_at) VALUES (?, ?, ?, ?)",
                [(learner, reading_id, s, now) for s in dict.fromkeys(sections)],
            )

    def sections_read(self, learner: int) -> list[tuple[str, str, str]]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT reading_id, section, created_at FROM sections_read WHERE learner_id = ? "
                "ORDER BY reading_id, section",
                (learner,),
            ).fetchall()
        return [(r[0], r[1], r[2]) for r in rows]

    # -------------------------------------------------------------------------------- chat questions

    def add_question(self, learner: int, question: Question) -> None:
        with self._write() as conn:
            conn.execute(
                "INSERT INTO questions (learner_id, question, concept, covered, created_at) VALUES (?, ?, ?, ?, ?)",
                (learner, question.question, question.concept, int(question.covered), question.created_at),
            )

    def questions(self, learner: int) -> list[Question]:
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT question, concept, covered, created_at FROM questions WHERE learner_id = ? ORDER BY id",
                (learner,),
            ).fetchall()
        return [Question(r[0], r[1], bool(r[2]), r[3]) for r in rows]

    # -------------------------------------------------------------------------------- placement

    def placement(self, learner: int) -> Placement | None:
        with self._connect() as conn:
            row = conn.execute("SELECT stage, created_at FROM placements WHERE learner_id = ?", (learner,)).fetchone()
        return Placement(row[0], row[1]) if row else None

    def set_placement(self, learner: int, placement: Placement) -> None:
        """Taking the check again replaces the earlier result."""
        with self._write() as conn:
            conn.execute(
                "INSERT INTO placements (learner_id, stage, created_at) VALUES (?, ?, ?) ON CONFLICT(learner_id) "
                "DO UPDATE SET stage = excluded.stage, created_at = excluded.created_at",
                (learner, placement.stage, placement.created_at),
            )

    # -------------------------------------------------------------------------------- the whole class

    def class_rows(self) -> list[ClassRow]:
        """Every learner's practice per concept, in one query (window functions need SQLite 3.25, from 2018)."""
        with self._connect() as conn:
            rows = conn.execute(
                "WITH ranked AS (SELECT learner_id, concept, correct, created_at, ROW_NUMBER() OVER "
                "(PARTITION BY learner_id, concept ORDER BY id DESC) AS back FROM attempts) "
                "SELECT l.name, r.concept, COUNT(*), SUM(1 - r.correct), "
                "SUM(CASE WHEN r.back <= ? AND r.correct = 0 THEN 1 ELSE 0 END), COALESCE(MAX(s.mastery), 0), "
                "MAX(r.created_at) FROM ranked AS r JOIN learners AS l ON l.id = r.learner_id "
                "LEFT JOIN concept_state AS s ON s.learner_id = r.learner_id AND s.concept = r.concept "
                "GROUP BY r.learner_id, r.concept ORDER BY l.name, r.concept",
                (RECENT_FOR_STUCK,),
            ).fetchall()
        return [ClassRow(r[0], r[1], int(r[2]), int(r[3]), int(r[4]), float(r[5]), r[6]) for r in rows]

    def top_questions(self, limit: int) -> list[AskedQuestion]:
        """The questions asked most, the same question in other case or spacing counted together."""
        with self._connect() as conn:
            rows = conn.execute(
                "SELECT MIN(question), COUNT(*), COUNT(DISTINCT learner_id), MAX(concept) FROM questions "
                "GROUP BY lower(trim(question)) ORDER BY COUNT(*) DESC, COUNT(DISTINCT learner_id) DESC, "
                "MAX(created_at) DESC LIMIT ?",
                (limit,),
            ).fetchall()
        return [AskedQuestion(r[0], int(r[1]), int(r[2]), r[3] or "") for r in rows]

    # -------------------------------------------------------------------------------- whole records

    def replace_record(
        self,
        learner: int,
        attempts: list[Attempt],
        states: list[ConceptState],
        exposures: list[tuple[str, str]],
        sections: list[tuple[str, str, str]],
        questions: list[Question],
        placement: Placement | None = None,
    ) -> None:
        """Swap a learner's whole record in one transaction (reset is the empty record; import a merged one)."""
        with self._write() as conn:
            for table in ("attempts", "concept_state", "exposures", "sections_read", "questions", "placements"):
                conn.execute(f"DELETE FROM {table} WHERE learner_id = ?", (learner,))  # table names are fixed above
            if placement is not None:
                conn.execute(
                    "INSERT INTO placements (learner_id, stage, created_at) VALUES (?, ?, ?)",
                    (learner, placement.stage, placement.created_at),
                )
            conn.executemany(
                "INSERT INTO questions (learner_id, question, concept, covered, created_at) VALUES (?, ?, ?, ?, ?)",
                [(learner, q.question, q.concept, int(q.covered), q.created_at) for q in questions],
            )
            conn.executemany(
                "INSERT INTO attempts (learner_id, item_id, concept, kind, answer, correct, score, created_at) "
                "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
                [
                    (learner, a.item_id, a.concept, a.kind, a.answer, int(a.correct), a.score, a.created_at)
                    for a in attempts
                ],
            )
            for state in states:
                self._upsert_state(conn, learner, state)
            conn.executemany(
                "INSERT INTO exposures (learner_id, concept, created_at) VALUES (?, ?, ?)",
                [(learner, c, at) for c, at in exposures],
            )
            conn.executemany(
                "INSERT INTO sections_read (learner_id, reading_id, section, created_at) VALUES (?, ?, ?, ?)",
                [(learner, r, s, at) for r, s, at in sections],
            )


def open_repository(data_dir: Path, **kwargs: Any) -> SqliteRepository:
    return SqliteRepository(data_dir / "study.sqlite3", **kwargs)
