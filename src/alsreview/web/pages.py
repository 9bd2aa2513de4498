"""Server-rendered pages (Jinja2, autoescaped; htmx swaps fragments).

Each page reads through the same library functions as the CLI and the JSON API.  Forms post
with the session's CSRF token (a hidden field; htmx also sends it as a header).  Pages that
htmx requests (`HX-Request`) get a fragment back; plain form posts get a 303 redirect.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Literal, TypeAlias, TypedDict

from fastapi import APIRouter, Form, HTTPException, Request, UploadFile
from fastapi.datastructures import FormData
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader

from alsreview.errors import AlsreviewError
from alsreview.store.enums import Stage
from alsreview.typealiases import JSONDict, JSONValue
from alsreview.web import accounts
from alsreview.web.api import check_login, login_response
from alsreview.web.security import SESSION_COOKIE, owner_of, session_of

if TYPE_CHECKING:  # the library's own types, imported lazily at run time like the code
    from pydantic import BaseModel

    from alsreview.appraisal.instrument import Instrument
    from alsreview.errors import Problem
    from alsreview.extraction.suggest import Suggestion
    from alsreview.protocol import ExclusionReason
    from alsreview.records.model import Record
    from alsreview.store.appraisals import StoredAppraisal
    from alsreview.store.decisions import Vote
    from alsreview.store.extractions import StoredFullText
    from alsreview.store.project import Project

#: what a template is given: names to values of any kind (records, results, form state)
Context: TypeAlias = dict[str, object]
#: a submitted form (`await request.form()`: text or files) or a query string / plain dict
FormFields: TypeAlias = FormData | Mapping[str, str]
#: maps a problem's location (after ``PATH.<i>.``) and its message to a form field
FieldOf: TypeAlias = Callable[[str, str], str | None]


class FormState(TypedDict):
    """An outcome or adverse-event form as the page shows it (see `blank_outcome_form`)."""

    values: dict[str, str]
    errors: dict[str, list[str]]
    notes: dict[str, str]
    problems: list[tuple[str | None, str]]
    rows: int
    index: int | None


router = APIRouter()
STAGE_NAMES = {"title_abstract": "Title and abstract", "full_text": "Full text"}
_env = Environment(loader=PackageLoader("alsreview.web", "templates"), autoescape=True)
templates = Jinja2Templates(env=_env)


def render(
    request: Request, name: str, status_code: int = 200, /, **context: object
) -> HTMLResponse:
    context.setdefault("session", getattr(request.state, "session", None))
    return templates.TemplateResponse(request, name, context, status_code=status_code)


def project_name(request: Request) -> str:
    root = request.app.state.project.root
    return root.resolve().name if root is not None else "alsreview"


ERROR_TITLES = {
    403: "Not allowed",
    404: "Not found",
    413: "File too large",
    415: "File type not accepted",
    422: "Not accepted",
}


def error_page(request: Request, status: int, message: str) -> HTMLResponse:
    """The error as a page: what went wrong, and a link back to the page the request came
    from (a path of this site only, from the Referer) or to the dashboard."""
    if status == 401:
        return render(request, "login.html", 401, project_name=project_name(request))
    from urllib.parse import urlsplit

    came_from = urlsplit(request.headers.get("referer", ""))
    own = f"{came_from.scheme}://{came_from.netloc}/" == str(request.base_url)
    local = re.match(r"^/(?![/\\])", came_from.path)  # "//host" would leave the site
    back_to = came_from.path if own and local else None
    if back_to and came_from.query:
        back_to += f"?{came_from.query}"
    title = ERROR_TITLES.get(status, "Error")
    return render(
        request, "error.html", status, status=status, message=message, title=title,
        back_to=back_to,
    )  # fmt: skip


def is_htmx(request: Request) -> bool:
    return request.headers.get("hx-request") == "true"


def back(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303)


# -- login ------------------------------------------------------------------------------
@router.get("/login", response_class=HTMLResponse)
def login_page(request: Request) -> HTMLResponse:
    return render(request, "login.html", project_name=project_name(request), title="Log in")


@router.post("/login")
def login_form(
    request: Request, username: str = Form(max_length=128), password: str = Form(max_length=1024)
) -> Response:
    try:
        user = check_login(request, username, password)
    except HTTPException as exc:
        return render(
            request,
            "login.html",
            exc.status_code,
            project_name=project_name(request),
            error=str(exc.detail),
            title="Log in",
        )
    response = back("/")
    login_response(request, user, response)
    return response


@router.post("/logout")
def logout_form(request: Request) -> Response:
    accounts.end_session(request.app.state.project, request.cookies.get(SESSION_COOKIE))
    response = back("/login")
    response.delete_cookie(SESSION_COOKIE, path="/")
    return response


# -- dashboard --------------------------------------------------------------------------
def stage_progress(request: Request, stage: str) -> Context:
    """Per-stage progress: records eligible, decisions per reviewer, and (once unblinded)
    how many records are agreed, in conflict, resolved or pending."""
    from alsreview.screening import is_blinded
    from alsreview.screening.decisions import eligible_record_ids
    from alsreview.store import decisions as store_decisions

    project = request.app.state.project
    eligible = len(eligible_record_ids(project, stage))
    votes = store_decisions.current_votes(project, stage)
    per_reviewer: dict[str, int] = {}
    for by in votes.values():
        for who in by:
            per_reviewer[who] = per_reviewer.get(who, 0) + 1
    blinded = is_blinded(project, stage)
    statuses: dict[str, int] = {}
    if not blinded:
        for st in store_decisions.record_statuses(project, stage).values():
            statuses[st.status] = statuses.get(st.status, 0) + 1
    return {
        "stage": stage,
        "stage_name": STAGE_NAMES[stage],
        "eligible": eligible,
        "per_reviewer": dict(sorted(per_reviewer.items())),
        "blinded": blinded,
        "statuses": statuses,
        "required": store_decisions.reviewers_required(project, stage),
    }


def later_progress(project: Project) -> Context:
    """Appraisal and extraction: the studies each reviewer has appraised and extracted (their
    own current versions), and how many studies have an agreed (consensus) version."""
    from alsreview.store import extractions as xs
    from alsreview.store.appraisals import current_appraisals

    appraised: dict[str, set[str]] = {}
    extracted: dict[str, set[str]] = {}
    agreed: dict[str, set[str]] = {"appraisal": set(), "extraction": set()}
    for a in current_appraisals(project):
        if a.kind == "consensus":
            agreed["appraisal"].add(a.study)
        else:
            appraised.setdefault(a.reviewer, set()).add(a.study)
    for e in xs.current_extractions(project):
        if e.kind == "consensus":
            agreed["extraction"].add(e.study_id)
        elif e.data:
            extracted.setdefault(e.reviewer, set()).add(e.study_id)
    return {
        "studies": len(xs.studies(project)),
        "rows": [
            (who, len(appraised.get(who, ())), len(extracted.get(who, ())))
            for who in sorted(set(appraised) | set(extracted))
        ],
        "agreed": {k: len(v) for k, v in agreed.items()},
    }


def dashboard_context(request: Request) -> Context:
    """PRISMA counts, progress, agreement (unblinded stages only) and the stopping advice
    on the caller's own screening."""
    from alsreview.screening import is_blinded
    from alsreview.screening.agreement import stage_agreement
    from alsreview.screening.stopping import project_advice
    from alsreview.store.prisma import prisma_counts

    session = session_of(request)
    project = request.app.state.project
    agreement = {
        st: stage_agreement(project, st) for st in STAGE_NAMES if not is_blinded(project, st)
    }
    return {
        "counts": prisma_counts(project),
        "progress": [stage_progress(request, st) for st in STAGE_NAMES],
        "later": later_progress(project),
        "agreement": agreement,
        "advice": project_advice(project, session.user.name, "title_abstract"),
    }


