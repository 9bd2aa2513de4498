"""The trial report: tables like 002_*'s Tables 2-5, the modern analyses, trajectory plots.

In: a `TrialAnalysis` (from `analysis.analyze_trial`). Out: `trial_section()` gives a
`report.section.Section` (an HTML fragment plus matplotlib figures) for the main review
report; `write_report()` writes a stand-alone `index.html` with the figures inlined as SVG
and saved beside it as `<name>.svg`. Every piece of text from the data files is escaped.
"""

from __future__ import annotations

import html
import math
from pathlib import Path
from typing import TYPE_CHECKING, Any

from alsreview.report.section import Figure, Section

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.trial.analysis import TrialAnalysis

WEAK = {"ws_uel": "UEL", "ws_uer": "UER", "ws_lel": "LEL", "ws_ler": "LER"}


def plot_trajectories(
    visits: pd.DataFrame,
    measure: str = "alsfrs_r",
    *,
    ax: Any = None,
    floor: float | None = 25.0,
    title: str | None = None,
):
    """One line per patient of `measure` against months from treatment; returns the figure."""
    import matplotlib

    matplotlib.use("Agg", force=False)
    import matplotlib.pyplot as plt

    if ax is None:
        fig, ax = plt.subplots(figsize=(7, 4.2))
    else:
        fig = ax.figure
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
    if d["patient_id"].nunique() <= 30:
        ax.legend(fontsize=6, ncol=2, loc="center left", bbox_to_anchor=(1.0, 0.5), frameon=False)
    fig.tight_layout()
    return fig


def _fmt(v: Any, digits: int = 1) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "−"
    if isinstance(v, bool):
        return "yes" if v else "no"
    if isinstance(v, float):
        return f"{v:.{digits}f}".rstrip("0").rstrip(".") if digits else f"{v:.0f}"
    return str(v)


def _table(caption: str, header: list[str], rows: list[list[Any]], digits: int = 1) -> str:
    e = html.escape
    head = "".join(f"<th>{e(h)}</th>" for h in header)
    body = "".join(
        "<tr>" + "".join(f"<td>{e(_fmt(c, digits))}</td>" for c in r) + "</tr>" for r in rows
    )
    return (
        f"<table class='trial'><caption>{e(caption)}</caption>"
        f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>"
    )


def _patient_table(a: TrialAnalysis) -> str:
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
            *(_ms(d, k) for k in ("age (years)",)),
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


def _ms(d: pd.DataFrame, key: str) -> str:
    r = d.loc[key]
    return "−" if r["n"] == 0 else f"{r['mean']:.1f} ± {r['sem']:.1f}"


def _ae_table(a: TrialAnalysis) -> str:
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
    t1 = _table(
        "Adverse events (as 002_* Table 3)",
        ["patient", "term", "serious", "related", "severity", "action", "duration (days)"],
        rows,
        digits=0,
    )
    s = a.adverse_events
    rows2 = [
        [r.term, r.serious, r.related, r.events, r.patients, f"{r.percent:.1f}%"]
        for r in s.by_term.itertuples()
    ]
    rows2 += [
        [f"{r.category}: {r.level}", "", "", r.events, r.patients, f"{r.percent:.1f}%"]
        for r in s.by_category.itertuples()
    ]
    t2 = _table(
        f"Adverse events by term and category; % of {s.n_patients} patients",
        ["term / category", "serious", "related", "events", "patients", "% patients"],
        rows2,
        digits=0,
    )
    return t1 + t2


def _visit_table(a: TrialAnalysis, column: str, caption: str) -> str:
    v = a.trial.efficacy_visits().dropna(subset=[column])
    if v.empty:
        return ""
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
    return _table(caption, header, rows, digits=1)


