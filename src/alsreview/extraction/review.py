"""Extraction on a project: per-reviewer forms, dual-extraction comparison, consensus, export.

In: an open `Project` (records screened, included studies linked to their records).  Out:
saved extractions (each save an event), `Comparison`s, a consensus version per study, and
the project's evidence base in the bundled evidence format (`project_evidence`), so the
report code that serves the bundled base serves a project too.

Paper keys: facts cite ``"<study id>: <locator>"`` for the study's own report (the study's
linked records make that `SourcePaper`), or any paper stored with `add_entries`.  The project
review itself is the paper ``project`` that every study is `reviewed_in`.
"""

from __future__ import annotations

import csv
import io
import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from alsreview.errors import Problem, StoreError, ValidationError
from alsreview.evidence.model import EvidenceBase, SourcePaper, Study
from alsreview.extraction.compare import (
    Comparison,
    FieldComparison,
    compare_extractions,
    compare_field,
)
from alsreview.extraction.fields import (
    IDENTITY,
    Field,
    check_extraction,
    check_field,
    field_for,
    fields_from_protocol,
    get_path,
    set_path,
)
from alsreview.records.model import Record
from alsreview.store import extractions as xs
from alsreview.store.project import Project, current_actor
from alsreview.store.records import RecordRow
from alsreview.typealiases import JSONDict, JSONValue

PROJECT_KEY = "project"
MAX_ENTRIES_BYTES = 20 * 1024 * 1024


def review_fields(project: Project) -> tuple[Field, ...]:
    """The fields this review extracts (protocol `[extraction] fields`, else the defaults)."""
    try:
        names = project.protocol.extraction_fields
    except StoreError:
        names = ()
    return fields_from_protocol(names)


# ----------------------------------------------------------------- studies and forms
def add_study(
    project: Project, study_id: str, record_ids: list[int], label: str | None = None
) -> None:
    """Create an included study from one or more (primary) records, or link more records."""
    if label is None and record_ids:
        first = xs.record(project, record_ids[0])
        if first is not None and first.first_author:
            label = f"{first.first_author.split(',')[0].strip()} {first.year or ''}".strip()
    write = xs.StudyEntry(study_id, label or study_id, tuple(record_ids), None)
    xs.write_studies(project, [write], action="study.link", details={"records": record_ids})


def fact(value: JSONValue, source: str, note: str | None = None) -> JSONDict:
    """A Fact dict; `source` is 'paper: locator' or a bare locator (then the study's paper)."""
    out: JSONDict = {"value": value, "from": [source]}
    if note:
        out["note"] = note
    return out


def reviewer_extraction(project: Project, study_id: str, reviewer: str) -> JSONDict:
    for e in xs.current_extractions(project, study_id):
        if e.kind == "reviewer" and e.reviewer == reviewer:
            return e.data
    return {}


def set_field(
    project: Project,
    study_id: str,
    path: str,
    value: JSONValue,
    *,
    reviewer: str | None = None,
) -> JSONDict:
    """Set one field of a reviewer's extraction (a Fact dict, or a list for outcomes/AEs);
    None removes it.

    A bare locator in a `from` ("Table 2") of a Fact, an outcome or an adverse event is cited
    to the study's own report.
    The value is checked against the evidence model before anything is stored.
    """
    who = reviewer or current_actor()
    xs.require_study(project, study_id)
    f = field_for(path)
    if f.is_fact and isinstance(value, dict):
        value = {**value, "from": [_cite(study_id, p) for p in value.get("from", [])]}
    elif isinstance(value, list):  # outcomes, adverse events: each item cites its source
        value = [_cited(study_id, x) for x in value]
    problems = check_field(path, value, f"{study_id}: ") if value is not None else []
    if problems:
        raise ValidationError(problems)
    data = set_path(reviewer_extraction(project, study_id, who), path, value)
    xs.save_extraction(
        project,
        study_id,
        data,
        reviewer=who,
        action="extraction.set",
        details={"field": path, "value": value},
    )
    return data


def _cite(study_id: str, source: Any) -> Any:
    if isinstance(source, str) and ":" not in source:
        return f"{study_id}: {source}"
    return source


def _cited(study_id: str, item: Any) -> Any:
    """A list item (outcome, adverse event) with its bare locators cited to the study."""
    if isinstance(item, dict) and isinstance(item.get("from"), list):
        return {**item, "from": [_cite(study_id, p) for p in item["from"]]}
    return item


