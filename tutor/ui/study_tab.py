"""The "Study" tab (next item, answer, feedback with page links, mastery by stage, sections read, records) and
the Teacher panel (the class at a glance, for a teacher's account only).

Layout and handlers only; everything they show comes from tutor.study. The learner is always the one the
server signed for this request (`request.username`: the account signed in, or the browser's signed guest
id), never a name the page sends, so no event can read or change another learner's record. The record is
exported through the JSON API's `/api/study/export` (a download with no server path in it).
"""

from __future__ import annotations

import html
import logging
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.accounts import GUEST_PREFIX, Accounts
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.library import find_in_library
from tutor.study.grading import Grade
from tutor.study.items import McqItem
from tutor.study.service import Progress, StudyService
from tutor.study.teacher import ClassView, class_view
from tutor.ui.render import defuse_links, library_url

log = logging.getLogger(__name__)

MASTERED_COLOUR = "#2e7d32"


def learner_of(request: gr.Request | None) -> str:
    """The learner the server signed for this request; an event without one is refused."""
    name = getattr(request, "username", None) if request is not None else None
    if not name:
        raise gr.Error("Sign in first · 请先登录", print_exception=False)
    return str(name)


def _colour(mastery: float, attempts: int) -> str:
    """Grey before any attempt, then red → amber → green with mastery."""
    if not attempts:
        return "#9e9e9e"
    hue = int(120 * max(0.0, min(1.0, mastery)))
    return f"hsl({hue}, 65%, 42%)"


@dataclass
class StudyTab:
    """What the rest of the page may use: the service, and the tab (whose label the page's language switch sets)."""

    service: StudyService
    tab: gr.Tab


class StudyView:
    """Turns service results into Markdown/HTML for the tab."""

    def __init__(self, settings: Settings, service: StudyService) -> None:
        self.settings = settings
        self.service = service

    def link(self, reading_id: str, page: int | None) -> str:
        """The local PDF at the page (served by the app, behind the login) or the reading's own URL."""
        path = find_in_library(self.settings, reading_id)
        if path is not None and path.suffix.lower() == ".pdf":
            return library_url(reading_id, page)
        reading = self.service.readings.by_id.get(reading_id)
        return reading.page_url(page) if reading else ""

    def feedback(self, grade: Grade, mastery: float, next_review: str, lang: str) -> str:
        zh = lang == "zh"
        if grade.correct:
            head = f"✓ **{'回答正确' if zh else 'Right'}** · {'得分' if zh else 'score'} {grade.score:.0%}"
        else:
            head = f"✗ **{'还没答对' if zh else 'Not yet'}** · {'得分' if zh else 'score'} {grade.score:.0%}"
        lines = [head]
        if grade.chosen_wrong:
            lines.append(f"{'你的选项' if zh else 'Your choice'}: {html.escape(grade.chosen_wrong)}")
        if grade.points:
            points = [f"- ✓ {html.escape(p)}" for p in grade.hit] + [f"- ✗ {html.escape(p)}" for p in grade.missed]
            lines.append("\n".join(points))
        lines.append(f"{'参考' if zh else 'Explanation'}: {html.escape(grade.feedback)}")
        for source in grade.read:
            where = html.escape(self.service.where(source, lang))
            url = self.link(source.id, source.page)
            label = "去读" if zh else "Read"
            lines.append(f"→ {label}: [{where}]({url})" if url else f"→ {label}: {where}")
        review = next_review[:16].replace("T", " ")
        lines.append(
            f"{'掌握度' if zh else 'Mastery'} {mastery:.0%} · {'下次复习' if zh else 'next review'} {review} UTC"
        )
        return defuse_links("\n\n".join(lines))

    def progress_html(self, report: Progress) -> str:
        """Stage bars, then the path as coloured nodes per stage (a map of what is mastered)."""
        rows = []
        for s in report.stages:
            share = s.mastered / s.total if s.total else 0.0
            read = f" · {s.sections_read}/{s.sections_total} sections read" if s.sections_total else ""
            rows.append(
                f'<div class="study-stage" data-stage="{html.escape(s.stage)}">'
                f"<div><b>{html.escape(s.title_en)}</b> · {html.escape(s.title_zh)} — "
                f"{s.mastered}/{s.total} mastered{read}</div>"
                f'<div style="background:#e0e0e0;border-radius:4px;height:10px">'
                f'<div style="background:{MASTERED_COLOUR};width:{share:.0%};height:10px;border-radius:4px"></div>'
                f"</div></div>"
            )
        columns = []
        for s in report.stages:
            nodes = []
            for c in (c for c in report.concepts if c.stage == s.stage):
                marks = (" · due" if c.due else "") + ("" if c.ready else " · locked")
                tip = (
                    f"{c.title_en} · {c.title_zh}: mastery {c.mastery:.0%}, {c.attempts} answers, asked {c.exposures}×"
                )
                nodes.append(
                    f'<span class="study-node" title="{html.escape(tip)}" data-concept="{html.escape(c.id)}" '
                    f'style="display:inline-block;margin:2px;padding:2px 6px;border-radius:10px;color:white;'
                    f'font-size:12px;background:{_colour(c.mastery, c.attempts)}">'
                    f"{html.escape(c.title_en)}{marks}</span>"
                )
            columns.append(f"<div><b>{html.escape(s.title_en)}</b><br>{''.join(nodes)}</div>")
        legend = (
            "<small>grey: not practised · red→green: mastery · locked: prerequisites not mastered yet · "
            "due: review due · 灰色未练习，红→绿为掌握度；locked 表示前置概念未掌握，due 表示该复习了</small>"
        )
        return (
            '<div id="study-progress-inner">'
            + "".join(rows)
            + '<div style="display:grid;grid-template-columns:1fr;gap:6px;margin-top:8px">'
            + "".join(columns)
            + "</div>"
            + legend
            + "</div>"
        )


