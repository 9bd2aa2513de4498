"""The web app for review teams (`alsreview serve`): FastAPI, Jinja2 pages, vendored htmx.

In: an open `Project` with web accounts (`alsreview user add`).  Out: an ASGI app whose
pages and JSON API (`/api/`) call the same library functions as the CLI: screening
(blinded dual review, conflicts), full texts, appraisal and extraction, exports.

    app.py       create_app(project): routers, guards, error pages, security headers
    security.py  sessions, CSRF, login rate limit, Content-Security-Policy
    accounts.py  users (argon2) and server-side sessions
    api.py       the JSON API
    pages.py     the HTML pages
    server.py    uvicorn runner with the non-loopback warning
"""

from alsreview.web.accounts import User, add_user
from alsreview.web.app import create_app

__all__ = ["User", "add_user", "create_app"]
