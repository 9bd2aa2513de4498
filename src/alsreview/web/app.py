"""The FastAPI application: the JSON API (`api.py`), the pages (`pages.py`), static files.

`create_app(project)` wires one open `Project` into an app; `alsreview serve` runs it with
uvicorn.  The guards of `security.py` run before every route.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from importlib import resources
from typing import Any

from fastapi import Depends, FastAPI, HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from alsreview.errors import AlsreviewError
from alsreview.store import Project
from alsreview.web.security import SECURITY_HEADERS, LoginLimiter, guard


def create_app(
    project: Project,
    *,
    secure_cookies: bool = False,
    limiter: LoginLimiter | None = None,
    max_upload_bytes: int = 50 * 1024 * 1024,
    requests_per_connection: int | None = None,
) -> FastAPI:
    """An app serving `project`.  `secure_cookies`: mark cookies Secure (behind TLS).
    `requests_per_connection`: close a keep-alive connection after that many requests
    (`_SpreadConnections`; `alsreview serve` sets it when it runs several workers)."""
    from alsreview.web import api, consensus, pages

    app = FastAPI(
        title="alsreview",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        dependencies=[Depends(guard)],
    )
    app.state.project = project
    app.state.secure_cookies = secure_cookies
    app.state.limiter = limiter or LoginLimiter(project)
    app.state.max_upload_bytes = max_upload_bytes
    app.state.routers = (api.router, pages.router, consensus.router)  # every route is here
    for router in app.state.routers:
        app.include_router(router)
    static = resources.files("alsreview.web").joinpath("static")
    app.mount("/static", StaticFiles(directory=str(static)), name="static")

    app.add_middleware(_SecurityHeaders)
    if requests_per_connection:
        app.add_middleware(_SpreadConnections, limit=requests_per_connection)

    @app.exception_handler(HTTPException)
    async def _http_error(request: Request, exc: HTTPException) -> Response:
        if request.url.path.startswith("/api/") or not _wants_html(request):
            return JSONResponse(
                {"detail": exc.detail}, status_code=exc.status_code, headers=exc.headers
            )
        return pages.error_page(request, exc.status_code, str(exc.detail))

    @app.exception_handler(AlsreviewError)
    async def _library_error(request: Request, exc: AlsreviewError) -> Response:
        if request.url.path.startswith("/api/") or not _wants_html(request):
            return JSONResponse({"detail": str(exc)}, status_code=422)
        return pages.error_page(request, 422, str(exc))

    @app.exception_handler(RequestValidationError)
    async def _bad_request(request: Request, exc: RequestValidationError) -> Response:
        problems = [
            f"{'.'.join(str(x) for x in e.get('loc', ()))}: {e.get('msg')}" for e in exc.errors()
        ]
        return JSONResponse({"detail": problems}, status_code=422)

    return app


ASGI = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


class _SecurityHeaders:
    """ASGI middleware: `SECURITY_HEADERS` on every response, `Cache-Control: no-store` on
    all but static files (headers a route set itself are kept).  Plain ASGI rather than
    `@app.middleware("http")`, whose per-request task and streams cost about a millisecond
    of CPU (issue 14 load benchmark)."""

    def __init__(self, app: ASGI) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in _HEADERS]
        if not scope["path"].startswith("/static/"):
            extra.append((b"cache-control", b"no-store"))

        async def send_with_headers(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {bytes(k).lower() for k, _ in headers}
                headers += [(k, v) for k, v in extra if k not in present]
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


_HEADERS = tuple(SECURITY_HEADERS.items())


class _SpreadConnections:
    """ASGI middleware: answer the `limit`-th request of a keep-alive connection with
    `Connection: close`, so the client's next request opens a new connection.

    Why: `alsreview serve` runs several worker processes on one shared listening socket,
    and a connection stays with the worker that accepted it.  Clients that keep their
    connections busy (a team screening at speed, the load benchmark's reviewers) can all
    end up on one worker while the others idle: measured 8/0 and 7/1 splits of 8
    reviewers over 2 workers.  Reconnecting every `limit` requests lets the accepts
    spread them again (nginx's `keepalive_requests` does the same); a reconnect on
    loopback or a LAN costs far less than the requests it spreads."""

    def __init__(self, app: ASGI, limit: int) -> None:
        self.app, self.limit = app, limit
        self.served: dict[tuple[Any, Any], int] = {}  # (client, server) -> requests

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http" or scope.get("client") is None:
            await self.app(scope, receive, send)
            return
        key = (tuple(scope["client"]), tuple(scope.get("server") or ()))
        n = self.served.get(key, 0) + 1
        if n < self.limit:
            if len(self.served) > 10_000:  # connections that closed on their own
                self.served.clear()
            self.served[key] = n
            await self.app(scope, receive, send)
            return
        self.served.pop(key, None)

        async def send_closing(message: dict[str, Any]) -> None:
            if message["type"] == "http.response.start":
                headers = message.get("headers", [])
                kept = [h for h in headers if bytes(h[0]).lower() != b"connection"]
                message["headers"] = [*kept, (b"connection", b"close")]
            await send(message)

        await self.app(scope, receive, send_closing)


def _wants_html(request: Request) -> bool:
    return "text/html" in request.headers.get("accept", "") or "hx-request" in request.headers
