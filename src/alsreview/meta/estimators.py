"""Between-study variance (tau^2) estimators, each written once for many data sets at a time.

In: effect sizes ``Y`` and sampling variances ``V`` of shape (n, k) - n data sets of k studies
sharing one model matrix (:class:`~alsreview.meta.design.Design`; PyMARE's layout with data
sets as rows) - the method name and metafor's control settings.  Out: :class:`Tau2` with one
tau^2, its standard error, the iteration count and a fallback flag per data set.
``rma`` calls this with n = 1, ``rma_batch`` with n analyses.

Estimators (metafor 3.8's formulas; P = W - WX(X'WX)^-1X'W, traces from ``Design``):

    DL    (Q - (k - p)) / tr(P), W = 1/vi                     DerSimonian & Laird 1986
    HS    (Q - k) / sum(wi); HSk rescales Q by k / (k - p)    Hunter & Schmidt 2004
    HE    (RSS - tr(PV)) / (k - p), W = I                     Hedges 1983
    GENQ  (y'Py - tr(PV)) / tr(P), W = user weights           DerSimonian & Kacker 2007
    SJ    tau0^2 y'Py / (k - p), W = 1/(vi + tau0^2)          Sidik & Jonkman 2005
    ML, REML, EB   Fisher scoring from the HE value, step halving at tau2_min, metafor's
                   threshold and maxiter; rows that do not converge are solved by bracketing
                   the root of the likelihood score (brentq)
    PM, PMM        the root of Q(tau^2) = k - p (or the chi^2 median) by R's uniroot

The iterative methods replicate metafor's algorithms step for step, so results agree with
metafor far beyond its own convergence tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, TypedDict, cast

import numpy as np

from alsreview.errors import ConvergenceError, ValidationError
from alsreview.meta.design import Design
from alsreview.meta.distributions import chi2_ppf
from alsreview.meta.rootfind import R_TOL, uniroot

METHODS = ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "GENQ")
#: metafor's ``control=`` list as given: settings by name (``tau2.max`` or ``tau2_max``)
Control = Mapping[str, float | bool | None]


class ControlSettings(TypedDict):
    """Every control setting, with the defaults filled in (`control_settings`)."""

    tau2_init: float | None
    tau2_min: float
    tau2_max: float | None  # None: max(100, 10 mad(yi)^2)
    threshold: float
    tol: float
    ll0check: bool
    maxiter: int
    stepadj: float


CONTROL_DEFAULTS: ControlSettings = {
    "tau2_init": None,
    "tau2_min": 0.0,
    "tau2_max": 100.0,
    "threshold": 1e-5,
    "tol": R_TOL,
    "ll0check": True,
    "maxiter": 100,
    "stepadj": 1.0,
}


def method_name(method: str) -> str:
    """Canonical spelling of a method name (FE and CE are aliases of EE)."""
    m = method.strip()
    if m.upper() in ("FE", "EE", "CE"):
        return "EE"
    for name in METHODS:
        if m.upper() == name.upper():
            return name
    raise ValidationError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


def control_settings(control: Control | None = None) -> ControlSettings:
    """metafor's control list with defaults; ``tau2_max`` None means max(100, 10 mad(yi)^2)."""
    con: dict[str, Any] = dict(CONTROL_DEFAULTS)
    for key, value in (control or {}).items():
        key = key.replace(".", "_")
        if key not in con:
            raise ValidationError(f"unknown control setting {key!r}")
        con[key] = value
    if not control or not any(k.replace(".", "_") == "tau2_max" for k in control):
        con["tau2_max"] = None
    return cast(ControlSettings, con)  # the keys are checked above


@dataclass(frozen=True)
class Tau2:
    """One entry per data set."""

    tau2: np.ndarray
    se_tau2: np.ndarray  # NaN for EE
    iterations: np.ndarray
    converged: np.ndarray
    fallback: np.ndarray  # True where the root was bracketed (Fisher scoring failed / PM)


def _mad(y: np.ndarray) -> float:
    med = np.median(y)
    return float(1.4826 * np.median(np.abs(y - med)))


def tau2_max(y: np.ndarray, con: ControlSettings) -> float:
    """metafor's upper end of the tau^2 search interval: max(100, 10 mad(yi)^2)."""
    if con["tau2_max"] is None:
        return max(100.0, 10 * _mad(y) ** 2)
    return float(con["tau2_max"])


