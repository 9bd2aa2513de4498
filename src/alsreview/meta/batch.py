"""Many intercept-only meta-analyses at once (simulation studies, sensitivity grids).

In: ``yi`` and ``vi`` as 2-D arrays of shape (n analyses, k studies).  Out: a
:class:`BatchResult` of 1-D arrays, one entry per analysis, with the numbers ``rma`` gives
for each row - the same formulas and the same Fisher-scoring iterations (threshold, step
halving, ``ll0check``) run on all rows together, each row stopping when it converges.
Rows where Fisher scoring does not converge are refitted one by one with ``rma``'s
bracketing fallback.  The tau^2 estimators are the ones ``rma`` uses
(:mod:`alsreview.meta.estimators`, vectorised over rows); PM and PMM solve their equation
row by row.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alsreview.errors import ValidationError
from alsreview.meta.design import Design
from alsreview.meta.distributions import chi2_sf, norm_ppf, norm_sf, t_ppf, t_sf
from alsreview.meta.estimators import control_settings, estimate_tau2, method_name
from alsreview.results import Result, check_level
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    from alsreview.meta.estimators import Control

FIELDS = (
    "estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "tau2", "se_tau2",
    "I2", "H2", "QE", "QEp",
)  # fmt: skip


@dataclass(frozen=True, repr=False)
class BatchResult(Result):
    """One value per analysis for each of :data:`FIELDS`, plus iteration bookkeeping."""

    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    tau2: np.ndarray
    se_tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray
    QE: np.ndarray
    QEp: np.ndarray
    iterations: np.ndarray
    fallback: np.ndarray  # True where tau2 came from the bracketing fallback
    k: int
    method: str
    test: str

    @property
    def n(self) -> int:
        return self.estimate.size

    def row(self, i: int) -> JSONDict:
        """Analysis ``i`` under the reference files' key names."""
        out: JSONDict = {f: float(getattr(self, f)[i]) for f in FIELDS}
        if self.method == "EE":
            out["se_tau2"] = None
        out.update(k=self.k, test=self.test, method=self.method)
        return out

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({f: getattr(self, f) for f in (*FIELDS, "iterations", "fallback")})

    summary_frame = to_frame

    def summary(self) -> str:
        return (
            f"{self.n} meta-analyses of k = {self.k} ({self.method}, test={self.test}); "
            f"mean estimate {np.nanmean(self.estimate):.4f}, mean tau2 "
            f"{np.nanmean(self.tau2):.4f}, {int(self.fallback.sum())} by bracketing"
        )


def rma_batch(
    yi: ArrayLike,
    vi: ArrayLike,
    method: str = "REML",
    test: str = "z",
    *,
    level: float = 95,
    control: Control | None = None,
) -> BatchResult:
    """Fit ``rma(yi[i], vi[i], method, test)`` for every row i, vectorised across rows."""
    method = method_name(method)
    if test not in ("z", "knha"):
        raise ValidationError(f"unknown test {test!r}; use 'z' or 'knha'")
    level = check_level(level)
    Y = np.atleast_2d(np.asarray(yi, dtype=float))
    V = np.atleast_2d(np.asarray(vi, dtype=float))
    if Y.shape != V.shape:
        raise ValidationError(f"yi has shape {Y.shape} but vi has shape {V.shape}")
    k = Y.shape[1]
    if k < 2:
        raise ValidationError("each analysis needs at least two studies")
    bad = np.flatnonzero(~(np.isfinite(Y) & np.isfinite(V)).all(axis=1))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:10])
        raise ValidationError(f"yi and vi must be finite (not in analysis {rows})")
    bad = np.flatnonzero((V <= 0).any(axis=1))
    if bad.size:
        rows = ", ".join(str(i + 1) for i in bad[:10])
        raise ValidationError(f"rma_batch needs positive sampling variances (analysis {rows})")
    con = control_settings(control)
    d = Design.intercept(k)
    p = 1
    A = 1 / V if method == "GENQ" else None
    fit = estimate_tau2(Y, V, d, method, A, con)
    tau2 = fit.tau2
    se_tau2 = fit.se_tau2

    w = 1 / (V + tau2[:, None])
    sw = w.sum(axis=1)
    if A is None:
        est = (w * Y).sum(axis=1) / sw
        var_b = 1 / sw
    else:  # GENQ: weights 1/vi, sandwich variance with the marginal variances vi + tau2
        sa = A.sum(axis=1)
        est = (A * Y).sum(axis=1) / sa
        var_b = (A * A * (V + tau2[:, None])).sum(axis=1) / sa**2
    alpha = 1 - level / 100
    if test == "knha":
        est_w = (w * Y).sum(axis=1) / sw
        rss = (w * (Y - est_w[:, None]) ** 2).sum(axis=1)
        s2w = np.where(rss <= np.finfo(float).eps, 0.0, rss / (k - p))
        var_b = s2w * var_b
    se = np.sqrt(var_b)
    zval = est / se
    if test == "knha":
        pval = 2 * t_sf(np.abs(zval), k - p)
        crit = t_ppf(1 - alpha / 2, k - p)
    else:
        pval = 2 * norm_sf(np.abs(zval))
        crit = norm_ppf(1 - alpha / 2)

    w_fe = 1 / V
    ymc = Y - Y.mean(axis=1, keepdims=True)
    QE = np.maximum(0.0, d.Q(w_fe, ymc))
    QEp = chi2_sf(QE, k - p)
    vt = (k - p) / d.tr_PD(w_fe)
    with np.errstate(invalid="ignore", divide="ignore"):
        if method == "EE":
            I2 = np.where(QE > 0, np.maximum(0.0, 100 * (QE - (k - p)) / QE), 0.0)
            H2 = QE / (k - p)
        else:
            I2 = np.where(tau2 == 0, 0.0, 100 * tau2 / (vt + tau2))
            H2 = np.where(tau2 == 0, 1.0, tau2 / vt + 1)
    return BatchResult(
        estimate=est,
        se=se,
        zval=zval,
        pval=pval,
        ci_lb=est - crit * se,
        ci_ub=est + crit * se,
        tau2=tau2,
        se_tau2=se_tau2,
        I2=I2,
        H2=H2,
        QE=QE,
        QEp=QEp,
        iterations=fit.iterations,
        fallback=fit.fallback,
        k=k,
        method=method,
        test=test,
    )
