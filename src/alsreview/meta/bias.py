"""Small-study effects and publication bias, as metafor 3.8's ``regtest``, ``ranktest``,
``trimfill`` and ``fsn``.

In:  a fitted `alsreview.meta.rma.RmaResult` (or plain ``yi``/``vi`` arrays).
Out: frozen result objects with ``summary()`` and ``to_dict()`` (reference-file key names):

- `regtest`   Egger's regression test: the fit's model with the standard error (default)
              added as a moderator; ``zval``/``pval`` test its slope with the fit's test,
              ``limit_estimate`` is the intercept (the effect as the standard error -> 0).
- `ranktest`  Begg & Mazumdar's rank correlation: Kendall's tau between the standardised
              deviates and the variances; exact p-value without ties, as R's ``cor.test``.
- `trimfill`  Duval & Tweedie's trim-and-fill (estimators L0, R0, Q0); the side of the
              missing studies is chosen from the sign of Egger's slope, as metafor does;
              the filled studies and the refitted model are returned.
- `fsn`       Rosenthal's (Stouffer), Orwin's and Rosenberg's fail-safe N.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import ValidationError
from alsreview.meta.results import RmaResult
from alsreview.results import Result

if TYPE_CHECKING:
    from numpy.typing import ArrayLike


PREDICTORS = ("sei", "vi", "ni", "ninv", "sqrtni", "sqrtninv")


def _yi_vi(x: Any, vi: Any = None) -> tuple[np.ndarray, np.ndarray]:
    """yi/vi from a fitted model or from arrays; rows with a missing value are dropped."""
    if hasattr(x, "yi") and hasattr(x, "vi") and vi is None:
        return np.asarray(x.yi, float), np.asarray(x.vi, float)
    if vi is None:
        raise ValidationError("give a fitted rma model, or yi together with vi")
    y = np.asarray(x, float).ravel()
    v = np.asarray(vi, float).ravel()
    if y.shape != v.shape:
        raise ValidationError(f"yi has {y.size} values but vi has {v.size}")
    ok = ~(np.isnan(y) | np.isnan(v))
    return y[ok], v[ok]


# --------------------------------------------------------------------------- regtest


@dataclass(frozen=True, repr=False)
class RegtestResult(Result):
    """Egger-type regression test for funnel-plot asymmetry."""

    zval: float
    pval: float
    limit_estimate: float | None
    ci_lb: float | None
    ci_ub: float | None
    predictor: str
    model: str
    method: str
    test: str
    ddf: int | None
    fit: Any = None

    _dict_keys = ("zval", "pval", "limit_estimate")

    def summary(self) -> str:
        stat = "z" if self.test == "z" and self.model == "rma" else f"t({self.ddf})"
        lines = [
            f"Regression test for funnel plot asymmetry ({self.model}, predictor {self.predictor})",
            f"  {stat} = {self.zval:.4f}, p = {self.pval:.4g}",
        ]
        if self.limit_estimate is not None:
            lines.append(
                f"  limit estimate (as {self.predictor} -> 0): {self.limit_estimate:.4f} "
                f"(CI {self.ci_lb:.4f} to {self.ci_ub:.4f})"
            )
        return "\n".join(lines)


def _predictor_column(predictor: str, vi: np.ndarray, ni: Any) -> np.ndarray:
    if predictor == "sei":
        return np.sqrt(vi)
    if predictor == "vi":
        return vi
    if ni is None:
        raise ValidationError(f"predictor {predictor!r} needs the sample sizes ni")
    n = np.asarray(ni, float).ravel()
    if n.size != vi.size:
        raise ValidationError(f"ni has {n.size} values for {vi.size} studies")
    return {"ni": n, "ninv": 1 / n, "sqrtni": np.sqrt(n), "sqrtninv": 1 / np.sqrt(n)}[predictor]


def regtest(
    x: ArrayLike | RmaResult,
    vi: ArrayLike | None = None,
    *,
    ni: ArrayLike | None = None,
    model: str = "rma",
    predictor: str = "sei",
    method: str | None = None,
    test: str | None = None,
    level: float | None = None,
) -> RegtestResult:
    """Egger's regression test as ``metafor::regtest`` (default ``model="rma"``).

    ``model="rma"``: refit the model with the predictor (default the standard error
    sqrt(vi)) as an extra moderator, same ``method`` and ``test`` as the fit; the statistic
    is the slope's z (or t for knha). ``model="lm"``: classic Egger, weighted least squares
    of yi on the predictor with weights 1/vi and a t test on k - 2 df.
    For predictors sei, vi, ninv and sqrtninv the intercept is the "limit estimate".
    """
    from alsreview.meta.rma import rma

    if predictor not in PREDICTORS:
        raise ValidationError(f"unknown predictor {predictor!r}; use one of {PREDICTORS}")
    if model not in ("rma", "lm"):
        raise ValidationError("model must be 'rma' or 'lm'")
    fit = x if isinstance(x, RmaResult) and vi is None else None
    y, v = _yi_vi(x, vi)
    if fit is not None:
        X = np.asarray(fit.X, float)
        method = method or fit.method
        test = test or fit.test
        level = fit.level if level is None else level
        weights = getattr(fit, "user_weights", None)
    else:
        X = np.ones((y.size, 1))
        method = method or "REML"
        test = test or "z"
        level = 95 if level is None else level
        weights = None
    col = _predictor_column(predictor, v, ni)
    Xp = np.column_stack([X, col])
    if np.linalg.matrix_rank(Xp) < Xp.shape[1]:
        raise ValidationError("the model matrix is not of full rank once the predictor is added")
    p = X.shape[1]
    limit = predictor in ("sei", "vi", "ninv", "sqrtninv") and p == 1
    est: float | None = None
    lb: float | None = None
    ub: float | None = None
    if model == "rma":
        fit = rma(
            y, v, mods=Xp, intercept=False, method=method, test=test, level=level, weights=weights
        )
        zval, pval = float(fit.zval[p]), float(fit.pval[p])
        ddf = fit.ddf
        est = float(fit.b[0]) if limit else None
        lb = float(fit.ci_lb[0]) if limit else None
        ub = float(fit.ci_ub[0]) if limit else None
    else:
        from alsreview.meta.distributions import t_ppf, t_sf

        w = 1 / v
        sw = np.sqrt(w)
        coef, *_ = np.linalg.lstsq(Xp * sw[:, None], y * sw, rcond=None)
        resid = y - Xp @ coef
        ddf = y.size - Xp.shape[1]
        sigma2 = float(np.sum(w * resid**2) / ddf)
        cov = sigma2 * np.linalg.inv(Xp.T @ (Xp * w[:, None]))
        se = np.sqrt(np.diag(cov))
        zval = float(coef[p] / se[p])
        pval = float(2 * t_sf(abs(zval), ddf))
        crit = float(t_ppf(1 - (1 - level / 100) / 2, ddf))
        if limit:
            est = float(coef[0])
            lb = est - crit * float(se[0])
            ub = est + crit * float(se[0])
        fit = None
        test = "t"
    return RegtestResult(
        zval=zval,
        pval=pval,
        limit_estimate=est,
        ci_lb=lb,
        ci_ub=ub,
        predictor=predictor,
        model=model,
        method=method,
        test=test,
        ddf=ddf,
        fit=fit,
    )


# --------------------------------------------------------------------------- ranktest


@dataclass(frozen=True, repr=False)
class RanktestResult(Result):
    """Begg and Mazumdar's rank correlation test."""

    tau: float
    pval: float
    exact: bool
    pval_normal: float  # normal approximation, always available

    _dict_keys = ("tau", "pval")

    def summary(self) -> str:
        if not self.exact:
            how = f"p = {self.pval:.4g} (normal approximation)"
        elif math.isnan(self.pval):
            how = (
                "exact p not computable for more than 170 studies (as in R); "
                f"normal approximation p = {self.pval_normal:.4g}"
            )
        else:
            how = f"p = {self.pval:.4g} (exact)"
        return (
            "Rank correlation test for funnel plot asymmetry\n"
            f"  Kendall's tau = {self.tau:.4f}, {how}"
        )