def estimate_tau2(
    Y: np.ndarray,
    V: np.ndarray,
    d: Design,
    method: str,
    weights: np.ndarray | None = None,
    control: ControlSettings | None = None,
) -> Tau2:
    """tau^2 by ``method`` for every row of ``Y``/``V`` (shape (n, k)); see the module doc."""
    con = control if control is not None else control_settings()
    n, k = Y.shape
    p = d.p
    ymc = Y - Y.mean(axis=1, keepdims=True)
    tau2_min = con["tau2_min"]
    iterations = np.zeros(n, dtype=int)
    converged = np.ones(n, dtype=bool)
    fallback = np.zeros(n, dtype=bool)
    if method == "EE" or k == 1:
        z = np.zeros(n)
        return Tau2(z, np.full(n, np.nan), iterations, converged, fallback)
    parts: dict[str, Any] = {}  # by-products the standard errors reuse
    with np.errstate(divide="ignore", invalid="ignore", over="ignore"):
        if method in ("HS", "HSk", "DL"):
            w = 1 / V
            RSS = d.Q(w, ymc)
            sw = w.sum(axis=1)
            trP, trPP = d.traces(w)
            parts.update(sw=sw, trP=trP, trPP=trPP)
            if method == "HS":
                tau2 = (RSS - k) / sw
            elif method == "HSk":
                tau2 = (k / (k - p) * RSS - k) / sw
            else:
                tau2 = (RSS - (k - p)) / trP
        elif method in ("HE", "ML", "REML", "EB"):
            ones = np.ones_like(V)
            tau2 = (d.Q(ones, ymc) - d.tr_PD(ones, V)) / (k - p)
        elif method == "GENQ":
            A = 1 / V if weights is None else weights
            trP = d.tr_PD(A)
            tau2 = (d.Q(A, ymc) - d.tr_PD(A, V)) / trP
            parts.update(w=A, trP=trP)
        elif method == "SJ":
            if con["tau2_init"] is None:
                tau2_0 = ymc.var(axis=1)
            else:
                tau2_0 = np.full(n, float(con["tau2_init"]))
            w = 1 / (V + tau2_0[:, None])
            tau2 = tau2_0 * d.Q(w, ymc) / (k - p)
            parts.update(w=w, tau2_0=tau2_0)
        else:  # PM, PMM
            tau2 = np.empty(n)
            for i in range(n):
                tau2[i], fallback[i] = _paule_mandel(ymc[i], V[i], d, method, con)
        if method in ("ML", "REML", "EB"):
            if con["tau2_init"] is None:
                tau2 = np.maximum(np.maximum(tau2, 0.0), tau2_min)
            else:
                tau2 = np.full(n, float(con["tau2_init"]))
            tau2, iterations, converged = _fisher_scoring(ymc, V, d, method, tau2, con)
            for row in np.flatnonzero(~converged):
                tau2[row] = _bracket_score(ymc[row], V[row], d, method, con)
                fallback[row] = True
            if method in ("ML", "REML") and con["ll0check"]:
                check = (tau2 > con["threshold"]) & np.all(V > 0, axis=1)
                if check.any():
                    ll0 = loglik(ymc, V, d, np.zeros(n), method)
                    ll = loglik(ymc, V, d, tau2, method)
                    tau2 = np.where(check & (ll0 - ll > con["tol"]), 0.0, tau2)
        tau2 = np.maximum(tau2_min, tau2)
        if np.any(tau2[:, None] + V < 0):
            raise ValidationError("some marginal variances vi + tau2 are negative")
        t = np.maximum(tau2, 0.0)
        se_tau2 = _se_tau2(method, V, d, tau2, t, parts)
    return Tau2(tau2, se_tau2, iterations, converged, fallback)


def _se_tau2(
    method: str, V: np.ndarray, d: Design, tau2: np.ndarray, t: np.ndarray, s: dict[str, Any]
) -> np.ndarray:
    """Standard errors of tau^2 (metafor's formulas), from the estimator's by-products ``s``."""
    k, p = d.k, d.p
    if method in ("HS", "HSk", "DL"):
        num = 2 * (k - p) + 4 * t * s["trP"] + 2 * t**2 * s["trPP"]
        if method == "DL":
            return np.sqrt(num / s["trP"] ** 2)
        se = np.sqrt(num / s["sw"] ** 2)
        return k / (k - p) * se if method == "HSk" else se
    if method == "HE":
        ones = np.ones_like(V)
        trPV, trPVPV = d.tr_PD(ones, V), d.tr_PDPD(ones, V, V)
        return np.sqrt((2 * trPVPV + 4 * t * trPV + 2 * t**2 * (k - p)) / (k - p) ** 2)
    if method in ("GENQ", "SJ"):
        w = s["w"]
        terms = 2 * d.tr_PDPD(w, V, V) + 4 * t * d.tr_PDPD(w, V) + 2 * t**2 * d.tr_PDPD(w)
        if method == "GENQ":
            return np.sqrt(terms / s["trP"] ** 2)
        return np.sqrt(s["tau2_0"] ** 2 / (k - p) ** 2 * terms)
    w = 1 / (V + tau2[:, None])
    if method == "ML":
        return np.sqrt(2 / np.sum(w * w, axis=1))
    if method == "REML":
        return np.sqrt(2 / d.tr_PDPD(w))
    return np.sqrt(2 * k**2 / (k - p) / np.sum(w, axis=1) ** 2)  # EB, PM, PMM