@router.get("/", response_class=HTMLResponse)
def dashboard(request: Request) -> HTMLResponse:
    session_of(request)
    return render(
        request,
        "dashboard.html",
        nav="dashboard",
        title="Dashboard",
        project_name=project_name(request),
        **dashboard_context(request),
    )


@router.get("/dashboard/live", response_class=HTMLResponse)
def dashboard_live(request: Request) -> HTMLResponse:
    """The dashboard's figures alone: htmx refreshes them every 15 s."""
    session_of(request)
    return render(request, "dashboard_live.html", **dashboard_context(request))


@router.post("/stages/{stage}/reviewers")
def reviewers_form(stage: Stage, request: Request, n: int = Form(ge=1, le=10)) -> Response:
    from alsreview.screening import set_reviewers_required

    session = owner_of(request)
    set_reviewers_required(request.app.state.project, stage, n, session.user.name)
    return back("/")


# -- screening --------------------------------------------------------------------------


def exclusion_reasons(request: Request) -> list[ExclusionReason]:
    return list(request.app.state.project.protocol.exclusion_reasons)


def screen_context(request: Request, stage: str, last: Vote | None = None) -> Context:
    """What the screening card shows: the caller's next record by the ranking."""
    from alsreview.screening import next_record

    session = session_of(request)
    project = request.app.state.project
    found = next_record(project, session.user.name, stage)
    fulltexts = []
    if found is not None and stage == "full_text":
        from alsreview.store import extractions as xs

        study = study_of(project, found.record_id)
        fulltexts = xs.fulltexts(project, study) if study else []
    from alsreview.screening.prescreen import prescreen

    return {
        "stage": stage,
        "stage_name": STAGE_NAMES[stage],
        "next": found,
        "prescreen": prescreen(found.record, project.protocol) if found else [],
        "fulltexts": fulltexts,
        "segments": highlighted(request, found.record) if found else None,
        "reasons": exclusion_reasons(request),
        "last": last,
    }


def highlighted(request: Request, record: Record) -> dict[str, list[tuple[str, bool]]]:
    """Title and abstract split into (text, is a protocol term) segments for <mark>."""
    from alsreview.screening.highlight import highlight_terms, protocol_terms

    terms = protocol_terms(request.app.state.project.protocol)
    return {
        "title": highlight_terms(record.title or "", terms),
        "abstract": highlight_terms(record.abstract or "", terms),
    }


@router.get("/screen", response_class=HTMLResponse)
def screen_page(request: Request, stage: Stage = Stage.TITLE_ABSTRACT) -> HTMLResponse:
    return render(
        request,
        "screen.html",
        nav="screen",
        title=f"Screening: {STAGE_NAMES[stage]}",
        **screen_context(request, stage),
    )


@router.post("/screen/decide")
def screen_decide(
    request: Request,
    record_id: int = Form(),
    stage: Stage = Form(),
    decision: Literal["include", "exclude", "maybe", "not_retrieved"] = Form(),
    reason: str = Form("", max_length=64),
    note: str = Form("", max_length=4000),
) -> Response:
    from alsreview.screening import decide

    session = session_of(request)
    word = {"include": "included", "exclude": "excluded"}.get(decision, decision)
    try:
        vote = decide(
            request.app.state.project,
            session.user.name,
            record_id,
            stage,
            word,
            reason=reason or None,
            note=note,
        )
    except AlsreviewError as exc:
        if not is_htmx(request):
            raise
        # the same record again, with the library's reason for refusing (e.g. no reason)
        return render(request, "screen_card.html", **screen_context(request, stage), error=str(exc))
    if not is_htmx(request):
        return back(f"/screen?stage={stage}")
    return render(request, "screen_card.html", **screen_context(request, stage, last=vote))


@router.post("/screen/undo")
def screen_undo(request: Request, record_id: int = Form(), stage: Stage = Form()) -> Response:
    from alsreview.screening import undo

    session = session_of(request)
    undo(request.app.state.project, session.user.name, record_id, stage)
    if not is_htmx(request):
        return back(f"/screen?stage={stage}")
    return render(request, "screen_card.html", **screen_context(request, stage))


