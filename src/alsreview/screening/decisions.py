"""The two-reviewer screening workflow on the project store: decide, blind, resolve.

In: an open `Project`, reviewers' names.  Out: `Vote`, `RecordStatus` and `NextRecord`
objects (storage and the status rule: `alsreview.store.decisions`).

Rules:
* A decision is one reviewer's vote on one record at a stage; a change is a new row and an
  event, never an overwrite.  `undo` restores the reviewer's previous vote (or withdraws it).
* Full-text exclusions need a reason from the protocol's `[[exclusion_reason]]` codes.
* A record reaches full text only when its title/abstract decision is settled as included
  (every reviewer includes, or a resolved conflict).
* Blinding: until the project owner unblinds a stage, a reviewer's queries show only their
  own votes, and the ranking learns only from them.  Conflicts are listed and resolved
  after unblinding; a resolution names who resolved it, how (third reviewer or consensus)
  and why, and is what PRISMA counts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alsreview.errors import StoreError
from alsreview.records.model import Record
from alsreview.store import decisions as store
from alsreview.store.decisions import RecordStatus, Settled, Vote, VoteIn, check_stage
from alsreview.store.project import Project
from alsreview.store.votecache import StageSnapshot, snapshot


class BlindedError(StoreError):
    """An action that needs an unblinded stage (or the owner) was asked for while blinded."""


@dataclass(frozen=True)
class NextRecord:
    """The record a reviewer should screen next, with the ranking score and progress."""

    record_id: int
    record: Record
    score: float
    rank_source: str  # "model", "protocol" (prior query only) or "order" (no text signal)
    n_eligible: int  # records this reviewer may screen at this stage
    n_done: int  # of which this reviewer has voted on
    n_remaining: int  # left for this reviewer (including this one)


def is_blinded(project: Project, stage: str) -> bool:
    return store.unblinded(project, stage) is None


def owner(project: Project) -> str:
    """Who may unblind stages (whoever created the project unless changed)."""
    return store.owner(project)


def unblind(project: Project, stage: str, actor: str) -> dict[str, str]:
    """Reveal every reviewer's votes at the stage; only the project owner may.

    Returns {"by", "at"} of the (first) unblinding; unblinding twice is harmless."""
    check_stage(stage)
    if actor != store.owner(project):
        raise BlindedError(f"only the project owner ({store.owner(project)}) may unblind {stage}")
    return store.mark_unblinded(project, stage, actor)


def set_reviewers_required(project: Project, stage: str, n: int, actor: str) -> None:
    """How many reviewers must vote (and agree) to settle a record; owner only (2 = dual)."""
    if actor != store.owner(project):
        raise BlindedError(f"only the project owner ({store.owner(project)}) may change this")
    store.set_reviewers_required(project, stage, n, actor)


def decide(
    project: Project,
    reviewer: str,
    record_id: int,
    stage: str,
    decision: str,
    *,
    reason: str | None = None,
    note: str = "",
    labels: Sequence[str] = (),
) -> Vote:
    """Record one reviewer's vote (included / excluded / maybe; at full text also
    not_retrieved) as a new row and an event; returns the stored vote."""
    if decision == "undecided":
        raise StoreError("use undo() to withdraw a decision")
    (stored,) = store.store_votes(
        project,
        [VoteIn(record_id, stage, decision, reviewer, reason, note, tuple(labels))],
        reviewer,
    )
    return stored


def undo(project: Project, reviewer: str, record_id: int, stage: str) -> Vote:
    """Go back one step: the reviewer's previous vote is stored again as a new row, or the
    vote is withdrawn ('undecided') if there was none.  Nothing is deleted."""
    history = [
        v for v in store.vote_history(project, stage, reviewer=reviewer, record_ids=[record_id])
    ]
    if not history or history[-1].decision == "undecided":
        raise StoreError(f"record {record_id}: {reviewer} has no {stage} decision to undo")
    # the state before the newest row: the row before it, skipping earlier undo chains
    previous = _state_before(history)
    if previous is None:
        vin = VoteIn(record_id, stage, "undecided", reviewer, origin="undo")
    else:
        vin = VoteIn(
            record_id,
            stage,
            previous.decision,
            reviewer,
            previous.reason,
            previous.note,
            previous.labels,
            origin="undo",
        )
    (stored,) = store.store_votes(project, [vin], reviewer)
    return stored


def _stored(project: Project, stage: str, record_id: int, vote_id: int) -> Vote:
    rows = store.vote_history(project, stage, record_ids=[record_id])
    return next(v for v in rows if v.id == vote_id)


def _state_before(history: list[Vote]) -> Vote | None:
    """The vote in force before the newest row, following earlier undos as a stack."""
    stack: list[Vote] = []
    for v in history:
        if v.origin == "undo":
            if stack:
                stack.pop()
        else:
            stack.append(v)
    # the newest row is the top of the stack; what lies beneath it is the state before
    return stack[-2] if len(stack) >= 2 else None


def visible_decisions(project: Project, reviewer: str, stage: str) -> list[Vote]:
    """The current votes this reviewer may see: only their own while the stage is blinded,
    everyone's after unblinding (ordered by record, then reviewer)."""
    who = reviewer if is_blinded(project, stage) else None
    votes = store.current_votes(project, stage, reviewer=who)
    return [v for rid in sorted(votes) for _, v in sorted(votes[rid].items())]