def _fisher_scoring(
    ymc: np.ndarray, V: np.ndarray, d: Design, method: str, tau2: np.ndarray, con: ControlSettings
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """metafor's Fisher scoring for ML/REML (and the EB update), step halving at tau2_min;
    every row iterates until its own change is below ``threshold``."""
    n, k = ymc.shape
    p = d.p
    tau2 = np.array(tau2, dtype=float)
    iterations = np.zeros(n, dtype=int)
    converged = np.ones(n, dtype=bool)
    active = np.ones(n, dtype=bool)
    threshold, maxiter, tau2_min = con["threshold"], con["maxiter"], con["tau2_min"]
    it = 0
    while active.any():
        it += 1
        rows = np.flatnonzero(active)
        t = tau2[rows]
        v, y = V[rows], ymc[rows]
        w = 1 / (v + t[:, None])
        Py = d.Py(w, y)
        if method == "ML":
            adj = (np.sum(Py * Py, axis=1) - np.sum(w, axis=1)) / np.sum(w * w, axis=1)
        elif method == "REML":
            trP, trPP = d.traces(w)
            adj = (np.sum(Py * Py, axis=1) - trP) / trPP
        else:  # EB
            adj = (np.sum(y * Py, axis=1) * k / (k - p) - k) / np.sum(w, axis=1)
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
        if it > maxiter:  # as metafor: past maxiter the fit has not converged
            converged[rows] = False
            active[rows] = False
    return tau2, iterations, converged


def score(ymc: np.ndarray, v: np.ndarray, d: Design, method: str, tau2: float) -> float:
    """The estimating equation whose root Fisher scoring seeks (one data set)."""
    wi = 1 / (v + tau2)
    Py = d.Py(wi, ymc)
    if method == "ML":
        return float(np.dot(Py, Py) - wi.sum())
    if method == "REML":
        return float(np.dot(Py, Py) - d.tr_PD(wi))
    return float(np.dot(ymc, Py) * d.k / (d.k - d.p) - d.k)  # EB


def _bracket_score(
    ymc: np.ndarray, v: np.ndarray, d: Design, method: str, con: ControlSettings
) -> float:
    """Fallback when Fisher scoring fails: bracket the score's root and solve with brentq."""
    from scipy.optimize import brentq

    lo = con["tau2_min"]
    if score(ymc, v, d, method, lo) <= 0:
        return lo
    hi = tau2_max(ymc, con)
    for _ in range(60):
        if score(ymc, v, d, method, hi) < 0:
            break
        hi *= 10
    else:
        raise ConvergenceError(f"{method}: no root of the profile-likelihood score found")
    return float(brentq(lambda t: score(ymc, v, d, method, t), lo, hi, xtol=1e-12, rtol=1e-14))


def loglik(ymc: np.ndarray, V: np.ndarray, d: Design, tau2: np.ndarray, method: str) -> np.ndarray:
    """ML or REML log-likelihood at tau^2 per row (without metafor's REMLf constant)."""
    k, p = d.k, d.p
    M = V + np.asarray(tau2)[..., None]
    w = 1 / M
    RSS = d.Q(w, ymc)
    logdet_m = np.sum(np.log(M), axis=-1)
    if method == "ML":
        return -0.5 * k * math.log(2 * math.pi) - 0.5 * logdet_m - RSS / 2
    return -0.5 * (k - p) * math.log(2 * math.pi) - 0.5 * logdet_m - 0.5 * d.logdet_XWX(w) - RSS / 2


def _paule_mandel(
    ymc: np.ndarray, v: np.ndarray, d: Design, method: str, con: ControlSettings
) -> tuple[float, bool]:
    """Paule-Mandel: solve Q(tau2) = k - p (PM) or the chi2 median (PMM) with uniroot."""
    if np.any(v <= 0):
        raise ValidationError(f"{method} needs positive sampling variances")
    k, p = d.k, d.p
    target = chi2_ppf(0.5, k - p) if method == "PMM" else k - p
    lo, hi = con["tau2_min"], tau2_max(ymc, con)

    def f(t: float) -> float:
        return float(d.Q(1 / (v + t), ymc)) - target

    f_lo = f(lo)
    if f_lo < 0:
        return lo, False
    f_hi = f(hi)
    widened = False
    while f_hi > 0:  # metafor stops here ("tau2.max too low"); widen the bracket instead
        hi *= 10
        f_hi = f(hi)
        widened = True
        if hi > 1e12:
            raise ConvergenceError(f"{method}: Q(tau2) stays above its target")
    root = uniroot(f, lo, hi, f_lower=f_lo, f_upper=f_hi, tol=con["tol"], maxiter=con["maxiter"])
    if not root.converged:
        raise ConvergenceError(f"{method}: uniroot did not converge")
    return root.root, widened
