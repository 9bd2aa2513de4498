"""Conversions of reported summary statistics.

What is checked against what:
- Wan et al. 2014's printed Tables 1 and 2 (the divisors xi(n) of the range and eta(n) of
  the IQR for small samples) against the exact normal-theory expectations, computed here by
  numerical integration of the order-statistic densities: every printed value within 0.6
  units of its last digit (three entries, n = 12 in Table 1 and Q = 12, 24 in Table 2,
  are printed rounded up from ...45-...46, hence 0.6 rather than 0.5).
- Shi et al. 2020's printed shortcut form of their estimator (theta1 = (2 + 0.14 n^0.6)
  Phi^-1(...), theta2 = (2 + 2/(0.07 n^0.6)) Phi^-1(...)) against the weighted form used.
- Luo/Wan/Shi estimators on large simulated normal samples (they must recover the sample
  mean and SD), and the exact invariances (symmetric summaries give mean = median).
- Cochrane combining formula and change-score SD against the raw data they summarise.
- `prepost_sensitivity` against metafor's pre-post reference file (prepost_slopes.json).

- Printed worked numbers of the Cochrane Handbook: the cross-over example of 5.1 section
  16.4.6.4 (SDs 2.38 and 2.21, n = 10, imputed correlation 0.68 -> SE of the mean
  difference 0.583; an imputed SD of differences of 2 -> 0.632) and the CI divisors
  3.29 / 3.92 / 5.15 for 90 / 95 / 99% intervals.

Not done: the worked examples of Luo 2018, Wan 2014 and Shi 2020 could not be retrieved
with the tools available to this project (only the opening pages of the articles are
stored), so none of them is tested to its printed digits; their formulas are checked as
described above instead.
"""

from __future__ import annotations

import math

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.meta.conversions import (
    WAN2014_TABLE1,
    WAN2014_TABLE2,
    Group,
    change_sd,
    combine_groups,
    correlation_from_sds,
    mean_sd_from_quantiles,
    prepost_sensitivity,
    sd_from_ci,
    sd_from_se,
)

from .reference import check, load, reference_files

# Normal-theory expectations by the trapezoidal rule on a fine grid (error < 1e-8 here).
_X = np.linspace(-12.0, 12.0, 48001)


def _expected_order_statistic(n: int, r: int) -> float:
    """E[X_(r)] of n standard normals: integral of x f_(r)(x)."""
    from scipy.integrate import trapezoid
    from scipy.special import gammaln
    from scipy.stats import norm

    logc = gammaln(n + 1) - gammaln(r) - gammaln(n - r + 1)
    with np.errstate(divide="ignore"):
        logf = logc + (r - 1) * norm.logcdf(_X) + (n - r) * norm.logsf(_X) + norm.logpdf(_X)
    return float(trapezoid(_X * np.exp(logf), _X))


def _expected_range(n: int) -> float:
    """E[range] of n standard normals: integral of 1 - Phi^n - (1 - Phi)^n."""
    from scipy.integrate import trapezoid
    from scipy.stats import norm

    return float(trapezoid(1 - norm.cdf(_X) ** n - norm.sf(_X) ** n, _X))


def test_wan_table1_is_the_expected_normal_range():
    exact = np.array([_expected_range(n) for n in range(1, 51)])
    assert np.max(np.abs(np.array(WAN2014_TABLE1) - exact)) < 0.0006


def test_wan_table2_is_the_expected_normal_iqr():
    exact = np.array(
        [
            _expected_order_statistic(4 * q + 1, 3 * q + 1)
            - _expected_order_statistic(4 * q + 1, q + 1)
            for q in range(1, 51)
        ]
    )
    assert np.max(np.abs(np.array(WAN2014_TABLE2) - exact)) < 0.0006


