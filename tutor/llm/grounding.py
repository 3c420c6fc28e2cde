"""Grounding checked in code: every generated sentence is matched to the source sentence that best supports it.

A small model states wrong things fluently ("网络层数越深效果越差，这是过拟合", when the reading says the
opposite), and embedding similarity barely notices: a negated or re-numbered sentence stays about as close
to its source as a faithful one. So similarity only picks the source sentence a generated sentence is
about; two explicit signals then decide whether they agree:

- negation: a negation word ("not", "no", "never", "不是", "并非", "没有" …) in one and none in the other;
- numbers: a number in the generated sentence that its source does not state (Arabic, English number
  words and Chinese numerals are normalised, so "八" meets "8" and "70 亿" meets "7 billion").

A sentence is *supported* when it is close enough to a source sentence (calibrated per language pair on
eval/grounding.jsonl) and agrees with it; *conflict* when it is close but disagrees; *unsupported* when no
source sentence is close, or when it brings in a field term that no source and not the question mentions
("the KV cache stores gradient statistics").
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass
from typing import Any, Literal

import numpy as np

from tutor.glossary import Glossary
from tutor.text import detect_language
from tutor.vectors import normalise

Verdict = Literal["supported", "unsupported", "conflict"]

# Calibrated on eval/grounding.jsonl (see tests/test_llm_grounding.py and the README table).
SUPPORT_SAME = 0.55  # cosine above which a sentence states what a source sentence in its language states
SUPPORT_CROSS = 0.45  # the same across English and Chinese (multilingual USE sits lower there)
CONFLICT_MIN = 0.28  # cosine above which a sentence is about a source sentence, so disagreement is a conflict

_MARKERS = re.compile(r"\s*(?:\[\d{1,2}\])+")
_MARKER_NUMBER = re.compile(r"\[(\d{1,2})\]")


@dataclass(frozen=True)
class Source:
    """One sentence the answer may rest on, and the citation number it carries."""

    text: str
    n: int
    lang: str = ""


@dataclass(frozen=True)
class Check:
    """One generated sentence and the source sentence it was checked against."""

    sentence: str
    verdict: Verdict
    n: int | None  # citation number of the source sentence, None when nothing was close
    source: str  # that source sentence
    similarity: float
    reason: str = ""  # why it is not supported: "negation", "number 12", "new term: gradient", "no close source"

    @property
    def shown(self) -> bool:
        return self.verdict == "supported"

    def as_json(self) -> dict[str, Any]:
        return {**asdict(self), "shown": self.shown}


# ------------------------------------------------------------------------------------------ negation

_NEG_EN = re.compile(
    r"\b(?:not|no|never|none|neither|nor|nothing|nobody|nowhere|cannot|without|"
    r"fails? to|failed to|lacks?|prevents?|avoids?)\b|n't\b|\b(?:keeps?|kept|stops?)\b[^.;,]{0,40}\bfrom\b",
    re.I,
)
_NEG_EN_IGNORED = re.compile(
    r"\bnot only\b|\bnot just\b|\bor not\b|\bno matter\b|\bno doubt\b|\b(?:almost|nearly) no\b", re.I
)
# Chinese negation: the words, minus compounds whose 不/无/非/未 is not a negation of the claim.
_NEG_ZH = re.compile(r"不|没|无|非|未|否|避免|防止|阻止|缺乏|缺少")
_NEG_ZH_IGNORED = re.compile(
    r"不同|不断|不仅|不只|不光|不少|不过|不管|不论|不得不|不久|不错|不妨|要不|差不多|几乎不|几乎没|"
    r"非常|非线性|非零|非负|除非|无论|无监督|无损|未来|否则|是否|能否|可否|与否"
)


# "A rather than B", "不是 A，而是 B": the negated part is a rejected alternative, not a denial of the claim.
# Such sentences are judged by what their negation applies to (negation_flipped), not by its presence.
_CONTRAST_EN = re.compile(r"\bnot\b(?=[^.;]{0,60}\bbut\b)|\brather than\b|\binstead of\b", re.I)
_CONTRAST_ZH = re.compile(r"不是?(?=[^。；]{0,24}而是)|而不是|而非|而不必|而不用")


def negation_count(sentence: str) -> int:
    """How many negations a sentence contains (in either language), contrasts aside."""
    en = _NEG_EN_IGNORED.sub(" ", _CONTRAST_EN.sub(" ", sentence))
    zh = _NEG_ZH_IGNORED.sub("", _CONTRAST_ZH.sub("", sentence))
    return len(_NEG_EN.findall(en)) + len(_NEG_ZH.findall(zh))


_SCOPE_SKIP_EN = frozenset(
    [
        "the",
        "a",
        "an",
        "be",
        "is",
        "are",
        "was",
        "were",
        "do",
        "does",
        "did",
        "have",
        "has",
        "to",
        "been",
        "any",
        "at",
        "all",
        "even",
        "always",
        "really",
        "just",
        "only",
        "very",
        "so",
        "much",
        "more",
        "it",
        "its",
        "they",
        "this",
    ]
)
_SCOPE_SKIP_ZH = "是会能再太一都也就还并其"
_SCOPE_CUE_EN = re.compile(
    r"\b(?:not|never|no|none|neither|nor|nothing|cannot|without|rather than|instead of)\b|n't\b", re.I
)
_SCOPE_CUE_ZH = re.compile(r"不|没有|没|未|并非|非")
_WORD_EN = re.compile(r"[A-Za-z][A-Za-z-]+")


def _stem(word: str) -> str:
    word = word.lower()
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word


def _negated_words(sentence: str) -> set[str]:
    """The word each negation applies to: 'see' in 'never sees', '模型' in '不是模型容量'."""
    out: set[str] = set()
    en = _NEG_EN_IGNORED.sub(" ", sentence)
    for cue in _SCOPE_CUE_EN.finditer(en):
        for word in _WORD_EN.findall(en[cue.end() : cue.end() + 40]):
            if word.lower() not in _SCOPE_SKIP_EN:
                out.add(_stem(word))
                break
    zh = _NEG_ZH_IGNORED.sub(lambda m: "_" * len(m.group(0)), sentence)
    for cue in _SCOPE_CUE_ZH.finditer(zh):
        rest = zh[cue.end() :].lstrip(_SCOPE_SKIP_ZH)
        word = re.match(r"[\u4e00-\u9fff]{2}", rest)
        if word:
            out.add(word.group(0))
    return out


def _affirmed(word: str, sentence: str) -> bool:
    """Whether the sentence states `word` outside the reach of a negation."""
    if re.match(r"[\u4e00-\u9fff]", word):
        for m in re.finditer(re.escape(word), sentence):
            clause = re.split(r"[，。；：,;:]", sentence[max(0, m.start() - 8) : m.start()])[-1]
            if not _SCOPE_CUE_ZH.search(clause):
                return True
        return False
    for m in _WORD_EN.finditer(sentence):
        if _stem(m.group(0)) == word:
            clause = re.split(r"[,;:.]", sentence[max(0, m.start() - 30) : m.start()])[-1]
            if not _SCOPE_CUE_EN.search(" ".join(_WORD_EN.findall(clause)[-3:]) + " "):
                return True
    return False


def negation_flipped(sentence: str, source: str) -> bool:
    """A word negated in one and affirmed in the other ('never sees' against 'let each position see')."""
    return any(_affirmed(w, source) for w in _negated_words(sentence)) or any(
        _affirmed(w, sentence) for w in _negated_words(source)
    )


def negated(sentence: str) -> bool:
    return negation_count(sentence) > 0


# Opposites a small model swaps while keeping every other word ("the output is the same" → "can differ",
# "被冻结" → "重新调整"): a word of one side in the sentence and only words of the other side in its source.
_OPPOSITES = [
    (
        r"\b(?:same|identical|equals?|exactly)\b|相同|一样|一致|不变",
        r"\b(?:differs?|different|approximat\w*)\b|不同|不一样|近似",
    ),
    (
        r"\b(?:keeps?|kept|retains?|retained)\b|保留|留下",
        r"\b(?:discard\w*|drops?|dropped|throws? away)\b|丢弃|舍弃|扔掉",
    ),
    (
        r"\b(?:frozen|fixed|freezes?)\b|冻结|固定",
        r"\b(?:readjust\w*|re-adjust\w*|re-fit\w*|refit\w*)\b|重新调整|重新拟合",
    ),
    (
        r"\b(?:increases?|increased|rises?|raised?|grows?)\b|增加|提高|上升|增长|变大|升高",
        r"\b(?:decreases?|decreased|reduces?|reduced|falls?|shrinks?)\b|减少|降低|下降|缩小|变小",
    ),
    (
        r"\b(?:higher|larger|bigger|better|faster)\b|更高|高于|更大|更好|变好|更快",
        r"\b(?:lower|smaller|worse|slower)\b|更低|低于|更小|更差|变差|更慢",
    ),
    (r"\bparallel\b|并行", r"\b(?:sequential\w*|one (?:at a time|by one))\b|串行|逐个"),
    (r"\b(?:easy|easily|simple)\b|容易|简单", r"\b(?:hard|difficult)\b|很难|困难|难以"),
    (r"\bpositive\b|正数|为正", r"\bnegative\b|负数|为负"),
    (
        r"\b(?:constant|unchanged|stays? the same)\b|保持不变|恒定",
        r"\b(?:increases?|decreases?|grows?|rises?|falls?|decays?|changes?)\b|增加|减少|上升|下降|变化",
    ),
]
_NOT_SAME = re.compile(r"\b(?:not|n't)\s+(?:the\s+)?(?:same|identical|equal)\b|不相同|不一致|并不一样", re.I)
_OPPOSITE_PATTERNS = [(re.compile(a, re.I), re.compile(b, re.I)) for a, b in _OPPOSITES]


def swapped_opposite(sentence: str, source: str) -> str:
    """An opposite word the sentence uses where its source uses the other side only ('' if none)."""
    sentence, source = _NOT_SAME.sub(" different ", sentence), _NOT_SAME.sub(" different ", source)
    for a, b in _OPPOSITE_PATTERNS:
        for this, that in ((a, b), (b, a)):
            found = this.search(sentence)
            if found and not that.search(sentence) and that.search(source) and not this.search(source):
                return found.group(0)
    return ""


# ------------------------------------------------------------------------------------------ numbers

_EN_WORDS = {
    "zero": 0,
    "two": 2,
    "three": 3,
    "four": 4,
    "five": 5,
    "six": 6,
    "seven": 7,
    "eight": 8,
    "nine": 9,
    "ten": 10,
    "eleven": 11,
    "twelve": 12,
    "thirteen": 13,
    "fifteen": 15,
    "sixteen": 16,
    "twenty": 20,
    "thirty": 30,
    "forty": 40,
    "fifty": 50,
    "sixty": 60,
    "hundred": 100,
    "thousand": 1000,
    "million": 1e6,
    "billion": 1e9,
    "trillion": 1e12,
    "twice": 2,
    "double": 2,
    "doubles": 2,
    "triple": 3,
    "half": 0.5,
    "quarter": 0.25,
    "dozen": 12,
}
_SCALE_EN = {"thousand": 1e3, "million": 1e6, "billion": 1e9, "trillion": 1e12, "k": 1e3, "m": 1e6, "b": 1e9}
_ZH_DIGITS = {"零": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}
_ZH_UNITS = {"十": 10, "百": 100, "千": 1000}
_ZH_BIG = {"万": 1e4, "亿": 1e8}
_ZH_SPECIAL = {"一半": 0.5, "半数": 0.5, "两倍": 2, "双倍": 2, "翻倍": 2}
# 十分 (very), 千万 (by all means), 两者 (both), ordinals (第二), 万一 (in case): numerals that state no quantity.
_ZH_NOT_NUMBERS = re.compile(r"十分|千万(?=[不别要])|两者|万一|一一|第[零一二两三四五六七八九十百千]+")

_ARABIC = re.compile(
    r"(?<![\w.])(\d{1,3}(?:,\d{3})+|\d+(?:\.\d+)?)(\s?%)?"
    r"(?:\s?-?\s?(thousand|million|billion|trillion|[kKmMbB])\b|\s?([万亿]))?"
)
_EN_NUMBER_WORD = re.compile(r"\b(" + "|".join(_EN_WORDS) + r")\b", re.I)
_ZH_NUMERAL = re.compile(r"(百分之)?([零一二两三四五六七八九十百千万亿]+)")


def _zh_value(run: str) -> float | None:
    """六十四 → 64, 十二 → 12, 三千 → 3000, 两万 → 20000; 一 alone (a, one) and a bare 千 or 万 are not quantities."""
    if run == "一" or all(ch in _ZH_UNITS or ch in _ZH_BIG for ch in run):
        return None
    total, section, digit = 0.0, 0.0, None
    for ch in run:
        if ch in _ZH_DIGITS:
            digit = _ZH_DIGITS[ch]
        elif ch in _ZH_UNITS:
            section += (digit if digit is not None else 1) * _ZH_UNITS[ch]
            digit = None
        else:
            total += (section + (digit or 0)) * _ZH_BIG[ch]
            section, digit = 0.0, None
    return total + section + (digit or 0)


def _blank(text: str, start: int, end: int) -> str:
    """Mask a span with spaces, keeping every other position where it was."""
    return text[:start] + " " * (end - start) + text[end:]


def number_spans(sentence: str) -> list[tuple[float, int, int]]:
    """The numbers a sentence states, with where they are, normalised across scripts ("八" is 8, "70 亿" 7e9)."""
    found: list[tuple[float, int, int]] = []
    text = re.sub(r"\[\d{1,2}\]", lambda m: " " * len(m.group(0)), sentence)  # our markers are not numbers
    for m in _ARABIC.finditer(text):
        value = float(m.group(1).replace(",", ""))
        if m.group(3):
            value *= _SCALE_EN[m.group(3).lower()]
        elif m.group(4):
            value *= _ZH_BIG[m.group(4)]
        found.append((value, m.start(), m.end()))
        if m.group(2):
            found.append((value / 100, m.start(), m.end()))
        text = _blank(text, m.start(), m.end())
    for m in _EN_NUMBER_WORD.finditer(text):
        found.append((float(_EN_WORDS[m.group(1).lower()]), m.start(), m.end()))
    for m in _ZH_NOT_NUMBERS.finditer(text):
        text = _blank(text, m.start(), m.end())
    for special, special_value in _ZH_SPECIAL.items():
        for m in re.finditer(special, text):
            found.append((float(special_value), m.start(), m.end()))
            text = _blank(text, m.start(), m.end())
    for m in _ZH_NUMERAL.finditer(text):
        zh = _zh_value(m.group(2))
        if zh is not None:
            found.append((zh, m.start(), m.end()))
            if m.group(1):
                found.append((zh / 100, m.start(), m.end()))
    return sorted(found, key=lambda f: f[1])


def numbers_in(sentence: str) -> set[float]:
    """The numbers a sentence states (a percentage also counts as its fraction)."""
    return {value for value, _, _ in number_spans(sentence)}


def _same_number(a: float, b: float) -> bool:
    return abs(a - b) <= 1e-6 * max(1.0, abs(a), abs(b))


def new_numbers(sentence: set[float], source: set[float]) -> list[float]:
    return sorted(x for x in sentence if not any(_same_number(x, y) for y in source))


_LOOSE = re.compile(r"\b(?:two|three|twice|double|half)\b|[两二三](?=[个种类者])|一半", re.I)


def stated_numbers(sentence: str, source: str) -> set[float]:
    """The sentence's numbers; 'two vectors' or '两个' count only against a source that states numbers itself."""
    if numbers_in(source):
        return numbers_in(sentence)
    return numbers_in(_LOOSE.sub(lambda m: " " * len(m.group(0)), sentence))


