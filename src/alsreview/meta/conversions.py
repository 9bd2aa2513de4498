"""Conversions for the summary statistics papers really report.

In:  what a paper prints (median with quartiles and/or range; a standard error or a
     confidence interval; two subgroups; baseline and follow-up SDs) plus the sample size.
Out: means and SDs ready for `escalc`, as plain floats or a `MeanSD` dataclass.

- `mean_sd_from_quantiles`  median + {min, max} (S1), {q1, q3} (S2) or both (S3):
  mean by Luo et al. 2018 (Stat Methods Med Res 27:1785-1805), SD by Wan et al. 2014
  (BMC Med Res Methodol 14:135) or, for S3, Shi et al. 2020 (Res Synth Methods 11:641-654).
- `sd_from_se`, `sd_from_ci`  Cochrane Handbook 6.5.2.2 (t quantile for small groups).
- `combine_groups`           Cochrane Handbook 6.5.2.10, Table 6.5.a (two or more groups).
- `change_sd`, `correlation_from_sds`  Cochrane Handbook 6.5.2.8 (change-from-baseline SD
  from an assumed pre-post correlation, and the correlation implied by a reported one).
- `prepost_sensitivity`      a pre-post (MC/SMCR/SMCC) meta-analysis refitted for several
  assumed correlations, to show how much the pooled result leans on that assumption.
"""

from __future__ import annotations

import itertools
import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alsreview.errors import ValidationError
from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

# Wan et al. 2014, Table 1: xi(n) = E(range)/sigma of a normal sample of size n, n = 1..50
# (used instead of 2 Phi^-1((n - 0.375)/(n + 0.25)) for n <= 50).
WAN2014_TABLE1 = (
    0.000, 1.128, 1.693, 2.059, 2.326, 2.534, 2.704, 2.847, 2.970, 3.078,
    3.173, 3.259, 3.336, 3.407, 3.472, 3.532, 3.588, 3.640, 3.689, 3.735,
    3.778, 3.819, 3.858, 3.895, 3.931, 3.964, 3.997, 4.027, 4.057, 4.086,
    4.113, 4.139, 4.165, 4.189, 4.213, 4.236, 4.259, 4.280, 4.301, 4.322,
    4.341, 4.361, 4.379, 4.398, 4.415, 4.433, 4.450, 4.466, 4.482, 4.498,
)  # fmt: skip
# Wan et al. 2014, Table 2: eta(n) = E(q3 - q1)/sigma for n = 4Q + 1, Q = 1..50 (n <= 201).
WAN2014_TABLE2 = (
    0.990, 1.144, 1.206, 1.239, 1.260, 1.274, 1.284, 1.292, 1.298, 1.303,
    1.307, 1.311, 1.313, 1.316, 1.318, 1.320, 1.322, 1.323, 1.324, 1.326,
    1.327, 1.328, 1.329, 1.330, 1.330, 1.331, 1.332, 1.332, 1.333, 1.333,
    1.334, 1.334, 1.335, 1.335, 1.336, 1.336, 1.336, 1.337, 1.337, 1.337,
    1.338, 1.338, 1.338, 1.338, 1.339, 1.339, 1.339, 1.339, 1.339, 1.340,
)  # fmt: skip


def _phi_inv(p: float) -> float:
    from scipy.stats import norm

    return float(norm.ppf(p))


def xi_range(n: int, table: bool = True) -> float:
    """Divisor of the range: Wan's Table 1 for n <= 50, else 2 Phi^-1((n-0.375)/(n+0.25))."""
    if table and n <= 50:
        return WAN2014_TABLE1[n - 1]
    return 2 * _phi_inv((n - 0.375) / (n + 0.25))


def eta_iqr(n: int, table: bool = True) -> float:
    """Divisor of the IQR: Wan's Table 2 (Q = ceil((n-1)/4)) for n <= 201, else
    2 Phi^-1((0.75 n - 0.125)/(n + 0.25))."""
    if table and n <= 201:
        return WAN2014_TABLE2[math.ceil(0.25 * (n - 1)) - 1]
    return 2 * _phi_inv((0.75 * n - 0.125) / (n + 0.25))


