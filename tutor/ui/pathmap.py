"""The reading path as a picture, drawn server-side with matplotlib so it works offline."""

from __future__ import annotations

import logging
import re
from pathlib import Path

from tutor.readings import Reading, ReadingList


def render_path_map(readings: ReadingList, target: Path) -> Path:
    """Readings as boxes in stage columns, the article's links between them as labelled arrows."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib import font_manager

    families = ["DejaVu Sans"]
    if any("WenQuanYi" in f.name for f in font_manager.fontManager.ttflist):
        families.append("WenQuanYi Zen Hei")  # Chinese stage titles; falls back to English-only without it
    plt.rcParams["font.family"] = families
    logging.getLogger("matplotlib.font_manager").setLevel(logging.ERROR)  # the CJK font has one weight

    stages = readings.ordered_stages()
    position: dict[str, tuple[float, float]] = {}
    fig, ax = plt.subplots(figsize=(17, 9), dpi=90)
    for col, stage in enumerate(stages):
        members = readings.in_stage(stage.id)
        title = stage.title_en + ("\n" + stage.title_zh if len(families) > 1 else "")
        ax.text(col * 3.4, 0.9, title, ha="center", va="bottom", fontsize=12, weight="bold")
        for row, r in enumerate(members):
            x, y = col * 3.4, -row * 1.15
            position[r.id] = (x, y)
            colour = "#dbeafe" if r.in_article else "#f3f4f6"
            ax.text(
                x,
                y,
                f"{_node_name(r)}\n{_short(r.title)}",
                ha="center",
                va="center",
                fontsize=8.5,
                bbox={"boxstyle": "round,pad=0.4", "fc": colour, "ec": "#1e3a8a", "lw": 0.8},
            )
    for link in readings.links:
        (x1, y1), (x2, y2) = position[link.source], position[link.target]
        ax.annotate(
            "",
            xy=(x2, y2),
            xytext=(x1, y1),
            arrowprops={
                "arrowstyle": "->",
                "color": "#b45309",
                "lw": 1.2,
                "shrinkA": 28,
                "shrinkB": 28,
                "connectionstyle": "arc3,rad=0.12",
            },
        )
        if x1 == x2:  # within a stage the arrow is short: label it beside the column, not on the boxes
            lx, ly, align = x1 + 0.95, (y1 + y2) / 2, "left"
        else:
            lx, ly, align = (x1 + x2) / 2, (y1 + y2) / 2 + 0.18, "center"
        ax.text(
            lx,
            ly,
            link.label_en,
            fontsize=7,
            color="#92400e",
            ha=align,
            va="center",
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
        )
    ax.set_xlim(-1.8, (len(stages) - 1) * 3.4 + 1.8)
    ax.set_ylim(-max(len(readings.in_stage(s.id)) for s in stages) * 1.15, 1.6)
    ax.axis("off")
    fig.tight_layout()
    target.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(target)
    plt.close(fig)
    return target


def _node_name(reading: Reading) -> str:
    """'Vaswani 2017' from the id 'vaswani2017-attention'; the venue for docs and discussions."""
    if m := re.match(r"^([a-z]+)(\d{4})", reading.id):
        return f"{m.group(1).title()} {m.group(2)}"
    return reading.venue.split(" (")[0]


def _short(title: str, width: int = 26) -> str:
    words, lines, line = title.split(), [], ""
    for w in words:
        if len(line) + len(w) > width and line:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
        if len(lines) == 2:
            break
    if len(lines) < 2 and line:
        lines.append(line)
    return "\n".join(lines[:2])
