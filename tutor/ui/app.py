"""The web tutor: layout and event handlers only; answering lives in tutor.answer.

Page: chat (streamed, with sources and read-next) beside panels for the reading path, a map of
the path, and the glossary. Library PDFs are served through Gradio's file route, so a citation
opens the local file at the cited page, behind the same login as the page.
"""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Iterator
from typing import Any

os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr  # noqa: E402 -- analytics must be off before gradio is imported
from fastapi import FastAPI  # noqa: E402

from tutor.answer import Answer, Tutor, is_reset  # noqa: E402
from tutor.config import Settings  # noqa: E402
from tutor.errors import TutorError  # noqa: E402
from tutor.feedback import record_feedback  # noqa: E402
from tutor.library import find_in_library, list_library  # noqa: E402
from tutor.readings import Reading  # noqa: E402
from tutor.ui.pathmap import render_path_map  # noqa: E402
from tutor.ui.render import answer_markdown, safe  # noqa: E402
from tutor.ui.study_tab import build_study_tab  # noqa: E402

log = logging.getLogger(__name__)

LEVEL_CHOICES = [("Beginner · 入门", "beginner"), ("Intermediate · 进阶", "intermediate"), ("Expert · 专家", "expert")]
LANG_CHOICES = [("Auto · 自动", "auto"), ("中文", "zh"), ("English", "en")]
I18N = gr.I18n(
    en={
        "ask": "Ask",
        "placeholder": "Ask about the readings, in English or Chinese…",
        "clear": "Clear chat",
        "level": "Level",
        "lang": "Answer language",
        "read_next": "Read next (click to ask)",
        "path": "Reading path",
        "map": "Map of the path",
        "glossary": "Glossary",
        "search": "Search the glossary",
        "chat": "Tutor",
    },
    zh={
        "ask": "提问",
        "placeholder": "用中文或英文提问……",
        "clear": "清空对话",
        "level": "难度",
        "lang": "回答语言",
        "read_next": "接下来读（点击即可提问）",
        "path": "阅读路径",
        "map": "路径图",
        "glossary": "术语表",
        "search": "搜索术语",
        "chat": "导师",
    },
)
EMPTY_MESSAGE = "Please type a question first. · 请先输入一个问题。"


def ask_about(reading: Reading) -> str:
    first = reading.sections[0].name if reading.sections else ""
    return f"What is “{reading.title}” about, and what should I read first in it ({first})?"


def read_next_question(title: str, section: str, lang: str) -> str:
    if lang == "zh":
        return f"《{title}》的 {section} 讲了什么？" if section else f"《{title}》讲了什么？"
    return f"What does “{title}” explain in {section}?" if section else f"What does “{title}” explain?"


