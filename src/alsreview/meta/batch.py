"""Many intercept-only meta-analyses at once (simulation studies, sensitivity grids).

In: ``yi`` and ``vi`` as 2-D arrays of shape (n analyses, k studies).  Out: a
:class:`BatchResult` of 1-D arrays, one entry per analysis, with the numbers ``rma`` gives
for each row - the same formulas and the same Fisher-scoring iterations (threshold, step
halving, ``ll0check``) run on all rows together, each row stopping when it converges.
Rows where Fisher scoring does not converge are refitted one by one with ``rma``'s
bracketing fallback; PM, PMM and GENQ are fitted row by row with ``rma``.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from alsreview.errors import ValidationError
from alsreview.meta.distributions import chi2_sf, norm_ppf, norm_sf, t_ppf, t_sf
from alsreview.meta.rma import CONTROL_DEFAULTS, _bracket_score, _Design, _method_name, rma

VECTORISED = ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB")
FIELDS = (
    "estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "tau2", "se_tau2",
    "I2", "H2", "QE", "QEp",
)  # fmt: skip


@dataclass(frozen=True)
class BatchResult:
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

    def row(self, i: int) -> dict[str, Any]:
        """Analysis ``i`` under the reference files' key names."""
        out: dict[str, Any] = {f: float(getattr(self, f)[i]) for f in FIELDS}
        if self.method == "EE":
            out["se_tau2"] = None
        out.update(k=self.k, test=self.test, method=self.method)
        return out

    def to_frame(self) -> Any:
        import pandas as pd

        return pd.DataFrame({f: getattr(self, f) for f in (*FIELDS, "iterations", "fallback")})

    def summary(self) -> str:
        return (
            f"{self.n} meta-analyses of k = {self.k} ({self.method}, test={self.test}); "
            f"mean estimate {np.nanmean(self.estimate):.4f}, mean tau2 "
            f"{np.nanmean(self.tau2):.4f}, {int(self.fallback.sum())} by bracketing"
        )


