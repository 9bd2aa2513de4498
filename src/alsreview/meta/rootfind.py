"""One-dimensional root finding exactly as R's ``uniroot`` does it.

metafor's Paule-Mandel estimators and Q-profile confidence intervals call ``uniroot`` with a
loose tolerance (``.Machine$double.eps^0.25``), so their published values are uniroot's
*iterates*, not the exact roots (the difference reaches 1e-4 relative).  To reproduce
metafor to 1e-6 we run the same algorithm: Brent's (1973) ``zeroin`` - inverse quadratic
interpolation, secant steps and bisection safeguards - with R's stopping rule
``|c - b| / 2 <= 2 eps |b| + tol / 2``.

In: a scalar function, a bracketing interval and its end values.  Out: :class:`Root`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

EPSILON = 2.220446049250313e-16
R_TOL = EPSILON**0.25  # uniroot's default tol, .Machine$double.eps^0.25


@dataclass(frozen=True)
class Root:
    root: float
    f_root: float
    iterations: int
    converged: bool


def uniroot(
    f: Callable[[float], float],
    lower: float,
    upper: float,
    *,
    f_lower: float | None = None,
    f_upper: float | None = None,
    tol: float = R_TOL,
    maxiter: int = 1000,
) -> Root:
    """Root of ``f`` in ``[lower, upper]`` by Brent's zeroin, step for step as R's uniroot.

    Raises ``ValueError`` when the end values do not have opposite signs.
    """
    a, b = float(lower), float(upper)
    fa = f(a) if f_lower is None else float(f_lower)
    fb = f(b) if f_upper is None else float(f_upper)
    if fa * fb > 0:
        raise ValueError("f() values at end points not of opposite sign")
    if fa == 0.0:
        return Root(a, fa, 0, True)
    if fb == 0.0:
        return Root(b, fb, 0, True)
    c, fc = a, fa
    for it in range(1, maxiter + 2):
        prev_step = b - a
        if abs(fc) < abs(fb):  # keep b the best approximation
            a, b, c = b, c, b
            fa, fb, fc = fb, fc, fb
        tol_act = 2 * EPSILON * abs(b) + tol / 2
        new_step = (c - b) / 2
        if abs(new_step) <= tol_act or fb == 0.0:
            return Root(b, fb, it - 1, True)
        if abs(prev_step) >= tol_act and abs(fa) > abs(fb):
            cb = c - b
            if a == c:  # two distinct points: secant step
                t1 = fb / fa
                p = cb * t1
                q = 1.0 - t1
            else:  # inverse quadratic interpolation
                q = fa / fc
                t1 = fb / fc
                t2 = fb / fa
                p = t2 * (cb * q * (q - t1) - (b - a) * (t1 - 1.0))
                q = (q - 1.0) * (t1 - 1.0) * (t2 - 1.0)
            if p > 0:
                q = -q
            else:
                p = -p
            if p < (0.75 * cb * q - abs(tol_act * q) / 2) and p < abs(prev_step * q / 2):
                new_step = p / q
        if abs(new_step) < tol_act:
            new_step = tol_act if new_step > 0 else -tol_act
        a, fa = b, fb
        b += new_step
        fb = f(b)
        if (fb > 0 and fc > 0) or (fb < 0 and fc < 0):
            c, fc = a, fa
    return Root(b, fb, maxiter, False)
