"""Markdown tables in a learner's notes become quotable lines that label each cell with its header."""

from __future__ import annotations

from pathlib import Path

import pytest
from notes_chunks import markdown_chunks, markdown_sentences

from tutor.config import Settings
from tutor.lang.quotable import quotable
from tutor.lang.tables import apart_from_rows, is_table_row, row_line, tables_as_lines

NOTES = """# LoRA runs

We compared three adapter set-ups on the same data.

| run | adapters on | rank | eval loss |
|-----|-------------|-----:|-----------|
| A   | q_proj, v_proj | 16 | 1.412 |
| C   | all linear layers | 64 | 1.361 |

Run C was the best.

```
| not | a table |
|-----|---------|
| inside | code |
```
"""


def test_each_row_is_a_line_with_its_headers_and_code_is_left_alone() -> None:
    lines = tables_as_lines(NOTES).splitlines()
    assert "run: A; adapters on: q_proj, v_proj; rank: 16; eval loss: 1.412." in lines
    assert "run: C; adapters on: all linear layers; rank: 64; eval loss: 1.361." in lines
    before_code = lines[: lines.index("```")]
    assert not any(line.startswith(("| run", "|----")) for line in before_code), "header and separator are consumed"
    assert "| inside | code |" in lines, "a table inside a code fence is code"


@pytest.mark.parametrize(
    ("headers", "cells", "line"),
    [
        pytest.param(
            ["配置", "答案准确率", "P95 延迟"],
            ["只用向量检索", "64%", "1.9 s"],
            "配置：只用向量检索；答案准确率：64%；P95 延迟：1.9 s。",
            id="zh",
        ),
        pytest.param(["model", "", "BLEU"], ["base", "x", ""], "model: base; x.", id="empty-header-and-cell"),
        pytest.param(["a", "b"], ["", ""], "", id="empty-row"),
    ],
)
def test_row_lines(headers: list[str], cells: list[str], line: str) -> None:
    assert row_line(headers, cells) == line


@pytest.mark.parametrize(
    ("sentence", "row"),
    [
        ("run: C; adapters on: all linear layers; rank: 64; eval loss: 1.361.", True),
        ("配置：只用向量检索；答案准确率：64%。", True),
        ("Note: the loss fell; it then rose again.", False),
        ("The model has 12 layers; each has 12 heads.", False),
        ("BERT-base 84.4 88.4 86.7 92.7", False),
        ("Algorithm 1: Gradient_Boost F(x) = argmin L (y; p) For m= 1 to M do: 5, i= B= ago?", False),
    ],
)
def test_only_rendered_rows_are_rows(sentence: str, row: bool) -> None:
    assert is_table_row(sentence) is row


def test_a_tables_rows_are_quotable_body_sentences(tmp_path: Path, settings: Settings) -> None:
    chunks = markdown_chunks(tmp_path, settings, "lora", NOTES)
    rows = [c for c in chunks if c.metadata["kind"] == "sentence" and "rank: 64" in c.text]
    assert [(c.text, c.metadata["role"]) for c in rows] == [
        ("run: C; adapters on: all linear layers; rank: 64; eval loss: 1.361.", "body")
    ]
    assert quotable(rows[0].text)


INTRODUCED = """# Allocator runs

Same job, 50 runs per configuration, 6,000 steps each:

| configuration | OOM runs | step time |
|---------------|----------|-----------|
| default allocator | 14 / 50 | 1.00× |
| expandable segments | 0 / 50 | 1.02× |

从日志看，碎片是主因：

| 配置 | 失败次数 |
|------|---------|
| 默认 | 14 |
"""


def test_a_row_after_a_line_ending_in_a_colon_is_a_sentence_of_its_own(tmp_path: Path, settings: Settings) -> None:
    """The line that introduces a table ends without a full stop; its sentence must not run on into the first
    row, which would then be no row and never quoted."""
    sentences = markdown_sentences(tmp_path, settings, "alloc", INTRODUCED)
    assert "configuration: default allocator; OOM runs: 14 / 50; step time: 1.00×." in sentences
    assert "configuration: expandable segments; OOM runs: 0 / 50; step time: 1.02×." in sentences
    assert "配置：默认；失败次数：14。" in sentences


def test_rows_stand_apart_from_the_text_around_them() -> None:
    text = "Measured:\nrun: A; loss: 1.4.\nrun: B; loss: 1.3.\nB was kept.\nIt is faster."
    rows = ["run: A; loss: 1.4.", "run: B; loss: 1.3."]
    assert apart_from_rows(text) == ["Measured:", *rows, "B was kept.\nIt is faster."]
