"""Answers as safe Markdown for the chat: no HTML from a PDF or a model ever reaches the page as HTML."""

from __future__ import annotations

from collections.abc import Callable

from tutor.answer import Answer

LABELS = {
    "en": {"sources": "Sources", "page": "p."},
    "zh": {"sources": "来源", "page": "第"},
}


def safe(text: str) -> str:
    """Escape HTML so `<script>` in a document shows as text instead of running or vanishing.

    Only `&` and `<` are escaped: no tag can start without `<`, and a leading `>` must stay
    Markdown's quotation mark.
    """
    return text.replace("&", "&amp;").replace("<", "&lt;")


def answer_markdown(answer: Answer, link_for: Callable[[str, int | None, str], str]) -> str:
    """The answer text, any notice, and its sources with links that open the PDF at the page."""
    words = LABELS[answer.language]
    parts = []
    if answer.notice:
        parts.append(f"> **Note:** {safe(answer.notice)}\n")
    parts.append(safe(answer.text))
    if answer.citations:
        parts.append(f"\n\n**{words['sources']}**\n")
        for c in answer.citations:
            where = ", ".join(x for x in [c.section, f"p. {c.page}" if c.page else ""] if x)
            title = (
                f"[{safe(c.title)}]({link_for(c.reading_id, c.page, c.url)})"
                if link_for(c.reading_id, c.page, c.url)
                else safe(c.title)
            )
            parts.append(f"{c.n}. {title} · {safe(c.authors)}" + (f" — {safe(where)}" if where else ""))
            parts.append(f"   > “{safe(c.quote)}”")
    return "\n".join(parts)