# the list fields of a study and the evidence-model class of their items
LIST_FIELDS = {"efficacy": "Outcome", "safety.adverse_events": "AdverseEvent"}


def save_item(
    project: Project,
    study_id: str,
    path: str,
    item: JSONDict,
    *,
    index: int | None = None,
    reviewer: str | None = None,
) -> int:
    """Add an item (an efficacy outcome, an adverse event) to the list field `path` of a
    reviewer's extraction, or replace item `index` (0-based); returns its index.

    The same as `extract set ID PATH JSON` with the whole list: bare locators cite the
    study, the list is checked against the evidence model (the problems name
    ``PATH.<index>.<part>`` as `check_field` does), and the item is kept with its values
    typed as the model reads them ("27.5" becomes 27.5, "yes" True) and only the parts given.
    """
    from alsreview.evidence import model

    if path not in LIST_FIELDS:
        raise ValidationError([Problem(f"{path!r} is not a list field ({', '.join(LIST_FIELDS)})")])
    who = reviewer or current_actor()
    xs.require_study(project, study_id)
    current = list(get_path(reviewer_extraction(project, study_id, who), path) or [])
    if index is not None and not 0 <= index < len(current):
        raise ValidationError(
            [Problem(f"no item {index + 1} of {path} to replace ({len(current)} saved)",
                     column=study_id)]
        )  # fmt: skip
    cited = _cited(study_id, item)
    at = len(current) if index is None else index
    new = [*current[:at], cited, *current[at + 1 :]]
    problems = check_field(path, new, f"{study_id}: ")
    if problems:
        raise ValidationError(problems)
    typed = getattr(model, LIST_FIELDS[path]).model_validate(cited)
    kept = typed.model_dump(mode="json", by_alias=True, exclude_unset=True)
    for key in ("from", "conflicts"):  # provenance kept as written ("r1: Table 2")
        if key in cited:
            kept[key] = cited[key]
    new[at] = kept
    set_field(project, study_id, path, new, reviewer=who)
    return at


def remove_item(
    project: Project, study_id: str, path: str, index: int, *, reviewer: str | None = None
) -> None:
    """Remove item `index` (0-based) of the list field `path` of a reviewer's extraction."""
    who = reviewer or current_actor()
    xs.require_study(project, study_id)
    current = list(get_path(reviewer_extraction(project, study_id, who), path) or [])
    if not 0 <= index < len(current):
        raise ValidationError(
            [Problem(f"no item {index + 1} of {path} to remove ({len(current)} saved)",
                     column=study_id)]
        )  # fmt: skip
    rest = current[:index] + current[index + 1 :]
    set_field(project, study_id, path, rest or None, reviewer=who)


# ----------------------------------------------------------------- comparison, consensus
def compare_study(project: Project, study_id: str, rel_tol: float = 1e-3) -> list[Comparison]:
    """Every pair of reviewers who extracted the study, compared over the review's fields."""
    xs.require_study(project, study_id)
    fields = review_fields(project)
    mine = [e for e in xs.current_extractions(project, study_id) if e.kind == "reviewer"]
    out = []
    for i, a in enumerate(mine):
        for b in mine[i + 1 :]:
            out.append(
                compare_extractions(
                    a.data,
                    b.data,
                    study_id=study_id,
                    reviewer_a=a.reviewer,
                    reviewer_b=b.reviewer,
                    fields=fields,
                    rel_tol=rel_tol,
                )
            )
    return out


@dataclass(frozen=True)
class OpenField:
    """A field the reviewers' current extractions disagree on (or only some extracted): what
    `make_consensus` needs resolved by `take` or `values`."""

    field: Field
    values: dict[str, JSONValue]  # reviewer -> their stored value (None: not extracted)
    differences: tuple[FieldComparison, ...]  # the parts that differ, first reviewer vs each


def _reviewer_extractions(project: Project, study_id: str) -> dict[str, JSONDict]:
    xs.require_study(project, study_id)
    return {
        e.reviewer: e.data
        for e in xs.current_extractions(project, study_id)
        if e.kind == "reviewer"
    }


def _differences(f: Field, mine: dict[str, JSONDict]) -> tuple[FieldComparison, ...] | None:
    """None when every reviewer has `f` and their values agree (or nobody has it); else the
    parts that differ (empty when some reviewers left the field out)."""
    reviewers = list(mine)
    present = [r for r in reviewers if get_path(mine[r], f.path) is not None]
    if not present:
        return None
    first = mine[reviewers[0]]
    diffs = tuple(d for r in reviewers[1:] for d in compare_field(f, first, mine[r]) if not d.agree)
    if diffs or (len(present) < len(reviewers) and len(reviewers) > 1):
        return diffs
    return None


