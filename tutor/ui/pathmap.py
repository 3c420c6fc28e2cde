"""The reading path as an interactive SVG map: stages top to bottom, readings as nodes, the article's links
between them as numbered arrows with a legend.

Drawn at its natural size (labels 12–13 px), inside a box the learner can zoom and pan; the page script
shows a tooltip (why read it, which sections) and asks about a reading when its node is clicked. Nodes
are coloured by whether the reading is indexed, in the library, or not here, and carry a mastery bar
when the study module has a record for the learner.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from tutor.readings import Reading, ReadingList

WIDTH = 452
NODE_W = 206
NODE_H = 64
COL_X = (8, 238)  # two columns with a 24 px gutter between them, where the links run
ROW_GAP = 22
STAGE_HEAD = 40
STAGE_GAP = 26

LABELS = {
    "en": {
        "indexed": "indexed",
        "library": "in the library, not indexed yet",
        "missing": "not here yet",
        "mastery": "mastery",
        "links": "How the readings connect",
        "hint": "Scroll or drag to move; +/− to zoom. Click a reading to ask about it.",
        "zoom_in": "Zoom in",
        "zoom_out": "Zoom out",
        "fit": "Fit",
        "read": "Read",
        "state": "State",
        "ask": "What should I read first in “{title}”, and why is it on the path?",
    },
    "zh": {
        "indexed": "已收录",
        "library": "已在资料库，尚未索引",
        "missing": "尚未获取",
        "mastery": "掌握度",
        "links": "文献之间的联系",
        "hint": "滚动或拖动来移动，用 +/− 缩放。点击文献即可就它提问。",
        "zoom_in": "放大",
        "zoom_out": "缩小",
        "fit": "适应宽度",
        "read": "重点读",
        "state": "状态",
        "ask": "《{title}》应该先读哪些部分？它为什么在阅读路径上？",
    },
}
STATE_COLOURS = {
    "indexed": ("#dbeafe", "#1d4ed8", ""),
    "library": ("#fef3c7", "#b45309", ""),
    "missing": ("#f3f4f6", "#6b7280", "5 4"),
}
_CIRCLED = "①②③④⑤⑥⑦⑧⑨⑩⑪⑫⑬⑭⑮⑯⑰⑱⑲⑳"


@dataclass(frozen=True)
class Node:
    reading: Reading
    x: float
    y: float
    state: str
    mastery: float | None


def ask_question(reading: Reading, lang: str) -> str:
    """What a click on a reading asks: a question about the reading itself, which the reading list answers."""
    return LABELS.get(lang, LABELS["en"])["ask"].format(title=reading.title)


def node_name(reading: Reading) -> str:
    """'Vaswani 2017' from the id 'vaswani2017-attention'; the venue for docs and discussions."""
    if m := re.match(r"^([a-z]+)(\d{4})", reading.id):
        return f"{m.group(1).title()} {m.group(2)}"
    return reading.venue.split(" (")[0]


def wrap(text: str, width: int) -> list[str]:
    """Greedy word wrap; CJK text (no spaces) wraps by characters."""
    if " " not in text.strip():
        return [text[i : i + width // 2] for i in range(0, len(text), width // 2)] or [""]
    lines: list[str] = []
    line = ""
    for word in text.split():
        if line and len(line) + 1 + len(word) > width:
            lines.append(line)
            line = word
        else:
            line = f"{line} {word}".strip()
    if line:
        lines.append(line)
    return lines


def render_map(
    readings: ReadingList,
    lang: str,
    indexed: set[str],
    in_library: set[str],
    mastery: dict[str, float] | None = None,
) -> str:
    """The map as HTML: controls, the SVG in a pannable box, the tooltip holder and the link legend."""
    labels = LABELS.get(lang, LABELS["en"])
    nodes: dict[str, Node] = {}
    parts: list[str] = []
    y = 8.0
    for stage in readings.ordered_stages():
        members = readings.in_stage(stage.id)
        parts.append(
            f'<text class="map-stage" x="12" y="{y + 24:.0f}">{stage.order} · {html.escape(stage.title(lang))}</text>'
        )
        y += STAGE_HEAD
        for i, r in enumerate(members):
            x = COL_X[i % 2]
            ny = y + (i // 2) * (NODE_H + ROW_GAP)
            state = "indexed" if r.id in indexed else "library" if r.id in in_library else "missing"
            nodes[r.id] = Node(r, x, ny, state, (mastery or {}).get(r.id))
        rows = (len(members) + 1) // 2
        y += rows * (NODE_H + ROW_GAP) - ROW_GAP + STAGE_GAP
    height = y

    edges, legend = [], []
    links = [lk for lk in readings.links if lk.source in nodes and lk.target in nodes]
    ports = _ports(nodes, [(lk.source, lk.target) for lk in links])
    placed: list[tuple[float, float]] = []
    for k, link in enumerate(links):
        a, b = nodes[link.source], nodes[link.target]
        path, spots = _edge(ports[(k, "out")], ports[(k, "in")], k)
        mx, my = _free_spot(spots, placed)
        placed.append((mx, my))
        label = link.label_zh if lang == "zh" else link.label_en
        badge = _CIRCLED[k] if k < len(_CIRCLED) else str(k + 1)
        title = f"{node_name(a.reading)} → {node_name(b.reading)}: {label}"
        edges.append(
            f'<g class="map-edge"><title>{html.escape(title)}</title>'
            f'<path d="{path}" marker-end="url(#map-arrow)"/>'
            f'<circle cx="{mx:.1f}" cy="{my:.1f}" r="9"/>'
            f'<text class="map-badge" x="{mx:.1f}" y="{my + 4:.1f}">{k + 1}</text></g>'
        )
        legend.append(
            f"<li><b>{badge}</b> {html.escape(node_name(a.reading))} → {html.escape(node_name(b.reading))}: "
            f"{html.escape(label)}</li>"
        )

    node_svg = [_node_svg(n, lang, labels) for n in nodes.values()]
    tips = "".join(_tip(n, lang, labels) for n in nodes.values())
    svg = (
        f'<svg class="map-svg" xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{height:.0f}" '
        f'viewBox="0 0 {WIDTH} {height:.0f}" data-width="{WIDTH}" data-height="{height:.0f}" role="img">'
        '<defs><marker id="map-arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" '
        'orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" fill="#b45309"/></marker></defs>'
        + "".join(parts)
        + "".join(edges)
        + "".join(node_svg)
        + "</svg>"
    )
    key = "".join(
        f'<span class="map-key map-key-{state}">{html.escape(str(labels[state]))}</span>'
        for state in ("indexed", "library", "missing")
    )
    if mastery:
        key += f'<span class="map-key map-key-mastery">{html.escape(str(labels["mastery"]))}</span>'
    return (
        '<div class="map">'
        '<div class="map-controls">'
        f'<button type="button" class="map-zoom" data-zoom="in" title="{labels["zoom_in"]}">+</button>'
        f'<button type="button" class="map-zoom" data-zoom="out" title="{labels["zoom_out"]}">−</button>'
        f'<button type="button" class="map-zoom" data-zoom="fit">{labels["fit"]}</button>'
        f'<span class="map-hint">{html.escape(str(labels["hint"]))}</span></div>'
        f'<div class="map-keys">{key}</div>'
        f'<div class="map-box">{svg}</div>'
        f'<div class="map-tip" hidden></div><div class="map-tips" hidden>{tips}</div>'
        f'<div class="map-legend"><b>{html.escape(str(labels["links"]))}</b><ol>{"".join(legend)}</ol></div>'
        "</div>"
    )


GUTTER = (COL_X[0] + NODE_W + COL_X[1]) / 2


def _ports(nodes: dict[str, Node], links: list[tuple[str, str]]) -> dict[tuple[int, str], tuple[float, float]]:
    """Where each link leaves and enters its nodes: on the side facing the gutter, spread down that side."""
    sides: dict[str, list[tuple[int, str]]] = {}
    for k, (source, target) in enumerate(links):
        sides.setdefault(source, []).append((k, "out"))
        sides.setdefault(target, []).append((k, "in"))
    ports: dict[tuple[int, str], tuple[float, float]] = {}
    for node_id, ends in sides.items():
        n = nodes[node_id]
        x = n.x + NODE_W if n.x < GUTTER else n.x
        for i, end in enumerate(ends):
            ports[end] = (x, n.y + NODE_H * (i + 1) / (len(ends) + 1))
    return ports


BADGE_GAP = 20  # badge centres at least this far apart (the badges' radius is 9): numbers never pile up


def _edge(start: tuple[float, float], end: tuple[float, float], k: int) -> tuple[str, list[tuple[float, float]]]:
    """A link routed through the gutter between the columns, so it never crosses a node. Returns the path and
    the places on it where its badge may sit, best first: just after it leaves its source, then further along."""
    (x1, y1), (x2, y2) = start, end
    lane = GUTTER + ((k % 5) - 2) * 4
    if abs(y1 - y2) < 1:
        return f"M{x1:.1f},{y1:.1f} H{x2:.1f}", [((x1 + x2) / 2, y1)]
    path = f"M{x1:.1f},{y1:.1f} H{lane:.1f} V{y2:.1f} H{x2:.1f}"
    step = 1 if y2 > y1 else -1
    length = abs(y2 - y1)
    spots = [(lane, y1 + step * d) for d in range(16, int(length) - 8, 4)]
    return path, spots or [(lane, (y1 + y2) / 2)]


def _free_spot(spots: list[tuple[float, float]], placed: list[tuple[float, float]]) -> tuple[float, float]:
    """The first place on the edge clear of every badge already placed (else the clearest one)."""

    def clearance(spot: tuple[float, float]) -> float:
        return min((((spot[0] - x) ** 2 + (spot[1] - y) ** 2) ** 0.5 for x, y in placed), default=1e9)

    for spot in spots:
        if clearance(spot) >= BADGE_GAP:
            return spot
    return max(spots, key=clearance)


def _node_svg(n: Node, lang: str, labels: dict[str, str]) -> str:
    fill, stroke, dash = STATE_COLOURS[n.state]
    r = n.reading
    lines = wrap(r.title, 29)[:2]
    if len(wrap(r.title, 29)) > 2:
        lines[-1] = lines[-1].rstrip(".,:;") + "…"
    name = node_name(r) if len(node_name(r)) <= 25 else node_name(r)[:24].rstrip() + "…"
    text = f'<text class="map-name" x="{n.x + 10:.0f}" y="{n.y + 19:.0f}">{html.escape(name)}</text>'
    for i, line in enumerate(lines):
        text += f'<text class="map-title" x="{n.x + 10:.0f}" y="{n.y + 36 + 15 * i:.0f}">{html.escape(line)}</text>'
    bar = ""
    if n.mastery is not None:
        hue = int(120 * max(0.0, min(1.0, n.mastery)))
        bar = (
            f'<rect class="map-mastery" x="{n.x + 1:.0f}" y="{n.y + NODE_H - 6:.0f}" '
            f'width="{max(4.0, (NODE_W - 2) * n.mastery):.0f}" height="5" fill="hsl({hue},65%,42%)"/>'
        )
    dash_attr = f' stroke-dasharray="{dash}"' if dash else ""
    title = f"{node_name(r)} — {r.title}"
    return (
        f'<g class="map-node map-{n.state}" data-id="{html.escape(r.id)}" '
        f'data-q="{html.escape(ask_question(r, lang))}" tabindex="0" role="button">'
        f"<title>{html.escape(title)}</title>"
        f'<rect x="{n.x:.0f}" y="{n.y:.0f}" width="{NODE_W}" height="{NODE_H}" rx="9" fill="{fill}" '
        f'stroke="{stroke}" stroke-width="1.5"{dash_attr}/>{text}{bar}</g>'
    )


def _tip(n: Node, lang: str, labels: dict[str, str]) -> str:
    r = n.reading
    sections = "; ".join(s.name + (f" (p. {s.page})" if s.page else "") for s in r.sections)
    mastery = f"<div>{labels['mastery']}: {n.mastery:.0%}</div>" if n.mastery is not None else ""
    return (
        f'<div class="tip" data-for="{html.escape(r.id)}"><b>{html.escape(r.title)}</b>'
        f"<div>{html.escape(r.short_authors)}, {r.year}</div>"
        f"<div>{html.escape(r.why(lang))}</div>"
        + (f"<div><i>{labels['read']}:</i> {html.escape(sections)}</div>" if sections else "")
        + f"<div><i>{labels['state']}:</i> {html.escape(labels[n.state])}</div>{mastery}</div>"
    )