def _stability_tables(a: TrialAnalysis) -> str:
    out = ""
    if a.fvc is not None:
        f = a.fvc
        rule = f"≥ {f.threshold:g}% predicted" + (
            f" or fallen < {f.stable_decline:g} points from baseline" if f.stable_decline else ""
        )
        out += _table(
            f"FVC stable or {rule}, by visit (denominator: patients measured)",
            ["visit", "month", "measured", "stable/≥70%", "proportion"],
            [
                [r.visit, r.month, r.n, r.n_stable, f"{100 * r.proportion:.0f}%"]
                for r in f.table.itertuples()
            ],
        )
    if a.weakness is not None:
        w = a.weakness
        out += _table(
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
    return out


def _efficacy_tables(a: TrialAnalysis) -> str:
    out = ""
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
        out += _table(
            "ALSFRS-R slopes (points/month): post vs pre, paired t-test and Wilcoxon signed-rank "
            "(002_* method); progressors declined more than "
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
    if a.mixed is not None:
        m = a.mixed
        out += _table(
            f"Piecewise linear mixed model (REML; random intercept and slope per patient), "
            f"{m.n_obs} visits of {m.n_patients} patients; month_post = change in slope after "
            f"treatment",
            ["term", "estimate", "SE", f"{round(100 * m.level)}% CI (Wald)"],
            [
                [n, m.coef[i], m.se[i], f"{m.ci_lower[i]:.3f} to {m.ci_upper[i]:.3f}"]
                for i, n in enumerate(m.names)
            ],
            digits=4,
        )
        if m.below_floor:
            out += (
                f"<p>{len(m.below_floor)} patients fell below {m.floor:g} points, where "
                f"ALSFRS-R decline is no longer linear: "
                f"{html.escape(', '.join(m.below_floor))}.</p>"
            )
    if a.survival is not None:
        s = a.survival
        cols = [c for c in s.table.columns]
        out += _table(
            "Kaplan-Meier survival (months from treatment)",
            cols,
            s.table.to_numpy().tolist(),
            digits=3,
        )
        if s.logrank_chi2 is not None:
            out += f"<p>Log-rank χ²(1) = {s.logrank_chi2:.3f}, p = {s.logrank_p:.4g}.</p>"
    for k, why in a.skipped.items():
        out += f"<p class='skipped'>{html.escape(k)}: not run ({html.escape(why)}).</p>"
    return out


def trial_section(a: TrialAnalysis, *, section_id: str = "trial") -> Section:
    """The trial as one report section: tables, then trajectory figures."""
    parts = [_patient_table(a), _efficacy_tables(a)]
    parts.append(_visit_table(a, "fvc_percent", "FVC (% predicted) by visit (as 002_* Table 4)"))
    for col, limb in WEAK.items():
        parts.append(
            _visit_table(
                a, col, f"Weakness score {limb} by visit (0-5; 002_* Table 5 prints decreases)"
            )
        )
    parts.append(_stability_tables(a))
    parts.append(_ae_table(a))
    figures = []
    eff = a.trial.efficacy_visits()
    for measure, label in (("alsfrs_r", "ALSFRS-R"), ("fvc_percent", "FVC")):
        if eff[measure].notna().any():
            fig = plot_trajectories(eff, measure, title=f"{label} per patient")
            figures.append(
                Figure(
                    name=f"{section_id}_{measure}",
                    caption=f"{label} per patient (dashed line: day of treatment)",
                    figure=fig,
                )
            )
    return Section(
        id=section_id,
        title=f"Trial analysis: {a.trial.source}",
        html="".join(parts),
        figures=figures,
    )


_CSS = """body{font-family:system-ui,sans-serif;margin:2em;max-width:80em}
table.trial{border-collapse:collapse;margin:1.2em 0;font-size:.85em}
table.trial caption{text-align:left;font-weight:600;padding:.3em 0}
table.trial td,table.trial th{border:1px solid #ccc;padding:.2em .5em;text-align:right}
table.trial td:first-child,table.trial th:first-child{text-align:left}
p.skipped{color:#a60}"""


def write_report(a: TrialAnalysis, out: str | Path) -> Path:
    """Write `out/index.html` (figures inlined as SVG, also saved as `<name>.svg`)."""
    import io

    import matplotlib.pyplot as plt

    out = Path(out)
    out.mkdir(parents=True, exist_ok=True)
    sec = trial_section(a)
    figs = ""
    for f in sec.figures:
        buf = io.StringIO()
        f.figure.savefig(buf, format="svg")
        plt.close(f.figure)
        svg = buf.getvalue()
        (out / f"{f.name}.svg").write_text(svg, encoding="utf-8")
        svg = svg[svg.index("<svg") :]
        figs += f"<figure>{svg}<figcaption>{html.escape(f.caption)}</figcaption></figure>"
    title = html.escape(sec.title)
    page = (
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'><title>{title}</title>"
        f"<style>{_CSS}</style></head><body><h1>{title}</h1>"
        f"<pre>{html.escape(a.summary())}</pre>{sec.html}{figs}</body></html>"
    )
    path = out / "index.html"
    path.write_text(page, encoding="utf-8")
    return path