def ranktest(
    x: ArrayLike | RmaResult, vi: ArrayLike | None = None, *, exact: bool = True
) -> RanktestResult:
    """Begg & Mazumdar (1994) test as ``metafor::ranktest``.

    Standardised deviates (yi - theta_FE) / sqrt(vi - 1/sum(1/vi)) are rank-correlated with
    vi (Kendall's tau-b). As R's ``cor.test(..., exact=TRUE)``: the exact null distribution
    when there are no ties (NaN beyond 170 studies, where R's computation overflows; the
    normal approximation is kept in ``pval_normal``), otherwise the normal approximation
    with the tie-corrected variance and no continuity correction.  Identical effects give
    tau = NaN, as R does.
    """
    y, v = _yi_vi(x, vi)
    if y.size < 3:
        raise ValidationError("the rank correlation test needs at least 3 studies")
    w = 1 / v
    theta = float(np.sum(w * y) / np.sum(w))
    ystar = (y - theta) / np.sqrt(v - 1 / np.sum(w))
    ties = len(np.unique(ystar)) < ystar.size or len(np.unique(v)) < v.size
    use_exact = exact and not ties
    tau, p_normal, n_concordant = _kendall(ystar, v)
    if not use_exact or math.isnan(tau):
        pval = p_normal
    elif y.size > 170:
        pval = math.nan  # R's exact Kendall distribution overflows (n! > 1e308): NaN
    else:
        pval = _kendall_exact_p(y.size, n_concordant)
    return RanktestResult(tau=tau, pval=pval, exact=use_exact, pval_normal=p_normal)


