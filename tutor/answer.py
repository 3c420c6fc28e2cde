"""Answers: retrieval → a backend writes the text → citations and read-next pointers.

Backends share one small interface (`stream(ctx) -> Iterator[str]`) and are chosen by name:
``extractive`` builds an offline study card from the tutor's notes and quoted sentences;
``openai`` asks any OpenAI-compatible server to write the explanation from the same numbered
sources. Both cite sources as [n]; the numbering, the clean-up of markers and the citations
themselves are done here once for both.
"""

from __future__ import annotations

import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from tutor.citations import (
    Citation,
    ReadNext,
    best_sentences,
    clean_text,
    drop_unknown_markers,
    make_citation,
    markers_in,
    read_next,
    sentences,
)
from tutor.config import LEVELS, Settings
from tutor.errors import TutorError
from tutor.glossary import Glossary, load_glossary
from tutor.notes import NoteFile, Notes, load_notes
from tutor.prompts import CANNOT_ANSWER, load_prompt
from tutor.readings import ReadingList, load_reading_list
from tutor.retrieve import Retrieval, Retriever, tokenize
from tutor.store import Store

QUOTE_RELEVANCE = 0.9  # quote passages at least this close to the best one; the rest are still cited
LANGUAGE_NAMES = {"en": "English", "zh": "Simplified Chinese (简体中文)"}
CARD = {
    "en": {
        "readings": "What the readings say",
        "closest": "The closest passages in the readings",
        "beginner": "beginner",
        "intermediate": "intermediate",
        "expert": "expert",
    },
    "zh": {
        "readings": "原文怎么说",
        "closest": "阅读材料中最接近的段落",
        "beginner": "入门",
        "intermediate": "进阶",
        "expert": "专家",
    },
}


class QuestionError(TutorError):
    """The question itself cannot be answered as asked (empty, too long, bad level)."""


class BackendUnavailable(TutorError):
    """The LLM server could not be used; the tutor falls back to the offline card."""


@dataclass(frozen=True)
class Source:
    """A numbered source handed to a backend: its citation and the full text behind it."""

    citation: Citation
    text: str
    relevance: float = 0.0  # dense similarity to the question; the card quotes only close matches


@dataclass
class AnswerContext:
    question: str
    level: str
    lang: str
    retrieval: Retrieval
    note: NoteFile | None
    sources: list[Source]
    history: Sequence[tuple[str, str]] = ()


@dataclass
class Answer:
    question: str
    level: str
    language: str
    backend: str
    covered: bool
    text: str
    citations: list[Citation]
    read_next: list[ReadNext]
    retrieved: list[dict[str, Any]]
    timings_ms: dict[str, float]
    notice: str = ""  # e.g. why the LLM backend was not used; shown to the user, not part of the JSON

    def as_json(self) -> dict[str, Any]:
        """The stable `tutor ask --json` contract."""
        return {
            "question": self.question,
            "level": self.level,
            "language": self.language,
            "backend": self.backend,
            "covered": self.covered,
            "answer": self.text,
            "citations": [c.as_json() for c in self.citations],
            "read_next": [r.as_json() for r in self.read_next],
            "retrieved": self.retrieved,
            "timings_ms": self.timings_ms,
        }


class Backend(Protocol):
    name: str

    def stream(self, ctx: AnswerContext) -> Iterator[str]: ...


# ------------------------------------------------------------------------------------------ backends


class ExtractiveBackend:
    """Offline study card: the tutor's note at the chosen level, then the best sentences, quoted."""

    name = "extractive"

    def stream(self, ctx: AnswerContext) -> Iterator[str]:
        words = CARD[ctx.lang]
        passages = ctx.sources
        if ctx.note is not None:  # Tutor._sources numbers the note [1], ahead of the passages
            body = ctx.note.sections.get(ctx.level, "")
            yield f"**{ctx.note.title}** · {words[ctx.level]}\n\n{body} [1]\n\n"
            passages = ctx.sources[1:]
        best = max((s.relevance for s in passages), default=0.0)
        close = [s for s in passages if s.relevance >= QUOTE_RELEVANCE * best] or passages[:1]
        if close:
            yield f"**{words['readings'] if ctx.note is not None else words['closest']}**\n\n"
        for source in close[:3]:
            yield f"> {source.citation.quote} [{source.citation.n}]\n\n"


