"""The "Study" tab (the placement check, the next item, feedback that teaches, progress along the path, sections
read, the learner's record) and the Teacher panel (the class at a glance, for a teacher's account only).

Layout and handlers only; what they show is rendered by tutor.ui.study_view from tutor.study's results. Every
word follows the page's 中文/English switch; items follow it too unless the learner picks their language. The
learner is always the one the server signed for this request (`request.username`: the account signed in, or
the browser's signed guest id), never a name the page sends, so no event can read or change another learner's
record. The record is exported through the JSON API's `/api/study/export` (a download with no server path).
"""

from __future__ import annotations

import html
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import gradio as gr

from tutor.accounts import GUEST_PREFIX, Accounts
from tutor.config import Settings
from tutor.errors import TutorError
from tutor.study.items import Item, McqItem
from tutor.study.schedule import parse_iso
from tutor.study.service import StudyService
from tutor.study.teacher import ClassView, class_view
from tutor.ui import study_view as sv
from tutor.ui.maths import DELIMITERS, escape_html, typeset
from tutor.ui.render import defuse_links
from tutor.ui.strings import st, t

log = logging.getLogger(__name__)

TZ_JS = (
    "() => { try { return Intl.DateTimeFormat().resolvedOptions().timeZone || 'UTC'; } catch (e) { return 'UTC'; } }"
)


def learner_of(request: gr.Request | None) -> str:
    """The learner the server signed for this request; an event without one is refused."""
    name = getattr(request, "username", None) if request is not None else None
    if not name:
        raise gr.Error("Sign in first · 请先登录", print_exception=False)
    return str(name)


def _lang(value: Any) -> str:
    return "zh" if value == "zh" else "en"


@dataclass
class Placing:
    """A placement check under way in one browser tab: its items in order and the answers so far."""

    items: list[str]
    lang: str
    answers: dict[str, str] = field(default_factory=dict)

    @property
    def at(self) -> int:
        return len(self.answers)


@dataclass
class StudyTab:
    """What the rest of the page uses: the service, the tab, the components whose words follow the language
    switch (and `language_updates` for them), and the events after which the path and map may change."""

    service: StudyService
    tab: gr.Tab
    language_outputs: list[Any]
    language_updates: Callable[[str, str], list[Any]]
    changed: list[Any]


def _who(learner: str, lang: str) -> str:
    if learner.startswith(GUEST_PREFIX):
        return st(lang, "who_guest", name=html.escape(learner))
    return st(lang, "who_account", name=html.escape(learner))


def _export_link(lang: str) -> str:
    return (
        '<a href="api/study/export" download="tutor-study-record.json" id="study-export" class="study-export">'
        f"{html.escape(st(lang, 'export'))}</a>"
    )


def _note(text: str, lang: str) -> str:
    return f"**{st(lang, 'note')}:** {escape_html(text)}"


