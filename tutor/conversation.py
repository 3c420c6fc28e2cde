"""Conversations: when a question leans on the one before it, and what the tutor remembers of a turn.

A question is judged on its own first. It uses the conversation only when it refers back (a pronoun,
"and why…", "那为什么…") *and* names no topic of its own; then the previous answer's concept is the
topic and the new question picks the aspect. A self-contained question changes the topic, and an
off-topic one is refused whatever came before.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

from tutor.lang.script import detect_language
from tutor.lang.tokens import words_in

_BACK_REFERENCE_EN = re.compile(
    r"^\s*(?:and|but|so|then|also|what about|how about|why|how come)\b"
    r"|\b(?:it|its|this|that|these|those|they|them|there|such|the same|above|previous|earlier)\b",
    re.I,
)
_BACK_REFERENCE_ZH = re.compile(
    r"^\s*(?:那|那么|还有|所以|然后|而且|但是|为什么|为何|怎么)|它|这|那个|那种|其|上面|刚才|前面|同样|该"
)
_PRONOUN_EN = re.compile(r"\b(?:it|its|this|that|these|those|they|them|the same)\b", re.I)
_PRONOUN_ZH = re.compile(r"它|这个|这种|这样|这些|那个|那种|那些|上面|刚才|前面说的")
_SHORT_WORDS = 5  # Latin words plus CJK characters / 2


@dataclass(frozen=True)
class Turn:
    """One earlier exchange, as much of it as later questions need."""

    question: str
    topic: str = ""  # the note id the answer was about ("" when refused or unknown)
    facet: str = ""  # the Q&A pair that answered it, so a follow-up is not given the same answer again
    answer: str = ""


def refers_back(question: str) -> bool:
    """Does the question point at something said before ("why does that help?", "那为什么…", "and for BERT?")?

    Also any very short question ("学习率呢？", "how big?"): too short to name a topic of its own.
    """
    pattern = _BACK_REFERENCE_ZH if detect_language(question) == "zh" else _BACK_REFERENCE_EN
    return bool(pattern.search(question)) or words_in(question) < _SHORT_WORDS


def points_back(question: str) -> bool:
    """Does the question use a pronoun for something said before ("is it overfitting?", "它占多少显存？")?"""
    pattern = _PRONOUN_ZH if detect_language(question) == "zh" else _PRONOUN_EN
    return bool(pattern.search(question))


def as_turns(history: Sequence[Turn | tuple[str, str] | str]) -> list[Turn]:
    """Accept richer or plainer history: Turn objects, (question, answer) pairs, or bare questions."""
    turns = []
    for item in history:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, tuple):
            turns.append(Turn(question=item[0], answer=item[1]))
        else:
            turns.append(Turn(question=str(item)))
    return turns
