"""Answers: retrieval → a backend writes the text → citations and read-next pointers.

Backends share one small interface (`stream(ctx) -> Iterator[str]`) and are resolved by name in
`make_backend`: ``extractive`` gives the offline study card's own direct answer; ``openai`` (any
OpenAI-compatible server) and ``local`` (a GGUF in this process) run the one generation pipeline in
tutor/llm/, which checks every generated sentence against the card's sources. All cite sources as [n];
the numbering, the clean-up of markers and the citations themselves are done here once for all.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator, Sequence
from dataclasses import asdict, dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from tutor.card import Background, Card, CardMaker, Quote
from tutor.catalog import ReadingCatalog
from tutor.citations import Citation, ReadNext, drop_unknown_markers, markers_in
from tutor.config import LEVELS, Settings
from tutor.context import AnswerContext
from tutor.conversation import Turn, as_turns
from tutor.errors import BackendUnavailable, QuestionError
from tutor.facets import FacetIndex, overview_pairs
from tutor.glossary import Glossary, load_glossary
from tutor.notes import Notes, load_notes
from tutor.prompts import CANNOT_ANSWER, load_prompt
from tutor.qa import load_qa
from tutor.readings import ReadingList, load_reading_list
from tutor.retrieve import Retrieval, Retriever
from tutor.select.selector import Selector
from tutor.store import Store
from tutor.vectors import VectorCache

if TYPE_CHECKING:
    from tutor.llm.grounding import Check


@dataclass
class Answer:
    question: str
    level: str
    language: str
    backend: str
    covered: bool
    text: str  # the whole answer as Markdown: direct answer, background, evidence
    citations: list[Citation]
    read_next: list[ReadNext]
    retrieved: list[dict[str, Any]]
    timings_ms: dict[str, float]
    direct: str = ""  # the direct answer alone, with [n] markers
    also: str = ""  # a runner-up pair's answer under its own question ("If you meant …"), Markdown with [n] markers
    background: Background | None = None
    evidence: list[Quote] = field(default_factory=list)
    topic: str = ""  # note id of the concept answered
    facet: str = ""  # key of the Q&A pair that answered, if one did
    follow_up: bool = False
    id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    unresolved_markers: int = 0  # [n] markers the backend wrote that pointed to no source (removed)
    notice: str = ""  # e.g. why the LLM backend was not used; shown to the user, not part of the JSON
    grounding: float | None = None  # share of generated sentences supported by a source; None without an LLM
    checks: list[Check] = field(default_factory=list)  # each generated sentence, the source it was checked against
    generation: dict[str, Any] | None = None  # model, tokens, first-token and total time, why it stopped
    decision: dict[str, Any] = field(default_factory=dict)  # answer / closest / decline, what was chosen and why

    def as_json(self) -> dict[str, Any]:
        """The stable `tutor ask --json` contract."""
        return {
            "id": self.id,
            "question": self.question,
            "level": self.level,
            "language": self.language,
            "backend": self.backend,
            "covered": self.covered,
            "answer": self.text,
            "direct": self.direct,
            "also": self.also,
            "background": asdict(self.background) if self.background else None,
            "evidence": [asdict(q) for q in self.evidence],
            "topic": self.topic,
            "facet": self.facet,
            "follow_up": self.follow_up,
            "citations": [c.as_json() for c in self.citations],
            "read_next": [r.as_json() for r in self.read_next],
            "retrieved": self.retrieved,
            "timings_ms": self.timings_ms,
            "grounding": self.grounding,
            "checks": [c.as_json() for c in self.checks],
            "generation": self.generation,
            "decision": self.decision,
        }

    def as_turn(self) -> Turn:
        """What a follow-up question needs to know about this answer."""
        return Turn(self.question, self.topic if self.covered else "", self.facet, self.direct)


class Backend(Protocol):
    name: str

    def stream(self, ctx: AnswerContext) -> Iterator[str]: ...


# ------------------------------------------------------------------------------------------ backends


class ExtractiveBackend:
    """Offline: the card's own direct answer (a checked Q&A answer or the closest sentences, cited)."""

    name = "extractive"

    def stream(self, ctx: AnswerContext) -> Iterator[str]:
        yield ctx.card.direct


def make_backend(settings: Settings, name: str | None = None) -> Backend:
    """Resolve a backend by name; 'auto' means openai when a server is configured."""
    from tutor.llm.backends import BACKENDS

    chosen = name or settings.llm.backend
    if chosen == "auto":
        chosen = "openai" if settings.llm.base_url else "extractive"
    if chosen == "extractive":
        return ExtractiveBackend()
    if chosen not in BACKENDS:
        raise QuestionError(f"Unknown backend {chosen!r}; choose extractive, {', '.join(BACKENDS)}.")
    return BACKENDS[chosen](settings)


# ------------------------------------------------------------------------------------------ the tutor


