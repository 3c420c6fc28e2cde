"""The server: one FastAPI app with the login, the JSON API, the library routes and the Gradio page mounted at /.

Requests pass the guard (`guard.Guard`: sizes, JSON, events), then `login.SessionCookies` (who is asking),
then the routes. Error pages never show a server path.
"""

from __future__ import annotations

import threading
from typing import Any

import gradio as gr
from fastapi import Depends, FastAPI
from fastapi.exceptions import RequestValidationError
from fastapi.responses import FileResponse, JSONResponse, Response

from tutor.accounts import Accounts
from tutor.answer import Tutor
from tutor.config import Settings
from tutor.study.service import StudyService
from tutor.ui import viewer
from tutor.ui.app import build_app, static
from tutor.web.api import Asking, api_routes, error_response
from tutor.web.guard import Guard
from tutor.web.login import SessionCookies, Sessions, gradio_user, login_routes, signed_in
from tutor.web.models import ApiError


def study_service(settings: Settings, tutor: Tutor) -> StudyService:
    """Study mode for the page and the API, reusing the tutor's reading list, glossary and (multilingual) model."""
    shared = settings.embedding.model == "use-multilingual"
    return StudyService.from_settings(
        settings,
        embeddings=(lambda: tutor.store.embeddings) if shared else None,
        readings=tutor.readings,
        glossary=tutor.glossary,
    )


def make_server(settings: Settings, tutor: Tutor) -> FastAPI:
    accounts = Accounts.from_settings(settings)
    sessions = Sessions(settings, accounts)
    study = study_service(settings, tutor)
    asking = Asking(settings, tutor, study)
    settings.library_dir.mkdir(parents=True, exist_ok=True)
    blocks = build_app(settings, tutor, study, accounts, asking)
    blocks.queue(default_concurrency_limit=8)

    server = FastAPI(title="tutor", docs_url=None, redoc_url=None, openapi_url=None)
    server.add_exception_handler(ApiError, lambda _request, exc: error_response(exc))
    server.add_exception_handler(
        RequestValidationError,
        lambda _request, _exc: JSONResponse({"error": "Malformed request: check the fields."}, status_code=400),
    )
    server.include_router(login_routes(sessions))
    server.include_router(api_routes(settings, asking, study, accounts))

    signed: list[Any] = [Depends(signed_in)]

    @server.get("/library/{doc_id}", dependencies=signed)
    def library_file(doc_id: str) -> Response:
        path = viewer.safe_doc_path(settings, doc_id)
        if path is None:
            return JSONResponse({"detail": "No such document in the library."}, status_code=404)
        media = "application/pdf" if path.suffix.lower() == ".pdf" else "text/plain; charset=utf-8"
        return FileResponse(path, media_type=media, headers={"Content-Disposition": "inline"})

    @server.get("/library/{doc_id}/page/{page}.png", dependencies=signed)
    def library_page(doc_id: str, page: int) -> Response:
        view = viewer.render_page(settings, doc_id, page)
        if view is None:
            return JSONResponse({"detail": "No such page."}, status_code=404)
        return FileResponse(view.image, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    server.add_middleware(SessionCookies, sessions=sessions)
    server.add_middleware(Guard, settings=settings, blocks=blocks)  # added last: runs first
    mounted: FastAPI = gr.mount_gradio_app(
        server,
        blocks,
        path="/",
        auth_dependency=gradio_user,
        footer_links=[],
        max_file_size=int(settings.server.max_upload_mb * 1024 * 1024),
        server_name=settings.server.host,
        server_port=settings.server.port,
        theme=gr.themes.Soft(),
        css=static("page.css"),
    )
    return mounted


def serve(settings: Settings, tutor: Tutor) -> None:
    import uvicorn
    from threadpoolctl import threadpool_limits

    # Answers already run one per core (tutor.web.api); a BLAS that also spreads each product over every core
    # makes them spin against each other. bench/chat_load.py, 50 learners on 2 cores: 54-66 answers/s against
    # 48-56 when idle, 41-48 against 20-22 while other programs ran.
    threadpool_limits(limits=1, user_api="blas")
    server = make_server(settings, tutor)
    # The page comes up first; the model loads in the background before most learners have typed.
    threading.Thread(target=tutor.retriever.warm_up, daemon=True).start()
    warm_model: Any = getattr(tutor.backend, "warm_up", None)  # a local model loads and reads its system prompts
    if warm_model is not None:
        threading.Thread(target=warm_model, daemon=True).start()
    uvicorn.run(server, host=settings.server.host, port=settings.server.port, log_level="warning")