_FILLER_EN = frozenset(
    [
        "of",
        "is",
        "are",
        "was",
        "were",
        "be",
        "to",
        "the",
        "a",
        "an",
        "about",
        "around",
        "roughly",
        "approximately",
        "nearly",
        "almost",
        "than",
        "by",
        "at",
        "equal",
        "equals",
        "only",
        "just",
        "over",
        "under",
        "up",
        "some",
        "exactly",
    ]
)
_FILLER_ZH = re.compile(r"(?:约为|大约是|大约|大概|约|为|是|等于|达到|有|了|的|在|共|仅|只有|只)+$")
_ANCHOR_WINDOW = 24  # characters after an anchor in which the source states its number


def _anchor(text: str, start: int) -> str:
    """The word right before a number, past fillers: 'deviation' in 'deviation of 64', '准差' in '标准差约为 8'."""
    before = text[:start]
    while True:
        stripped = _FILLER_ZH.sub("", re.sub(r"[\s=≈()（）]+$", "", before))
        word = re.search(r"[A-Za-z]+$", stripped)
        if word and word.group(0).lower() in _FILLER_EN:
            stripped = stripped[: word.start()]
        if stripped == before:
            break
        before = stripped
    cjk = re.search(r"[\u4e00-\u9fff]{2}$", before)
    if cjk:
        return cjk.group(0)
    latin = re.search(r"[A-Za-z_*^'][A-Za-z0-9_*^'-]*$", before)
    if latin and (len(latin.group(0)) > 1 or latin.group(0) in "nNkKdDhLwWx"):
        return latin.group(0)
    return ""


