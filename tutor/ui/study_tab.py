"""The "Study" tab: next item, answer, feedback with page links, mastery by stage, sections read, records.

Layout and handlers only; everything it shows comes from tutor.study.StudyService. The learner is the
login name when TUTOR_AUTH is set, otherwise a random id kept in the browser's local storage
(gr.BrowserState, encrypted with a secret stored in the data dir so it survives a server restart).
"""

from __future__ import annotations

import html
import json
import logging
import secrets
import tempfile
import threading
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.answer import Tutor
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.library import find_in_library
from tutor.study.grading import Grade
from tutor.study.items import McqItem
from tutor.study.service import Progress, StudyService

log = logging.getLogger(__name__)

MASTERED_COLOUR = "#2e7d32"
STORAGE_KEY = "tutor-study-learner"


def _browser_secret(settings: Settings) -> str:
    """A per-install secret for the browser-stored learner id; random once, then kept in the data dir."""
    path = settings.data.dir / "study-browser-secret"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(secrets.token_urlsafe(24), encoding="utf-8")
        path.chmod(0o600)
    return path.read_text(encoding="utf-8").strip()


def _colour(mastery: float, attempts: int) -> str:
    """Grey before any attempt, then red → amber → green with mastery."""
    if not attempts:
        return "#9e9e9e"
    hue = int(120 * max(0.0, min(1.0, mastery)))
    return f"hsl({hue}, 65%, 42%)"


@dataclass
class StudyTab:
    """What the rest of the page may use: the service, the hidden box holding the current learner, and the tab
    (whose label the page's language switch sets)."""

    service: StudyService
    learner: gr.Textbox
    tab: gr.Tab | None = None

    def record_exposure(self, learner: str, concept: str) -> None:
        """Call from the chat when a learner asks about `concept`: exposure, never mastery."""
        if learner:
            self.service.record_exposure(learner, concept)


class StudyView:
    """Turns service results into Markdown/HTML for the tab."""

    def __init__(self, settings: Settings, service: StudyService) -> None:
        self.settings = settings
        self.service = service

    def link(self, reading_id: str, page: int | None) -> str:
        """The local PDF at the page (served by the app, behind the login) or the reading's own URL."""
        path = find_in_library(self.settings, reading_id)
        if path is not None and path.suffix.lower() == ".pdf":
            return f"/gradio_api/file={path.resolve()}" + (f"#page={page}" if page else "")
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
        return "\n\n".join(lines)

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


def _resolve_learner(stored: str | None, request: gr.Request | None) -> str:
    """The login name under TUTOR_AUTH; else the id kept in this browser; else a new one."""
    username = getattr(request, "username", None) if request is not None else None
    if username:
        return StudyService.check_learner(str(username))
    if stored:
        try:
            return StudyService.check_learner(str(stored))
        except TutorError:
            pass
    return f"guest-{uuid.uuid4().hex[:12]}"


def _who(learner: str, request: gr.Request | None) -> str:
    if getattr(request, "username", None):
        return f"Learner: **{html.escape(learner)}** (your login) · 学习者：登录名"
    return (
        f"Learner: **{html.escape(learner)}**, kept in this browser · 学习记录保存在本浏览器；"
        "export it below to move to another browser · 可在下方导出"
    )


def learner_state(settings: Settings) -> gr.BrowserState:
    """The browser's learner id, kept in the browser's storage. Create it at the page's top level: a tab's
    contents mount only when opened (the id must be stored at page load), and a component placed among a
    gr.Tabs' tabs makes the browser draw one of the tabs twice."""
    return gr.BrowserState(None, storage_key=STORAGE_KEY, secret=_browser_secret(settings))