@pytest.mark.parametrize("n", [5, 20, 51, 120, 400])
def test_shi_shortcut_formula_equals_weighted_form(n):
    from scipy.stats import norm

    a, q1, m, q3, b = 1.0, 3.2, 4.1, 5.6, 9.3
    theta1 = (2 + 0.14 * n**0.6) * norm.ppf((n - 0.375) / (n + 0.25))
    theta2 = (2 + 2 / (0.07 * n**0.6)) * norm.ppf((0.75 * n - 0.125) / (n + 0.25))
    res = mean_sd_from_quantiles(n, m, q1=q1, q3=q3, minimum=a, maximum=b)
    assert res.sd_method == "Shi et al. 2020"
    assert res.sd == pytest.approx((b - a) / theta1 + (q3 - q1) / theta2, rel=1e-12)


def test_symmetric_summaries_give_the_median_as_mean():
    for kwargs in (
        {"minimum": 2.0, "maximum": 8.0},
        {"q1": 4.0, "q3": 6.0},
        {"minimum": 1.0, "q1": 4.0, "q3": 6.0, "maximum": 9.0},
    ):
        assert mean_sd_from_quantiles(30, 5.0, **kwargs).mean == pytest.approx(5.0, rel=1e-14)


def test_estimators_recover_mean_and_sd_of_normal_samples():
    rng = np.random.default_rng(20240611)
    for n in (41, 401):
        x = rng.normal(10.0, 2.0, size=n)
        a, q1, m, q3, b = np.percentile(x, [0, 25, 50, 75, 100])
        sd = x.std(ddof=1)
        s1 = mean_sd_from_quantiles(n, m, minimum=a, maximum=b)
        s2 = mean_sd_from_quantiles(n, m, q1=q1, q3=q3)
        s3 = mean_sd_from_quantiles(n, m, q1=q1, q3=q3, minimum=a, maximum=b)
        s3w = mean_sd_from_quantiles(n, m, q1=q1, q3=q3, minimum=a, maximum=b, sd_method="wan")
        for est in (s1, s2, s3, s3w):
            assert est.mean == pytest.approx(x.mean(), abs=0.5)
            assert est.sd == pytest.approx(sd, rel=0.2)
        assert (s1.scenario, s2.scenario, s3.scenario) == ("S1", "S2", "S3")


def test_luo_weights_move_from_range_to_median_with_n():
    """Luo 2018: the weight of the mid-range, 4/(4 + n^0.75), falls as n grows."""
    small = mean_sd_from_quantiles(5, 2.0, minimum=0.0, maximum=10.0)
    large = mean_sd_from_quantiles(5000, 2.0, minimum=0.0, maximum=10.0)
    w_small = 4 / (4 + 5**0.75)
    assert small.mean == pytest.approx(w_small * 5 + (1 - w_small) * 2, rel=1e-14)
    assert abs(large.mean - 2.0) < abs(small.mean - 2.0)


def test_sd_from_se_and_ci():
    assert sd_from_se(0.5, 16) == pytest.approx(2.0)
    from scipy.stats import t

    # large group: normal quantile (width / 3.92 as in the Handbook, 3.92 = 2 x 1.96)
    assert sd_from_ci(1.0, 4.92, 100) == pytest.approx(10.0, rel=1e-4)
    # small group: t quantile on n - 1 df
    assert sd_from_ci(2.0, 6.0, 25) == pytest.approx(5 * 4 / (2 * t.isf(0.025, 24)), rel=1e-12)


def test_cochrane_handbook_crossover_example():
    """Handbook 5.1, 16.4.6.4: SD of the differences from an imputed correlation of 0.68."""
    sd_diff = change_sd(2.38, 2.21, 0.68)
    assert round(sd_diff / math.sqrt(10), 3) == 0.583
    assert round(2 / math.sqrt(10), 3) == 0.632  # the same via sd_from_se's inverse
    assert round(sd_from_se(0.632, 10), 2) == 2.0