# -- conflicts --------------------------------------------------------------------------
@router.get("/conflicts", response_class=HTMLResponse)
def conflicts_page(request: Request, stage: Stage = Stage.TITLE_ABSTRACT) -> HTMLResponse:
    from alsreview.screening import conflicts, is_blinded

    session_of(request)
    project = request.app.state.project
    blinded = is_blinded(project, stage)
    rows = [] if blinded else conflicts(project, stage, include_resolved=True)
    records = dict(project.records(primary_only=True)) if rows else {}
    return render(
        request,
        "conflicts.html",
        nav="conflicts",
        title="Conflicts",
        stage=stage,
        stage_name=STAGE_NAMES[stage],
        blinded=blinded,
        rows=rows,
        records=records,
        reasons=exclusion_reasons(request),
    )


@router.post("/stages/{stage}/unblind")
def unblind_form(stage: Stage, request: Request) -> Response:
    from alsreview.screening import unblind

    session = owner_of(request)
    unblind(request.app.state.project, stage, session.user.name)
    return back(f"/conflicts?stage={stage}")


@router.post("/conflicts/{record_id}/resolve")
def resolve_form(
    record_id: int,
    request: Request,
    stage: Stage = Form(),
    decision: Literal["included", "excluded", "not_retrieved"] = Form(),
    method: Literal["third_reviewer", "consensus"] = Form(),
    why: str = Form(min_length=1, max_length=4000),
    reason: str = Form("", max_length=64),
) -> Response:
    from alsreview.screening import resolve

    session = owner_of(request)
    resolve(
        request.app.state.project,
        record_id,
        stage,
        decision,
        resolved_by=session.user.name,
        method=method,
        why=why,
        reason=reason or None,
    )
    return back(f"/conflicts?stage={stage}")


# -- appraisal --------------------------------------------------------------------------
Tool = Literal["jbi-rct", "jbi-quasi", "rob2", "rob2-cluster", "robins-i"]


def appraisal_answers(params: FormFields) -> tuple[dict[str, str], dict[str, str]]:
    """Answers (`q:<question id>`) and domain judgements (`d:<domain id>`) from a form."""
    texts = {k: v for k, v in params.items() if isinstance(v, str) and v}
    answers = {k[2:]: v for k, v in texts.items() if k.startswith("q:")}
    domains = {k[2:]: v for k, v in texts.items() if k.startswith("d:")}
    return answers, domains


def judge_answers(tool: str, effect: str | None, params: FormFields) -> Context:
    """The algorithm's judgement of a (partly) filled form, or the problems still open."""
    from alsreview.appraisal import judge, load_instrument
    from alsreview.errors import ValidationError

    inst = load_instrument(tool)
    answers, domains = appraisal_answers(params)
    try:
        result = judge(inst, {**answers, **domains}, effect=effect or None, name="form")
    except ValidationError as exc:
        return {"appraisal": None, "problems": [p.message for p in exc.problems]}
    return {"appraisal": result, "problems": []}


@router.get("/appraisal", response_class=HTMLResponse)
def appraisal_index(request: Request) -> HTMLResponse:
    from alsreview.appraisal import TOOLS, load_instrument
    from alsreview.screening import full_text_queue
    from alsreview.store.appraisals import current_appraisals

    session = session_of(request)
    project = request.app.state.project
    records = dict(project.records(primary_only=True))
    studies = [(rid, records[rid]) for rid in full_text_queue(project) if rid in records]
    tools = [(t, load_instrument(t).name) for t in TOOLS]
    mine = [a for a in current_appraisals(project) if a.reviewer == session.user.name]
    return render(
        request,
        "appraisal_index.html",
        nav="appraisal",
        title="Appraisal",
        studies=studies,
        tools=tools,
        mine=mine,
    )


@router.get("/appraisal/form", response_class=HTMLResponse)
def appraisal_form(
    request: Request, tool: Tool, record_id: int, effect: str | None = None
) -> HTMLResponse:
    from alsreview.appraisal import load_instrument

    session_of(request)
    project = request.app.state.project
    record = dict(project.records(primary_only=True)).get(record_id)
    if record is None:
        raise HTTPException(404, f"no record {record_id} in this project")
    inst = load_instrument(tool)
    saved = saved_appraisal(request, record_id, inst.id)
    if effect is None and saved is not None:
        effect = saved.effect
    effect = effect if effect in inst.effects else (inst.effects[0] if inst.effects else None)
    filled = appraisal_form_values(inst, saved, effect)
    return render(
        request,
        "appraisal_form.html",
        nav="appraisal",
        title=f"{inst.name}: record {record_id}",
        inst=inst,
        tool=tool,
        effect=effect,
        record_id=record_id,
        record=record,
        saved=saved,
        filled=filled,
        # reviewer judgements: required where the tool has no algorithm ("Assessor"),
        # optional (checked) where it has one, not asked where items are the domains (JBI)
        domain_kind={d.id: type(d.variant(effect).algorithm).__name__ for d in inst.domains},
        **judge_answers(tool, effect, filled),
    )


def saved_appraisal(request: Request, record_id: int, tool: str) -> StoredAppraisal | None:
    """The caller's current appraisal of the record's study with `tool`, or None."""
    from alsreview.store.appraisals import current_appraisals

    session = session_of(request)
    project = request.app.state.project
    study = study_of(project, record_id)
    if study is None:
        return None
    mine = [
        a
        for a in current_appraisals(project, tool=tool, study=study, kind="assessment")
        if a.reviewer == session.user.name and a.outcome == ""
    ]
    return mine[-1] if mine else None


def appraisal_form_values(
    inst: Instrument, saved: StoredAppraisal | None, effect: str | None
) -> dict[str, str]:
    """A saved appraisal as the form's fields (`q:<question>`, `d:<domain>`), for the
    effect it was made for (another effect asks other questions: nothing is carried)."""
    if saved is None or saved.effect != effect:
        return {}
    questions = inst.questions(effect)
    domains = {d.id for d in inst.domains}
    out = {}
    for key, given in saved.answers.items():
        answer = given.get("answer") if isinstance(given, dict) else given
        if answer is None:
            continue
        if key in questions:
            out[f"q:{key}"] = str(answer)
        elif key in domains:
            out[f"d:{key}"] = str(answer)
    return out


