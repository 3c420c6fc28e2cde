"""The prompt for every LLM backend, built from the study card's checked material.

Measured with a 1.5B model: a 1,500–2,300-token prompt of loosely related passages made it echo the
prompt and loop; a short one of relevant sentences made it answer. So the sources are the card's own
material only, best first — the Q&A pair's answer (or the closest sentences), the quoted evidence, then
the level's note — cut sentence by sentence to fit the prompt budget. References, front matter and code
never reach the card, so they never reach the prompt. Language and level are stated once.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from tutor.conversation import Turn
from tutor.llm.grounding import Source, sources_from, strip_markers
from tutor.prompts import CANNOT_ANSWER, load_prompt

LANGUAGE = {"en": "English", "zh": "简体中文"}
LEVEL_NAMES = {
    "en": {"beginner": "beginner", "intermediate": "intermediate", "expert": "expert"},
    "zh": {"beginner": "入门", "intermediate": "进阶", "expert": "专家"},
}
# Share of the prompt budget (TUTOR_LLM_PROMPT_TOKENS) a level may use: every prompt token costs first-token
# time (~80 tokens/s on 2 cores), and a beginner's answer needs the Q&A answer and a quote, not the whole note.
PROMPT_SHARE = {"beginner": 0.5, "intermediate": 0.75, "expert": 1.0}
# Suggested length per level, in words (English) or characters (Chinese); the token budget is the hard cap.
WORDS = {
    "en": {"beginner": 80, "intermediate": 110, "expert": 140},
    "zh": {"beginner": 150, "intermediate": 200, "expert": 250},
}


@dataclass(frozen=True)
class Prompt:
    messages: list[dict[str, str]]
    sources: list[Source]  # what the answer may rest on, also what grounding checks against
    tokens: int
    scaffold: str  # the instruction text, which the answer must never repeat


def card_sources(
    direct: str, direct_n: int, quotes: Sequence[tuple[str, int]], background: tuple[str, int] | None
) -> list[Source]:
    """The card's material as numbered source sentences, best first."""
    texts: list[tuple[str, int]] = [(direct, direct_n), *quotes]
    if background is not None:
        texts.append(background)
    seen: set[str] = set()
    out = []
    for source in sources_from(texts):
        key = source.text.lower()
        if key not in seen:
            seen.add(key)
            out.append(source)
    return out


def build_prompt(
    question: str,
    level: str,
    lang: str,
    sources: Sequence[Source],
    count_tokens: Callable[[str], int],
    max_tokens: int,
    history: Sequence[Turn] = (),
) -> Prompt:
    """Messages for the model: rules once (system), then the numbered sources, the question and the request."""
    system = load_prompt("llm_system", lang).render(sentinel=CANNOT_ANSWER).strip()
    earlier = [t.question for t in history][-1:]
    history_line = ("Earlier question: " if lang == "en" else "之前的问题：") + earlier[0] + "\n" if earlier else ""
    request = load_prompt("llm_answer", lang)
    values = {
        "level": LEVEL_NAMES[lang][level],
        "level_hint": load_prompt(f"llm_level_{level}", lang).text.strip(),
        "words": str(WORDS[lang][level]),
        "history": history_line,
        "question": _one_line(question),
    }
    kept = list(sources)
    while True:
        lines = "\n".join(f"[{s.n}] {_one_line(s.text)}" for s in kept)
        user = request.render(sources=lines, **values).strip()
        tokens = count_tokens(system) + count_tokens(user) + 12  # chat-template tokens around the two messages
        if tokens <= max_tokens * PROMPT_SHARE.get(level, 1.0) or len(kept) <= 1:
            break
        kept.pop()  # the least important source sentence goes first
    scaffold = system + "\n" + request.render(sources="", **{**values, "question": "", "history": ""})
    messages = [{"role": "system", "content": system}, {"role": "user", "content": user}]
    return Prompt(messages, kept, tokens, scaffold)


def _one_line(text: str) -> str:
    return re.sub(r"\s+", " ", strip_markers(text)).strip()
