"""What the Study tab shows, as Markdown and HTML in the learner's language: the item, the feedback on an answer,
progress along the path, the placement check and review dates relative to now in the learner's time zone.

Pure functions of study-mode results (no Gradio), so they are tested without a browser. Every string from an
item goes through `tutor.ui.maths` (escaped, formulas typeset). Links to a page open it in the app's Source
viewer (`a.view-page`, `a.open-note`, handled by static/page.js); "Ask the tutor" links carry their question
in the fragment (`#ask:…`, handled by static/ask.js), because the Markdown sanitiser drops `data-*`.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from urllib.parse import quote
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from tutor.readings import ReadingList
from tutor.study.grading import Grade
from tutor.study.items import Item, McqItem, Source
from tutor.study.mastery import ConceptPath
from tutor.study.placement import PlacementResult
from tutor.study.service import ConceptProgress, NextItem, Progress
from tutor.ui.maths import escape_html, plain, typeset
from tutor.ui.render import defuse_links, library_url
from tutor.ui.strings import st

WEEKDAYS = {
    "en": ["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"],
    "zh": ["周一", "周二", "周三", "周四", "周五", "周六", "周日"],
}
MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]


def zone(name: str | None) -> ZoneInfo:
    """The browser's IANA time zone, or UTC when it sent none or one this machine does not know."""
    try:
        return ZoneInfo(name) if name and len(name) < 64 and ".." not in name else ZoneInfo("UTC")
    except (ZoneInfoNotFoundError, ValueError):
        return ZoneInfo("UTC")


def local_date(moment: datetime, lang: str, tz: ZoneInfo) -> str:
    """'Fri 6 Mar, 09:10' / '3月6日 周五 09:10', in the learner's time zone."""
    at = moment.astimezone(tz)
    day = WEEKDAYS["zh" if lang == "zh" else "en"][at.weekday()]
    if lang == "zh":
        return f"{at.month}月{at.day}日 {day} {at:%H:%M}"
    return f"{day} {at.day} {MONTHS[at.month - 1]}, {at:%H:%M}"


def relative(moment: datetime, now: datetime, lang: str, tz: ZoneInfo) -> str:
    """'in 10 minutes', 'tomorrow', 'in 2 days' (calendar days in the learner's zone) / '10 分钟后', '2 天后'."""
    seconds = (moment - now).total_seconds()
    if seconds < -60:
        return st(lang, "ago", when=local_date(moment, lang, tz))
    if seconds < 30:
        return st(lang, "now")
    minutes = max(1, round(seconds / 60))
    if minutes < 60:
        return st(lang, "in_minute") if minutes == 1 else st(lang, "in_minutes", n=minutes)
    days = (moment.astimezone(tz).date() - now.astimezone(tz).date()).days
    if days == 0:
        hours = round(seconds / 3600)
        return st(lang, "in_hour") if hours == 1 else st(lang, "in_hours", n=hours)
    return st(lang, "tomorrow") if days == 1 else st(lang, "in_days", n=days)


def when(moment: datetime, now: datetime, lang: str, tz: ZoneInfo) -> str:
    """The relative time with the local date beside it: 'in 2 days (Fri 6 Mar, 09:10)'."""
    near = relative(moment, now, lang, tz)
    if abs((moment - now).total_seconds()) < 3600:
        return near
    return f"{near}（{local_date(moment, lang, tz)}）" if lang == "zh" else f"{near} ({local_date(moment, lang, tz)})"


def percent(value: float) -> str:
    return f"{value:.0%}".replace("%", " %")


@dataclass(frozen=True)
class Links:
    """Where a source opens: a PDF page in the app's viewer, a note in the viewer, or the reading's own site."""

    readings: ReadingList
    where: Callable[[Source, str], str]  # 'Bahdanau et al. 2014, §3.1 …, p. 3' in a language (StudyService.where)
    local_pdf: Callable[[str], bool]

    def link(self, source: Source, lang: str) -> str:
        """An HTML link to read the source: opens in the Source viewer when the app has it."""
        label = escape_html(self.where(source, lang))
        if source.id.startswith("note-"):
            return f'<a class="open-note" href="#note:{html.escape(source.id)}">{label}</a>'
        if self.local_pdf(source.id):
            return f'<a class="view-page" href="{library_url(source.id, source.page or 1)}">{label}</a>'
        reading = self.readings.by_id.get(source.id)
        url = reading.page_url(source.page) if reading else ""
        return f'<a href="{html.escape(url)}" target="_blank">{label} ↗</a>' if url else label