def decision_history(
    project: Project, reviewer: str, stage: str, record_id: int | None = None
) -> list[Vote]:
    """Every row (changes included) the reviewer may see, oldest first."""
    who = reviewer if is_blinded(project, stage) else None
    ids = None if record_id is None else [record_id]
    return store.vote_history(project, stage, reviewer=who, record_ids=ids)


def _require_unblinded(project: Project, stage: str, what: str) -> None:
    if is_blinded(project, stage):
        raise BlindedError(
            f"{stage} is blinded: the project owner ({store.owner(project)}) must unblind it "
            f"(alsreview unblind {stage}) before {what}"
        )


def conflicts(
    project: Project, stage: str, *, include_resolved: bool = False, owner_view: bool = False
) -> list[RecordStatus]:
    """Records whose reviewers disagree (or said maybe) at an unblinded stage; with
    `include_resolved`, also those already resolved (with who resolved them and why).

    `owner_view` is the project owner's view (the arbiter, who may see conflicts before
    unblinding); callers must check that the caller is the owner.  Resolving still needs
    the stage unblinded."""
    if not owner_view:
        _require_unblinded(project, stage, "conflicts are shown")
    keep = ("conflict", "resolved") if include_resolved else ("conflict",)
    return [st for st in store.record_statuses(project, stage).values() if st.status in keep]


def resolve(
    project: Project,
    record_id: int,
    stage: str,
    decision: str,
    *,
    resolved_by: str,
    method: str,
    why: str,
    reason: str | None = None,
) -> RecordStatus:
    """Settle a conflict: `method` "third_reviewer" (someone who did not vote) or
    "consensus"; `why` is required.  A new resolution replaces an older one."""
    _require_unblinded(project, stage, "conflicts are resolved")
    current = store.record_statuses(project, stage, [record_id]).get(record_id)
    if current is None or current.status not in ("conflict", "resolved"):
        state = "has no votes" if current is None else f"is {current.status}"
        raise StoreError(f"record {record_id} {state} at {stage}: there is no conflict to resolve")
    if method == "third_reviewer" and resolved_by in {v.reviewer for v in current.votes}:
        raise StoreError(
            f"record {record_id}: {resolved_by} voted on it, so cannot resolve as third "
            "reviewer (use method 'consensus')"
        )
    store.insert_resolution(
        project,
        record_id,
        stage,
        decision,
        resolved_by=resolved_by,
        method=method,
        why=why,
        reason=reason,
    )
    return store.record_statuses(project, stage, [record_id])[record_id]


def record_status(project: Project, record_id: int, stage: str, viewer: str) -> RecordStatus:
    """A record's status; while blinded, only the viewer's own vote is shown in it."""
    st = store.record_statuses(project, stage, [record_id]).get(record_id)
    if st is None:
        return RecordStatus(record_id, check_stage(stage), "pending", None, None)
    if is_blinded(project, stage):
        own = tuple(v for v in st.votes if v.reviewer == viewer)
        return RecordStatus(record_id, check_stage(stage), "blinded", None, None, own, None)
    return st


def settled_decisions(project: Project, stage: str) -> dict[int, Settled]:
    """record id -> (decision, reason) agreed or resolved: what PRISMA counts."""
    return store.settled_decisions(project, stage)


def full_text_queue(project: Project) -> list[int]:
    """Records sent to full text (title/abstract settled as included), in id order."""
    return sorted(store.passed_title_abstract(project))


