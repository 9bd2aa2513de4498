"""Per-patient least-squares ALSFRS-R slopes before and after treatment, compared in pairs.

In: long visits data (patient_id, month relative to treatment, alsfrs_r). Out: a frozen
`SlopeAnalysis` holding one row per patient (pre-treatment slope, post-treatment slopes over
0-3, 0-6, 0-9 and 0-12 months, in points per month) and, per window, the paired t-test and the
Wilcoxon signed-rank test of post vs pre slope, for all patients and for the progressor
subgroup (pre-treatment decline steeper than `progressor_decline` points per month; 002_*
used more than 1 point per 3 months).

This is the analysis of 002_* (GraphPad: slopes by regression, paired t-test). A slope is the
ordinary least-squares slope b = Σ(t − t̄)(y − ȳ)/Σ(t − t̄)²; the pre slope uses the visits at
months ≤ 0 (day 0 included), a post window 0-w the visits at 0 ≤ month ≤ w + `tolerance`, and
needs a visit at or after w − `tolerance` so that a patient lost early is not counted in a
longer window with a shorter slope.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class PairedSlopeTest(Result):
    """Post vs pre slopes for one window: means, mean difference and both paired tests."""

    window: float
    group: str  # "all" or "progressors"
    n: int
    mean_pre: float
    mean_post: float
    mean_difference: float  # post − pre (positive = slower decline after treatment)
    sem_difference: float
    t: float
    df: int
    p_t: float
    wilcoxon_V: float  # sum of positive-difference ranks (R's wilcox.test V)
    p_wilcoxon: float

    def summary(self) -> str:
        return (
            f"0-{self.window:g} months ({self.group}, n = {self.n}): pre {self.mean_pre:.3f}, "
            f"post {self.mean_post:.3f} points/month; difference {self.mean_difference:.3f} "
            f"± {self.sem_difference:.3f} (mean ± SEM); paired t({self.df}) = {self.t:.3f}, "
            f"p = {self.p_t:.4g}; Wilcoxon V = {self.wilcoxon_V:g}, p = {self.p_wilcoxon:.4g}"
        )


@dataclass(frozen=True, repr=False)
class SlopeAnalysis(Result):
    slopes: pd.DataFrame  # patient_id, pre, post_0_3, ..., progressor
    tests: tuple[PairedSlopeTest, ...]
    progressor_decline: float

    def test(self, window: float, group: str = "all") -> PairedSlopeTest:
        for t in self.tests:
            if t.window == window and t.group == group:
                return t
        raise KeyError((window, group))

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([t.__dict__ for t in self.tests])

    summary_frame = to_frame

    def summary(self) -> str:
        lines = [
            f"Per-patient ALSFRS-R slopes: {len(self.slopes)} patients, "
            f"{int(self.slopes['progressor'].sum())} progressors (pre slope < "
            f"−{self.progressor_decline:.3g} points/month)"
        ]
        lines += [t.summary() for t in self.tests]
        return "\n".join(lines)


def ls_slope(t, y) -> float:
    """Ordinary least-squares slope of y on t; NaN with fewer than 2 distinct times."""
    import numpy as np

    t = np.asarray(t, float)
    y = np.asarray(y, float)
    if len(t) < 2 or np.ptp(t) == 0:
        return math.nan
    tc = t - t.mean()
    return float(tc @ (y - y.mean()) / (tc @ tc))


def patient_slopes(
    visits: pd.DataFrame,
    windows: tuple[float, ...] = (3, 6, 9, 12),
    *,
    outcome: str = "alsfrs_r",
    tolerance: float = 0.5,
) -> pd.DataFrame:
    """One row per patient: `pre` and `post_0_<w>` slopes (points per month)."""
    import pandas as pd

    d = visits.dropna(subset=[outcome])
    rows = []
    for pid, g in d.groupby("patient_id", sort=False):
        t = g["month"].to_numpy(float)
        y = g[outcome].to_numpy(float)
        row = {"patient_id": pid, "pre": ls_slope(t[t <= 0], y[t <= 0])}
        for w in windows:
            m = (t >= 0) & (t <= w + tolerance)
            ok = m.any() and t[m].max() >= w - tolerance
            row[f"post_0_{w:g}"] = ls_slope(t[m], y[m]) if ok else math.nan
        rows.append(row)
    cols = ["patient_id", "pre", *(f"post_0_{w:g}" for w in windows)]
    return pd.DataFrame(rows, columns=cols)


def paired_test(pre, post, *, window: float, group: str) -> PairedSlopeTest:
    """Paired t-test and Wilcoxon signed-rank test (two-sided) of post vs pre slopes."""
    import numpy as np
    from scipy import stats

    pre = np.asarray(pre, float)
    post = np.asarray(post, float)
    keep = ~(np.isnan(pre) | np.isnan(post))
    pre, post = pre[keep], post[keep]
    n = len(pre)
    diff = post - pre
    nan = math.nan
    if n < 2:
        return PairedSlopeTest(
            window, group, n, nan, nan, nan, nan, nan, max(n - 1, 0), nan, nan, nan
        )
    sd = float(np.std(diff, ddof=1))
    sem = sd / math.sqrt(n)
    if sd > 0:
        tt = stats.ttest_rel(post, pre)
        t, p_t = float(tt.statistic), float(tt.pvalue)
    else:
        t, p_t = nan, nan
    nz = diff[diff != 0]
    if len(nz):
        ranks = stats.rankdata(np.abs(nz))
        V = float(ranks[nz > 0].sum())
        p_w = float(stats.wilcoxon(post, pre, zero_method="wilcox").pvalue)
    else:
        V, p_w = nan, nan
    return PairedSlopeTest(
        window=window,
        group=group,
        n=n,
        mean_pre=float(pre.mean()),
        mean_post=float(post.mean()),
        mean_difference=float(diff.mean()),
        sem_difference=sem,
        t=t,
        df=n - 1,
        p_t=p_t,
        wilcoxon_V=V,
        p_wilcoxon=p_w,
    )


def slope_analysis(
    visits: pd.DataFrame,
    windows: tuple[float, ...] = (3, 6, 9, 12),
    *,
    progressor_decline: float = 1 / 3,
    outcome: str = "alsfrs_r",
    tolerance: float = 0.5,
) -> SlopeAnalysis:
    """Slopes per patient and paired tests per window, for all and for progressors."""
    s = patient_slopes(visits, windows, outcome=outcome, tolerance=tolerance)
    # "more than" the threshold; the margin keeps a slope of exactly −1/3 (2 points in 6
    # months) out whatever the rounding of the least-squares arithmetic
    s["progressor"] = s["pre"] < -progressor_decline - 1e-9
    tests = []
    for group, sub in (("all", s), ("progressors", s[s["progressor"]])):
        for w in windows:
            tests.append(paired_test(sub["pre"], sub[f"post_0_{w:g}"], window=w, group=group))
    return SlopeAnalysis(s, tuple(tests), progressor_decline)
