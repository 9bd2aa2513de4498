"""`alsreview report --project DIR`: the report of a review project, on the bundled code.

In: an open `Project`.  Out: report sections: the project's evidence base (extraction
consensus per study, `extraction.review.project_evidence`) goes through the same sections as
the bundled base; the PRISMA 2020 flow is drawn from the store's counts
(`store.prisma.prisma_counts`; a living update in the updated-review layout); risk of bias
from the project's appraisals (robvis figures; their overall judgements feed GRADE); the
trial section when a trial data folder is attached (`alsreview trial attach`).
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.report.html import render
from alsreview.report.section import Section
from alsreview.store.project import Project

if TYPE_CHECKING:
    from alsreview.report.grade import Override


def prisma_section(project: Project, pending: tuple[str, ...] = ()) -> Section:
    """PRISMA 2020 from the store: the whole review, or the newest update round."""
    from alsreview.report.prisma import prisma_figure
    from alsreview.store.prisma import prisma_counts

    rnd = project.current_round
    counts = prisma_counts(project, round=rnd if rnd > 0 else None)
    flow = counts.to_flow()
    rows: list[tuple[str, int]] = []
    if counts.previous_included is not None:
        rows.append(("Reports included in the previous version", counts.previous_included))
    rows += [(f"Records identified: {k}", v) for k, v in sorted(counts.identified.items())]
    rows += [
        ("Duplicates removed", counts.duplicates_removed),
        ("Records screened", counts.screened),
        ("Records excluded (title/abstract)", counts.excluded_screening),
        ("Reports sought for retrieval", counts.sought),
        ("Reports not retrieved", counts.not_retrieved),
        ("Reports assessed for eligibility", counts.assessed),
    ]
    rows += [
        (f"Reports excluded: {counts.reason_labels.get(k, k)}", v)
        for k, v in sorted(counts.excluded_reasons.items())
    ]
    rows.append(("Reports included", counts.included))
    awaiting = []
    if counts.awaiting_screening:
        awaiting.append(f"{counts.awaiting_screening} records at title/abstract")
    if counts.awaiting_assessment:
        awaiting.append(f"{counts.awaiting_assessment} reports at full text")
    html = render(
        "project_prisma.html.j2",
        counts=counts,
        rows=rows,
        awaiting="; ".join(awaiting),
        pending=list(pending),
        problems=[str(p) for p in flow.inconsistencies()],
    )
    figure = prisma_figure(
        flow,
        name="prisma_project",
        caption="PRISMA 2020 flow diagram of this review, from the project store's counts.",
    )
    title = "PRISMA 2020 flow" + (f" (update round {rnd})" if rnd > 0 else "")
    return Section(id="prisma-project", title=title, html=html, figures=[figure])


def _appraisals(project: Project) -> tuple[list[Any], dict[str, list[str]], dict[str, str]]:
    """robvis tables per tool used, the studies left unresolved, and study -> overall."""
    from alsreview.appraisal.assessments import current_judgements
    from alsreview.appraisal.table import RobTable
    from alsreview.store.appraisals import current_appraisals

    tables: list[Any] = []
    unresolved: dict[str, list[str]] = {}
    overall: dict[str, str] = {}
    for tool in sorted({a.tool for a in current_appraisals(project)}):
        cj = current_judgements(project, tool)
        tables.append(RobTable.from_store(project, tool))
        unresolved[tool] = [f"{s} ({o})" if o else s for s, o in cj.unresolved]
        for study, judgement in cj.overall().items():
            overall.setdefault(study, judgement)
    return tables, unresolved, overall


def project_sections(
    project: Project, overrides: Iterable[Override] = ()
) -> tuple[str, list[Section], tuple[str, ...]]:
    """(title, sections, studies left out) of the project's report."""
    from alsreview.extraction.review import project_evidence
    from alsreview.report.build import review_sections
    from alsreview.report.robvis import appraisal_section
    from alsreview.trial.attach import attached_trial

    pe = project_evidence(project)
    tables, unresolved, overall = _appraisals(project)
    trial = attached_trial(project)
    analysis = None
    if trial is not None:
        from alsreview.trial.analysis import analyze_trial

        analysis = analyze_trial(trial)
    sections = review_sections(
        pe.base, appraisals=overall or None, overrides=overrides, trial=analysis
    )
    for i, sec in enumerate(sections):
        if sec.id == "risk-of-bias":  # the project's own appraisals, with robvis figures
            sections[i] = appraisal_section(pe.base, tables=tables, unresolved=unresolved)
    at = next((i for i, sec in enumerate(sections) if sec.id == "overview"), -1) + 1
    sections.insert(at, prisma_section(project, pe.pending))
    return pe.base.title, sections, pe.pending


def build_project_report(
    project_dir: str | Path, out: str | Path, *, overrides: Iterable[Override] = ()
) -> Path:
    """Write the project's report into folder `out` (GRADE `overrides` as for the bundled
    report); return the index.html path."""
    from alsreview.report.build import write_report

    with Project.open(project_dir) as project:
        title, sections, _ = project_sections(project, overrides)
    return write_report(out, sections, title=title, evidence_name=f"the project {project_dir}")
