"""One generation pipeline for every LLM backend: prompt → engine stream → guards → grounding → checked sentences.

An engine only turns messages into a stream of text pieces (about one token each). Everything that makes
the answer trustworthy happens here, the same for every engine:

- the prompt is built from the card's checked material (tutor.llm.prompt), within a prompt-token budget;
- the answer has a per-level token budget, sent to the engine and enforced while streaming, and a time cap;
- the stream is stopped on degenerate repetition, on prompt echo and on the wrong language;
- each sentence is checked against its best source sentence as soon as it is complete (tutor.llm.grounding)
  and only supported sentences are shown, each with the number of the source it was checked against;
- when too little survives, the backend gives up with GroundingFailed and the tutor shows the offline card
  with a one-line notice. The card's own checked answer always follows the generated text.

Generation is only asked for when retrieval found the question covered (Tutor.stream decides); a model
that answers with the no-answer sentinel does not turn the answer into a refusal, it falls back to the card.
"""

from __future__ import annotations

import contextlib
import re
import time
from collections.abc import Iterator
from typing import TYPE_CHECKING, Protocol

from tutor.citations import markers_in
from tutor.config import Settings
from tutor.context import AnswerContext
from tutor.errors import BackendUnavailable
from tutor.lang.sentences import ends_sentence
from tutor.llm.grounding import Check, Grounder, strip_markers, verdict_source
from tutor.llm.guards import Guards, Trip, wrong_language
from tutor.llm.prompt import Prompt, build_prompt, card_sources
from tutor.llm.report import Generation
from tutor.prompts import CANNOT_ANSWER, load_prompt

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

WORDS = {
    "en": {
        "written": "Written by {model}, {kind}. Each sentence above was checked against the source its number "
        "points to{dropped}.",
        "dropped": "; {n} sentence(s) that the sources did not support were left out",
        "card": "From the study card",
        "failed": "The generated answer did not hold up against the readings ({kept} of {total} sentences supported).",
        "declined": "The model found the sources insufficient for this question.",
        "language": "The model did not answer in English.",
    },
    "zh": {
        "written": "以上由 {model} 生成（{kind}）。每句都已与其编号所指的资料核对{dropped}。",
        "dropped": "；资料不支持的 {n} 句已略去",
        "card": "学习卡片",
        "failed": "生成的回答未能通过与原文的核对（{total} 句中只有 {kept} 句有依据）。",
        "declined": "模型认为资料不足以回答这个问题。",
        "language": "模型没有用中文回答。",
    },
}
KIND = {
    "en": {"local": "a small local model that can be wrong", "openai": "a language model that can be wrong"},
    "zh": {"local": "本地小模型，可能出错", "openai": "语言模型，可能出错"},
}
STOPS = ["\nSources:", "\nQuestion:", "\n资料：", "\n问题："]
_TERMINAL = re.compile(r"[.!?。！？]")
_MARKERS_AFTER = re.compile(r"(?:\s*\[\d{1,2}\])+")


class GroundingFailed(BackendUnavailable):
    """Too little of the generated answer was supported by the sources: the tutor shows the card instead."""


class Engine(Protocol):
    """Turns chat messages into a stream of text pieces; knows nothing of cards, guards or grounding."""

    label: str

    def count_tokens(self, text: str) -> int: ...

    def stream(self, messages: list[dict[str, str]], max_tokens: int, stop: list[str]) -> Iterator[str]: ...