def misplaced_numbers(sentence: str, source: str) -> list[float]:
    """Numbers of the sentence that the source states, but for another quantity.

    'standard deviation of 64' against 'd_k = 64 … a standard deviation of 8': 64 is in the source, but
    the source's standard deviation is 8. Judged only where the sentence's word before the number appears
    in the source with a number shortly after it.
    """
    spans = number_spans(source)
    wrong = []
    for value, start, _ in number_spans(sentence):
        word = _anchor(sentence, start)
        if not word:
            continue
        after = [
            v
            for m in re.finditer(re.escape(word), source, flags=re.I)
            for v, s0, _ in spans
            if m.end() <= s0 <= m.end() + _ANCHOR_WINDOW
        ]
        if after and not any(_same_number(value, v) for v in after):
            wrong.append(value)
    return wrong


# ------------------------------------------------------------------------------------------ the checker


def strip_markers(text: str) -> str:
    return _MARKERS.sub("", text).strip()


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Z0-9“\"(\u4e00-\u9fff])|(?<=[。！？])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|et al|Fig|Eq|Sec|vs|cf|approx)\.$", re.I)


def split_answer(text: str) -> list[str]:
    """Text cut into sentences, keeping our [n] markers (a marker after the full stop moves before it)."""
    text = re.sub(r"([.!?。！？])[ \t]*((?:\[\d{1,2}\])+)", r"\2\1", text)
    out: list[str] = []
    for line in re.split(r"\n+", text):
        merged: list[str] = []
        for piece in _SENTENCE_END.split(re.sub(r"\s+", " ", line.strip().lstrip("-*•").strip())):
            if merged and _ABBREVIATION.search(merged[-1]):
                merged[-1] = f"{merged[-1]} {piece}"
            elif piece.strip():
                merged.append(piece.strip())
        out.extend(p for p in merged if strip_markers(p))
    return out


