"""The web tutor's page: Gradio layout and event handlers only; answering lives in tutor.answer, the server
(login, JSON API, request guard, library routes) in tutor.web.

Page: the chat (answers read from the top, sources numbered as their markers) with suggested questions,
beside panels for the reading path (opened where the learner is), an interactive map, the glossary, a source
viewer that opens a cited PDF page with the quote highlighted, the Study tab, the Numbers panel and, for a
teacher's account, the Teacher panel. The interface speaks English or Chinese (a switch kept in the browser)
and every panel follows it. One public API endpoint, `/ask`,
answers like `tutor ask --json` (and `/study_answer` like `tutor study answer --json`); every other event is
private. Every handler takes the learner from the request (`request.username`, set by the server's signed
session), never from what the page sends.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import resources
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 -- analytics must be off before gradio is imported

from tutor.accounts import Accounts  # noqa: E402
from tutor.answer import Answer, Tutor, is_reset  # noqa: E402
from tutor.config import Settings  # noqa: E402
from tutor.conversation import Turn  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.failures import classify, scrub  # noqa: E402
from tutor.feedback import record_feedback  # noqa: E402
from tutor.library import is_own_document, list_library  # noqa: E402
from tutor.study.service import StudyService  # noqa: E402
from tutor.ui import panels, viewer  # noqa: E402
from tutor.ui.maths import DELIMITERS  # noqa: E402
from tutor.ui.numbers_panel import NumbersPanel, build_numbers_panel  # noqa: E402
from tutor.ui.pathmap import render_map  # noqa: E402
from tutor.ui.render import (  # noqa: E402
    answer_markdown,
    message_markdown,
    question_markdown,
    read_next_question,
    streaming_markdown,
    words,
)
from tutor.ui.strings import ANSWER_LANGS, UI_LANGS, browser_language, t  # noqa: E402
from tutor.ui.strings import LEVELS as LEVEL_CHOICES
from tutor.ui.study_tab import StudyTab, build_study_tab, build_teacher_tab, learner_of  # noqa: E402
from tutor.web.api import Asking  # noqa: E402
from tutor.web.models import ApiError, AskRequest, validate  # noqa: E402

log = logging.getLogger(__name__)

LANG_KEY = "tutor-ui-lang"
STREAM_EVERY = 0.12  # seconds between streamed chat updates: tokens batch up, the page stays smooth


def static(name: str) -> str:
    return resources.files("tutor.ui").joinpath("static", name).read_text(encoding="utf-8")


@dataclass
class Session:
    """One browser tab's conversation, kept on the server (the page never sends the chat back)."""

    messages: list[dict[str, Any]] = field(default_factory=list)
    turns: list[Turn] = field(default_factory=list)
    answers: dict[str, Answer] = field(default_factory=dict)
    answer_at: dict[int, str] = field(default_factory=dict)  # chat message index → answer id
    viewing: bool = False


