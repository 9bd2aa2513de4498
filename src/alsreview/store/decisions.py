"""Screening decisions in the project store: votes, resolutions and the settled decision.

In: an open `Project`.  Out: frozen `Vote`, `Resolution` and `RecordStatus` objects.

A *vote* is one reviewer's decision on one record at one stage (`title_abstract` or
`full_text`); a change is a new row, and the reviewer's newest row is their vote
(`undecided` withdraws it).  A record's *status* at a stage is

    resolved   a resolution exists (a third reviewer or consensus; the newest wins)
    agreed     at least `reviewers_required` reviewers voted and all voted the same
               include / exclude / not retrieved (at full text: with the same reason)
    conflict   reviewers disagree, or the votes are "maybe" (someone must decide)
    pending    fewer votes than required and no disagreement yet

The settled decision (status agreed or resolved) is what PRISMA counts and what sends a
record to full text.  The blinding and the reviewer-facing rules live in
`alsreview.screening`; this module only stores and computes.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, fields
from typing import TYPE_CHECKING, Any, NamedTuple, cast

from sqlalchemy import Table, func, insert, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.store.enums import Decision, Stage
from alsreview.store.models import DecisionRow, Meta, Resolution, StoredRecord, utcnow
from alsreview.store.records import RecordRow
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.store.project import Project

STAGES: tuple[str, ...] = tuple(s.value for s in Stage)
VOTES: tuple[str, ...] = tuple(d.value for d in Decision)
SETTLED = ("included", "excluded", "not_retrieved")
METHODS = ("third_reviewer", "consensus")
STATUSES = ("pending", "agreed", "conflict", "resolved")


def _plain(row: Any) -> JSONDict:
    """A stored row as JSON-ready values: tuples as lists, times in ISO 8601."""
    out: JSONDict = {}
    for f in fields(row):
        value = getattr(row, f.name)
        if isinstance(value, tuple):
            value = list(value)
        elif isinstance(value, dt.datetime):
            value = value.isoformat()
        out[f.name] = value
    return out


@dataclass(frozen=True)
class VoteIn:
    """A vote to store (what `insert_votes` takes); stage and decision are read into
    `Stage` / `Decision` members (an unknown one is a `StoreError` naming the record)."""

    record_id: int
    stage: str
    decision: str
    reviewer: str
    reason: str | None = None
    note: str = ""
    labels: tuple[str, ...] = ()
    origin: str = "alsreview"

    def __post_init__(self) -> None:
        where = f"record {self.record_id}: "
        object.__setattr__(self, "stage", Stage.parse(self.stage, where))
        object.__setattr__(self, "decision", Decision.parse(self.decision, where))


@dataclass(frozen=True)
class Vote:
    """One stored vote (one row of `decisions`)."""

    id: int
    record_id: int
    stage: Stage
    reviewer: str
    decision: Decision
    reason: str | None
    note: str
    labels: tuple[str, ...]
    origin: str
    created_at: dt.datetime

    def to_dict(self) -> JSONDict:
        return _plain(self)


@dataclass(frozen=True)
class ResolutionRow:
    """One stored conflict resolution: who resolved, how (third reviewer / consensus), why."""

    id: int
    record_id: int
    stage: Stage
    decision: Decision
    reason: str | None
    resolved_by: str
    method: str
    why: str
    created_at: dt.datetime

    def to_dict(self) -> JSONDict:
        return _plain(self)


@dataclass(frozen=True)
class RecordStatus:
    """Where a record stands at a stage (see the module docstring for `status`)."""

    record_id: int
    stage: Stage
    status: str
    decision: Decision | None  # the settled decision (agreed or resolved), else None
    reason: str | None
    votes: tuple[Vote, ...] = field(default=())  # current votes, one per reviewer
    resolution: ResolutionRow | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "stage", Stage.parse(self.stage))
        if self.decision is not None:
            object.__setattr__(self, "decision", Decision.parse(self.decision))

    @property
    def settled(self) -> bool:
        return self.status in ("agreed", "resolved")

    def to_dict(self) -> JSONDict:
        return {
            "record_id": self.record_id,
            "stage": self.stage,
            "status": self.status,
            "decision": self.decision,
            "reason": self.reason,
            "votes": [v.to_dict() for v in self.votes],
            "resolution": self.resolution.to_dict() if self.resolution else None,
        }


def check_stage(stage: str) -> Stage:
    """The `Stage` named by `stage`, or a `StoreError` naming the stages."""
    return Stage.parse(stage)


# -- settings kept in the meta table ----------------------------------------------------
def _meta(s: Session, key: str) -> str | None:
    row = s.get(Meta, key)
    return row.value if row is not None else None


def reviewers_required(project: Project, stage: str) -> int:
    """Votes needed before an agreed decision settles a record (default 1; 2 = dual review)."""
    check_stage(stage)
    with project.session() as s:
        value = _meta(s, f"screening.{stage}.reviewers_required")
    return int(value) if value else 1


def set_reviewers_required(project: Project, stage: str, n: int, actor: str) -> None:
    check_stage(stage)
    if n < 1:
        raise StoreError(f"reviewers required must be at least 1, got {n}")
    with project.write_session() as s, s.begin():
        s.merge(Meta(key=f"screening.{stage}.reviewers_required", value=str(n)))
        project._log(s, "screening.reviewers_required", {"stage": stage, "n": n}, actor)


def unblinded(project: Project, stage: str) -> dict[str, str] | None:
    """{"by": who, "at": when} if the stage has been unblinded, else None."""
    check_stage(stage)
    with project.session() as s:
        value = _meta(s, f"screening.{stage}.unblinded")
    return json.loads(value) if value else None


def mark_unblinded(project: Project, stage: str, actor: str) -> dict[str, str]:
    check_stage(stage)
    info = {"by": actor, "at": utcnow().isoformat()}
    with project.write_session() as s, s.begin():
        key = f"screening.{stage}.unblinded"
        existing = s.get(Meta, key, with_for_update=True)
        if existing is not None:
            return dict(json.loads(existing.value))
        s.add(Meta(key=key, value=json.dumps(info)))
        project._log(s, "screening.unblind", {"stage": stage}, actor)
    return info


def owner(project: Project) -> str:
    """The project owner: meta `owner`, else whoever created the project."""
    from alsreview.store.models import Event

    with project.session() as s:
        value = _meta(s, "owner")
        if value:
            return value
        first = s.scalars(
            select(Event.actor).where(Event.action == "project.create").order_by(Event.id)
        ).first()
    if first is None:
        raise StoreError("project has no owner (no project.create event)")
    return first


def set_owner(project: Project, new_owner: str, actor: str) -> None:
    with project.write_session() as s, s.begin():
        s.merge(Meta(key="owner", value=new_owner))
        project._log(s, "project.owner", {"owner": new_owner}, actor)


# -- votes ------------------------------------------------------------------------------
def _vote(row: Any) -> Vote:
    """A vote from a `decisions` row (an ORM `DecisionRow` or a Core row of its columns)."""
    return Vote(
        id=row.id,
        record_id=row.record_id,
        stage=Stage(row.stage),
        reviewer=row.reviewer,
        decision=Decision(row.decision),
        reason=row.reason,
        note=row.note or "",
        labels=tuple(row.labels or ()),
        origin=row.origin or "alsreview",
        created_at=row.created_at,
    )


def _resolution(row: Any) -> ResolutionRow:
    return ResolutionRow(
        id=row.id,
        record_id=row.record_id,
        stage=Stage(row.stage),
        decision=Decision(row.decision),
        reason=row.reason,
        resolved_by=row.resolved_by,
        method=row.method,
        why=row.why,
        created_at=row.created_at,
    )


def vote_history(
    project: Project,
    stage: str,
    *,
    reviewer: str | None = None,
    record_ids: Iterable[int] | None = None,
) -> list[Vote]:
    """Every vote row (oldest first), optionally of one reviewer and some records."""
    check_stage(stage)
    table = DecisionRow.__table__
    q = select(table).where(DecisionRow.stage == stage).order_by(DecisionRow.id)
    if reviewer is not None:
        q = q.where(DecisionRow.reviewer == reviewer)
    ids = None if record_ids is None else sorted(set(record_ids))
    with project.session() as s:  # Core rows: ORM objects cost more than the query
        if ids is None:
            return [_vote(r) for r in s.execute(q)]
        out: list[Vote] = []
        for i in range(0, len(ids), 900):
            out += [
                _vote(r) for r in s.execute(q.where(DecisionRow.record_id.in_(ids[i : i + 900])))
            ]
    return sorted(out, key=lambda v: v.id)


def current_votes(
    project: Project,
    stage: str,
    *,
    reviewer: str | None = None,
    record_ids: Iterable[int] | None = None,
) -> dict[int, dict[str, Vote]]:
    """record id -> {reviewer: newest vote}, both in order; withdrawn ('undecided') votes
    left out.  Only each reviewer's newest row per record is read (the highest id)."""
    check_stage(stage)
    if record_ids is None:  # every record: the process's cache, updated by the new rows
        from alsreview.store.votecache import cached_current_votes

        return cached_current_votes(project, stage, reviewer)
    newest = select(func.max(DecisionRow.id)).where(DecisionRow.stage == stage)
    if reviewer is not None:
        newest = newest.where(DecisionRow.reviewer == reviewer)
    table = DecisionRow.__table__
    base = select(table).where(DecisionRow.decision != "undecided")
    ids = sorted(set(record_ids))
    rows: list[Vote] = []
    with project.session() as s:
        for i in range(0, len(ids), 900):
            part = newest.where(DecisionRow.record_id.in_(ids[i : i + 900]))
            sub = part.group_by(DecisionRow.record_id, DecisionRow.reviewer).scalar_subquery()
            rows += [_vote(r) for r in s.execute(base.where(DecisionRow.id.in_(sub)))]
    out: dict[int, dict[str, Vote]] = {}
    for v in sorted(rows, key=lambda v: (v.record_id, v.reviewer)):
        out.setdefault(v.record_id, {})[v.reviewer] = v
    return out


