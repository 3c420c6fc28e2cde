"""Negation cues in English and Chinese, what a negation applies to, and contrasts that only look like one.

One lexicon for the grounding checker (does a generated sentence deny what its source states?) and the
grader (does an open answer deny a key point?): a cue added here reaches both.
"""

from __future__ import annotations

import re

from tutor.lang.script import CJK
from tutor.lang.tokens import stem

# Whole words (matched on lower-cased text); "n't" and the multi-word cues are matched apart.
EN_CUES = frozenset({
    "not", "no", "never", "none", "nothing", "neither", "nor", "nobody", "nowhere", "without", "cannot", "hardly",
    "instead", "rather", "unlike", "avoid", "avoids", "avoiding", "avoided", "isnt", "arent", "wasnt", "werent",
    "doesnt", "dont", "didnt", "cant", "wont", "shouldnt", "wouldnt", "hasnt", "havent", "neednt", "nt",
})  # fmt: skip
_EN_CONTRACTION = re.compile(r"n't\b", re.I)
# Cues that deny an outcome rather than the words after them: a sentence with one denies something, but
# "keeps the scores from growing large" says the scores stay small, not that they are not large.
_EN_IMPLICIT = re.compile(
    r"\bfail(?:s|ed)? to\b|\black(?:s|ing)?\b|\bprevent(?:s|ed)?\b|\b(?:keeps?|kept|stops?)\b[^.;,]{0,40}\bfrom\b", re.I
)
# Words that contain a cue but do not deny anything ("not only … but also", "no matter").
_EN_NOT_NEGATION = re.compile(
    r"\bnot only\b|\bnot just\b|\bor not\b|\bno matter\b|\bno doubt\b|\bno longer\b|\bnothing but\b"
    r"|\b(?:almost|nearly) no\b",
    re.I,
)
ZH_CUES = re.compile(
    r"并非|而非|不是|不会|不能|没有|无关|并不|不再|不属于|避免|防止|阻止|缺乏|缺少|无需|不必|不用|省去|免去|"
    r"不|没|无|非|未|否|别"
)
# Compounds whose 不/无/非/未/否 is not a negation of the claim.
_ZH_NOT_NEGATION = re.compile(
    r"不同|不断|不仅|不只|不光|不少|不过|不管|不论|不得不|不久|不错|不妨|不停|不等|不一样|不可微|要不|差不多|"
    r"几乎不|几乎没|非常|非线性|非零|非负|非监督|除非|无论|无穷|无数|无监督|无损|未来|未知|否则|是否|能否|可否|与否|"
    r"分别|区别|差别|类别|级别|个别|特别|识别|别的|别人|别处"
)
# "A rather than B", "不是 A，而是 B": the negated part is a rejected alternative, not a denial of the claim.
CONTRAST_EN = re.compile(r"\bnot\b(?=[^.;]{0,60}\bbut\b)|\brather than\b|\binstead of\b", re.I)
CONTRAST_ZH = re.compile(r"不是?(?=[^。；]{0,24}而是)|而不是|而非|而不必|而不用")


def _mask(match: re.Match[str]) -> str:
    return "#" * len(match.group(0))


def negation_spans(text: str, implicit: bool = True) -> list[tuple[int, int]]:
    """Where the negation cues of a text are (positions in `text`), compounds that do not negate left out;
    `implicit=False` leaves out the cues that deny an outcome (prevent, keep … from, fail to, lack)."""
    masked = _ZH_NOT_NEGATION.sub(_mask, _EN_NOT_NEGATION.sub(_mask, text))
    spans = [(m.start(), m.end()) for m in re.finditer(r"[A-Za-z']+", masked) if m.group().lower() in EN_CUES]
    spans += [(m.start(), m.end()) for m in _EN_CONTRACTION.finditer(masked)]
    if implicit:
        spans += [(m.start(), m.end()) for m in _EN_IMPLICIT.finditer(masked)]
    spans += [(m.start(), m.end()) for m in ZH_CUES.finditer(masked)]
    return sorted(set(spans))


def negation_count(sentence: str) -> int:
    """How many negations a sentence contains (in either language), contrasts aside."""
    return len(negation_spans(CONTRAST_ZH.sub(_mask, CONTRAST_EN.sub(_mask, sentence))))


def negated(sentence: str) -> bool:
    return negation_count(sentence) > 0


_SCOPE_SKIP_EN = frozenset({
    "the", "a", "an", "be", "is", "are", "was", "were", "do", "does", "did", "have", "has", "to", "been", "any",
    "at", "all", "even", "always", "really", "just", "only", "very", "so", "much", "more", "it", "its", "they",
    "this",
})  # fmt: skip
_SCOPE_SKIP_ZH = "是会能再太一都也就还并其"
_SCOPE_CUE_EN = re.compile(
    r"\b(?:not|never|no|none|neither|nor|nothing|cannot|without|rather than|instead of)\b|n't\b", re.I
)
_SCOPE_CUE_ZH = re.compile(r"不|没有|没|未|并非|非")
_WORD_EN = re.compile(r"[A-Za-z][A-Za-z-]+")


def negated_words(sentence: str) -> set[str]:
    """The word each negation applies to: 'see' in 'never sees', '模型' in '不是模型容量'."""
    out: set[str] = set()
    en = _EN_NOT_NEGATION.sub(" ", sentence)
    for cue in _SCOPE_CUE_EN.finditer(en):
        for word in _WORD_EN.findall(en[cue.end() : cue.end() + 40]):
            if word.lower() not in _SCOPE_SKIP_EN:
                out.add(stem(word))
                break
    zh = _ZH_NOT_NEGATION.sub(lambda m: "_" * len(m.group(0)), sentence)
    for cue in _SCOPE_CUE_ZH.finditer(zh):
        rest = zh[cue.end() :].lstrip(_SCOPE_SKIP_ZH)
        word = re.match(r"[\u4e00-\u9fff]{2}", rest)
        if word:
            out.add(word.group(0))
    return out


def affirmed(word: str, sentence: str) -> bool:
    """Whether the sentence states `word` outside the reach of a negation."""
    if CJK.match(word):
        for m in re.finditer(re.escape(word), sentence):
            clause = re.split(r"[，。；：,;:]", sentence[max(0, m.start() - 8) : m.start()])[-1]
            if not _SCOPE_CUE_ZH.search(clause):
                return True
        return False
    for m in _WORD_EN.finditer(sentence):
        if stem(m.group(0)) == word:
            clause = re.split(r"[,;:.]", sentence[max(0, m.start() - 30) : m.start()])[-1]
            if not _SCOPE_CUE_EN.search(" ".join(_WORD_EN.findall(clause)[-3:]) + " "):
                return True
    return False


def negation_flipped(sentence: str, source: str) -> bool:
    """A word negated in one and affirmed in the other ('never sees' against 'let each position see')."""
    return any(affirmed(w, source) for w in negated_words(sentence)) or any(
        affirmed(w, sentence) for w in negated_words(source)
    )