@dataclass
class Tutor:
    """Everything needed to answer: index, retriever, reading list, notes, Q&A, glossary, a backend."""

    settings: Settings
    store: Store
    readings: ReadingList
    notes: Notes
    glossary: Glossary
    backend: Backend
    facets: FacetIndex
    retriever: Retriever = field(init=False)
    selector: Selector = field(init=False)
    cards: CardMaker = field(init=False)

    def __post_init__(self) -> None:
        cache = self.facets.cache
        catalog = ReadingCatalog(self.readings, cache)
        self.retriever = Retriever(self.settings, self.store, self.glossary, self.facets, catalog)
        self.selector = Selector(self.retriever, self.facets, self.glossary)
        self.cards = CardMaker(
            self.settings, self.readings, self.notes, self.facets, self.retriever, lambda: self.selector.models.quotes
        )

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None, backend: str | None = None) -> Tutor:
        corpus = settings.data.corpus
        try:
            chosen: Backend = make_backend(settings, backend)
        except BackendUnavailable:
            if backend is not None and backend != "extractive":
                raise
            chosen = ExtractiveBackend()
        store = store or Store(settings)
        cache = VectorCache(
            lambda: store.embeddings, settings.data.dir / "cache" / f"vectors-{settings.embedding.model}.npz"
        )
        glossary = load_glossary(corpus)
        notes = load_notes(corpus)
        return cls(
            settings,
            store,
            load_reading_list(corpus),
            notes,
            glossary,
            chosen,
            FacetIndex([*load_qa(corpus), *overview_pairs(notes.files, glossary)], cache, glossary),
        )

    def check_question(self, question: str, level: str) -> str:
        """The question as it will be answered, or a QuestionError: empty, nothing but control or zero-width
        characters, not valid text (a lone surrogate, which nothing can encode), too long, or a bad level."""
        if any("\ud800" <= ch <= "\udfff" for ch in question):
            raise QuestionError(
                "The question contains characters that are not valid text (a lone surrogate); type it again."
            )
        question = question.replace("\x00", "").strip()
        if not any(ch.isprintable() and not ch.isspace() for ch in question):  # control and zero-width only
            raise QuestionError("Please type a question first (e.g. “Why divide by √d_k in attention?”).")
        if len(question) > self.settings.max_question_chars:
            raise QuestionError(
                f"That question is {len(question):,} characters; the limit is {self.settings.max_question_chars:,}. "
                "Ask about one idea at a time."
            )
        if level not in LEVELS:
            raise QuestionError(f"Unknown level {level!r}; choose one of {', '.join(LEVELS)}.")
        return question

    def stream(
        self,
        question: str,
        level: str = "beginner",
        lang: str = "auto",
        history: Sequence[Turn | tuple[str, str] | str] = (),
        backend: Backend | None = None,
    ) -> Iterator[str | Answer]:
        """Yield text pieces as they are written, then the finished Answer.

        `history` is the conversation so far, oldest first: Turn objects (from `Answer.as_turn()`), or
        plain (question, answer) pairs or questions, whose topic is then looked up again.
        """
        start = time.perf_counter()
        question = self.check_question(question, level)
        if lang not in ("auto", "en", "zh"):
            raise QuestionError(f"Unknown language {lang!r}; choose auto, en or zh.")
        turns = self._with_topics(as_turns(history))
        decision = self.selector.select(question, turns, None if lang == "auto" else lang, level)
        retrieval = decision.retrieval
        answer_lang = retrieval.lang
        chosen = backend or self.backend
        notice = ""
        direct = ""
        gen_start = time.perf_counter()
        card: Card | None = None
        unresolved = 0
        if decision.kind != "decline":
            card = self.cards.make(decision, level, answer_lang)
            if not card.direct:
                card = None
        if card is not None:
            ctx = AnswerContext(
                question, level, answer_lang, retrieval, card, turns, self.store.embeddings, self.glossary
            )
            try:
                for piece in _hold_back_sentinel(chosen.stream(ctx)):
                    direct += piece
                    if piece != CANNOT_ANSWER:
                        yield piece
            except BackendUnavailable as exc:
                notice = f"{exc} Showing the offline study card instead."
                chosen = ExtractiveBackend()
                direct = card.direct
                yield _RESET
                yield direct
            if CANNOT_ANSWER in direct:
                card = None
        if card is not None:
            valid = {c.n for c in card.citations}
            unresolved = len([n for n in markers_in(direct) if n not in valid])
            direct = drop_unknown_markers(direct, valid).strip()
            rest = card.rest_markdown()
            if rest:
                yield f"\n\n{rest}"
            text = card.markdown(direct)
            used = set(markers_in(text))
            citations = [c for c in card.citations if c.n in used]
            pointers = card.read_next
        else:
            asked = decision.table.question if decision.table else None
            names_the_field = bool(asked and (asked.strong_terms or asked.weak_terms))
            # a declined question that names nothing of the field has no nearest reading: the path is shown instead
            pointers = self._nearest(retrieval, answer_lang) if decision.kind != "decline" or names_the_field else []
            text = self._no_answer(pointers, answer_lang) if pointers else self._off_path(answer_lang)
            citations = []
            yield _RESET
            yield text
        now = time.perf_counter()
        generation = ctx.generation if card is not None else None
        yield Answer(
            question=question,
            level=level,
            language=answer_lang,
            backend=chosen.name,
            covered=card is not None,
            text=text,
            citations=citations,
            read_next=pointers,
            retrieved=self._retrieved(retrieval, card),
            decision=decision.as_json(),
            timings_ms={
                "retrieve": round(retrieval.ms, 1),
                "generate": round((now - gen_start) * 1000, 1),
                "total": round((now - start) * 1000, 1),
            },
            direct=direct if card else "",
            also=card.also if card else "",
            background=card.background if card else None,
            evidence=card.evidence if card else [],
            topic=card.topic if card else "",
            facet=card.facet.key if card and card.facet else "",
            follow_up=bool(turns) and decision.kind != "decline" and card is not None and card.topic == turns[-1].topic,
            unresolved_markers=unresolved,
            notice=notice,
            grounding=generation.grounding if generation else None,
            checks=generation.checks if generation else [],
            generation=generation.as_json() if generation else None,
        )

    def ask(
        self,
        question: str,
        level: str = "beginner",
        lang: str = "auto",
        history: Sequence[Turn | tuple[str, str] | str] = (),
        backend: Backend | None = None,
    ) -> Answer:
        for item in self.stream(question, level, lang, history, backend):
            if isinstance(item, Answer):
                return item
        raise AssertionError("stream() always ends with an Answer")

    # -------------------------------------------------------------------------------- helpers

    def _with_topics(self, turns: list[Turn]) -> list[Turn]:
        """A turn given as plain text gets its topic by selecting for its question again (cheap, ~10 ms)."""
        if turns and not turns[-1].topic:
            last = turns[-1]
            found = self.selector.select(last.question, turns[:-1])
            topic = found.concept if found.kind != "decline" else ""
            facet = found.candidate.pair.key if found.candidate is not None and found.candidate.pair is not None else ""
            turns = [*turns[:-1], Turn(last.question, topic, facet, last.answer)]
        return turns

    def _retrieved(self, retrieval: Retrieval, card: Card | None) -> list[dict[str, Any]]:
        """What the answer rests on, best first: the Q&A pair's note and sources, then the passages."""
        rows: list[dict[str, Any]] = []
        if card is not None and card.facet is not None:
            pair = card.facet
            rows.append({"reading_id": pair.note, "section": pair.id, "page": None, "score": 1.0})
            for place in [pair.source, *pair.more]:
                rows.append({"reading_id": place.id, "section": place.section, "page": place.page, "score": 1.0})
        elif card is not None and card.topic:
            rows.append({"reading_id": card.topic, "section": "", "page": None, "score": 1.0})
        for hit in sorted([*retrieval.passages, *retrieval.notes[:1]], key=lambda h: -h.score):
            rows.append(
                {
                    "reading_id": hit.reading_id,
                    "section": hit.meta.get("section", ""),
                    "page": int(hit.meta.get("page") or 0) or None,
                    "score": round(hit.similarity, 4),
                }
            )
        for entry in retrieval.readings[:1]:
            if entry.named:
                rows.insert(0, {"reading_id": entry.reading.id, "section": "", "page": None, "score": 1.0})
        return rows

    def _nearest(self, retrieval: Retrieval, lang: str) -> list[ReadNext]:
        seen: list[ReadNext] = []
        for hit in retrieval.passages:
            reading = self.readings.by_id.get(hit.reading_id)
            if reading and all(r.reading_id != reading.id for r in seen) and len(seen) < 3:
                seen.append(ReadNext(reading.id, reading.title, str(hit.meta.get("section", "")), reading.why(lang)))
        return seen

    def _off_path(self, lang: str) -> str:
        """A question that names nothing of the field: what the path covers, rather than its "nearest" readings
        (a passport question is no nearer to one paper than another)."""
        stages = "\n".join(f"- {s.title(lang)}" for s in self.readings.ordered_stages())
        return load_prompt("off_path", lang).render(stages=stages).strip()

    def _no_answer(self, nearest: list[ReadNext], lang: str) -> str:
        lines = "\n".join(f"- {r.title} — {r.section}: {r.why}" for r in nearest) or "-"
        return load_prompt("no_answer", lang).render(nearest=lines).strip()


_RESET = "\x00reset"
"""Yielded by Tutor.stream before text that replaces everything streamed so far."""


def is_reset(piece: str) -> bool:
    return piece == _RESET


def _hold_back_sentinel(pieces: Iterator[str]) -> Iterator[str]:
    """Do not show the start of the no-answer sentinel while it is still being streamed."""
    buffer = ""
    for piece in pieces:
        buffer += piece
        if CANNOT_ANSWER.startswith(buffer.strip()) and len(buffer.strip()) < len(CANNOT_ANSWER):
            continue
        if buffer.strip().startswith(CANNOT_ANSWER):
            yield CANNOT_ANSWER
            return
        yield buffer
        buffer = ""
    if buffer:
        yield buffer
