"""Words that say a quantity moves, and opposites a writer can swap while keeping every other word.

The grader uses the directions to catch an answer that reverses a key point ("training error falls"); the
grounding checker uses the opposites to catch a generated sentence that flips its source ("the same" →
"differs", 保留 → 丢弃).
"""

from __future__ import annotations

import re

# Words that say a quantity goes up or down, to catch answers that reverse a point ("training error rises").
_EN_UP = {
    "rise", "rises", "rising", "rose", "increase", "increases", "increased", "increasing", "higher", "high",
    "grow", "grows", "growing", "grew", "larger", "large", "bigger", "big", "up", "explode", "explodes",
    "exploding", "more",
}  # fmt: skip
_EN_DOWN = {
    "fall", "falls", "falling", "fell", "drop", "drops", "dropped", "decrease", "decreases", "decreased",
    "decreasing", "lower", "low", "smaller", "small", "shrink", "shrinks", "shrinking", "down", "reduce",
    "reduces", "reduced", "declines", "vanish", "vanishes", "vanishing", "less", "fewer", "tiny",
}  # fmt: skip
_ZH_UP = re.compile(r"上升|升高|增加|增大|变大|更高|较高|偏高|提高|变高|增长|越来越大|变多|爆炸|更大|很大|过大|高|大")
_ZH_DOWN = re.compile(r"下降|降低|减少|减小|变小|更低|较低|偏低|变低|越来越小|变少|消失|更小|很小|过小|低|小")
# Words that contain 高/低/大/小 without saying a quantity moved.
_ZH_DIR_EXCEPT = re.compile(
    r"高维|高效|高斯|高阶|低维|低秩|大模型|大量|大小|大型|最大|小批量|大规模|大多|从小到大|大致|扩大"
)


def direction_spans(clause: str) -> list[tuple[int, int, int]]:
    """(start, end, +1 up / -1 down) for each direction word in a clause."""
    found = [(m.start(), m.end(), 1) for m in re.finditer(r"[a-z]+", clause) if m.group() in _EN_UP]
    found += [(m.start(), m.end(), -1) for m in re.finditer(r"[a-z]+", clause) if m.group() in _EN_DOWN]
    masked = _ZH_DIR_EXCEPT.sub(lambda m: "#" * len(m.group()), clause)
    found += [(m.start(), m.end(), 1) for m in _ZH_UP.finditer(masked)]
    found += [(m.start(), m.end(), -1) for m in _ZH_DOWN.finditer(masked)]
    return found


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