def _tie_sums(a: np.ndarray) -> tuple[float, float, float, float]:
    """Over groups of tied values (sizes t): sum t(t-1)/2, t(t-1)(2t+5), t(t-1), t(t-1)(t-2)."""
    t = np.unique(a, return_counts=True)[1].astype(float)
    t = t[t > 1]
    return (
        float(np.sum(t * (t - 1) / 2)),
        float(np.sum(t * (t - 1) * (2 * t + 5))),
        float(np.sum(t * (t - 1))),
        float(np.sum(t * (t - 1) * (t - 2))),
    )


def _kendall(x: np.ndarray, y: np.ndarray) -> tuple[float, float, int]:
    """Kendall's tau-b, its two-sided normal-approximation p (tie-corrected variance of
    S = concordant - discordant; Kendall 1970, ch. 4) and the number of concordant pairs."""
    from alsreview.meta.distributions import norm_sf

    n = x.size
    if n > 3000:  # the pairwise sign matrix would be large; scipy counts in O(n log n)
        from scipy.stats import kendalltau

        res = kendalltau(x, y, method="asymptotic")
        return float(res.statistic), float(res.pvalue), -1
    s_pairs = np.sign(x[:, None] - x[None, :]) * np.sign(y[:, None] - y[None, :])
    upper = np.triu_indices(n, 1)
    prod = s_pairs[upper]
    S = float(prod.sum())
    n_concordant = int(np.count_nonzero(prod > 0))
    n0 = n * (n - 1) / 2
    tx, vx, ax, bx = _tie_sums(x)
    ty, vy, ay, by = _tie_sums(y)
    denom = math.sqrt((n0 - tx) * (n0 - ty)) if n0 > max(tx, ty) else 0.0
    if denom == 0:
        return math.nan, math.nan, n_concordant
    tau = S / denom
    var_s = (n * (n - 1) * (2 * n + 5) - vx - vy) / 18
    var_s += ax * ay / (2 * n * (n - 1))
    if n > 2:
        var_s += bx * by / (9 * n * (n - 1) * (n - 2))
    p = float(2 * norm_sf(abs(S) / math.sqrt(var_s)))
    return tau, min(1.0, p), n_concordant


def _kendall_exact_p(n: int, concordant: int) -> float:
    """Two-sided exact p of Kendall's statistic without ties: the number of concordant pairs
    of a random permutation follows the Mahonian distribution (inversion counts), built
    here by adding one element at a time; p = min(1, 2 min(P(T <= t), P(T >= t)))."""
    n0 = n * (n - 1) // 2
    dist = np.zeros(n0 + 1)
    dist[0] = 1.0
    for m in range(2, n + 1):  # inserting the m-th element adds 0..m-1 inversions
        c = np.cumsum(dist)
        shifted = np.concatenate([np.zeros(m), c[:-m]])
        dist = (c - shifted) / m
    cdf = np.cumsum(dist)
    lower = cdf[concordant]
    upper = 1.0 - (cdf[concordant - 1] if concordant > 0 else 0.0)
    return float(min(1.0, 2 * min(lower, upper)))


# --------------------------------------------------------------------------- trimfill