def _traces(w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """tr(P), tr(PP) of P = W - ww'/sum(w), row-wise."""
    s = w.sum(axis=1)
    s2 = (w * w).sum(axis=1)
    s3 = (w * w * w).sum(axis=1)
    return s - s2 / s, s2 - 2 * s3 / s + (s2 / s) ** 2


def _Py(w: np.ndarray, y: np.ndarray) -> np.ndarray:
    mean = (w * y).sum(axis=1, keepdims=True) / w.sum(axis=1, keepdims=True)
    return w * (y - mean)


def _pv_terms(w: np.ndarray, v: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """tr(PV), tr(PVPV), tr(PVP) for P = W - ww'/sum(w) (W = I for HE), row-wise."""
    s = w.sum(axis=1, keepdims=True)
    P = -(w[:, :, None] * w[:, None, :]) / s[:, :, None]
    idx = np.arange(w.shape[1])
    P[:, idx, idx] += w
    PV = P * v[:, None, :]
    tr_pv = np.einsum("nii->n", PV)
    tr_pvpv = np.einsum("nij,nji->n", PV, PV)
    tr_pvp = np.einsum("nij,nij->n", PV, P)
    return tr_pv, tr_pvpv, tr_pvp


def rma_batch(
    yi: Any,
    vi: Any,
    method: str = "REML",
    test: str = "z",
    *,
    level: float = 95,
    control: Mapping[str, Any] | None = None,
) -> BatchResult:
    """Fit ``rma(yi[i], vi[i], method, test)`` for every row i, vectorised across rows."""
    method = _method_name(method)
    if test not in ("z", "knha"):
        raise ValidationError(f"unknown test {test!r}; use 'z' or 'knha'")
    Y = np.atleast_2d(np.asarray(yi, dtype=float))
    V = np.atleast_2d(np.asarray(vi, dtype=float))
    if Y.shape != V.shape:
        raise ValidationError(f"yi has shape {Y.shape} but vi has shape {V.shape}")
    n, k = Y.shape
    if k < 2:
        raise ValidationError("each analysis needs at least two studies")
    if not (np.all(np.isfinite(Y)) and np.all(np.isfinite(V))):
        raise ValidationError("yi and vi must be finite")
    if np.any(V <= 0):
        raise ValidationError("rma_batch needs positive sampling variances")
    con = dict(CONTROL_DEFAULTS)
    con["tau2_max"] = None  # as rma: max(100, 10 mad(yi)^2) unless given
    con.update({key.replace(".", "_"): value for key, value in (control or {}).items()})

    if method not in VECTORISED:
        fits = [
            rma(Y[i], V[i], method=method, test=test, level=level, control=control)
            for i in range(n)
        ]
        cols = {f: np.array([fit.to_dict()[f] for fit in fits], dtype=float) for f in FIELDS}
        return BatchResult(
            **cols,
            iterations=np.array([f.iterations for f in fits]),
            fallback=np.array([f.fallback is not None for f in fits]),
            k=k,
            method=method,
            test=test,
        )

    p = 1
    ymc = Y - Y.mean(axis=1, keepdims=True)
    iterations = np.zeros(n, dtype=int)
    fallback = np.zeros(n, dtype=bool)
    tau2_min = con["tau2_min"]
    tau2_0 = None
    if method == "EE":
        tau2 = np.zeros(n)
    elif method in ("DL", "HS", "HSk"):
        w = 1 / V
        RSS = (ymc * _Py(w, ymc)).sum(axis=1)
        trP, trPP = _traces(w)
        sw = w.sum(axis=1)
        if method == "DL":
            tau2 = (RSS - (k - p)) / trP
        elif method == "HS":
            tau2 = (RSS - k) / sw
        else:
            tau2 = (k / (k - p) * RSS - k) / sw
    elif method in ("HE", "ML", "REML", "EB"):
        RSS = (ymc**2).sum(axis=1) - k * ymc.mean(axis=1) ** 2
        trPV = V.sum(axis=1) * (1 - 1 / k)
        tau2 = (RSS - trPV) / (k - p)
    else:  # SJ
        tau2_0 = ymc.var(axis=1)
        w = 1 / (V + tau2_0[:, None])
        RSS = (ymc * _Py(w, ymc)).sum(axis=1)
        tau2 = tau2_0 * RSS / (k - p)

    if method in ("ML", "REML", "EB"):
        tau2 = np.maximum(np.maximum(tau2, 0.0), tau2_min)
        if con["tau2_init"] is not None:
            tau2 = np.full(n, float(con["tau2_init"]))
        active = np.ones(n, dtype=bool)
        threshold, maxiter = con["threshold"], con["maxiter"]
        it = 0
        while active.any():
            it += 1
            rows = np.flatnonzero(active)
            t = tau2[rows]
            v, y = V[rows], ymc[rows]
            w = 1 / (v + t[:, None])
            Py = _Py(w, y)
            if method == "ML":
                adj = ((Py * Py).sum(axis=1) - w.sum(axis=1)) / (w * w).sum(axis=1)
            elif method == "REML":
                trP, trPP = _traces(w)
                adj = ((Py * Py).sum(axis=1) - trP) / trPP
            else:
                adj = ((y * Py).sum(axis=1) * k / (k - p) - k) / w.sum(axis=1)
            adj = np.nan_to_num(adj * con["stepadj"], nan=0.0)
            low = t + adj < tau2_min
            while low.any():
                adj[low] /= 2
                low = t + adj < tau2_min
            new = t + adj
            tau2[rows] = new
            iterations[rows] = it
            done = np.abs(new - t) <= threshold
            active[rows[done]] = False
            if it > maxiter:
                stuck = rows[~done]
                design = _Design(np.ones((k, 1)))
                for i in stuck:  # rma's fallback: bracket the root of the score
                    tau2[i] = _bracket_score(ymc[i], V[i], design, method, con)
                fallback[stuck] = True
                active[stuck] = False
        if method in ("ML", "REML") and con["ll0check"]:
            check = tau2 > threshold
            if check.any():
                ll0 = _loglik(ymc, V, np.zeros(n), method)
                ll = _loglik(ymc, V, tau2, method)
                tau2[check & (ll0 - ll > con["tol"])] = 0.0
    tau2 = np.maximum(tau2_min, tau2)

    t = np.maximum(tau2, 0.0)
    if method == "EE":
        se_tau2 = np.full(n, np.nan)
    elif method in ("DL", "HS", "HSk"):
        base = np.sqrt(
            (2 * (k - p) + 4 * t * trP + 2 * t**2 * trPP) / (trP**2 if method == "DL" else sw**2)
        )
        se_tau2 = k / (k - p) * base if method == "HSk" else base
    elif method == "HE":
        tr_pv = V.sum(axis=1) * (1 - 1 / k)
        tr_pvpv = (1 - 2 / k) * (V**2).sum(axis=1) + V.sum(axis=1) ** 2 / k**2
        se_tau2 = np.sqrt((2 * tr_pvpv + 4 * t * tr_pv + 2 * t**2 * (k - p)) / (k - p) ** 2)
    elif method == "SJ":
        w0 = 1 / (V + tau2_0[:, None])
        _, tr_pvpv, tr_pvp = _pv_terms(w0, V)
        trPP0 = _traces(w0)[1]
        se_tau2 = np.sqrt(
            tau2_0**2 / (k - p) ** 2 * (2 * tr_pvpv + 4 * t * tr_pvp + 2 * t**2 * trPP0)
        )
    elif method == "ML":
        w = 1 / (V + tau2[:, None])
        se_tau2 = np.sqrt(2 / (w * w).sum(axis=1))
    elif method == "REML":
        se_tau2 = np.sqrt(2 / _traces(1 / (V + tau2[:, None]))[1])
    else:  # EB
        w = 1 / (V + tau2[:, None])
        se_tau2 = np.sqrt(2 * k**2 / (k - p) / w.sum(axis=1) ** 2)

    w = 1 / (V + tau2[:, None])
    sw = w.sum(axis=1)
    est = (w * Y).sum(axis=1) / sw
    var_b = 1 / sw
    alpha = 1 - level / 100
    if test == "knha":
        rss = (w * (Y - est[:, None]) ** 2).sum(axis=1)
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
    QE = np.maximum(0.0, (ymc * _Py(w_fe, ymc)).sum(axis=1))
    QEp = chi2_sf(QE, k - p)
    vt = (k - p) / _traces(w_fe)[0]
    if method == "EE":
        I2 = np.maximum(0.0, 100 * (QE - (k - p)) / QE)
        H2 = QE / (k - p)
    else:
        I2 = 100 * tau2 / (vt + tau2)
        H2 = tau2 / vt + 1
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
        iterations=iterations,
        fallback=fallback,
        k=k,
        method=method,
        test=test,
    )


def _loglik(ymc: np.ndarray, V: np.ndarray, tau2: np.ndarray, method: str) -> np.ndarray:
    k = ymc.shape[1]
    M = V + tau2[:, None]
    w = 1 / M
    sw = w.sum(axis=1)
    b = (w * ymc).sum(axis=1) / sw
    rss = (w * (ymc - b[:, None]) ** 2).sum(axis=1)
    if method == "ML":
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * np.log(M).sum(axis=1) - 0.5 * rss
    return (
        -0.5 * (k - 1) * math.log(2 * math.pi)
        - 0.5 * np.log(M).sum(axis=1)
        - 0.5 * np.log(sw)
        - 0.5 * rss
    )