class TutorApp:
    """Holds the tutor and renders its answers for the page."""

    def __init__(self, settings: Settings, tutor: Tutor) -> None:
        self.settings = settings
        self.tutor = tutor

    # ------------------------------------------------------------------------------------------ text

    def link_for(self, reading_id: str, page: int | None, url: str) -> str:
        """The local PDF at the page when the file is here (Gradio serves it, behind TUTOR_AUTH if set),
        else the canonical URL."""
        path = find_in_library(self.settings, reading_id)
        if path is not None and path.suffix.lower() == ".pdf":
            return f"/gradio_api/file={path.resolve()}" + (f"#page={page}" if page else "")
        return url

    def status_line(self) -> str:
        docs = self.tutor.store.manifest.docs
        readings = [d for d in docs if d in self.tutor.readings.by_id]
        notes = {d.split(".")[0] for d in docs if d.startswith("note-")}
        backend = self.tutor.backend
        who = (
            f"LLM server {self.settings.llm.base_url} ({self.settings.llm.model})"
            if backend.name == "openai"
            else "offline study cards (no language model; set TUTOR_LLM_BASE_URL to use one)"
        )
        missing = len(self.tutor.readings.readings) - len(readings)
        add = (
            f" · {missing} readings not indexed: run `tutor fetch`, or `tutor add FILE --as ID`, then `tutor ingest`"
            if missing
            else ""
        )
        return f"**Answering with:** {who} · **Indexed:** {len(readings)} readings, {len(notes)} study notes{add}"

    def path_markdown(self, stage_id: str, have: set[str]) -> str:
        """One stage's readings; `have` is the doc ids in the library, listed once for all stages."""
        indexed = set(self.tutor.store.manifest.docs)
        lines = []
        for r in self.tutor.readings.in_stage(stage_id):
            state = (
                "**indexed**"
                if r.id in indexed
                else "in library, not indexed yet: `tutor ingest`"
                if r.id in have
                else "not here yet: `tutor fetch`"
                if r.fetchable
                else f"add your copy: `tutor add FILE --as {r.id}`"
            )
            sections = "; ".join(s.name + (f" (p. {s.page})" if s.page else "") for s in r.sections)
            extra = "" if r.in_article else " *(tutor's addition)*"
            lines.append(
                f"**[{safe(r.title)}]({r.url})** — {safe(r.short_authors)}, {r.year}{extra} · {state}  \n"
                f"{safe(r.why_en)}  \n{safe(r.why_zh)}  \n*Read:* {safe(sections)}"
            )
        return "\n\n".join(lines)

    def glossary_rows(self, needle: str = "") -> list[list[str]]:
        return [[t.en, " / ".join(t.zh), t.def_en, t.def_zh, t.note] for t in self.tutor.glossary.search(needle)]

    # ------------------------------------------------------------------------------------------ events

    def respond(
        self,
        question: str,
        chat: list[dict[str, Any]],
        pairs: list[tuple[str, str]],
        answers: list[dict[str, Any]],
        level: str,
        lang: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Stream one answer into the chat; problems become chat messages, never a broken page."""
        chat = [*chat, {"role": "user", "content": safe(question.strip()) or "…"}]
        no_next = gr.Dataset(samples=[])
        if not question.strip():
            chat.append({"role": "assistant", "content": EMPTY_MESSAGE})
            yield chat, "", pairs, answers, no_next
            return
        chat.append({"role": "assistant", "content": "…"})
        yield chat, "", pairs, answers, no_next
        text = ""
        try:
            for piece in self.tutor.stream(question, level=level, lang=lang, history=pairs):
                if isinstance(piece, Answer):
                    chat[-1] = {"role": "assistant", "content": answer_markdown(piece, self.link_for)}
                    pairs = [*pairs, (question.strip(), piece.text)]
                    answers = [*answers, piece.as_json()]
                    samples = [[read_next_question(r.title, r.section, piece.language)] for r in piece.read_next]
                    yield chat, "", pairs, answers, gr.Dataset(samples=samples)
                    return
                text = "" if is_reset(piece) else text + piece
                chat[-1] = {"role": "assistant", "content": safe(text) or "…"}
                yield chat, "", pairs, answers, no_next
        except TutorError as exc:
            chat[-1] = {"role": "assistant", "content": f"**Note:** {safe(str(exc))}"}
            yield chat, question, pairs, answers, no_next
        except Exception as exc:  # the session must survive anything; the terminal gets the traceback
            log.exception("answer failed")
            chat[-1] = {
                "role": "assistant",
                "content": f"**Sorry:** something went wrong answering that "
                f"({type(exc).__name__}). Please try again; the rest of the session still works.",
            }
            yield chat, question, pairs, answers, no_next

    def feedback(self, answers: list[dict[str, Any]], chat: list[dict[str, Any]], data: gr.LikeData) -> None:
        index = data.index if isinstance(data.index, int) else data.index[0]
        assistant_turn = sum(1 for m in chat[: index + 1] if m["role"] == "assistant") - 1
        if 0 <= assistant_turn < len(answers):
            record_feedback(self.settings.data.dir / "feedback.jsonl", bool(data.liked), answers[assistant_turn])


def build_app(settings: Settings, tutor: Tutor) -> gr.Blocks:
    """The page. Handlers are thin: each calls TutorApp, which calls the tutor."""
    ui = TutorApp(settings, tutor)
    map_png = render_path_map(tutor.readings, settings.data.dir / "cache" / "path-map.png")
    answer_limit = settings.llm.concurrency if tutor.backend.name == "openai" else 8

    with gr.Blocks(title="tutor · LLM study path") as app:
        gr.Markdown(
            "## tutor · 大模型入门导师\nA study tutor for the reading path from ML foundations to LLM "
            "serving. 按原文的阅读路径提问，答案附出处与页码。"
        )
        status = gr.Markdown(ui.status_line(), elem_id="status")
        pairs = gr.State([])
        answers = gr.State([])
        with gr.Row():
            with gr.Column(scale=3):
                chat = gr.Chatbot(
                    label=I18N("chat"),
                    height=560,
                    elem_id="chat",
                    sanitize_html=True,
                    feedback_options=("Like", "Dislike"),
                    latex_delimiters=[{"left": "$$", "right": "$$", "display": True}],
                )
                with gr.Row():
                    question = gr.Textbox(
                        placeholder=I18N("placeholder"), show_label=False, scale=5, elem_id="question", max_lines=6
                    )
                    send = gr.Button(I18N("ask"), variant="primary", scale=1, elem_id="ask")
                with gr.Row():
                    level = gr.Radio(LEVEL_CHOICES, value="beginner", label=I18N("level"), elem_id="level")
                    lang = gr.Radio(LANG_CHOICES, value="auto", label=I18N("lang"), elem_id="lang")
                    clear = gr.Button(I18N("clear"), elem_id="clear", scale=0)
                hidden_q = gr.Textbox(visible=False)
                read_next = gr.Dataset(
                    components=[hidden_q], samples=[], label=I18N("read_next"), elem_id="read-next", samples_per_page=3
                )

                inputs = [question, chat, pairs, answers, level, lang]
                outputs = [chat, question, pairs, answers, read_next]
                answer_options: dict[str, Any] = {"concurrency_limit": answer_limit, "concurrency_id": "answers"}

                def then_answer(filled: Any) -> None:
                    """After an event fills the question box, answer it like the Ask button does."""
                    filled.then(ui.respond, inputs, outputs, **answer_options)

                have = {f.doc_id for f in list_library(settings, tutor.readings)}
            with gr.Column(scale=2):
                with gr.Tab(I18N("path"), elem_id="path-tab"):
                    for stage in tutor.readings.ordered_stages():
                        with gr.Accordion(f"{stage.order}. {stage.title_en} · {stage.title_zh}", open=stage.order == 1):
                            gr.Markdown(f"*{stage.summary_en}*  \n*{stage.summary_zh}*")
                            with gr.Row():
                                for starter in [*stage.starters_en, *stage.starters_zh]:
                                    starter_button = gr.Button(starter, size="sm")
                                    then_answer(starter_button.click(lambda s=starter: s, None, question))
                            gr.Markdown(ui.path_markdown(stage.id, have))
                            for reading in tutor.readings.in_stage(stage.id):
                                button = gr.Button(
                                    f"Ask about {reading.short_authors} {reading.year}",
                                    size="sm",
                                    elem_classes=["ask-reading"],
                                )
                                then_answer(button.click(lambda r=reading: ask_about(r), None, question))
                with gr.Tab(I18N("map"), elem_id="map-tab"):
                    gr.Image(
                        str(map_png), show_label=False, buttons=["fullscreen"], interactive=False, elem_id="path-map"
                    )
                with gr.Tab(I18N("glossary"), elem_id="glossary-tab"):
                    needle = gr.Textbox(placeholder=I18N("search"), show_label=False, elem_id="glossary-search")
                    table = gr.Dataframe(
                        ui.glossary_rows(),
                        headers=["English", "中文", "definition", "定义", "note"],
                        interactive=False,
                        wrap=True,
                        elem_id="glossary",
                    )
                    needle.change(ui.glossary_rows, needle, table, concurrency_limit=None)
                build_study_tab(app, settings, tutor)

        question.submit(ui.respond, inputs, outputs, **answer_options)
        send.click(ui.respond, inputs, outputs, api_name="respond", **answer_options)
        then_answer(read_next.click(lambda sample: sample[0], read_next, question))
        clear.click(lambda: ([], "", [], [], gr.Dataset(samples=[])), None, outputs)
        chat.like(ui.feedback, [answers, chat], None)
        app.load(ui.status_line, None, status)
    blocks: gr.Blocks = app
    return blocks


def make_server(settings: Settings, tutor: Tutor) -> FastAPI:
    """The Gradio page on a FastAPI app; library PDFs are served by Gradio's file route (allowed_paths)."""
    auth = None
    if settings.auth:
        user, _, password = settings.auth.partition(":")
        auth = (user, password)
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    app = build_app(settings, tutor)
    app.queue(default_concurrency_limit=8)
    mounted: FastAPI = gr.mount_gradio_app(
        FastAPI(title="tutor", docs_url=None, redoc_url=None, openapi_url=None),
        app,
        path="/",
        auth=auth,
        i18n=I18N,
        footer_links=[],
        allowed_paths=[str(settings.library_dir.resolve())],
        server_name=settings.server.host,
        server_port=settings.server.port,
        theme=gr.themes.Soft(),
        css=".ask-reading {min-width: 0 !important}",
    )
    return mounted


def serve(settings: Settings, tutor: Tutor) -> None:
    import uvicorn

    server = make_server(settings, tutor)
    # The page comes up first; the model loads in the background before most learners have typed.
    threading.Thread(target=tutor.retriever.warm_up, daemon=True).start()
    uvicorn.run(server, host=settings.server.host, port=settings.server.port, log_level="warning")
