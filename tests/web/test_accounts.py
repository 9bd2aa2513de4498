"""Accounts, sessions and login: argon2 hashes, cookie flags, rate limit, CLI."""

from __future__ import annotations

import subprocess
import sys

import pytest
from sqlalchemy import select
from tests.web.conftest import PASSWORDS

from alsreview.errors import StoreError, ValidationError
from alsreview.store.models import User as UserRow
from alsreview.store.models import WebSession
from alsreview.web.accounts import add_user, authenticate, list_users


def test_passwords_are_stored_as_argon2id_hashes(project):
    with project.session() as s:
        rows = s.execute(select(UserRow.name, UserRow.password_hash)).all()
    assert {n for n, _ in rows} == set(PASSWORDS)
    for name, hashed in rows:
        assert hashed.startswith("$argon2id$")
        assert PASSWORDS[name] not in hashed
    assert authenticate(project, "rita", PASSWORDS["rita"]).role == "reviewer"
    assert authenticate(project, "rita", PASSWORDS["ravi"]) is None
    assert authenticate(project, "nobody", PASSWORDS["rita"]) is None


def test_bad_accounts_are_refused_with_the_reason(project):
    with pytest.raises(ValidationError, match="role 'admin'"):
        add_user(project, "eve", "admin", "long enough pw")
    with pytest.raises(ValidationError, match="at least 8"):
        add_user(project, "eve", "reviewer", "short")
    with pytest.raises(StoreError, match="'rita' already exists"):
        add_user(project, "rita", "reviewer", "another password")
    assert [u.name for u in list_users(project)] == ["olivia", "rita", "ravi"]


def test_login_sets_an_httponly_samesite_cookie_and_returns_a_csrf_token(app):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    assert r.status_code == 200
    assert len(r.json()["csrf_token"]) >= 32
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=strict" in cookie and "path=/" in cookie
    assert c.get("/api/prisma").status_code == 200


def test_wrong_password_is_401_and_the_session_store_keeps_no_token(app, project):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    r = c.post("/api/login", json={"username": "rita", "password": "wrong password"})
    assert r.status_code == 401
    assert "set-cookie" not in r.headers
    r = c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    token = r.cookies.get("alsreview_session")
    with project.session() as s:
        stored = list(s.scalars(select(WebSession.token_hash)))
    assert len(stored) == 1 and token not in stored and len(stored[0]) == 64


def test_logout_ends_the_session_on_the_server(login, app):
    from fastapi.testclient import TestClient

    rita = login("rita")
    cookie = rita.http.cookies.get("alsreview_session")
    assert rita.post("/api/logout").status_code == 204
    thief = TestClient(app, cookies={"alsreview_session": cookie})
    assert thief.get("/api/prisma").status_code == 401


def test_a_new_login_replaces_the_old_session_id(login, app):
    rita = login("rita")
    old = rita.http.cookies.get("alsreview_session")
    r = rita.http.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    assert r.status_code == 200 and r.cookies.get("alsreview_session") != old
    from fastapi.testclient import TestClient

    assert TestClient(app, cookies={"alsreview_session": old}).get("/api/prisma").status_code == 401


def test_failed_logins_are_rate_limited_per_user_and_per_client(app):
    from fastapi.testclient import TestClient

    c = TestClient(app)
    for _ in range(5):
        r = c.post("/api/login", json={"username": "rita", "password": "guess"})
        assert r.status_code == 401
    r = c.post("/api/login", json={"username": "rita", "password": PASSWORDS["rita"]})
    assert r.status_code == 429 and int(r.headers["retry-after"]) > 0
    # the same client is limited for other names too (password spraying)
    r = c.post("/api/login", json={"username": "ravi", "password": PASSWORDS["ravi"]})
    assert r.status_code == 429
    # the HTML login form shares the limit
    r = c.post("/login", data={"username": "ravi", "password": PASSWORDS["ravi"]})
    assert r.status_code == 429


def test_cli_user_add_reads_the_password_from_stdin(tmp_path):
    from alsreview.store import Project

    Project.create(tmp_path / "p").close()
    cmd = [sys.executable, "-m", "alsreview", "user", "add", str(tmp_path / "p"), "dana"]
    done = subprocess.run(
        [*cmd, "--role", "owner", "--password-stdin"],
        input="a long pass phrase\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert "dana (owner) added" in done.stdout
    bad = subprocess.run(
        [*cmd[:-1], "eve", "--role", "root", "--password-stdin"],
        input="a long pass phrase\n",
        capture_output=True,
        text=True,
        check=False,
    )
    assert bad.returncode == 1 and "role 'root'" in bad.stderr
    with Project.open(tmp_path / "p") as p:
        assert authenticate(p, "dana", "a long pass phrase").role == "owner"
        assert [u.name for u in list_users(p)] == ["dana"]