@dataclass(frozen=True, repr=False)
class MeanSD(Result):
    """An estimated mean and SD with how they were obtained."""

    mean: float
    sd: float
    n: int
    scenario: str  # S1 {min, median, max}, S2 {q1, median, q3}, S3 (all five)
    mean_method: str
    sd_method: str

    @property
    def se(self) -> float:
        return self.sd / math.sqrt(self.n)

    def summary(self) -> str:
        return (
            f"mean {self.mean:.4g} (SD {self.sd:.4g}, n = {self.n}) from scenario "
            f"{self.scenario}: mean by {self.mean_method}, SD by {self.sd_method}"
        )


def _check_order(values: list[tuple[str, float | None]]) -> None:
    given = [(k, v) for k, v in values if v is not None]
    for (k1, v1), (k2, v2) in itertools.pairwise(given):
        if v1 > v2:
            raise ValidationError(f"{k1} ({v1}) is larger than {k2} ({v2})")


def mean_sd_from_quantiles(
    n: int,
    median: float,
    *,
    q1: float | None = None,
    q3: float | None = None,
    minimum: float | None = None,
    maximum: float | None = None,
    sd_method: str = "auto",
) -> MeanSD:
    """Mean and SD from the median with the quartiles and/or the range.

    Mean (Luo 2018): S1 w (a + b)/2 + (1 - w) m, w = 4/(4 + n^0.75);
    S2 w (q1 + q3)/2 + (1 - w) m, w = 0.7 + 0.39/n;
    S3 w1 (a + b)/2 + w2 (q1 + q3)/2 + (1 - w1 - w2) m, w1 = 2.2/(2.2 + n^0.75),
    w2 = 0.7 - 0.72/n^0.55.
    SD (Wan 2014): S1 (b - a)/xi(n); S2 (q3 - q1)/eta(n); S3 the average of the two;
    Shi 2020 for S3: w (b - a)/xi(n) + (1 - w)(q3 - q1)/eta(n), w = 1/(1 + 0.07 n^0.6) with
    xi, eta from the normal quantile formula. ``sd_method="auto"`` uses Shi for S3, Wan
    otherwise.
    """
    if n is None or int(n) != n or n < 2:
        raise ValidationError(f"sample size must be an integer of at least 2, got {n!r}")
    n = int(n)
    _check_order(
        [("minimum", minimum), ("q1", q1), ("median", median), ("q3", q3), ("maximum", maximum)]
    )
    has_range = minimum is not None and maximum is not None
    has_iqr = q1 is not None and q3 is not None
    if (minimum is None) != (maximum is None) or (q1 is None) != (q3 is None):
        raise ValidationError("give both ends of the range and/or both quartiles")
    if has_range and has_iqr:
        scenario = "S3"
    elif has_range:
        scenario = "S1"
    elif has_iqr:
        scenario = "S2"
    else:
        raise ValidationError("the median alone does not give a mean and SD")
    if sd_method == "auto":
        sd_method = "shi" if scenario == "S3" else "wan"
    if sd_method not in ("wan", "shi"):
        raise ValidationError("sd_method must be 'wan', 'shi' or 'auto'")
    if sd_method == "shi" and scenario != "S3":
        raise ValidationError("Shi et al. 2020 is for the five-number summary (S3)")
    if scenario == "S1":
        assert minimum is not None and maximum is not None  # has_range
        w = 4 / (4 + n**0.75)
        mean = w * (minimum + maximum) / 2 + (1 - w) * median
        sd = (maximum - minimum) / xi_range(n)
    elif scenario == "S2":
        assert q1 is not None and q3 is not None  # has_iqr
        w = 0.7 + 0.39 / n
        mean = w * (q1 + q3) / 2 + (1 - w) * median
        sd = (q3 - q1) / eta_iqr(n)
    else:
        assert minimum is not None and maximum is not None and q1 is not None and q3 is not None
        w1 = 2.2 / (2.2 + n**0.75)
        w2 = 0.7 - 0.72 / n**0.55
        mean = w1 * (minimum + maximum) / 2 + w2 * (q1 + q3) / 2 + (1 - w1 - w2) * median
        if sd_method == "wan":
            sd = 0.5 * ((maximum - minimum) / xi_range(n) + (q3 - q1) / eta_iqr(n))
        else:
            w = 1 / (1 + 0.07 * n**0.6)
            sd = w * (maximum - minimum) / xi_range(n, table=False) + (1 - w) * (q3 - q1) / eta_iqr(
                n, table=False
            )
    return MeanSD(
        mean=float(mean),
        sd=float(sd),
        n=n,
        scenario=scenario,
        mean_method="Luo et al. 2018",
        sd_method="Wan et al. 2014" if sd_method == "wan" else "Shi et al. 2020",
    )


