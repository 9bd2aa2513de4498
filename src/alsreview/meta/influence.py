"""Leave-one-out analysis and case-deletion diagnostics, as metafor 3.8's ``leave1out`` and
``influence.rma.uni`` (with ``rstudent``, ``cooks.distance``, ``hatvalues``).

In:  a fitted `alsreview.meta.rma.RmaResult`.
Out: `Leave1outResult` (per omitted study: estimate, se, z, p, CI, Q, tau2, I2, H2) and
     `InfluenceResult` (per study: externally studentized residual, DFFITS, Cook's
     distance, covariance ratio, tau2 and QE without the study, hat value, weight,
     DFBETAS, and metafor's "influential" flag). ``to_dict()`` gives the key names of the
     reference files (``leave1out``: estimate, se, tau2, I2, Q; ``influence``: rstudent,
     cook_d, hat, dffits).

Each study is deleted in turn and the model refitted with the same estimator, test and
settings (Viechtbauer & Cheung 2010, Res Synth Methods 1:112-125).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import AlsreviewError, ValidationError
from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.meta.results import RmaResult


def _refit(fit: Any, keep: np.ndarray, *, with_X: bool) -> Any:
    from alsreview.meta.rma import rma

    uw = getattr(fit, "user_weights", None)
    kwargs: dict[str, Any] = {
        "method": fit.method,
        "test": fit.test,
        "level": fit.level,
        "weights": None if uw is None else np.asarray(uw, float)[keep],
    }
    control = getattr(fit, "control", None)
    if control:
        kwargs["control"] = dict(control)
    if with_X:
        return rma(fit.yi[keep], fit.vi[keep], mods=fit.X[keep], intercept=False, **kwargs)
    return rma(fit.yi[keep], fit.vi[keep], **kwargs)


_LEAVE1OUT_FIELDS = (
    "estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "Q", "Qp", "tau2", "I2", "H2",
)  # fmt: skip


@dataclass(frozen=True, repr=False)
class Leave1outResult(Result):
    """Results of the model refitted with each study left out in turn (arrays of length k)."""

    estimate: np.ndarray
    se: np.ndarray
    zval: np.ndarray
    pval: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    Q: np.ndarray
    Qp: np.ndarray
    tau2: np.ndarray
    I2: np.ndarray
    H2: np.ndarray

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict())

    summary_frame = to_frame

    def summary(self) -> str:
        lines = ["Leave-one-out", "  study  estimate      se    tau2     I2"]
        for i, row in enumerate(zip(self.estimate, self.se, self.tau2, self.I2, strict=True)):
            lines.append(f"  {i + 1:5d} {row[0]:9.4f} {row[1]:7.4f} {row[2]:7.4f} {row[3]:6.2f}")
        return "\n".join(lines)


def leave1out(fit: RmaResult) -> Leave1outResult:
    """Refit a model without moderators k times, leaving out one study each time."""
    if getattr(fit, "p", 1) != 1:
        raise ValidationError("leave-one-out applies to models without moderators")
    k = fit.k
    if k < 2:
        raise ValidationError("leave-one-out needs at least 2 studies")
    out = {n: np.full(k, np.nan) for n in _LEAVE1OUT_FIELDS}
    if _batchable(fit):
        try:
            return _leave1out_batch(fit, out)
        except AlsreviewError:
            out = {n: np.full(k, np.nan) for n in _LEAVE1OUT_FIELDS}  # one by one below
    for i in range(k):
        keep = np.arange(k) != i
        try:
            res = _refit(fit, keep, with_X=False)
        except AlsreviewError:
            continue  # as metafor: a refit that fails leaves NA in its row
        out["estimate"][i] = res.b[0]
        out["se"][i] = res.se[0]
        out["zval"][i] = res.zval[0]
        out["pval"][i] = res.pval[0]
        out["ci_lb"][i] = res.ci_lb[0]
        out["ci_ub"][i] = res.ci_ub[0]
        out["Q"][i] = res.QE
        out["Qp"][i] = res.QEp
        out["tau2"][i] = res.tau2
        out["I2"][i] = res.I2
        out["H2"][i] = res.H2
    return Leave1outResult(**out)


def _batchable(fit: Any) -> bool:
    """Intercept-only fits with the default weights refit as one vectorised ``rma_batch``."""
    uw = getattr(fit, "user_weights", None)
    default_w = uw is None or (fit.method == "GENQ" and np.allclose(uw, 1 / np.asarray(fit.vi)))
    return (
        fit.k >= 3
        and tuple(getattr(fit, "coef_names", ())) == ("intrcpt",)
        and default_w
        and bool(np.all(np.asarray(fit.vi) > 0))
    )


def _leave1out_batch(fit: Any, out: dict[str, np.ndarray]) -> Leave1outResult:
    """All k leave-one-out fits as rows of ``rma_batch`` (the same estimators and iterations
    as ``rma``), in chunks of at most ~2 million cells so memory stays bounded."""
    from alsreview.meta.batch import rma_batch

    k = fit.k
    y, v = np.asarray(fit.yi, float), np.asarray(fit.vi, float)
    idx = np.arange(k)
    step = max(1, 2_000_000 // k)
    names = {"Q": "QE", "Qp": "QEp"}
    for start in range(0, k, step):
        rows = idx[start : start + step]
        keep = idx[None, :] != rows[:, None]
        Y = np.broadcast_to(y, keep.shape)[keep].reshape(rows.size, k - 1)
        V = np.broadcast_to(v, keep.shape)[keep].reshape(rows.size, k - 1)
        res = rma_batch(
            Y, V, method=fit.method, test=fit.test, level=fit.level, control=dict(fit.control)
        )
        for name in _LEAVE1OUT_FIELDS:
            out[name][rows] = getattr(res, names.get(name, name))
    return Leave1outResult(**out)


def _influence_batch(
    fit: Any, out: dict[str, np.ndarray], l1o: Leave1outResult | None = None
) -> None:
    """The case-deletion quantities of an intercept-only z-test model from the leave-one-out
    fits of :func:`leave1out` (one chunked ``rma_batch``), written into ``out``'s arrays
    (for X = 1 and the z test: s2w = 1, Var(b) = 1/sum(w), the formulas of ``influence``)."""
    l1o = leave1out(fit) if l1o is None else l1o
    v = np.asarray(fit.vi, float)
    b, vb = float(fit.b[0]), float(fit.vb[0, 0])
    tau2 = l1o.tau2
    out["tau2_del"][:] = tau2
    out["QE_del"][:] = l1o.Q
    out["delpred"][:] = l1o.estimate
    out["vdelpred"][:] = l1o.se**2
    out["s2w_del"][:] = 1.0
    k = v.size
    sw_all = np.empty(k)  # sum over all k studies of 1/(v + tau2_(-i)), in bounded chunks
    step = max(1, 2_000_000 // k)
    for start in range(0, k, step):
        t = tau2[start : start + step]
        sw_all[start : start + step] = (1 / (v[None, :] + t[:, None])).sum(axis=1)
    dfb = b - l1o.estimate
    with np.errstate(invalid="ignore", divide="ignore"):
        out["dffits"][:] = dfb / np.sqrt(out["hat"] * (tau2 + v))
        out["dfbs"][:, 0] = dfb * np.sqrt(sw_all)
    out["cook_d"][:] = dfb**2 / vb
    out["cov_r"][:] = l1o.se**2 / vb


@dataclass(frozen=True, repr=False)
class InfluenceResult(Result):
    """Case-deletion diagnostics of a fitted model (arrays of length k; dfbs is k x p)."""

    rstudent: np.ndarray
    dffits: np.ndarray
    cook_d: np.ndarray
    cov_r: np.ndarray
    tau2_del: np.ndarray
    QE_del: np.ndarray
    hat: np.ndarray
    weight: np.ndarray
    dfbs: np.ndarray
    is_infl: np.ndarray
    resid: np.ndarray
    se_resid: np.ndarray

    _dict_keys = (
        "rstudent", "dffits", "cook_d", "cov_r", "tau2_del", "QE_del", "hat", "weight",
        ("inf", "is_infl"),
    )  # fmt: skip

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(self.to_dict())

    def summary(self) -> str:
        lines = ["Influence diagnostics", "  study rstudent  dffits  cook.d    hat  weight  inf"]
        for i in range(self.rstudent.size):
            lines.append(
                f"  {i + 1:5d} {self.rstudent[i]:8.4f} {self.dffits[i]:7.4f} "
                f"{self.cook_d[i]:7.4f} {self.hat[i]:6.4f} {self.weight[i]:7.3f}"
                f"  {'*' if self.is_infl[i] else ''}"
            )
        return "\n".join(lines)


def hatvalues(fit: RmaResult) -> np.ndarray:
    """Diagonal of H = X (X'WX)^-1 X'W, W = diag(1/(vi + tau2)) (user weights if given)."""
    X = np.asarray(fit.X, float)
    uw = getattr(fit, "user_weights", None)
    w = 1 / (fit.vi + fit.tau2) if uw is None else np.asarray(uw, float)
    XtWX_inv = np.linalg.inv(X.T @ (X * w[:, None]))
    h = np.einsum("ij,jk,ik->i", X, XtWX_inv, X) * w
    h[h > 1 - 10 * np.finfo(float).eps] = 1.0
    return h


def influence(fit: RmaResult, *, l1o: Leave1outResult | None = None) -> InfluenceResult:
    """Case-deletion diagnostics of ``metafor::influence.rma.uni`` (model weights 1/(vi+tau2)).

    For each study i, with the model refitted without it (tau2_(-i), b_(-i), s2w_(-i)):
    rstudent = (yi - xi'b_(-i)) / sqrt(vi s2w + xi' Var(b_(-i)) xi + tau2_(-i) s2w);
    DFFITS = xi'(b - b_(-i)) / sqrt(s2w h_i (tau2_(-i) + vi));
    Cook's D = (b - b_(-i))' Var(b)^-1 (b - b_(-i)); cov.r = det Var(b_(-i)) / det Var(b);
    DFBETAS = (b - b_(-i)) / sqrt(s2w diag((X' W_(-i) X)^-1)) with W_(-i) built on tau2_(-i).
    A study is flagged when |DFFITS| > 3 sqrt(p/(k-p)), P(chi2_p < D) > 0.5,
    h > 3p/k, or any |DFBETAS| > 1.  ``l1o``: ``leave1out(fit)`` if already computed.
    """
    from alsreview.meta.distributions import chi2_sf

    if getattr(fit, "user_weights", None) is not None:
        raise ValidationError("influence diagnostics are implemented for the default weights")
    X = np.asarray(fit.X, float)
    y = np.asarray(fit.yi, float)
    v = np.asarray(fit.vi, float)
    k, p = X.shape
    if k < 2:
        raise ValidationError("influence diagnostics need at least 2 studies")
    b = np.asarray(fit.b, float)
    vb = np.asarray(fit.vb, float)
    svb = np.linalg.inv(vb)
    hat = hatvalues(fit)
    pred_full = X @ b
    tau2_del = np.full(k, np.nan)
    QE_del = np.full(k, np.nan)
    delpred = np.full(k, np.nan)
    vdelpred = np.full(k, np.nan)
    s2w_del = np.full(k, np.nan)
    dffits = np.full(k, np.nan)
    dfbs = np.full((k, p), np.nan)
    cook_d = np.full(k, np.nan)
    cov_r = np.full(k, np.nan)
    if _batchable(fit) and fit.test == "z":
        arrays = {"tau2_del": tau2_del, "QE_del": QE_del, "delpred": delpred, "hat": hat}
        arrays.update(vdelpred=vdelpred, s2w_del=s2w_del, dffits=dffits, dfbs=dfbs)
        _influence_batch(fit, {**arrays, "cook_d": cook_d, "cov_r": cov_r}, l1o)
    else:
        for i in range(k):
            keep = np.arange(k) != i
            if np.linalg.matrix_rank(X[keep]) < p:
                continue  # a coefficient is not estimable without this study
            try:
                res = _refit(fit, keep, with_X=True)
            except AlsreviewError:
                continue  # as metafor: a refit that fails leaves NA in its row
            bd = np.asarray(res.b, float)
            vbd = np.asarray(res.vb, float)
            tau2_del[i] = res.tau2
            QE_del[i] = res.QE
            delpred[i] = X[i] @ bd
            vdelpred[i] = X[i] @ vbd @ X[i]
            s2w_del[i] = res.s2w
            dffits[i] = (pred_full[i] - delpred[i]) / np.sqrt(res.s2w * hat[i] * (res.tau2 + v[i]))
            wd = 1 / (v + res.tau2)
            vb_del = np.linalg.inv(X.T @ (X * wd[:, None]))
            dfb = b - bd
            dfbs[i] = dfb / np.sqrt(res.s2w * np.diag(vb_del))
            cook_d[i] = dfb @ svb @ dfb
            cov_r[i] = np.linalg.det(vbd) / np.linalg.det(vb)

    resid = y - delpred
    resid[np.abs(resid) < 100 * np.finfo(float).eps] = 0.0
    se_resid = np.sqrt(v * s2w_del + vdelpred + tau2_del * s2w_del)
    rstudent = resid / se_resid
    with np.errstate(invalid="ignore"):
        is_infl = (
            (np.abs(dffits) > 3 * np.sqrt(p / (k - p)))
            | (1 - chi2_sf(cook_d, p) > 0.5)
            | (hat > 3 * p / k)
            | np.any(np.abs(dfbs) > 1, axis=1)
        )
    return InfluenceResult(
        rstudent=rstudent,
        dffits=dffits,
        cook_d=cook_d,
        cov_r=cov_r,
        tau2_del=tau2_del,
        QE_del=QE_del,
        hat=hat,
        weight=np.asarray(fit.weights, float),
        dfbs=dfbs,
        is_infl=is_infl,
        resid=resid,
        se_resid=se_resid,
    )