def open_fields(project: Project, study_id: str) -> tuple[list[str], list[OpenField]]:
    """The reviewers who extracted the study, and the fields a consensus must resolve (the
    ones `make_consensus` refuses without `take`/`values`), each with every reviewer's value."""
    mine = _reviewer_extractions(project, study_id)
    out = []
    for f in review_fields(project):
        diffs = _differences(f, mine)
        if diffs is not None:
            out.append(OpenField(f, {r: get_path(d, f.path) for r, d in mine.items()}, diffs))
    return list(mine), out


@dataclass(frozen=True)
class ConsensusResult:
    study_id: str
    data: JSONDict
    agreed: tuple[str, ...]
    resolved: dict[str, str] = field(default_factory=dict)  # field -> how


def make_consensus(
    project: Project,
    study_id: str,
    *,
    take: dict[str, str] | None = None,
    values: JSONDict | None = None,
    actor: str | None = None,
) -> ConsensusResult:
    """Build and save the consensus: fields all reviewers agree on are taken; every other
    field must be resolved by `take` (field -> reviewer whose value wins) or `values`
    (field -> the agreed Fact, or None to leave it out).  Unresolved fields: ValidationError
    listing each with both values, and nothing is saved."""
    take, values = dict(take or {}), dict(values or {})
    mine = _reviewer_extractions(project, study_id)
    fields = review_fields(project)
    if not mine:
        raise StoreError(f"study {study_id}: no reviewer has extracted it yet")
    for fname, reviewer in take.items():
        field_for(fname)
        if reviewer not in mine:
            raise StoreError(
                f"study {study_id}: {reviewer!r} has not extracted it (reviewers: "
                f"{', '.join(mine)})"
            )
    reviewers = list(mine)
    first = mine[reviewers[0]]
    data: JSONDict = {k: v for k, v in first.items() if k in IDENTITY}
    agreed: list[str] = []
    resolved: dict[str, str] = {}
    problems: list[Problem] = []
    unresolved = False
    for f in fields:
        present = [r for r in reviewers if get_path(mine[r], f.path) is not None]
        if f.path in values:
            v = values[f.path]
            if v is not None:
                if f.is_fact and isinstance(v, dict):
                    v = {**v, "from": [_cite(study_id, p) for p in v.get("from", [])]}
                elif isinstance(v, list):  # outcomes, adverse events: cited as set_field does
                    v = [_cited(study_id, x) for x in v]
                problems += check_field(f.path, v, f"{study_id}: ")
                data = set_path(data, f.path, v)
            resolved[f.path] = "value given"
            continue
        if f.path in take:
            data = set_path(data, f.path, get_path(mine[take[f.path]], f.path))
            resolved[f.path] = f"taken from {take[f.path]}"
            continue
        if not present:
            continue
        if _differences(f, mine) is not None:
            shown = "; ".join(
                f"{r}: {json.dumps(_fact_value(get_path(mine[r], f.path)))}" for r in reviewers
            )
            problems.append(Problem(f"{f.path} disagrees ({shown})", column=f"{study_id}"))
            unresolved = True
            continue
        data = set_path(data, f.path, _merged(f, [get_path(mine[r], f.path) for r in reviewers]))
        agreed.append(f.path)
    if problems:
        if unresolved:
            problems.append(
                Problem("resolve each with --take FIELD=REVIEWER or --value FIELD=JSON")
            )
        raise ValidationError(problems)
    xs.save_extraction(
        project,
        study_id,
        data,
        reviewer=actor,
        kind="consensus",
        action="extraction.consensus",
        details={"agreed": agreed, "resolved": resolved, "reviewers": reviewers},
    )
    return ConsensusResult(study_id, data, tuple(agreed), resolved)


def _fact_value(x: Any) -> Any:
    if isinstance(x, dict) and "value" in x:
        return x["value"]
    return x


def _merged(f: Field, facts: list[Any]) -> Any:
    """Agreed values: the first reviewer's fact, citing every reviewer's sources once."""
    base = facts[0]
    if not f.is_fact or not isinstance(base, dict):
        return base
    seen: list[Any] = []
    for x in facts:
        for p in x.get("from", []):
            if p not in seen:
                seen.append(p)
    return {**base, "from": seen}


