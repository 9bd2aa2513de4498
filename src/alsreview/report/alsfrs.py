"""The report section of the ALSFRS-R pre-post synthesis (`meta.alsfrs`).

In: the evidence base's studies (or a ready `AlsfrsSynthesis`).  Out: a `Section` with the
cohorts used and left out, the pooled estimates for each assumed pre-post correlation,
subgroups, the meta-regression, the caveats (template `alsfrs.html.j2`), and a forest plot
(MC, r = 0.5) drawn by `report.meta_plots.forest` on a `matplotlib.figure.Figure`.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from alsreview.errors import ValidationError
from alsreview.meta.alsfrs import AlsfrsSynthesis, alsfrs_synthesis
from alsreview.report.html import render
from alsreview.report.section import Figure, Section

if TYPE_CHECKING:
    from collections.abc import Sequence

    from matplotlib.figure import Figure as MplFigure

    from alsreview.evidence.model import Study


def _ci(estimate: float, lb: float, ub: float) -> str:
    return f"{estimate:.2f} [{lb:.2f}, {ub:.2f}]"


def _p(p: float) -> str:
    return "< 0.001" if p < 0.001 else f"{p:.3f}"


def alsfrs_section(
    studies: Sequence[Study] | None = None, *, syn: AlsfrsSynthesis | None = None
) -> Section:
    """The ALSFRS-R slope synthesis as a report section (give `studies` or `syn`)."""
    if syn is None:
        syn = alsfrs_synthesis(studies or [])
    cohorts = [
        {
            "label": s.label,
            "n": s.n,
            "before": f"{s.m_pre:g} ({s.sd_pre:.2f}{'*' if s.sd_pre_imputed else ''})",
            "after": f"{s.m_post:g} ({s.sd_post:.2f}{'*' if s.sd_post_imputed else ''})",
            "route": s.route,
            "cell_type": s.cell_type,
            "administrations": s.administrations_text,
            "source": s.provenance,
        }
        for s in syn.studies
    ]
    sensitivity = []
    subgroups = []
    metareg = None
    if syn.primary is not None and syn.sensitivity is not None:
        sensitivity = [
            {
                "r": f"{r.ri:g}",
                "measure": r.measure,
                "estimate": _ci(r.estimate, r.ci_lb, r.ci_ub),
                "p": _p(r.pval),
                "tau2": f"{r.tau2:.3f}",
                "I2": f"{r.I2:.0f}%",
            }
            for r in syn.sensitivity.rows
        ]
        for title, sub in (("route", syn.by_route), ("cell type", syn.by_cell_type)):
            if sub is None:
                continue
            subgroups.append(
                {
                    "by": title,
                    "rows": [
                        {
                            "group": g,
                            "k": f.k,
                            "estimate": _ci(f.estimate, f.ci_lb[0], f.ci_ub[0]),
                            "tau2": f"{f.tau2:.3f}",
                        }
                        for g, f in sub.fits.items()
                    ],
                    "test": f"Q = {sub.Q_between:.2f}, df = {sub.df}, p = {_p(sub.pval)}",
                }
            )
        if syn.metareg is not None:
            m = syn.metareg
            metareg = {
                "rows": [
                    {"name": name, "b": f"{m.b[i]:.3f}", "se": f"{m.se[i]:.3f}", "p": _p(m.pval[i])}
                    for i, name in enumerate(("intercept", "administrations"))
                ],
                "test": f"QM = {m.QM:.2f}, p = {_p(m.QMp)}; residual tau2 = {m.tau2:.3f}"
                + ("" if m.R2 is None else f", R2 = {m.R2:.0f}%"),
            }
    html = render(
        "alsfrs.html.j2",
        syn=syn,
        cohorts=cohorts,
        sensitivity=sensitivity,
        subgroups=subgroups,
        metareg=metareg,
    )
    figures = []
    if syn.primary is not None:
        figures.append(
            Figure(
                name="alsfrs_prepost_forest",
                caption=(
                    f"Change in monthly ALSFRS-R decline after vs before treatment (MC, "
                    f"r = {syn.primary_r:g}, REML), by cell type. Single-arm, uncontrolled "
                    "cohorts: not evidence of efficacy."
                ),
                figure=forest_figure(syn),
            )
        )
    return Section(
        id="alsfrs-synthesis",
        title="ALSFRS-R slope synthesis (uncontrolled before/after cohorts)",
        html=html,
        figures=figures,
    )


def forest_figure(syn: AlsfrsSynthesis) -> MplFigure:
    """Forest plot of the primary analysis, subgroups by cell type when there are two+."""
    from alsreview.report.meta_plots import forest

    if syn.primary is None:
        raise ValidationError(f"a forest plot needs at least two cohorts; {syn.k} pooled")
    groups = [s.cell_type for s in syn.studies] if syn.by_cell_type is not None else None
    return forest(
        syn.primary,
        slab=[s.label for s in syn.studies],
        subgroups=groups,
        xlab="After - before, ALSFRS-R points/month (negative = slower decline)",
    )
