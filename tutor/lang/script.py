"""Scripts and languages: one CJK range for every module, and which language a question is framed in."""

from __future__ import annotations

import re

# CJK Unified Ideographs, Extension A and the compatibility block: every Han character a learner types.
CJK_CLASS = "\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff"
CJK = re.compile(f"[{CJK_CLASS}]")
CJK_RUN = re.compile(f"[{CJK_CLASS}]{{2,}}")
CJK_RUNS = re.compile(f"[{CJK_CLASS}]+")
# Han characters plus radicals, CJK punctuation, kana and full-width forms: written without spaces between them.
CJK_TEXT_CLASS = f"\u2e80-\u2fdf\u3000-\u303f\u3040-\u30ff{CJK_CLASS}\uff00-\uffef"
_CJK_GAP = re.compile(f"(?<=[{CJK_TEXT_CLASS}])\\s+(?=[{CJK_TEXT_CLASS}])")
LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
# Chinese grammar: a question framed in Chinese uses these even when its terms are English.
_ZH_FRAME = re.compile(r"[的是吗呢么和与里中在有哪吧了请能会为要把被对让从该个这那怎如何什谁几]")


def has_cjk(text: str) -> bool:
    return CJK.search(text) is not None


def close_cjk_gaps(text: str) -> str:
    """Text with no whitespace between two Chinese characters or punctuation marks: a scanned chapter's line breaks
    and the space that joins quoted sentences ("数据集 例子中", "替换。 在本章") are not part of Chinese writing."""
    return _CJK_GAP.sub("", text)


def detect_language(text: str) -> str:
    """'zh' when the text is framed in Chinese, even if its technical terms are English.

    "Transformer 里的 self-attention 和 multi-head attention 有什么区别？" is Chinese; "What does 残差 mean
    in ResNet?" is English with one Chinese term.
    """
    runs = CJK_RUNS.findall(text)
    if any(_ZH_FRAME.search(run) for run in runs):
        return "zh"  # "BERT 的 NSP": one particle is enough to frame the question in Chinese
    cjk = sum(len(run) for run in runs if len(run) >= 2)
    if not cjk:
        return "en"
    # a single letter is a variable ("求 ∫ x e^x dx", "设 n 为样本数"), not an English word
    words = [w for w in LATIN_WORD.findall(text) if len(w) > 1]
    return "zh" if cjk >= 2 * len(words) else "en"