def latest_resolutions(
    project: Project, stage: str, record_ids: Iterable[int] | None = None
) -> dict[int, ResolutionRow]:
    check_stage(stage)
    newest = (
        select(func.max(Resolution.id))
        .where(Resolution.stage == stage)
        .group_by(Resolution.record_id)
        .scalar_subquery()
    )
    q = select(Resolution).where(Resolution.id.in_(newest))
    with project.session() as s:
        rows = {r.record_id: _resolution(r) for r in s.scalars(q)}
    if record_ids is not None:
        keep = set(record_ids)
        rows = {k: v for k, v in rows.items() if k in keep}
    return rows


def status_of(
    record_id: int,
    stage: str,
    votes: dict[str, Vote],
    resolution: ResolutionRow | None,
    required: int,
) -> RecordStatus:
    """The status rule of the module docstring, for one record."""
    at = Stage.parse(stage)
    ordered = tuple(sorted(votes.values(), key=lambda v: v.reviewer))
    if resolution is not None:
        return RecordStatus(
            record_id,
            at,
            "resolved",
            resolution.decision,
            resolution.reason,
            ordered,
            resolution,
        )
    if not ordered:
        return RecordStatus(record_id, at, "pending", None, None, ordered)
    decisions = {v.decision for v in ordered}
    reasons = {v.reason for v in ordered}
    disagree = len(decisions) > 1 or Decision.MAYBE in decisions
    if at == Stage.FULL_TEXT and decisions == {Decision.EXCLUDED} and len(reasons) > 1:
        disagree = True  # PRISMA needs one reason per excluded report
    if disagree:
        return RecordStatus(record_id, at, "conflict", None, None, ordered)
    if len(ordered) < required:
        return RecordStatus(record_id, at, "pending", None, None, ordered)
    (decision,) = decisions
    reason = next(iter(reasons)) if len(reasons) == 1 else None
    return RecordStatus(record_id, at, "agreed", decision, reason, ordered)


