"""Web accounts: users with a role and an argon2 password hash, and server-side sessions.

In: an open `Project` (its database holds the `users` and `web_sessions` tables of
migration 0002), a name, a role, a password.  Out: `User`s and `SessionInfo`s.

Passwords are hashed with argon2id (argon2-cffi's defaults, RFC 9106 low-memory profile).
A session is a random 256-bit token given to the browser in a cookie; the database keeps
only its SHA-256, so a leaked database does not log anyone in.  Each session carries its own
CSRF token, which every state-changing request must echo.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import hashlib
import secrets
from dataclasses import dataclass
from typing import cast

from sqlalchemy import Table, delete, insert, select
from sqlalchemy.exc import IntegrityError

from alsreview.errors import StoreError, ValidationError
from alsreview.store import Project
from alsreview.store.models import User as UserRow
from alsreview.store.models import WebSession, utcnow

ROLES = ("owner", "reviewer")
SESSION_LIFETIME = dt.timedelta(hours=12)
MIN_PASSWORD = 8
# declarative classes type `__table__` as FromClause; for a mapped class it is the Table
users = cast(Table, UserRow.__table__)
web_sessions = cast(Table, WebSession.__table__)


@dataclass(frozen=True)
class User:
    id: int
    name: str
    role: str

    @property
    def is_owner(self) -> bool:
        return self.role == "owner"


@dataclass(frozen=True)
class SessionInfo:
    """A live session: who, and the CSRF token its state-changing requests must carry."""

    user: User
    csrf_token: str


def _hasher():  # argon2 is imported on first use: `alsreview --help` stays fast
    from argon2 import PasswordHasher

    return PasswordHasher()


_DUMMY_HASH: str | None = None


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode("ascii", "replace")).hexdigest()


def add_user(project: Project, name: str, role: str, password: str) -> User:
    """Create an account; the name must be new, the role owner or reviewer.

    A project has one owner account, and it becomes the project's owner (the person who
    unblinds stages and resolves conflicts, `alsreview.screening.owner`)."""
    name = name.strip()
    problems = []
    if not name or len(name) > 128 or any(c.isspace() for c in name):
        problems.append(f"user name {name!r}: 1-128 characters without spaces")
    if role not in ROLES:
        problems.append(f"role {role!r}: must be one of {', '.join(ROLES)}")
    if len(password) < MIN_PASSWORD:
        problems.append(f"password: at least {MIN_PASSWORD} characters")
    if problems:
        raise ValidationError(problems)
    hashed = _hasher().hash(password)
    try:
        with project.write_session() as s, s.begin():
            if role == "owner":
                other = s.execute(select(users.c.name).where(users.c.role == "owner")).first()
                if other is not None:
                    raise StoreError(
                        f"the project already has an owner account ({other.name}); "
                        "add further people as reviewers"
                    )
            uid = s.execute(
                insert(users)
                .values(name=name, role=role, password_hash=hashed, created_at=utcnow())
                .returning(users.c.id)
            ).scalar_one()
            project._log(s, "user.add", {"name": name, "role": role})
    except IntegrityError as exc:
        raise StoreError(f"user {name!r} already exists in this project") from exc
    if role == "owner":  # the owner account is the project owner who unblinds and resolves
        from alsreview.store.decisions import set_owner

        set_owner(project, name, actor=name)
    return User(uid, name, role)


def list_users(project: Project) -> list[User]:
    with project.session() as s:
        rows = s.execute(select(users.c.id, users.c.name, users.c.role).order_by(users.c.id))
        return [User(*r) for r in rows]


def authenticate(project: Project, name: str, password: str) -> User | None:
    """The user if the password matches, else None (same work done for unknown names)."""
    global _DUMMY_HASH
    from argon2.exceptions import InvalidHashError, VerificationError

    with project.session() as s:
        row = s.execute(
            select(users.c.id, users.c.name, users.c.role, users.c.password_hash).where(
                users.c.name == name
            )
        ).first()
    hasher = _hasher()
    if row is None:  # verify against a dummy hash so timing does not reveal the name exists
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hasher.hash(secrets.token_hex(16))
        with contextlib.suppress(VerificationError):
            hasher.verify(_DUMMY_HASH, password)
        return None
    try:
        hasher.verify(row.password_hash, password)
    except (VerificationError, InvalidHashError):
        return None
    return User(row.id, row.name, row.role)


def start_session(project: Project, user: User) -> tuple[str, SessionInfo]:
    """A new session for `user`: (cookie token, session).  Expired sessions are purged."""
    token = secrets.token_urlsafe(32)
    csrf = secrets.token_urlsafe(32)
    now = utcnow()
    with project.write_session() as s, s.begin():
        s.execute(delete(web_sessions).where(web_sessions.c.expires_at < now))
        s.execute(
            insert(web_sessions).values(
                token_hash=_digest(token),
                user_id=user.id,
                csrf_token=csrf,
                created_at=now,
                expires_at=now + SESSION_LIFETIME,
            )
        )
        project._log(s, "user.login", {"name": user.name}, user.name)
    return token, SessionInfo(user, csrf)


def lookup_session(project: Project, token: str | None) -> SessionInfo | None:
    """The live session of a cookie token, or None (unknown, expired or empty)."""
    if not token or len(token) > 128:
        return None
    q = (
        select(
            users.c.id,
            users.c.name,
            users.c.role,
            web_sessions.c.csrf_token,
            web_sessions.c.expires_at,
        )
        .join(users, users.c.id == web_sessions.c.user_id)
        .where(web_sessions.c.token_hash == _digest(token))
    )
    with project.reading(), project.session() as s:  # PostgreSQL: no BEGIN/ROLLBACK
        row = s.execute(q).first()
    if row is None:
        return None
    expires = row.expires_at
    if expires.tzinfo is None:  # SQLite returns naive datetimes (stored as UTC)
        expires = expires.replace(tzinfo=dt.UTC)
    if expires < utcnow():
        return None
    return SessionInfo(User(row.id, row.name, row.role), row.csrf_token)


def end_session(project: Project, token: str | None) -> None:
    if not token:
        return
    with project.write_session() as s, s.begin():
        s.execute(delete(web_sessions).where(web_sessions.c.token_hash == _digest(token)))