def eligible_record_ids(project: Project, stage: str) -> list[int]:
    """Ids of the records that can be screened at the stage (see `eligible_records`)."""
    from sqlalchemy import select

    from alsreview.store.models import StoredRecord

    check_stage(stage)
    q = select(StoredRecord.id).where(StoredRecord.duplicate_of.is_(None)).order_by(StoredRecord.id)
    with project.session() as s:
        ids = list(s.connection().execute(q).scalars().all())  # one fetchall, not a fetch per row
    if stage == "title_abstract":
        return ids
    passed = store.passed_title_abstract(project)
    return [rid for rid in ids if rid in passed]


def eligible_records(project: Project, stage: str) -> list[tuple[int, Record]]:
    """Records that can be screened at the stage: primaries at title/abstract, records
    sent to full text at full text."""
    keep = set(eligible_record_ids(project, stage))
    return [(rid, r) for rid, r in project.records(primary_only=True) if rid in keep]


def open_record_ids(
    project: Project, reviewer: str, stage: str, *, now: StageSnapshot | None = None
) -> tuple[list[int], int]:
    """(ids of the records still open to this reviewer, number of eligible records).

    Open: eligible, not voted on by this reviewer, not settled, not in conflict, and with
    fewer votes than required (a third reviewer is not sent records two have agreed on).
    `now`: the stage as already read (`store.votecache.snapshot`)."""
    eligible = eligible_record_ids(project, stage)
    now = now or snapshot(project, stage)
    open_: list[int] = []
    for rid in eligible:
        st = now.statuses.get(rid)
        if st is None:
            open_.append(rid)
            continue
        if st.status != "pending" or any(v.reviewer == reviewer for v in st.votes):
            continue
        if len(st.votes) < now.required:
            open_.append(rid)
    return open_, len(eligible)


def reviewer_queue(
    project: Project, reviewer: str, stage: str
) -> tuple[list[tuple[int, Record]], int]:
    """(records still open to this reviewer, number of eligible records): `open_record_ids`
    with the records."""
    ids, n_eligible = open_record_ids(project, reviewer, stage)
    keep = set(ids)
    return [(rid, r) for rid, r in project.records(primary_only=True) if rid in keep], n_eligible


def training_labels(
    project: Project, reviewer: str, stage: str, *, now: StageSnapshot | None = None
) -> dict[int, int]:
    """record id -> 1 (included) / 0 (excluded) the ranking may learn from for this
    reviewer: their own votes while blinded; after unblinding also settled decisions.
    Title/abstract decisions are used at both stages (full text adds its own).
    `now`: the stage `stage` as already read (`store.votecache.snapshot`)."""
    out: dict[int, int] = {}
    stages = ["title_abstract"] if stage == "title_abstract" else ["title_abstract", "full_text"]
    for st in stages:
        seen = now if (now is not None and st == stage) else snapshot(project, st)
        if seen.unblinded:
            for rid, status in seen.statuses.items():
                if status.settled and status.decision in ("included", "excluded"):
                    out[rid] = int(status.decision == "included")
        for rid, v in seen.own_votes(reviewer).items():
            if v.decision in ("included", "excluded"):
                out[rid] = int(v.decision == "included")
    return out


def next_record(project: Project, reviewer: str, stage: str) -> NextRecord | None:
    """The most relevant record still open to this reviewer (ranked by
    `alsreview.screening.ranking` on what the reviewer may see), or None when done."""
    from alsreview.screening.ranking import rank_project
    from alsreview.store.extractions import record as stored_record

    # the stage is read once (only the rows added since this process last looked,
    # `store.votecache`); ids only: the one record shown is read alone; every read on
    # one connection (`Project.reading`)
    with project.reading():
        now = snapshot(project, stage)
        open_, n_eligible = open_record_ids(project, reviewer, stage, now=now)
        if not open_:
            return None
        ranked = rank_project(project, open_, training_labels(project, reviewer, stage, now=now))
        best = ranked.order[0]
        rec = stored_record(project, best)
    assert rec is not None
    return NextRecord(
        record_id=best,
        record=rec,
        score=float(ranked.scores[best]),
        rank_source=ranked.source,
        n_eligible=n_eligible,
        n_done=len(now.own_votes(reviewer)),
        n_remaining=len(open_),
    )