def sources_from(texts: Sequence[tuple[str, int]]) -> list[Source]:
    """Source sentences from (text, citation number) pairs; markers inside a text override its number."""
    out: list[Source] = []
    for text, n in texts:
        for sentence in split_answer(text):
            marked = [int(x) for x in _MARKER_NUMBER.findall(sentence)]
            bare = strip_markers(sentence)
            if len(re.findall(r"[A-Za-z]+|[\u4e00-\u9fff]", bare)) >= 4:  # "No." alone is a verdict, see below
                out.append(Source(bare, marked[0] if marked else n, detect_language(bare)))
    return out


_VERDICT = re.compile(r"^\s*(No|Yes|不是|不会|不能|不对|是的|对)\s*[.,;:!。，；：！]", re.I)


def verdict_source(direct: str, question: str, n: int) -> Source | None:
    """An answer that opens with "No." or "不是。" answers the question itself: the question with that verdict
    is what a generated "X is not Y" restates, so it is a source to check against (never shown to the model)."""
    m = _VERDICT.match(strip_markers(direct))
    if not m or not question.strip():
        return None
    asked = re.sub(r"[吗呢]?\s*[?？]*$", "", question.strip())
    text = f"{m.group(1)}, {asked}."
    return Source(text, n, detect_language(question))


