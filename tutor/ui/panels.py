"""The side panels and page furniture as HTML: set-up status, the reading path, the glossary and the
suggested questions. Pure functions of the data and the interface language, so a language switch just
renders them again.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass

from tutor.glossary import Glossary
from tutor.notes import Notes
from tutor.readings import Reading, ReadingList
from tutor.ui.maths import escape_html, typeset
from tutor.ui.pathmap import ask_question
from tutor.ui.strings import t

_BACKTICKS = re.compile(r"`([^`]+)`")


def _code(text: str) -> str:
    """Escape, then show `commands` as code."""
    return _BACKTICKS.sub(r"<code>\1</code>", html.escape(text, quote=False))


@dataclass(frozen=True)
class Status:
    """What the status line reports, gathered by the app."""

    readings_total: int
    readings_indexed: int
    notes: int
    own_docs: int
    missing: list[str]
    backend: str
    model: str


def status_html(s: Status, lang: str) -> str:
    """One short line for the learner ("Ready · 15 readings · offline"); the sentences behind it, then the
    commands and settings, folded under Details."""
    state = t(lang, "status_ready") if s.readings_indexed or s.notes else t(lang, "status_indexing")
    how = t(lang, "status_model", model=s.model) if s.backend == "openai" else t(lang, "status_offline")
    short = " · ".join([state, t(lang, "status_readings", n=s.readings_indexed), how])
    counts = t(lang, "indexed", n=s.readings_indexed, total=s.readings_total, notes=s.notes)
    if s.own_docs:
        counts += t(lang, "own_docs", n=s.own_docs)
    counts += "。" if lang == "zh" else "."
    sentences = [counts, t(lang, "llm", model=s.model) if s.backend == "openai" else t(lang, "offline")]
    if s.missing:
        sentences.append(t(lang, "missing", n=len(s.missing)))
    detail = [t(lang, "dev_backend", backend=s.backend + (f" ({s.model})" if s.backend == "openai" else ""))]
    if s.backend != "openai":
        detail.append(t(lang, "dev_llm"))
    if s.missing:
        detail.append(t(lang, "dev_fetch"))
        detail.append(t(lang, "dev_missing", ids=", ".join(f"`{m}`" for m in s.missing)))
    details = "".join(f"<li>{_code(d)}</li>" for d in detail)
    said = ("" if lang == "zh" else " ").join(sentences)
    return (
        f'<div class="status"><span class="status-text">{html.escape(short)}</span> '
        f'<details class="status-details"><summary>{html.escape(t(lang, "details"))}</summary>'
        f'<p class="status-said">{html.escape(said)}</p><ul>{details}</ul></details></div>'
    )


def tagline_html(lang: str) -> str:
    """The tagline in full on a desktop, one short line on a phone, with a tap to the reading path."""
    return (
        f'<div class="tagline"><span class="tagline-long">{html.escape(t(lang, "tagline"))}</span>'
        f'<span class="tagline-short">{html.escape(t(lang, "tagline_short"))}</span> '
        f'<a class="to-path" href="#side">{html.escape(t(lang, "to_path"))}</a></div>'
    )


def chip(question: str, extra: str = "") -> str:
    """A question the learner can click to ask; the page script reads the question from the text."""
    return f'<a class="ask-q chip{extra}" href="#ask">{html.escape(question, quote=False)}</a>'


def suggestions_html(questions: list[tuple[str, str]], heading: str) -> str:
    """Clickable questions under the question box: (question, where) pairs, labels wrapped, never cut."""
    if not questions:
        return ""
    items = "".join(
        f"<li>{chip(q)}" + (f'<span class="chip-where">{html.escape(where)}</span>' if where else "") + "</li>"
        for q, where in questions
    )
    return (
        f'<div class="suggestions"><span class="suggestions-title">{html.escape(heading)}</span><ul>{items}</ul></div>'
    )


def starters(readings: ReadingList, lang: str, limit: int = 4) -> list[tuple[str, str]]:
    """The first starter question of each stage, in the interface language."""
    found = []
    for stage in readings.ordered_stages():
        pool = stage.starters_zh if lang == "zh" else stage.starters_en
        if pool:
            found.append((pool[0], stage.title(lang)))
    return found[:limit]


def reading_state(r: Reading, indexed: set[str], in_library: set[str], lang: str) -> tuple[str, str]:
    if r.id in indexed:
        return "indexed", t(lang, "state_indexed")
    if r.id in in_library:
        return "library", t(lang, "state_library")
    if r.fetchable:
        return "missing", t(lang, "state_fetch", id=r.id)
    return "missing", t(lang, "state_add", id=r.id)


def opening_stage(readings: ReadingList, indexed: set[str], current: str = "") -> str:
    """The stage the path opens on: the learner's (from Study), else the first whose readings are indexed."""
    stages = readings.ordered_stages()
    if current and any(s.id == current for s in stages):
        return current
    with_readings = [s.id for s in stages if any(r.id in indexed for r in readings.in_stage(s.id))]
    return with_readings[0] if with_readings else (stages[0].id if stages else "")


