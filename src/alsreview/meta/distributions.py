"""Tail probabilities and quantiles of the normal, t, chi-square and F distributions.

In: numbers or arrays.  Out: the same shape.

Two implementations of the same functions, chosen per call:

- scalars and short arrays (a single ``rma`` fit, ``alsreview meta``): the standard library -
  ``math.erfc``, ``statistics.NormalDist.inv_cdf`` (Wichura's AS 241) and the regularised
  incomplete gamma and beta functions by their series and continued fractions (Numerical
  Recipes, 3rd ed., 6.2 and 6.4), quantiles by safeguarded Newton steps - so a command-line
  run does not pay for importing scipy (0.3-0.8 s of CPU, more than the whole analysis);
- arrays longer than :data:`VECTOR_MIN` (``rma_batch``) or once scipy is loaded anyway:
  ``scipy.special``'s ufuncs (the cephes routines behind ``scipy.stats``).

Both agree to 1e-9 relative or better (``tests/meta/test_distributions.py`` checks a grid).
"""

from __future__ import annotations

import math
import sys
from collections.abc import Callable
from typing import Any, TypeVar

import numpy as np

#: float in, float out; array in, array out (like a numpy ufunc)
F = TypeVar("F", float, np.ndarray)
#: a degrees-of-freedom argument: a number or one per element of the first argument
Df = float | np.ndarray

VECTOR_MIN = 32
_EPS = 1e-16
_TINY = 1e-300


def _scipy() -> Any:
    from scipy import special

    return special


def _use_scipy(*args: Any) -> bool:
    if "scipy.special" in sys.modules:
        return True
    return any(np.size(a) > VECTOR_MIN for a in args)


def _each(f: Callable[..., float], *args: Any) -> Any:
    """Apply a scalar function elementwise, returning a float for scalar input."""
    if all(np.ndim(a) == 0 for a in args):
        return f(*(float(a) for a in args))
    arrays = np.broadcast_arrays(*(np.asarray(a, dtype=float) for a in args))
    out = np.empty(arrays[0].shape)
    for idx in np.ndindex(out.shape):
        out[idx] = f(*(float(a[idx]) for a in arrays))
    return out


# --------------------------------------------------------------------------- normal


def _norm_sf(x: float) -> float:
    return 0.5 * math.erfc(x / math.sqrt(2)) if not math.isnan(x) else math.nan


def _norm_ppf(q: float) -> float:
    if math.isnan(q) or q < 0 or q > 1:
        return math.nan
    if q == 0:
        return -math.inf
    if q == 1:
        return math.inf
    from statistics import NormalDist

    return NormalDist().inv_cdf(q)


# --------------------------------------------------------------------------- gamma, beta


def _gamma_p_q(a: float, x: float) -> tuple[float, float]:
    """Regularised incomplete gamma P(a, x) and Q(a, x) = 1 - P."""
    if x <= 0:
        return 0.0, 1.0
    if math.isinf(x):
        return 1.0, 0.0
    log_front = -x + a * math.log(x) - math.lgamma(a)
    if x < a + 1:  # series for P
        term = total = 1.0 / a
        n = a
        for _ in range(100_000):
            n += 1
            term *= x / n
            total += term
            if abs(term) < abs(total) * _EPS:
                break
        p = total * math.exp(log_front)
        return p, 1.0 - p
    b = x + 1 - a  # continued fraction for Q (modified Lentz)
    c = 1 / _TINY
    d = 1 / b
    h = d
    for i in range(1, 100_000):
        an = -i * (i - a)
        b += 2
        d = an * d + b
        d = _TINY if abs(d) < _TINY else d
        c = b + an / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    q = math.exp(log_front) * h
    return 1.0 - q, q


def _betacf(a: float, b: float, x: float) -> float:
    qab, qap, qam = a + b, a + 1, a - 1
    c = 1.0
    d = 1 - qab * x / qap
    d = _TINY if abs(d) < _TINY else d
    d = 1 / d
    h = d
    for m in range(1, 100_000):
        m2 = 2 * m
        aa = m * (b - m) * x / ((qam + m2) * (a + m2))
        d = 1 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        h *= d * c
        aa = -(a + m) * (qab + m) * x / ((a + m2) * (qap + m2))
        d = 1 + aa * d
        d = _TINY if abs(d) < _TINY else d
        c = 1 + aa / c
        c = _TINY if abs(c) < _TINY else c
        d = 1 / d
        delta = d * c
        h *= delta
        if abs(delta - 1) < _EPS:
            break
    return h