_ENTITY = re.compile(r"\b([A-Za-z]{2,})-?(\d+(?:\.\d+)?[A-Za-z]?)\b")


def swapped_entity(sentence: str, source: str) -> str:
    """A numbered name the source does not use where it uses a sibling: GPT-1 for GPT-2, ResNet-34 for ResNet-18,
    fp16 for fp32 ('' if none). A small model moves a fact to the wrong member of a family."""
    named = {(m.group(1).lower(), m.group(2).lower()) for m in _ENTITY.finditer(source)}
    for m in _ENTITY.finditer(sentence):
        stem, number = m.group(1).lower(), m.group(2).lower()
        if (stem, number) not in named and any(s == stem for s, _ in named):
            return m.group(0)
    return ""


def disagreement(sentence: str, source: str) -> str:
    """Why a sentence contradicts the source sentence it is about; '' when negation, names and numbers agree."""
    if negated(sentence) != negated(source) or negation_flipped(sentence, source):
        return "negation"
    entity = swapped_entity(sentence, source)
    if entity:
        return f"name: {entity}"
    opposite = swapped_opposite(sentence, source)
    if opposite:
        return f"opposite: {opposite}"
    wrong = new_numbers(stated_numbers(sentence, source), numbers_in(source)) or misplaced_numbers(sentence, source)
    if wrong:
        return "number " + ", ".join(f"{x:g}" for x in wrong)
    return ""


