"""Guards on a stream of generated text: degenerate repetition, prompt echo, language.

Each guard looks at the text generated so far and, when it trips, says where the good text ends, so
the stream is stopped there and only what came before is checked and shown. A small model with a long
prompt was measured echoing the prompt's scaffolding and looping on one Chinese paragraph.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from tutor.lang.script import CJK, CJK_CLASS, detect_language
from tutor.lang.sentences import split_sentences

# The prompt's own labels and chat-template tokens, anywhere in the answer.
_LABEL_LINE = re.compile(
    r"\b(?:Sources?|Question|Answer|Level)\s*:|(?:资料|来源|问题|回答)\s*[:：]|<\|im_(?:start|end)\|>|</?passage"
)
_RUN = re.compile(r"(\S{1,12}?)(?:\s*\1){5,}")  # the same word or characters six times in a row


@dataclass(frozen=True)
class Trip:
    reason: str  # "repetition" | "echo" | "language"
    cut: int  # text[:cut] is what may still be shown


def _shingles(text: str, lang_words: int = 6, cjk_chars: int = 10) -> set[str]:
    """Word 6-grams of Latin text and 10-character runs of Chinese text."""
    out: set[str] = set()
    words = re.findall(r"[A-Za-z0-9']+", text.lower())
    out.update(" ".join(words[i : i + lang_words]) for i in range(len(words) - lang_words + 1))
    for run in re.findall(f"[{CJK_CLASS}，、：；]+", text):
        out.update(run[i : i + cjk_chars] for i in range(len(run) - cjk_chars + 1))
    return out


class Guards:
    """Trips on repetition and echo of `scaffold` (the instructions, never the sources) in a growing text."""

    def __init__(self, scaffold: str) -> None:
        self.scaffold = _shingles(scaffold)

    def check(self, text: str) -> Trip | None:
        return self.echo(text) or self.repetition(text)

    def echo(self, text: str) -> Trip | None:
        label = _LABEL_LINE.search(text)
        if label:
            return Trip("echo", label.start())
        for shingle in _shingles(text):
            if shingle in self.scaffold:
                return Trip("echo", _find(text, shingle))
        return None

    @staticmethod
    def repetition(text: str) -> Trip | None:
        run = _RUN.search(text)
        if run:
            return Trip("repetition", run.start() + len(run.group(1)))
        # The tail of the text already appeared earlier: the model is going round a loop.
        size = 16 if CJK.search(text[-40:]) else 40
        if len(text) > 2 * size:
            tail = text[-size:]
            if tail.strip() and text.find(tail) < len(text) - size:
                return Trip("repetition", len(text) - size)
        # A sentence said twice.
        seen: set[str] = set()
        offset = 0
        for sentence in split_sentences(text):
            key = re.sub(r"\W+", "", sentence.lower())
            where = text.find(sentence[:20], offset)
            offset = max(offset, where)
            if len(key) >= 12 and key in seen:
                return Trip("repetition", where if where >= 0 else len(text))
            seen.add(key)
        return None


def wrong_language(text: str, lang: str) -> bool:
    """The answer so far is long enough to judge and is not in the language asked for."""
    letters = len(re.findall(r"[A-Za-z]", text)) + 2 * len(CJK.findall(text))
    return letters >= 40 and detect_language(text) != lang


def _find(text: str, shingle: str) -> int:
    """Where a shingle starts in the text (words may be separated by other punctuation there)."""
    if CJK.match(shingle):
        return max(0, text.find(shingle))
    first = shingle.split()[0]
    match = re.search(r"\b" + re.escape(first) + r"\b", text, re.I)
    return match.start() if match else len(text)