class GenerativeBackend:
    """A backend that writes the direct answer with a language model, through the one pipeline."""

    name = "llm"

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self.settings = settings
        self.engine = engine

    def warm_up(self) -> None:
        """Load the model and read each language's system prompt now (a server calls this in the background at
        start), so the first learner waits for neither."""
        warm = getattr(self.engine, "warm_up", None)
        if warm is None:
            return
        warm()
        for lang in WORDS:
            system = load_prompt("llm_system", lang).render(sentinel=CANNOT_ANSWER).strip()
            with contextlib.suppress(BackendUnavailable):
                for _ in self.engine.stream(
                    [{"role": "system", "content": system}, {"role": "user", "content": "?"}], 1, []
                ):
                    pass

    def budget(self, level: str) -> int:
        budgets = {str(k): v for k, v in self.settings.llm.level_tokens.items()}
        return min(budgets.get(level, self.settings.llm.max_tokens), self.settings.llm.max_tokens)

    def stream(self, ctx: AnswerContext) -> Iterator[str]:
        card = ctx.card
        lang = ctx.lang if ctx.lang in WORDS else "en"
        budget = self.budget(ctx.level)
        direct_markers = markers_in(card.direct)
        sources = card_sources(
            card.direct,
            direct_markers[0] if direct_markers else (card.citations[0].n if card.citations else 1),
            [(q.text, q.n) for q in card.evidence],
            (card.background.text, card.background.n) if card.background else None,
        )
        prompt = build_prompt(
            ctx.question,
            ctx.level,
            lang,
            sources,
            self.engine.count_tokens,
            self.settings.llm.prompt_tokens,
            ctx.history,
        )
        gen = Generation(self.name, self.engine.label, budget, prompt.tokens)
        ctx.generation = gen
        try:
            yield from self._generate(ctx, prompt, gen, lang)
        except BackendUnavailable:
            gen.fell_back = True
            raise

    def _generate(self, ctx: AnswerContext, prompt: Prompt, gen: Generation, lang: str) -> Iterator[str]:
        words = WORDS[lang]
        budget = gen.budget
        card = ctx.card
        verdict = verdict_source(card.direct, ctx.question, prompt.sources[0].n if prompt.sources else 1)
        checked_against = [*prompt.sources, *([verdict] if verdict else [])]
        grounder = Grounder(self._embeddings(ctx).embed_documents, checked_against, ctx.glossary, ctx.question)
        guards = Guards(prompt.scaffold)
        start = time.perf_counter()
        text = ""
        done = 0  # text[:done] has been cut into sentences and checked
        shown = 0
        pieces = self.engine.stream(prompt.messages, budget, STOPS)
        try:
            for piece in pieces:
                if gen.first_token_ms is None:
                    gen.first_token_ms = _ms(start)
                gen.tokens += 1
                text += piece
                trip: Trip | None = guards.check(text)
                if trip is None and wrong_language(text, lang):
                    trip = Trip("language", 0)
                if trip is not None:
                    gen.stopped = trip.reason  # type: ignore[assignment]
                    text = text[: max(trip.cut, done)]
                    break
                while (end := sentence_end(text, done)) is not None:
                    out = self._shown(grounder.check(text[done:end]), gen, lang, shown, start)
                    done = end
                    if out:
                        shown += 1
                        yield out
                if gen.tokens >= budget:
                    gen.stopped = "budget"
                    break
                if _ms(start) > self.settings.llm.timeout * 1000:
                    gen.stopped = "timeout"  # type: ignore[assignment]
                    break
            else:
                gen.stopped = "end"
        finally:
            close = getattr(pieces, "close", None)
            if close is not None:
                close()  # stops the model and releases its lock even when our caller went away
            gen.total_ms = _ms(start)
        rest = text[done:].strip()
        if rest and (gen.stopped == "end" or _TERMINAL.search(rest[-3:])):
            out = self._shown(grounder.check(rest), gen, lang, shown, start)
            if out:
                shown += 1
                yield out
        if gen.stopped == "language":
            raise GroundingFailed(words["language"])
        if CANNOT_ANSWER in text:
            raise GroundingFailed(words["declined"])
        total = len(gen.checks)
        if shown == 0 or gen.grounding < self.settings.llm.min_grounding:
            raise GroundingFailed(words["failed"].format(kept=shown, total=total))
        dropped = words["dropped"].format(n=total - shown) if total > shown else ""
        kind = KIND[lang].get(self.name, KIND[lang]["openai"])
        caption = words["written"].format(model=self.engine.label, kind=kind, dropped=dropped)
        yield f"\n\n*{caption}*\n\n**{words['card']}**\n\n{card.direct}"

    def _shown(self, check: Check, gen: Generation, lang: str, shown: int, start: float) -> str:
        """Record a checked sentence; return it as shown (with its source's number) or '' when left out."""
        gen.checks.append(check)
        if not check.shown:
            return ""
        if gen.first_text_ms is None:
            gen.first_text_ms = _ms(start)
        sentence = f"{check.sentence}[{check.n}]" if lang == "zh" else f"{check.sentence} [{check.n}]"
        return sentence if shown == 0 else ("" if lang == "zh" else " ") + sentence

    def _embeddings(self, ctx: AnswerContext) -> Embeddings:
        if ctx.embeddings is not None:
            return ctx.embeddings
        from tutor.store import make_embeddings

        return make_embeddings(self.settings)


def sentence_end(text: str, start: int) -> int | None:
    """Where the first complete sentence after `start` ends (with any [n] markers written after it), or None
    while it may still be going on."""
    for m in re.finditer(r"[.!?。！？]|\n", text[start:]):
        end = start + m.end()
        markers = _MARKERS_AFTER.match(text, end)
        if markers:
            end = markers.end()
        rest = text[end:]
        if re.match(r"\s*\[\d{0,2}$", rest):
            return None  # a marker is still being written
        if not strip_markers(text[start:end]).strip() or re.fullmatch(r"\s*\d{1,2}\.", text[start:end]):
            continue  # a blank line or a list number before the sentence
        if m.group(0) in "。！？\n":
            return end if rest or m.group(0) == "\n" else None
        if ends_sentence(text[start : start + m.end()], rest):
            return end
    return None


def _ms(start: float) -> float:
    return round((time.perf_counter() - start) * 1000, 1)