def _stirling_rest(x: float) -> float:
    """lgamma(x) - [(x - 1/2) log x - x + log(2 pi)/2] for x >= 10 (Stirling's series)."""
    x2 = x * x
    return (
        1 / (12 * x)
        - 1 / (360 * x * x2)
        + 1 / (1260 * x * x2**2)
        - 1 / (1680 * x * x2**3)
        + 1 / (1188 * x * x2**4)
    )


def _lbeta(a: float, b: float) -> float:
    """log B(a, b) without the cancellation of lgamma(a) + lgamma(b) - lgamma(a + b) when an
    argument is large: the Stirling parts that cancel are subtracted analytically."""
    p, q = min(a, b), max(a, b)
    if q < 10:
        return math.lgamma(p) + math.lgamma(q) - math.lgamma(p + q)
    rest = _stirling_rest(q) - _stirling_rest(p + q)
    if p >= 10:
        rest += _stirling_rest(p)
        return (
            -0.5 * math.log(q)
            + 0.5 * math.log(2 * math.pi)
            + rest
            + (p - 0.5) * math.log(p / (p + q))
            + q * math.log1p(-p / (p + q))
        )
    return math.lgamma(p) + rest + p - p * math.log(p + q) + (q - 0.5) * math.log1p(-p / (p + q))


def _beta_inc(a: float, b: float, x: float, y: float) -> tuple[float, float]:
    """Regularised incomplete beta I_x(a, b) and 1 - I_x(a, b), each computed directly;
    ``y`` = 1 - x as the caller can compute it without cancellation."""
    if x <= 0:
        return 0.0, 1.0
    if y <= 0:
        return 1.0, 0.0
    log_front = -_lbeta(a, b) + a * math.log(x) + b * math.log(y)
    if x < (a + 1) / (a + b + 2):
        lower = math.exp(log_front) * _betacf(a, b, x) / a
        return lower, 1.0 - lower
    upper = math.exp(log_front) * _betacf(b, a, y) / b
    return 1.0 - upper, upper


# --------------------------------------------------------------------------- t, chi2, F


def _t_sf(x: float, df: float) -> float:
    if math.isnan(x) or math.isnan(df) or df <= 0:
        return math.nan
    if math.isinf(x):
        return 0.0 if x > 0 else 1.0
    # P(T > |x|) = I_{df/(df+x^2)}(df/2, 1/2) / 2 = (1 - I_z(1/2, df/2)) / 2, z = x^2/(df+x^2):
    # the second form keeps its digits both near x = 0 and far in the tail
    x2 = x * x
    z, one_minus_z = (x2 / (df + x2), df / (df + x2)) if math.isfinite(x2) else (1.0, 0.0)
    tail = 0.5 * _beta_inc(0.5, df / 2, z, one_minus_z)[1]
    return tail if x >= 0 else 1.0 - tail


def _t_ppf(q: float, df: float) -> float:
    if math.isnan(q) or math.isnan(df) or df <= 0 or q < 0 or q > 1:
        return math.nan
    if q == 0.5:
        return 0.0
    if q in (0.0, 1.0):
        return math.inf if q == 1 else -math.inf
    p = 1 - q if q > 0.5 else q  # lower tail of the negative quantile = upper tail of |t|
    if df == 1:
        t = math.tan(math.pi * (0.5 - p))
    elif df == 2:
        t = (1 - 2 * p) / math.sqrt(2 * p * (1 - p))
    else:
        z = -_norm_ppf(p)  # Cornish-Fisher start, then Newton on log P(T > t)
        t = z + (z**3 + z) / (4 * df) + (5 * z**5 + 16 * z**3 + 3 * z) / (96 * df**2)
        const = math.lgamma((df + 1) / 2) - math.lgamma(df / 2) - 0.5 * math.log(df * math.pi)
        log_p = math.log(p)
        lo, hi = 0.0, math.inf
        for _ in range(200):
            sf = _t_sf(t, df)
            if sf > p:
                lo = t
            else:
                hi = t
            log_pdf = const - (df + 1) / 2 * math.log1p(t * t / df)
            step = (math.log(sf) - log_p) * sf / math.exp(log_pdf)  # g / g', g = log sf - log p
            new = t + step
            if not (lo < new < hi):
                new = (lo + hi) / 2 if math.isfinite(hi) else 2 * t + 1
            if abs(new - t) <= 1e-15 * abs(new):
                t = new
                break
            t = new
    return t if q > 0.5 else -t


