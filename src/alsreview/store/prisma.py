"""PRISMA 2020 flow counts computed from a project store.

In: an open `Project` and a review round (None = the whole review as one; 1, 2, ... = the
living update started by `Project.start_update`, drawn with the PRISMA 2020 "updated
review" layout).  Out: a frozen `PrismaCounts`.

Definitions (Page et al. 2021, BMJ 372:n71):
    identified[source] = records retrieved from the source in the round (file or search)
    duplicates_removed = records linked to another record, plus records a search had
                         already retrieved in an earlier run
    screened           = primary records of the round (the only ones that enter screening)
    excluded_screening = title/abstract decision settled as "excluded"
    sought             = title/abstract decision settled as "included"
    not_retrieved      = full-text decision settled as "not_retrieved"
    assessed           = sought - not_retrieved
    excluded_reasons   = full-text decision settled as "excluded", by reason code
    included           = full-text decision settled as "included" (new reports of the round)
    previous_included  = reports included in earlier rounds (updated layout only)
A decision is settled when every reviewer who voted agrees (and as many voted as the
stage requires) or when a conflict was resolved (`alsreview.store.decisions`); records in
conflict count as awaiting.
Reports are counted, not studies: the store does not know which reports share a study.
Records not yet decided are reported as `awaiting_screening` / `awaiting_assessment`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select

from alsreview.prisma import PreviousReview, PrismaFlow
from alsreview.store.enums import Decision, Stage
from alsreview.store.models import Import, StoredRecord
from alsreview.store.project import Project


@dataclass(frozen=True)
class PrismaCounts:
    identified: dict[str, int]
    duplicates_removed: int
    screened: int
    excluded_screening: int
    awaiting_screening: int
    sought: int
    not_retrieved: int
    assessed: int
    excluded_reasons: dict[str, int]
    awaiting_assessment: int
    included: int
    round: int | None = None
    previous_included: int | None = None
    reason_labels: dict[str, str] = field(default_factory=dict)

    @property
    def total_identified(self) -> int:
        return sum(self.identified.values())

    @property
    def total_included(self) -> int:
        return self.included + (self.previous_included or 0)

    def summary(self) -> str:
        lines = [f"PRISMA 2020 counts{'' if self.round is None else f' (round {self.round})'}"]
        if self.previous_included is not None:
            lines.append(f"  included in previous version: {self.previous_included}")
        for src, n in sorted(self.identified.items()):
            lines.append(f"  identified from {src}: {n}")
        lines += [
            f"  duplicates removed: {self.duplicates_removed}",
            f"  screened: {self.screened} (excluded {self.excluded_screening}, "
            f"awaiting {self.awaiting_screening})",
            f"  reports sought: {self.sought}, not retrieved: {self.not_retrieved}",
            f"  assessed for eligibility: {self.assessed} (awaiting {self.awaiting_assessment})",
        ]
        for code, n in sorted(self.excluded_reasons.items()):
            lines.append(f"    excluded, {self.reason_labels.get(code, code)}: {n}")
        lines.append(f"  included: {self.included}")
        if self.previous_included is not None:
            lines.append(f"  total included: {self.total_included}")
        return "\n".join(lines)

    def to_flow(self) -> PrismaFlow:
        """The `alsreview.prisma.PrismaFlow` of these counts (for checks and drawing)."""
        return _to_flow(self)


def prisma_counts(project: Project, round: int | None = None) -> PrismaCounts:
    """Count the PRISMA 2020 boxes for the whole review (round=None) or one update round."""
    if round is not None and not 0 <= round <= project.current_round:
        from alsreview.errors import StoreError

        raise StoreError(
            f"no update round {round}: this project has rounds 0-{project.current_round}"
        )
    with project.session() as s:
        iq = select(
            Import.source, Import.n_records, Import.n_duplicates, Import.n_already_retrieved
        )
        rq = select(StoredRecord.id).where(StoredRecord.duplicate_of.is_(None))
        if round is not None:
            iq = iq.where(Import.round == round)
            rq = rq.where(StoredRecord.round == round)
        identified: dict[str, int] = {}
        removed = 0
        for source, n, n_dup, n_already in s.execute(iq):
            identified[source] = identified.get(source, 0) + n
            removed += n_dup + n_already
        primaries = set(s.scalars(rq))
        previous: int | None = None
        if round is not None:
            earlier = set(
                s.scalars(
                    select(StoredRecord.id).where(
                        StoredRecord.duplicate_of.is_(None), StoredRecord.round < round
                    )
                )
            )
    ta = project.latest_decisions(Stage.TITLE_ABSTRACT)
    ft = project.latest_decisions(Stage.FULL_TEXT)
    ta_here = {rid: d for rid, d in ta.items() if rid in primaries}
    excluded_ta = sum(1 for d, _ in ta_here.values() if d == Decision.EXCLUDED)
    sought_ids = {rid for rid, (d, _) in ta_here.items() if d == Decision.INCLUDED}
    ft_here = {rid: d for rid, d in ft.items() if rid in sought_ids}
    not_retrieved = sum(1 for d, _ in ft_here.values() if d == Decision.NOT_RETRIEVED)
    reasons: dict[str, int] = {}
    for d, why in ft_here.values():
        if d == Decision.EXCLUDED:
            key = why or "no reason given"
            reasons[key] = reasons.get(key, 0) + 1
    included = sum(1 for d, _ in ft_here.values() if d == Decision.INCLUDED)
    if round is not None:
        previous = sum(1 for rid in earlier if ft.get(rid, ("", None))[0] == Decision.INCLUDED)
    try:
        labels = {r.code: r.label for r in project.protocol.exclusion_reasons}
    except Exception:  # a project without a readable protocol still gets its counts
        labels = {}
    return PrismaCounts(
        identified=identified,
        duplicates_removed=removed,
        screened=len(primaries),
        excluded_screening=excluded_ta,
        awaiting_screening=len(primaries) - len(ta_here),
        sought=len(sought_ids),
        not_retrieved=not_retrieved,
        assessed=len(sought_ids) - not_retrieved,
        excluded_reasons=reasons,
        awaiting_assessment=len(sought_ids) - len(ft_here),
        included=included,
        round=round,
        previous_included=previous,
        reason_labels=labels,
    )


REGISTERS = frozenset({"ctgov", "clinicaltrials.gov", "ictrp", "euctr"})
DISPLAY = {
    "pubmed": "PubMed",
    "europepmc": "Europe PMC",
    "ctgov": "ClinicalTrials.gov",
    "clinicaltrials.gov": "ClinicalTrials.gov",
    "openalex": "OpenAlex",
    "crossref": "Crossref",
    "scopus": "Scopus",
    "embase": "Embase",
    "cochrane": "Cochrane Library",
    "web_of_science": "Web of Science",
    "lilacs": "LILACS",
    "scielo": "SciELO",
    "cinahl": "CINAHL",
}


def _named(counts: dict[str, int]) -> dict[str, int]:
    out: dict[str, int] = {}
    for k, v in counts.items():
        name = DISPLAY.get(k.lower(), k)
        out[name] = out.get(name, 0) + v
    return out


def _to_flow(c: PrismaCounts) -> PrismaFlow:
    """The PRISMA 2020 diagram's counts; trial registries go to the registers box, and
    sources get the names readers know (PubMed, Europe PMC, ClinicalTrials.gov...)."""
    databases = _named({k: v for k, v in c.identified.items() if k.lower() not in REGISTERS})
    registers = _named({k: v for k, v in c.identified.items() if k.lower() in REGISTERS})
    previous = None
    if c.previous_included is not None:
        previous = PreviousReview(
            studies_included=c.previous_included,
            reports_included=c.previous_included,
            total_studies=c.total_included,
            total_reports=c.total_included,
        )
    return PrismaFlow(
        databases=databases,
        registers=registers,
        duplicates_removed=c.duplicates_removed,
        automation_removed=0,
        other_removed=0,
        records_screened=c.screened,
        records_excluded=c.excluded_screening,
        reports_sought=c.sought,
        reports_not_retrieved=c.not_retrieved,
        reports_assessed=c.assessed,
        reports_excluded={c.reason_labels.get(k, k): v for k, v in c.excluded_reasons.items()},
        studies_included=c.included,
        reports_included=c.included,
        previous=previous,
    )
