"""Screening: blinded dual review on the project store, conflicts, and ranking.

In: an open `alsreview.store.Project` and reviewers' names.  Out: frozen `Vote`,
`RecordStatus` and `NextRecord` objects.  Every function takes the project first:

    decide(project, reviewer, record_id, stage, decision, *, reason=None, note="", labels=())
                                        -> Vote     a vote; a change is a new row + event
    undo(project, reviewer, record_id, stage) -> Vote   back one step (nothing deleted)
    visible_decisions(project, reviewer, stage) -> list[Vote]   own only while blinded
    decision_history(project, reviewer, stage, record_id=None) -> list[Vote]
    record_status(project, record_id, stage, viewer) -> RecordStatus
    is_blinded(project, stage) -> bool;  owner(project) -> str
    unblind(project, stage, actor) -> dict            owner only
    set_reviewers_required(project, stage, n, actor)   owner only; 2 = dual review
    conflicts(project, stage, *, include_resolved=False) -> list[RecordStatus]
    resolve(project, record_id, stage, decision, *, resolved_by, method, why, reason=None)
                                        -> RecordStatus  method: third_reviewer | consensus
    settled_decisions(project, stage) -> {record_id: (decision, reason)}   what PRISMA counts
    full_text_queue(project) -> list[int]             title/abstract settled as included
    reviewer_queue(project, reviewer, stage) -> (open records, n eligible)
    next_record(project, reviewer, stage) -> NextRecord | None   by the ranking

Stages are "title_abstract" and "full_text"; decisions "included", "excluded", "maybe"
and (full text) "not_retrieved".  Errors are `StoreError` (`BlindedError` when a stage
must be unblinded first).  Ranking: `alsreview.screening.ranking`.
"""

from alsreview.screening.decisions import (
    BlindedError,
    NextRecord,
    conflicts,
    decide,
    decision_history,
    eligible_records,
    full_text_queue,
    is_blinded,
    next_record,
    owner,
    record_status,
    resolve,
    reviewer_queue,
    set_reviewers_required,
    settled_decisions,
    training_labels,
    unblind,
    undo,
    visible_decisions,
)
from alsreview.store.decisions import STAGES, RecordStatus, ResolutionRow, Vote

__all__ = [
    "STAGES",
    "BlindedError",
    "NextRecord",
    "RecordStatus",
    "ResolutionRow",
    "Vote",
    "conflicts",
    "decide",
    "decision_history",
    "eligible_records",
    "full_text_queue",
    "is_blinded",
    "next_record",
    "owner",
    "record_status",
    "resolve",
    "reviewer_queue",
    "set_reviewers_required",
    "settled_decisions",
    "training_labels",
    "unblind",
    "undo",
    "visible_decisions",
]