# ----------------------------------------------------------------- import / export
def add_entries(
    project: Project,
    path: str | Path,
    *,
    reviewer: str | None = None,
    consensus: bool = False,
) -> list[str]:
    """Load study entries in the evidence format (a whole evidence-base file, or
    ``{"studies": [...], "sources": {...}}``) as a reviewer's extractions (or, with
    `consensus`, as agreed versions).  Each entry is linked to the project's records with
    the same DOI, PMID or registration number.  The file is checked as a whole (the schema,
    then the project's evidence base with the entries added) before anything is written."""
    p = Path(path)
    name = str(p)
    try:
        size = p.stat().st_size
    except OSError as exc:
        raise ValidationError([Problem(f"cannot read: {exc.strerror}", file=name)]) from exc
    if size > MAX_ENTRIES_BYTES:
        raise ValidationError(
            [Problem(f"file of {size} bytes exceeds the {MAX_ENTRIES_BYTES} byte limit", name)]
        )
    try:
        doc = json.loads(p.read_text("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValidationError([Problem(f"not valid JSON: {exc}", file=name)]) from exc
    if isinstance(doc, list):
        doc = {"studies": doc}
    if not isinstance(doc, dict) or not isinstance(doc.get("studies"), list):
        raise ValidationError([Problem("expected an object with a 'studies' list", file=name)])
    problems: list[Problem] = []
    sources = doc.get("sources") or {}
    if not isinstance(sources, dict):
        problems.append(Problem("'sources' must be an object of papers", file=name))
        sources = {}
    for key, paper in sources.items():
        problems += _pydantic_problems(SourcePaper, paper, name, f"sources.{key}")
    entries: list[tuple[str, JSONDict]] = []
    for i, entry in enumerate(doc["studies"]):
        where = f"studies[{i}]"
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            problems.append(Problem("a study entry needs a string 'id'", file=name, column=where))
            continue
        where = f"studies[{i}] ({entry['id']})"
        # citation and reviewed_in may be left to the project (its records, its review)
        stand_in = {
            "citation": {"first_author": entry["id"], "year": 2000, "from": ["project: record"]},
            "reviewed_in": [{"review": PROJECT_KEY}],
        }
        problems += _pydantic_problems(Study, {**stand_in, **entry}, name, where)
        entries.append((entry["id"], {k: v for k, v in entry.items() if k != "id"}))
    ids = [sid for sid, _ in entries]
    for sid in {s for s in ids if ids.count(s) > 1}:
        problems.append(Problem(f"study id {sid!r} appears more than once", file=name))
    if problems:
        raise ValidationError(problems)
    for sid, data in entries:
        check_extraction(data, f"{name}: {sid}: ")
    records = project.records(primary_only=True)
    writes = []
    for sid, data in entries:
        linked = _matching_records(data.get("citation", {}), records)
        writes.append(xs.StudyEntry(sid, _label(data, sid), tuple(linked), data))
    # the project's evidence base with these entries must still validate (cited papers known)
    _check_would_validate(project, writes, sources, consensus, reviewer or current_actor(), name)
    xs.write_studies(
        project,
        writes,
        reviewer=reviewer,
        kind="consensus" if consensus else "reviewer",
        papers={
            k: SourcePaper.model_validate(v).model_dump(mode="json", exclude_none=True)
            for k, v in sources.items()
        },
        action="extraction.add",
        details={"file": name},
    )
    return ids


def _pydantic_problems(model: Any, data: Any, name: str, where: str) -> list[Problem]:
    import pydantic

    try:
        model.model_validate(data)
    except pydantic.ValidationError as exc:
        return [
            Problem(err["msg"], file=name, column=".".join([where, *map(str, err["loc"])]))
            for err in exc.errors()
        ]
    return []


def _label(data: JSONDict, sid: str) -> str:
    c = data.get("citation") or {}
    return f"{c['first_author']} {c['year']}" if c.get("first_author") and c.get("year") else sid


def _matching_records(citation: JSONDict, records: list[RecordRow]) -> list[int]:
    from alsreview.records.model import normalise_doi, normalise_pmid

    doi = normalise_doi(citation.get("doi"))
    pmid = normalise_pmid(citation.get("pmid"))
    regs = {str(r).split()[-1].upper() for r in citation.get("registration", [])}
    out = []
    for rid, r in records:
        if (
            (doi and r.doi == doi)
            or (pmid and r.pmid == pmid)
            or (r.nct_id and r.nct_id.upper() in regs)
        ):
            out.append(rid)
    return out


def _check_would_validate(
    project: Project,
    writes: list[xs.StudyEntry],
    sources: JSONDict,
    consensus: bool,
    reviewer: str,
    name: str,
) -> None:
    import pydantic

    papers = {**xs.papers(project), **sources}
    base = _evidence_dict(project, papers, extra=writes)
    try:
        EvidenceBase.model_validate(base)
    except pydantic.ValidationError as exc:
        raise ValidationError(
            [
                Problem(err["msg"], file=name, column=".".join(map(str, err["loc"])))
                for err in exc.errors()
            ]
        ) from None


@dataclass(frozen=True)
class ProjectEvidence:
    """The project's evidence base and the studies left out of it (with why)."""

    base: EvidenceBase
    pending: tuple[str, ...] = ()


def _study_paper(study_id: str, records: list[Record], year: int) -> JSONDict:
    r = records[0] if records else Record(title=study_id)
    authors = ", ".join(r.authors[:3]) + (" et al." if len(r.authors) > 3 else "")
    paper: JSONDict = {
        "key": study_id,
        "kind": "trial report",
        "authors": authors or "(authors not recorded)",
        "year": r.year or year,
        "title": r.title or study_id,
        "journal": r.journal or "(journal not recorded)",
    }
    if r.doi:
        paper["doi"] = r.doi
    else:
        paper["doi_note"] = "no DOI in the project's records"
    return paper


def _citation(study_id: str, records: list[Record]) -> JSONDict:
    r = records[0] if records else None
    if r is None:
        return {"first_author": study_id, "year": None, "from": [f"{study_id}: title page"]}
    surname = (r.first_author.split(",")[0] or study_id).strip()
    c: JSONDict = {
        "first_author": surname,
        "year": r.year,
        "title": r.title or None,
        "journal": r.journal or None,
        "doi": r.doi,
        "pmid": r.pmid,
        "registration": [x for x in (r.nct_id, r.eudract_id) if x],
        "from": [f"{study_id}: record"],
    }
    return {k: v for k, v in c.items() if v is not None}


def _evidence_dict(
    project: Project,
    papers: JSONDict,
    extra: list[xs.StudyEntry] | None = None,
    pending: list[str] | None = None,
) -> JSONDict:
    """The evidence-format dict of the project (optionally with entries about to be added)."""
    stored = {s.id: s for s in xs.studies(project)}
    by_id = dict(project.records())
    current: dict[str, dict[str, JSONDict]] = {}
    for e in xs.current_extractions(project):
        current.setdefault(e.study_id, {})[f"{e.kind}:{e.reviewer}"] = e.data
    chosen: dict[str, tuple[JSONDict, tuple[int, ...]]] = {}
    for sid, st in stored.items():
        versions = current.get(sid, {})
        cons = [v for k, v in versions.items() if k.startswith("consensus:")]
        mine = [v for k, v in versions.items() if k.startswith("reviewer:")]
        if cons:
            chosen[sid] = (cons[-1], st.record_ids)
        elif len(mine) == 1:
            chosen[sid] = (mine[0], st.record_ids)
        elif pending is not None:
            pending.append(
                f"{sid}: no extraction yet"
                if not mine
                else f"{sid}: {len(mine)} reviewers' extractions and no consensus"
            )
    for new in extra or []:
        ids = tuple(
            sorted(
                set(stored[new.study_id].record_ids if new.study_id in stored else ())
                | set(new.record_ids)
            )
        )
        chosen[new.study_id] = (new.data or {}, ids)
    try:
        title = project.protocol.title
    except StoreError:
        title = "alsreview project"
    sources: JSONDict = {
        PROJECT_KEY: {
            "key": PROJECT_KEY,
            "kind": "systematic review",
            "authors": "this project's reviewers",
            "year": _year(),
            "title": title,
            "journal": "alsreview project (unpublished)",
            "doi_note": "an unpublished review project",
        }
    }
    studies = []
    for sid, (data, rids) in chosen.items():
        recs = [by_id[r] for r in rids if r in by_id]
        entry = {
            "id": sid,
            "citation": _citation(sid, recs),
            "reviewed_in": [{"review": PROJECT_KEY, "in_table": True}],
            **data,
        }
        year = entry["citation"].get("year")
        if not year:  # no record with a year and no citation given: cannot be cited
            if pending is not None:
                pending.append(f"{sid}: no publication year (link its record or add a citation)")
            continue
        if recs or f'"{sid}:' in json.dumps(entry, ensure_ascii=False):
            sources.setdefault(sid, _study_paper(sid, recs, year))  # the study's own report
        studies.append(entry)
    for key, paper in papers.items():
        sources[key] = paper
    return {"title": title, "sources": sources, "reviews": [], "studies": studies}


def _year() -> int:
    import datetime as dt

    return dt.date.today().year


def project_evidence(project: Project) -> ProjectEvidence:
    """The project's evidence base: the consensus of each study (or its only reviewer's
    extraction); studies without one, or whose extraction lacks a required field, are
    listed in `pending` and left out."""
    import pydantic

    pending: list[str] = []
    base = _evidence_dict(project, xs.papers(project), pending=pending)
    keep = []
    for entry in base["studies"]:
        try:
            Study.model_validate(entry)
        except pydantic.ValidationError as exc:
            missing = sorted({".".join(map(str, e["loc"])) for e in exc.errors()})
            pending.append(f"{entry['id']}: incomplete or invalid ({', '.join(missing)})")
            continue
        keep.append(entry)
    base["studies"] = keep
    try:
        evidence = EvidenceBase.model_validate(base)
    except pydantic.ValidationError as exc:
        raise ValidationError(
            [Problem(err["msg"], column=".".join(map(str, err["loc"]))) for err in exc.errors()]
        ) from None
    return ProjectEvidence(evidence, tuple(pending))


def export_json(project: Project, out: str | Path) -> ProjectEvidence:
    """Write the project's evidence base in the bundled evidence format."""
    pe = project_evidence(project)
    text = pe.base.model_dump_json(by_alias=True, exclude_unset=True, indent=1)
    _atomic_write(Path(out), text)
    return pe


def extraction_table(project: Project) -> list[JSONDict]:
    """One row per (study, reviewer or consensus): the review's fields' values as text."""
    fields = review_fields(project)
    rows = []
    labels = {s.id: s.label for s in xs.studies(project)}
    for e in xs.current_extractions(project):
        row: JSONDict = {
            "study_id": e.study_id,
            "label": labels.get(e.study_id, e.study_id),
            "version": "consensus" if e.kind == "consensus" else f"reviewer: {e.reviewer}",
        }
        for f in fields:
            v = get_path(e.data, f.path)
            row[f.path] = _cell(f, v)
            if f.is_fact:
                row[f"{f.path} [from]"] = "; ".join(map(str, (v or {}).get("from", [])))
        rows.append(row)
    rows.sort(key=lambda r: (r["study_id"], r["version"] != "consensus", r["version"]))
    return rows


def _cell(f: Field, v: Any) -> str:
    if v is None:
        return ""
    if f.kind == "outcomes":
        return " | ".join(
            f"{o.get('measure')} {o.get('comparison')}"
            + (f" ({o['window']})" if o.get("window") else "")
            + f": {o.get('direction')}"
            for o in v
        )
    if f.kind == "adverse_events":
        return " | ".join(
            f"{e.get('term')}"
            + (f" n={e['n_patients']}" if e.get("n_patients") is not None else "")
            + (" serious" if e.get("serious") else "")
            for e in v
        )
    value = v.get("value") if isinstance(v, dict) else v
    if isinstance(value, list):
        return "+".join(map(str, value))
    if isinstance(value, bool):
        return "yes" if value else "no"
    return "" if value is None else str(value)


def export_csv(project: Project, out: str | Path) -> int:
    """Write the extraction table as CSV (UTF-8 with BOM for Excel); returns rows written.

    Cells that a spreadsheet would run as a formula (=, +, -, @ first) are prefixed with '.
    """
    rows = extraction_table(project)
    fields = review_fields(project)
    cols = ["study_id", "label", "version"]
    for f in fields:
        cols.append(f.path)
        if f.is_fact:
            cols.append(f"{f.path} [from]")
    buf = io.StringIO()
    w = csv.DictWriter(buf, fieldnames=cols, lineterminator="\n")
    w.writeheader()
    for row in rows:
        w.writerow({k: _safe_cell(v) for k, v in row.items()})
    _atomic_write(Path(out), "\ufeff" + buf.getvalue())
    return len(rows)


def _safe_cell(v: Any) -> Any:
    s = "" if v is None else str(v)
    if s and s[0] in "=+-@\t\r" and not _is_number(s):
        return "'" + s
    return s


def _is_number(s: str) -> bool:
    try:
        float(s)
    except ValueError:
        return False
    return True


def _atomic_write(path: Path, text: str) -> None:
    import os

    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
