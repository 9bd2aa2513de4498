"""The JSON API under /api/, shared by the pages' scripts and by other programs.

    POST /api/login                       {"username", "password"} -> 200 {"csrf_token"} + cookie
    POST /api/logout                      -> 204
    GET  /api/records/next?stage=S        the caller's next record by the ranking; 204 if none
    POST /api/decisions                   {"record_id","stage","decision","reason"?,"note"?} -> 201
    GET  /api/records/{id}/decisions?stage=S   the decisions the caller may see
    GET  /api/conflicts?stage=S           owner, or anyone once the stage is unblinded
    POST /api/stages/{stage}/unblind      owner only -> 200
    GET  /api/prisma                      PRISMA 2020 counts

Every handler is a few lines over `alsreview.screening` / `alsreview.store` functions.
"""

from __future__ import annotations

import dataclasses
from typing import TYPE_CHECKING, Literal

from fastapi import APIRouter, HTTPException, Request, Response
from pydantic import BaseModel, Field

from alsreview.store.enums import Decision, Stage
from alsreview.typealiases import JSONDict
from alsreview.web import accounts
from alsreview.web.security import SESSION_COOKIE, client_key, owner_of, session_of

if TYPE_CHECKING:
    from alsreview.records.model import Record

router = APIRouter(prefix="/api")
DECISION_WORDS = {
    "include": Decision.INCLUDED,
    "exclude": Decision.EXCLUDED,
    "maybe": Decision.MAYBE,
}


class LoginBody(BaseModel):
    username: str = Field(max_length=128)
    password: str = Field(max_length=1024)


class DecisionBody(BaseModel):
    record_id: int
    stage: Stage
    decision: Literal["include", "exclude", "maybe"]
    reason: str | None = Field(default=None, max_length=64)
    note: str | None = Field(default=None, max_length=4000)


def login_response(request: Request, user: accounts.User, response: Response) -> str:
    """Start a session for `user`, set its cookie on `response`; return the CSRF token."""
    project = request.app.state.project
    old = request.cookies.get(SESSION_COOKIE)
    if old:  # a new login never reuses a session id (session fixation)
        accounts.end_session(project, old)
    token, session = accounts.start_session(project, user)
    response.set_cookie(
        SESSION_COOKIE,
        token,
        max_age=int(accounts.SESSION_LIFETIME.total_seconds()),
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
        path="/",
    )
    return session.csrf_token


def check_login(request: Request, username: str, password: str) -> accounts.User:
    """The user for these credentials; 429 when rate-limited, 401 when wrong."""
    limiter = request.app.state.limiter
    keys = [client_key(request), f"user:{username.strip().lower()}"]
    wait = limiter.retry_after(keys)
    if wait:
        raise HTTPException(
            429, "too many failed logins; try again later", headers={"Retry-After": str(wait)}
        )
    user = accounts.authenticate(request.app.state.project, username.strip(), password)
    if user is None:
        limiter.failed(keys)
        raise HTTPException(401, "wrong user name or password")
    limiter.succeeded(keys)
    return user


@router.post("/login")
def login(body: LoginBody, request: Request, response: Response) -> dict[str, str]:
    user = check_login(request, body.username, body.password)
    csrf = login_response(request, user, response)
    return {"csrf_token": csrf, "user": user.name, "role": user.role}


@router.post("/logout", status_code=204)
def logout(request: Request) -> Response:
    accounts.end_session(request.app.state.project, request.cookies.get(SESSION_COOKIE))
    response = Response(status_code=204)
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


def record_json(record_id: int, record: Record) -> JSONDict:
    return {
        "id": record_id,
        "title": record.title,
        "abstract": record.abstract,
        "authors": list(record.authors),
        "year": record.year,
        "journal": record.journal,
        "doi": record.doi,
        "pmid": record.pmid,
        "nct_id": record.nct_id,
        "keywords": list(record.keywords),
    }


@router.get("/records/next", response_model=None)
def next_record(request: Request, stage: Stage = Stage.TITLE_ABSTRACT) -> Response | JSONDict:
    from alsreview.screening import next_record as pick

    session = session_of(request)
    found = pick(request.app.state.project, session.user.name, stage)
    if found is None:
        return Response(status_code=204)
    return {
        **record_json(found.record_id, found.record),
        "stage": stage,
        "score": found.score,
        "rank_source": found.rank_source,
        "n_eligible": found.n_eligible,
        "n_done": found.n_done,
        "n_remaining": found.n_remaining,
    }


@router.post("/decisions", status_code=201)
def post_decision(body: DecisionBody, request: Request) -> JSONDict:
    from alsreview.screening import decide

    session = session_of(request)
    vote = decide(
        request.app.state.project,
        session.user.name,
        body.record_id,
        body.stage,
        DECISION_WORDS[body.decision],
        reason=body.reason or None,
        note=body.note or "",
    )
    return vote.to_dict()


@router.get("/records/{record_id}/decisions")
def record_decisions(
    record_id: int, request: Request, stage: Stage = Stage.TITLE_ABSTRACT
) -> JSONDict:
    """The record's status and the votes the caller may see (own only while blinded)."""
    from alsreview.screening import record_status

    session = session_of(request)
    status = record_status(request.app.state.project, record_id, stage, session.user.name)
    return status.to_dict()


@router.get("/conflicts")
def get_conflicts(request: Request, stage: Stage = Stage.TITLE_ABSTRACT) -> list[JSONDict]:
    from alsreview.screening import conflicts, is_blinded

    session = session_of(request)
    project = request.app.state.project
    owner = session.user.is_owner
    if is_blinded(project, stage) and not owner:
        raise HTTPException(403, f"{stage} is blinded: only the owner may see conflicts")
    found = conflicts(project, stage, include_resolved=True, owner_view=owner)
    return [c.to_dict() for c in found]


@router.post("/stages/{stage}/unblind")
def unblind_stage(stage: Stage, request: Request) -> JSONDict:
    from alsreview.screening import unblind

    session = owner_of(request)
    info = unblind(request.app.state.project, stage, session.user.name)
    return {"stage": stage, "blinded": False, **info}


@router.get("/prisma")
def prisma(request: Request) -> JSONDict:
    from alsreview.store.prisma import prisma_counts

    return dataclasses.asdict(prisma_counts(request.app.state.project))
