"""Several server processes on one project (`alsreview serve --workers N`): what they must
share lives in the database, so a second worker sees the first one's failed logins."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from tests.web.conftest import PASSWORDS, make_project

from alsreview.store import Project
from alsreview.web import create_app


def test_failed_logins_count_across_two_app_processes(project):
    """Two apps, each with its own `Project` (as two worker processes have): failures in
    one lock the user out of the other."""
    other = Project.open(project.root)
    try:
        a, b = TestClient(create_app(project)), TestClient(create_app(other))
        for i in range(5):
            client = a if i % 2 else b
            r = client.post("/api/login", json={"username": "rita", "password": "guess"})
            assert r.status_code == 401
        for client in (a, b):
            r = client.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
            assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
        # a right password from elsewhere is not locked; success clears that name's count
        ok = TestClient(create_app(other), client=("10.0.0.9", 5000))
        r = ok.post("/api/login", json={"username": "ravi", "password": PASSWORDS["ravi"]})
        assert r.status_code == 200
    finally:
        other.close()


def test_old_failures_leave_the_window(project):
    """A failure older than the window no longer counts (and is purged at the next one)."""
    import datetime as dt

    from sqlalchemy import func, select

    from alsreview.web.security import LoginLimiter, failures

    limiter = LoginLimiter(project, max_failures=2, window=60)
    keys = ["user:rita"]
    limiter.failed(keys)
    limiter.failed(keys)
    assert 0 < limiter.retry_after(keys) <= 61
    with project.write_session() as s, s.begin():  # age them past the window
        s.execute(failures.update().values(at=failures.c.at - dt.timedelta(seconds=61)))
    assert limiter.retry_after(keys) == 0
    limiter.failed(["ip:10.0.0.1"])
    with project.session() as s:
        assert s.execute(select(func.count()).select_from(failures)).scalar_one() == 1


def children_of(pid: int) -> list[int]:
    out = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                stat = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(stat[1]) == pid:
                out.append(int(entry.name))
    return out


@pytest.mark.slow
def test_serve_with_two_workers_shares_sessions_limits_and_votes(tmp_path):
    """`alsreview serve --workers 2` for real: two worker processes; a session made by one
    is honoured by the other, the login limit holds over fresh connections (which either
    worker may accept), and decisions posted through both are all stored."""
    import httpx

    make_project(tmp_path / "p").close()
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cmd = [sys.executable, "-m", "alsreview", "serve", str(tmp_path / "p"), "--port", str(port)]
    server = subprocess.Popen(
        [*cmd, "--workers", "2"], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                httpx.get(f"{base}/login", timeout=5)
                break
            except httpx.TransportError:
                assert server.poll() is None, server.stderr.read().decode()
                assert time.monotonic() < deadline, "server did not start"
                time.sleep(0.2)
        workers = [p for p in children_of(server.pid) if b"spawn_main" in _cmdline(p)]
        assert len(workers) == 2, workers

        login = httpx.post(
            f"{base}/api/login", json={"username": "rita", "password": PASSWORDS["rita"]}
        )
        assert login.status_code == 200
        for _ in range(5):  # a new connection each time
            r = httpx.post(f"{base}/api/login", json={"username": "ravi", "password": "x"})
            assert r.status_code == 401
        r = httpx.post(f"{base}/api/login", json={"username": "ravi", "password": "x"})
        assert r.status_code == 429  # rita's session still works below

        cookies, csrf = login.cookies, login.json()["csrf_token"]
        posted = []
        while True:  # fresh connections: the two workers take turns at random
            with httpx.Client(base_url=base, cookies=cookies) as c:
                r = c.get("/api/records/next")
            if r.status_code == 204:
                break
            assert r.status_code == 200, r.text
            rid = r.json()["id"]
            assert rid not in posted  # never a record the reviewer already decided
            with httpx.Client(base_url=base, cookies=cookies) as c:
                body = {"record_id": rid, "stage": "title_abstract", "decision": "exclude"}
                r = c.post("/api/decisions", json=body, headers={"X-CSRF-Token": csrf})
            assert r.status_code == 201, r.text
            posted.append(rid)
        assert sorted(posted) == [1, 2, 3, 4, 5]
    finally:
        server.terminate()
        server.wait(timeout=60)
    with Project.open(tmp_path / "p") as p:
        from alsreview.store.decisions import vote_history

        assert sorted(v.record_id for v in vote_history(p, "title_abstract")) == sorted(posted)


def _cmdline(pid: int) -> bytes:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes()
    except OSError:
        return b""
