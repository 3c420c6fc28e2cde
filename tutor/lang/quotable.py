"""What may be quoted as evidence: whole, readable sentences, never an author line, a reference entry or residue."""

from __future__ import annotations

import re

from tutor.lang.script import CJK
from tutor.lang.tables import is_table_row
from tutor.lang.tokens import STOP, words_in

_EMAIL_OR_URL = re.compile(r"[\w.+-]+@[\w-]+\.\w|https?://|www\.|\barXiv:\d")
_CODE = re.compile(r"\bdef \w+\(|\"\"\"|:param\b|>>>|\breturn \w+\(|==|\w+\[\w*:\w*\]")
_LATEX_OUTSIDE_MATH = re.compile(r"\\[a-zA-Z]+")
_REFERENCE_LIKE = re.compile(
    r"\b(?:In Proceedings|Proceedings of|Journal of|pp\.\s?\d|arXiv preprint|et al\.,?\s(?:19|20)\d\d)"
)
_FRAGMENT_START = re.compile(r"^\d+\s?[\])]")  # "122] is first proposed": the tail of a citation cut by a chunk edge
_ALGORITHM_STEP = re.compile(r"\b\d{1,2}:\s")
_NUMBER = re.compile(r"^[-−+]?\d[\d.,]*%?$")
_AXIS_RUN = 5
"""Numbers in a row: a plot's axis ticks ("0 20 40 60 80"); prose and equations separate numbers by words."""
_TERMINAL = re.compile(r"""[.!?。！？]["”')\]]?$""")


def quotable(sentence: str, item: bool = False) -> bool:
    """A whole, readable sentence worth quoting as evidence: no author line, reference entry or residue. A list
    item (`item`) may be terse notes, without grammar, a capital or a full stop ("512 dims, int8: recall 0.981")."""
    s = sentence.strip()
    if is_table_row(s):
        return len(s) <= 450  # a Markdown table's row with its headers: no grammar, yet the learner's numbers
    if not (words_in(s) >= 5 and len(s) <= 450):
        return False
    whole = item or ((s[0].isupper() or s[0].isdigit() or CJK.match(s[0]) or s[0] in '“"($') and _TERMINAL.search(s))
    if not whole:
        return False  # cut at a chunk or page edge (a list item is whole: "p95 fell to 0.6 s" needs no capital)
    if _EMAIL_OR_URL.search(s) or _REFERENCE_LIKE.search(s) or _FRAGMENT_START.match(s):
        return False
    if _CODE.search(s) or len(_ALGORITHM_STEP.findall(s)) > 2:
        return False  # pseudo-code ("1: Initialize … 2: for t = 1 to T do …")
    if _longest_number_run(s) >= _AXIS_RUN:
        return False  # a plot's axis read into the text
    outside_math = re.sub(r"\$[^$]*\$", "", s)
    if "$" in outside_math or _LATEX_OUTSIDE_MATH.search(outside_math):
        return False  # unbalanced or raw LaTeX
    letters = sum(ch.isalpha() for ch in outside_math)
    digits = sum(ch.isdigit() for ch in outside_math)
    visible = len(re.sub(r"\s", "", outside_math)) or 1
    if not item and not CJK.search(s) and len([w for w in re.findall(r"[a-z]+", s.lower()) if w in STOP]) < 2:
        return False  # figure or table residue ("Tok M Question Paragraph BERT E[CLS].") has no grammar
    # Mostly letters and digits, not symbols; at least 40 % letters. Digits count: a measured result or a worked
    # example ("同理第二、三轮分别约为 0.040 与 0.642。") is what a learner asks about.
    return letters / visible >= 0.4 and (letters + digits) / visible >= 0.7


def _longest_number_run(sentence: str) -> int:
    longest = run = 0
    for token in sentence.split():
        run = run + 1 if _NUMBER.match(token) else 0
        longest = max(longest, run)
    return longest