def record_statuses(
    project: Project, stage: str, record_ids: Iterable[int] | None = None
) -> dict[int, RecordStatus]:
    """Status of every record with a vote or a resolution at the stage (others: pending)."""
    if record_ids is None:  # every record: the process's cache, updated by the new rows
        from alsreview.store.votecache import snapshot

        check_stage(stage)
        return snapshot(project, stage).statuses
    ids = list(record_ids)
    votes = current_votes(project, stage, record_ids=ids)
    res = latest_resolutions(project, stage, ids)
    required = reviewers_required(project, stage)
    return {
        rid: status_of(rid, stage, votes.get(rid, {}), res.get(rid), required)
        for rid in sorted(set(votes) | set(res))
    }


class Settled(NamedTuple):
    """A record's settled decision at a stage and the exclusion reason, if any."""

    decision: Decision
    reason: str | None


def settled_decisions(project: Project, stage: str) -> dict[int, Settled]:
    """record id -> (decision, reason) for records whose status is agreed or resolved."""
    return {
        rid: Settled(st.decision, st.reason)
        for rid, st in record_statuses(project, stage).items()
        if st.settled and st.decision is not None
    }


def screening_queue(project: Project, round: int | None = None) -> list[RecordRow]:
    """Records waiting for title/abstract screening: primaries nobody has voted on."""
    voted = set(current_votes(project, Stage.TITLE_ABSTRACT))
    q = (
        select(StoredRecord.id, StoredRecord.data)
        .where(StoredRecord.duplicate_of.is_(None))
        .order_by(StoredRecord.id)
    )
    if round is not None:
        q = q.where(StoredRecord.round == round)
    with project.session() as s:
        return [RecordRow(rid, Record.from_dict(d)) for rid, d in s.execute(q) if rid not in voted]


