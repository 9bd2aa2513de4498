"""Per-process cache of every record's current votes and status at a stage, kept exact by
reading only the rows added since the last call.

In: an open `Project` and a stage.  Out: the same values as reading every vote
(`decisions.current_votes` / `decisions.record_statuses` without filters), at the cost of
the new rows instead of all rows: the web app asks for them at every "next record".

Why this is exact: rows of `decisions` and `resolutions` are only ever inserted (a change
is a new row; nothing is updated or deleted), so a cache holding every row up to id M
needs the rows above M, plus a guard for rows at or below M that became visible later
(PostgreSQL hands out ids before commit, so a slower transaction can commit a smaller id
after a larger one was read).  The guard: the stage's row count must equal the rows held
plus the rows read; if it does not, the stage is read again whole.  The count is taken
after the new rows, so a row committing in between also forces a full read (never a miss).
Resolutions are rare: when their count equals the rows held, none is read (equal counts
of an insert-only table mean the same rows); otherwise new rows, then the count again.
Per refresh: 2 statements (new votes; both counts and the stage's settings), 4 when a
resolution was added.
"""

from __future__ import annotations

import threading
import weakref
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import Engine, func, select

from alsreview.store.models import DecisionRow, Meta, Resolution

if TYPE_CHECKING:
    from collections.abc import Sequence
    from typing import Any

    from alsreview.store.decisions import RecordStatus, ResolutionRow, Vote
    from alsreview.store.project import Project


@dataclass
class _Stage:
    """What one process knows of one stage of one database."""

    lock: threading.Lock = field(default_factory=threading.Lock)
    n_votes: int = 0
    max_vote: int = 0
    newest: dict[int, dict[str, Vote]] = field(default_factory=dict)  # undecided included
    n_res: int = 0
    max_res: int = 0
    resolutions: dict[int, ResolutionRow] = field(default_factory=dict)  # the newest
    required: int = 0
    unblinded: bool = False
    statuses: dict[int, RecordStatus] = field(default_factory=dict)
    full_reads: int = 0  # how often the guard forced a whole re-read (tests check it)


_STATES: weakref.WeakKeyDictionary[Engine, dict[str, _Stage]] = weakref.WeakKeyDictionary()
_STATES_LOCK = threading.Lock()


def _state(project: Project, stage: str) -> _Stage:
    with _STATES_LOCK:
        per_engine = _STATES.setdefault(project.engine, {})
        return per_engine.setdefault(stage, _Stage())


def _refresh(project: Project, stage: str) -> _Stage:
    """Bring the stage's cache up to date with the database (call with its lock held)."""
    from alsreview.store.decisions import _resolution, _vote, status_of

    st = _state(project, stage)
    d, r = DecisionRow.__table__, Resolution.__table__
    votes_q = select(d).where(DecisionRow.stage == stage).order_by(DecisionRow.id)
    res_q = select(r).where(Resolution.stage == stage).order_by(Resolution.id)
    count_votes = select(func.count()).select_from(d).where(DecisionRow.stage == stage)
    count_res = select(func.count()).select_from(r).where(Resolution.stage == stage)
    prefix = f"screening.{stage}."

    def setting(key: str):  # a scalar subquery: NULL when unset
        return select(Meta.value).where(Meta.key == prefix + key).scalar_subquery()

    # after the new votes (the guard), in one round trip: both counts and both settings
    counts_q = select(
        count_votes.scalar_subquery(),
        count_res.scalar_subquery(),
        setting("reviewers_required"),
        setting("unblinded"),
    )
    with project.session() as s:
        conn = s.connection()
        new_votes: Sequence[Any] = conn.execute(votes_q.where(DecisionRow.id > st.max_vote)).all()
        n_votes, n_res, value, unblinded = conn.execute(counts_q).one()
        if n_res == st.n_res:  # the rows held are all there are (rows are never deleted)
            new_res: Sequence[Any] = []
        else:  # rare (a resolution): read the new ones, then count again for the guard
            new_res = conn.execute(res_q.where(Resolution.id > st.max_res)).all()
            n_res = conn.execute(count_res).scalar_one()
        required = int(value) if value else 1
        st.unblinded = bool(unblinded)
        touched: set[int] = set()
        if n_votes != st.n_votes + len(new_votes):  # a row at or below max_vote came late
            new_votes = conn.execute(votes_q).all()
            st.newest, st.max_vote, st.n_votes = {}, 0, 0
            st.statuses, st.full_reads = {}, st.full_reads + 1
            touched.update(st.resolutions)
        if n_res != st.n_res + len(new_res):
            new_res = conn.execute(res_q).all()
            touched.update(st.resolutions)
            st.resolutions, st.max_res, st.n_res = {}, 0, 0
            st.full_reads += 1
    for row in new_votes:
        v = _vote(row)
        st.newest.setdefault(v.record_id, {})[v.reviewer] = v
        touched.add(v.record_id)
    st.n_votes += len(new_votes)
    st.max_vote = max([st.max_vote] + [row.id for row in new_votes])
    for row in new_res:
        res = _resolution(row)
        st.resolutions[res.record_id] = res
        touched.add(res.record_id)
    st.n_res += len(new_res)
    st.max_res = max([st.max_res] + [row.id for row in new_res])
    if required != st.required:
        st.required = required
        touched = set(st.newest) | set(st.resolutions)
    for rid in touched:
        current = {w: v for w, v in st.newest.get(rid, {}).items() if v.decision != "undecided"}
        newest = st.resolutions.get(rid)
        if current or newest is not None:
            st.statuses[rid] = status_of(rid, stage, current, newest, st.required)
        else:
            st.statuses.pop(rid, None)
    return st


@dataclass(frozen=True)
class StageSnapshot:
    """A stage as one read saw it: statuses of every record with a vote or resolution,
    the votes needed to settle a record, and whether the owner has unblinded the stage."""

    statuses: dict[int, RecordStatus]
    required: int
    unblinded: bool
    _own: dict[str, dict[int, Vote]] = field(default_factory=dict, compare=False, repr=False)

    def own_votes(self, reviewer: str) -> dict[int, Vote]:
        """record id -> this reviewer's current vote (worked out once per snapshot)."""
        out = self._own.get(reviewer)
        if out is None:
            out = {}
            for rid, st in self.statuses.items():
                for v in st.votes:
                    if v.reviewer == reviewer:
                        out[rid] = v
            self._own[reviewer] = out
        return dict(out)


def snapshot(project: Project, stage: str) -> StageSnapshot:
    """The stage now (statuses copied: the caller may keep them)."""
    st = _state(project, stage)
    with st.lock:
        _refresh(project, stage)
        return StageSnapshot(dict(sorted(st.statuses.items())), st.required, st.unblinded)


def cached_current_votes(
    project: Project, stage: str, reviewer: str | None = None
) -> dict[int, dict[str, Vote]]:
    """`current_votes(project, stage, reviewer=...)` over every record."""
    st = _state(project, stage)
    with st.lock:
        _refresh(project, stage)
        out: dict[int, dict[str, Vote]] = {}
        for rid in sorted(st.newest):
            by = st.newest[rid]
            if reviewer is not None:
                v = by.get(reviewer)
                if v is not None and v.decision != "undecided":
                    out[rid] = {reviewer: v}
                continue
            keep = {w: by[w] for w in sorted(by) if by[w].decision != "undecided"}
            if keep:
                out[rid] = keep
        return out


def full_reads(project: Project, stage: str) -> int:
    """How many times the guard made this process read the whole stage again."""
    return _state(project, stage).full_reads