class OpenAIBackend:
    """Any OpenAI-compatible chat server (vLLM, Ollama, llama.cpp, LM Studio, hosted APIs)."""

    name = "openai"

    def __init__(self, settings: Settings) -> None:
        from langchain_openai import ChatOpenAI
        from pydantic import SecretStr

        if not settings.llm.base_url:
            raise BackendUnavailable(
                "No LLM server configured. Set TUTOR_LLM_BASE_URL (e.g. http://127.0.0.1:8080/v1 for "
                "`python -m llama_cpp.server --model MODEL.gguf --port 8080`, or http://127.0.0.1:11434/v1 "
                "for `ollama serve`) and TUTOR_LLM_MODEL."
            )
        self.settings = settings
        self.model = ChatOpenAI(
            base_url=settings.llm.base_url,
            api_key=SecretStr(settings.llm.api_key),
            model=settings.llm.model,
            temperature=settings.llm.temperature,
            max_completion_tokens=settings.llm.max_tokens,
            timeout=settings.llm.timeout,
            max_retries=0,
        )

    def messages(self, ctx: AnswerContext) -> list[tuple[str, str]]:
        lang_name = LANGUAGE_NAMES[ctx.lang]
        system = load_prompt("system").render(sentinel=CANNOT_ANSWER, language_name=lang_name)
        passages = "\n".join(
            f'<passage id="{s.citation.n}" source="{_attr(s.citation.label)}">\n{_fence(s.text)}\n</passage>'
            for s in ctx.sources
        )
        history = "".join(f"Learner: {q}\nTutor: {a[:600]}\n\n" for q, a in list(ctx.history)[-2:])
        note = ctx.note.sections.get(ctx.level, "") if ctx.note else ""
        user = load_prompt("answer").render(
            level=ctx.level,
            level_instructions=load_prompt(f"level_{ctx.level}").text.strip(),
            history=f"Conversation so far:\n{history}" if history else "",
            note=_fence(note),
            passages=passages,
            question=ctx.question,
            language_name=lang_name,
            sentinel=CANNOT_ANSWER,
        )
        return [("system", system), ("user", user)]

    def stream(self, ctx: AnswerContext) -> Iterator[str]:
        import openai

        where = self.settings.llm.base_url
        try:
            for chunk in self.model.stream(self.messages(ctx)):
                if isinstance(chunk.content, str) and chunk.content:
                    yield chunk.content
        except openai.AuthenticationError as exc:
            raise BackendUnavailable(f"The LLM server at {where} rejected the API key (TUTOR_LLM_API_KEY).") from exc
        except openai.NotFoundError as exc:
            raise BackendUnavailable(
                f"The LLM server at {where} has no model {self.settings.llm.model!r}; set TUTOR_LLM_MODEL "
                "to one it serves."
            ) from exc
        except openai.APITimeoutError as exc:
            raise BackendUnavailable(
                f"The LLM server at {where} did not answer within {self.settings.llm.timeout:.0f} s "
                "(TUTOR_LLM_TIMEOUT)."
            ) from exc
        except openai.APIConnectionError as exc:
            raise BackendUnavailable(
                f"Cannot reach the LLM server at {where}. Start it (e.g. `python -m llama_cpp.server --model "
                "MODEL.gguf --port 8080` or `ollama serve`) or unset TUTOR_LLM_BASE_URL."
            ) from exc
        except openai.APIError as exc:
            raise BackendUnavailable(f"The LLM server at {where} failed: {exc}") from exc


def _fence(text: str) -> str:
    """Keep document text from closing our data tags early."""
    return text.replace("</passage", "</ passage").replace("</note", "</ note")


def _attr(text: str) -> str:
    return text.replace('"', "'")


def make_backend(settings: Settings, name: str | None = None) -> Backend:
    """Resolve a backend by name; 'auto' means openai when a server is configured."""
    chosen = name or settings.llm.backend
    if chosen == "auto":
        chosen = "openai" if settings.llm.base_url else "extractive"
    if chosen == "extractive":
        return ExtractiveBackend()
    if chosen == "openai":
        return OpenAIBackend(settings)
    raise QuestionError(f"Unknown backend {chosen!r}; choose extractive or openai.")


# ------------------------------------------------------------------------------------------ the tutor