def build_study_tab(
    app: gr.Blocks,
    settings: Settings,
    service: StudyService,
    ui_lang: gr.Radio,
    local_pdf: Callable[[str], bool],
    progress_js: str = "",
) -> StudyTab:
    """Add the Study tab to the page being built (call inside `with gr.Blocks()`, in a Tabs/Column)."""
    links = sv.Links(service.readings, service.where, local_pdf)
    # The page comes up first; key points are embedded in the background before most learners answer.
    threading.Thread(target=service.grader.warm_up, args=(service.bank.items,), daemon=True).start()
    practised = [c for c in service.path.concepts if service.bank.for_concept(c.id)]
    readings = [(f"{r.short_authors} {r.year} — {r.title}", r.id) for r in service.readings.readings if r.sections]
    stage_orders = dict(service.path.stage_order)

    def concept_choices(lang: str) -> list[tuple[str, str]]:
        return [(st(lang, "next_on_path"), "")] + [(c.title(lang), c.id) for c in practised]

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

    with gr.Tab(t("en", "study"), id="study", elem_id="study-tab") as tab:
        # Declared inside the Tab: re-entering the Tab later would register it with gr.Tabs a second time.
        gr.api(api_answer, api_name="study_answer")  # type: ignore[attr-defined]  # exported at runtime, not in gradio's __all__
        item_id = gr.Textbox(visible=False, elem_id="study-item-id")
        tz = gr.Textbox("UTC", visible=False, elem_id="study-tz")
        placing = gr.State(None)
        with gr.Row(elem_id="study-who-row"):
            who = gr.Markdown(elem_id="study-who")
            sign_out = gr.Button(st("en", "sign_out"), size="sm", scale=0, visible=False, elem_id="sign-out")
        with gr.Column(visible=False, elem_id="placement") as offer:
            offer_text = gr.Markdown(elem_id="placement-offer")
            with gr.Row():
                start = gr.Button(st("en", "placement_start"), variant="primary", elem_id="placement-start")
                skip = gr.Button(st("en", "placement_skip"), elem_id="placement-skip")
        with gr.Row(elem_id="study-choose"):
            concept = gr.Dropdown(
                concept_choices("en"), value="", label=st("en", "concept"), elem_id="study-concept", min_width=220
            )
            item_lang = gr.Radio(
                [(st("en", "items_auto"), "auto"), ("English", "en"), ("中文", "zh")],
                value="auto",
                label=st("en", "items_in"),
                elem_id="study-lang",
                min_width=220,
            )
        next_button = gr.Button(st("en", "next"), variant="primary", elem_id="study-next")
        question = gr.Markdown(elem_id="study-question", latex_delimiters=DELIMITERS)
        choice = gr.Radio([], label=st("en", "choice"), visible=False, elem_id="study-choice")
        free = gr.Textbox(label=st("en", "answer"), lines=4, visible=False, elem_id="study-answer")
        with gr.Row():
            submit = gr.Button(st("en", "check"), elem_id="study-submit")
            skip_rest = gr.Button(
                st("en", "placement_skip_rest"), visible=False, size="sm", scale=0, elem_id="placement-skip-rest"
            )
        feedback = gr.Markdown(elem_id="study-feedback", latex_delimiters=DELIMITERS)
        with gr.Accordion(st("en", "progress"), open=True, elem_id="study-progress-box") as progress_box:
            progress = gr.HTML(elem_id="study-progress", js_on_load=progress_js or None)
        with gr.Accordion(st("en", "mark_read"), open=False) as read_box:
            reading = gr.Dropdown(readings, value=None, label=st("en", "reading"), elem_id="study-reading")
            sections = gr.CheckboxGroup([], label=st("en", "sections"), elem_id="study-sections")
            save_read = gr.Button(st("en", "save"), size="sm", elem_id="study-save-read")
        with gr.Accordion(st("en", "record"), open=False) as record_box:
            with gr.Row():
                export = gr.HTML(_export_link("en"), elem_id="study-export-box")
                reset_button = gr.Button(st("en", "reset"), size="sm", variant="stop", elem_id="study-reset")
                confirm = gr.Button(
                    st("en", "confirm"), size="sm", variant="stop", visible=False, elem_id="study-confirm"
                )
            imported = gr.File(label=st("en", "import"), file_types=[".json"], elem_id="study-import")

    # ------------------------------------------------------------------------------------------ views

    def offered(name: str, lang: str) -> bool:
        """The placement check is offered to a learner who has neither answered nor taken or skipped it."""
        if not service.placement_items(lang):
            return False
        if not service.known_learner(name):
            return True
        return service.placement(name) is None and not service.progress(name).current_stage

    def progress_of(name: str, lang: str, focus: str = "") -> str:
        return sv.progress_html(service.progress(name, empty_if_new=True), lang, stage_orders, focus)

    def language_updates(lang: str, name: str) -> list[Any]:
        """The tab's words in `lang`, in the order of `language_outputs` (learner-specific parts included)."""
        account = bool(name) and not name.startswith(GUEST_PREFIX)
        show_offer = bool(name) and offered(name, lang)
        return [
            gr.update(label=t(lang, "study")),
            _who(name, lang) if name else "",
            gr.update(value=st(lang, "sign_out"), visible=account),
            gr.update(visible=show_offer),
            sv.placement_offer(len(service.placement_items(lang)), lang),
            gr.update(value=st(lang, "placement_start")),
            gr.update(value=st(lang, "placement_skip")),
            gr.update(label=st(lang, "concept"), choices=concept_choices(lang)),
            gr.update(
                label=st(lang, "items_in"),
                choices=[(st(lang, "items_auto"), "auto"), ("English", "en"), ("中文", "zh")],
            ),
            gr.update(value=st(lang, "next")),
            gr.update(label=st(lang, "choice")),
            gr.update(label=st(lang, "answer")),
            gr.update(value=st(lang, "check")),
            gr.update(value=st(lang, "placement_skip_rest")),
            gr.update(label=st(lang, "progress")),
            progress_of(name, lang) if name else "",
            gr.update(label=st(lang, "mark_read")),
            gr.update(label=st(lang, "reading")),
            gr.update(label=st(lang, "sections")),
            gr.update(value=st(lang, "save")),
            gr.update(label=st(lang, "record")),
            _export_link(lang),
            gr.update(value=st(lang, "reset")),
            gr.update(value=st(lang, "confirm")),
            gr.update(label=st(lang, "import")),
        ]

    language_outputs = [
        tab, who, sign_out, offer, offer_text, start, skip, concept, item_lang, next_button, choice, free, submit,
        skip_rest, progress_box, progress, read_box, reading, sections, save_read, record_box, export, reset_button,
        confirm, imported,
    ]  # fmt: skip

    def show_item(item: Item, text: str) -> tuple[Any, ...]:
        """(item id, question, choice, free text) for an item."""
        if isinstance(item.body, McqItem):
            return (
                item.id,
                text,
                gr.update(choices=sv.choices(item), value=None, visible=True),
                gr.update(value="", visible=False),
            )
        return item.id, text, gr.update(choices=[], value=None, visible=False), gr.update(value="", visible=True)

    def propose(name: str, wanted: str, lang: str) -> tuple[Any, ...]:
        """The next practice item as (item id, question, choice, free text)."""
        try:
            proposal = service.next(name, wanted or None, lang)
        except TutorError as exc:
            return "", _note(str(exc), lang), gr.update(visible=False), gr.update(visible=False)
        return show_item(proposal.item, sv.item_markdown(proposal, proposal.why, lang))

    def item_language(ui: str, chosen: Any) -> str:
        return chosen if chosen in ("en", "zh") else _lang(ui)

    # ------------------------------------------------------------------------------------------ handlers
    # Every output list below is (item id, question, choice, free, feedback, progress, placing, skip_rest, offer)
    # unless stated.

    def on_next(ui: str, chosen: str, wanted: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        shown = propose(name, str(wanted or ""), item_language(ui, chosen))
        return (*shown, "", gr.skip(), None, gr.update(visible=False), gr.update(visible=False))

    def on_pick(ui: str, chosen: str, evt: gr.SelectData, request: gr.Request) -> tuple[Any, ...]:
        """A concept clicked on the progress map: practise it now, whatever its prerequisites."""
        name = learner_of(request)
        wanted = evt.value if isinstance(evt.value, str) and evt.value in service.path.by_id else ""
        shown = propose(name, wanted, item_language(ui, chosen))
        return (
            *shown, "", gr.skip(), None, gr.update(visible=False), gr.update(visible=False), gr.update(value=wanted)
        )  # fmt: skip

    def placement_step(state: Placing, lang: str) -> tuple[Any, ...]:
        """(item id, question, choice, free) for the check's next item, with where it is in the check."""
        item = service.item(state.items[state.at])
        head = st(lang, "placement_progress", at=state.at + 1, n=len(state.items))
        text = defuse_links(f"{sv.item_marker(item)}<small>{escape_html(head)}</small>\n\n**{typeset(item.question)}**")
        return show_item(item, text)

    def on_start(ui: str, chosen: str, request: gr.Request) -> tuple[Any, ...]:
        learner_of(request)
        lang = item_language(ui, chosen)
        items = [i.id for i in service.placement_items(lang)]
        if not items:
            return (gr.skip(),) * 6 + (None, gr.update(visible=False), gr.update(visible=False))
        state = Placing(items, lang)
        return (
            *placement_step(state, _lang(ui)),
            "",
            gr.skip(),
            state,
            gr.update(visible=True),
            gr.update(visible=False),
        )

    def finish(name: str, state: Placing, ui: str) -> tuple[Any, ...]:
        result = service.place(name, state.answers, state.lang)
        report = service.progress(name)
        text = sv.placement_result(result, len(state.items), service.path, ui, report.current_stage)
        shown = propose(name, "", state.lang)
        return (
            *shown, text, sv.progress_html(report, ui, stage_orders), None, gr.update(visible=False),
            gr.update(visible=False),
        )  # fmt: skip

    def on_skip(ui: str, chosen: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        service.skip_placement(name)
        lang = _lang(ui)
        shown = propose(name, "", item_language(ui, chosen))
        return (
            *shown, st(lang, "placement_skipped"), progress_of(name, lang), None, gr.update(visible=False),
            gr.update(visible=False),
        )  # fmt: skip

    def on_skip_rest(state: Placing | None, ui: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        if not isinstance(state, Placing):
            return (gr.skip(),) * 6 + (None, gr.update(visible=False), gr.skip())
        return finish(name, state, _lang(ui))

    def on_submit(
        current: str, picked: str | None, written: str, state: Placing | None, ui: str, zone: str, request: gr.Request
    ) -> tuple[Any, ...]:
        name = learner_of(request)
        lang = _lang(ui)
        keep = (gr.skip(),) * 4
        if isinstance(state, Placing) and current == state.items[state.at]:
            if not picked:
                return (*keep, _note(st(lang, "choice") + " ?", lang), gr.skip(), state, gr.skip(), gr.skip())
            state.answers[current] = str(picked)
            if state.at < len(state.items):
                return (*placement_step(state, lang), "", gr.skip(), state, gr.skip(), gr.skip())
            return finish(name, state, lang)
        if not current:
            return (*keep, _note(st(lang, "press_next"), lang), gr.skip(), None, gr.skip(), gr.skip())
        try:
            item = service.item(str(current))
            reply = (picked or "") if isinstance(item.body, McqItem) else (written or "")
            before = {c.id: c.mastery for c in service.progress(name, empty_if_new=True).concepts}
            result = service.answer(name, item.id, str(reply))
        except TutorError as exc:
            return (*keep, _note(str(exc), lang), gr.skip(), None, gr.skip(), gr.skip())
        concept = service.path.by_id[item.concept]
        now = service.clock()
        review = sv.when(parse_iso(result.next_review), now, lang, sv.zone(zone))
        text = sv.feedback_markdown(
            item,
            str(reply),
            result.grade,
            concept.title(lang),
            (before.get(item.concept, 0.0), result.mastery),
            review,
            links,
            lang,
        )
        return (*keep, text, progress_of(name, lang, item.concept), None, gr.skip(), gr.skip())

    def on_reading(reading_id: str | None, request: gr.Request) -> Any:
        name = learner_of(request)
        reading = service.readings.by_id.get(str(reading_id or ""))
        if reading is None:
            return gr.update(choices=[], value=[])
        names = [s.name for s in reading.sections]
        done = sorted({s for r, s in service.progress(name, empty_if_new=True).read if r == reading.id})
        return gr.update(choices=names, value=done)

    def on_save_read(reading_id: str | None, ticked: list[str] | None, ui: str, request: gr.Request) -> str:
        name = learner_of(request)
        if reading_id:
            try:
                service.mark_read(name, str(reading_id), [str(x) for x in ticked or []])
            except TutorError as exc:
                raise gr.Error(str(exc), print_exception=False) from None
        return progress_of(name, _lang(ui))

    def on_import(upload: str | None, ui: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        lang = _lang(ui)
        if not upload:
            return gr.skip(), gr.skip(), gr.skip()
        try:
            service.import_record(Path(upload).read_text(encoding="utf-8"), learner=name)
        except (TutorError, OSError, UnicodeDecodeError) as exc:
            return _note(str(exc).splitlines()[0], lang), gr.skip(), gr.skip()
        return st(lang, "imported"), progress_of(name, lang), gr.update(visible=offered(name, lang))

    def on_reset(ui: str, request: gr.Request) -> tuple[Any, ...]:
        name = learner_of(request)
        lang = _lang(ui)
        if service.known_learner(name):
            service.reset(name)
        return progress_of(name, lang), "", gr.update(visible=False), gr.update(visible=offered(name, lang))

    # Page events are private (issue 9): only `study_answer` is a public API endpoint. None takes a learner.
    private: dict[str, Any] = {"api_visibility": "private"}
    shown = [item_id, question, choice, free, feedback, progress, placing, skip_rest, offer]
    app.load(None, None, [tz], js=TZ_JS, **private)
    sign_out.click(None, None, None, js="() => { window.location.href = 'logout'; }")
    next_button.click(on_next, [ui_lang, item_lang, concept], shown, **private)
    progress.select(on_pick, [ui_lang, item_lang], [*shown, concept], **private)
    start.click(on_start, [ui_lang, item_lang], shown, **private)
    skipped = skip.click(on_skip, [ui_lang, item_lang], shown, **private)
    skipped_rest = skip_rest.click(on_skip_rest, [placing, ui_lang], shown, **private)
    answered = submit.click(on_submit, [item_id, choice, free, placing, ui_lang, tz], shown, **private)
    reading.change(on_reading, [reading], [sections], **private)
    save_read.click(on_save_read, [reading, sections, ui_lang], [progress], **private)
    imported.upload(on_import, [imported, ui_lang], [feedback, progress, offer], **private)
    reset_button.click(lambda: gr.update(visible=True), None, [confirm], **private)
    reset = confirm.click(on_reset, [ui_lang], [progress, feedback, confirm, offer], **private)
    return StudyTab(service, tab, language_outputs, language_updates, [answered, skipped, skipped_rest, reset])


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