def judge(sentence: str, source: str, similarity: float, cross_lingual: bool) -> tuple[Verdict, str]:
    """The verdict on one sentence against its closest source sentence.

    Disagreement is looked for in a wider band than support: a negated or re-numbered sentence drifts
    further from its source than a faithful paraphrase does, but not as far as an unrelated one.
    """
    if similarity < CONFLICT_MIN:
        return "unsupported", "no close source"
    reason = disagreement(sentence, source)
    if reason:
        return "conflict", reason
    if similarity < (SUPPORT_CROSS if cross_lingual else SUPPORT_SAME):
        return "unsupported", "no close source"
    return "supported", ""


class Grounder:
    """Checks generated sentences against the source sentences of one answer."""

    def __init__(
        self,
        embed: Callable[[list[str]], list[list[float]]],
        sources: Sequence[Source],
        glossary: Glossary | None = None,
        question: str = "",
    ) -> None:
        self.embed = embed
        self.sources = [s for s in sources if s.text]
        self.glossary = glossary
        texts = [s.text for s in self.sources]
        self._vectors = normalise(np.asarray(embed(texts), dtype=np.float32)) if texts else None
        self._known_terms = self._terms(" ".join([question, *texts]))
        self._question_numbers = numbers_in(question)

    def _terms(self, text: str) -> set[str]:
        if self.glossary is None:
            return set()
        return {m.term.key for m in self.glossary.matches_in(text) if not m.everyday}

    def check(self, sentence: str) -> Check:
        bare = strip_markers(sentence)
        if self._vectors is None or not bare:
            return Check(bare, "unsupported", None, "", 0.0, "no sources")
        vector = normalise(np.asarray(self.embed([bare]), dtype=np.float32))[0]
        lang = detect_language(bare)
        sims = self._vectors @ vector
        # Rank by similarity over the support threshold of the language pair: cross-lingual scores run lower.
        margins = [
            float(sims[i]) - (SUPPORT_SAME if s.lang == lang else SUPPORT_CROSS) for i, s in enumerate(self.sources)
        ]
        best = int(np.argmax(margins))
        source, similarity = self.sources[best], round(float(sims[best]), 3)
        verdict, reason = judge(
            self._without_question_numbers(bare, source.text), source.text, similarity, source.lang != lang
        )
        if verdict == "supported":
            novel = sorted(self._terms(bare) - self._known_terms)
            if novel:
                verdict, reason = "unsupported", f"new term: {', '.join(novel)}"
        return Check(bare, verdict, source.n if similarity >= CONFLICT_MIN else None, source.text, similarity, reason)

    def _without_question_numbers(self, sentence: str, source: str) -> str:
        """Numbers the learner's own question states may be repeated (GPT-3, CIFAR-10) without a source."""
        if not self._question_numbers:
            return sentence
        keep = numbers_in(source)
        for value, start, end in reversed(number_spans(sentence)):
            if any(_same_number(value, q) for q in self._question_numbers) and not any(
                _same_number(value, k) for k in keep
            ):
                sentence = _blank(sentence, start, end)
        return sentence


