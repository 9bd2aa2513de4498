"""Kaplan-Meier survival and the log-rank test, for a trial and an external control cohort.

In: the trial's patients DataFrame with `survival_months` (treatment to death or last
contact) and `died`, and optionally a control cohort DataFrame with the same two columns
(`read_control_cohort` reads one from CSV). Out: a frozen `SurvivalResult` with, per group,
n, deaths, the KM median and survival at chosen months, and the log-rank χ² and p when there
are two groups. Fitting uses lifelines (KaplanMeierFitter, logrank_test).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alsreview.errors import ImportFormatError, Problem, ValidationError
from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class SurvivalResult(Result):
    table: pd.DataFrame  # group, n, deaths, median_months, S(<t>) columns
    times: tuple[float, ...]
    logrank_chi2: float | None
    logrank_p: float | None
    curves: dict[str, pd.DataFrame]  # group -> timeline, survival (KM step function)

    def survival_at(self, group: str, month: float) -> float:
        t = self.table.set_index("group")
        return float(t.loc[group, f"S({month:g})"])

    def summary_frame(self) -> pd.DataFrame:
        """One row per group: n, deaths, median survival, S(t) at the chosen times."""
        return self.table

    def summary(self) -> str:
        lines = ["Kaplan-Meier survival (months from treatment):"]
        for r in self.table.to_dict("records"):
            med = "not reached" if math.isnan(r["median_months"]) else f"{r['median_months']:g}"
            at = ", ".join(
                f"S({t:g}) = {r[f'S({t:g})']:.3f}"
                for t in self.times
                if not math.isnan(r[f"S({t:g})"])
            )
            lines.append(
                f"  {r['group']}: n = {r['n']}, deaths = {r['deaths']}, median {med}; {at}"
            )
        if self.logrank_chi2 is not None:
            lines.append(f"  log-rank χ²(1) = {self.logrank_chi2:.3f}, p = {self.logrank_p:.4g}")
        return "\n".join(lines)

    def to_dict(self) -> JSONDict:
        rows = [
            {k: (None if isinstance(v, float) and math.isnan(v) else v) for k, v in r.items()}
            for r in self.table.to_dict("records")
        ]
        return {"groups": rows, "logrank_chi2": self.logrank_chi2, "logrank_p": self.logrank_p}


def read_control_cohort(path: str | Path) -> pd.DataFrame:
    """Read an external control cohort CSV: survival_months, died (yes/no) per patient."""
    import io

    import pandas as pd

    from alsreview.inputs import read_limited

    path = Path(path)
    data = read_limited(path)  # regular files only, within the size limit
    try:
        df = pd.read_csv(io.BytesIO(data), dtype=str, keep_default_na=False)
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as exc:
        raise ImportFormatError(str(path), f"cannot read control cohort: {exc}") from exc
    df.columns = [c.strip().lower() for c in df.columns]
    problems = [
        Problem("required column is missing", str(path), None, c)
        for c in ("survival_months", "died")
        if c not in df.columns
    ]
    if problems:
        raise ValidationError(problems)
    months, died = [], []
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2
        try:
            m = float(r["survival_months"])
            if not m >= 0:
                raise ValueError
            months.append(m)
        except ValueError:
            problems.append(
                Problem(
                    f"not a time ≥ 0: {r['survival_months']!r}", str(path), row, "survival_months"
                )
            )
        d = r["died"].strip().lower()
        if d not in ("yes", "no", "1", "0", "true", "false"):
            problems.append(
                Problem(f"expected yes or no, got {r['died']!r}", str(path), row, "died")
            )
        died.append(d in ("yes", "1", "true"))
    if problems:
        raise ValidationError(problems)
    return pd.DataFrame({"survival_months": months, "died": died})


def kaplan_meier(
    patients: pd.DataFrame,
    *,
    control: pd.DataFrame | None = None,
    groups: tuple[str, str] = ("trial", "external control"),
    times: tuple[float, ...] = (6, 12, 18),
) -> SurvivalResult:
    """KM per group (trial, and control when given) and the log-rank test between them."""
    import pandas as pd
    from lifelines import KaplanMeierFitter
    from lifelines.statistics import logrank_test

    cohorts = {groups[0]: patients.dropna(subset=["survival_months"])}
    if control is not None:
        cohorts[groups[1]] = control.dropna(subset=["survival_months"])
    rows, curves = [], {}
    for name, df in cohorts.items():
        kmf = KaplanMeierFitter().fit(df["survival_months"], df["died"].astype(bool), label=name)
        row = {
            "group": name,
            "n": len(df),
            "deaths": int(df["died"].astype(bool).sum()),
            "median_months": float(kmf.median_survival_time_),
        }
        for t in times:
            # beyond the last follow-up time the curve is unknown, not flat
            known = t <= float(df["survival_months"].max())
            row[f"S({t:g})"] = (
                float(kmf.survival_function_at_times(t).iloc[0]) if known else math.nan
            )
        rows.append(row)
        sf = kmf.survival_function_
        curves[name] = pd.DataFrame({"timeline": sf.index.to_numpy(), "survival": sf.iloc[:, 0]})
    chi2 = p = None
    if control is not None:
        a, b = (cohorts[g] for g in groups)
        lr = logrank_test(
            a["survival_months"],
            b["survival_months"],
            a["died"].astype(bool),
            b["died"].astype(bool),
        )
        chi2, p = float(lr.test_statistic), float(lr.p_value)
    table = pd.DataFrame(rows)
    table["median_months"] = table["median_months"].replace(float("inf"), float("nan"))
    return SurvivalResult(table, tuple(times), chi2, p, curves)
