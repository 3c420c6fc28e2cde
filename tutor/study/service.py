"""Study mode as one object: what to practise next, grading an answer, progress, reset, export/import.

The CLI and the web tab are thin shells over `StudyService`; everything they print comes from the
dataclasses below, whose `as_json()` is the stable contract of `tutor study … --json`.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Collection
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError

from tutor.accounts import NAME
from tutor.config import Settings
from tutor.echo import shown
from tutor.glossary import Glossary, load_glossary
from tutor.notes import load_notes
from tutor.readings import ReadingList, load_reading_list
from tutor.study.db import RECENT, Attempt, ConceptState, Placement, Question, Repository, open_repository
from tutor.study.errors import StudyError
from tutor.study.grading import Embedder, Grade, Grader
from tutor.study.items import LEVEL_RANK, Item, ItemBank, McqItem, Source, load_items
from tutor.study.mastery import MASTERED, PLACED, Concept, ConceptPath, build_path, mastery_from
from tutor.study.placement import PlacementResult, place, placed_concepts, placement_items
from tutor.study.schedule import iso, now_utc, parse_iso, review

EXPORT_FORMAT = "tutor-study-record"


# ------------------------------------------------------------------------------------------ results


@dataclass(frozen=True)
class NextItem:
    item: Item
    why: str
    due_reviews: int
    reason: Literal["review", "new", "chosen", "ahead"]
    read: Source

    def as_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {
            "item_id": self.item.id,
            "concept": self.item.concept,
            "kind": self.item.kind,
            "question": self.item.question,
        }
        if isinstance(self.item.body, McqItem):
            out["choices"] = [
                f"{letter}. {text}" for letter, text in zip("ABCDEFGH", self.item.body.choices, strict=False)
            ]
        out |= {"level": self.item.level, "due_reviews": self.due_reviews, "why": self.why}
        return out


@dataclass(frozen=True)
class AnswerResult:
    grade: Grade
    concept: str
    mastery: float
    next_review: str

    def as_json(self) -> dict[str, Any]:
        g = self.grade
        return {
            "item_id": g.item_id,
            "correct": g.correct,
            "score": g.score,
            "hit": g.hit,
            "missed": g.missed,
            "read": [{"reading_id": s.id, "section": s.section, "page": s.page} for s in g.read],
            "mastery": {self.concept: round(self.mastery, 3)},
            "next_review": self.next_review,
        }


@dataclass(frozen=True)
class ConceptProgress:
    id: str
    stage: str
    title_en: str
    title_zh: str
    mastery: float
    ready: bool
    due: bool
    attempts: int
    exposures: int
    has_items: bool
    quiz: bool = True  # false for the note about using the tutor: not counted as progress
    review_first: tuple[str, ...] = ()  # prerequisites (with items) not mastered yet: advice, never a lock
    placed: bool = False  # started as known after the placement check

    @property
    def mastered(self) -> bool:
        return self.mastery >= MASTERED

    @property
    def advice(self) -> Literal["mastered", "due", "ready", "review_first"]:
        """One word on what to do: any concept can be practised whatever this says."""
        if self.due:
            return "due"
        if self.mastered:
            return "mastered"
        return "ready" if not self.review_first else "review_first"


@dataclass(frozen=True)
class StageProgress:
    stage: str
    title_en: str
    title_zh: str
    mastered: int
    total: int
    sections_read: int
    sections_total: int
    mean_mastery: float = 0.0  # over the stage's concepts: moves with every answer, unlike the mastered count


@dataclass(frozen=True)
class Progress:
    learner: str
    stages: list[StageProgress]
    concepts: list[ConceptProgress]
    read: set[tuple[str, str]] = field(default_factory=set)

    current_stage: str = ""  # the stage of the concept to practise next; '' before any answer or placement

    def as_json(self) -> dict[str, Any]:
        return {
            "stages": [{"stage": s.stage, "mastered": s.mastered, "total": s.total} for s in self.stages],
            "concepts": [
                {"id": c.id, "mastery": round(c.mastery, 3), "ready": c.ready, "due": c.due} for c in self.concepts
            ],
        }


class _ExportedAttempt(BaseModel):
    model_config = ConfigDict(extra="forbid")
    item_id: str
    concept: str
    kind: Literal["mcq", "open"]
    answer: str
    correct: bool
    score: float = Field(ge=0, le=1)
    at: datetime


class _ExportedExposure(BaseModel):
    model_config = ConfigDict(extra="forbid")
    concept: str
    at: datetime


class _ExportedSection(BaseModel):
    model_config = ConfigDict(extra="forbid")
    reading_id: str
    section: str
    at: datetime


class _ExportedQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    question: str
    concept: str
    covered: bool
    at: datetime


class _ExportedPlacement(BaseModel):
    model_config = ConfigDict(extra="forbid")
    stage: str
    at: datetime


class ExportedRecord(BaseModel):
    """The JSON a learner downloads and imports elsewhere."""

    model_config = ConfigDict(extra="forbid")
    format: Literal["tutor-study-record"]
    version: Literal[1]
    learner: str
    exported_at: datetime
    attempts: list[_ExportedAttempt]
    exposures: list[_ExportedExposure] = []
    sections_read: list[_ExportedSection] = []
    questions: list[_ExportedQuestion] = []
    placement: _ExportedPlacement | None = None


# ------------------------------------------------------------------------------------------ service


class StudyService:
    """Everything study mode does, for one data directory and corpus."""

    def __init__(
        self,
        readings: ReadingList,
        path: ConceptPath,
        bank: ItemBank,
        grader: Grader,
        repo: Repository,
        clock: Callable[[], datetime] = now_utc,
    ) -> None:
        self.readings = readings
        self.path = path
        self.bank = bank
        self.grader = grader
        self.repo = repo
        self.clock = clock

    @classmethod
    def from_settings(
        cls,
        settings: Settings,
        embeddings: Callable[[], Embedder] | Embedder | None = None,
        readings: ReadingList | None = None,
        glossary: Glossary | None = None,
        clock: Callable[[], datetime] = now_utc,
    ) -> StudyService:
        """Load the corpus and open the database; the embedding model loads on the first open answer."""
        corpus = settings.data.corpus
        readings = readings or load_reading_list(corpus)
        glossary = glossary or load_glossary(corpus)
        if embeddings is None:
            embeddings = _multilingual_factory(settings)
        grader = Grader(embeddings, glossary, max_chars=settings.max_question_chars)
        return cls(
            readings,
            build_path(load_notes(corpus), readings),
            load_items(corpus, readings),
            grader,
            open_repository(settings.data.dir),
            clock,
        )

    # -------------------------------------------------------------------------------- learners

    @staticmethod
    def check_learner(name: str) -> str:
        clean = name.strip()
        if not NAME.fullmatch(clean):
            raise StudyError(
                f"Learner name {shown(name, 40)!r} is not usable: use 1-64 letters, digits or . _ @ + - (no spaces)."
            )
        return clean

    def _learner(self, name: str, create: bool) -> int:
        clean = self.check_learner(name)
        if create:
            return self.repo.ensure_learner(clean, iso(self.clock()))
        found = self.repo.learner_id(clean)
        if found is None:
            raise StudyError(
                f"No study record for learner {clean!r}. Start one with `tutor study next --learner {clean}` "
                "(names are case-sensitive)."
            )
        return found

    def _lookup(self, name: str) -> int | None:
        """The learner's row, if they have one; reading never creates it."""
        return self.repo.learner_id(self.check_learner(name))

    def known_learner(self, name: str) -> bool:
        return self._lookup(name) is not None

    def require_learner(self, name: str) -> None:
        """Raise the unknown-learner error now (before asking the user to confirm anything)."""
        self._learner(name, create=False)

    def _concept(self, name: str) -> Concept:
        found = self.path.resolve(name.strip())
        if found is None:
            known = ", ".join(c.slug for c in self.path.concepts)
            raise StudyError(f"Unknown concept {name!r}. Concepts on the path: {known}")
        return found

    # -------------------------------------------------------------------------------- next

    def _due(self, states: dict[str, ConceptState], now: datetime) -> list[ConceptState]:
        due = [
            s
            for s in states.values()
            if s.concept in self.path.by_id and self.bank.quiz(s.concept) and parse_iso(s.due) <= now
        ]
        return sorted(due, key=lambda s: s.due)

    def _placed(self, lid: int | None) -> frozenset[str]:
        placement = self.repo.placement(lid) if lid is not None else None
        return placed_concepts(self.path, self.bank, placement.stage) if placement and placement.stage else frozenset()

    def _mastery(self, lid: int | None, states: dict[str, ConceptState]) -> dict[str, float]:
        """Mastery per concept: from the answers where there are any, else the placement's starting value."""
        mastery = dict.fromkeys(self._placed(lid), PLACED)
        return mastery | {c: s.mastery for c, s in states.items()}

    def next(self, learner: str, concept: str | None = None, lang: str = "en") -> NextItem:
        """Due reviews first, then the earliest ready concept on the path (or the one asked for)."""
        if lang not in ("en", "zh"):
            raise StudyError(f"Language {lang!r}: use en or zh.")
        if not self.bank.items:
            raise StudyError(
                "There are no practice items yet: corpus/practice/{en,zh}/*.toml is empty. "
                "See corpus/README.md for the format."
            )
        lid = self._learner(learner, create=True)
        now = self.clock()
        states = self.repo.concept_states(lid)
        due = self._due(states, now)
        mastery = self._mastery(lid, states)
        reason: Literal["review", "new", "chosen", "ahead"]
        if concept:
            chosen = self._concept(concept)
            if not self.bank.for_concept(chosen.id):
                raise StudyError(f"{chosen.id} has no practice items yet; try another concept.")
            reason = "chosen"
        elif due:
            chosen, reason = self.path.by_id[due[0].concept], "review"
        else:
            practicable = [c for c in self.path.concepts if self.bank.quiz(c.id)]
            waiting = [c for c in practicable if mastery.get(c.id, 0.0) < MASTERED]
            if waiting:
                chosen, reason = waiting[0], "new"
            else:  # everything mastered: review the concept whose review comes soonest
                soonest = min(practicable, key=lambda c: states[c.id].due if c.id in states else "")
                chosen, reason = soonest, "ahead"
        item = self._pick_item(lid, chosen, lang)
        why = self._why(chosen, item, reason, mastery, states, lang)
        return NextItem(item, why, len(due), reason, item.source)

    def _pick_item(self, lid: int, concept: Concept, lang: str) -> Item:
        """Unseen items first (easier levels, then multiple choice first), then the last missed, then the oldest."""
        items = self.bank.for_concept(concept.id, lang) or self.bank.for_concept(concept.id)
        stats = self.repo.item_stats(lid, concept.id)

        def order(item: Item) -> tuple[int, int, int, int]:
            s = stats.get(item.id)
            kind = 0 if item.kind == "mcq" else 1
            if s is None:
                return (0, LEVEL_RANK[item.level], kind, 0)
            return (1 if not s.last_correct else 2, 0, 0, s.last_id)

        return min(items, key=order)

    def where(self, source: Source, lang: str) -> str:
        """'Bahdanau et al. 2014, §3.1 Decoder: General Description, p. 3' (or the note's title)."""
        if source.id.startswith("note-"):
            concept = self.path.resolve(source.id)
            title = concept.title(lang) if concept else source.id
            return f"《{title}》笔记" if lang == "zh" else f"the tutor's note “{title}”"
        reading = self.readings.by_id.get(source.id)
        who = f"{reading.short_authors} {reading.year}" if reading else source.id
        section = f"§{source.section}" if source.section[:1].isdigit() else source.section
        if lang == "zh":
            page = f"第 {source.page} 页" if source.page else ""
            return "，".join(x for x in (who, section, page) if x)
        page = f"p. {source.page}" if source.page else ""
        return ", ".join(x for x in (who, section, page) if x)

    def _why(
        self,
        concept: Concept,
        item: Item,
        reason: str,
        mastery: dict[str, float],
        states: dict[str, ConceptState],
        lang: str,
    ) -> str:
        zh = lang == "zh"
        title = concept.title(lang)
        read = self.where(item.source, lang)
        known = [self.path.by_id[p].title(lang) for p in concept.prerequisites if mastery.get(p, 0.0) >= MASTERED]
        missing = [
            self.path.by_id[p].title(lang)
            for p in concept.prerequisites
            if mastery.get(p, 0.0) < MASTERED and self.bank.quiz(p)
        ]
        joined_known = ("、".join(known) if zh else _and(known)) if known else ""
        m = mastery.get(concept.id, 0.0)
        if reason == "review":
            when = parse_iso(states[concept.id].due).date().isoformat()
            if zh:
                return f"复习到期（{when}）：{title}，当前掌握度 {m:.0%}。记不清的话先重读 {read}。"
            return f"Review due since {when}: {title} (mastery {m:.0%}). If it has faded, reread {read}."
        if reason == "ahead":
            if zh:
                return f"有练习题的概念你都已掌握；提前复习：{title}。参考 {read}。"
            return f"You have mastered every concept with practice items; reviewing {title} early. See {read}."
        if reason == "chosen":
            if zh:
                gap = f"它的前置概念 {'、'.join(missing)} 你还没有掌握。" if missing else ""
                return f"你选择了 {title}。{gap}先读 {read}。"
            gap = f" Its prerequisites {_and(missing)} are not mastered yet." if missing else ""
            return f"You chose {title}.{gap} Read {read}."
        progress = f"（掌握度 {m:.0%}）" if zh and m else (f" (mastery {m:.0%})" if m else "")
        if zh:
            lead = f"你已掌握{joined_known}；" if known else "这是路径的起点；" if not concept.prerequisites else ""
            return f"{lead}下一步：{title}{progress}，先读 {read}。"
        lead = (
            f"You know {joined_known}; next" if known else "Start of the path" if not concept.prerequisites else "Next"
        )
        return f"{lead}: {title}{progress}, read {read}."

    # -------------------------------------------------------------------------------- answer

    def item(self, item_id: str) -> Item:
        found = self.bank.by_id.get(item_id.strip())
        if found is None:
            raise StudyError(
                f"Unknown item id {item_id!r}. Item ids look like residual-connections.en.m1; "
                "get one from `tutor study next --learner NAME`."
            )
        return found

    def answer(self, learner: str, item_id: str, answer: str) -> AnswerResult:
        """Grade, store the attempt and update mastery and the review schedule in one transaction."""
        item = self.item(item_id)
        grade = self.grader.grade(item, answer)
        lid = self._learner(learner, create=True)
        now = self.clock()
        stored = self.grader.check_answer(item, answer)
        attempt = Attempt(item.id, item.concept, item.kind, stored, grade.correct, grade.score, iso(now))

        prior = PLACED if item.concept in self._placed(lid) else 0.0

        def update(scores: list[float], previous: ConceptState | None) -> ConceptState:
            card = review(previous.card if previous else None, item.concept, grade.correct, grade.score, now)
            count = (previous.attempts if previous else 0) + 1
            return ConceptState(item.concept, mastery_from(scores, prior), count, card.to_json(), iso(card.due))

        state = self.repo.record_attempt(lid, attempt, update)
        return AnswerResult(grade, item.concept, state.mastery, state.due)

    # -------------------------------------------------------------------------------- progress

    def progress(self, learner: str, empty_if_new: bool = False) -> Progress:
        """Mastery per concept and stage; a learner without a record gets an error, or the empty report."""
        lid = self._lookup(learner) if empty_if_new else self._learner(learner, create=False)
        now = self.clock()
        states = self.repo.concept_states(lid) if lid is not None else {}
        exposures = Counter(c for c, _ in self.repo.exposures(lid)) if lid is not None else Counter()
        read = {(r, s) for r, s, _ in self.repo.sections_read(lid)} if lid is not None else set()
        mastery = self._mastery(lid, states)
        placed = self._placed(lid)
        concepts: list[ConceptProgress] = []
        for c in self.path.concepts:
            state = states.get(c.id)
            gating = [p for p in c.prerequisites if self.bank.quiz(p)]
            concepts.append(
                ConceptProgress(
                    id=c.id,
                    stage=c.stage,
                    title_en=c.title_en,
                    title_zh=c.title_zh,
                    mastery=mastery.get(c.id, 0.0),
                    ready=all(mastery.get(p, 0.0) >= MASTERED for p in gating),
                    due=bool(state and self.bank.for_concept(c.id) and parse_iso(state.due) <= now),
                    attempts=state.attempts if state else 0,
                    exposures=exposures.get(c.id, 0),
                    has_items=bool(self.bank.for_concept(c.id)),
                    quiz=self.bank.quiz(c.id),
                    review_first=tuple(p for p in gating if mastery.get(p, 0.0) < MASTERED),
                    placed=c.id in placed,
                )
            )
        stages: list[StageProgress] = []
        for stage in self.readings.ordered_stages():
            in_stage = [c for c in concepts if c.stage == stage.id and c.quiz]
            sections = [(r.id, s.name) for r in self.readings.in_stage(stage.id) for s in r.sections]
            stages.append(
                StageProgress(
                    stage=stage.id,
                    title_en=stage.title_en,
                    title_zh=stage.title_zh,
                    mastered=sum(c.mastered for c in in_stage),
                    total=len(in_stage),
                    sections_read=sum(s in read for s in sections),
                    sections_total=len(sections),
                    mean_mastery=sum(c.mastery for c in in_stage) / len(in_stage) if in_stage else 0.0,
                )
            )
        started = bool(states) or bool(placed)
        waiting = next((c for c in concepts if c.quiz and c.has_items and not c.mastered), None)
        current = waiting.stage if started and waiting else ""
        return Progress(self.check_learner(learner), stages, concepts, read, current)

    # -------------------------------------------------------------------------------- placement

    def placement_items(self, lang: str = "en") -> list[Item]:
        """The placement check's items in `lang`, in path order (about eight, across the stages)."""
        return placement_items(self.bank, self.path, lang)

    def placement(self, learner: str) -> Placement | None:
        """The learner's placement, taken or skipped; None when it was never offered an answer."""
        lid = self._lookup(learner)
        return self.repo.placement(lid) if lid is not None else None

    def place(self, learner: str, answers: dict[str, str], lang: str = "en") -> PlacementResult:
        """Grade the placement answers and store where the learner starts (answers are not practice attempts:
        they set the starting mastery, and schedule no reviews)."""
        items = self.placement_items(lang)
        known = {i.id for i in items}
        if unknown := sorted(set(answers) - known):
            raise StudyError(f"{', '.join(unknown)} is not a placement item; get them from the placement check.")
        result = place(self.path, self.bank, self.grader, items, answers)
        lid = self._learner(learner, create=True)
        self.repo.set_placement(lid, Placement(result.stage, iso(self.clock())))
        return result

    def skip_placement(self, learner: str) -> None:
        """Start from the beginning of the path; the check is not offered again (reset offers it again)."""
        lid = self._learner(learner, create=True)
        if self.repo.placement(lid) is None:
            self.repo.set_placement(lid, Placement("", iso(self.clock())))

    def record_exposure(self, learner: str, concept: str) -> None:
        """A question asked in the chat about `concept`: counted as exposure, never as mastery."""
        target = self._concept(concept)
        self.repo.add_exposure(self._learner(learner, create=True), target.id, iso(self.clock()))

    def record_question(self, learner: str, question: str, concept: str, covered: bool) -> None:
        """A question asked in the chat, kept for the teacher's "asked most" list (and in the learner's export)."""
        target = self._concept(concept).id if concept else ""
        clean = question.strip()[:2000]
        if clean:
            self.repo.add_question(
                self._learner(learner, create=True), Question(clean, target, covered, iso(self.clock()))
            )

    def mark_read(self, learner: str, reading_id: str, sections: list[str]) -> None:
        """Set which of a reading's sections the learner has read."""
        reading = self.readings.by_id.get(reading_id)
        if reading is None:
            raise StudyError(f"Unknown reading {reading_id!r}; use an id from corpus/readings.toml.")
        known = {s.name for s in reading.sections}
        if unknown := [s for s in sections if s not in known]:
            raise StudyError(f"{reading_id} has no section(s) {unknown}; its sections are {sorted(known)}.")
        self.repo.set_sections_read(self._learner(learner, create=True), reading_id, sections, iso(self.clock()))

    # -------------------------------------------------------------------------------- whole records

    def reset(self, learner: str) -> None:
        """Forget the learner's attempts, schedule, exposure and sections read (the name stays known)."""
        self.repo.replace_record(self._learner(learner, create=False), [], [], [], [], [])

    def export(self, learner: str) -> dict[str, Any]:
        lid = self._learner(learner, create=False)
        return {
            "format": EXPORT_FORMAT,
            "version": 1,
            "learner": self.check_learner(learner),
            "exported_at": iso(self.clock()),
            "attempts": [
                {
                    "item_id": a.item_id,
                    "concept": a.concept,
                    "kind": a.kind,
                    "answer": a.answer,
                    "correct": a.correct,
                    "score": a.score,
                    "at": a.created_at,
                }
                for a in self.repo.attempts(lid)
            ],
            "exposures": [{"concept": c, "at": at} for c, at in self.repo.exposures(lid)],
            "sections_read": [{"reading_id": r, "section": s, "at": at} for r, s, at in self.repo.sections_read(lid)],
            "questions": [
                {"question": q.question, "concept": q.concept, "covered": q.covered, "at": q.created_at}
                for q in self.repo.questions(lid)
            ],
        } | self._exported_placement(lid)

    def _exported_placement(self, lid: int) -> dict[str, Any]:
        placement = self.repo.placement(lid)
        return {"placement": {"stage": placement.stage, "at": placement.created_at}} if placement else {}

    def import_record(self, data: str | dict[str, Any], learner: str | None = None) -> str:
        """Merge an exported record into `learner` (default: the name in the file); importing twice changes nothing.

        The schedule and mastery are rebuilt by replaying every attempt in time order.
        """
        try:
            raw = json.loads(data) if isinstance(data, str) else data
            record = ExportedRecord.model_validate(raw)
        except (ValueError, ValidationError) as exc:
            raise StudyError(
                f"This is not a tutor study record (expected the JSON from `tutor study export`): {exc}"
            ) from exc
        name = self.check_learner(learner or record.learner)
        lid = self._learner(name, create=True)
        attempts = {(a.item_id, a.created_at, a.answer): a for a in self.repo.attempts(lid)}
        for a in record.attempts:
            at = _utc(a.at)
            attempts.setdefault(
                (a.item_id, at, a.answer), Attempt(a.item_id, a.concept, a.kind, a.answer, a.correct, a.score, at)
            )
        merged = sorted(attempts.values(), key=lambda a: a.created_at)
        exposures = sorted(
            {*self.repo.exposures(lid), *((e.concept, _utc(e.at)) for e in record.exposures)}, key=lambda e: e[1]
        )
        sections = {(r, s): at for r, s, at in self.repo.sections_read(lid)}
        for sec in record.sections_read:
            sections.setdefault((sec.reading_id, sec.section), _utc(sec.at))
        questions = {(q.question, q.created_at): q for q in self.repo.questions(lid)}
        for q in record.questions:
            at = _utc(q.at)
            questions.setdefault((q.question, at), Question(q.question, q.concept, q.covered, at))
        placement = self.repo.placement(lid)
        if placement is None and record.placement is not None:
            placement = Placement(record.placement.stage, _utc(record.placement.at))
        placed = placed_concepts(self.path, self.bank, placement.stage) if placement and placement.stage else set()
        self.repo.replace_record(
            lid,
            merged,
            replay(merged, placed),
            exposures,
            [(r, s, at) for (r, s), at in sections.items()],
            sorted(questions.values(), key=lambda q: q.created_at),
            placement,
        )
        return name