@dataclass(frozen=True, repr=False)
class TrimfillResult(Result):
    """Trim-and-fill: number of filled studies, their values, and the refitted model."""

    k0: int
    se_k0: float
    side: str
    estimator: str
    fit: Any
    yi: np.ndarray
    vi: np.ndarray
    fill: np.ndarray  # True for the imputed studies
    p_k0: float | None = None

    @property
    def estimate(self) -> float:
        return float(self.fit.b[0])

    @property
    def se(self) -> float:
        return float(self.fit.se[0])

    @property
    def tau2(self) -> float:
        return float(self.fit.tau2)

    @property
    def yi_fill(self) -> np.ndarray:
        return self.yi[self.fill]

    @property
    def vi_fill(self) -> np.ndarray:
        return self.vi[self.fill]

    @property
    def ci_lb(self) -> float:
        return float(self.fit.ci_lb[0])

    @property
    def ci_ub(self) -> float:
        return float(self.fit.ci_ub[0])

    _dict_keys = ("k0", "side", "estimate", "se", "tau2", "ci_lb", "ci_ub", "se_k0")

    def summary(self) -> str:
        return (
            f"Trim-and-fill ({self.estimator}): estimated {self.k0} missing "
            f"stud{'y' if self.k0 == 1 else 'ies'} on the {self.side} side "
            f"(SE {self.se_k0:.4f})\n"
            f"  adjusted estimate {self.estimate:.4f} (SE {self.se:.4f}), tau2 = {self.tau2:.4f}"
        )


def trimfill(
    fit: RmaResult, *, side: str | None = None, estimator: str = "L0", maxiter: int = 100
) -> TrimfillResult:
    """Duval & Tweedie's trim-and-fill as ``metafor::trimfill.rma.uni``.

    Side (unless given): "right" when the slope of sqrt(vi) in the fit's model is negative,
    else "left". Iteratively: fit the k - k0 least extreme studies, rank |yi - beta| and
    estimate k0 by L0 = (4 S_r - k(k+1)) / (2k - 1) (S_r: sum of the ranks of the positive
    deviations), R0 or Q0, rounded (half to even) until k0 is stable. The k0 most extreme
    studies are mirrored about the last trimmed estimate and the model is refitted.
    """
    from alsreview.meta.rma import rma

    if getattr(fit, "p", 1) != 1:
        raise ValidationError("trim-and-fill applies only to models without moderators")
    if estimator not in ("L0", "R0", "Q0"):
        raise ValidationError(f"unknown estimator {estimator!r}; use L0, R0 or Q0")
    y0 = np.asarray(fit.yi, float)
    v0 = np.asarray(fit.vi, float)
    k = y0.size
    if k == 1:
        raise ValidationError("trim-and-fill needs more than one study")
    uw = getattr(fit, "user_weights", None)
    w0 = None if uw is None else np.asarray(uw, float)
    method = fit.method
    opts: dict = {}  # metafor refits with its defaults (z test, 95% level) here
    if side is None:
        egger = rma(y0, v0, mods=np.sqrt(v0), method=method, weights=w0, **opts)
        side = "right" if egger.b[1] < 0 else "left"
    elif side not in ("left", "right"):
        raise ValidationError("side must be 'left' or 'right'")
    y = -y0 if side == "right" else y0.copy()
    order = np.argsort(y, kind="stable")
    y, v = y[order], v0[order]
    w = None if w0 is None else w0[order]
    k0, k0_prev, it = 0, -1, 0
    beta = math.nan
    se_k0 = math.nan
    while k0 != k0_prev:
        k0_prev = k0
        it += 1
        if it > maxiter:
            raise ValidationError("trim-and-fill did not converge")
        keep = slice(0, k - k0)
        sub = rma(y[keep], v[keep], method=method, weights=None if w is None else w[keep], **opts)
        beta = float(sub.b[0])
        dev = y - beta
        ranks = np.empty(k)
        ranks[np.argsort(np.abs(dev), kind="stable")] = np.arange(1, k + 1)
        signed = np.sign(dev) * ranks
        if estimator == "R0":
            est = float((k - np.max(-signed[signed < 0])) - 1)
            se_k0 = math.sqrt(2 * max(0.0, est) + 2)
        else:
            Sr = float(np.sum(signed[signed > 0]))
            if estimator == "L0":
                est = (4 * Sr - k * (k + 1)) / (2 * k - 1)
            else:
                est = k - 0.5 - _rsqrt(2 * k**2 - 4 * Sr + 0.25)
            var_sr = (
                k * (k + 1) * (2 * k + 1)
                + 10 * est**3
                + 27 * est**2
                + 17 * est
                - 18 * k * est**2
                - 18 * k * est
                + 6 * k**2 * est
            ) / 24
            if estimator == "L0":
                se_k0 = 4 * _rsqrt(var_sr) / (2 * k - 1)
            else:
                se_k0 = 2 * _rsqrt(var_sr) / _rsqrt((k - 0.5) ** 2 - est * (2 * k - est - 1))
        # half to even, as R; a NaN estimate (identical effects, no deviations) is no study
        k0 = 0 if math.isnan(est) else max(0, round(float(est)))
        se_k0 = max(0.0, se_k0) if not math.isnan(se_k0) else math.nan
    p_k0 = None
    if estimator == "R0":
        m = np.arange(-1, k0)
        from scipy.special import comb

        p_k0 = float(1 - np.sum(comb(m + 1, m + 1) * 0.5 ** (m + 2)))
    if k0 > 0:
        mirrored = 2 * beta - y[k - k0 :]  # on the flipped scale
        filled = -mirrored if side == "right" else mirrored
        yi = np.concatenate([y0, filled])
        vi = np.concatenate([v0, v[k - k0 :]])
        wi = None if w is None else np.concatenate([w0, w[k - k0 :]])
        refit = rma(yi, vi, method=method, weights=wi, **opts)
    else:
        yi, vi, refit = y0, v0, fit
    fill = np.concatenate([np.zeros(k, bool), np.ones(k0, bool)])
    return TrimfillResult(
        k0=k0,
        se_k0=se_k0,
        side=side,
        estimator=estimator,
        fit=refit,
        yi=yi,
        vi=vi,
        fill=fill,
        p_k0=p_k0,
    )


