"""The owner's consensus of two (or more) reviewers' extractions and appraisals.

Pages (owner only; a reviewer gets 403, an anonymous client 401):

    GET  /consensus                              studies and appraisals reviewed twice
    GET  /consensus/extraction/{study}           the fields in disagreement, side by side
    POST /consensus/extraction/{study}           per field: take a reviewer's value, type
                                                 the agreed one, or leave it out
    GET  /consensus/appraisal/{study}?tool=&outcome=   judgements and answers side by side
    POST /consensus/appraisal/{study}/adopt      one reviewer's assessment, as agreed
    POST /consensus/appraisal/{study}/answers    the agreed answers, judged again

and the same through the JSON API:

    GET  /api/consensus/extraction/{study}       {"reviewers", "open": [{field, values, ...}]}
    POST /api/consensus/extraction/{study}       {"take"?: {field: reviewer}, "values"?:
                                                 {field: fact or null}} -> 201
    POST /api/consensus/appraisal                {"study", "tool", "outcome"?, "adopt"} -> 201

Every write goes through the library the CLI uses: `extraction.review.make_consensus`
(`alsreview extract consensus`), `appraisal.assessments.adopt_as_consensus`
(`alsreview rob consensus`) and `record_assessment(kind="consensus")`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING

from fastapi import APIRouter, HTTPException, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel, Field

from alsreview.errors import ValidationError
from alsreview.typealiases import JSONDict, JSONValue
from alsreview.web.pages import (
    Context,
    FormFields,
    appraisal_answers,
    appraisal_form_values,
    back,
    render,
)
from alsreview.web.security import owner_of

if TYPE_CHECKING:
    from alsreview.appraisal.instrument import Instrument
    from alsreview.extraction.review import OpenField
    from alsreview.store.appraisals import StoredAppraisal
    from alsreview.store.project import Project

router = APIRouter()
TAKE = "take:"  # a choice "take:<reviewer>"; the others are "value" and "omit"


# -- overview ---------------------------------------------------------------------------
def reviewed_twice(project: Project) -> Context:
    """Studies extracted, and (study, tool, outcome) appraised, by two or more reviewers,
    with whether a consensus is recorded."""
    from alsreview.store import extractions as xs
    from alsreview.store.appraisals import current_appraisals

    by_study: dict[str, list[str]] = {}
    agreed_studies = set()
    for e in xs.current_extractions(project):
        if e.kind == "consensus":
            agreed_studies.add(e.study_id)
        elif e.data:
            by_study.setdefault(e.study_id, []).append(e.reviewer)
    groups: dict[tuple[str, str, str], list[StoredAppraisal]] = {}
    agreed_appraisals = set()
    for a in current_appraisals(project):
        key = (a.study, a.tool, a.outcome)
        if a.kind == "consensus":
            agreed_appraisals.add(key)
        else:
            groups.setdefault(key, []).append(a)
    return {
        "extractions": [
            (study, sorted(who), study in agreed_studies)
            for study, who in sorted(by_study.items())
            if len(who) > 1
        ],
        "appraisals": [
            (key, sorted(a.reviewer for a in rows), differs(rows), key in agreed_appraisals)
            for key, rows in sorted(groups.items())
            if len(rows) > 1
        ],
    }


def differs(rows: list[StoredAppraisal]) -> bool:
    """Whether the reviewers' domain judgements or overall judgements differ."""
    return len({(tuple(sorted(r.values().items())), r.overall) for r in rows}) > 1


@router.get("/consensus", response_class=HTMLResponse)
def consensus_index(request: Request, saved: str | None = None) -> HTMLResponse:
    owner_of(request)
    return render(
        request,
        "consensus_index.html",
        nav="consensus",
        title="Consensus",
        saved=saved,
        **reviewed_twice(request.app.state.project),
    )


# -- extraction -------------------------------------------------------------------------
def shown(value: JSONValue) -> str:
    """A stored value as text: a fact's value alone; lists and objects as indented JSON."""
    if isinstance(value, dict) and "value" in value:
        value = value["value"]
    if value is None:
        return "(not extracted)"
    if isinstance(value, str):
        return value
    return json.dumps(value, indent=1, ensure_ascii=False)


def extraction_choices(
    form: FormFields, open_: list[OpenField], reviewers: list[str]
) -> tuple[dict[str, str], JSONDict, list[str]]:
    """`take` and `values` for `make_consensus` from the form (``choice:<field>``,
    ``value:<field>``, ``source:<field>``, ``note:<field>``), and the fields left unchosen
    or typed wrongly (the messages, nothing saved)."""
    from alsreview.extraction.review import fact

    take: dict[str, str] = {}
    values: JSONDict = {}
    problems: list[str] = []
    for o in open_:
        path = o.field.path
        choice = str(form.get(f"choice:{path}") or "")
        if choice.startswith(TAKE) and choice[len(TAKE) :] in reviewers:
            take[path] = choice[len(TAKE) :]
        elif choice == "omit":
            values[path] = None
        elif choice == "value":
            text = str(form.get(f"value:{path}") or "").strip()
            source = str(form.get(f"source:{path}") or "").strip()
            note = str(form.get(f"note:{path}") or "").strip()
            try:
                typed: JSONValue = json.loads(text)
            except json.JSONDecodeError:
                if not o.field.is_fact:
                    problems.append(f"{path}: the agreed value must be a JSON list")
                    continue
                typed = text
            if not text:
                problems.append(f"{path}: type the agreed value (or choose another option)")
            elif o.field.is_fact and not source:
                problems.append(f"{path}: say where the agreed value was read")
            else:
                values[path] = fact(typed, source, note or None) if o.field.is_fact else typed
        else:
            problems.append(
                f"{path}: choose a reviewer's value, type the agreed one, or leave it out"
            )
    return take, values, problems


