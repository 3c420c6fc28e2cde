"""What a backend writes the direct answer from: the question, the retrieval and the offline card.

Its own module so the backends (tutor/llm/) and the Tutor (tutor/answer.py) both import it, not each other.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

from tutor.card import Card
from tutor.conversation import Turn
from tutor.glossary import Glossary
from tutor.retrieve import Retrieval

if TYPE_CHECKING:
    from langchain_core.embeddings import Embeddings

    from tutor.llm.report import Generation


@dataclass
class AnswerContext:
    """What a backend writes the direct answer from: the question, the retrieval and the offline card."""

    question: str
    level: str
    lang: str
    retrieval: Retrieval
    card: Card
    history: Sequence[Turn] = ()
    embeddings: Embeddings | None = None  # the tutor's embedding model, for checking generated sentences
    glossary: Glossary | None = None
    generation: Generation | None = None  # filled in by an LLM backend: timings, tokens, grounding checks