def _who(learner: str) -> str:
    if not learner.startswith(GUEST_PREFIX):
        return f"Learner: **{html.escape(learner)}** (your account) · 学习者：你的账号"
    return (
        f"Learner: **{html.escape(learner)}**, kept in this browser · 学习记录保存在本浏览器；"
        "export it below to move to another browser · 可在下方导出"
    )


EXPORT_LINK = (
    '<a href="api/study/export" download="tutor-study-record.json" id="study-export" class="study-export">'
    "Export JSON · 导出</a>"
)


def build_study_tab(app: gr.Blocks, settings: Settings, service: StudyService) -> StudyTab:
    """Add the Study tab to the page being built (call inside `with gr.Blocks()`, in a Tabs/Column)."""
    view = StudyView(settings, service)
    # The page comes up first; key points are embedded in the background before most learners answer.
    threading.Thread(target=service.grader.warm_up, args=(service.bank.items,), daemon=True).start()
    concepts = [("Next on the path · 按路径下一个", "")] + [
        (f"{c.title_en} · {c.title_zh}", c.id) for c in service.path.concepts if service.bank.for_concept(c.id)
    ]
    readings = [(f"{r.short_authors} {r.year} — {r.title}", r.id) for r in service.readings.readings if r.sections]

    def api_answer(item_id: str, answer: str, request: gr.Request) -> dict[str, Any]:
        """Grade and record an answer for the caller (the signed-in learner, or this client's guest id): the same
        JSON as `tutor study answer --json` and `POST /api/study/answer`.

        item_id: an item id from `tutor study next --json` or `POST /api/study/next`, e.g. softmax.en.m1.
        answer: a choice letter, or free text for an open item.
        """
        try:
            return service.answer(learner_of(request), str(item_id), str(answer)).as_json()
        except TutorError as exc:
            raise gr.Error(str(exc), print_exception=False) from None

    with gr.Tab("Study", id="study", elem_id="study-tab") as tab:
        # Declared inside the Tab: re-entering the Tab later would register it with gr.Tabs a second time.
        gr.api(api_answer, api_name="study_answer")  # type: ignore[attr-defined]  # exported at runtime, not in gradio's __all__
        item_id = gr.Textbox(visible=False, elem_id="study-item-id")
        with gr.Row():
            who = gr.Markdown(elem_id="study-who")
            sign_out = gr.Button("Sign out · 退出登录", size="sm", scale=0, visible=False, elem_id="sign-out")
        with gr.Row():
            lang = gr.Radio([("English", "en"), ("中文", "zh")], value="en", label="Items in", elem_id="study-lang")
            concept = gr.Dropdown(concepts, value="", label="Concept · 概念", elem_id="study-concept")
        next_button = gr.Button("Next item · 下一题", variant="primary", elem_id="study-next")
        question = gr.Markdown(elem_id="study-question")
        choice = gr.Radio([], label="Your choice · 选择", visible=False, elem_id="study-choice")
        free = gr.Textbox(label="Your answer · 作答", lines=4, visible=False, elem_id="study-answer")
        submit = gr.Button("Check · 提交", elem_id="study-submit")
        feedback = gr.Markdown(elem_id="study-feedback")
        with gr.Accordion("Progress along the path · 学习进度", open=True):
            progress = gr.HTML(elem_id="study-progress")
        with gr.Accordion("Mark sections read · 标记已读章节", open=False):
            reading = gr.Dropdown(readings, value=None, label="Reading · 文献", elem_id="study-reading")
            sections = gr.CheckboxGroup([], label="Sections read · 已读章节", elem_id="study-sections")
            save_read = gr.Button("Save · 保存", size="sm", elem_id="study-save-read")
        with gr.Accordion("Your record · 学习记录", open=False):
            with gr.Row():
                gr.HTML(EXPORT_LINK, elem_id="study-export-box")
                reset_button = gr.Button("Reset my progress · 重置", size="sm", variant="stop", elem_id="study-reset")
                confirm = gr.Button(
                    "Yes, erase my record · 确认清除", size="sm", variant="stop", visible=False, elem_id="study-confirm"
                )
            imported = gr.File(label="Import a record · 导入记录 (JSON)", file_types=[".json"], elem_id="study-import")

    # ------------------------------------------------------------------------------------------ handlers

    def on_load(request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        account = not name.startswith(GUEST_PREFIX)
        return _who(name), gr.update(visible=account), view.progress_html(service.progress(name, empty_if_new=True))

    def on_next(item_lang: str, wanted: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        try:
            proposal = service.next(name, str(wanted or "") or None, str(item_lang or "en"))
        except TutorError as exc:
            return "", f"**Note:** {html.escape(str(exc))}", gr.update(visible=False), gr.update(visible=False), ""
        item = proposal.item
        text = defuse_links(f"**{html.escape(item.question)}**\n\n<small>{html.escape(proposal.why)}</small>")
        if isinstance(item.body, McqItem):
            options = [
                (f"{letter}. {c}", letter) for letter, c in zip(item.body.letters, item.body.choices, strict=True)
            ]
            return (
                item.id,
                text,
                gr.update(choices=options, value=None, visible=True),
                gr.update(value="", visible=False),
                "",
            )
        return item.id, text, gr.update(choices=[], value=None, visible=False), gr.update(value="", visible=True), ""

    def on_submit(current: str, picked: str | None, written: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        if not current:
            return "**Note:** press “Next item” first · 请先点“下一题”。", gr.update()
        try:
            item = service.item(str(current))
            reply = (picked or "") if isinstance(item.body, McqItem) else (written or "")
            result = service.answer(name, item.id, str(reply))
        except TutorError as exc:
            return f"**Note:** {html.escape(str(exc))}", gr.update()
        text = view.feedback(result.grade, result.mastery, result.next_review, item.lang)
        return text, view.progress_html(service.progress(name))

    def on_reading(reading_id: str | None, request: gr.Request) -> Any:
        name = learner_of(request)
        reading = service.readings.by_id.get(str(reading_id or ""))
        if reading is None:
            return gr.update(choices=[], value=[])
        names = [s.name for s in reading.sections]
        done = sorted({s for r, s in service.progress(name, empty_if_new=True).read if r == reading.id})
        return gr.update(choices=names, value=done)

    def on_save_read(reading_id: str | None, ticked: list[str] | None, request: gr.Request) -> str:
        name = learner_of(request)
        if reading_id:
            try:
                service.mark_read(name, str(reading_id), [str(x) for x in ticked or []])
            except TutorError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
        return view.progress_html(service.progress(name, empty_if_new=True))

    def on_import(upload: str | None, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        if not upload:
            return gr.update(), gr.update()
        try:
            service.import_record(Path(upload).read_text(encoding="utf-8"), learner=name)
        except (TutorError, OSError, UnicodeDecodeError) as exc:
            return f"**Note:** {html.escape(str(exc).splitlines()[0])}", gr.update()
        return "Imported · 已导入", view.progress_html(service.progress(name))

    def on_reset(request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        if service.known_learner(name):
            service.reset(name)
        return view.progress_html(service.progress(name, empty_if_new=True)), "", gr.update(visible=False)

    # Page events are private (issue 9): only `study_answer` is a public API endpoint. None takes a learner.
    private: dict[str, Any] = {"api_visibility": "private"}
    app.load(on_load, None, [who, sign_out, progress], **private)
    sign_out.click(None, None, None, js="() => { window.location.href = 'logout'; }")
    next_button.click(on_next, [lang, concept], [item_id, question, choice, free, feedback], **private)
    submit.click(on_submit, [item_id, choice, free], [feedback, progress], **private)
    reading.change(on_reading, [reading], [sections], **private)
    save_read.click(on_save_read, [reading, sections], [progress], **private)
    imported.upload(on_import, [imported], [feedback, progress], **private)
    reset_button.click(lambda: gr.update(visible=True), None, [confirm], **private)
    confirm.click(on_reset, None, [progress, feedback, confirm], **private)
    return StudyTab(service, tab)


# ------------------------------------------------------------------------------------------ teacher


def class_html(view: ClassView) -> str:
    """The class at a glance: learners with who is stuck, then each stage's concepts, then the questions asked most."""
    rows = []
    for x in view.learners:
        stuck = html.escape(", ".join(x.stuck)) if x.stuck else "–"
        rows.append(
            f'<tr data-learner="{html.escape(x.name)}"><td>{html.escape(x.name)}</td><td>{x.attempts}</td>'
            f"<td>{x.correct}</td><td>{x.mastered}</td><td>{stuck}</td><td>{html.escape(x.last_active[:16])}</td></tr>"
        )
    learners = (
        '<table class="class-learners"><tr><th>Learner · 学习者</th><th>Answers · 作答</th><th>Right · 答对</th>'
        "<th>Mastered · 已掌握</th><th>Stuck on · 卡在</th><th>Last active · 最近</th></tr>"
        + "".join(rows)
        + "</table>"
    )
    stages = []
    for stage in view.stages:
        items = []
        for c in (c for c in view.concepts if c.stage == stage.stage and c.learners):
            stuck = f" · stuck 卡住: {html.escape(', '.join(c.stuck))}" if c.stuck else ""
            items.append(
                f'<li data-concept="{html.escape(c.id)}">{html.escape(c.title_en)} · {html.escape(c.title_zh)}: '
                f"{len(c.learners)} practised 人练习, mean mastery 平均掌握度 {c.mean_mastery:.0%}, "
                f"{len(c.mastered)} mastered 人掌握{stuck}</li>"
            )
        body = f"<ul>{''.join(items)}</ul>" if items else "<p>–</p>"
        stages.append(
            f"<h4>{html.escape(stage.title_en)} · {html.escape(stage.title_zh)} — "
            f"{len(stage.practised)} practised · 人练习</h4>{body}"
        )
    asked = "".join(
        f"<li>{q.times}× ({q.learners} learners · 人): {html.escape(q.question)}</li>" for q in view.questions
    )
    counts = f"<b>{len(view.learners)}</b> learners · 学习者, <b>{view.attempts}</b> answers · 次作答"
    return (
        f'<div id="class-view-inner"><p>{counts}</p>{learners}{"".join(stages)}'
        f"<h4>Asked most · 提问最多</h4><ol>{asked or '<li>–</li>'}</ol></div>"
    )


def build_teacher_tab(app: gr.Blocks, service: StudyService, accounts: Accounts) -> gr.Tab:
    """The Teacher panel: shown, filled and refreshed only for a teacher's account (each handler checks again)."""
    with gr.Tab("Teacher · 教师", id="teacher", elem_id="teacher-tab", visible=False) as tab:
        refresh = gr.Button("Refresh · 刷新", size="sm", elem_id="class-refresh")
        shown = gr.HTML(elem_id="class-view")

    def for_teacher(request: gr.Request) -> tuple[Any, ...]:
        if not accounts.is_teacher(getattr(request, "username", None)):
            return gr.update(visible=False), ""
        roster = [a.name for a in accounts.list() if not a.teacher]
        return gr.update(visible=True), class_html(class_view(service, roster))

    private: dict[str, Any] = {"api_visibility": "private"}
    app.load(for_teacher, None, [tab, shown], **private)
    refresh.click(for_teacher, None, [tab, shown], **private)
    teacher_tab: gr.Tab = tab
    return teacher_tab