def item_markdown(proposal: NextItem, why: str, lang: str) -> str:
    """The question in bold, why it comes now below it."""
    return defuse_links(
        f"{item_marker(proposal.item)}**{typeset(proposal.item.question)}**\n\n<small>{plain(why)}</small>"
    )


def item_marker(item: Item) -> str:
    """An empty element naming the item shown (Markdown keeps `id`), for scripts and tests that need to know it."""
    return f'<span class="study-item-id" id="item-{html.escape(item.id)}"></span>'


def choices(item: Item) -> list[tuple[str, str]]:
    body = item.body
    assert isinstance(body, McqItem)
    return [(f"{letter}. {text}", letter) for letter, text in zip(body.letters, body.choices, strict=True)]


def ask_link(concept_title: str, lang: str) -> str:
    """'Ask the tutor about X': a click asks the chat to explain the concept (static/ask.js)."""
    question = st(lang, "ask_question", concept=concept_title)
    return (
        f'<a class="ask-q ask-about" href="#ask:{quote(question, safe="")}">'
        f"{escape_html(st(lang, 'ask_about', concept=concept_title))} →</a>"
    )


def feedback_markdown(
    item: Item,
    reply: str,
    grade: Grade,
    concept_title: str,
    mastery: tuple[float, float],
    review: str,
    links: Links,
    lang: str,
) -> str:
    """The verdict, the learner's own choice (or per-point ticks that agree with the verdict), the explanation,
    the page to read, the mastery before → after, the next review and a way to ask the tutor."""
    body = item.body
    colon = "：" if lang == "zh" else ":"
    lines: list[str] = []
    if isinstance(body, McqItem):
        verdict = ("right", "✓") if grade.correct else ("not_yet", "✗")
        lines.append(f'<div class="study-verdict verdict-{verdict[0]}">{verdict[1]} {st(lang, verdict[0])}</div>')
        letter = reply.strip().upper()[:1]
        picked = body.choices[body.letters.index(letter)] if letter and letter in body.letters else ""
        mark = "✓" if grade.correct else "✗"
        lines.append(f"**{st(lang, 'your_choice')}{colon}** {letter}. {typeset(picked)} {mark}" if picked else "")
        if not grade.correct:
            if grade.chosen_wrong:
                lines.append(f"**{st(lang, 'why_not')}{colon}** {typeset(grade.chosen_wrong)}")
            right = body.choices[body.letters.index(body.answer)]
            lines.append(f"**{st(lang, 'right_answer')}{colon}** {body.answer}. {typeset(right)}")
        lines.append(f"**{st(lang, 'explanation')}{colon}** {typeset(body.explain)}")
    else:
        made = sum(p.hit for p in grade.points)
        total = len(grade.points)
        key = "right" if grade.correct and made == total else "mostly" if grade.correct else "not_yet"
        mark = "✓" if grade.correct else "✗"
        points = st(lang, "points", hit=made, total=total)
        lines.append(f'<div class="study-verdict verdict-{key}">{mark} {st(lang, key)} · {points}</div>')
        ticks = []
        for p in grade.points:
            if p.hit:
                ticks.append(f"- ✓ {typeset(p.point)} <small>({st(lang, 'point_made')})</small>")
            elif p.contradicted:
                ticks.append(f"- ✗ {typeset(p.point)} <small>({st(lang, 'point_contradicted')})</small>")
            elif grade.correct:  # a passing answer's gap is something to add, not a cross against it
                ticks.append(f"- ○ {typeset(p.point)} <small>({st(lang, 'point_add')})</small>")
            else:
                ticks.append(f"- ✗ {typeset(p.point)} <small>({st(lang, 'point_missed')})</small>")
        lines.append("\n".join(ticks))
        lines.append(f"**{st(lang, 'reference')}{colon}** {typeset(grade.feedback)}")
    sources = list(dict.fromkeys([*grade.read, item.source]))
    lines.append(f"**{st(lang, 'read')}{colon}** " + " · ".join(links.link(s, lang) for s in sources))
    before, after = mastery
    progress = st(lang, "mastery_line", concept=plain(concept_title), before=percent(before), after=percent(after))
    lines.append(f'<span class="study-mastery">{progress} · {escape_html(st(lang, "review_line", when=review))}</span>')
    lines.append(ask_link(concept_title, lang))
    return defuse_links("\n\n".join(x for x in lines if x))


# ------------------------------------------------------------------------------------------ progress

ADVICE_CLASS = {"mastered": "mastered", "due": "due", "ready": "ready", "review_first": "later"}


