"""The JSON API: `/api/ask` and `/api/study/*`, for the caller's own learner only.

Every route takes the learner from `login.signed_in` (the signed session cookie), never from the body. The
page's Gradio handlers call the same functions: `Asking.answer` for `/ask`, the `StudyService` methods for
the Study tab. Bodies are parsed by `models.parse_json` and validated by the request models; a refusal is
`{"error": "…"}` in one line with a 4xx status, a server failure 503 (index server down) or 507 (disk full).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
from typing import Any, TypeVar

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel
from starlette.concurrency import run_in_threadpool

from tutor.accounts import Accounts
from tutor.answer import Answer, Tutor
from tutor.config import Settings
from tutor.conversation import Turn
from tutor.errors import TutorError
from tutor.failures import classify, scrub
from tutor.study.service import StudyService
from tutor.study.teacher import class_view
from tutor.web.login import Caller
from tutor.web.models import (
    AnswerRequest,
    AnswerResponse,
    ApiError,
    AskRequest,
    AskResponse,
    ErrorResponse,
    HistoryTurn,
    NextRequest,
    NextResponse,
    ProgressResponse,
    parse_json,
    validate,
)

log = logging.getLogger(__name__)
M = TypeVar("M", bound=BaseModel)
ERRORS: dict[int | str, dict[str, Any]] = {
    code: {"model": ErrorResponse} for code in (400, 401, 403, 404, 413, 503, 507)
}


class Asking:
    """One question answered for the API and for the page's `/ask`: the `tutor ask --json` object, and the
    question kept in the asker's study record (exposure for the concept; the teacher's "asked most" list)."""

    def __init__(self, settings: Settings, tutor: Tutor, study: StudyService | None) -> None:
        self.settings = settings
        self.tutor = tutor
        self.study = study

    def answer(self, request: AskRequest, learner: str | None) -> dict[str, Any]:
        turns = [_turn(item) for item in request.history or []]
        try:
            answer = self.tutor.ask(request.question, request.level, request.language, turns)
        except TutorError as exc:
            raise self.refusal(exc) from None
        except Exception as exc:
            raise self.refusal(exc) from exc
        self.record(learner, answer)
        return answer.as_json()

    def refusal(self, exc: BaseException) -> ApiError:
        """What to tell the asker about an exception: a TutorError as it says (4xx), a server failure as such."""
        failure = classify(exc, self.settings)
        if failure is not None:
            return ApiError(failure.message, failure.status)
        if isinstance(exc, TutorError):
            return ApiError(scrub(str(exc), self.settings).splitlines()[0], 400)
        log.exception("answer failed", exc_info=exc)
        return ApiError(f"The tutor failed to answer ({type(exc).__name__}); the server log has the details.", 500)

    def record(self, learner: str | None, answer: Answer) -> None:
        """Exposure (never mastery) for the concept answered, and the question itself; a full disk or a locked
        database must not cost the learner the answer."""
        if self.study is None or not learner:
            return
        topic = answer.topic if answer.covered else ""
        with contextlib.suppress(TutorError):
            if topic:
                self.study.record_exposure(learner, topic)
            self.study.record_question(learner, answer.question, topic, answer.covered)


def _turn(item: HistoryTurn | str) -> Turn:
    if isinstance(item, str):
        return Turn(item[:2000])
    return Turn(item.question[:2000], item.topic or "", item.facet or "", (item.direct or item.answer or "")[:2000])


def error_response(exc: ApiError) -> JSONResponse:
    return JSONResponse({"error": exc.message}, status_code=exc.status)


def api_routes(settings: Settings, asking: Asking, study: StudyService, accounts: Accounts) -> APIRouter:
    router = APIRouter(prefix="/api", responses=ERRORS)
    # Answers are CPU-bound: as many at once as cores, the rest wait their turn in arrival order (an asyncio
    # semaphore is fair), so fifty learners at once share the machine instead of thrashing it.
    answering = asyncio.Semaphore(max(1, os.cpu_count() or 1))
    depth = settings.server.max_json_depth

    async def body(request: Request, model: type[M]) -> M:
        return validate(model, parse_json(await request.body(), depth))

    async def study_call(function: Any, *args: Any) -> Any:
        try:
            return await run_in_threadpool(function, *args)
        except Exception as exc:  # noqa: BLE001 -- every failure becomes a status and one line
            raise asking.refusal(exc) from None

    @router.post("/ask", response_model=AskResponse)
    async def ask(request: Request, who: Caller) -> Any:
        """Plain JSON in, the `tutor ask --json` object out: the page's `/ask` without Gradio's queue."""
        question = await body(request, AskRequest)
        async with answering:
            return await run_in_threadpool(asking.answer, question, who.name)

    @router.post("/study/next", response_model=NextResponse, response_model_exclude_none=True)
    async def study_next(request: Request, who: Caller) -> Any:
        """What to practise next: the same object as `tutor study next --json`."""
        wanted = await body(request, NextRequest)
        proposal = await study_call(study.next, who.name, wanted.concept, wanted.lang)
        return proposal.as_json()

    @router.post("/study/answer", response_model=AnswerResponse)
    async def study_answer(request: Request, who: Caller) -> Any:
        """Grade and record an answer: the same object as `tutor study answer --json`."""
        reply = await body(request, AnswerRequest)
        async with answering:
            result = await study_call(study.answer, who.name, reply.item_id, reply.answer)
        return result.as_json()

    @router.get("/study/progress", response_model=ProgressResponse)
    async def study_progress(who: Caller) -> Any:
        """Mastery per stage and concept: the same object as `tutor study progress --json`."""
        report = await study_call(lambda: study.progress(who.name, empty_if_new=True))
        return report.as_json()

    @router.get("/study/export")
    async def study_export(who: Caller) -> Response:
        """The caller's whole record as a JSON download (what `tutor study import` reads)."""
        record = await study_call(lambda: study.export(who.name) if study.known_learner(who.name) else {})
        return Response(
            json.dumps(record, ensure_ascii=False, indent=1),
            media_type="application/json",
            headers={"Content-Disposition": 'attachment; filename="tutor-study-record.json"'},
        )

    @router.get("/study/class")
    async def study_class(who: Caller) -> Any:
        """The teacher's view of the class (`tutor study class --json`); teachers only."""
        if not who.teacher:
            raise ApiError("Only a teacher's account sees the class.", status=403)
        roster = [a.name for a in accounts.list() if not a.teacher]
        return (await study_call(class_view, study, roster)).as_json()

    return router