@dataclass
class Tutor:
    """Everything needed to answer: index, retriever, reading list, notes, glossary, a backend."""

    settings: Settings
    store: Store
    readings: ReadingList
    notes: Notes
    glossary: Glossary
    backend: Backend
    retriever: Retriever = field(init=False)

    def __post_init__(self) -> None:
        self.retriever = Retriever(self.settings, self.store, self.glossary)

    @classmethod
    def from_settings(cls, settings: Settings, store: Store | None = None, backend: str | None = None) -> Tutor:
        corpus = settings.data.corpus
        try:
            chosen: Backend = make_backend(settings, backend)
        except BackendUnavailable:
            if backend == "openai":
                raise
            chosen = ExtractiveBackend()
        return cls(
            settings,
            store or Store(settings),
            load_reading_list(corpus),
            load_notes(corpus),
            load_glossary(corpus),
            chosen,
        )

    def check_question(self, question: str, level: str) -> str:
        question = question.strip()
        if not question:
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
        history: Sequence[tuple[str, str]] = (),
        backend: Backend | None = None,
    ) -> Iterator[str | Answer]:
        """Yield text pieces as they are written, then the finished Answer."""
        start = time.perf_counter()
        question = self.check_question(question, level)
        if lang not in ("auto", "en", "zh"):
            raise QuestionError(f"Unknown language {lang!r}; choose auto, en or zh.")
        retrieval = self.retriever.retrieve(question, [q for q, _ in history], None if lang == "auto" else lang)
        answer_lang = retrieval.lang
        note = self._pick_note(retrieval, answer_lang)
        sources = self._sources(retrieval, note, level, answer_lang)
        ctx = AnswerContext(question, level, answer_lang, retrieval, note, sources, history)
        chosen = backend or self.backend
        notice = ""
        text = ""
        gen_start = time.perf_counter()
        if retrieval.covered:
            try:
                for piece in _hold_back_sentinel(chosen.stream(ctx)):
                    text += piece
                    if piece != CANNOT_ANSWER:
                        yield piece
            except BackendUnavailable as exc:
                notice = f"{exc} Showing the offline study card instead."
                chosen = ExtractiveBackend()
                text = "".join(chosen.stream(ctx))
                yield _RESET
                yield text
        covered = retrieval.covered and CANNOT_ANSWER not in text
        if covered:
            text, citations = self._finish_citations(text, ctx)
            pointers = read_next(self.readings, retrieval.passages, note, answer_lang, level)
        else:
            pointers = self._nearest(retrieval, answer_lang)
            text = self._no_answer(pointers, answer_lang)
            citations = []
            yield _RESET
            yield text
        now = time.perf_counter()
        yield Answer(
            question=question,
            level=level,
            language=answer_lang,
            backend=chosen.name,
            covered=covered,
            text=text,
            citations=citations,
            read_next=pointers,
            retrieved=[
                {
                    "reading_id": h.reading_id,
                    "section": h.meta.get("section", ""),
                    "page": int(h.meta.get("page") or 0) or None,
                    "score": round(h.similarity, 4),
                }
                for h in sorted([*retrieval.passages, *retrieval.notes[:1]], key=lambda h: -h.score)
            ],
            timings_ms={
                "retrieve": round(retrieval.ms, 1),
                "generate": round((now - gen_start) * 1000, 1),
                "total": round((now - start) * 1000, 1),
            },
            notice=notice,
        )

    def ask(
        self,
        question: str,
        level: str = "beginner",
        lang: str = "auto",
        history: Sequence[tuple[str, str]] = (),
        backend: Backend | None = None,
    ) -> Answer:
        for item in self.stream(question, level, lang, history, backend):
            if isinstance(item, Answer):
                return item
        raise AssertionError("stream() always ends with an Answer")

    # -------------------------------------------------------------------------------- helpers

    def _pick_note(self, retrieval: Retrieval, lang: str) -> NoteFile | None:
        """The best-matching note, if it is close enough to the question to be worth showing."""
        for hit in retrieval.notes[:1]:
            if hit.similarity >= self.settings.retrieval.min_similarity:
                return self.notes.get(hit.reading_id, lang)
        return None

    def _sources(self, retrieval: Retrieval, note: NoteFile | None, level: str, lang: str) -> list[Source]:
        """Number the note (if any) and the passages 1..n; each gets the sentence worth quoting."""
        tokens = set(tokenize(" ".join([retrieval.query, *retrieval.english_terms])))
        key_tokens = frozenset(tokenize(" ".join(retrieval.english_terms)))
        sources: list[Source] = []
        if note is not None:
            body = note.sections.get(level, "")
            first = (sentences(body) or [clean_text(body)[:200]])[0]
            citation = Citation(1, note.id, note.title, "tutor notes", CARD[lang][level], None, "", first)
            sources.append(Source(citation, body))
        quoted: set[str] = set()
        for hit in retrieval.passages:
            body = hit.body.removeprefix(str(hit.meta.get("section") or "")).strip() or hit.body
            quote = (
                best_sentences(body, tokens, key_tokens=key_tokens) or sentences(body)[:1] or [clean_text(body)[:300]]
            )[0]
            key = quote.lower()[:60]
            if key in quoted:  # neighbouring chunks overlap, so the same sentence can win twice
                continue
            quoted.add(key)
            citation = make_citation(len(sources) + 1, hit, self.readings, quote)
            sources.append(Source(citation, clean_text(hit.body), hit.similarity))
        return sources

    def _finish_citations(self, text: str, ctx: AnswerContext) -> tuple[str, list[Citation]]:
        """Drop markers that point nowhere; cite what was used, or every source if nothing was."""
        valid = {s.citation.n for s in ctx.sources}
        text = drop_unknown_markers(text, valid).strip()
        used = [n for n in markers_in(text) if n in valid]
        by_n = {s.citation.n: s.citation for s in ctx.sources}
        return text, [by_n[n] for n in sorted(used)] if used else [s.citation for s in ctx.sources]

    def _nearest(self, retrieval: Retrieval, lang: str) -> list[ReadNext]:
        seen: list[ReadNext] = []
        for hit in retrieval.passages:
            reading = self.readings.by_id.get(hit.reading_id)
            if reading and all(r.reading_id != reading.id for r in seen) and len(seen) < 3:
                seen.append(ReadNext(reading.id, reading.title, str(hit.meta.get("section", "")), reading.why(lang)))
        return seen

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
