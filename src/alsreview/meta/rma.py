"""Fixed-, random- and mixed-effects meta-analysis, as metafor's ``rma.uni`` (metafor 3.8).

In: effect sizes ``yi`` with sampling variances ``vi`` (see :mod:`alsreview.meta.effects`),
optional moderators.  Out: a frozen :class:`RmaResult`; ``.predict()`` and ``.confint()``
give :class:`Prediction` and :class:`Confint`.

``rma(yi, vi, mods=None, method="REML", test="z", level=95, weights=None, intercept=True,
control=None)``; ``method`` is one of EE (alias FE), DL, HE, HS, HSk, SJ, ML, REML, EB, PM,
PMM, GENQ (``weights`` default 1/vi); ``test`` is "z" or "knha" (Knapp & Hartung 2003).

RmaResult attributes (metafor's names):

    b / beta, se, zval, pval, ci_lb, ci_ub   coefficient arrays (length p; p = 1 without mods)
    vb                                        p x p variance-covariance matrix of b
    estimate                                  b[0] as a float (models without moderators)
    tau2, se_tau2                             between-study variance and its standard error
    I2, H2, QE, QEp                           heterogeneity (I2 in percent; QE with k - p df)
    QM, QMp, QMdf                             omnibus test of the moderators (F-test if knha)
    R2                                        pseudo-R2 in percent (models with moderators)
    k, p, yi, vi, X, coef_names               the data the model was fitted to
    weights                                   percent weights of the studies in the fit
    method, test, level, ddf, s2w, vt         settings and by-products
    iterations, converged, fallback           tau2 iterations; fallback = "bracketing" when
                                              Fisher scoring did not converge and the root of
                                              the profile-likelihood score was bracketed
    to_dict()                                 the key names of the reference JSON files

The iterative estimators replicate metafor's algorithms step for step (Fisher scoring with
step halving, ``threshold=1e-5``, ``maxiter=100``; ``uniroot`` for PM/PMM and Q-profile),
so results agree with metafor's far beyond its own convergence tolerance.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from alsreview.errors import ConvergenceError, ValidationError
from alsreview.meta.distributions import (
    chi2_ppf,
    chi2_sf,
    f_sf,
    norm_ppf,
    norm_sf,
    t_ppf,
    t_sf,
)
from alsreview.meta.rootfind import R_TOL, uniroot

METHODS = ("EE", "DL", "HE", "HS", "HSk", "SJ", "ML", "REML", "EB", "PM", "PMM", "GENQ")
TESTS = ("z", "knha")
CONTROL_DEFAULTS: dict[str, Any] = {
    "tau2_init": None,
    "tau2_min": 0.0,
    "tau2_max": 100.0,
    "threshold": 1e-5,
    "tol": R_TOL,
    "ll0check": True,
    "maxiter": 100,
    "stepadj": 1.0,
}
_EPS = 2.220446049250313e-16


def _method_name(method: str) -> str:
    m = method.strip()
    if m.upper() in ("FE", "EE", "CE"):
        return "EE"
    for name in METHODS:
        if m.upper() == name.upper():
            return name
    raise ValidationError(f"unknown method {method!r}; choose one of {', '.join(METHODS)}")


# --------------------------------------------------------------------------- design matrix


class _Design:
    """The k x p model matrix with fast paths for the intercept-only model.

    For X = 1 the projections have closed forms (P = W - ww'/sum(w)); sums are taken as dot
    products with a vector of ones, which is several times cheaper than ``ndarray.sum`` on
    the short vectors of a meta-analysis.
    """

    def __init__(self, X: np.ndarray) -> None:
        self.X = X
        self.k, self.p = X.shape
        self.intercept_only = self.p == 1 and bool(np.all(X == 1.0))
        self.ones = np.ones(self.k)

    def P(self, w: np.ndarray) -> np.ndarray:
        """P = W - W X (X'WX)^-1 X'W."""
        X = self.X
        WX = X * w[:, None]
        return np.diag(w) - WX @ np.linalg.solve(X.T @ WX, WX.T)

    def coef(self, w: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.intercept_only:
            return np.array([np.dot(w, y) / np.dot(w, self.ones)])
        WX = self.X * w[:, None]
        return np.linalg.solve(self.X.T @ WX, WX.T @ y)

    def Py(self, w: np.ndarray, y: np.ndarray) -> np.ndarray:
        if self.intercept_only:
            return w * (y - np.dot(w, y) / np.dot(w, self.ones))
        return w * (y - self.X @ self.coef(w, y))

    def Q(self, w: np.ndarray, y: np.ndarray) -> float:
        """y'Py, the (generalised) Q statistic."""
        return float(np.dot(y, self.Py(w, y)))

    def traces(self, w: np.ndarray) -> tuple[float, float]:
        """tr(P) and tr(PP) = sum(P * P)."""
        if self.intercept_only:
            s = np.dot(w, self.ones)
            w2 = w * w
            s2 = np.dot(w2, self.ones)
            s3 = np.dot(w2, w)
            return float(s - s2 / s), float(s2 - 2 * s3 / s + (s2 / s) ** 2)
        P = self.P(w)
        return float(np.trace(P)), float(np.sum(P * P))

    def logdet_XWX(self, w: np.ndarray) -> float:
        if self.intercept_only:
            return math.log(np.dot(w, self.ones))
        return float(np.linalg.slogdet(self.X.T @ (self.X * w[:, None]))[1])


# --------------------------------------------------------------------------- tau2 estimation


@dataclass(frozen=True)
class _Tau2:
    tau2: float
    se_tau2: float | None
    iterations: int = 0
    converged: bool = True
    fallback: str | None = None


def _mad(y: np.ndarray) -> float:
    med = np.median(y)
    return float(1.4826 * np.median(np.abs(y - med)))


def _tau2_max(y: np.ndarray, con: dict[str, Any]) -> float:
    """metafor's upper end of the tau2 search interval: max(100, 10 mad(yi)^2)."""
    if con["tau2_max"] is None:
        return max(100.0, 10 * _mad(y) ** 2)
    return float(con["tau2_max"])


def _estimate_tau2(
    y: np.ndarray,
    v: np.ndarray,
    d: _Design,
    method: str,
    weights: np.ndarray | None,
    con: dict[str, Any],
) -> _Tau2:
    k, p = d.k, d.p
    ymc = y - np.dot(y, d.ones) / k
    tau2_min = con["tau2_min"]
    if method == "EE" or k == 1:
        return _Tau2(0.0, None)
    iterations, converged, fallback = 0, True, None
    tau2_0 = None
    if method in ("HS", "HSk", "DL"):
        wi = 1 / v
        P = d.P(wi)
        RSS = float(ymc @ P @ ymc)
        trP = float(np.trace(P))
        if method == "HS":
            tau2 = (RSS - k) / wi.sum()
        elif method == "HSk":
            tau2 = (k / (k - p) * RSS - k) / wi.sum()
        else:
            tau2 = (RSS - (k - p)) / trP
    elif method in ("HE", "ML", "REML", "EB"):
        if d.intercept_only and method != "HE":  # P = I - J/k
            RSS = float(np.dot(ymc, ymc) - np.dot(ymc, d.ones) ** 2 / k)
            trPV = float(np.dot(v, d.ones)) * (1 - 1 / k)
        else:
            P = d.P(np.ones(k))
            RSS = float(ymc @ P @ ymc)
            PV = P * v[None, :]
            trPV = float(np.trace(PV))
        tau2 = (RSS - trPV) / (k - p)
    elif method == "GENQ":
        A = 1 / v if weights is None else weights
        P = d.P(A)
        PV = P * v[None, :]
        trP, trPV = float(np.trace(P)), float(np.trace(PV))
        RSS = float(ymc @ P @ ymc)
        tau2 = (RSS - trPV) / trP
    elif method == "SJ":
        tau2_0 = float(np.var(ymc)) if con["tau2_init"] is None else float(con["tau2_init"])
        wi = 1 / (v + tau2_0)
        P = d.P(wi)
        RSS = float(ymc @ P @ ymc)
        PV = P * v[None, :]
        tau2 = tau2_0 * RSS / (k - p)
    elif method in ("PM", "PMM"):
        tau2, fallback = _paule_mandel(ymc, v, d, method, con)
    if method in ("ML", "REML", "EB"):
        tau2 = max(0.0, tau2, tau2_min) if con["tau2_init"] is None else float(con["tau2_init"])
        tau2, iterations, converged = _fisher_scoring(ymc, v, d, method, tau2, con)
        if not converged:
            tau2 = _bracket_score(ymc, v, d, method, con)
            fallback = "bracketing"
        if method in ("ML", "REML") and con["ll0check"] and (v > 0).all():
            ll0 = _loglik(ymc, v, d, 0.0, method)
            ll = _loglik(ymc, v, d, tau2, method)
            if ll0 - ll > con["tol"] and tau2 > con["threshold"]:
                tau2 = 0.0
    tau2 = max(tau2_min, float(tau2))
    if (tau2 + v < 0).any():
        raise ValidationError("some marginal variances vi + tau2 are negative")

    t = max(tau2, 0.0)
    if method in ("HS", "HSk"):
        se = math.sqrt(1 / wi.sum() ** 2 * (2 * (k - p) + 4 * t * trP + 2 * t**2 * np.sum(P * P)))
        se_tau2 = k / (k - p) * se if method == "HSk" else se
    elif method == "HE":
        se_tau2 = math.sqrt(
            1 / (k - p) ** 2 * (2 * np.sum(PV * PV.T) + 4 * t * trPV + 2 * t**2 * (k - p))
        )
    elif method == "DL":
        se_tau2 = math.sqrt(1 / trP**2 * (2 * (k - p) + 4 * t * trP + 2 * t**2 * np.sum(P * P)))
    elif method == "GENQ":
        se_tau2 = math.sqrt(
            1 / trP**2 * (2 * np.sum(PV * PV.T) + 4 * t * np.sum(PV * P) + 2 * t**2 * np.sum(P * P))
        )
    elif method == "SJ":
        se_tau2 = math.sqrt(
            tau2_0**2
            / (k - p) ** 2
            * (2 * np.sum(PV * PV.T) + 4 * t * np.sum(PV * P) + 2 * t**2 * np.sum(P * P))
        )
    elif method == "ML":
        wi = 1 / (v + tau2)
        se_tau2 = math.sqrt(2 / np.dot(wi, wi))
    elif method == "REML":
        se_tau2 = math.sqrt(2 / d.traces(1 / (v + tau2))[1])
    else:  # EB, PM, PMM
        wi = 1 / (v + tau2)
        se_tau2 = math.sqrt(2 * k**2 / (k - p) / wi.sum() ** 2)
    return _Tau2(tau2, float(se_tau2), iterations, converged, fallback)


def _fisher_scoring(
    ymc: np.ndarray, v: np.ndarray, d: _Design, method: str, tau2: float, con: dict[str, Any]
) -> tuple[float, int, bool]:
    """metafor's Fisher scoring for ML/REML (and the EB fixed-point update), step halving."""
    k, p = d.k, d.p
    threshold, maxiter, stepadj, tau2_min = (
        con["threshold"],
        con["maxiter"],
        con["stepadj"],
        con["tau2_min"],
    )
    change = threshold + 1
    it = 0
    while change > threshold:
        it += 1
        old = tau2
        wi = 1 / (v + tau2)
        Py = d.Py(wi, ymc)
        if method == "ML":
            adj = (np.dot(Py, Py) - wi.sum()) / np.dot(wi, wi)
        elif method == "REML":
            trP, trPP = d.traces(wi)
            adj = (np.dot(Py, Py) - trP) / trPP
        else:  # EB
            adj = (np.dot(ymc, Py) * k / (k - p) - k) / wi.sum()
        adj = float(adj) * stepadj
        if math.isnan(adj):
            adj = 0.0
        while tau2 + adj < tau2_min:
            adj /= 2
        tau2 = tau2 + adj
        change = abs(old - tau2)
        if it > maxiter:
            return tau2, it, False
    return tau2, it, True


def _score(ymc: np.ndarray, v: np.ndarray, d: _Design, method: str, tau2: float) -> float:
    """Estimating equation whose root Fisher scoring seeks (2 x the likelihood score)."""
    wi = 1 / (v + tau2)
    Py = d.Py(wi, ymc)
    if method == "ML":
        return float(np.dot(Py, Py) - wi.sum())
    if method == "REML":
        return float(np.dot(Py, Py) - d.traces(wi)[0])
    return float(np.dot(ymc, Py) * d.k / (d.k - d.p) - d.k)  # EB


def _bracket_score(
    ymc: np.ndarray, v: np.ndarray, d: _Design, method: str, con: dict[str, Any]
) -> float:
    """Fallback when Fisher scoring fails: bracket the score's root and solve with brentq."""
    from scipy.optimize import brentq

    lo = con["tau2_min"]
    if _score(ymc, v, d, method, lo) <= 0:
        return lo
    hi = _tau2_max(ymc, con)
    for _ in range(60):
        if _score(ymc, v, d, method, hi) < 0:
            break
        hi *= 10
    else:
        raise ConvergenceError(f"{method}: no root of the profile-likelihood score found")
    return float(brentq(lambda t: _score(ymc, v, d, method, t), lo, hi, xtol=1e-12, rtol=1e-14))


def _loglik(ymc: np.ndarray, v: np.ndarray, d: _Design, tau2: float, method: str) -> float:
    """ML or REML log-likelihood at tau2 (without metafor's REMLf constant)."""
    m = v + tau2
    wi = 1 / m
    RSS = float(np.dot(ymc, d.Py(wi, ymc)))
    logdet_m = float(np.dot(np.log(m), d.ones))
    if method == "ML":
        return -0.5 * d.k * math.log(2 * math.pi) - 0.5 * logdet_m - RSS / 2
    return (
        -0.5 * (d.k - d.p) * math.log(2 * math.pi)
        - 0.5 * logdet_m
        - 0.5 * d.logdet_XWX(wi)
        - 0.5 * RSS
    )


def _paule_mandel(
    ymc: np.ndarray, v: np.ndarray, d: _Design, method: str, con: dict[str, Any]
) -> tuple[float, str | None]:
    """Paule-Mandel: solve Q(tau2) = k - p (PM) or the chi2 median (PMM), via uniroot."""
    if np.any(v <= 0):
        raise ValidationError(f"{method} needs positive sampling variances")
    k, p = d.k, d.p
    target = chi2_ppf(0.5, k - p) if method == "PMM" else k - p
    lo, hi = con["tau2_min"], _tau2_max(ymc, con)

    def f(t: float) -> float:
        return d.Q(1 / (v + t), ymc) - target

    f_lo = f(lo)
    if f_lo < 0:
        return lo, None
    f_hi = f(hi)
    fallback = None
    while f_hi > 0:  # metafor stops here ("tau2.max too low"); widen the bracket instead
        hi *= 10
        f_hi = f(hi)
        fallback = "bracketing"
        if hi > 1e12:
            raise ConvergenceError(f"{method}: Q(tau2) stays above its target")
    root = uniroot(f, lo, hi, f_lower=f_lo, f_upper=f_hi, tol=con["tol"], maxiter=con["maxiter"])
    if not root.converged:
        raise ConvergenceError(f"{method}: uniroot did not converge")
    return root.root, fallback


# --------------------------------------------------------------------------- results


def _frozen(a: Any) -> np.ndarray:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


@dataclass(frozen=True)
class Prediction:
    """Predicted (pooled) effect with confidence and prediction interval (``predict.rma``)."""

    pred: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray

    def to_dict(self) -> dict[str, Any]:
        def out(a: np.ndarray) -> Any:
            return float(a[0]) if a.size == 1 else [float(x) for x in a]

        keys = ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")
        return {key: out(getattr(self, key)) for key in keys}

    def summary(self) -> str:
        rows = ["    pred      se   ci.lb   ci.ub   pi.lb   pi.ub"]
        for i in range(self.pred.size):
            vals = (self.pred, self.se, self.ci_lb, self.ci_ub, self.pi_lb, self.pi_ub)
            rows.append(" ".join(f"{a[i]:7.4f}" for a in vals))
        return "\n".join(rows)


@dataclass(frozen=True)
class Confint:
    """Q-profile confidence intervals for tau2, tau, I2 and H2 (``confint.rma.uni``).

    Each field is ``(estimate, ci_lb, ci_ub)``; ``lb_sign``/``ub_sign`` are "<" or ">" when a
    bound is only known to lie beyond the search interval (as metafor prints them).
    """

    tau2: tuple[float, float, float]
    tau: tuple[float, float, float]
    I2: tuple[float, float, float]
    H2: tuple[float, float, float]
    level: float
    lb_sign: str = ""
    ub_sign: str = ""

    def to_dict(self) -> dict[str, list[float]]:
        return {key: list(getattr(self, key)) for key in ("tau2", "tau", "I2", "H2")}

    def summary(self) -> str:
        lines = [f"          estimate     ci.lb     ci.ub   ({self.level:g}% Q-profile)"]
        for name in ("tau2", "tau", "I2", "H2"):
            est, lb, ub = getattr(self, name)
            lines.append(f"{name:>6} {est:11.4f} {lb:9.4f} {ub:9.4f}")
        return "\n".join(lines)


@dataclass(frozen=True)
class RmaResult:
    """A fitted ``rma`` model; attributes as listed in the module docstring."""

    b: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    vb: np.ndarray
    tau2: float
    se_tau2: float | None
    I2: float
    H2: float
    QE: float
    QEp: float
    QM: float
    QMp: float
    QMdf: tuple[int, int | None]
    R2: float | None
    k: int
    p: int
    yi: np.ndarray
    vi: np.ndarray
    X: np.ndarray
    coef_names: tuple[str, ...]
    weights: np.ndarray
    method: str
    test: str
    level: float
    ddf: int | None
    s2w: float
    vt: float
    iterations: int
    converged: bool
    fallback: str | None
    user_weights: np.ndarray | None = None
    control: Mapping[str, Any] = field(default_factory=dict, repr=False)

    @property
    def beta(self) -> np.ndarray:
        return self.b

    @property
    def estimate(self) -> float:
        """The pooled estimate (first coefficient; the intercept of a model without mods)."""
        return float(self.b[0])

    @property
    def tau(self) -> float:
        return math.sqrt(self.tau2)

    @property
    def has_moderators(self) -> bool:
        return self.p > 1 or self.coef_names != ("intrcpt",)

    def _crit(self, level: float | None = None) -> float:
        alpha = 1 - (self.level if level is None else level) / 100
        if self.test == "knha":
            return float(t_ppf(1 - alpha / 2, self.ddf))
        return float(norm_ppf(1 - alpha / 2))

    def predict(self, newmods: Any = None, level: float | None = None) -> Prediction:
        """Pooled (or fitted) values with CI and prediction interval (metafor ``predict``).

        ``newmods``: moderator values (without the intercept column) for new studies; by
        default the pooled estimate for a model without moderators, or the fitted values.
        """
        if newmods is None:
            Xn = self.X[:1] if not self.has_moderators else self.X
        else:
            Xn = np.atleast_2d(np.asarray(newmods, dtype=float))
            if self.p == 1 and Xn.size == 1:
                Xn = Xn.reshape(1, 1)
            if "intrcpt" in self.coef_names and Xn.shape[1] == self.p - 1:
                Xn = np.column_stack([np.ones(Xn.shape[0]), Xn])
            if Xn.shape[1] != self.p:
                raise ValidationError(
                    f"newmods has {Xn.shape[1]} columns; the model has {self.p} coefficients"
                )
        pred = Xn @ self.b
        se = np.sqrt(np.einsum("ij,jk,ik->i", Xn, self.vb, Xn))
        crit = self._crit(level)
        half_pi = crit * np.sqrt(se**2 + self.tau2)
        return Prediction(
            _frozen(pred),
            _frozen(se),
            _frozen(pred - crit * se),
            _frozen(pred + crit * se),
            _frozen(pred - half_pi),
            _frozen(pred + half_pi),
        )

    def confint(self, level: float | None = None) -> Confint:
        """Q-profile confidence intervals for tau2, tau, I2, H2 (Viechtbauer 2007)."""
        if self.method == "EE":
            raise ValidationError("an equal-effects model has no random-effects component")
        if self.method == "GENQ":
            raise ValidationError(
                "for GENQ fits metafor's confint uses the generalised-Q distribution "
                "(Farebrother's algorithm), which is not implemented; refit with another method"
            )
        if self.k == 1:
            raise ValidationError("confidence intervals for tau2 need k > 1")
        if np.any(self.vi <= 0):
            raise ValidationError("Q-profile CIs need positive sampling variances")
        level = self.level if level is None else level
        alpha = 1 - level / 100
        d = _Design(self.X)
        y, v = np.asarray(self.yi), np.asarray(self.vi)
        df = self.k - self.p
        crit_u = float(chi2_ppf(1 - alpha / 2, df))
        crit_l = float(chi2_ppf(alpha / 2, df))
        tau2_min = min(0.0, self.tau2)
        tau2_max = max(100.0, self.tau2 * 10, tau2_min * 10)
        tol = self.control.get("tol", R_TOL)

        if d.intercept_only:  # the same Q, without the layers (uniroot calls it ~30 times)
            # Q = sum w yc^2 - (sum w yc)^2 / sum w, with yc centred at the plain mean so the
            # subtraction loses no digits worth having
            ones = d.ones
            yc = y - np.dot(y, ones) / self.k
            yc2 = yc * yc

            def Q(t: float) -> float:
                w = 1 / (v + t)
                swy = float(np.dot(w, yc))
                return float(np.dot(w, yc2)) - swy * swy / float(np.dot(w, ones))

        else:

            def Q(t: float) -> float:
                return d.Q(1 / (v + t), y)

        q_max, q_min = Q(tau2_max), Q(tau2_min)
        lb = ub = math.nan
        lb_sign = ub_sign = ""
        if q_min < crit_l:
            lb = ub = tau2_min
            lb_sign = ub_sign = "<"
        elif q_max > crit_l:
            ub, ub_sign = tau2_max, ">"
        else:
            ub = uniroot(
                lambda t: Q(t) - crit_l,
                tau2_min,
                tau2_max,
                f_lower=q_min - crit_l,
                f_upper=q_max - crit_l,
                tol=tol,
            ).root
        if q_max > crit_u:
            lb = ub = tau2_max
            lb_sign = ub_sign = ">"
        elif q_min < crit_u:
            lb = tau2_min
            if tau2_min > 0:
                lb_sign = "<"
        else:
            lb = uniroot(
                lambda t: Q(t) - crit_u,
                tau2_min,
                tau2_max,
                f_lower=q_min - crit_u,
                f_upper=q_max - crit_u,
                tol=tol,
            ).root
        vt = self.vt

        def tau(x: float) -> float:
            return math.sqrt(x) if x >= 0 else math.nan

        return Confint(
            tau2=(self.tau2, lb, ub),
            tau=(tau(self.tau2), tau(lb), tau(ub)),
            I2=(self.I2, 100 * lb / (vt + lb), 100 * ub / (vt + ub)),
            H2=(self.H2, lb / vt + 1, ub / vt + 1),
            level=level,
            lb_sign=lb_sign,
            ub_sign=ub_sign,
        )

    def to_dict(self) -> dict[str, Any]:
        """Numbers under the reference files' key names (fits / metareg objects)."""
        if not self.has_moderators:
            return {
                "estimate": float(self.b[0]),
                "se": float(self.se[0]),
                "zval": float(self.zval[0]),
                "pval": float(self.pval[0]),
                "ci_lb": float(self.ci_lb[0]),
                "ci_ub": float(self.ci_ub[0]),
                "tau2": self.tau2,
                "se_tau2": self.se_tau2,
                "I2": self.I2,
                "H2": self.H2,
                "QE": self.QE,
                "QEp": self.QEp,
                "k": self.k,
                "test": self.test,
                "method": self.method,
                "fallback": self.fallback,
            }
        return {
            "moderator": [n for n in self.coef_names if n != "intrcpt"],
            "coef_names": list(self.coef_names),
            "coef": [float(x) for x in self.b],
            "se": [float(x) for x in self.se],
            "zval": [float(x) for x in self.zval],
            "pval": [float(x) for x in self.pval],
            "ci_lb": [float(x) for x in self.ci_lb],
            "ci_ub": [float(x) for x in self.ci_ub],
            "QM": self.QM,
            "QMp": self.QMp,
            "tau2": self.tau2,
            "se_tau2": self.se_tau2,
            "I2": self.I2,
            "H2": self.H2,
            "R2": self.R2,
            "QE": self.QE,
            "QEp": self.QEp,
            "k": self.k,
            "test": self.test,
            "method": self.method,
            "fallback": self.fallback,
        }

    def summary(self) -> str:
        kind = (
            "Mixed-Effects Model"
            if self.has_moderators
            else ("Equal-Effects Model" if self.method == "EE" else "Random-Effects Model")
        )
        lines = [f"{kind} (k = {self.k}; tau^2 estimator: {self.method}; test: {self.test})"]
        if self.method != "EE":
            se_t = "" if self.se_tau2 is None else f" (SE = {self.se_tau2:.4f})"
            lines.append(
                f"tau^2 = {self.tau2:.4f}{se_t}; I^2 = {self.I2:.2f}%; H^2 = {self.H2:.2f}"
            )
        lines.append(f"Q(df = {self.k - self.p}) = {self.QE:.4f}, p = {self.QEp:.4g}")
        if self.has_moderators:
            lines.append(f"Test of moderators: QM = {self.QM:.4f}, p = {self.QMp:.4g}")
            if self.R2 is not None:
                lines.append(f"R^2 = {self.R2:.2f}%")
        lines.append("           estimate      se    zval    pval   ci.lb   ci.ub")
        for i, name in enumerate(self.coef_names):
            lines.append(
                f"{name:>10} {self.b[i]:9.4f} {self.se[i]:7.4f} {self.zval[i]:7.3f} "
                f"{self.pval[i]:7.4f} {self.ci_lb[i]:7.4f} {self.ci_ub[i]:7.4f}"
            )
        if self.fallback:
            lines.append(f"note: tau^2 found by {self.fallback} (Fisher scoring did not converge)")
        return "\n".join(lines)


# --------------------------------------------------------------------------- moderators


def _model_matrix(mods: Any, k: int, intercept: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Build X from moderators: numbers as they are, text columns dummy-coded (first level
    is the reference, as R's treatment contrasts)."""
    cols: list[np.ndarray] = []
    names: list[str] = []
    if mods is not None:
        if hasattr(mods, "columns"):
            items = [(str(c), np.asarray(mods[c])) for c in mods.columns]
        elif isinstance(mods, Mapping):
            items = [(str(c), np.asarray(v)) for c, v in mods.items()]
        else:
            arr = np.asarray(mods)
            if arr.ndim == 1:
                arr = arr[:, None]
            items = [
                (f"mod{j + 1}" if arr.shape[1] > 1 else "mods", arr[:, j])
                for j in range(arr.shape[1])
            ]
        for name, col in items:
            if len(col) != k:
                raise ValidationError(f"moderator {name} has {len(col)} values for {k} studies")
            if col.dtype.kind in "biuf":
                cols.append(col.astype(float))
                names.append(name)
            else:
                levels = sorted({str(x) for x in col})
                labels = np.array([str(x) for x in col])
                for level in levels[1:]:
                    cols.append((labels == level).astype(float))
                    names.append(f"{name}{level}")
    if intercept:
        cols.insert(0, np.ones(k))
        names.insert(0, "intrcpt")
    if not cols:
        raise ValidationError("a model without intercept needs moderators")
    X = np.column_stack(cols)
    if np.any(~np.isfinite(X)):
        raise ValidationError("moderators contain missing or non-finite values")
    return X, tuple(names)


# --------------------------------------------------------------------------- rma


def rma(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray | None = None,
    mods: Any = None,
    method: str = "REML",
    test: str = "z",
    *,
    sei: Sequence[float] | np.ndarray | None = None,
    weights: Sequence[float] | np.ndarray | None = None,
    intercept: bool = True,
    level: float = 95,
    control: Mapping[str, Any] | None = None,
) -> RmaResult:
    """Fit a fixed/random/mixed-effects meta-analysis as ``metafor::rma.uni``.

    Model: y_i = x_i'b + u_i + e_i, u_i ~ N(0, tau2), e_i ~ N(0, v_i); b by weighted least
    squares with weights 1/(v_i + tau2) (or user ``weights`` with GENQ), tau2 by ``method``.
    ``control`` accepts metafor's ``threshold``, ``maxiter``, ``tol``, ``stepadj``,
    ``tau2_init``, ``tau2_min``, ``tau2_max``, ``ll0check``.
    """
    method = _method_name(method)
    if test not in TESTS:
        raise ValidationError(f"unknown test {test!r}; use 'z' or 'knha'")
    y = np.asarray(yi, dtype=float).ravel()
    if vi is None:
        if sei is None:
            raise ValidationError("give vi or sei")
        v = np.asarray(sei, dtype=float).ravel() ** 2
    else:
        v = np.asarray(vi, dtype=float).ravel()
    k = y.size
    if v.size != k:
        raise ValidationError(f"yi has {k} values but vi has {v.size}")
    bad = np.flatnonzero(~np.isfinite(y) | ~np.isfinite(v))
    if bad.size:
        raise ValidationError(
            f"missing or non-finite yi/vi in study {', '.join(str(i + 1) for i in bad[:10])}"
        )
    if (v < 0).any():
        raise ValidationError("sampling variances vi must be >= 0")
    if k == 0:
        raise ValidationError("no studies to pool")
    con = dict(CONTROL_DEFAULTS)
    for key, value in (control or {}).items():
        key = key.replace(".", "_")
        if key not in con:
            raise ValidationError(f"unknown control setting {key!r}")
        con[key] = value
    if not control or "tau2_max" not in control:
        con["tau2_max"] = None  # max(100, 10 * mad(yi)^2), computed when a search needs it
    if mods is None and intercept:
        X, names = np.ones((k, 1)), ("intrcpt",)
    else:
        X, names = _model_matrix(mods, k, intercept)
    d = _Design(X)
    p = d.p
    if p > k:
        raise ValidationError(f"{p} coefficients but only {k} studies")
    if p > 1 and np.linalg.matrix_rank(X) < p:
        raise ValidationError("model matrix not of full rank (redundant moderators)")
    if method not in ("EE", "REML", "ML", "HE", "EB", "GENQ") and (v <= 0).any():
        raise ValidationError(f"{method} needs positive sampling variances")
    if method != "EE" and k - p < 1 and k > 1:
        raise ValidationError(f"{method} needs more studies than coefficients")
    user_w = None
    if weights is not None:
        user_w = np.asarray(weights, dtype=float).ravel()
        if user_w.size != k:
            raise ValidationError(f"weights has {user_w.size} values for {k} studies")
    elif method == "GENQ":
        user_w = 1 / v

    est = _estimate_tau2(y, v, d, method, user_w, con)
    tau2 = est.tau2
    wi = 1 / (v + tau2)
    s2w = 1.0
    if user_w is not None:
        A = user_w
        XA = X * A[:, None]
        stXAX = np.linalg.inv(X.T @ XA)
        b = stXAX @ (XA.T @ y)
        vb = stXAX @ (XA.T * (v + tau2)) @ XA @ stXAX
    elif d.intercept_only:
        sw = float(np.dot(wi, d.ones))
        vb = np.array([[1 / sw]])
        b = np.array([np.dot(wi, y) / sw])
    else:
        XW = X * wi[:, None]
        vb = np.linalg.inv(X.T @ XW)
        b = vb @ (XW.T @ y)
    if test == "knha":
        b_w = d.coef(wi, y)
        rss = float(np.sum(wi * (y - X @ b_w) ** 2))
        s2w = 0.0 if rss <= _EPS else rss / (k - p)
        vb = s2w * vb
    se = np.sqrt(np.diag(vb))
    zval = b / se
    btt = list(range(1, p)) if (intercept and p > 1) else list(range(p))
    m = len(btt)
    if p == 1:
        QM = float(b[0] ** 2 / vb[0, 0]) if vb[0, 0] > 0 else math.nan
    else:
        try:
            QM = float(b[btt] @ np.linalg.solve(vb[np.ix_(btt, btt)], b[btt]))
        except np.linalg.LinAlgError:
            QM = math.nan
    if test == "knha":
        ddf: int | None = k - p
        QM /= m
        QMdf: tuple[int, int | None] = (m, k - p)
        QMp = float(f_sf(QM, m, k - p)) if k - p > 0 else math.nan
        pval = 2 * t_sf(np.abs(zval), k - p) if k - p > 0 else np.full(p, np.nan)
        crit = float(t_ppf(1 - (1 - level / 100) / 2, k - p)) if k - p > 0 else math.nan
    else:
        ddf = None
        QMdf = (m, None)
        QMp = float(chi2_sf(QM, m))
        pval = 2 * norm_sf(np.abs(zval))
        crit = float(norm_ppf(1 - (1 - level / 100) / 2))

    # heterogeneity, always from the equal-effects weights 1/vi
    if (v > 0).all():
        if k > p:
            w_fe = 1 / v
            ymc = y - np.dot(y, d.ones) / k
            QE = max(0.0, d.Q(w_fe, ymc))
            QEp = float(chi2_sf(QE, k - p))
            vt = (k - p) / d.traces(w_fe)[0]
            if method == "EE":
                I2 = max(0.0, 100 * (QE - (k - p)) / QE)
                H2 = QE / (k - p)
            else:
                I2 = 100 * tau2 / (vt + tau2)
                H2 = tau2 / vt + 1
        else:
            QE, QEp, I2, H2, vt = 0.0, 1.0, 0.0, 1.0, 0.0
    else:
        QE = QEp = I2 = H2 = vt = math.nan

    R2 = None
    if p > 1 and intercept:
        R2 = _pseudo_r2(y, v, X, b, tau2, method, test, user_w, con, wi)

    w_pct = (user_w if user_w is not None else wi) / (user_w if user_w is not None else wi).sum()
    return RmaResult(
        b=_frozen(b),
        se=_frozen(se),
        zval=_frozen(zval),
        pval=_frozen(pval),
        ci_lb=_frozen(b - crit * se),
        ci_ub=_frozen(b + crit * se),
        vb=_frozen(vb),
        tau2=float(tau2),
        se_tau2=est.se_tau2,
        I2=float(I2),
        H2=float(H2),
        QE=float(QE),
        QEp=float(QEp),
        QM=QM,
        QMp=QMp,
        QMdf=QMdf,
        R2=R2,
        k=k,
        p=p,
        yi=_frozen(y),
        vi=_frozen(v),
        X=_frozen(X),
        coef_names=names,
        weights=_frozen(100 * w_pct),
        method=method,
        test=test,
        level=float(level),
        ddf=ddf,
        s2w=float(s2w),
        vt=float(vt),
        iterations=est.iterations,
        converged=est.converged,
        fallback=est.fallback,
        user_weights=None if user_w is None else _frozen(user_w),
        control=con,
    )


def _pseudo_r2(
    y: np.ndarray,
    v: np.ndarray,
    X: np.ndarray,
    b: np.ndarray,
    tau2: float,
    method: str,
    test: str,
    user_w: np.ndarray | None,
    con: dict[str, Any],
    wi: np.ndarray,
) -> float | None:
    """Proportion of tau2 accounted for by the moderators, 100 (tau2_RE - tau2_ME) / tau2_RE
    (Raudenbush 2009); for EE models the adjusted R2 of the weighted regression."""
    k, p = X.shape
    if method == "EE":
        if np.var(y) == 0:
            return 0.0
        w = wi if user_w is None else user_w
        fitted = X @ np.linalg.lstsq(X * np.sqrt(w)[:, None], y * np.sqrt(w), rcond=None)[0]
        ybar = np.dot(w, y) / w.sum()
        rss = float(np.sum(w * (y - fitted) ** 2))
        tss = float(np.sum(w * (y - ybar) ** 2))
        adj = 1 - (1 - (1 - rss / tss)) * (k - 1) / (k - p)
        return max(0.0, 100 * adj)
    try:
        control = {key: con[key] for key in ("threshold", "maxiter", "stepadj", "ll0check", "tol")}
        res0 = rma(y, v, method=method, test=test, weights=user_w, control=control)
    except (ValidationError, ConvergenceError):
        return None
    if res0.tau2 == 0:
        return 0.0
    return max(0.0, 100 * (res0.tau2 - tau2) / res0.tau2)