def replay(attempts: list[Attempt], placed: Collection[str] = ()) -> list[ConceptState]:
    """Mastery and review schedule per concept, recomputed from attempts in time order (`placed`: the concepts
    the placement check started as known)."""
    by_concept: dict[str, list[Attempt]] = {}
    for a in attempts:
        by_concept.setdefault(a.concept, []).append(a)
    states: list[ConceptState] = []
    for concept, rows in by_concept.items():
        card_json: str | None = None
        for a in rows:
            card_json = review(card_json, concept, a.correct, a.score, parse_iso(a.created_at)).to_json()
        assert card_json is not None
        scores = [a.score for a in reversed(rows)][:RECENT]
        due = parse_iso(json.loads(card_json)["due"])
        prior = PLACED if concept in placed else 0.0
        states.append(ConceptState(concept, mastery_from(scores, prior), len(rows), card_json, iso(due)))
    return states


def _utc(moment: datetime) -> str:
    """An imported time as our ISO form; a time without zone is taken as UTC."""
    return iso(moment if moment.tzinfo else moment.replace(tzinfo=UTC))


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _multilingual_factory(settings: Settings) -> Callable[[], Embedder]:
    """The project's multilingual USE even when search uses MiniLM: grading must work across languages."""

    def load() -> Embedder:
        from tutor.store import make_embeddings

        return make_embeddings(
            settings.model_copy(
                update={"embedding": settings.embedding.model_copy(update={"model": "use-multilingual"})}
            )
        )

    return load
