"""Who is asking: a learner the server signed, never a name the request carries.

- Without accounts, each browser gets a guest learner id (`guest-` and 24 random hex digits) in a cookie signed
  with the server's secret (itsdangerous); the id cannot be chosen, guessed or changed by the browser.
- With accounts (`tutor users add`, or the TUTOR_AUTH shortcut) everyone signs in on `/login`; the cookie then
  names the account and the password it was signed in with, so removing the account or changing its password
  ends the session. The account name is the learner.

`SessionCookies` puts the caller's `Identity` on every request (`request.state.identity`, None when a login is
needed and missing); Gradio gets it through `mount_gradio_app(auth_dependency=...)`, the JSON API and the library
through `signed_in`. Nothing else decides who the learner is.
"""

from __future__ import annotations

import asyncio
import html
import os
import secrets
import time
from dataclasses import dataclass
from importlib import resources
from string import Template
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, JSONResponse, RedirectResponse, Response
from itsdangerous import BadSignature, URLSafeTimedSerializer
from starlette.concurrency import run_in_threadpool
from starlette.requests import cookie_parser

from tutor.accounts import GUEST_PREFIX, Accounts
from tutor.config import Settings
from tutor.web.models import ApiError

COOKIE = "tutor-session"
GUEST_DAYS = 400  # a browser keeps its guest learner this long (the most a browser honours)
LOGINS_AT_ONCE = 2  # argon2 checks running at once (19 MiB each); the rest wait their turn


@dataclass(frozen=True)
class Identity:
    name: str  # the learner: an account name, or a guest id
    account: bool = False  # signed in
    teacher: bool = False


def server_secret(settings: Settings) -> str:
    """TUTOR_SERVER_SECRET, or a random key made once and kept in the data folder (mode 0600)."""
    if settings.server.secret:
        return settings.server.secret
    path = settings.data.dir / "secret"
    path.parent.mkdir(parents=True, exist_ok=True)
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        pass
    else:
        with os.fdopen(fd, "w", encoding="utf-8") as f:
            f.write(secrets.token_urlsafe(32))
    for _ in range(50):  # another worker may be writing it this very moment
        key = path.read_text(encoding="utf-8").strip()
        if key:
            return key
        time.sleep(0.02)
    raise RuntimeError(f"{path} stayed empty")


class Sessions:
    """Signs and reads the session cookie."""

    def __init__(self, settings: Settings, accounts: Accounts) -> None:
        self.settings = settings
        self.accounts = accounts
        self._signer = URLSafeTimedSerializer(server_secret(settings), salt="tutor-session")

    @property
    def login_required(self) -> bool:
        return self.accounts.required

    def read(self, cookie: str | None) -> Identity | None:
        if not cookie:
            return None
        try:
            data, signed_at = self._signer.loads(cookie, max_age=GUEST_DAYS * 86400, return_timestamp=True)
        except BadSignature:
            return None
        if not isinstance(data, dict):
            return None
        name = data.get("u")
        if isinstance(name, str):
            account = self.accounts.get(name)
            age_days = (time.time() - signed_at.timestamp()) / 86400
            if (
                account is None
                or data.get("s") != self.accounts.stamp(name)
                or age_days > self.settings.server.session_days
            ):
                return None
            return Identity(account.name, account=True, teacher=account.teacher)
        guest = data.get("g")
        if isinstance(guest, str) and guest.startswith(GUEST_PREFIX) and not self.login_required:
            return Identity(guest)
        return None

    def sign(self, identity: Identity) -> str:
        if identity.account:
            return self._signer.dumps({"u": identity.name, "s": self.accounts.stamp(identity.name)})
        return self._signer.dumps({"g": identity.name})

    @staticmethod
    def guest() -> Identity:
        return Identity(f"{GUEST_PREFIX}{secrets.token_hex(12)}")

    def cookie(self, value: str, days: float) -> str:
        """The Set-Cookie header value: readable by the server only (HttpOnly), sent on this site's pages only."""
        secure = "; Secure" if self.settings.server.secure_cookies else ""
        return f"{COOKIE}={value}; Max-Age={int(days * 86400)}; Path=/; HttpOnly; SameSite=Lax{secure}"


def identity_of(request: Request) -> Identity | None:
    """The caller as `SessionCookies` found them (None: a login is needed and there is none)."""
    found = getattr(request.state, "identity", None)
    return found if isinstance(found, Identity) else None


