"""FVC and weakness-score stability by visit, as in 002_*'s Tables 4 and 5.

In: the visits DataFrame of a `TrialData` (columns patient_id, visit, month, fvc_percent,
ws_uel, ws_uer, ws_lel, ws_ler). Out: frozen results holding one row per post-treatment
visit with the number of patients measured, the number stable and the proportion.

Baseline is each patient's last measurement before treatment (month < 0), which is visit III
(−5 weeks) in 002_*. FVC is "stable or above 70%" when the value is ≥ 70% predicted or has
fallen by less than `stable_decline` percentage points from baseline (10 points, the usual
clinically meaningful FVC decline, by default). A weakness score (0-5) is stable when it has
fallen by less than 1.0 from baseline (002_*); "overall" uses the mean decrease of the four
limbs. Proportions use the patients measured at that visit as denominator.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd

LIMBS = {"ws_uel": "UEL", "ws_uer": "UER", "ws_lel": "LEL", "ws_ler": "LER"}


@dataclass(frozen=True, repr=False)
class FVCStability(Result):
    """Per post-treatment visit: n measured, n stable or ≥ threshold, proportion."""

    table: pd.DataFrame  # visit, month, n, n_stable, proportion, mean, sd, sem
    threshold: float
    stable_decline: float | None

    def proportion_at(self, month: float) -> float:
        t = self.table
        return float(t.loc[t["month"] == month, "proportion"].iloc[0])

    def summary_frame(self) -> pd.DataFrame:
        """The by-visit table."""
        return self.table

    def summary(self) -> str:
        lines = [f"FVC stable or ≥ {self.threshold:g}% predicted, by visit:"]
        for r in self.table.itertuples():
            lines.append(
                f"  {r.visit} (month {r.month:g}): {r.n_stable}/{r.n} = {100 * r.proportion:.0f}%"
            )
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class WeaknessStability(Result):
    """Per post-baseline visit and limb (and overall): n measured, n stable, proportion."""

    table: pd.DataFrame  # visit, month, limb, n, n_stable, proportion, mean_decrease
    max_decrease: float

    def summary_frame(self) -> pd.DataFrame:
        """The by-visit, by-limb table."""
        return self.table

    def summary(self) -> str:
        t = self.table[self.table["limb"] == "overall"]
        lines = [f"Weakness score stable (mean decrease < {self.max_decrease:g}), by visit:"]
        for r in t.itertuples():
            lines.append(
                f"  {r.visit} (month {r.month:g}): {r.n_stable}/{r.n} = {100 * r.proportion:.0f}%"
            )
        return "\n".join(lines)


def _baseline(visits: pd.DataFrame, cols: list[str]) -> pd.DataFrame:
    pre = visits[visits["month"] < 0].dropna(subset=cols, how="all").sort_values("month")
    return pre.groupby("patient_id")[cols].last()


def fvc_stability(
    visits: pd.DataFrame, *, threshold: float = 70.0, stable_decline: float | None = 10.0
) -> FVCStability:
    """Proportion with FVC ≥ `threshold` or fallen < `stable_decline` points from baseline."""
    import pandas as pd

    from alsreview.trial.describe import describe

    v = visits.dropna(subset=["fvc_percent"])
    base = _baseline(v, ["fvc_percent"])["fvc_percent"]
    rows = []
    post = v[v["month"] > 0]
    for (month, visit), g in post.groupby(["month", "visit"], sort=True):
        ok = g["fvc_percent"] >= threshold
        if stable_decline is not None:
            b = g["patient_id"].map(base)
            ok = ok | ((b - g["fvc_percent"]) < stable_decline)
        d = describe(g["fvc_percent"])
        rows.append(
            {
                "visit": visit,
                "month": month,
                "n": len(g),
                "n_stable": int(ok.sum()),
                "proportion": float(ok.mean()),
                "mean": d.mean,
                "sd": d.sd,
                "sem": d.sem,
            }
        )
    return FVCStability(pd.DataFrame(rows), threshold, stable_decline)


def weakness_stability(visits: pd.DataFrame, *, max_decrease: float = 1.0) -> WeaknessStability:
    """Proportion of patients whose weakness score fell by less than `max_decrease`."""
    import pandas as pd

    cols = list(LIMBS)
    v = visits.dropna(subset=cols, how="all")
    base = _baseline(v, cols)
    rows = []
    for (month, visit), g in v[v["month"] >= 0].groupby(["month", "visit"], sort=True):
        g = g[g["patient_id"].isin(base.index)]
        dec = base.loc[g["patient_id"], cols].to_numpy() - g[cols].to_numpy()
        dec = pd.DataFrame(dec, columns=cols)
        for c in cols:
            d = dec[c].dropna()
            rows.append(_row(visit, month, LIMBS[c], d, max_decrease))
        rows.append(_row(visit, month, "overall", dec.dropna().mean(axis=1), max_decrease))
    return WeaknessStability(pd.DataFrame(rows), max_decrease)


def _row(visit, month, limb, d, max_decrease) -> dict:
    n = len(d)
    stable = int((d < max_decrease - 1e-9).sum())
    return {
        "visit": visit,
        "month": month,
        "limb": limb,
        "n": n,
        "n_stable": stable,
        "proportion": stable / n if n else float("nan"),
        "mean_decrease": float(d.mean()) if n else float("nan"),
    }
