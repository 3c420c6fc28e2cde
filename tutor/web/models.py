"""The JSON the web API takes and gives, as pydantic models, and how a bad request is told in one line.

Request bodies are parsed here, never by a framework's default: nesting deeper than `max_json_depth` and
text that is not valid Unicode (a lone surrogate) are refused with 400 before any model sees them, and
a validation error names the field and what it must be, never echoing what was sent.
"""

from __future__ import annotations

import json
from typing import Any, Literal, TypeVar

from pydantic import BaseModel, ConfigDict, Field, StrictStr, ValidationError

MAX_HISTORY = 20  # earlier turns a request may carry
MAX_ID = 200  # longest item or concept id accepted (real ones are under 60)


class ApiError(Exception):
    """What the API answers instead of a result: the status (4xx for the request, 503/507 for the server) and
    one line that never echoes the input."""

    def __init__(self, message: str, status: int = 400) -> None:
        super().__init__(message)
        self.message = message
        self.status = status


# ------------------------------------------------------------------------------------------ parsing


def parse_json(body: bytes, max_depth: int) -> Any:
    """JSON from a request body, refusing what would crash or poison what comes after: bad JSON, nesting
    deeper than `max_depth` (Python's parser recurses), and lone surrogates (nothing can encode them)."""
    try:
        value = json.loads(body)
    except RecursionError:
        raise ApiError(f"Malformed request: JSON nested deeper than {max_depth} levels.") from None
    except (ValueError, UnicodeDecodeError):
        raise ApiError("Malformed request: the body is not JSON.") from None
    check_value(value, max_depth)
    return value


def check_value(value: Any, max_depth: int) -> None:
    """Walk a parsed value without recursion: depth and surrogates (see `parse_json`)."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            if has_surrogate(item):
                raise ApiError("Malformed request: text with a lone surrogate, which is not valid Unicode.")
            continue
        if not isinstance(item, (list, dict)):
            continue
        if depth > max_depth:
            raise ApiError(f"Malformed request: JSON nested deeper than {max_depth} levels.")
        children = list(item.keys()) + list(item.values()) if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children)


def has_surrogate(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return True
    return False


M = TypeVar("M", bound=BaseModel)


def validate(model: type[M], value: Any) -> M:
    """`value` as `model`, or a ApiError naming the first problem."""
    if not isinstance(value, dict):
        raise ApiError(f"Send a JSON object: {model.__doc__ or model.__name__}")
    try:
        return model.model_validate(value)
    except ValidationError as exc:
        raise ApiError(one_line(exc, model)) from None


def one_line(exc: ValidationError, model: type[BaseModel]) -> str:
    """The first validation problem as one line: which field, and what it must be (never the value sent)."""
    error = exc.errors(include_url=False, include_input=False)[0]
    loc = [str(part) for part in error["loc"] if not isinstance(part, int)]
    field = f"`{loc[0]}`" if loc else "the body"
    kind = error["type"]
    if loc and loc[0] == "history":
        if kind in ("list_type", "too_long") and len(loc) == 1:
            return f"`history` must be a list of at most {MAX_HISTORY} earlier answers or questions."
        return "Each `history` item must be an earlier answer object or a question."
    if kind == "missing":
        return f"{field} is required."
    if kind == "extra_forbidden":
        return f"Unknown field {field}; the fields are {', '.join(model.model_fields)}."
    if kind == "literal_error":
        expected = str((error.get("ctx") or {}).get("expected", "")).replace("'", "")
        return f"{field} must be one of {expected}."
    if kind in ("string_type", "string_sub_type"):
        return f"{field} must be text."
    if kind == "string_too_long":
        return f"{field} is too long (at most {(error.get('ctx') or {}).get('max_length')} characters)."
    return f"{field}: {error['msg']}."


# ------------------------------------------------------------------------------------------ asking


class HistoryTurn(BaseModel):
    """An earlier answer as `/api/ask` returned it; its question, topic and facet are what a follow-up needs."""

    model_config = ConfigDict(extra="ignore")
    question: StrictStr
    topic: StrictStr | None = None
    facet: StrictStr | None = None
    direct: StrictStr | None = None
    answer: StrictStr | None = None


Level = Literal["beginner", "intermediate", "expert"]


class AskRequest(BaseModel):
    """{"question": "...", "level": "beginner", "language": "auto", "history": []}."""

    model_config = ConfigDict(extra="forbid")
    question: StrictStr
    level: Level = "beginner"
    language: Literal["auto", "en", "zh"] = "auto"
    history: list[HistoryTurn | StrictStr] | None = Field(default=None, max_length=MAX_HISTORY)


class CitationOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    n: int
    reading_id: str
    title: str
    section: str | None = None
    page: int | None = None
    kind: str
    quote: str = ""


class ReadNextOut(BaseModel):
    model_config = ConfigDict(extra="allow")
    reading_id: str
    title: str
    section: str = ""
    why: str = ""
    question: str = ""


class AskResponse(BaseModel):
    """The `tutor ask --json` object (README, "Command line"); fields added later pass through."""

    model_config = ConfigDict(extra="allow")
    id: str
    question: str
    level: Level
    language: Literal["en", "zh"]
    backend: str
    covered: bool
    answer: str
    direct: str
    citations: list[CitationOut]
    read_next: list[ReadNextOut]


# ------------------------------------------------------------------------------------------ study


class NextRequest(BaseModel):
    """{"concept": "softmax" (optional), "lang": "en" or "zh"}."""

    model_config = ConfigDict(extra="forbid")
    concept: StrictStr | None = Field(default=None, max_length=MAX_ID)
    lang: Literal["en", "zh"] = "en"


class AnswerRequest(BaseModel):
    """{"item_id": "softmax.en.m1", "answer": "B" or free text}."""

    model_config = ConfigDict(extra="forbid")
    item_id: StrictStr = Field(max_length=MAX_ID)
    answer: StrictStr


class NextResponse(BaseModel):
    """`tutor study next --json`."""

    item_id: str
    concept: str
    kind: Literal["mcq", "open"]
    question: str
    choices: list[str] | None = None
    level: str
    due_reviews: int
    why: str


class SourceOut(BaseModel):
    reading_id: str
    section: str
    page: int | None


class AnswerResponse(BaseModel):
    """`tutor study answer --json`."""

    item_id: str
    correct: bool
    score: float
    hit: list[str]
    missed: list[str]
    read: list[SourceOut]
    mastery: dict[str, float]
    next_review: str


class StageOut(BaseModel):
    stage: str
    mastered: int
    total: int


class ConceptOut(BaseModel):
    id: str
    mastery: float
    ready: bool
    due: bool


class ProgressResponse(BaseModel):
    """`tutor study progress --json`."""

    stages: list[StageOut]
    concepts: list[ConceptOut]


class ErrorResponse(BaseModel):
    error: str
