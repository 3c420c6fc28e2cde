"""The request guard: what every request body must satisfy before the app parses it.

Plain ASGI middleware, so Gradio's event streams pass with no per-chunk cost (unlike Starlette's
BaseHTTPMiddleware). In order:

- a body over `server.max_body_kb` (an upload: `server.max_upload_mb`) gets 413 before it is read further;
- a JSON body sent to Gradio is parsed once here: bad JSON, nesting deeper than `server.max_json_depth` and lone
  surrogates get 400 (Python's parser would recurse until RecursionError, a 500);
- an event request must name an event that exists (`fn_index`, or the API name) with enough values: else 404/400;
- Gradio's own refusals are rewritten so they show neither the input nor a server path (422 → 400), and an
  event stream Gradio ends by raising (an unknown session or event) is closed cleanly.
"""

from __future__ import annotations

import inspect
import logging
from typing import Any

import gradio as gr
from fastapi import HTTPException
from fastapi.responses import JSONResponse

from tutor.config import Settings
from tutor.web.models import ApiError, parse_json

log = logging.getLogger(__name__)
GRADIO = "/gradio_api/"
UPLOAD = "/gradio_api/upload"
_EVENT_ROUTES = ("/gradio_api/queue/join", "/gradio_api/call/")
_SYNC_ROUTES = ("/gradio_api/run/", "/gradio_api/api/")  # Gradio's queue-less predict: no client of ours uses it