def _reading_html(r: Reading, state: str, label: str, lang: str) -> str:
    sections = "; ".join(s.name + (f" (p. {s.page})" if s.page else "") for s in r.sections)
    extra = f' <span class="hint">({html.escape(t(lang, "addition"))})</span>' if not r.in_article else ""
    return (
        f'<div class="reading reading-{state}" id="reading-{html.escape(r.id)}">'
        f'<div class="reading-title"><a href="{html.escape(r.url)}" target="_blank">{html.escape(r.title)}</a>'
        f"{extra}</div>"
        f'<div class="reading-meta">{html.escape(r.short_authors)}, {r.year} · '
        f'<span class="state state-{state}">{_code(label)}</span></div>'
        f'<div class="reading-why">{html.escape(r.why(lang))}</div>'
        + (
            f'<div class="reading-sections"><i>{html.escape(t(lang, "stage_read"))}:</i> {html.escape(sections)}</div>'
            if sections
            else ""
        )
        + f'<div class="chips">{chip(ask_question(r, lang), " chip-reading")}</div></div>'
    )


def path_html(readings: ReadingList, indexed: set[str], in_library: set[str], lang: str, open_stage: str = "") -> str:
    """The reading path by stage, opened on `open_stage`: starter questions, the readings the tutor can quote
    (why, what to read, state), then the ones not here yet folded into one line with how to add them."""
    open_stage = open_stage or opening_stage(readings, indexed)
    parts = ['<div class="path">']
    for stage in readings.ordered_stages():
        opened = " open" if stage.id == open_stage else ""
        summary = stage.summary_zh if lang == "zh" else stage.summary_en
        parts.append(
            f'<details class="stage" id="stage-{html.escape(stage.id)}"{opened}>'
            f"<summary>{stage.order} · {html.escape(stage.title(lang))}</summary>"
            f'<p class="stage-summary">{html.escape(summary)}</p>'
        )
        pool = stage.starters_zh if lang == "zh" else stage.starters_en
        if pool:
            parts.append('<div class="chips">' + "".join(chip(q) for q in pool) + "</div>")
        missing = []
        for r in readings.in_stage(stage.id):
            state, label = reading_state(r, indexed, in_library, lang)
            if state == "missing":
                missing.append(_reading_html(r, state, label, lang))
            else:
                parts.append(_reading_html(r, state, label, lang))
        if missing:
            summary = t(lang, "missing_reading") if len(missing) == 1 else t(lang, "missing_readings", n=len(missing))
            parts.append(
                f'<details class="missing-readings"><summary>{html.escape(summary)}</summary>{"".join(missing)}'
                "</details>"
            )
        parts.append("</details>")
    parts.append("</div>")
    return "".join(parts)


def glossary_markdown(glossary: Glossary, notes: Notes, lang: str) -> str:
    """Every term as a card: both languages, the definition in full (formulas typeset), a link to its note.

    The search box filters the cards in the browser by `data-search` (all forms and both definitions)."""
    cards = []
    for term in glossary.terms:
        haystack = " ".join([term.en, *term.zh, *term.variants, term.def_en, term.def_zh]).lower()
        first, second = (term.def_zh, term.def_en) if lang == "zh" else (term.def_en, term.def_zh)
        note = notes.get(term.note, lang) if term.note else None
        link = (
            f' <a class="open-note" href="#note:{html.escape(term.note)}">→ {typeset(note.title)}</a>'
            if note is not None
            else ""
        )
        cards.append(
            f'<div class="term" id="term-{html.escape(term.key)}" data-search="{html.escape(haystack)}">'
            f'<div class="term-head"><b>{typeset(term.en)}</b> · '
            f"{typeset(' / '.join(term.zh))}"
            + (f' <span class="hint">({typeset(", ".join(term.variants))})</span>' if term.variants else "")
            + f'</div><div class="term-def">{typeset(first)}</div>'
            f'<div class="term-def2">{typeset(second)}{link}</div></div>'
        )
    total = len(glossary.terms)
    # The page script fills `{shown}` while the learner filters (static/page.js).
    shown = html.escape(t(lang, "terms_shown", shown="{shown}", n=total))
    count = (
        f'<div class="terms-count" data-all="{html.escape(t(lang, "terms", n=total))}" data-some="{shown}">'
        f"{escape_html(t(lang, 'terms', n=total))}</div>"
    )
    none = f'<div class="terms-none" hidden>{escape_html(t(lang, "no_terms"))}</div>'
    return f'<div class="glossary">{count}{none}' + "".join(cards) + "</div>"
