"""Security of every route: 401 for anonymous clients, CSRF on every state-changing
request, same-origin writes, security headers and a CSP without inline script."""

from __future__ import annotations

import re

import pytest
from fastapi.routing import APIRoute

from alsreview.web.security import CSP, PUBLIC, UNSAFE


def routes(app):
    """(method, concrete path) of every route of the app, path parameters filled in."""
    out = []
    # the app holds only its routers and the static mount (checked here)
    assert all(type(r).__name__ in ("_IncludedRouter", "Mount", "APIRoute") for r in app.routes)
    for route in [r for router in app.state.routers for r in router.routes]:
        if not isinstance(route, APIRoute):
            continue
        path = re.sub(r"\{stage\}", "title_abstract", route.path)
        path = re.sub(r"\{[a-z_]+\}", "1", path)
        for method in sorted(route.methods):
            out.append((method, path))
    return out


def test_the_app_has_the_routes_the_issue_names(app):
    have = set(routes(app))
    for needed in [
        ("POST", "/api/login"),
        ("GET", "/api/records/next"),
        ("POST", "/api/decisions"),
        ("GET", "/api/records/1/decisions"),
        ("GET", "/api/conflicts"),
        ("POST", "/api/stages/title_abstract/unblind"),
        ("GET", "/api/prisma"),
    ]:
        assert needed in have


def test_anonymous_clients_get_401_on_every_project_url(app):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    checked = 0
    for method, path in routes(app):
        if path in PUBLIC:
            continue
        r = c.request(method, path, headers={"accept": "text/html"})
        assert r.status_code == 401, (method, path, r.status_code)
        checked += 1
    assert checked >= 8
    # HTML clients get the login form with the 401, API clients JSON
    page = c.get("/", headers={"accept": "text/html"})
    assert page.status_code == 401 and 'action="/login"' in page.text
    assert c.get("/api/prisma").json() == {"detail": "log in first"}
    # a forged cookie is anonymous
    forged = TestClient(app, cookies={"alsreview_session": "x" * 43})
    assert forged.get("/api/prisma").status_code == 401


def test_every_state_changing_request_needs_the_csrf_token(app, login):
    rita = login("rita")
    olivia = login("olivia")
    checked = 0
    for method, path in routes(app):
        if method not in UNSAFE or path in PUBLIC:
            continue
        for client in (rita, olivia):
            r = client.http.request(method, path, json={})
            assert r.status_code == 403, (method, path, r.status_code)
            assert "CSRF" in r.json()["detail"]
            r = client.http.request(method, path, headers={"X-CSRF-Token": "forged"})
            assert r.status_code == 403, (method, path)
            r = client.http.request(method, path, data={"csrf_token": "forged"})
            assert r.status_code == 403, (method, path)
        checked += 1
    assert checked >= 4
    # another user's token is not this session's token
    r = rita.http.post("/api/stages/title_abstract/unblind", headers={"X-CSRF-Token": olivia.csrf})
    assert r.status_code == 403


def test_cross_origin_writes_are_refused_even_with_the_token(login):
    olivia = login("olivia")
    r = olivia.post(
        "/api/stages/title_abstract/unblind", headers={"Origin": "https://evil.example"}
    )
    assert r.status_code == 403 and "cross-origin" in r.json()["detail"]
    r = olivia.http.post(
        "/api/login",
        json={"username": "rita", "password": "x"},
        headers={"Origin": "https://evil.example"},
    )
    assert r.status_code == 403


@pytest.mark.parametrize("path", ["/login", "/api/prisma", "/", "/screen", "/conflicts"])
def test_security_headers_and_a_csp_without_inline_script(login, path):
    olivia = login("olivia")
    r = olivia.get(path, headers={"accept": "text/html"})
    csp = r.headers["content-security-policy"]
    assert csp == CSP
    directives = dict(d.strip().split(" ", 1) for d in csp.split(";"))
    assert directives["script-src"] == "'self'"  # no 'unsafe-inline', no 'unsafe-eval'
    assert directives["default-src"] == "'none'" and directives["frame-ancestors"] == "'none'"
    assert r.headers["x-content-type-options"] == "nosniff"
    assert r.headers["x-frame-options"] == "DENY"


def test_pages_have_no_inline_script_or_event_handler_attributes(app, login):
    olivia = login("olivia")
    pages = [p for m, p in routes(app) if m == "GET" and not p.startswith("/api/")]
    assert len(pages) >= 4
    for path in pages:
        r = olivia.get(path, headers={"accept": "text/html"})
        if "text/html" not in r.headers.get("content-type", ""):
            continue
        for tag in re.findall(r"<script\b[^>]*>", r.text, flags=re.I):
            assert re.search(r'\ssrc="/static/[a-z.]+"', tag), (path, tag)
        assert not re.search(r"<script\b[^>]*>\s*[^<\s]", r.text), path  # no script body
        assert not re.search(r"\son[a-z]+\s*=", r.text, flags=re.I), path
        assert "javascript:" not in r.text.lower(), path