def extraction_page(
    request: Request, study_id: str, status: int = 200, **extra: object
) -> HTMLResponse:
    from alsreview.extraction.review import open_fields
    from alsreview.store import extractions as xs

    project = request.app.state.project
    reviewers, open_ = open_fields(project, study_id)
    consensus = [e for e in xs.current_extractions(project, study_id) if e.kind == "consensus"]
    return render(
        request,
        "consensus_extraction.html",
        status,
        nav="consensus",
        title=f"Consensus: extraction of {study_id}",
        study_id=study_id,
        reviewers=reviewers,
        open=open_,
        shown=shown,
        consensus=consensus[-1] if consensus else None,
        **extra,
    )


@router.get("/consensus/extraction/{study_id}", response_class=HTMLResponse)
def consensus_extraction(study_id: str, request: Request) -> HTMLResponse:
    owner_of(request)
    return extraction_page(request, study_id, typed={}, problems=[])


@router.post("/consensus/extraction/{study_id}")
async def consensus_extraction_save(study_id: str, request: Request) -> Response:
    """Save the consensus through `make_consensus`; refused choices come back (422) with
    the form as typed and the problems, nothing stored."""
    from fastapi.concurrency import run_in_threadpool

    from alsreview.extraction.review import make_consensus, open_fields

    session = owner_of(request)
    project = request.app.state.project
    form = await request.form()
    reviewers, open_ = await run_in_threadpool(open_fields, project, study_id)
    take, values, problems = extraction_choices(form, open_, reviewers)
    if not problems:
        try:
            await run_in_threadpool(
                lambda: make_consensus(
                    project, study_id, take=take, values=values, actor=session.user.name
                )
            )
        except ValidationError as exc:
            problems = [str(p) for p in exc.problems]
        else:
            return back(f"/consensus?saved=extraction:{study_id}")
    typed = {k: str(v) for k, v in form.items() if k != "csrf_token"}
    return await run_in_threadpool(
        lambda: extraction_page(request, study_id, 422, typed=typed, problems=problems)
    )


# -- appraisal --------------------------------------------------------------------------
def assessments_of(project: Project, study: str, tool: str, outcome: str) -> list[StoredAppraisal]:
    """Each reviewer's current assessment of (study, tool, outcome); 404 when none."""
    from alsreview.store.appraisals import current_appraisals

    rows = [
        a
        for a in current_appraisals(project, tool=tool, study=study, kind="assessment")
        if a.outcome == outcome
    ]
    if not rows:
        raise HTTPException(404, f"no assessment of {study} with {tool}")
    return rows


def side_by_side(inst: Instrument, rows: list[StoredAppraisal]) -> Context:
    """The reviewers' form values (``q:<question>``, ``d:<domain>``) and the agreed filling
    (values all reviewers gave alike; blank where they differ)."""
    effect = rows[0].effect
    filled = [appraisal_form_values(inst, r, r.effect) for r in rows]
    keys = {k for f in filled for k in f}
    agreed = {k: filled[0].get(k, "") for k in keys if len({f.get(k, "") for f in filled}) == 1}
    return {
        "effect": effect,
        "same_effect": len({r.effect for r in rows}) == 1,
        "filled": filled,
        "agreed": agreed,
        "differ": sorted(k for k in keys if k not in agreed),
        # JBI: the items are the domains (the legend would repeat the question)
        "items": {d.id for d in inst.domains if type(d.variant(effect).algorithm).__name__
                  == "AnswerOf"},
    }  # fmt: skip


def appraisal_page(
    request: Request, study: str, tool: str, outcome: str, status: int = 200, **extra: object
) -> HTMLResponse:
    from alsreview.appraisal import load_instrument
    from alsreview.store.appraisals import current_appraisals

    project = request.app.state.project
    inst = load_instrument(tool)
    rows = assessments_of(project, study, inst.id, outcome)
    consensus = [
        a
        for a in current_appraisals(project, tool=inst.id, study=study, kind="consensus")
        if a.outcome == outcome
    ]
    context = side_by_side(inst, rows) | {"problems": []}
    if "answers" in extra:  # the owner's refused choices, as typed
        context["agreed"] = extra.pop("answers")
    context |= extra
    return render(
        request,
        "consensus_appraisal.html",
        status,
        nav="consensus",
        title=f"Consensus: {inst.name}, {study}",
        inst=inst,
        tool=inst.id,
        study=study,
        outcome=outcome,
        rows=rows,
        consensus=consensus[-1] if consensus else None,
        **context,
    )