def signed_in(request: Request) -> Identity:
    """FastAPI dependency: the caller, or 401."""
    found = identity_of(request)
    if found is None:
        raise ApiError("Not signed in: sign in at /login first.", status=401)
    return found


Caller = Annotated[Identity, Depends(signed_in)]
"""A route parameter typed `Caller` is the signed-in learner (401 without one)."""


def gradio_user(request: Request) -> str | None:
    """Gradio's `auth_dependency`: the learner name, or None (Gradio then answers 401)."""
    found = identity_of(request)
    return found.name if found else None


class SessionCookies:
    """ASGI middleware: puts the caller's Identity on the request; a new browser gets a signed guest id.

    Plain ASGI, so Gradio's event streams pass without a per-chunk cost. A page request that needs a login
    is sent to `/login`."""

    def __init__(self, app: Any, sessions: Sessions) -> None:
        self.app = app
        self.sessions = sessions

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] not in ("http", "websocket"):
            await self.app(scope, receive, send)
            return
        raw = next((v for k, v in scope.get("headers", []) if k == b"cookie"), b"")
        cookie = cookie_parser(raw.decode("latin-1")).get(COOKIE)
        identity = self.sessions.read(cookie)
        fresh = ""
        if identity is None and not self.sessions.login_required:
            identity = self.sessions.guest()
            fresh = self.sessions.cookie(self.sessions.sign(identity), GUEST_DAYS)
        scope.setdefault("state", {})["identity"] = identity
        if identity is None and scope["type"] == "http" and scope["method"] == "GET" and scope["path"] in ("/", ""):
            await RedirectResponse("login", status_code=303)(scope, receive, send)
            return

        async def with_cookie(message: dict[str, Any]) -> None:
            if fresh and message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", []), (b"set-cookie", fresh.encode("latin-1"))]
            await send(message)

        await self.app(scope, receive, with_cookie)


# ------------------------------------------------------------------------------------------ the login page


def _page(name: str = "", error: str = "") -> str:
    template = Template(resources.files("tutor.web").joinpath("static", "login.html").read_text(encoding="utf-8"))
    shown_error = f'<p class="error" id="login-error">{html.escape(error)}</p>' if error else ""
    return template.safe_substitute(name=html.escape(name[:64], quote=True), error=shown_error)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "")


def login_routes(sessions: Sessions) -> APIRouter:
    """GET/POST /login and /logout. A browser is redirected; a script (gradio_client) gets JSON and the cookie."""
    router = APIRouter()
    checking = asyncio.Semaphore(LOGINS_AT_ONCE)

    @router.get("/login", include_in_schema=False)
    def login_page(request: Request) -> Response:
        found = identity_of(request)
        if found is not None and (found.account or not sessions.login_required):
            return RedirectResponse("./", status_code=303)
        return HTMLResponse(_page())

    @router.post("/login", include_in_schema=False)
    async def login(request: Request) -> Response:
        try:
            form = await request.form()
        except Exception:  # noqa: BLE001 -- any malformed form body is the sender's problem: one line, 400
            raise ApiError("Send the form fields `username` and `password`.") from None
        name, password = form.get("username"), form.get("password")
        if not isinstance(name, str) or not isinstance(password, str):
            raise ApiError("Send the form fields `username` and `password`.")
        name = name.strip()
        async with checking:
            account = await run_in_threadpool(sessions.accounts.verify, name, password) if name else None
        if account is None:
            message = "Wrong name or password · 用户名或密码错误"
            if _wants_html(request):
                return HTMLResponse(_page(name, message), status_code=400)
            return JSONResponse({"error": message}, status_code=400)
        identity = Identity(account.name, account=True, teacher=account.teacher)
        response: Response = (
            RedirectResponse("./", status_code=303) if _wants_html(request) else JSONResponse({"success": True})
        )
        response.headers.append(
            "set-cookie", sessions.cookie(sessions.sign(identity), sessions.settings.server.session_days)
        )
        return response

    @router.get("/logout", include_in_schema=False)
    @router.post("/logout", include_in_schema=False)
    def logout() -> Response:
        response = RedirectResponse("login", status_code=303)
        response.headers.append("set-cookie", sessions.cookie("", 0))
        return response

    return router