def _chi2_sf(x: float, df: float) -> float:
    if math.isnan(x) or math.isnan(df) or df <= 0:
        return math.nan
    return _gamma_p_q(df / 2, x / 2)[1]


def _chi2_ppf(q: float, df: float) -> float:
    if math.isnan(q) or math.isnan(df) or df <= 0 or q < 0 or q > 1:
        return math.nan
    if q == 0:
        return 0.0
    if q == 1:
        return math.inf
    a = df / 2
    z = _norm_ppf(q)  # Wilson-Hilferty start, then Newton on the lower or upper log tail
    c = 2 / (9 * df)
    x = df * max(1 - c + z * math.sqrt(c), 0.05) ** 3
    upper = q > 0.5
    log_target = math.log(1 - q) if upper else math.log(q)
    lo, hi = 0.0, math.inf
    for _ in range(200):
        p, s = _gamma_p_q(a, x / 2)
        tail = s if upper else p
        if p < q:
            lo = x
        else:
            hi = x
        log_pdf = (a - 1) * math.log(x) - x / 2 - a * math.log(2) - math.lgamma(a)
        dlog = math.exp(log_pdf) / tail * (-1 if upper else 1)  # d log tail / dx
        new = x - (math.log(tail) - log_target) / dlog
        if not (lo < new < hi):
            new = (lo + hi) / 2 if math.isfinite(hi) else 2 * x
        if abs(new - x) <= 1e-15 * abs(new):
            x = new
            break
        x = new
    return x


def _f_sf(x: float, df1: float, df2: float) -> float:
    if math.isnan(x) or df1 <= 0 or df2 <= 0:
        return math.nan
    if x <= 0:
        return 1.0
    total = df2 + df1 * x
    return _beta_inc(df2 / 2, df1 / 2, df2 / total, df1 * x / total)[0]


# --------------------------------------------------------------------------- public


def norm_sf(x: F) -> F:
    """P(Z > x)."""
    if _use_scipy(x):
        return _scipy().ndtr(-np.asarray(x))
    return _each(_norm_sf, x)


def norm_ppf(q: F) -> F:
    """x with P(Z <= x) = q."""
    if _use_scipy(q):
        return _scipy().ndtri(q)
    return _each(_norm_ppf, q)


def t_sf(x: F, df: Df) -> F:
    """P(T_df > x)."""
    if _use_scipy(x, df):
        return _scipy().stdtr(df, -np.asarray(x))
    return _each(_t_sf, x, df)


def t_ppf(q: F, df: Df) -> F:
    """x with P(T_df <= x) = q."""
    if _use_scipy(q, df):
        return _scipy().stdtrit(df, q)
    return _each(_t_ppf, q, df)


def chi2_sf(x: F, df: Df) -> F:
    """P(X2_df > x)."""
    if _use_scipy(x, df):
        return _scipy().chdtrc(df, x)
    return _each(_chi2_sf, x, df)


def chi2_ppf(q: F, df: Df) -> F:
    """x with P(X2_df <= x) = q."""
    if _use_scipy(q, df):
        special = _scipy()
        if np.ndim(q) == 0:
            return special.chdtri(df, 1 - q) if q > 0.5 else 2 * special.gammaincinv(df / 2, q)
        qa = np.asarray(q, dtype=float)
        return np.where(
            qa > 0.5, special.chdtri(df, 1 - qa), 2 * special.gammaincinv(np.asarray(df) / 2, qa)
        )
    return _each(_chi2_ppf, q, df)


def f_sf(x: F, df1: Df, df2: Df) -> F:
    """P(F_df1,df2 > x)."""
    if _use_scipy(x, df1, df2):
        return _scipy().fdtrc(df1, df2, x)
    return _each(_f_sf, x, df1, df2)
