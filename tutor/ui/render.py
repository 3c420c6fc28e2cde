"""Answers as HTML-in-Markdown for the chat: the direct answer first, then background and evidence folded,
then the sources numbered exactly as the [n] markers, each marker a link to its source.

Every string from a PDF, a note or a model goes through `tutor.ui.maths`, which escapes HTML and
typesets formulas, so a `<script>` in a document is shown as text. Gradio's sanitiser keeps `id`,
`class` and `href` (it drops `data-*`), so ids carry what the page script needs: `src-<answer>-<n>`
for a source, `open-<answer>-<n>` for its "open here" link.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable
from typing import Any
from urllib.parse import quote, urlsplit

from tutor.answer import Answer
from tutor.citations import Citation, ReadNext
from tutor.ui.maths import escape_html, plain, repair_pdf, typeset

WORDS: dict[str, dict[str, Any]] = {
    "en": {
        "background": "Background",
        "evidence": "What the readings say",
        "sources": "Sources",
        "read_next": "Read next",
        "copy": "Copy",
        "open_page": "Open p. {page} here",
        "open_doc": "Open here",
        "open_note": "Open the note",
        "pdf": "PDF",
        "page": "p. {page}",
        "not_here": "Not in your library yet. Add your copy: <code>tutor add FILE --as {id}</code>",
        "ocr": "text read by OCR",
        "as_printed": "formula shown as printed in the PDF",
        "not_covered": "Not covered by the readings",
        "note": "Note",
        "levels": {"beginner": "beginner", "intermediate": "intermediate", "expert": "expert"},
        "ask_reading": "What should I read first in “{title}”, and why is it on the path?",
        "long_question": "(a question of {n:,} characters, not shown)",
        "checked": "How the generated sentences were checked ({kept} of {total} kept)",
        "kept": "checked against",
        "dropped": "left out",
        "discarded": "The model's answer was not shown; these are its sentences and why they did not hold up.",
    },
    "zh": {
        "background": "背景",
        "evidence": "原文怎么说",
        "sources": "来源",
        "read_next": "接下来读",
        "copy": "复制",
        "open_page": "在此打开第 {page} 页",
        "open_doc": "在此打开",
        "open_note": "打开笔记",
        "pdf": "PDF",
        "page": "第 {page} 页",
        "not_here": "你的资料库里还没有这篇。添加你的副本：<code>tutor add FILE --as {id}</code>",
        "ocr": "OCR 识别的文字",
        "as_printed": "公式按 PDF 原样显示",
        "not_covered": "阅读材料里没有这个问题",
        "note": "提示",
        "levels": {"beginner": "入门", "intermediate": "进阶", "expert": "专家"},
        "ask_reading": "《{title}》应该先读哪些部分？它为什么在阅读路径上？",
        "long_question": "（问题长达 {n:,} 个字符，不显示）",
        "checked": "生成的句子如何核对（保留 {kept} / 共 {total} 句）",
        "kept": "核对依据",
        "dropped": "未采用",
        "discarded": "模型的回答没有展示；以下是它的句子以及未通过核对的原因。",
    },
}
_MARKER = re.compile(r"\[(\d{1,2})\]")
_MATHISH = re.compile(r"[√∑Σ∏Π→←∂≤≥≈∈]|[A-Za-z]\s[a-z]\s*=")
SHOWN_QUESTION_CHARS = 2000
# A Markdown link or reference definition whose target is a script or inline data: shown as text, never a link.
_LINK_TARGET = re.compile(r"\]\(\s*<?([^)>]*)")
_REFERENCE = re.compile(r"^(\s{0,3}\[[^\]]+\]):(?=\s*<?\S)", re.MULTILINE)
_UNSAFE_SCHEMES = ("javascript:", "data:", "vbscript:")


def _unsafe(target: str) -> bool:
    """Browsers ignore case, spaces and control characters inside a scheme (`Java\tScript:`), and Markdown
    decodes entities in a link target (`&#106;avascript:`)."""
    flat = re.sub(r"[\x00-\x20]+", "", html.unescape(html.unescape(target))).lower().lstrip("<")
    return flat.startswith(_UNSAFE_SCHEMES)


def defuse_links(markdown: str) -> str:
    """Markdown whose `[text](javascript:…)` / `data:` links and reference definitions are shown as text.

    Escaping HTML stops `<a href=…>`, but Markdown's own link syntax would still become a link."""
    markdown = _LINK_TARGET.sub(lambda m: "]\\(" + m.group(0)[2:] if _unsafe(m.group(1)) else m.group(0), markdown)

    def reference(m: re.Match[str]) -> str:
        rest = markdown[m.end() :].lstrip(" \t<")
        return f"{m.group(1)}\\:" if _unsafe(rest) else m.group(0)

    return _REFERENCE.sub(reference, markdown)