def sd_from_se(se: float, n: int) -> float:
    """SD = SE sqrt(n) (Cochrane Handbook 6.5.2.2)."""
    if n < 1 or se < 0:
        raise ValidationError(f"need se >= 0 and n >= 1, got se={se}, n={n}")
    return float(se) * math.sqrt(n)


def sd_from_ci(
    lower: float, upper: float, n: int, *, level: float = 95, distribution: str = "auto"
) -> float:
    """SD of a group from the CI of its mean: sqrt(n) (upper - lower) / (2 q).

    q is the normal quantile (3.92/2 for 95%) or, for small groups, the t quantile on n - 1
    df; ``distribution="auto"`` uses t below n = 60 as the Cochrane Handbook (6.5.2.2)
    suggests.
    """
    from scipy.stats import norm, t

    if upper <= lower:
        raise ValidationError(f"upper limit {upper} is not above lower limit {lower}")
    if n < 2:
        raise ValidationError(f"need n >= 2, got {n}")
    if distribution == "auto":
        distribution = "t" if n < 60 else "normal"
    from alsreview.results import check_level

    alpha = 1 - check_level(level) / 100
    if distribution == "t":
        q = float(t.isf(alpha / 2, n - 1))
    elif distribution == "normal":
        q = float(norm.isf(alpha / 2))
    else:
        raise ValidationError("distribution must be 'auto', 't' or 'normal'")
    return math.sqrt(n) * (upper - lower) / (2 * q)


@dataclass(frozen=True, repr=False)
class Group(Result):
    """Sample size, mean and SD of one group."""

    n: int
    mean: float
    sd: float

    def summary(self) -> str:
        return f"n = {self.n}, mean {self.mean:.4g}, SD {self.sd:.4g}"


def combine_groups(*groups: Group | tuple[int, float, float]) -> Group:
    """Combine groups into one (Cochrane Handbook 6.5.2.10, Table 6.5.a), pairwise in turn:

    N = N1 + N2; M = (N1 M1 + N2 M2)/N;
    SD = sqrt(((N1-1) SD1^2 + (N2-1) SD2^2 + N1 N2/N (M1 - M2)^2) / (N - 1)).
    """
    gs = [g if isinstance(g, Group) else Group(*g) for g in groups]
    if len(gs) < 2:
        raise ValidationError("combining needs at least two groups")
    for i, g in enumerate(gs, 1):
        if g.n < 1 or g.sd < 0:
            raise ValidationError(f"group {i}: need n >= 1 and sd >= 0, got {g}")
    acc = gs[0]
    for g in gs[1:]:
        n = acc.n + g.n
        mean = (acc.n * acc.mean + g.n * g.mean) / n
        var = (
            (acc.n - 1) * acc.sd**2
            + (g.n - 1) * g.sd**2
            + acc.n * g.n / n * (acc.mean - g.mean) ** 2
        ) / (n - 1)
        acc = Group(n, mean, math.sqrt(var))
    return acc


def change_sd(sd_pre: ArrayLike, sd_post: ArrayLike, r: ArrayLike) -> float | np.ndarray:
    """SD of change scores: sqrt(SD_pre^2 + SD_post^2 - 2 r SD_pre SD_post)."""
    a, b, c = (np.asarray(x, float) for x in (sd_pre, sd_post, r))
    if np.any(np.abs(c) > 1):
        raise ValidationError("correlations must lie in [-1, 1]")
    out = np.sqrt(a**2 + b**2 - 2 * c * a * b)
    return float(out) if out.ndim == 0 else out


