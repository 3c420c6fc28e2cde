"""Markdown pipe tables as quotable lines: a learner's notes keep their measured numbers in tables.

A table row on its own ("| C | all linear layers | 64 | 1.361 |") names nothing, so it cannot answer "what loss
did the rank-64 run reach?" and is no sentence to quote. Each body row becomes one line that labels every cell with
its column's header, in the table's own words and order: "run: C; adapters on: all linear layers; rank: 64;
eval loss: 1.361." (a Chinese table: "配置：只用向量检索；准确率：64%。"). Nothing is added but the headers.
"""

from __future__ import annotations

import re

from tutor.lang.script import has_cjk

_SEPARATOR = re.compile(r"^\s*\|?\s*:?-{3,}:?\s*(?:\|\s*:?-{3,}:?\s*)*\|?\s*$")
_ROW_PART = re.compile(r"^[^:：;；=]{1,60}[:：]\s?\S")


def _cells(line: str) -> list[str]:
    return [cell.strip() for cell in line.strip().strip("|").split("|")]


def _is_row(line: str) -> bool:
    return line.count("|") >= 2


def row_line(headers: list[str], cells: list[str]) -> str:
    """One body row as a line: each cell labelled with its header; empty cells are left out."""
    chinese = has_cjk(" ".join(headers))
    colon, between, end = ("：", "；", "。") if chinese else (": ", "; ", ".")
    parts = [f"{h}{colon}{c}" if h else c for h, c in zip(headers, cells, strict=False) if c]
    return between.join(parts) + end if parts else ""


def tables_as_lines(text: str) -> str:
    """A Markdown or plain text with every pipe table (header, separator, rows) written as labelled rows, one a
    line; tables inside code fences are left as they are."""
    lines = text.splitlines()
    out: list[str] = []
    in_code = False
    i = 0
    while i < len(lines):
        line = lines[i]
        if line.lstrip().startswith("```"):
            in_code = not in_code
        if not in_code and _is_row(line) and i + 1 < len(lines) and _SEPARATOR.match(lines[i + 1]):
            headers = _cells(line)
            i += 2
            while i < len(lines) and _is_row(lines[i]):
                rendered = row_line(headers, _cells(lines[i]))
                if rendered:
                    out.append(rendered)
                i += 1
            continue
        out.append(line)
        i += 1
    return "\n".join(out)


def is_table_row(sentence: str) -> bool:
    """A line `row_line` wrote: two or more "header: cell" parts, ending as it ends them."""
    text = sentence.strip()
    if not text.endswith((".", "。")):
        return False
    parts = [p for p in re.split(r"[;；]\s*", text[:-1]) if p]
    return len(parts) >= 2 and all(_ROW_PART.match(p) for p in parts)


def apart_from_rows(text: str) -> list[str]:
    """The text cut so that every table row (a line `row_line` wrote) stands alone: its sentence must not run on
    from the line before it ("…50 runs per configuration: configuration: default; OOM runs: 14 / 50." is no row,
    and that row could never be quoted)."""
    pieces: list[str] = []
    current: list[str] = []
    for line in text.splitlines():
        if is_table_row(line):
            if current:
                pieces.append("\n".join(current))
                current = []
            pieces.append(line)
        else:
            current.append(line)
    if current:
        pieces.append("\n".join(current))
    return pieces