def words(lang: str) -> dict[str, Any]:
    return WORDS.get(lang, WORDS["en"])


def _w(lang: str, key: str) -> str:
    return str(words(lang)[key])


def question_markdown(question: str, lang: str = "en") -> str:
    """The learner's bubble: their question as text, never echoed back when it is oversized."""
    text = question.replace("\x00", "").strip()
    if len(text) > SHOWN_QUESTION_CHARS:
        return escape_html(_w(lang, "long_question").format(n=len(text)))
    return defuse_links(plain(text)) or "…"


def streaming_markdown(text: str) -> str:
    """What is written so far, while a backend streams: plain escaped text, no links yet."""
    return defuse_links(f'<div class="answer streaming">\n\n{typeset(text) or "…"}\n\n</div>')


def message_markdown(text: str) -> str:
    """A one-line message from the tutor (empty question, a problem)."""
    return defuse_links(f'<div class="tutor-note">\n\n{plain(text)}\n\n</div>')


def read_next_question(item: ReadNext, lang: str) -> str:
    """The question to ask about a read-next pointer: its own when it is one, else one about the reading."""
    if item.question.rstrip().endswith(("?", "？")):
        return item.question.strip()
    return _w(lang, "ask_reading").format(title=item.title)


def answer_markdown(answer: Answer, local_pdf: Callable[[str], bool]) -> str:
    """The whole answer card. `local_pdf(doc_id)` says whether the library has that PDF to open here."""
    lang = answer.language
    aid = answer.id
    levels = words(lang)["levels"]
    assert isinstance(levels, dict)
    level = levels.get(answer.level, answer.level)

    def cite(text: str) -> str:
        return _MARKER.sub(lambda m: f'<a class="cite" href="#src-{aid}-{m.group(1)}">[{m.group(1)}]</a>', text)

    title = (
        answer.background.title
        if answer.background
        else (_w(lang, "not_covered") if not answer.covered else answer.question)
    )
    parts = [
        f'<div class="answer" id="ans-{aid}">',
        f'<div class="answer-title"><span class="answer-topic">{plain(title)}</span> '
        f'<span class="badge">{escape_html(level)}</span></div>',
        "",
    ]
    if answer.notice:
        parts += [f'<div class="tutor-note">{_w(lang, "note")}: {plain(answer.notice)}</div>', ""]
    body = answer.direct if answer.covered and answer.direct else answer.text
    parts += ['<div class="answer-direct">', "", cite(typeset(body)), "", "</div>", ""]
    if answer.also:  # the second reading of the question, under its own question
        parts += ['<div class="answer-also">', "", cite(typeset(answer.also)), "", "</div>", ""]

    if answer.checks:
        parts += _checks_html(answer, cite, lang)

    if answer.background is not None:
        b = answer.background
        summary = f"{_w(lang, 'background')} · {plain(b.title)} · {escape_html(levels.get(b.level, b.level))}"
        parts += [
            '<details class="answer-background">',
            f"<summary>{summary}</summary>",
            "",
            cite(typeset(b.text) + f" [{b.n}]"),
            "",
            "</details>",
            "",
        ]
    shown_quotes = set()
    if answer.evidence:
        parts += [
            '<details class="answer-evidence" open>',
            f"<summary>{_w(lang, 'evidence')} ({len(answer.evidence)})</summary>",
            "",
        ]
        by_n = {c.n: c for c in answer.citations}
        for q in answer.evidence:
            shown_quotes.add(q.text)
            citation = by_n.get(q.n)
            where = ""
            if citation is not None and citation.page:
                where = " · " + _page_link(aid, citation, local_pdf, lang)
            quoted = repair_pdf(q.text)
            unrepaired = _MATHISH.search(re.sub(r"\$[^$]*\$", "", quoted))
            hint = f' <span class="hint">({_w(lang, "as_printed")})</span>' if unrepaired else ""
            ocr = f' <span class="hint">({_w(lang, "ocr")})</span>' if q.ocr else ""
            parts += [f"> {cite(quoted + f' [{q.n}]')}{where}{hint}{ocr}", ""]
        parts += ["</details>", ""]

    if answer.citations:
        parts += [
            '<div class="answer-sources">',
            f'<div class="sources-title">{_w(lang, "sources")}</div>',
            '<ol class="sources">',
        ]
        for c in answer.citations:
            parts.append(_source_item(aid, c, local_pdf, lang, show_quote=c.quote not in shown_quotes))
        parts += ["</ol>", "</div>", ""]

    if answer.read_next:
        parts += [
            '<div class="answer-next">',
            f'<div class="sources-title">{_w(lang, "read_next")}</div>',
            "<ul>",
        ]
        for r in answer.read_next:
            where = f" — {plain(r.section)}" if r.section else ""
            parts.append(
                f'<li><a class="ask-q" href="#ask">{plain(read_next_question(r, lang))}</a>'
                f'<div class="next-where"><b>{plain(r.title)}</b>{where}</div>'
                f'<div class="next-why">{typeset(r.why)}</div></li>'
            )
        parts += ["</ul>", "</div>", ""]
    parts += [
        f'<div class="answer-actions"><a class="copy-answer" href="#ans-{aid}">{_w(lang, "copy")}</a></div>',
        "</div>",
    ]
    return defuse_links("\n".join(parts))