@router.post("/appraisal/save")
async def appraisal_save(request: Request) -> Response:
    """Store the caller's appraisal (`record_assessment`: judged again, then saved)."""
    from fastapi.concurrency import run_in_threadpool

    from alsreview.appraisal import TOOLS
    from alsreview.appraisal.assessments import record_assessment

    session = session_of(request)
    form = await request.form()
    tool = str(form.get("tool", ""))
    if tool not in TOOLS:
        raise HTTPException(422, f"unknown tool {tool!r}")
    try:
        record_id = int(str(form.get("record_id", "")))
    except ValueError as exc:
        raise HTTPException(422, "record_id must be a number") from exc
    effect = str(form.get("effect") or "") or None
    answers, domains = appraisal_answers(form)
    project = request.app.state.project

    def save() -> str:
        study = study_of(project, record_id, create=True)
        assert study is not None
        record_assessment(
            project, study, tool, {**answers, **domains}, effect=effect,
            reviewer=session.user.name, name="form",
        )  # fmt: skip
        return study

    await run_in_threadpool(save)
    return back("/appraisal")


@router.get("/appraisal/judge", response_class=HTMLResponse)
def appraisal_judge(request: Request, tool: Tool, effect: str | None = None) -> HTMLResponse:
    """The live judgement fragment: htmx sends the form's answers on every change."""
    session_of(request)
    return render(
        request, "appraisal_judgement.html", **judge_answers(tool, effect, request.query_params)
    )


# -- exports ----------------------------------------------------------------------------
EXPORT_TYPES = {
    "ris": "application/x-research-info-systems",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "bib": "application/x-bibtex; charset=utf-8",
}