def advice(c: ConceptProgress, titles: dict[str, str], lang: str) -> str:
    if c.advice == "review_first":
        names = ("、" if lang == "zh" else ", ").join(titles.get(p, p) for p in c.review_first[:2])
        return st(lang, "advice_review_first", names=names)
    if c.advice == "mastered" and c.placed and not c.attempts:
        return st(lang, "advice_placed")
    return st(lang, f"advice_{c.advice}")


def node_state(c: ConceptProgress) -> str:
    """The pill's colour class: mastered, due, started (answered, not mastered), ready, or later."""
    if c.advice in ("mastered", "due"):
        return c.advice
    if c.attempts:
        return "started"
    return ADVICE_CLASS[c.advice]


def progress_html(report: Progress, lang: str, stage_orders: dict[str, int], focus: str = "") -> str:
    """Each stage: its count and a bar of mean mastery (moves with every answer), then its concepts as pills a
    learner clicks to practise, each with its mastery and advice. Colours meet WCAG AA (dark text on tints).
    Open: the learner's current stage, and the stage of `focus` (the concept just practised)."""
    focus_stage = next((c.stage for c in report.concepts if c.id == focus), "")
    titles = {c.id: (c.title_zh if lang == "zh" else c.title_en) for c in report.concepts}
    parts = ['<div id="study-progress-inner">']
    for s in report.stages:
        title = s.title_zh if lang == "zh" else s.title_en
        current = s.stage == report.current_stage
        line = st(lang, "stage_line", mastered=s.mastered, total=s.total, mean=percent(s.mean_mastery))
        if s.sections_total:
            line += " · " + st(lang, "sections_line", read=s.sections_read, total=s.sections_total)
        here = f' <span class="study-here">{escape_html(st(lang, "current"))}</span>' if current else ""
        nodes = []
        for c in (c for c in report.concepts if c.stage == s.stage and c.quiz and c.has_items):
            answers = st(lang, "answers_one") if c.attempts == 1 else st(lang, "answers_many", n=c.attempts)
            tip = st(
                lang, "node_tip", title=titles[c.id], mastery=percent(c.mastery), answers=answers, asked=c.exposures
            )
            shown = f'<span class="study-pct">{percent(c.mastery)}</span>' if c.attempts or c.placed else ""
            nodes.append(
                f'<a class="study-node node-{node_state(c)}" href="#study:{html.escape(c.id)}" '
                f'data-concept="{html.escape(c.id)}" title="{html.escape(tip)}">'
                f'<span class="study-name">{escape_html(titles[c.id])}</span>{shown}'
                f'<span class="study-advice">{escape_html(advice(c, titles, lang))}</span>'
                f'<span class="study-meter"><span style="width:{c.mastery:.0%}"></span></span></a>'
            )
        first = not report.current_stage and not focus_stage and s is report.stages[0]
        opened = " open" if current or s.stage == focus_stage or first else ""
        parts.append(
            f'<details class="study-stage{" study-current" if current else ""}" data-stage="{html.escape(s.stage)}"'
            f"{opened}><summary>"
            f'<span class="study-stage-head"><b>{stage_orders.get(s.stage, 0)} · {escape_html(title)}</b>{here}'
            f'<span class="study-count">{escape_html(line)}</span></span>'
            f'<span class="study-bar" role="progressbar" aria-valuemin="0" aria-valuemax="100" '
            f'aria-valuenow="{round(s.mean_mastery * 100)}"><span style="width:{s.mean_mastery:.0%}"></span></span>'
            f'</summary><div class="study-nodes">{"".join(nodes)}</div></details>'
        )
    parts.append(f'<p class="study-legend">{escape_html(st(lang, "legend"))}</p></div>')
    return "".join(parts)


# ------------------------------------------------------------------------------------------ placement


def placement_offer(n: int, lang: str) -> str:
    return st(lang, "placement_offer", n=n)


def placement_result(result: PlacementResult, n: int, path: ConceptPath, lang: str, next_stage: str) -> str:
    """What the check found, and where the learner starts."""
    titles = path.stage_titles
    order = path.stage_order.get(next_stage, 1)
    title = titles.get(next_stage, ("", ""))[1 if lang == "zh" else 0]
    if result.stage:
        return st(
            lang, "placement_done_stage", right=result.score, n=n, order=order, title=title, known=len(result.placed)
        )
    first = path.stages()[0] if path.stage_order else ""
    return st(lang, "placement_done_none", right=result.score, n=n, title=titles.get(first, ("", ""))[lang == "zh"])