def passed_title_abstract(project: Project, record_ids: Iterable[int] | None = None) -> set[int]:
    """Records the title/abstract stage sends to full text (settled as included)."""
    return {
        rid
        for rid, st in record_statuses(project, Stage.TITLE_ABSTRACT, record_ids).items()
        if st.settled and st.decision == Decision.INCLUDED
    }


def protocol_reason_codes(project: Project) -> set[str] | None:
    from alsreview.protocol import PROTOCOL_FILENAME

    if project.root is None or not (project.root / PROTOCOL_FILENAME).exists():
        return None
    return {r.code for r in project.protocol.exclusion_reasons}


def validate_vote(v: VoteIn, codes: set[str] | None) -> None:
    """The rules every stored vote keeps (a StoreError names the record)."""
    where = f"record {v.record_id}"  # stage and decision were checked by VoteIn
    if not v.reviewer or not v.reviewer.strip():
        raise StoreError(f"{where}: a decision needs a reviewer")
    if v.stage == Stage.TITLE_ABSTRACT and v.decision == Decision.NOT_RETRIEVED:
        raise StoreError(f"{where}: 'not_retrieved' is a full-text decision")
    if v.reason is not None and v.decision != Decision.EXCLUDED:
        raise StoreError(f"{where}: a reason is given only with 'excluded'")
    if v.stage == Stage.FULL_TEXT and v.decision == Decision.EXCLUDED and not v.reason:
        known = f" ({', '.join(sorted(codes))})" if codes else ""
        raise StoreError(f"{where}: a full-text exclusion needs a reason from the protocol{known}")
    if v.reason is not None and codes is not None and v.reason not in codes:
        known = ", ".join(sorted(codes))
        raise StoreError(f"{where}: exclusion reason {v.reason!r} is not in the protocol ({known})")


def insert_votes(project: Project, votes: Sequence[VoteIn], actor: str | None = None) -> list[int]:
    """Store votes in ONE transaction (all or none); returns the new decision ids
    (`store_votes` states the rules)."""
    return [v.id for v in store_votes(project, votes, actor)]


def store_votes(project: Project, votes: Sequence[VoteIn], actor: str | None = None) -> list[Vote]:
    """Store votes in ONE transaction (all or none); returns them as stored (the rows the
    INSERT returned: no second read).

    Refused: unknown records, duplicates (decide on their primary), votes breaking
    `validate_vote`, and full-text votes on records the title/abstract stage did not send
    to full text (title/abstract votes in the same batch count).  Each vote is an event.
    """
    rows = list(votes)
    if not rows:
        return []
    codes = protocol_reason_codes(project)
    for v in rows:
        validate_vote(v, codes)
    ids = {v.record_id for v in rows}
    try:
        with project.write_session() as s, s.begin():
            found: dict[int, int | None] = {}
            id_list = sorted(ids)
            for i in range(0, len(id_list), 900):
                q = select(StoredRecord.id, StoredRecord.duplicate_of).where(
                    StoredRecord.id.in_(id_list[i : i + 900])
                )
                found.update({a: b for a, b in s.execute(q)})
            missing = sorted(ids - set(found))
            if missing:
                raise StoreError(f"no record {missing[0]} in this project ({len(missing)} unknown)")
            dupes = sorted(r for r, d in found.items() if d is not None)
            if dupes:
                raise StoreError(
                    f"records {dupes[:5]} are duplicates; decide on their primary "
                    f"(record {dupes[0]} is a duplicate of {found[dupes[0]]})"
                )
            now = utcnow()
            ta_rows = [v for v in rows if v.stage == Stage.TITLE_ABSTRACT]
            ft_rows = [v for v in rows if v.stage == Stage.FULL_TEXT]
            stored = _insert(s, ta_rows, now)
            if ft_rows:
                s.flush()
                ft_ids = {v.record_id for v in ft_rows}
                passed = _passed_in_session(s, project, ft_ids)
                blocked = sorted(ft_ids - passed)
                if blocked:
                    raise StoreError(
                        f"record {blocked[0]} has not been sent to full text: its "
                        "title/abstract decision is not settled as included "
                        "(both reviewers include, or a resolved conflict)"
                    )
                stored += _insert(s, ft_rows, now)
            new_ids = [v.id for v in stored]
            if len(rows) <= 50:
                for v, did in zip(ta_rows + ft_rows, new_ids, strict=True):
                    project._log(
                        s,
                        "screening.decide",
                        {"decision_id": did, "record_id": v.record_id, "stage": v.stage},
                        v.reviewer,
                    )
            else:
                project._log(
                    s,
                    "screening.decide",
                    {
                        "n": len(rows),
                        "first_id": min(new_ids),
                        "last_id": max(new_ids),
                        "reviewers": sorted({v.reviewer for v in rows}),
                        "origin": sorted({v.origin for v in rows}),
                    },
                    actor or rows[0].reviewer,
                )
    except SQLAlchemyError as exc:
        raise StoreError(f"decisions refused and rolled back: {exc}") from exc
    return stored


