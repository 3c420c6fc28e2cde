"""What kind of quantity a question asks for, and whether a sentence states one of that kind.

"How much did the fine-tuning run cost?" is answered by a sentence with an amount of money in it ("共花费约 2.4 万
元"), "how long did the restarts take?" by one with a duration: a sentence that merely shares the question's words does
not hold such an answer. The classic expected-answer-type idea of question answering, kept to the quantities
learners' notes and the readings state: money, time, memory, and shares.
"""

from __future__ import annotations

import re

_NUMBER = r"\d[\d,.]*\s*"


def _words(*words: str) -> str:
    """English words as whole words, also when Chinese is written right against them ("多少GB")."""
    return "|".join(rf"(?<![A-Za-z]){w}(?![A-Za-z])" for w in words)


_MONEY_ASKED = rf"钱|费用|成本|花费|花了|预算|{_words('costs?', 'price', 'spen[dt]', 'budget', 'dollars?')}"
_MONEY_STATED = rf"{_NUMBER}(万元|元|美元|块钱)|[$¥€]\s?\d|{_NUMBER}({_words('USD', 'RMB', 'dollars?')})"
_TIME_ASKED = rf"多久|多长时间|耗时|时间|延迟|{_words('how long', 'time', 'latency', 'duration', 'minutes', 'hours')}"
_TIME_UNITS = _words("ms", "s", "h", "min", "minutes?", "hours?", "days?", "weeks?")
_TIME_STATED = rf"{_NUMBER}(秒|分钟|小时|天|周|个月|{_TIME_UNITS})"
_MEMORY_ASKED = rf"显存|内存|存储|占用|多大|{_words('memory', 'GB', 'MB', 'how big', 'disk')}"
_MEMORY_STATED = rf"{_NUMBER}(字节|{_words('GB', 'MB', 'KB', 'TB', 'GiB', 'MiB', 'bytes?')})"
_SHARE_WORDS = _words("percent(age)?", "ratio", "share", "proportion", "accuracy", "error rate", "hit rate")
_SHARE_ASKED = rf"比例|百分|占比|准确率|错误率|命中率|%|{_SHARE_WORDS}"

# (what the question asks, how a sentence states it) per kind, in English and Chinese.
ANSWER_TYPES: dict[str, tuple[re.Pattern[str], re.Pattern[str]]] = {
    "money": (re.compile(_MONEY_ASKED, re.I), re.compile(_MONEY_STATED, re.I)),
    "time": (re.compile(_TIME_ASKED, re.I), re.compile(_TIME_STATED, re.I)),
    "memory": (re.compile(_MEMORY_ASKED, re.I), re.compile(_MEMORY_STATED, re.I)),
    "share": (re.compile(_SHARE_ASKED, re.I), re.compile(r"\d\s*%|百分之")),
}


def asked_kinds(question: str) -> frozenset[str]:
    """The kinds of quantity the question asks for (often none)."""
    return frozenset(kind for kind, (asks, _) in ANSWER_TYPES.items() if asks.search(question))


def states_kind(sentence: str, kinds: frozenset[str]) -> bool:
    """Does the sentence state a quantity of one of these kinds?"""
    return any(ANSWER_TYPES[kind][1].search(sentence) for kind in kinds)
