"""The standard-library distribution functions (used for scalars, so that `alsreview meta`
does not import scipy) against 40-digit values from mpmath, on a grid that covers the degrees
of freedom and tails a meta-analysis meets (k - p from 1 to 10,000; p-values down to 1e-300;
the quantiles of 50% to 99.99% intervals).  Quantiles are checked against scipy.special
(cephes), whose quantiles are accurate to ~1e-13 here.  (cephes' tail probabilities are not
used as the reference: stdtr(1, 1e-8) and fdtrc(1, 10000, 1e-8) are off by 3e-9.)"""

from __future__ import annotations

import itertools

import mpmath as mp
import numpy as np
import pytest
from scipy import special

from alsreview.meta import distributions as d

mp.mp.dps = 40
DFS = [1, 2, 3, 4, 5, 7, 10, 12.5, 19, 30, 99, 500, 10_000]
XS = [0.0, 1e-8, 0.01, 0.3, 0.9, 1.0, 1.7, 2.5, 4.0, 7.5, 12.0, 30.0, 80.0, 300.0, 2000.0]
QS = [1e-6, 1e-4, 0.0005, 0.005, 0.025, 0.05, 0.1, 0.3, 0.5, 0.7, 0.9, 0.95, 0.975, 0.995, 0.9999]


def _close(got: float, want: float, rtol: float = 5e-11) -> None:
    # 5e-11: lgamma of large arguments (df = 10,000) carries ~1e-12 absolute error into the
    # incomplete beta's prefactor; the metafor parity tests need 1e-6
    if abs(want) < 1e-300:
        assert got == pytest.approx(want, abs=1e-300)
    else:
        assert got == pytest.approx(want, rel=rtol)


def _t_sf(x: float, df: float) -> float:
    half = (
        mp.betainc(mp.mpf(df) / 2, 0.5, 0, mp.mpf(df) / (df + mp.mpf(x) ** 2), regularized=True) / 2
    )
    return float(half if x >= 0 else 1 - half)


def test_normal() -> None:
    for x in [-40.0, -8.0, -1.96, 0.0, 0.5, 1.96, 5.0, 9.0, 37.0]:
        _close(d._norm_sf(x), float(mp.ncdf(-x)))
    for q in QS:
        _close(d._norm_ppf(q), float(special.ndtri(q)), 1e-12)


@pytest.mark.parametrize("df", DFS)
def test_chi_square(df: float) -> None:
    for x in XS:
        want = mp.gammainc(mp.mpf(df) / 2, mp.mpf(x) / 2, mp.inf, regularized=True)
        _close(d._chi2_sf(x, df), float(want))
    for q in QS:
        want = special.chdtri(df, 1 - q) if q > 0.5 else 2 * special.gammaincinv(df / 2, q)
        _close(d._chi2_ppf(q, df), float(want), 1e-10)


@pytest.mark.parametrize("df", DFS)
def test_t_and_f(df: float) -> None:
    for x in [-x for x in XS] + XS:
        _close(d._t_sf(x, df), _t_sf(x, df))
    for q in QS:
        _close(d._t_ppf(q, df), float(special.stdtrit(df, q)), 1e-10)
    for df1, x in itertools.product([1, 2, 3, 7], XS):
        want = mp.betainc(
            mp.mpf(df) / 2,
            mp.mpf(df1) / 2,
            0,
            mp.mpf(df) / (df + df1 * mp.mpf(x)),
            regularized=True,
        )
        _close(d._f_sf(x, df1, df), float(want))


def test_public_functions_pick_either_path_with_the_same_answer() -> None:
    x = np.linspace(0.1, 5, 100)  # long: scipy path
    np.testing.assert_allclose(d.chi2_sf(x, 4), [d._chi2_sf(v, 4) for v in x], rtol=1e-11)
    assert isinstance(d.t_ppf(0.975, 12), float)
