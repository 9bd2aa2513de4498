"""Keep-alive connections are closed every N requests when `alsreview serve` runs several
workers (`web.app._SpreadConnections`), so busy clients spread over the workers."""

from __future__ import annotations

import http.client
import json
import os

from tests.web.conftest import LiveServer

from alsreview.web import create_app
from alsreview.web.server import CONFIG_ENV, REQUESTS_PER_CONNECTION, app_from_environment


def test_a_keepalive_connection_is_closed_after_the_limit(project):
    """Real uvicorn, one client connection kept alive: the 3rd and 6th answers say
    `Connection: close` and the server closes; the client reconnects and nothing is lost."""
    server = LiveServer(create_app(project, requests_per_connection=3))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        sockets, closing = [], []
        for _ in range(7):
            conn.request("GET", "/login")
            sockets.append(conn.sock.getsockname())  # this request's connection
            r = conn.getresponse()
            r.read()
            assert r.status == 200
            closing.append(r.getheader("connection") == "close")
        conn.close()
    finally:
        server.stop()
    assert closing == [False, False, True, False, False, True, False]
    # three connections: requests 1-3, 4-6, 7 (an ephemeral port is not reused that fast)
    assert len(set(sockets)) == 3
    assert sockets[0] == sockets[2] != sockets[3] == sockets[5] != sockets[6]


def test_without_a_limit_the_connection_stays_open(live):
    conn = http.client.HTTPConnection("127.0.0.1", live.port, timeout=10)
    sockets = []
    for _ in range(30):
        conn.request("GET", "/login")
        sockets.append(conn.sock.getsockname())
        r = conn.getresponse()
        r.read()
        assert r.getheader("connection") != "close"
    conn.close()
    assert len(set(sockets)) == 1


def test_json_api_answers_are_unchanged_on_the_closing_request(project):
    """The closing answer is a whole answer: status, body and security headers."""
    server = LiveServer(create_app(project, requests_per_connection=2))
    try:
        conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=10)
        for expect_close in (False, True):
            conn.request("GET", "/api/prisma")  # anonymous: 401 with a JSON body
            r = conn.getresponse()
            body = json.loads(r.read())
            assert r.status == 401 and body == {"detail": "log in first"}
            assert r.getheader("content-security-policy")
            assert (r.getheader("connection") == "close") is expect_close
        conn.close()
    finally:
        server.stop()


def test_serve_spreads_connections_only_with_several_workers(project, monkeypatch):
    def middleware_of(workers: int) -> list[str]:
        config = {"project": str(project.root), "secure_cookies": False, "workers": workers}
        monkeypatch.setitem(os.environ, CONFIG_ENV, json.dumps(config))
        app = app_from_environment()
        try:
            return [m.cls.__name__ for m in app.user_middleware]
        finally:
            app.state.project.close()

    assert "_SpreadConnections" not in middleware_of(1)
    assert "_SpreadConnections" in middleware_of(2)
    assert REQUESTS_PER_CONNECTION > 1