class TutorApp:
    """Holds the tutor and turns its answers and data into what the page shows."""

    def __init__(self, settings: Settings, tutor: Tutor, asking: Asking) -> None:
        self.settings = settings
        self.tutor = tutor
        self.asking = asking
        self.study: StudyTab | None = None
        self.answer_limit = settings.llm.concurrency if tutor.backend.name == "openai" else 4
        self._rendered: dict[tuple[Any, ...], str] = {}

    # ------------------------------------------------------------------------------------------ data

    def local_pdf(self, doc_id: str) -> bool:
        path = viewer.safe_doc_path(self.settings, doc_id)
        return path is not None and path.suffix.lower() == ".pdf"

    def library_state(self) -> tuple[set[str], set[str]]:
        """(indexed doc ids, doc ids with a file in the library)."""
        indexed = set(self.tutor.store.manifest.docs)
        have = {f.doc_id for f in list_library(self.settings, self.tutor.readings)}
        return indexed, have

    def status(self) -> panels.Status:
        """What the status line says; raises when the index cannot be read (see `status_html`)."""
        indexed, have = self.library_state()
        readings = self.tutor.readings.readings
        notes = {d.split(".")[0] for d in indexed if d.startswith("note-")}
        own = {d for d in indexed if is_own_document(d)}
        backend = self.tutor.backend.name
        return panels.Status(
            readings_total=len(readings),
            readings_indexed=sum(r.id in indexed for r in readings),
            notes=len(notes),
            own_docs=len(own),
            missing=[r.id for r in readings if r.id not in indexed and r.id not in have],
            backend=backend,
            model=self.settings.llm.model,
        )

    def status_html(self, lang: str) -> str:
        """The status line; when the index is unreachable or the disk full, it says that instead."""
        try:
            return panels.status_html(self.status(), lang)
        except Exception as exc:  # noqa: BLE001 -- the page must come up and say what is wrong
            return message_markdown(self.problem(exc, lang))

    def problem(self, exc: BaseException, lang: str) -> str:
        """One line for the learner about a failure: its own message, the server's state, or a generic one."""
        failure = classify(exc, self.settings)
        if failure is not None:
            return failure.message
        if isinstance(exc, TutorError):
            return scrub(str(exc), self.settings)
        log.exception("the page failed", exc_info=exc)
        return t(lang, "error", kind=type(exc).__name__)

    def mastery(self, learner: str) -> dict[str, float] | None:
        """Mastery per reading: the mean over the practised concepts whose notes point to it."""
        if self.study is None or not learner:
            return None
        service = self.study.service
        try:
            if not service.known_learner(learner):
                return None
            concepts = service.progress(learner).concepts
        except TutorError:
            return None
        scores: dict[str, list[float]] = {}
        for c in concepts:
            if not c.attempts:
                continue
            note = self.tutor.notes.get(c.id, "en")
            for pointer in note.readings if note else []:
                scores.setdefault(str(pointer.get("id", "")), []).append(c.mastery)
        return {rid: sum(v) / len(v) for rid, v in scores.items() if rid} or None

    # ------------------------------------------------------------------------------------------ panels

    def current_stage(self, learner: str) -> str:
        """The stage the learner is practising in Study ('' before any answer or placement)."""
        if self.study is None or not learner:
            return ""
        try:
            return self.study.service.progress(learner, empty_if_new=True).current_stage
        except TutorError:
            return ""

    def path_html(self, lang: str, learner: str = "") -> str:
        indexed, have = self.library_state()
        stage = panels.opening_stage(self.tutor.readings, indexed, self.current_stage(learner))
        key = ("path", lang, frozenset(indexed), frozenset(have), stage)
        if key not in self._rendered:
            self._rendered[key] = panels.path_html(self.tutor.readings, indexed, have, lang, stage)
        return self._rendered[key]

    def path_for(self, lang: str, request: gr.Request) -> str:
        """The path opened on the caller's current stage."""
        return self.path_html("zh" if lang == "zh" else "en", learner_of(request))

    def glossary_markdown(self, lang: str) -> str:
        key = ("glossary", lang)
        if key not in self._rendered:
            self._rendered[key] = panels.glossary_markdown(self.tutor.glossary, self.tutor.notes, lang)
        return self._rendered[key]

    def map_html(self, lang: str, learner: str = "") -> str:
        indexed, have = self.library_state()
        return render_map(self.tutor.readings, lang, indexed, have, self.mastery(learner))

    def map_for(self, lang: str, request: gr.Request) -> str:
        """The map with the caller's own mastery on it."""
        return self.map_html(lang, learner_of(request))

    def suggestions(self, session: Session | None, lang: str) -> str:
        latest = self._latest(session)
        if latest is not None and latest.read_next:
            items = [(read_next_question(r, latest.language), f"{r.title} — {r.section}") for r in latest.read_next]
            return panels.suggestions_html(items, t(lang, "next"))
        return panels.suggestions_html(panels.starters(self.tutor.readings, lang), t(lang, "try"))

    @staticmethod
    def _latest(session: Session | None) -> Answer | None:
        if session is None or not session.answers:
            return None
        return list(session.answers.values())[-1]

    def language_updates(self, lang: str, session: Session | None, learner: str = "") -> tuple[Any, ...]:
        """Everything whose words depend on the interface language, in the order of `language_outputs`."""
        study = self.study.language_updates(lang, learner) if self.study is not None else []
        numbers = NumbersPanel.language_updates(lang)
        return (
            gr.update(value=lang),
            panels.tagline_html(lang),
            self.status_html(lang),
            gr.update(placeholder=t(lang, "chat_empty")),
            gr.update(placeholder=t(lang, "placeholder")),
            gr.update(value=t(lang, "ask")),
            gr.update(value=t(lang, "clear")),
            gr.update(label=t(lang, "level"), choices=LEVEL_CHOICES[lang]),
            gr.update(label=t(lang, "answer_lang"), choices=ANSWER_LANGS[lang]),
            self.suggestions(session, lang),
            gr.update(label=t(lang, "path")),
            gr.update(label=t(lang, "map")),
            gr.update(label=t(lang, "glossary")),
            gr.update(label=t(lang, "source")),
            gr.update(label=t(lang, "numbers")),
            self.path_html(lang, learner),
            self.map_html(lang, learner),
            gr.update(placeholder=t(lang, "search")),
            self.glossary_markdown(lang),
            gr.skip() if session is not None and session.viewing else viewer.empty_markdown(lang),
            *study,
            *numbers,
        )

    # ------------------------------------------------------------------------------------------ events

    def respond(
        self, question: str, level: str, lang: str, ui_lang: str, session: Session | None, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat: (chat, question box, session, suggestions) per update.

        Problems become a line in the chat, never a broken page; an oversized question is not echoed."""
        session = session or Session()
        question = question if isinstance(question, str) else ""
        ui_lang = "zh" if ui_lang == "zh" else "en"
        learner = learner_of(request)
        echo = question.encode("utf-8", "replace").decode("utf-8")  # a lone surrogate cannot be sent back
        session.messages = [*session.messages, {"role": "user", "content": question_markdown(echo, ui_lang)}]
        if not question.replace("\x00", "").strip():
            session.messages.append({"role": "assistant", "content": message_markdown(t(ui_lang, "empty_question"))})
            yield session.messages, gr.skip(), session, gr.skip()
            return
        session.messages.append({"role": "assistant", "content": streaming_markdown("")})
        at = len(session.messages) - 1
        yield session.messages, "", session, gr.skip()
        text, shown = "", time.monotonic()
        try:
            for piece in self.tutor.stream(question, level=level, lang=lang, history=session.turns[-6:]):
                if isinstance(piece, Answer):
                    session.answers[piece.id] = piece
                    session.answer_at[at] = piece.id
                    session.turns = [*session.turns, piece.as_turn()]
                    session.messages[at] = {"role": "assistant", "content": answer_markdown(piece, self.local_pdf)}
                    self.asking.record(learner, piece)
                    yield session.messages, "", session, self.suggestions(session, ui_lang)
                    return
                text = "" if is_reset(piece) else text + piece
                if time.monotonic() - shown >= STREAM_EVERY:
                    shown = time.monotonic()
                    session.messages[at] = {"role": "assistant", "content": streaming_markdown(text)}
                    yield session.messages, gr.skip(), session, gr.skip()
        except Exception as exc:  # the session must survive anything; the terminal gets the traceback
            session.messages[at] = {"role": "assistant", "content": message_markdown(self.problem(exc, ui_lang))}
            keep = echo if len(echo) <= self.settings.max_question_chars else gr.skip()
            yield session.messages, keep, session, gr.skip()

    def respond_to(
        self, level: str, lang: str, ui_lang: str, session: Session | None, evt: gr.SelectData, request: gr.Request
    ) -> Iterator[tuple[Any, ...]]:
        """A clicked question (suggestion, read-next item, reading chip, map node) is asked at once."""
        value = evt.value if isinstance(evt.value, str) else ""
        yield from self.respond(value[: self.settings.max_question_chars + 1], level, lang, ui_lang, session, request)

    def view(self, session: Session | None, ui_lang: str, evt: gr.SelectData) -> tuple[Any, ...]:
        """Open a cited page, a note or another page of a PDF in the viewer, and show the viewer tab."""
        session = session or Session()
        value = evt.value if isinstance(evt.value, str) else ""
        kind, _, rest = value.partition(":")
        content = None
        if kind == "cite":
            aid, _, n = rest.rpartition("-")
            answer = session.answers.get(aid)
            citation = next((c for c in answer.citations if str(c.n) == n), None) if answer else None
            if answer is not None and citation is not None:
                if citation.kind == "note":
                    note = self.tutor.notes.get(citation.reading_id, answer.language)
                    level = answer.background.level if answer.background else ""
                    if note is not None:
                        content = viewer.note_markdown(
                            note, level, answer.language, self.tutor.readings, self.local_pdf
                        )
                else:
                    page = viewer.render_page(self.settings, citation.reading_id, citation.page or 1, citation.quote)
                    page_label = words(ui_lang)["page"].format(page=citation.page) if citation.page else ""
                    where = ", ".join(x for x in [citation.section, page_label] if x)
                    reading = self.tutor.readings.by_id.get(citation.reading_id)
                    external = reading.page_url(citation.page) if reading else ""
                    content = viewer.page_markdown(page, citation.title, where, citation.quote, external, ui_lang)
        elif kind == "note":
            note = self.tutor.notes.get(rest, ui_lang)
            if note is not None:
                content = viewer.note_markdown(note, "", ui_lang, self.tutor.readings, self.local_pdf)
        elif kind == "page":
            doc_id, _, page_text = rest.rpartition(":")
            if page_text.isdigit():
                page = viewer.render_page(self.settings, doc_id, int(page_text))
                reading = self.tutor.readings.by_id.get(doc_id)
                title = reading.title if reading else doc_id
                external = reading.page_url(int(page_text)) if reading else ""
                content = viewer.page_markdown(page, title, "", "", external, ui_lang)
        if content is None:
            content = viewer.page_markdown(None, "", "", "", "", ui_lang)
        session.viewing = True
        return content, gr.Tabs(selected="source"), session

    def feedback(self, session: Session | None, data: gr.LikeData) -> None:
        """👍/👎 on an answer, stored with that answer's id (messages that are not answers are ignored)."""
        if session is None:
            return
        index = data.index if isinstance(data.index, int) else data.index[0]
        answer = session.answers.get(session.answer_at.get(index, ""))
        if answer is None:
            return
        liked = data.liked if isinstance(data.liked, bool) else data.liked == "Like"
        record_feedback(self.settings.data.dir / "feedback.jsonl", liked, answer.as_json())

    def clear(self, ui_lang: str) -> tuple[Any, ...]:
        session = Session()
        return [], "", session, self.suggestions(session, ui_lang)

    # ------------------------------------------------------------------------------------------ API

    def api_ask(
        self,
        question: str,
        level: str = "beginner",
        language: str = "auto",
        history: list[Any] | None = None,
        request: gr.Request | None = None,
    ) -> dict[str, Any]:
        """Ask the tutor one question; returns the same JSON object as `tutor ask --json`.

        question: the question, in English or Chinese (at most 2,000 characters).
        level: beginner, intermediate or expert.
        language: auto, en or zh (the answer's language; auto follows the question).
        history: the conversation so far, oldest first: earlier answers as this endpoint returned them
        (their question, topic and facet are used) or plain earlier questions.
        """
        try:
            asked = validate(
                AskRequest, {"question": question, "level": level, "language": language, "history": history or None}
            )
            return self.asking.answer(asked, learner_of(request) if request is not None else None)
        except ApiError as exc:
            raise gr.Error(exc.message, print_exception=False) from None


def build_app(settings: Settings, tutor: Tutor, study: StudyService, accounts: Accounts, asking: Asking) -> gr.Blocks:
    """The page. Handlers are thin: each calls TutorApp or the Study tab, which call the tutor and study mode."""
    ui = TutorApp(settings, tutor, asking)
    private: dict[str, Any] = {"api_visibility": "private"}
    answering: dict[str, Any] = {"concurrency_limit": ui.answer_limit, "concurrency_id": "answers", **private}

    with gr.Blocks(title="tutor · 大模型入门导师") as app:
        stored_lang = gr.BrowserState("", storage_key=LANG_KEY, secret="tutor-interface-language")
        session = gr.State(None)
        with gr.Row(elem_id="header"):
            with gr.Column(scale=5, min_width=240):
                gr.HTML("<h1>tutor · 大模型入门导师</h1>", elem_id="title")
                tagline = gr.HTML(panels.tagline_html("en"), elem_id="tagline")
            ui_lang = gr.Radio(
                UI_LANGS, value="en", show_label=False, elem_id="ui-lang", scale=0, min_width=150, container=False
            )
        status = gr.HTML(ui.status_html("en"), elem_id="status")
        with gr.Row(equal_height=False):
            with gr.Column(scale=3, min_width=320):
                chat = gr.Chatbot(
                    elem_id="chat",
                    show_label=False,
                    height=None,
                    max_height="calc(100vh - 240px)",
                    min_height=120,
                    autoscroll=False,
                    sanitize_html=True,
                    latex_delimiters=DELIMITERS,
                    feedback_options=("Like", "Dislike"),
                    buttons=[],
                    placeholder=t("en", "chat_empty"),
                    layout="panel",
                )
                with gr.Row(elem_id="ask-row"):
                    question = gr.Textbox(
                        placeholder=t("en", "placeholder"),
                        show_label=False,
                        scale=5,
                        min_width=160,
                        elem_id="question",
                        max_lines=6,
                        container=False,
                    )
                    send = gr.Button(t("en", "ask"), variant="primary", scale=1, min_width=70, elem_id="ask")
                suggestions = gr.HTML(ui.suggestions(None, "en"), elem_id="suggestions")
                with gr.Row(elem_id="controls"):
                    level = gr.Radio(
                        LEVEL_CHOICES["en"], value="beginner", label=t("en", "level"), elem_id="level", min_width=200
                    )
                    lang = gr.Radio(
                        ANSWER_LANGS["en"], value="auto", label=t("en", "answer_lang"), elem_id="lang", min_width=200
                    )
                    clear = gr.Button(t("en", "clear"), elem_id="clear", scale=0, min_width=90, size="sm")
            with (
                gr.Column(scale=2, min_width=320, elem_id="side"),
                gr.Tabs(elem_id="panels", overflow_behavior="wrap") as tabs,
            ):
                with gr.Tab(t("en", "path"), id="path", elem_id="path-tab") as path_tab:
                    path = gr.HTML(ui.path_html("en"), elem_id="path", padding=False)
                with gr.Tab(t("en", "map"), id="map", elem_id="map-tab") as map_tab:
                    path_map = gr.HTML(
                        ui.map_html("en"), elem_id="path-map", js_on_load=static("map.js"), padding=False
                    )
                with gr.Tab(t("en", "glossary"), id="glossary", elem_id="glossary-tab") as glossary_tab:
                    search = gr.Textbox(
                        placeholder=t("en", "search"),
                        show_label=False,
                        elem_id="glossary-search",
                        container=False,
                        interactive=True,
                    )
                    glossary = gr.Markdown(
                        ui.glossary_markdown("en"),
                        elem_id="glossary",
                        latex_delimiters=DELIMITERS,
                        sanitize_html=False,
                    )
                with gr.Tab(t("en", "source"), id="source", elem_id="source-tab") as source_tab:
                    view = gr.Markdown(
                        viewer.empty_markdown("en"),
                        elem_id="viewer",
                        latex_delimiters=DELIMITERS,
                        sanitize_html=False,
                    )
                ui.study = build_study_tab(app, settings, study, ui_lang, ui.local_pdf, static("study.js"))
                with gr.Tab(t("en", "numbers"), id="numbers", elem_id="numbers-tab") as numbers_tab:
                    numbers = build_numbers_panel("en", language=ui_lang)
                build_teacher_tab(app, study, accounts)
        ask_bridge = gr.HTML("", visible="hidden", js_on_load=static("ask.js"), elem_id="ask-bridge")
        page_bridge = gr.HTML("", visible="hidden", js_on_load=static("page.js"), elem_id="page-bridge")

        chat_outputs = [chat, question, session, suggestions]
        language_outputs = [
            ui_lang,
            tagline,
            status,
            chat,
            question,
            send,
            clear,
            level,
            lang,
            suggestions,
            path_tab,
            map_tab,
            glossary_tab,
            source_tab,
            numbers_tab,
            path,
            path_map,
            search,
            glossary,
            view,
            *ui.study.language_outputs,
            *numbers.language_outputs,
        ]

        asking_inputs = [question, level, lang, ui_lang, session]
        question.submit(ui.respond, asking_inputs, chat_outputs, **answering)
        send.click(ui.respond, asking_inputs, chat_outputs, **answering)
        ask_bridge.select(ui.respond_to, asking_inputs[1:], chat_outputs, **answering)
        page_bridge.select(ui.view, [session, ui_lang], [view, tabs, session], **private)
        clear.click(ui.clear, [ui_lang], chat_outputs, **private)
        chat.like(ui.feedback, [session], None, **private)
        map_tab.select(ui.map_for, [ui_lang], path_map, **private)

        def on_load(saved: str | None, request: gr.Request) -> tuple[Any, ...]:
            chosen = saved if saved in ("en", "zh") else browser_language(request.headers.get("accept-language", ""))
            return (*ui.language_updates(chosen, None, learner_of(request)), chosen)

        def switch(chosen: str, current: Session | None, request: gr.Request) -> tuple[Any, ...]:
            chosen = chosen if chosen in ("en", "zh") else "en"
            return (*ui.language_updates(chosen, current, learner_of(request)), chosen)

        def numbers_in(lang: str, *values: Any) -> tuple[Any, ...]:
            return NumbersPanel.refresh(lang, *values)

        loaded = app.load(on_load, [stored_lang], [*language_outputs, stored_lang], **private)
        switched = ui_lang.input(switch, [ui_lang, session], [*language_outputs, stored_lang], **private)
        for event in (loaded, switched):  # the results need the fields' current values, so they follow in a step
            event.then(numbers_in, [ui_lang, *numbers.inputs], [numbers.output, numbers.chart], **private)
        for event in ui.study.changed:  # an answer or a placement can move the learner to another stage
            event.then(ui.path_for, [ui_lang], [path], **private)
        gr.api(ui.api_ask, api_name="ask", concurrency_limit=ui.answer_limit, concurrency_id="answers")  # type: ignore[attr-defined]  # exported at runtime
    blocks: gr.Blocks = app
    return blocks
