"""List items as pieces of their own: a learner's notes keep their decisions and results in bullet lists.

A bullet's marker is not text ("- 线上最终采用 w = 0.1。" starts with no letter, so it was never a quotable
sentence), and an item does not run on from the line before it or into the next item, as table rows do not
(`tables.apart_from_rows`). A line indented under an item continues it.
"""

from __future__ import annotations

import re

# "- ", "* ", "+ ", "1. ", "2) " (a space after: "-0.5", "*args" and "6.1 感知机" are no items), "•", "3、", "（4）"
_ITEM = re.compile(r"^\s*(?:[-*+]\s+|\d{1,2}[.)]\s+|(?:[•▪◦]|\d{1,2}、|[(（]\d{1,2}[)）])\s*)(?=\S)")


def item_text(line: str) -> str | None:
    """The text of a list item without its marker, or None for a line that is not one."""
    found = _ITEM.match(line)
    return line[found.end() :].strip() if found else None


def apart_from_items(text: str) -> list[tuple[str, bool]]:
    """The text cut so that every list item stands alone, its marker dropped (each piece with whether it is an
    item); other lines stay together."""
    pieces: list[tuple[str, bool]] = []
    current: list[str] = []
    in_item = False
    for line in text.splitlines():
        item = item_text(line)
        if item is not None:
            if current:
                pieces.append(("\n".join(current), in_item))
            current, in_item = [item], True
        elif in_item and line[:1].isspace() and line.strip():
            current.append(line.strip())  # the item's own continuation line
        else:
            if in_item and current:
                pieces.append(("\n".join(current), True))
                current = []
            in_item = False
            current.append(line)
    if current:
        pieces.append(("\n".join(current), in_item))
    return [(p, listed) for p, listed in pieces if p.strip()]