@router.get("/consensus/appraisal/{study}", response_class=HTMLResponse)
def consensus_appraisal(study: str, request: Request, tool: str, outcome: str = "") -> HTMLResponse:
    owner_of(request)
    return appraisal_page(request, study, tool, outcome)


@router.post("/consensus/appraisal/{study}/adopt")
async def consensus_appraisal_adopt(study: str, request: Request) -> Response:
    """One reviewer's current assessment as the consensus (`adopt_as_consensus`)."""
    from fastapi.concurrency import run_in_threadpool

    from alsreview.appraisal.assessments import adopt_as_consensus

    session = owner_of(request)
    form = await request.form()
    tool, outcome = str(form.get("tool") or ""), str(form.get("outcome") or "")
    adopt = str(form.get("adopt") or "")
    await run_in_threadpool(
        lambda: adopt_as_consensus(
            request.app.state.project, study, tool, adopt, outcome=outcome,
            reviewer=session.user.name,
        )
    )  # fmt: skip
    return back(f"/consensus?saved=appraisal:{study}")


@router.post("/consensus/appraisal/{study}/answers")
async def consensus_appraisal_answers(study: str, request: Request) -> Response:
    """The agreed answers (and domain judgements), judged again by the tool's algorithm and
    stored as the consensus (`record_assessment(kind="consensus")`)."""
    from fastapi.concurrency import run_in_threadpool

    from alsreview.appraisal import load_instrument
    from alsreview.appraisal.assessments import record_assessment

    session = owner_of(request)
    project = request.app.state.project
    form = await request.form()
    tool, outcome = str(form.get("tool") or ""), str(form.get("outcome") or "")
    inst = load_instrument(tool)
    rows = await run_in_threadpool(assessments_of, project, study, inst.id, outcome)
    if len({r.effect for r in rows}) != 1:
        raise HTTPException(422, "the reviewers appraised different effects: adopt one")
    answers, domains = appraisal_answers(form)
    try:
        await run_in_threadpool(
            lambda: record_assessment(
                project, study, inst.id, {**answers, **domains}, outcome=outcome,
                effect=rows[0].effect, reviewer=session.user.name, kind="consensus",
                name="consensus form",
            )
        )  # fmt: skip
    except ValidationError as exc:
        typed = {k: str(v) for k, v in form.items() if k[:2] in ("q:", "d:")}
        problems = [p.message for p in exc.problems]
        return await run_in_threadpool(
            lambda: appraisal_page(
                request, study, inst.id, outcome, 422, answers=typed, problems=problems
            )
        )
    return back(f"/consensus?saved=appraisal:{study}")


# -- JSON API ---------------------------------------------------------------------------
class ExtractionConsensusBody(BaseModel):
    take: dict[str, str] = Field(default_factory=dict)
    values: JSONDict = Field(default_factory=dict)


class AppraisalConsensusBody(BaseModel):
    study: str = Field(max_length=200)
    tool: str = Field(max_length=32)
    outcome: str = Field(default="", max_length=200)
    adopt: str = Field(max_length=128)


def open_field_dict(o: OpenField) -> JSONDict:
    return {
        "field": o.field.path,
        "kind": o.field.kind,
        "values": o.values,
        "differences": [d.to_dict() for d in o.differences],
    }


@router.get("/api/consensus/extraction/{study_id}")
def api_open_fields(study_id: str, request: Request) -> JSONDict:
    """The reviewers of a study and the fields a consensus must resolve."""
    from alsreview.extraction.review import open_fields

    owner_of(request)
    reviewers, open_ = open_fields(request.app.state.project, study_id)
    return {
        "study_id": study_id,
        "reviewers": reviewers,
        "open": [open_field_dict(o) for o in open_],
    }


@router.post("/api/consensus/extraction/{study_id}", status_code=201)
def api_extraction_consensus(
    study_id: str, body: ExtractionConsensusBody, request: Request
) -> JSONDict:
    """`make_consensus` (`alsreview extract consensus`); 422 lists what is unresolved."""
    from alsreview.extraction.review import make_consensus

    session = owner_of(request)
    result = make_consensus(
        request.app.state.project, study_id, take=body.take, values=body.values,
        actor=session.user.name,
    )  # fmt: skip
    return {"study_id": study_id, "agreed": list(result.agreed), "resolved": result.resolved}


@router.post("/api/consensus/appraisal", status_code=201)
def api_appraisal_consensus(body: AppraisalConsensusBody, request: Request) -> JSONResponse:
    """`adopt_as_consensus` (`alsreview rob consensus`)."""
    from alsreview.appraisal.assessments import adopt_as_consensus

    session = owner_of(request)
    row = adopt_as_consensus(
        request.app.state.project, body.study, body.tool, body.adopt, outcome=body.outcome,
        reviewer=session.user.name,
    )  # fmt: skip
    return JSONResponse(
        {"study": row.study, "tool": row.tool, "outcome": row.outcome, "overall": row.overall},
        status_code=201,
    )