def share_supported(checks: Sequence[Check]) -> float:
    return round(sum(c.shown for c in checks) / len(checks), 3) if checks else 0.0


def score_pairs(rows: Sequence[dict[str, Any]], embed: Callable[[list[str]], list[list[float]]]) -> dict[str, Any]:
    """Precision and recall of the conflict detector on labelled sentence/source pairs (eval/grounding.jsonl).

    Each row: sentence, source, label (support | conflict | unsupported), lang, kind, optional split.
    Also counts contradictions that would be shown (labelled conflict, judged supported) and the share of
    faithful sentences kept, per split and per language.
    """
    vectors = normalise(
        np.asarray(embed([r["sentence"] for r in rows] + [r["source"] for r in rows]), dtype=np.float32)
    )
    verdicts = []
    for i, row in enumerate(rows):
        similarity = float(vectors[i] @ vectors[len(rows) + i])
        cross = detect_language(row["sentence"]) != detect_language(row["source"])
        verdicts.append(judge(row["sentence"], row["source"], similarity, cross)[0])

    def scores(picked: list[int]) -> dict[str, Any]:
        labels = [rows[i]["label"] for i in picked]
        said = [verdicts[i] for i in picked]
        tp = sum(a == "conflict" and b == "conflict" for a, b in zip(labels, said, strict=True))
        fp = sum(a != "conflict" and b == "conflict" for a, b in zip(labels, said, strict=True))
        fn = sum(a == "conflict" and b != "conflict" for a, b in zip(labels, said, strict=True))
        faithful = [b for a, b in zip(labels, said, strict=True) if a == "support"]
        return {
            "n": len(picked),
            "conflicts": tp + fn,
            "conflict_precision": round(tp / (tp + fp), 3) if tp + fp else None,
            "conflict_recall": round(tp / (tp + fn), 3) if tp + fn else None,
            "contradictions_shown": sum(
                a == "conflict" and b == "supported" for a, b in zip(labels, said, strict=True)
            ),
            "unsupported_shown": sum(
                a == "unsupported" and b == "supported" for a, b in zip(labels, said, strict=True)
            ),
            "faithful_kept": round(sum(b == "supported" for b in faithful) / len(faithful), 3) if faithful else None,
        }

    everything = list(range(len(rows)))
    out: dict[str, Any] = {"all": scores(everything)}
    for split in sorted({r.get("split", "calibration") for r in rows}):
        out[split] = scores([i for i in everything if rows[i].get("split", "calibration") == split])
    for lang in ("en", "zh"):
        out[lang] = scores([i for i in everything if rows[i]["lang"] == lang])
    return out
