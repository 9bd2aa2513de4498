"""The trial report: tables like 002_*'s Tables 2-5, the modern analyses, trajectory plots.

In: a `TrialAnalysis` (from `trial.analysis.analyze_trial`). Out: `trial_section(a)`, a
`Section` for the review report (tables rendered by `trial.html.j2` with autoescaping, and
per-patient trajectory figures on `matplotlib.figure.Figure`); `write_trial_report(a, out)`
writes the same section as a stand-alone page through the one page writer
(`report.build.write_report`).
"""

from __future__ import annotations

import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.report.html import render
from alsreview.report.section import Figure, Section
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from alsreview.evidence.model import ExtractedTable
    from alsreview.trial.analysis import TrialAnalysis

WEAK = {"ws_uel": "UEL", "ws_uer": "UER", "ws_lel": "LEL", "ws_ler": "LER"}


def plot_trajectories(
    visits: pd.DataFrame,
    measure: str = "alsfrs_r",
    *,
    ax: Axes | None = None,
    floor: float | None = 25.0,
    title: str | None = None,
    legend: bool = True,
) -> MplFigure:
    """One line per patient of `measure` against months from treatment; returns the figure.

    Draws on `ax` when given, else on a new `matplotlib.figure.Figure` (no pyplot state).
    `legend` names the patients (up to 30) beside the plot."""
    if ax is None:
        from matplotlib.figure import Figure as MplFigure

        fig = MplFigure(figsize=(7, 4.2))
        fig.subplots_adjust(left=0.1, right=0.86 if legend else 0.97, bottom=0.12, top=0.92)
        ax = fig.add_subplot()
    else:
        root = ax.get_figure(root=True)
        assert root is not None  # an Axes always belongs to a figure
        fig = root
    d = visits.dropna(subset=[measure])
    for pid, g in d.groupby("patient_id", sort=False):
        ax.plot(g["month"], g[measure], marker="o", ms=3, lw=1, alpha=0.75, label=str(pid))
    ax.axvline(0, color="0.3", ls="--", lw=1)
    if floor is not None and measure == "alsfrs_r":
        ax.axhline(floor, color="tab:red", ls=":", lw=1)
    ax.set_xlabel("months from treatment")
    ax.set_ylabel(
        {"alsfrs_r": "ALSFRS-R", "fvc_percent": "FVC (% predicted)"}.get(measure, measure)
    )
    if title:
        ax.set_title(title)
    if legend and d["patient_id"].nunique() <= 30:
        ax.legend(fontsize=6, ncol=2, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    return fig


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "−"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"
    return str(v)


def _table(
    caption: str, header: list[str], rows: list[list[Any]], digits: int = 1, **extra: Any
) -> JSONDict:
    """A table block for `trial.html.j2`: every cell formatted to text here, escaped there."""
    return {
        "kind": "table",
        "caption": caption,
        "header": header,
        "rows": [[_fmt(c, digits) for c in r] for r in rows],
        **extra,
    }


def _para(text: str, cls: str = "") -> JSONDict:
    return {"kind": "p", "text": text, "cls": cls}


def _patient_table(a: TrialAnalysis) -> JSONDict:
    p = a.trial.patients
    v = a.trial.visits
    pre = v[v["month"] <= 0]
    als0 = (
        pre.dropna(subset=["alsfrs_r"])
        .sort_values("month")
        .groupby("patient_id")["alsfrs_r"]
        .last()
    )
    fvc0 = (
        pre.dropna(subset=["fvc_percent"])
        .sort_values("month")
        .groupby("patient_id")["fvc_percent"]
        .last()
    )
    rows = [
        [
            r.patient_id,
            r.age,
            r.sex,
            r.onset,
            r.disease_duration_months,
            als0.get(r.patient_id),
            fvc0.get(r.patient_id),
            "yes" if r.in_efficacy_analysis else f"no: {r.exclusion_reason}",
        ]
        for r in p.itertuples()
    ]
    d = a.demographics.set_index("variable")
    rows.append(
        [
            "mean ± SEM",
            _ms(d, "age (years)"),
            "",
            "",
            _ms(d, "disease duration (months)"),
            _ms(d, "ALSFRS-R at day 0"),
            _ms(d, "FVC before treatment (% predicted)"),
            "",
        ]
    )
    return _table(
        "Patients (as 002_* Table 2): mean ± SEM over all enrolled patients",
        [
            "patient",
            "age",
            "sex",
            "onset",
            "disease duration (months)",
            "ALSFRS-R day 0",
            "FVC (%)",
            "efficacy analysis",
        ],
        rows,
        digits=0,
    )


#: demographics variable -> words of the printed table's column (002_* Table 2)
_TABLE2 = {
    "age (years)": "age",
    "disease duration (months)": "disease duration",
    "ALSFRS-R at day 0": "alsfrs",
    "FVC before treatment (% predicted)": "fvc",
}


def reproduction(a: TrialAnalysis, table: ExtractedTable) -> JSONDict | None:
    """The printed mean and SEM of a trial report's patient table (an evidence-base
    `ExtractedTable` with stated totals) against the same statistics of the patient rows.

    Returns None when the table states none of them; `reproduces` is True only when every
    stated value equals the recomputed one at the printed precision."""
    d = a.demographics.set_index("variable")
    rows = []

    def places(x: float) -> int:
        text = f"{x:g}"
        return len(text.split(".")[1]) if "." in text else 0

    # a float keeps no trailing zero ("1.0" is stored as 1): a column prints one precision
    precision: dict[str, int] = {}
    stated_values = [(s, s.value.value) for s in table.stated_totals if s.value.value is not None]
    for stated, value in stated_values:
        precision[stated.column] = max(precision.get(stated.column, 0), places(value))
    for stated, value in stated_values:
        if stated.aggregate not in ("mean", "sem"):
            continue
        var = next((v for v, w in _TABLE2.items() if w in stated.column.lower()), None)
        if var is None or var not in d.index:
            continue
        printed = float(value)
        decimals = precision[stated.column]
        text = f"{printed:.{decimals}f}"
        computed = float(d.loc[var, stated.aggregate])
        rows.append(
            {
                "what": f"{var}: {'mean' if stated.aggregate == 'mean' else 'SEM'}",
                "printed": text,
                "computed": f"{computed:.{decimals}f}",
                "same": round(computed, decimals) == round(printed, decimals),
            }
        )
    if not rows:
        return None
    return {
        "table": f"{table.review} {table.id}",
        "rows": rows,
        "reproduces": all(r["same"] for r in rows),
    }


def _ms(d: pd.DataFrame, key: str) -> str:
    r = d.loc[key]
    return "−" if r["n"] == 0 else f"{r['mean']:.1f} ± {r['sem']:.1f}"


def _ae_tables(a: TrialAnalysis) -> list[JSONDict]:
    ae = a.trial.adverse_events
    rows = [
        [
            r.patient_id,
            r.term,
            r.serious,
            r.related,
            r.severity,
            r.action,
            "persistent" if r.ongoing else r.duration_days,
        ]
        for r in ae.itertuples()
    ]
    s = a.adverse_events
    rows2 = [
        [r.term, r.serious, r.related, r.events, r.patients, f"{r.percent:.1f}%"]
        for r in s.by_term.itertuples()
    ]
    rows2 += [
        [f"{r.category}: {r.level}", "", "", r.events, r.patients, f"{r.percent:.1f}%"]
        for r in s.by_category.itertuples()
    ]
    return [
        _table(
            "Adverse events (as 002_* Table 3)",
            ["patient", "term", "serious", "related", "severity", "action", "duration (days)"],
            rows,
            digits=0,
        ),
        _table(
            f"Adverse events by term and category; % of {s.n_patients} patients",
            ["term / category", "serious", "related", "events", "patients", "% patients"],
            rows2,
            digits=0,
        ),
    ]


def _visit_table(a: TrialAnalysis, column: str, caption: str) -> list[JSONDict]:
    v = a.trial.efficacy_visits().dropna(subset=[column])
    if v.empty:
        return []
    wide = v.pivot_table(
        index="patient_id", columns=["month", "visit"], values=column, aggfunc="first"
    )
    wide = wide.reindex(columns=sorted(wide.columns))
    order = [p for p in a.trial.patients["patient_id"] if p in wide.index]
    wide = wide.reindex(order)  # the patients' file order, not string order
    header = ["patient", *(f"{vis} ({m:+g} mo)" for m, vis in wide.columns)]
    rows = [[pid, *row] for pid, row in zip(wide.index, wide.to_numpy().tolist(), strict=True)]
    desc = wide.agg(["mean", "std", "sem"])
    rows.append(
        [
            "mean ± SD",
            *(f"{m:.0f} ± {s:.0f}" for m, s in zip(desc.loc["mean"], desc.loc["std"], strict=True)),
        ]
    )
    rows.append(
        [
            "mean ± SEM",
            *(f"{m:.1f} ± {s:.1f}" for m, s in zip(desc.loc["mean"], desc.loc["sem"], strict=True)),
        ]
    )
    return [_table(caption, header, rows, digits=1, column=column)]


def _stability_tables(a: TrialAnalysis) -> list[JSONDict]:
    out = []
    if a.fvc is not None:
        f = a.fvc
        rule = f"≥ {f.threshold:g}% predicted" + (
            f" or fallen < {f.stable_decline:g} points from baseline" if f.stable_decline else ""
        )
        out.append(
            _table(
                f"FVC stable or {rule}, by visit (denominator: patients measured)",
                ["visit", "month", "measured", "stable/≥70%", "proportion"],
                [
                    [r.visit, r.month, r.n, r.n_stable, f"{100 * r.proportion:.0f}%"]
                    for r in f.table.itertuples()
                ],
            )
        )
    if a.weakness is not None:
        w = a.weakness
        out.append(
            _table(
                f"Weakness score stable (decrease from baseline < {w.max_decrease:g}), "
                "by visit and limb",
                ["visit", "month", "limb", "scored", "stable", "proportion", "mean decrease"],
                [
                    [
                        r.visit,
                        r.month,
                        r.limb,
                        r.n,
                        r.n_stable,
                        f"{100 * r.proportion:.0f}%",
                        r.mean_decrease,
                    ]
                    for r in w.table.itertuples()
                ],
                digits=2,
            )
        )
    return out


def _efficacy_tables(a: TrialAnalysis) -> list[JSONDict]:
    out = []
    if a.slopes is not None:
        rows = [
            [
                t.group,
                f"0-{t.window:g}",
                t.n,
                t.mean_pre,
                t.mean_post,
                f"{t.mean_difference:.3f} ± {t.sem_difference:.3f}",
                t.t,
                t.p_t,
                t.wilcoxon_V,
                t.p_wilcoxon,
            ]
            for t in a.slopes.tests
        ]
        out.append(
            _table(
                "ALSFRS-R slopes (points/month): post vs pre, paired t-test and Wilcoxon "
                "signed-rank (002_* method); progressors declined more than "
                f"{a.slopes.progressor_decline:.3g} points/month before treatment",
                [
                    "group",
                    "months",
                    "n",
                    "pre",
                    "post",
                    "difference (mean ± SEM)",
                    "t",
                    "p (t)",
                    "Wilcoxon V",
                    "p (Wilcoxon)",
                ],
                rows,
                digits=4,
            )
        )
    if a.mixed is not None:
        m = a.mixed
        out.append(
            _table(
                f"Piecewise linear mixed model (REML; random intercept and slope per patient), "
                f"{m.n_obs} visits of {m.n_patients} patients; month_post = change in slope "
                f"after treatment",
                ["term", "estimate", "SE", f"{round(m.level)}% CI (Wald)"],
                [
                    [n, m.coef[i], m.se[i], f"{m.ci_lower[i]:.3f} to {m.ci_upper[i]:.3f}"]
                    for i, n in enumerate(m.names)
                ],
                digits=4,
            )
        )
        if m.below_floor:
            out.append(
                _para(
                    f"{len(m.below_floor)} patients fell below {m.floor:g} points, where "
                    f"ALSFRS-R decline is no longer linear: {', '.join(m.below_floor)}."
                )
            )
    if a.survival is not None:
        s = a.survival
        out.append(
            _table(
                "Kaplan-Meier survival (months from treatment)",
                list(s.table.columns),
                s.table.to_numpy().tolist(),
                digits=3,
            )
        )
        if s.logrank_chi2 is not None:
            out.append(_para(f"Log-rank χ²(1) = {s.logrank_chi2:.3f}, p = {s.logrank_p:.4g}."))
    for k, why in a.skipped.items():
        out.append(_para(f"{k}: not run ({why}).", "skipped"))
    return out


def trial_section(
    a: TrialAnalysis,
    *,
    section_id: str = "trial",
    summary: bool = False,
    legend: bool = True,
    figures: bool = True,
    printed: ExtractedTable | None = None,
) -> Section:
    """The trial as one report section: tables, then trajectory figures.

    `summary=True` puts the analysis' plain-text summary first (the stand-alone page);
    `legend=False` leaves the patient legend off the figures; `figures=False` leaves the
    trajectory figures out (the review report, whose readers find them in `alsreview trial
    report`); `printed` (the trial report's patient table from the evidence base) adds
    whether its printed means and SEMs reproduce from the patient rows."""
    blocks: list[JSONDict] = [_patient_table(a), *_efficacy_tables(a)]
    blocks += _visit_table(a, "fvc_percent", "FVC (% predicted) by visit (as 002_* Table 4)")
    for col, limb in WEAK.items():
        blocks += _visit_table(
            a, col, f"Weakness score {limb} by visit (0-5; 002_* Table 5 prints decreases)"
        )
    blocks += _stability_tables(a)
    blocks += _ae_tables(a)
    figs = []
    eff = a.trial.efficacy_visits()
    for measure, label in (("alsfrs_r", "ALSFRS-R"), ("fvc_percent", "FVC")):
        if figures and eff[measure].notna().any():
            fig = plot_trajectories(eff, measure, title=f"{label} per patient", legend=legend)
            figs.append(
                Figure(
                    name=f"{section_id}_{measure}",
                    caption=f"{label} per patient (dashed line: day of treatment)",
                    figure=fig,
                )
            )
    check = reproduction(a, printed) if printed is not None else None
    html = render(
        "trial.html.j2",
        blocks=blocks,
        summary=a.summary() if summary else None,
        check=check,
        figures_elsewhere=not figures,
    )
    return Section(
        id=section_id,
        title=f"Trial analysis: {a.trial.source}",
        html=html,
        figures=figs,
    )


def write_trial_report(a: TrialAnalysis, out: str | Path) -> Path:
    """Write the trial section as a stand-alone `out/index.html` (figures as SVG and PNG)."""
    from alsreview.report.build import write_report

    sec = trial_section(a, summary=True)
    return write_report(
        out, [sec], title=sec.title, evidence_name=f"the trial data {a.trial.source}"
    )