def correlation_from_sds(sd_pre: float, sd_post: float, sd_change: float) -> float:
    """Pre-post correlation implied by reported SDs: (SD_pre^2 + SD_post^2 - SD_ch^2) /
    (2 SD_pre SD_post) (Cochrane Handbook 6.5.2.8)."""
    r = (sd_pre**2 + sd_post**2 - sd_change**2) / (2 * sd_pre * sd_post)
    if abs(r) > 1:
        raise ValidationError(f"these SDs imply a correlation of {r:.3f}, outside [-1, 1]")
    return float(r)


@dataclass(frozen=True, repr=False)
class SensitivityRow(Result):
    """One assumed correlation and the pooled pre-post result under it."""

    ri: float
    measure: str
    method: str
    estimate: float
    se: float
    ci_lb: float
    ci_ub: float
    pval: float
    tau2: float
    I2: float
    k: int

    def summary(self) -> str:
        return (
            f"r = {self.ri:g}, {self.measure} ({self.method}, k = {self.k}): {self.estimate:.4f} "
            f"[{self.ci_lb:.4f}, {self.ci_ub:.4f}], tau2 = {self.tau2:.4f}, I2 = {self.I2:.1f}%"
        )


@dataclass(frozen=True, repr=False)
class PrePostSensitivity(Result):
    """A pre-post synthesis refitted for each assumed pre-post correlation."""

    rows: tuple[SensitivityRow, ...]

    def to_frame(self) -> pd.DataFrame:
        """One row per (measure, correlation, method)."""
        import pandas as pd

        return pd.DataFrame([r.to_dict() for r in self.rows])

    summary_frame = to_frame

    def summary(self) -> str:
        lines = ["  r   measure method  estimate  95% CI               tau2     I2"]
        for r in self.rows:
            lines.append(
                f"{r.ri:4.2f} {r.measure:>6} {r.method:>6} {r.estimate:9.4f}  "
                f"[{r.ci_lb:8.4f}, {r.ci_ub:8.4f}]  {r.tau2:7.4f} {r.I2:6.1f}"
            )
        return "\n".join(lines)


def prepost_sensitivity(
    m_pre: ArrayLike,
    sd_pre: ArrayLike,
    m_post: ArrayLike,
    sd_post: ArrayLike,
    ni: ArrayLike,
    *,
    correlations: tuple[float, ...] = (0.2, 0.5, 0.8),
    measures: tuple[str, ...] = ("MC", "SMCR"),
    methods: tuple[str, ...] = ("REML",),
) -> PrePostSensitivity:
    """Refit a single-group pre-post meta-analysis for each assumed correlation ri.

    Effect = after - before (escalc ``m1i`` = after, ``m2i`` = before); SMCR is
    standardised by the before-treatment SD (``sd1i`` = ``sd_pre``, Becker 1988), MC and
    SMCC use both SDs. Each (measure, ri, method) gives one `SensitivityRow`.
    """
    from alsreview.meta.effects import escalc
    from alsreview.meta.rma import rma

    rows = []
    for measure in measures:
        for r in correlations:
            cols = {"m1i": m_post, "m2i": m_pre, "sd1i": sd_pre, "sd2i": sd_post, "ni": ni}
            cols["ri"] = np.full(len(np.atleast_1d(m_pre)), r)
            es = escalc(measure, cols)
            for method in methods:
                fit = rma(es.yi, es.vi, method=method)
                rows.append(
                    SensitivityRow(
                        ri=float(r),
                        measure=measure,
                        method=method,
                        estimate=fit.estimate,
                        se=float(fit.se[0]),
                        ci_lb=float(fit.ci_lb[0]),
                        ci_ub=float(fit.ci_ub[0]),
                        pval=float(fit.pval[0]),
                        tau2=float(fit.tau2),
                        I2=float(fit.I2),
                        k=fit.k,
                    )
                )
    return PrePostSensitivity(tuple(rows))
