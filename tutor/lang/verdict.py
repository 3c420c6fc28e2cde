"""Verdicts: an answer that opens with "No." or "不是。" answers a yes/no question, and only that question.

Served to any other question, the verdict contradicts it ("这是不是过拟合？" is a yes/no question; "What is
overfitting?" is not, and "不是。…" then reads as a denial of something nobody asked). So the opening clause is
recognised here, and can be dropped while the rest of the answer stands.
"""

from __future__ import annotations

import re

_EN = re.compile(
    r"^(?:No(?: to (?:both|all|either))?|Nope|Yes|Neither|Both|Partly|Partially|Correct|Wrong|Right"
    r"|Not\b[^.;:,!?—]{0,30}|Mostly(?: not)?|Only\b[^.;:,!?—]{0,30}|Usually not[^.;:,!?—]{0,30}|Yes and no)"
    r"\s*(?:[.;:,!—]|$)",
)
_EN_WORDS = 4  # "Not in these papers." is a verdict; "Not every head is useful;" starts a statement
_ZH_CLAUSE = re.compile(r"^([^。，；：！？,.;:!?]{1,16})[。，；：！？,.;:!?]")
_ZH_VERDICT = re.compile(
    r"^(?:是的?|会|能|对|不对|错|有|没有|恰恰相反|相反|未必|不一定|不完全(?:是|对)?|不全是|不算|不够|不用|不需要)$"
    r"|(?:不是|不会|不能|不需要|不用|没有|不一定|不算|并不是|都不是|不太可能|帮助不大)$"
)


# A short sentence of its own that is a negated predicate ("不快。", "不能保证。", "并不正好。", "不做："): the Chinese
# "Not fast.". A statement that happens to negate ("没有固定阈值。", "作用对象不同。") is not one.
_ZH_SHORT_NEGATION = re.compile(r"^(?:通常|实际上|其实|多半|并|也|都|理论上)?(?:不|并非)[^，。：,]{0,5}[。：:]$")


def verdict_opening(answer: str) -> str:
    """The opening clause when it is a polar verdict ("No.", "Not really:", "不是。", "在 word2vec 里不是。"), or ""."""
    text = answer.lstrip()
    m = _EN.match(text)
    if m and len(m.group(0).split()) <= _EN_WORDS:
        return m.group(0)
    z = _ZH_CLAUSE.match(text)
    if z and (_ZH_VERDICT.search(z.group(1).strip()) or _ZH_SHORT_NEGATION.match(z.group(0).strip())):
        return z.group(0)
    return ""


def verdict_polarity(answer: str) -> str:
    """ "yes" or "no" for an answer that opens with a verdict ("Yes.", "是的。" / "No.", "不是。"), else ""."""
    opening = verdict_opening(answer).lower()
    if not opening:
        return ""
    return "yes" if opening.startswith(("yes", "是", "会", "能", "对", "有", "correct", "right")) else "no"


def without_verdict(answer: str) -> str:
    """The answer with its opening verdict dropped (and the next word capitalised), or unchanged."""
    opening = verdict_opening(answer)
    if not opening:
        return answer
    rest = answer.lstrip()[len(opening) :].lstrip()
    return rest[:1].upper() + rest[1:] if rest else answer
