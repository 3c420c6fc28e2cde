"""Words: stop words, content words, search tokens (English words and CJK bigrams) and normalised forms."""

from __future__ import annotations

import re
import unicodedata

from tutor.lang.script import CJK, CJK_RUNS, LATIN_WORD

_WORD = re.compile(r"[a-z0-9]+(?:[-'][a-z0-9]+)*")
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


def content_words(text: str) -> list[str]:
    """Latin words that carry meaning (no stop words, no one- or two-letter words), lower-cased."""
    return [w for w in re.findall(r"[a-z][a-z0-9]*", text.lower()) if w not in STOP and len(w) > 2]


def tokenize(text: str) -> list[str]:
    """English words without stop words, plus overlapping CJK bigrams for Chinese text (Lucene's CJK method)."""
    lowered = text.lower()
    tokens = [w for w in _WORD.findall(lowered) if w not in STOP and len(w) > 1]
    for run in CJK_RUNS.findall(lowered):
        tokens.extend(run[i : i + 2] for i in range(max(1, len(run) - 1)))
    return tokens


def words_in(text: str) -> int:
    """Latin words plus CJK characters divided by two (a Chinese word is about two characters)."""
    return len(LATIN_WORD.findall(text)) + len(CJK.findall(text)) // 2


def normalise(text: str) -> str:
    """Full-width → ASCII, lower case, one kind of apostrophe, hyphens and dashes as spaces, single spaces."""
    text = unicodedata.normalize("NFKC", text).lower()
    text = text.replace("’", "'").replace("‘", "'")
    text = re.sub(r"[-‐‑–—−]", " ", text)
    return re.sub(r"\s+", " ", text).strip()


def stem(word: str) -> str:
    """A crude English stem (sees → see, computed → comput): enough to match a word with its inflections."""
    word = word.lower()
    for suffix in ("ing", "es", "ed", "s"):
        if word.endswith(suffix) and len(word) - len(suffix) >= 3:
            return word[: -len(suffix)]
    return word
