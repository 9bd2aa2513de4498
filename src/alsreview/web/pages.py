"""Server-rendered pages (Jinja2, autoescaped; htmx swaps fragments).

Each page reads through the same library functions as the CLI and the JSON API.  Forms post
with the session's CSRF token (a hidden field; htmx also sends it as a header).  Pages that
htmx requests (`HX-Request`) get a fragment back; plain form posts get a 303 redirect.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from alsreview.web import accounts
from alsreview.web.api import check_login, login_response
from alsreview.web.security import SESSION_COOKIE, session_of

router = APIRouter()
_env = Environment(loader=PackageLoader("alsreview.web", "templates"), autoescape=True)
templates = Jinja2Templates(env=_env)


def render(request: Request, name: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("session", getattr(request.state, "session", None))
    return templates.TemplateResponse(request, name, context, status_code=status)


def project_name(request: Request) -> str:
    root = request.app.state.project.root
    return root.resolve().name if root is not None else "alsreview"


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    if status == 401:
        return render(request, "login.html", 401, project_name=project_name(request))
    return render(request, "error.html", status, status=status, message=message, title="Error")


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- login ------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", project_name=project_name(request), title="Log in")


@router.post("/login")
def login_form(
    request: Request, username: str = Form(max_length=128), password: str = Form(max_length=1024)
) -> Response:
    from fastapi import HTTPException

    try:
        user = check_login(request, username, password)
    except HTTPException as exc:
        return render(
            request,
            "login.html",
            exc.status_code,
            project_name=project_name(request),
            error=str(exc.detail),
            title="Log in",
        )
    response = back("/")
    login_response(request, user, response)
    return response


@router.post("/logout")
def logout_form(request: Request) -> Response:
    accounts.end_session(request.app.state.project, request.cookies.get(SESSION_COOKIE))
    response = back("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- dashboard --------------------------------------------------------------------------
@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    from alsreview.store.prisma import prisma_counts

    session_of(request)
    project = request.app.state.project
    counts = prisma_counts(project)
    return render(
        request,
        "dashboard.html",
        nav="dashboard",
        title="Dashboard",
        project_name=project_name(request),
        counts=counts,
    )
