"""Records of a project ready to be written out, with their screening decisions.

In: an open `Project`.  Out: `Record`s whose `decision` is the settled full-text decision
(else the settled title/abstract one; `alsreview.store.decisions`), with the exclusion
reason and the stage in `labels`, for `alsreview.records.write_records` (RIS puts them in N1).
"""

from __future__ import annotations

from alsreview.records.model import Record
from alsreview.store.project import Project


def records_with_decisions(project: Project, *, primary_only: bool = True) -> list[Record]:
    ta = project.latest_decisions("title_abstract")
    ft = project.latest_decisions("full_text")
    out = []
    for rid, rec in project.records(primary_only=primary_only):
        labels = list(rec.labels)
        decision = rec.decision
        d: str | None
        why: str | None
        stage: str | None
        if rid in ft:
            d, why = ft[rid]
            stage = "full text"
        elif rid in ta:
            d, why = ta[rid]
            stage = "title/abstract"
        else:
            d = why = stage = None
        if d is not None:
            if d == "not_retrieved":
                decision = "maybe"
                labels.append("full text not retrieved")
            else:
                decision = d
            labels.append(f"stage: {stage}")
            if why:
                labels.append(f"reason: {why}")
        out.append(rec.copy(decision=decision, labels=labels, notes=rec.notes))
    return out
