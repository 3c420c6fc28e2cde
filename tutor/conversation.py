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

from tutor.lang.script import CJK, CJK_RUN, detect_language
from tutor.lang.tokens import content_words, tokenize, words_in

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


# Chinese words that ask without naming anything: "那有多大？", "具体怎么做的呢？", "能举个例子吗？".
_CJK_ELLIPSIS = re.compile(
    r"[那么为什怎样还有呢吗吧啊所以然后具体能举个例子说明一下再详细讲讲这它是的呀多大少几哪个种些其会要该和与又也都就才很更最谁何做呢]"
)
# Words that ask without naming anything: "and why does that help?", "具体有什么作用？".
_ELLIPSIS_WORDS = frozenset(
    [
        "and",
        "but",
        "so",
        "then",
        "also",
        "why",
        "how",
        "what",
        "about",
        "come",
        "is",
        "that",
        "this",
        "it",
        "does",
        "do",
        "mean",
        "means",
        "example",
        "examples",
        "more",
        "detail",
        "details",
        "explain",
        "again",
        "please",
        "ok",
        "okay",
        "help",
        "helps",
        "work",
        "works",
        "matter",
        "matters",
        "use",
        "uses",
        "useful",
        "need",
        "needed",
        "happen",
        "happens",
        "cause",
        "causes",
        "make",
        "makes",
        "way",
        "ways",
        "thing",
        "things",
        "important",
        "good",
        "better",
        "exactly",
    ]
)
_CJK_GENERIC = re.compile(r"作用|帮助|好处|意义|重要|有用|用处|原因|具体|例子|说明|解释|详细")


def asked_words(question: str) -> tuple[list[str], list[str]]:
    """The question's own content: English words and Chinese bigrams, without the words that only ask
    ("and why…", "具体呢", "有什么作用")."""
    words = [w for w in content_words(question) if w not in _ELLIPSIS_WORDS]
    chinese = _CJK_ELLIPSIS.sub(" ", _CJK_GENERIC.sub(" ", question))
    pairs = [run[i : i + 2] for run in CJK_RUN.findall(chinese) for i in range(len(run) - 1)]
    return words, pairs


def is_ellipsis(question: str) -> bool:
    """A question with no content of its own: "why?", "and then?", "具体呢？", "能举个例子吗？"."""
    words = [w for w in tokenize(question) if w not in _ELLIPSIS_WORDS]
    cjk = "".join(CJK.findall(_CJK_GENERIC.sub("", question)))
    cjk = re.sub(_CJK_ELLIPSIS, "", cjk)
    return len([w for w in words if not CJK.search(w)]) == 0 and len(cjk) <= 1


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