def build_study_tab(
    app: gr.Blocks,
    settings: Settings,
    stored: gr.BrowserState,
    tutor: Tutor | None = None,
    service: StudyService | None = None,
) -> StudyTab:
    """Add the Study tab to the page being built (call inside `with gr.Blocks()`, in a Tabs/Column); `stored`
    comes from `learner_state`.

    With the page's tutor, its reading list, glossary and (multilingual) embedding model are reused."""
    if service is None:
        shared = tutor is not None and settings.embedding.model == "use-multilingual"
        service = StudyService.from_settings(
            settings,
            embeddings=(lambda: tutor.store.embeddings) if shared and tutor else None,
            readings=tutor.readings if tutor else None,
            glossary=tutor.glossary if tutor else None,
        )
    view = StudyView(settings, service)
    # The page comes up first; key points are embedded in the background before most learners answer.
    threading.Thread(target=service.grader.warm_up, args=(service.bank.items,), daemon=True).start()
    concepts = [("Next on the path · 按路径下一个", "")] + [
        (f"{c.title_en} · {c.title_zh}", c.id) for c in service.path.concepts if service.bank.for_concept(c.id)
    ]
    readings = [(f"{r.short_authors} {r.year} — {r.title}", r.id) for r in service.readings.readings if r.sections]

    def api_answer(learner_name: str, item: str, answer: str, request: gr.Request) -> dict[str, Any]:
        """For scripts and load tests: the same JSON as `tutor study answer --json`."""
        try:
            return service.answer(_resolve_learner(learner_name, request), item, answer).as_json()
        except TutorError as exc:
            raise gr.Error(str(exc)) from exc

    with gr.Tab("Study", id="study", elem_id="study-tab") as tab:
        # Declared inside the Tab: re-entering the Tab later would register it with gr.Tabs a second time.
        gr.api(api_answer, api_name="study_answer")  # type: ignore[attr-defined]  # exported at runtime, not in gradio's __all__
        learner = gr.Textbox(visible=False, elem_id="study-learner")
        item_id = gr.Textbox(visible=False, elem_id="study-item-id")
        who = gr.Markdown(elem_id="study-who")
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
                export_button = gr.Button("Export JSON · 导出", size="sm", elem_id="study-export")
                reset_button = gr.Button("Reset my progress · 重置", size="sm", variant="stop", elem_id="study-reset")
                confirm = gr.Button(
                    "Yes, erase my record · 确认清除", size="sm", variant="stop", visible=False, elem_id="study-confirm"
                )
            exported = gr.File(label="Download · 下载", interactive=False, elem_id="study-exported")
            imported = gr.File(label="Import a record · 导入记录 (JSON)", file_types=[".json"], elem_id="study-import")

    # ------------------------------------------------------------------------------------------ handlers

    def learner_of(box: str, request: gr.Request | None) -> str:
        """Every handler re-derives the learner: a login always wins over what the page sends."""
        return _resolve_learner(box, request)

    def on_load(saved: str | None, request: gr.Request) -> tuple[Any, ...]:
        name = _resolve_learner(saved, request)
        report = service.progress(name, create=True)
        return name, name, _who(name, request), view.progress_html(report)

    def on_next(box: str, item_lang: str, wanted: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(box, request)
        try:
            proposal = service.next(name, wanted or None, item_lang)
        except TutorError as exc:
            return "", f"**Note:** {html.escape(str(exc))}", gr.update(visible=False), gr.update(visible=False), ""
        item = proposal.item
        text = f"**{html.escape(item.question)}**\n\n<small>{html.escape(proposal.why)}</small>"
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

    def on_submit(box: str, current: str, picked: str | None, written: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(box, request)
        if not current:
            return "**Note:** press “Next item” first · 请先点“下一题”。", gr.update()
        try:
            item = service.item(current)
            reply = (picked or "") if isinstance(item.body, McqItem) else (written or "")
            result = service.answer(name, current, reply)
        except TutorError as exc:
            return f"**Note:** {html.escape(str(exc))}", gr.update()
        text = view.feedback(result.grade, result.mastery, result.next_review, item.lang)
        return text, view.progress_html(service.progress(name))

    def on_reading(box: str, reading_id: str | None, request: gr.Request) -> Any:
        if not reading_id:
            return gr.update(choices=[], value=[])
        name = learner_of(box, request)
        names = [s.name for s in service.readings.get(reading_id).sections]
        done = sorted({s for r, s in service.progress(name, create=True).read if r == reading_id})
        return gr.update(choices=names, value=done)

    def on_save_read(box: str, reading_id: str | None, ticked: list[str], request: gr.Request) -> str:
        name = learner_of(box, request)
        if reading_id:
            service.mark_read(name, reading_id, list(ticked or []))
        return view.progress_html(service.progress(name, create=True))

    def on_export(box: str, request: gr.Request) -> str:
        name = learner_of(box, request)
        record = service.export(name) if service.known_learner(name) else {}
        folder = Path(tempfile.mkdtemp(prefix="tutor-study-"))
        path = folder / f"tutor-study-{name}.json"
        path.write_text(json.dumps(record, ensure_ascii=False, indent=1), encoding="utf-8")
        return str(path)

    def on_import(box: str, upload: str | None, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(box, request)
        if not upload:
            return gr.update(), gr.update()
        try:
            service.import_record(Path(upload).read_text(encoding="utf-8"), learner=name)
        except (TutorError, OSError, UnicodeDecodeError) as exc:
            return f"**Note:** {html.escape(str(exc))}", gr.update()
        return "Imported · 已导入", view.progress_html(service.progress(name))

    def on_reset(box: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(box, request)
        if service.known_learner(name):
            service.reset(name)
        return view.progress_html(service.progress(name, create=True)), "", gr.update(visible=False)

    # Page events are private (issue 9): only `study_answer` is a public API endpoint.
    private: dict[str, Any] = {"api_visibility": "private"}
    app.load(on_load, [stored], [learner, stored, who, progress], **private)
    next_button.click(on_next, [learner, lang, concept], [item_id, question, choice, free, feedback], **private)
    submit.click(on_submit, [learner, item_id, choice, free], [feedback, progress], **private)
    reading.change(on_reading, [learner, reading], [sections], **private)
    save_read.click(on_save_read, [learner, reading, sections], [progress], **private)
    export_button.click(on_export, [learner], [exported], **private)
    imported.upload(on_import, [learner, imported], [feedback, progress], **private)
    reset_button.click(lambda: gr.update(visible=True), None, [confirm], **private)
    confirm.click(on_reset, [learner], [progress, feedback, confirm], **private)
    return StudyTab(service, learner, tab)
