"""Tail probabilities and quantiles of the normal, t, chi-square and F distributions.

Thin wrappers over ``scipy.special``'s ufuncs (the cephes routines behind ``scipy.stats``),
which cost a microsecond where a ``scipy.stats`` frozen-distribution call costs a hundred;
a single ``rma`` fit with ``predict`` and ``confint`` makes a dozen such calls.
In: numbers or arrays.  Out: the same shape.
"""

from __future__ import annotations

from typing import Any

from scipy import special


def norm_sf(x: Any) -> Any:
    """P(Z > x)."""
    return special.ndtr(-x)


def norm_ppf(q: Any) -> Any:
    """x with P(Z <= x) = q."""
    return special.ndtri(q)


def t_sf(x: Any, df: Any) -> Any:
    """P(T_df > x)."""
    return special.stdtr(df, -x)


def t_ppf(q: Any, df: Any) -> Any:
    """x with P(T_df <= x) = q."""
    return special.stdtrit(df, q)


def chi2_sf(x: Any, df: Any) -> Any:
    """P(X2_df > x)."""
    return special.chdtrc(df, x)


def chi2_ppf(q: Any, df: Any) -> Any:
    """x with P(X2_df <= x) = q."""
    return special.chdtri(df, 1 - q) if q > 0.5 else 2 * special.gammaincinv(df / 2, q)


def f_sf(x: Any, df1: Any, df2: Any) -> Any:
    """P(F_df1,df2 > x)."""
    return special.fdtrc(df1, df2, x)
