"""Request guards of the web app: who is calling, CSRF, login rate limit, security headers.

- Every route except the login page, `POST /api/login` and `/static` needs a live session
  (cookie `alsreview_session`, HttpOnly, SameSite=Strict); anonymous requests get 401.
- Every state-changing request (POST/PUT/PATCH/DELETE) must carry the session's CSRF token
  in the `X-CSRF-Token` header (htmx sends it from `hx-headers` on <body>) or as the
  `csrf_token` form field; and, when the browser sends an Origin, it must be this server.
  The login itself has no session yet: it is guarded by the Origin check and SameSite.
- Failed logins are limited per user name and per client address (sliding window), counted
  in the database so that every server process shares the count.
- Responses carry a strict Content-Security-Policy: scripts only from this origin, no inline
  script or style, no framing.
"""

from __future__ import annotations

import datetime as dt
import hmac
from typing import cast

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool
from sqlalchemy import Table, delete, insert, select

from alsreview.store import Project
from alsreview.store.models import LoginFailure, utcnow
from alsreview.web.accounts import SessionInfo, lookup_session

failures = cast(Table, LoginFailure.__table__)

SESSION_COOKIE = "alsreview_session"
UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
PUBLIC = frozenset({"/login", "/api/login"})
CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "same-origin",  # no-referrer would make form posts Origin: null
    "Cross-Origin-Opener-Policy": "same-origin",
}


class LoginLimiter:
    """At most `max_failures` failed logins per key (user name, client) within `window` s.

    The failures are rows of the project's `login_failures` table, so every worker process
    of the server counts the same ones.  Times are UTC wall-clock times (shared by the
    processes); a failure older than the window no longer counts and is purged."""

    def __init__(self, project: Project, max_failures: int = 5, window: float = 300.0) -> None:
        self.project = project
        self.max_failures = max_failures
        self.window = dt.timedelta(seconds=window)

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until a login may be tried again for these keys (0: now)."""
        keys = [k[:200] for k in keys]
        now = utcnow()
        q = (
            select(failures.c.key, failures.c.at)
            .where(failures.c.key.in_(keys), failures.c.at > now - self.window)
            .order_by(failures.c.at.desc())
        )
        with self.project.session() as s:
            rows = s.execute(q).all()
        wait = 0.0
        for key in keys:
            times = [_aware(at) for k, at in rows if k == key]  # newest first
            if len(times) >= self.max_failures:
                # allowed again once all but max_failures - 1 of them are out of the window
                oldest_that_counts = times[self.max_failures - 1]
                wait = max(wait, (oldest_that_counts + self.window - now).total_seconds())
        return int(wait) + 1 if wait > 0 else 0

    def failed(self, keys: list[str]) -> None:
        now = utcnow()
        with self.project.write_session() as s, s.begin():
            s.execute(delete(failures).where(failures.c.at <= now - self.window))
            s.execute(insert(failures), [{"key": k[:200], "at": now} for k in keys])

    def succeeded(self, keys: list[str]) -> None:
        with self.project.write_session() as s, s.begin():
            s.execute(delete(failures).where(failures.c.key.in_([k[:200] for k in keys])))


def _aware(at: dt.datetime) -> dt.datetime:
    return at if at.tzinfo is not None else at.replace(tzinfo=dt.UTC)  # SQLite: naive UTC


def client_key(request: Request) -> str:
    return f"ip:{request.client.host if request.client else '?'}"


def same_origin(request: Request) -> bool:
    """False when the browser says the request comes from another site."""
    origin = request.headers.get("origin")
    if origin is None:  # not a browser, or a same-origin GET-style navigation
        return True
    return origin.split("://", 1)[-1] == request.headers.get("host", "")


async def guard(request: Request) -> None:
    """App-wide dependency: session, CSRF and origin checks (see the module docstring)."""
    project = request.app.state.project
    token = request.cookies.get(SESSION_COOKIE)
    session: SessionInfo | None = None
    if token:
        session = await run_in_threadpool(lookup_session, project, token)
    request.state.session = session
    path = request.url.path
    if path not in PUBLIC and session is None:
        raise HTTPException(401, "log in first")
    if request.method in UNSAFE:
        if not same_origin(request):
            raise HTTPException(403, "cross-origin request refused")
        if path in PUBLIC:
            return
        sent = request.headers.get("x-csrf-token")
        if sent is None:
            ctype = request.headers.get("content-type", "")
            if ctype.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
                form = await request.form()  # cached: the endpoint reads the same form
                value = form.get("csrf_token")
                sent = value if isinstance(value, str) else None
        assert session is not None
        if not sent or not hmac.compare_digest(sent, session.csrf_token):
            raise HTTPException(403, "missing or wrong CSRF token")


def session_of(request: Request) -> SessionInfo:
    session = request.state.session
    if session is None:  # pragma: no cover - the guard refuses these first
        raise HTTPException(401, "log in first")
    return session


def owner_of(request: Request) -> SessionInfo:
    """The session of an owner; 403 for a reviewer."""
    session = session_of(request)
    if not session.user.is_owner:
        raise HTTPException(403, "only the project owner may do this")
    return session