def _insert(s: Session, rows: list[VoteIn], now: dt.datetime) -> list[Vote]:
    if not rows:
        return []
    table = cast(Table, DecisionRow.__table__)  # a mapped class's table is a Table
    return [
        _vote(row)
        for row in s.execute(
            insert(table).returning(*table.c, sort_by_parameter_order=True),
            [
                {
                    "record_id": v.record_id,
                    "stage": v.stage,
                    "decision": v.decision,
                    "reason": v.reason,
                    "reviewer": v.reviewer,
                    "note": v.note,
                    "labels": list(v.labels),
                    "origin": v.origin,
                    "created_at": now,
                }
                for v in rows
            ],
        )
    ]


def _passed_in_session(s: Session, project: Project, record_ids: set[int]) -> set[int]:
    """`passed_title_abstract` inside an open transaction (sees its own inserts)."""
    ids = sorted(record_ids)
    by: dict[int, dict[str, Vote]] = {}
    res: dict[int, ResolutionRow] = {}
    for i in range(0, len(ids), 900):
        part = ids[i : i + 900]
        q = (
            select(DecisionRow)
            .where(DecisionRow.stage == Stage.TITLE_ABSTRACT, DecisionRow.record_id.in_(part))
            .order_by(DecisionRow.id)
        )
        for row in s.scalars(q):
            by.setdefault(row.record_id, {})[row.reviewer] = _vote(row)
        rq = (
            select(Resolution)
            .where(Resolution.stage == Stage.TITLE_ABSTRACT, Resolution.record_id.in_(part))
            .order_by(Resolution.id)
        )
        for r in s.scalars(rq):
            res[r.record_id] = _resolution(r)
    value = _meta(s, "screening.title_abstract.reviewers_required")
    required = int(value) if value else 1
    out = set()
    for rid in ids:
        votes = {w: v for w, v in by.get(rid, {}).items() if v.decision != Decision.UNDECIDED}
        st = status_of(rid, Stage.TITLE_ABSTRACT, votes, res.get(rid), required)
        if st.settled and st.decision == Decision.INCLUDED:
            out.add(rid)
    return out


def insert_resolution(
    project: Project,
    record_id: int,
    stage: str,
    decision: str,
    *,
    resolved_by: str,
    method: str,
    why: str,
    reason: str | None = None,
) -> int:
    """Store a resolution (checked by `alsreview.screening.resolve`) and its event."""
    check_stage(stage)
    at_title_abstract = stage == Stage.TITLE_ABSTRACT
    if decision not in SETTLED or (at_title_abstract and decision == Decision.NOT_RETRIEVED):
        raise StoreError(f"record {record_id}: a resolution cannot be {decision!r}")
    if method not in METHODS:
        raise StoreError(f"unknown resolution method {method!r} ({', '.join(METHODS)})")
    if not why.strip() or not resolved_by.strip():
        raise StoreError(f"record {record_id}: a resolution needs who resolved it and why")
    validate_vote(
        VoteIn(record_id, stage, decision, resolved_by, reason), protocol_reason_codes(project)
    )
    try:
        with project.write_session() as s, s.begin():
            if s.get(StoredRecord, record_id) is None:
                raise StoreError(f"no record {record_id} in this project")
            row = Resolution(
                record_id=record_id,
                stage=stage,
                decision=decision,
                reason=reason,
                resolved_by=resolved_by,
                method=method,
                why=why.strip(),
                created_at=utcnow(),
            )
            s.add(row)
            s.flush()
            project._log(
                s,
                "screening.resolve",
                {"resolution_id": row.id, "record_id": record_id, "stage": stage},
                resolved_by,
            )
            return row.id
    except SQLAlchemyError as exc:
        raise StoreError(f"resolution refused and rolled back: {exc}") from exc