def download(body: bytes | str, filename: str, media_type: str) -> Response:
    """An attachment (never rendered by the browser as a page)."""
    return Response(
        body,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@router.get("/exports", response_class=HTMLResponse)
def exports_page(request: Request) -> HTMLResponse:
    session_of(request)
    return render(request, "exports.html", nav="exports", title="Exports", formats=EXPORT_TYPES)


@router.get("/exports/records.{fmt}")
def export_records(fmt: Literal["ris", "csv", "tsv", "bib"], request: Request) -> Response:
    """The project's records with their settled decisions, written by `write_records`
    (CSV cells that a spreadsheet would run as formulas are neutralised there)."""
    import tempfile
    from pathlib import Path

    from alsreview.records import write_records
    from alsreview.store.export import records_with_decisions

    session_of(request)
    records = records_with_decisions(request.app.state.project)
    with tempfile.TemporaryDirectory() as tmp:
        path = write_records(records, Path(tmp) / f"records.{fmt}")
        body = path.read_bytes()
    return download(body, f"records.{fmt}", EXPORT_TYPES[fmt])


@router.get("/exports/extraction.csv")
def export_extraction_table(request: Request) -> Response:
    """The extraction table (`alsreview extract export --out FILE.csv`): one row per study
    and reviewer or consensus; formula-like cells neutralised by `export_csv`."""
    import tempfile
    from pathlib import Path

    from alsreview.extraction.review import export_csv

    session_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "extraction.csv"
        export_csv(request.app.state.project, path)
        body = path.read_bytes()
    return download(body, "extraction.csv", EXPORT_TYPES["csv"])


@router.get("/exports/evidence.json")
def export_evidence(request: Request) -> Response:
    """The project's evidence base (`alsreview extract export --out FILE.json`): each
    study's consensus, or its only reviewer's extraction."""
    import tempfile
    from pathlib import Path

    from alsreview.extraction.review import export_json

    session_of(request)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "evidence.json"
        export_json(request.app.state.project, path)
        body = path.read_bytes()
    return download(body, "evidence.json", "application/json")


@router.get("/exports/report.html")
def export_report(request: Request) -> Response:
    """The project's report (`alsreview report --project`): one self-contained page."""
    import tempfile

    from alsreview.report.project import build_project_report

    session_of(request)
    root = request.app.state.project.root
    if root is None:  # pragma: no cover - served projects have a folder
        raise HTTPException(404, "project has no folder")
    with tempfile.TemporaryDirectory() as tmp:
        body = build_project_report(root, tmp).read_bytes()
    return download(body, "report.html", "text/html; charset=utf-8")


@router.get("/exports/prisma.{fmt}")
def export_prisma(fmt: Literal["svg", "png"], request: Request) -> Response:
    """The PRISMA 2020 flow diagram of the project's current counts."""
    from alsreview.report.prisma import draw_prisma, prisma_png
    from alsreview.store.prisma import prisma_counts

    session_of(request)
    flow = prisma_counts(request.app.state.project).to_flow()
    if fmt == "svg":
        return download(draw_prisma(flow), "prisma.svg", "image/svg+xml")
    return download(prisma_png(flow), "prisma.png", "image/png")


# -- full texts -------------------------------------------------------------------------
UPLOAD_NAME = re.compile(r"^[0-9a-f]{32}\.(pdf|txt)$")


def study_of(project: Project, record_id: int, *, create: bool = False) -> str | None:
    """The study a record belongs to; with `create`, a new study `r<record id>` for it."""
    from alsreview.extraction.review import add_study
    from alsreview.store import extractions as xs

    for st in xs.studies(project):
        if record_id in st.record_ids:
            return st.id
    if not create:
        return None
    add_study(project, f"r{record_id}", [record_id])
    return f"r{record_id}"


@router.get("/fulltext", response_class=HTMLResponse)
def fulltext_page(request: Request) -> HTMLResponse:
    from alsreview.screening import full_text_queue
    from alsreview.store import extractions as xs

    session_of(request)
    project = request.app.state.project
    records = dict(project.records(primary_only=True))
    by_record = {rid: st for st in xs.studies(project) for rid in st.record_ids}
    texts: dict[str, list[StoredFullText]] = {}
    for ft in xs.fulltexts(project):
        texts.setdefault(ft.study_id, []).append(ft)
    rows = [
        (rid, records[rid], by_record.get(rid))
        for rid in full_text_queue(project)
        if rid in records
    ]
    return render(
        request,
        "fulltext.html",
        nav="fulltext",
        title="Full texts",
        rows=rows,
        texts=texts,
        limit_mb=request.app.state.max_upload_bytes // (1024 * 1024),
    )


@router.post("/fulltext/{record_id}/upload")
async def fulltext_upload(record_id: int, request: Request, file: UploadFile) -> Response:
    """Store an uploaded PDF or text under a generated name and attach it to the record's
    study: type- and size-checked here, read and checked again by `attach_fulltext`."""
    import uuid

    from fastapi.concurrency import run_in_threadpool

    session = session_of(request)
    project = request.app.state.project
    limit = request.app.state.max_upload_bytes
    data = await file.read(limit + 1)
    if len(data) > limit:
        raise HTTPException(413, f"file larger than the limit of {limit // (1024 * 1024)} MB")
    if data.lstrip()[:5] == b"%PDF-":
        ext = "pdf"
    elif file.content_type in ("text/plain", None) and b"\x00" not in data[:65536]:
        ext = "txt"
    else:
        raise HTTPException(415, "only PDF or plain-text (UTF-8) full texts are accepted")
    if project.root is None:  # pragma: no cover - projects served by `serve` have a folder
        raise HTTPException(500, "project has no folder for full texts")
    folder = project.root / "fulltexts"
    folder.mkdir(exist_ok=True)
    path = folder / f"{uuid.uuid4().hex}.{ext}"
    path.write_bytes(data)

    def attach() -> str:
        from alsreview.extraction.fulltext import attach_fulltext

        study = study_of(project, record_id, create=True)
        assert study is not None
        attach_fulltext(project, study, path, actor=session.user.name, max_bytes=limit)
        return study

    try:
        await run_in_threadpool(attach)
    except Exception:
        path.unlink(missing_ok=True)  # nothing stored half-way
        raise
    return back("/fulltext")


@router.get("/fulltext/file/{fulltext_id}")
def fulltext_file(fulltext_id: int, request: Request) -> Response:
    """An uploaded full text, by its id (never by a path the user chose), as a download."""
    from fastapi.responses import FileResponse

    from alsreview.store import extractions as xs

    session_of(request)
    project = request.app.state.project
    row = next((ft for ft in xs.fulltexts(project) if ft.id == fulltext_id), None)
    if row is None or project.root is None or not UPLOAD_NAME.match(row.filename):
        raise HTTPException(404, f"no uploaded full text {fulltext_id}")
    path = project.root / "fulltexts" / row.filename
    if not path.is_file():
        raise HTTPException(404, f"full text {fulltext_id}: file not kept")
    media = "application/pdf" if row.filename.endswith(".pdf") else "text/plain; charset=utf-8"
    return FileResponse(
        path,
        media_type=media,
        filename=f"fulltext-{fulltext_id}.{row.filename.rsplit('.', 1)[1]}",
        headers={"Content-Security-Policy": "sandbox; default-src 'none'"},
    )


# -- extraction -------------------------------------------------------------------------
def study_suggestions(project: Project, study_id: str) -> tuple[list[Suggestion], str]:
    """Suggestions from the study's newest full text, else from its records' abstracts."""
    from alsreview.extraction.suggest import suggest
    from alsreview.store import extractions as xs

    texts = xs.fulltexts(project, study_id)
    if texts:
        return suggest(texts[-1].pages), "full text"
    study = next(st for st in xs.studies(project) if st.id == study_id)
    records = dict(project.records(primary_only=True))
    abstract = "\n\n".join(records[r].abstract for r in study.record_ids if r in records)
    return suggest(abstract), "abstract"


@router.get("/extraction", response_class=HTMLResponse)
def extraction_index(request: Request) -> HTMLResponse:
    from alsreview.store import extractions as xs

    session_of(request)
    studies = xs.studies(request.app.state.project)
    return render(
        request, "extraction_index.html", nav="extraction", title="Extraction", studies=studies
    )


def suggestion_text(suggestion: Suggestion) -> str:
    """A suggested value as shown: an ALSFRS-R statistic in words, its spread named only
    when the quoted sentence names it."""
    from types import SimpleNamespace

    from alsreview.extraction.suggest import stated_dispersion_kind
    from alsreview.report.evidence_sections import statistic_text

    if suggestion.field not in ALSFRS_SUGGESTED or not isinstance(suggestion.value, dict):
        return str(suggestion.value)
    stat = {"label": "", "n": None, "central": "mean", "estimate": None, "dispersion": None}
    stat |= {"low": None, "high": None, "unit": None, **suggestion.value}
    if stat["dispersion"] is not None and stated_dispersion_kind(suggestion.quote) is None:
        stat["dispersion_kind"] = "the sentence does not say SD or SEM"
    return str(statistic_text(SimpleNamespace(**stat)))


def extraction_context(
    request: Request,
    study_id: str,
    message: str = "",
    outcome_form: FormState | None = None,
    ae_form: FormState | None = None,
) -> Context:
    from alsreview.evidence.model import AdverseEvent
    from alsreview.extraction.accept import acceptable
    from alsreview.extraction.fields import get_path
    from alsreview.extraction.review import review_fields, reviewer_extraction
    from alsreview.store import extractions as xs

    session = session_of(request)
    project = request.app.state.project
    xs.require_study(project, study_id)
    mine = reviewer_extraction(project, study_id, session.user.name)
    suggestions, basis = study_suggestions(project, study_id)
    fields = review_fields(project)
    return {
        "study_id": study_id,
        "fields": [(f, get_path(mine, f.path)) for f in fields],
        "suggestions": [(s, acceptable(s), suggestion_text(s)) for s in suggestions],
        "basis": basis,
        "message": message,
        "outcomes": [outcome_view(study_id, o) for o in mine.get("efficacy") or []],
        "form": outcome_form or blank_outcome_form(),
        "adverse_events": [
            AdverseEvent.model_validate(e)
            for e in (mine.get("safety") or {}).get("adverse_events") or []
        ],
        "ae_form": ae_form or blank_outcome_form(0),
        "ae_choices": {"severity": [(c, c) for c in _choices(AdverseEvent, "severity")]},
        "choices": OUTCOME_CHOICES,
        "fills_from_suggestions": any(s.field in ALSFRS_SUGGESTED for s in suggestions),
    }


@router.get("/extraction/{study_id}", response_class=HTMLResponse)
def extraction_form(
    study_id: str,
    request: Request,
    edit: int | None = None,
    fill: Literal["suggested"] | None = None,
    saved: int | None = None,
    removed: int | None = None,
    field_set: str | None = None,
    edit_ae: int | None = None,
    ae_saved: int | None = None,
    ae_removed: int | None = None,
) -> HTMLResponse:
    """The extraction page; `edit=N` puts outcome N in the outcome form, `fill=suggested`
    the ALSFRS-R statistics suggested from the text."""
    session = session_of(request)
    project = request.app.state.project
    form = None
    if edit is not None:
        from alsreview.extraction.review import reviewer_extraction

        mine = reviewer_extraction(project, study_id, session.user.name).get("efficacy") or []
        if not 1 <= edit <= len(mine):
            raise HTTPException(404, f"{study_id}: no outcome {edit} in your extraction")
        form = outcome_form_values(mine[edit - 1], index=edit)
    elif fill == "suggested":
        form = suggested_outcome_form(study_suggestions(project, study_id)[0])
    ae_form = None
    if edit_ae is not None:
        from alsreview.extraction.review import reviewer_extraction

        mine = reviewer_extraction(project, study_id, session.user.name)
        events = (mine.get("safety") or {}).get("adverse_events") or []
        if not 1 <= edit_ae <= len(events):
            raise HTTPException(404, f"{study_id}: no adverse event {edit_ae} in your extraction")
        ae_form = ae_form_values(events[edit_ae - 1], index=edit_ae)
    ae_done = f"Adverse event {ae_removed} removed." if ae_removed else ""
    ae_done = f"Adverse event {ae_saved} saved." if ae_saved else ae_done
    done = f"Outcome {removed} removed." if removed else ""
    done = f"Outcome {saved} saved." if saved else done
    set_form = {"values": {"field": field_set or ""}, "errors": {}, "saved": field_set}
    return render(
        request,
        "extraction_form.html",
        nav="extraction",
        title=f"Extraction: {study_id}",
        outcome_message=done,
        ae_message=ae_done,
        set_form=set_form,
        **extraction_context(request, study_id, outcome_form=form, ae_form=ae_form),
    )


@router.post("/extraction/{study_id}/accept")
def extraction_accept(
    study_id: str, request: Request, field: str = Form(max_length=64)
) -> Response:
    """Accept the current suggestion for `field` (recomputed here, not taken from the form)."""
    from alsreview.extraction.accept import accept_suggestion

    session = session_of(request)
    project = request.app.state.project
    suggestions, _ = study_suggestions(project, study_id)
    chosen = next((s for s in suggestions if s.field == field), None)
    if chosen is None:
        raise HTTPException(404, f"{study_id}: no suggestion for {field}")
    accept_suggestion(project, study_id, chosen, reviewer=session.user.name)
    if not is_htmx(request):
        return back(f"/extraction/{study_id}")
    return render(
        request,
        "extraction_body.html",
        **extraction_context(request, study_id, f"{field} accepted"),
    )


@router.post("/extraction/{study_id}/set")
def extraction_set(
    study_id: str,
    request: Request,
    field: str = Form(max_length=64),
    value: str = Form(max_length=2000),
    source: str = Form("", max_length=200),
    note: str = Form("", max_length=2000),
) -> Response:
    """Type a value as `alsreview extract set` takes it: JSON (numbers, lists) or text, with
    where it was read and an optional note; `null` removes the field.  The library's
    problems come back next to the form's fields, nothing stored."""
    import json

    from alsreview.errors import Problem, ValidationError
    from alsreview.extraction.fields import field_for
    from alsreview.extraction.review import fact, set_field

    session = session_of(request)
    try:
        parsed: JSONValue = json.loads(value)
    except json.JSONDecodeError:
        parsed = value
    try:
        if field_for(field).is_fact and parsed is not None:
            if not source.strip():
                raise ValidationError([Problem("say where the value was read", column="source")])
            parsed = fact(parsed, source.strip(), note.strip() or None)
        set_field(request.app.state.project, study_id, field, parsed, reviewer=session.user.name)
    except ValidationError as exc:
        errors: dict[str, list[str]] = {}
        for p in exc.problems:
            name = "source" if p.column == "source" else "value"
            errors.setdefault(name, []).append(p.message if name == "source" else str(p))
        typed = {"field": field, "value": value, "source": source, "note": note}
        return not_saved(
            request,
            set_form={"values": typed, "errors": errors},
            **extraction_context(request, study_id),
        )
    return back(f"/extraction/{study_id}?field_set={field}#form-h")


def not_saved(request: Request, **context: object) -> HTMLResponse:
    """The extraction page again (422) with a refused form as typed and its problems
    (`context`: `extraction_context` and the refused form)."""
    title = f"Extraction: {context['study_id']} (not saved)"
    return render(request, "extraction_form.html", 422, nav="extraction", title=title, **context)


# -- extraction: efficacy outcomes (the ALSFRS-R form) ----------------------------------
# The form only maps fields to the evidence format's keys; `save_item` checks and types
# them exactly as `alsreview extract set ID efficacy JSON` would.
GROUP_ROWS = 4  # blank rows for groups or time points (more appear when editing)
GROUP_PARTS = (
    "label", "n", "central", "estimate", "dispersion_kind", "dispersion", "low", "high",
    "unit", "printed", "changes",
)  # fmt: skip
OUTCOME_PARTS = ("measure", "comparison", "subgroup", "window", "direction", "description")
ALSFRS_SUGGESTED = ("efficacy.alsfrs_r_before", "efficacy.alsfrs_r_after")
MEASURE_LABELS = {
    "alsfrs_r_monthly_decline": "ALSFRS-R decline per month (points lost per month)",
    "alsfrs_r_change": "ALSFRS-R change between two time points (points)",
    "alsfrs_r_slope": "ALSFRS-R slope (points per month, as the model prints it)",
    "fvc": "FVC (forced vital capacity)",
}
SPREAD_LABELS = {
    "SD": "SD, standard deviation (one ± value)",
    "SEM": "SEM, standard error of the mean (one ± value)",
    "IQR": "IQR, interquartile range (lower and upper quartile)",
    "range": "range (minimum and maximum)",
    "CI95": "95% CI, confidence interval (lower and upper limit)",
}


def _choices(model: type[BaseModel], name: str) -> tuple[str, ...]:
    """The values of a model field typed `Literal[...]` (or `Literal[...] | None`)."""
    from typing import get_args, get_origin

    annotation = model.model_fields[name].annotation
    literals = [annotation] if get_origin(annotation) is Literal else get_args(annotation)
    return tuple(v for lit in literals if get_origin(lit) is Literal for v in get_args(lit))


def _outcome_choices() -> dict[str, list[tuple[str, str]]]:
    """The evidence model's allowed values, each with the words the form shows."""
    from alsreview.evidence.model import Outcome, PValue, Statistic

    def labelled(codes: tuple[str, ...], labels: dict[str, str]) -> list[tuple[str, str]]:
        return [(c, labels.get(c, c.replace("_", " "))) for c in codes]

    return {
        "measure": labelled(_choices(Outcome, "measure"), MEASURE_LABELS),
        "comparison": labelled(_choices(Outcome, "comparison"), {}),
        "direction": labelled(_choices(Outcome, "direction"), {}),
        "central": labelled(_choices(Statistic, "central"), {"value": "value (neither)"}),
        "dispersion_kind": labelled(_choices(Statistic, "dispersion_kind"), SPREAD_LABELS),
        "p_relation": labelled(_choices(PValue, "relation"), {}),
    }


OUTCOME_CHOICES = _outcome_choices()


def blank_outcome_form(rows: int = GROUP_ROWS) -> FormState:
    """Form state: `values` (name -> text), `errors` (name -> messages), `notes` (name ->
    a caution), `problems` (every message as the CLI prints it), `rows` (group rows),
    `index` (outcome edited, 1-based)."""
    return {"values": {}, "errors": {}, "notes": {}, "problems": [], "rows": rows, "index": None}


def _text(v: JSONValue) -> str:
    return "" if v is None else (f"{v:g}" if isinstance(v, float) else str(v))


def outcome_form_values(outcome: JSONDict, index: int | None = None) -> FormState:
    """The form filled with a stored outcome (evidence-format dict)."""
    values = {k: _text(outcome.get(k)) for k in (*OUTCOME_PARTS, "note")}
    values["source"] = "; ".join(map(str, outcome.get("from", [])))
    p_value = outcome.get("p_value") or {}
    values["p_value"] = _text(p_value.get("value"))
    values["p_relation"] = p_value.get("relation", "=")
    groups = outcome.get("groups") or []
    for j, g in enumerate(groups):
        for part in GROUP_PARTS:
            v = g.get(part)
            values[f"g{j}-{part}"] = "\n".join(v) if part == "changes" and v else _text(v)
    form = blank_outcome_form(max(GROUP_ROWS, len(groups) + 1))
    form["values"], form["index"] = values, index
    return form


def suggested_outcome_form(suggestions: list[Suggestion]) -> FormState:
    """The form filled with the suggested ALSFRS-R statistics (before, after) and their
    quote: the spread's kind only where the quoted sentence names it."""
    from alsreview.extraction.suggest import stated_dispersion_kind

    chosen = [s for s in suggestions if s.field in ALSFRS_SUGGESTED]
    groups, unsure = [], []
    for j, s in enumerate(chosen):
        stat = dict(s.value)
        if stat.get("dispersion") is not None and stated_dispersion_kind(s.quote) is None:
            stat.pop("dispersion_kind", None)  # the reviewer says what the ± is
            unsure.append(j)
        groups.append(stat)
    outcome: JSONDict = {"comparison": "pre-post", "groups": groups}
    if chosen:
        pages = sorted({s.page for s in chosen})
        quotes = list(dict.fromkeys(s.quote for s in chosen))
        outcome["from"] = [f"page {p}" for p in pages]
        outcome["note"] = "suggested from: " + " ".join(f'"{q}"' for q in quotes)
    form = outcome_form_values(outcome)
    form["notes"] = {
        f"g{j}-dispersion_kind": "the quoted sentence does not say whether ± is an SD or an "
        "SEM: read the paper's methods and choose"
        for j in unsure
    }
    return form


def form_rows(form: FormFields) -> int:
    """How many group rows the form had (at least `GROUP_ROWS`, at most 50)."""
    raw = str(form.get("rows") or "")
    return min(max(int(raw), GROUP_ROWS), 50) if raw.isdigit() else GROUP_ROWS


def form_parts(form: FormFields, parts: tuple[str, ...]) -> JSONDict:
    """The non-blank `parts` of a form, and its `source` split at ';' as `from`."""
    out: JSONDict = {}
    for k in parts:
        v = str(form.get(k) or "").strip()
        if v:
            out[k] = v
    sources = [x.strip() for x in str(form.get("source") or "").split(";") if x.strip()]
    if sources:
        out["from"] = sources
    return out


def outcome_from_form(form: FormFields) -> tuple[JSONDict, list[int]]:
    """The outcome the form describes (blank parts left out; `source` split at ';'), and
    the form row of each group kept (rows left blank are skipped)."""
    out = form_parts(form, (*OUTCOME_PARTS, "note"))
    p_value = str(form.get("p_value") or "").strip()
    if p_value:
        out["p_value"] = {"value": p_value, "relation": str(form.get("p_relation") or "=")}
    groups, rows = [], []
    for j in range(form_rows(form)):
        g: JSONDict = {}
        for part in GROUP_PARTS:
            v = str(form.get(f"g{j}-{part}") or "").strip()
            if v:
                g[part] = v
        if "changes" in g:
            g["changes"] = [c.strip() for c in g["changes"].splitlines() if c.strip()]
        if set(g) - {"central"}:
            groups.append(g)
            rows.append(j)
    if groups:
        out["groups"] = groups
    return out, rows


def _form_name(rest: str, message: str, rows: list[int]) -> str | None:
    """The form field a problem's location (after ``efficacy.<i>.``) points at."""
    parts = rest.split(".") if rest else []
    if not parts:
        return None
    head = parts[0]
    if head in (*OUTCOME_PARTS, "note"):
        return head
    if head == "from":
        return "source"
    if head == "p_value":
        return "p_relation" if parts[1:2] == ["relation"] else "p_value"
    if head == "groups" and len(parts) >= 2 and parts[1].isdigit() and int(parts[1]) < len(rows):
        row = rows[int(parts[1])]
        if len(parts) >= 3 and parts[2] in GROUP_PARTS:
            return f"g{row}-{parts[2]}"
        # a statistic's own rule: printed value missing, or the spread's kind
        return f"g{row}-printed" if "printed" in message else f"g{row}-dispersion_kind"
    return None


def item_errors(
    study_id: str, path: str, problems: Sequence[Problem], to_name: FieldOf
) -> tuple[dict[str, list[str]], list[tuple[str | None, str]]]:
    """The library's problems with a list item placed next to their fields (`to_name` maps
    the location after ``PATH.<i>.`` and the message to a field), and all of them as the
    CLI prints them (with the field each links to)."""
    by_field: dict[str, list[str]] = {}
    listed: list[tuple[str | None, str]] = []
    for p in problems:
        m = re.match(rf"^{re.escape(study_id)}: {re.escape(path)}\.\d+\.?(.*)$", p.column or "")
        name = to_name(m.group(1), p.message) if m else None
        if name:
            by_field.setdefault(name, []).append(p.message)
        listed.append((name, str(p)))
    return by_field, listed


def outcome_view(study_id: str, outcome: JSONDict) -> Context:
    """A stored outcome as shown: each statistic in words (kind of spread named, medians
    called medians), the printed value where it was changed, the integrity checks."""
    from alsreview.evidence.integrity import check_outcome
    from alsreview.evidence.model import Outcome
    from alsreview.report.evidence_sections import measure_label, statistic_text

    o = Outcome.model_validate(outcome)
    return {
        "outcome": o,
        "measure": measure_label(o),
        "groups": [(statistic_text(g), g) for g in o.groups],
        "findings": check_outcome(o, study_id),
    }


async def save_list_item(
    request: Request, study_id: str, path: str, item: JSONDict, to_name: FieldOf, key: str
) -> Response:
    """Save a list item from a form through `save_item`: back to the page with the item's
    number, or the page again (422) with the form as typed and the library's problems."""
    from fastapi.concurrency import run_in_threadpool

    from alsreview.errors import ValidationError
    from alsreview.extraction.review import save_item

    session = session_of(request)
    form = await request.form()
    raw_index = str(form.get("index") or "").strip()
    index = int(raw_index) - 1 if raw_index.isdigit() else None

    def save() -> int:
        return save_item(
            request.app.state.project, study_id, path, item, index=index,
            reviewer=session.user.name,
        )  # fmt: skip

    try:
        at = await run_in_threadpool(save)
    except ValidationError as exc:
        by_field, listed = item_errors(study_id, path, exc.problems, to_name)
        state = blank_outcome_form(form_rows(form))
        state["values"] = {k: str(v) for k, v in form.items() if k != "csrf_token"}
        state["errors"], state["problems"] = by_field, listed
        state["index"] = index + 1 if index is not None else None
        outcome_form, ae_form = (state, None) if key == "saved" else (None, state)
        context = await run_in_threadpool(
            lambda: extraction_context(request, study_id, "", outcome_form, ae_form)
        )
        return not_saved(request, **context)
    anchor = "outcomes" if key == "saved" else "safety"
    return back(f"/extraction/{study_id}?{key}={at + 1}#{anchor}")


@router.post("/extraction/{study_id}/outcome")
async def outcome_save(study_id: str, request: Request) -> Response:
    """Save the outcome form (new, or outcome `index` edited) through `save_item`; the
    library's problems come back next to their fields, nothing stored."""
    form = await request.form()
    outcome, rows = outcome_from_form(form)
    return await save_list_item(
        request, study_id, "efficacy", outcome,
        lambda rest, message: _form_name(rest, message, rows), "saved",
    )  # fmt: skip


@router.post("/extraction/{study_id}/outcome/{number}/remove")
def outcome_remove(study_id: str, number: int, request: Request) -> Response:
    """Remove outcome `number` (1-based, as the page numbers them) from your extraction."""
    return remove_list_item(request, study_id, "efficacy", number, "removed", "outcomes")


def remove_list_item(
    request: Request, study_id: str, path: str, number: int, key: str, anchor: str
) -> Response:
    """Remove item `number` (1-based) of a list field through `remove_item`."""
    from alsreview.extraction.review import remove_item

    session = session_of(request)
    project = request.app.state.project
    remove_item(project, study_id, path, number - 1, reviewer=session.user.name)
    return back(f"/extraction/{study_id}?{key}={number}#{anchor}")


# -- extraction: adverse events ---------------------------------------------------------
AE_PARTS = ("term", "serious", "related", "n_patients", "n_events", "severity", "note")


def ae_form_values(event: JSONDict, index: int | None = None) -> FormState:
    """The adverse-event form filled with a stored event (evidence-format dict)."""
    values = {}
    for k in AE_PARTS:
        v = event.get(k)
        values[k] = ("yes" if v else "no") if isinstance(v, bool) else _text(v)
    values["source"] = "; ".join(map(str, event.get("from", [])))
    form = blank_outcome_form(0)
    form["values"], form["index"] = values, index
    return form


def ae_from_form(form: FormFields) -> JSONDict:
    """The adverse event the form describes (blank parts left out, `source` split at ';');
    yes/no are read as booleans by the evidence model."""
    return form_parts(form, AE_PARTS)


def _ae_name(rest: str, message: str) -> str | None:
    head = rest.split(".")[0] if rest else ""
    return "source" if head == "from" else (head if head in AE_PARTS else None)


@router.post("/extraction/{study_id}/adverse-event")
async def adverse_event_save(study_id: str, request: Request) -> Response:
    """Save the adverse-event form (new, or event `index` edited) through `save_item`."""
    form = await request.form()
    return await save_list_item(
        request, study_id, "safety.adverse_events", ae_from_form(form), _ae_name, "ae_saved"
    )


@router.post("/extraction/{study_id}/adverse-event/{number}/remove")
def adverse_event_remove(study_id: str, number: int, request: Request) -> Response:
    """Remove adverse event `number` (1-based) from your extraction."""
    return remove_list_item(
        request, study_id, "safety.adverse_events", number, "ae_removed", "safety"
    )
