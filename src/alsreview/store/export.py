"""Records of a project ready to be written out, with their screening decisions.

In: an open `Project`.  Out: `Record`s whose `decision` is the settled full-text decision
(else the settled title/abstract one; `alsreview.store.decisions`), with the exclusion
reason and the stage in `labels`, for `alsreview.records.write_records` (RIS puts them in N1).
"""

from __future__ import annotations

from alsreview.records.model import Record
from alsreview.store.enums import Decision, Stage
from alsreview.store.project import Project


def records_with_decisions(project: Project, *, primary_only: bool = True) -> list[Record]:
    ta = project.latest_decisions(Stage.TITLE_ABSTRACT)
    ft = project.latest_decisions(Stage.FULL_TEXT)
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
            if d == Decision.NOT_RETRIEVED:
                decision = "maybe"  # the records layer's word for it
                labels.append("full text not retrieved")
            else:
                decision = str(d)  # a plain string in the Record
            labels.append(f"stage: {stage}")
            if why:
                labels.append(f"reason: {why}")
        out.append(rec.copy(decision=decision, labels=labels, notes=rec.notes))
    return out
