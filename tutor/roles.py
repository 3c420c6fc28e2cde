"""What a chunk of a document is: body text, abstract, front matter, references, appendix, figure or code.

A tutor must never quote an author line or a reference entry as evidence, and should quote figure
residue, code listings and appendices only when the learner asks about them. The loader knows which
part of the paper a block sits in (front matter, body, references, appendix); this module refines that
from the text itself, because papers do not mark figures, tables or code.
"""

from __future__ import annotations

import re
from typing import Literal

from tutor.lang.script import CJK_CLASS
from tutor.lang.tables import is_table_row

Role = Literal["body", "abstract", "front", "references", "appendix", "figure", "code"]
QUOTABLE: frozenset[str] = frozenset({"body", "abstract"})
"""Roles quoted whatever the question; the others only when the question asks for them, or never."""
NEVER_QUOTED: frozenset[str] = frozenset({"front", "references"})

_EMAIL = re.compile(r"[\w.+-]+@[\w-]+\.[\w.]+|\{[\w.,\s]+\}@")
_REFERENCE_MARKS = re.compile(
    r"\b(?:19|20)\d\d[a-z]?\b|\bIn Proceedings\b|\barXiv\b|\bet al\.|\bpp?\.\s?\d|\bJournal\b|\bConference\b|"
    r"\bvol\.|\bPress\b|\bURL\b|https?://"
)
_CODE_LINE = re.compile(
    r"^\s*(?:def |class |return\b|import |from \S+ import|for .+:$|if .+:$|elif |else:|print\(|assert )"
    r"|[;{}]\s*$|\w+\s*=\s*\w+\(|^\s{4,}\S"
)
_LETTERS = re.compile(r"[A-Za-z]{2}")
_SENTENCE_WORDS = re.compile(r"\b(?:the|of|and|to|is|are|we|that|this|with|for|in|by|as|our|which|be)\b", re.I)


def prose_share(text: str) -> float:
    """Share of lines that read as running prose: several tokens, most of them words, function words among them.

    A token is a word if it has two letters in a row, so "GPUs", "Gb/s" and "all-reduce" count and the
    numbers of a measured sentence ("took 310 ms on 16 GPUs") do not outweigh it; an axis or a table row
    ("0 20 40 60 Epoch Loss", "BERT-base 84.4 88.4") has few words and no function words. A Markdown table's row,
    written with its headers (tutor.lang.tables), is the author's content and counts as prose.
    """
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        return 0.0
    prose = 0
    for line in lines:
        tokens = line.split()
        words = sum(bool(_LETTERS.search(token)) for token in tokens)
        if (
            is_table_row(line)
            or re.search(f"[{CJK_CLASS}]{{6}}", line)
            or (len(tokens) >= 6 and words >= 0.6 * len(tokens) and _SENTENCE_WORDS.search(line))
        ):
            prose += 1
    return prose / len(lines)


def reference_density(text: str) -> float:
    """Bibliographic marks (years, venues, 'et al.', URLs) per 100 characters."""
    return 100 * len(_REFERENCE_MARKS.findall(text)) / max(1, len(text))


def code_share(text: str) -> float:
    lines = [line for line in text.splitlines() if line.strip()]
    return sum(bool(_CODE_LINE.search(line)) for line in lines) / len(lines) if lines else 0.0


def classify(text: str, part: str = "body", section: str = "") -> Role:
    """The chunk's role, from the loader's part of the document and the chunk's own text."""
    prose = prose_share(text)
    if part == "references":
        return "references" if reference_density(text) > 0.5 or prose < 0.5 else "appendix"
    if part == "front":
        return "front" if _EMAIL.search(text) or prose < 0.6 else "abstract"
    if section.lower() == "abstract":
        return "abstract"
    if code_share(text) > 0.4:
        return "code"
    if prose < 0.25:
        return "figure"
    if part == "appendix":
        return "appendix"
    return "body"