@pytest.mark.parametrize(("level", "divisor"), [(90, 3.29), (95, 3.92), (99, 5.15)])
def test_ci_divisors_printed_in_the_handbook(level, divisor):
    n, width = 400, 2.0
    sd = sd_from_ci(0.0, width, n, level=level, distribution="normal")
    assert round(math.sqrt(n) * width / sd, 2) == divisor


def test_combine_groups_reproduces_pooled_raw_data():
    rng = np.random.default_rng(7)
    parts = [rng.normal(mu, s, size=k) for mu, s, k in ((1.0, 2.0, 12), (3.5, 1.0, 30), (0, 4, 9))]
    groups = [Group(len(p), p.mean(), p.std(ddof=1)) for p in parts]
    pooled = np.concatenate(parts)
    res = combine_groups(*groups)
    assert res.n == pooled.size
    assert res.mean == pytest.approx(pooled.mean(), rel=1e-12)
    assert res.sd == pytest.approx(pooled.std(ddof=1), rel=1e-12)


def test_change_sd_and_correlation_match_paired_data():
    rng = np.random.default_rng(11)
    pre = rng.normal(40, 6, size=50)
    post = 0.7 * pre + rng.normal(5, 4, size=50)
    r = np.corrcoef(pre, post)[0, 1]
    sd_pre, sd_post, sd_diff = pre.std(ddof=1), post.std(ddof=1), (post - pre).std(ddof=1)
    assert change_sd(sd_pre, sd_post, r) == pytest.approx(sd_diff, rel=1e-12)
    assert correlation_from_sds(sd_pre, sd_post, sd_diff) == pytest.approx(r, rel=1e-12)
    assert change_sd([1.0, 2.0], [1.0, 2.0], [0.5, 0.5]) == pytest.approx([1.0, 2.0])


def test_prepost_sensitivity_matches_metafor_prepost_file():
    if "prepost_slopes.json" not in reference_files():
        pytest.fail("prepost_slopes.json missing from the reference folder")
    ref = load("prepost_slopes.json")
    data = ref["data"]
    cols = {k: [row[k] for row in data] for k in data[0]}
    res = prepost_sensitivity(
        cols["m_pre"],
        cols["sd_pre"],
        cols["m_post"],
        cols["sd_post"],
        cols["ni"],
        correlations=(0.2, 0.5, 0.8),
        measures=("MC", "SMCR", "SMCC"),
        methods=("REML", "DL"),
    )
    compared = 0
    for row in res.rows:
        key = f"{row.measure}_r{row.ri:g}"
        if key not in ref["results"] or row.method not in ref["results"][key]:
            continue
        ours = {k: getattr(row, k) for k in ("estimate", "se", "tau2", "I2", "ci_lb", "ci_ub")}
        # REML tau2 by Fisher scoring (threshold 1e-5): iterative tolerance
        rtol = 1e-5 if row.method == "REML" else 1e-6
        compared += check("prepost_slopes.json", ("results", key, row.method), ours, rtol=rtol)
    assert compared >= 3 * 3 * 2 * 6
    assert "SMCR" in res.summary() and len(res.to_frame()) == 18


def test_bad_summaries_are_reported():
    with pytest.raises(ValidationError, match=r"q1 .* is larger than median"):
        mean_sd_from_quantiles(20, 3.0, q1=4.0, q3=6.0)
    with pytest.raises(ValidationError, match="both"):
        mean_sd_from_quantiles(20, 3.0, q1=2.0)
    with pytest.raises(ValidationError, match="median alone"):
        mean_sd_from_quantiles(20, 3.0)
    with pytest.raises(ValidationError, match="five-number"):
        mean_sd_from_quantiles(20, 3.0, q1=2.0, q3=4.0, sd_method="shi")
    with pytest.raises(ValidationError, match="outside"):
        correlation_from_sds(1.0, 1.0, 3.0)
    with pytest.raises(ValidationError, match="upper limit"):
        sd_from_ci(5.0, 4.0, 30)