class Guard:
    def __init__(self, app: Any, settings: Settings, blocks: gr.Blocks) -> None:
        self.app = app
        self.blocks = blocks
        self.max_body = settings.server.max_body_kb * 1024
        self.max_upload = int(settings.server.max_upload_mb * 1024 * 1024)
        self.max_depth = settings.server.max_json_depth

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path: str = scope["path"]
        if scope["method"] in ("POST", "PUT", "PATCH", "DELETE"):
            limit = self.max_upload if path.rstrip("/") == UPLOAD else self.max_body
            body, receive = await _read_body(scope, receive, limit)
            if body is None:
                size = f"{limit // (1024 * 1024)} MB" if limit >= 1024 * 1024 else f"{limit // 1024} KB"
                await _error(scope, receive, send, 413, f"The request is too large (the limit is {size}).")
                return
            if path.startswith(GRADIO) and path.rstrip("/") != UPLOAD:
                try:
                    self._check_gradio(path, body)
                except ApiError as exc:
                    await _error(scope, receive, send, exc.status, exc.message)
                    return
        started = finished = False
        rewriting = _rewriting(scope, receive, send, path)

        async def tracking_send(message: dict[str, Any]) -> None:
            nonlocal started, finished
            started = started or message["type"] == "http.response.start"
            finished = finished or (message["type"] == "http.response.body" and not message.get("more_body", False))
            await rewriting(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:
            if not started:
                raise
            if finished:  # the reply was whole; what failed after it is the server's, and logged
                log.exception("a request failed after its response was sent")
                return
            # Gradio's event streams report an unknown session or event inside the stream, then raise: end the
            # stream cleanly instead of cutting the connection (a client sees a truncated, "5xx-like" reply).
            if not isinstance(exc, HTTPException) and not isinstance(exc.__cause__, HTTPException):
                log.exception("a response failed after it started")
            await send({"type": "http.response.body", "body": b"", "more_body": False})

    def _check_gradio(self, path: str, body: bytes) -> None:
        if path.startswith(_SYNC_ROUTES):  # it answers a failing event with 500 and runs any event by number
            raise ApiError("No such endpoint: use POST /gradio_api/call/<name> (or POST /api/ask).", status=404)
        payload = parse_json(body or b"null", self.max_depth) if body.strip() else None
        if not path.startswith(_EVENT_ROUTES):
            return
        if path.startswith("/gradio_api/call/v2/"):
            if not isinstance(payload, dict):
                raise ApiError("Malformed request: expected a JSON object of the endpoint's parameters.")
            parameters = _parameters(self._named(path))
            if unknown := [k for k in payload if k not in parameters and k != "oauth_token"]:
                raise ApiError(f"{len(unknown)} unknown parameter(s); the parameters are {', '.join(parameters)}.")
            if missing := [name for name, required in parameters.items() if required and name not in payload]:
                raise ApiError(f"Missing parameter(s): {', '.join(missing)}.")
            return
        if not isinstance(payload, dict) or not isinstance(payload.get("data"), list):
            raise ApiError("Malformed request: expected JSON with a `data` list.")
        if path.startswith("/gradio_api/queue/join"):
            index = payload.get("fn_index")
            fn = self.blocks.fns.get(index) if isinstance(index, int) and not isinstance(index, bool) else None
            if fn is None:
                raise ApiError("No such event: `fn_index` must name one of the page's events.", status=404)
        else:
            fn = self._named(path)
            if payload.get("fn_index") not in (None, fn._id):  # Gradio would run that event instead
                raise ApiError("Malformed request: `fn_index` names another event than this endpoint.")
        session = payload.get("session_hash")
        if (session is not None or path.startswith("/gradio_api/queue/join")) and not (
            isinstance(session, str) and 0 < len(session) <= 128
        ):  # Gradio's queue fails on an empty one (KeyError) after it has accepted the event
            raise ApiError("Malformed request: `session_hash` must be text of 1-128 characters.")
        if len(payload["data"]) < len(fn.inputs):
            raise ApiError(f"Expected {len(fn.inputs)} input values, got {len(payload['data'])}.")

    def _named(self, path: str) -> Any:
        parts = [p for p in path.removeprefix(GRADIO).split("/") if p]
        name = parts[2] if parts[:2] == ["call", "v2"] and len(parts) > 2 else (parts[1] if len(parts) > 1 else "")
        fn = next((f for f in self.blocks.fns.values() if f.api_name == name and f.api_visibility != "private"), None)
        if fn is None:
            raise ApiError("No such endpoint; see /gradio_api/info for the public ones.", status=404)
        return fn


def _parameters(fn: Any) -> dict[str, bool]:
    """The parameters an endpoint takes from a caller, and whether each is required (Gradio itself fills in
    the request and the event data)."""
    found = {}
    for name, parameter in inspect.signature(fn.fn).parameters.items():
        annotation = str(parameter.annotation)
        if "Request" not in annotation and "Data" not in annotation:
            found[name] = parameter.default is inspect.Parameter.empty
    return found


async def _error(scope: dict[str, Any], receive: Any, send: Any, status: int, message: str) -> None:
    await JSONResponse({"error": message}, status_code=status)(scope, receive, send)


def _rewriting(scope: dict[str, Any], receive: Any, send: Any, path: str) -> Any:
    """`send`, with Gradio's refusals replaced by one line that shows neither the input nor a path."""
    if path.startswith((f"{GRADIO}file=", f"{GRADIO}file/")):
        replacement = {403: {"detail": "File not available."}, 404: {"detail": "File not available."}}
    elif path.startswith((GRADIO, "/api/")):
        replacement = {422: {"error": "Malformed request: check the fields and their types."}}
    else:
        return send
    replaced = False

    async def guarded_send(message: dict[str, Any]) -> None:
        nonlocal replaced
        if message["type"] == "http.response.start" and message["status"] in replacement:
            replaced = True
            status = 400 if message["status"] == 422 else message["status"]
            await JSONResponse(replacement[message["status"]], status_code=status)(scope, receive, send)
            return
        if replaced:
            return
        await send(message)

    return guarded_send


async def _read_body(scope: dict[str, Any], receive: Any, limit: int) -> tuple[bytes | None, Any]:
    """The whole request body (None when over `limit`), and a `receive` that replays it downstream."""
    declared = next((v for k, v in scope.get("headers", []) if k == b"content-length"), None)
    if declared is not None and declared.isdigit() and int(declared) > limit:
        return None, receive
    chunks: list[bytes] = []
    size = 0
    more = True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            break
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > limit:
            return None, receive
        chunks.append(chunk)
        more = message.get("more_body", False)
    body = b"".join(chunks)
    sent = False

    async def replay() -> dict[str, Any]:
        nonlocal sent
        if not sent:
            sent = True
            return {"type": "http.request", "body": body, "more_body": False}
        message: dict[str, Any] = await receive()
        return message

    return body, replay