def _rsqrt(x: float) -> float:
    """sqrt as R computes it: NaN (not an error) below zero."""
    return math.sqrt(x) if x >= 0 else math.nan


# --------------------------------------------------------------------------- fsn


@dataclass(frozen=True, repr=False)
class FsnResult(Result):
    """Fail-safe N: how many null studies would overturn the result."""

    type: str
    fsnum: int | float  # a whole number of studies, or inf
    alpha: float
    pval: float | None
    meanes: float | None
    target: float | None

    _dict_keys = ("fsnum", "type", "alpha", "pval")

    def summary(self) -> str:
        lines = [f"Fail-safe N ({self.type}): {self.fsnum}"]
        if self.pval is not None:
            lines.append(f"  observed significance level p = {self.pval:.4g}")
        if self.target is not None:
            lines.append(f"  average effect {self.meanes:.4f}, target {self.target:.4f}")
        return "\n".join(lines)


def fsn(
    yi: ArrayLike | RmaResult,
    vi: ArrayLike | None = None,
    *,
    type: str = "Rosenthal",
    alpha: float = 0.05,
    target: float | None = None,
    weighted: bool = False,
) -> FsnResult:
    """Fail-safe N as ``metafor::fsn``.

    Rosenthal (Stouffer): N = k (z_avg / z_alpha)^2 - k with z_avg = |sum(yi/sei)| / sqrt(k),
    one-sided z_alpha. Orwin: N = k (mean - target) / target (target default mean/2).
    Rosenberg: N = k ((sum(wi yi) / z_{alpha/2})^2 - sum(wi)) / sum(wi), wi = 1/vi.
    Non-integers are rounded up.
    """
    from alsreview.meta.distributions import norm_ppf, norm_sf

    y, v = _yi_vi(yi, vi)
    k = y.size
    pval = meanes = None
    if type == "Rosenthal":
        z_avg = abs(float(np.sum(y / np.sqrt(v))) / math.sqrt(k))
        pval = float(norm_sf(z_avg))
        n = max(0.0, k * (z_avg / norm_ppf(1 - alpha)) ** 2 - k)
        target = None
    elif type == "Orwin":
        meanes = float(np.sum(y / v) / np.sum(1 / v)) if weighted else float(np.mean(y))
        if target is None:
            target = meanes / 2
        if target == 0:
            n = math.inf
        else:
            if math.copysign(1, target) != math.copysign(1, meanes):
                target = -target
            n = max(0.0, k * (meanes - target) / target)
    elif type == "Rosenberg":
        w = 1 / v
        meanes = float(np.sum(w * y) / np.sum(w))
        zval = meanes / math.sqrt(1 / np.sum(w))
        pval = float(2 * norm_sf(abs(zval)))
        wp = (float(np.sum(w * y)) / norm_ppf(1 - alpha / 2)) ** 2 - float(np.sum(w))
        n = max(0.0, k * wp / float(np.sum(w)))
        target = None
    else:
        raise ValidationError(f"unknown fail-safe N type {type!r}: Rosenthal, Orwin, Rosenberg")
    if math.isinf(n):
        fsnum = n
    elif abs(n - round(n)) >= math.sqrt(np.finfo(float).eps):
        fsnum = math.ceil(n)
    else:
        fsnum = round(n)
    return FsnResult(
        type=type,
        fsnum=fsnum,
        alpha=alpha,
        pval=pval,
        meanes=meanes,
        target=target,
    )