def _checks_html(answer: Answer, cite: Callable[[str], str], lang: str) -> list[str]:
    """Which generated sentence was checked against which source sentence, and what was left out and why."""
    kept = sum(c.shown for c in answer.checks)
    title = _w(lang, "checked").format(kept=kept, total=len(answer.checks))
    rows = ['<details class="answer-checks">', f"<summary>{escape_html(title)}</summary>", ""]
    if answer.generation and answer.generation.get("fell_back"):
        rows += [f'<div class="hint">{escape_html(_w(lang, "discarded"))}</div>', ""]
    rows.append('<ul class="checks">')
    for check in answer.checks:
        if check.shown and check.n is not None:
            detail = f"{_w(lang, 'kept')} {cite(f'[{check.n}]')}: “{plain(check.source)}”"
            rows.append(f'<li class="check-kept">✓ {plain(check.sentence)}<div class="hint">{detail}</div></li>')
        else:
            reason = f"{_w(lang, 'dropped')}: {escape_html(check.reason or check.verdict)}"
            rows.append(f'<li class="check-dropped">✗ {plain(check.sentence)}<div class="hint">{reason}</div></li>')
    rows += ["</ul>", "</details>", ""]
    return rows


def library_url(doc_id: str, page: int | None = None) -> str:
    """The app's own route to a library file: no server path in the page, behind the same login."""
    return f"library/{quote(doc_id, safe='')}" + (f"#page={page}" if page else "")


def _page_link(aid: str, c: Citation, local_pdf: Callable[[str], bool], lang: str) -> str:
    label = _w(lang, "page").format(page=c.page)
    if local_pdf(c.reading_id):
        return f'<a class="open-here" id="open-{aid}-{c.n}" href="{library_url(c.reading_id, c.page)}">{label}</a>'
    return f'<a href="{escape_html(c.url)}" target="_blank">{label}</a>' if c.url else label


def _source_item(aid: str, c: Citation, local_pdf: Callable[[str], bool], lang: str, show_quote: bool) -> str:
    where = ", ".join(x for x in [c.section, _w(lang, "page").format(page=c.page) if c.page else ""] if x)
    head = f"<b>{plain(c.title)}</b> · {plain(c.authors)}" + (f" — {plain(where)}" if where else "")
    links: list[str] = []
    if c.kind == "note":
        links.append(f'<a class="open-here" id="open-{aid}-{c.n}" href="#note">{_w(lang, "open_note")}</a>')
    elif c.kind == "reading-list":
        links.append(f'<span class="not-here">{_w(lang, "not_here").format(id=escape_html(c.reading_id))}</span>')
    elif local_pdf(c.reading_id):
        label = _w(lang, "open_page").format(page=c.page) if c.page else _w(lang, "open_doc")
        href = library_url(c.reading_id, c.page)
        links.append(f'<a class="open-here" id="open-{aid}-{c.n}" href="{href}">{label}</a>')
        links.append(f'<a href="{href}" target="_blank">{_w(lang, "pdf")} ↗</a>')
    if c.url and c.kind != "note":
        links.append(f'<a href="{escape_html(c.url)}" target="_blank">{escape_html(host(c.url))} ↗</a>')
    if c.ocr:
        links.append(f'<span class="hint">{_w(lang, "ocr")}</span>')
    quote_html = f'<div class="src-quote">“{repair_pdf(c.quote, in_html=True)}”</div>' if show_quote and c.quote else ""
    return (
        f'<li id="src-{aid}-{c.n}" value="{c.n}"><span class="src-n">[{c.n}]</span> {head}'
        f'<div class="src-links">{" · ".join(links)}</div>{quote_html}</li>'
    )


def host(url: str) -> str:
    host = urlsplit(url).netloc
    return host.removeprefix("www.") or url
