"""The web server around the page: who is asking, what a request may be, and the JSON API.

login.py     the learner the server signs (guest cookie, or an account's login) and the login page
guard.py     request sizes, JSON depth and shape, Gradio events that exist: 4xx before anything parses
models.py    the API's pydantic request and response models; one-line errors
api.py       POST /api/ask, /api/study/next, /api/study/answer; GET /api/study/progress, /export, /class
server.py    make_server: FastAPI + the Gradio page (tutor.ui.app) + the library routes; serve()

Server failures (the index server down: 503; the disk full: 507) are told by tutor.failures, a leaf module the
command line can use as well.
"""
