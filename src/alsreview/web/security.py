"""Request guards of the web app: who is calling, CSRF, login rate limit, security headers.

- Every route except the login page, `POST /api/login` and `/static` needs a live session
  (cookie `alsreview_session`, HttpOnly, SameSite=Strict); anonymous requests get 401.
- Every state-changing request (POST/PUT/PATCH/DELETE) must carry the session's CSRF token
  in the `X-CSRF-Token` header (htmx sends it from `hx-headers` on <body>) or as the
  `csrf_token` form field; and, when the browser sends an Origin, it must be this server.
  The login itself has no session yet: it is guarded by the Origin check and SameSite.
- Failed logins are limited per user name and per client address (sliding window).
- Responses carry a strict Content-Security-Policy: scripts only from this origin, no inline
  script or style, no framing.
"""

from __future__ import annotations

import hmac
import threading
import time
from collections import defaultdict, deque

from fastapi import HTTPException, Request
from fastapi.concurrency import run_in_threadpool

from alsreview.web.accounts import SessionInfo, lookup_session

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
    """At most `max_failures` failed logins per key (user name, client) within `window` s."""

    def __init__(self, max_failures: int = 5, window: float = 300.0) -> None:
        self.max_failures = max_failures
        self.window = window
        self._fails: dict[str, deque[float]] = defaultdict(deque)
        self._lock = threading.Lock()

    def retry_after(self, keys: list[str]) -> int:
        """Seconds until a login may be tried again for these keys (0: now)."""
        now = time.monotonic()
        wait = 0.0
        with self._lock:
            for key in keys:
                q = self._fails.get(key)
                if not q:
                    continue
                while q and now - q[0] > self.window:
                    q.popleft()
                if len(q) >= self.max_failures:
                    wait = max(wait, self.window - (now - q[0]))
        return int(wait) + 1 if wait else 0

    def failed(self, keys: list[str]) -> None:
        now = time.monotonic()
        with self._lock:
            for key in keys:
                self._fails[key].append(now)

    def succeeded(self, keys: list[str]) -> None:
        with self._lock:
            for key in keys:
                self._fails.pop(key, None)


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
