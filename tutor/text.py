"""Text utilities shared by ingest, retrieval and answers: language, words, sentences, quotability."""

from __future__ import annotations

import re
import unicodedata

CJK = re.compile(r"[\u4e00-\u9fff]")
CJK_RUN = re.compile(r"[\u4e00-\u9fff]{2,}")
# Chinese grammar: a question framed in Chinese uses these even when its terms are English.
_ZH_FRAME = re.compile(r"[的是吗呢么和与里中在有哪吧了请能会为要把被对让从么该个这那怎如何什谁几]")
_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
_LATIN_WORD = re.compile(r"[A-Za-z][A-Za-z0-9'-]*")
STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "by",
        "can",
        "do",
        "does",
        "for",
        "from",
        "has",
        "have",
        "how",
        "i",
        "in",
        "is",
        "it",
        "its",
        "of",
        "on",
        "or",
        "so",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "this",
        "to",
        "was",
        "what",
        "when",
        "where",
        "which",
        "who",
        "why",
        "will",
        "with",
        "would",
        "you",
        "your",
        "about",
        "into",
        "than",
        "also",
        "just",
        "more",
        "most",
        "other",
        "some",
        "such",
        "them",
        "they",
        "we",
        "our",
        "us",
        "me",
        "my",
    ]
)


def detect_language(text: str) -> str:
    """'zh' when the question is framed in Chinese, even if its technical terms are English.

    "Transformer 里的 self-attention 和 multi-head attention 有什么区别？" is Chinese; "What does 残差 mean
    in ResNet?" is English with one Chinese term.
    """
    if any(_ZH_FRAME.search(run) for run in re.findall(r"[\u4e00-\u9fff]+", text)):
        return "zh"  # "BERT 的 NSP": one particle is enough to frame the question in Chinese
    cjk_runs = CJK_RUN.findall(text)
    if not cjk_runs:
        return "en"
    cjk = sum(len(run) for run in cjk_runs)
    latin_words = len(_LATIN_WORD.findall(text))
    if any(_ZH_FRAME.search(run) for run in cjk_runs) or cjk >= 2 * latin_words:
        return "zh"
    return "en"


def content_words(text: str) -> list[str]:
    """Latin words that carry meaning (no stop words, no one- or two-letter words), lower-cased."""
    return [w for w in re.findall(r"[a-z][a-z0-9]*", text.lower()) if w not in STOP and len(w) > 2]


def tokenize(text: str) -> list[str]:
    """English words without stop words, plus overlapping CJK bigrams for Chinese text."""
    lowered = text.lower()
    tokens = [w for w in _WORD.findall(lowered) if w not in STOP and len(w) > 1]
    for run in re.findall(r"[\u4e00-\u9fff]+", lowered):
        tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return tokens


_PAPER_REFERENCE = re.compile(r"\s?\[\d{1,3}(?:\s?[,–-]\s?\d{1,3})*\]")
_MD_IMAGE = re.compile(r"!\[[^\]]*\]\([^)]*\)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\((?:https?://|#|\.{0,2}/)[^)]*\)")


def clean_text(text: str) -> str:
    """Make document text read as prose and keep it from posing as our citations.

    Normalises ligatures (ﬁ → fi), joins PDF line breaks and hyphenation, drops Markdown images and
    link targets, and removes the papers' own reference markers ("[36]"), which would otherwise look
    like our [n] markers.
    """
    text = unicodedata.normalize("NFKC", text)
    text = re.sub(r"(\w)-\n(\w)", r"\1\2", text)
    text = _MD_IMAGE.sub("", text)
    text = _MD_LINK.sub(lambda m: "" if m.group(1) in ("(cite)", "cite") else m.group(1), text)
    text = _PAPER_REFERENCE.sub("", text)
    return re.sub(r"\s+", " ", text).strip()


_SENTENCE_END = re.compile(
    r"(?<=[.!?])\s+(?=[A-Z0-9(“\"$\u4e00-\u9fff])"  # Latin: punctuation, space, a capital
    r"|(?<=[。！？])"  # Chinese: no space after the full stop
)
_FOOTNOTE = re.compile(r"^\d{1,2}(?=[A-Z][a-z])")  # "4To illustrate…": a footnote number glued to the sentence
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|et al|Fig|Figs|Eq|Eqs|Sec|vs|cf|resp|approx|No|Tab)\.$", re.I)


def split_sentences(text: str) -> list[str]:
    """Cleaned text cut into sentences (abbreviations such as "e.g." and "et al." do not end one)."""
    pieces = [p.strip() for p in _SENTENCE_END.split(clean_text(text)) if p and p.strip()]
    merged: list[str] = []
    for piece in (_FOOTNOTE.sub("", p) for p in pieces):
        if merged and _ABBREVIATION.search(merged[-1]):
            merged[-1] = f"{merged[-1]} {piece}"
        else:
            merged.append(piece)
    return merged


_EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w-]+\.\w|https?://|www\.|\barXiv:\d")
_CODE = re.compile(r"\bdef \w+\(|\"\"\"|:param\b|>>>|\breturn \w+\(|==|\w+\[\w*:\w*\]")
_LATEX_OUTSIDE_MATH = re.compile(r"\\[a-zA-Z]+")
_REFERENCE_LIKE = re.compile(
    r"\b(?:In Proceedings|Proceedings of|Journal of|pp\.\s?\d|arXiv preprint|et al\.,?\s(?:19|20)\d\d)"
)
_FRAGMENT_START = re.compile(r"^\d+\s?[\])]")  # "122] is first proposed": the tail of a citation cut by a chunk edge
_ALGORITHM_STEP = re.compile(r"\b\d{1,2}:\s")
_TERMINAL = re.compile(r"""[.!?。！？]["”')\]]?$""")


def words_in(sentence: str) -> int:
    """Latin words plus CJK characters divided by two (a Chinese word is about two characters)."""
    return len(_LATIN_WORD.findall(sentence)) + len(CJK.findall(sentence)) // 2


def quotable(sentence: str) -> bool:
    """A whole, readable sentence worth quoting as evidence: no author line, reference entry or residue."""
    s = sentence.strip()
    if not (words_in(s) >= 5 and len(s) <= 450):
        return False
    if not (s[0].isupper() or s[0].isdigit() or CJK.match(s[0]) or s[0] in '“"($') or not _TERMINAL.search(s):
        return False  # cut at a chunk or page edge
    if _EMAIL_OR_URL.search(s) or _REFERENCE_LIKE.search(s) or _FRAGMENT_START.match(s):
        return False
    if _CODE.search(s) or len(_ALGORITHM_STEP.findall(s)) > 2:
        return False  # pseudo-code ("1: Initialize … 2: for t = 1 to T do …")
    outside_math = re.sub(r"\$[^$]*\$", "", s)
    if "$" in outside_math or _LATEX_OUTSIDE_MATH.search(outside_math):
        return False  # unbalanced or raw LaTeX
    letters = sum(ch.isalpha() for ch in outside_math)
    visible = len(re.sub(r"\s", "", outside_math)) or 1
    if not CJK.search(s) and len([w for w in re.findall(r"[a-z]+", s.lower()) if w in STOP]) < 2:
        return False  # figure or table residue ("Tok M Question Paragraph BERT E[CLS].") has no grammar
    return letters / visible >= 0.7
