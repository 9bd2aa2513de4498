"""Fixed-, random- and mixed-effects meta-analysis, as metafor's ``rma.uni`` (metafor 3.8).

In: effect sizes ``yi`` with sampling variances ``vi`` (see :mod:`alsreview.meta.effects`),
optional moderators - as arrays, or as column names of ``data=`` (a DataFrame or a mapping of
columns).  Out: a frozen :class:`~alsreview.meta.results.RmaResult`; ``.predict()`` and
``.confint()`` give ``Prediction`` and ``Confint``.

``rma(yi, vi, mods=None, method="REML", test="z", *, sei, weights, intercept, level=95,
control, data, slab)``; ``method`` is one of EE (alias FE), DL, HE, HS, HSk, SJ, ML, REML,
EB, PM, PMM, GENQ (``weights`` default 1/vi; tau^2 estimators in
:mod:`alsreview.meta.estimators`); ``test`` is "z" or "knha" (Knapp & Hartung 2003);
``level`` is a percentage (95, not 0.95).

As metafor, studies with a missing (NaN) ``yi``, ``vi`` or moderator value are left out of
the fit and the result says so (``omitted``, ``notes``); infinite values, negative variances
and numbers too large to square in double precision are refused, naming the study.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import ConvergenceError, ValidationError
from alsreview.meta.design import Design
from alsreview.meta.distributions import chi2_sf, f_sf, norm_ppf, norm_sf, t_ppf, t_sf
from alsreview.meta.effects import EffectSizes
from alsreview.meta.estimators import (
    CONTROL_DEFAULTS,
    METHODS,
    control_settings,
    estimate_tau2,
    method_name,
)
from alsreview.meta.results import Confint, Prediction, RmaResult, frozen
from alsreview.results import check_level

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

    #: a moderator matrix, one column, or column names of ``data`` (text columns: factors)
    Moderators = ArrayLike | str | Sequence[str] | Mapping[str, ArrayLike | Sequence[object]]

    from alsreview.meta.estimators import Control, ControlSettings

__all__ = ["CONTROL_DEFAULTS", "METHODS", "TESTS", "Confint", "Prediction", "RmaResult", "rma"]

TESTS = ("z", "knha")
_EPS = 2.220446049250313e-16
#: |yi| and vi beyond these overflow (or underflow) when squared and summed in doubles
MAX_ABS_YI = 1e100
VI_RANGE = (1e-100, 1e100)

_method_name = method_name  # the name other modules used before the split


# --------------------------------------------------------------------------- inputs


def _column(value: Any, data: Any, what: str) -> Any:
    """``value`` itself, or the column of ``data`` it names."""
    if isinstance(value, str):
        if data is None:
            raise ValidationError(f"{what}={value!r} names a column, but no data= was given")
        try:
            return data[value]
        except (KeyError, IndexError, TypeError):
            cols = list(data.columns) if hasattr(data, "columns") else list(data)
            raise ValidationError(
                f"{what}={value!r}: no such column in data (columns: {', '.join(map(str, cols))})"
            ) from None
    return value


def _where(i: int, slab: Sequence[str] | None) -> str:
    return f"study {i + 1}" + (f" ({slab[i]})" if slab is not None else "")


def _check_values(y: np.ndarray, v: np.ndarray, slab: Sequence[str] | None) -> None:
    """Refuse infinite, negative or unrepresentably large/small inputs, naming the studies."""
    problems: list[str] = []
    for i in np.flatnonzero(np.isinf(y))[:10]:
        problems.append(f"{_where(i, slab)}: yi is {y[i]} (not a finite number)")
    for i in np.flatnonzero(np.isinf(v))[:10]:
        problems.append(f"{_where(i, slab)}: vi is {v[i]} (not a finite number)")
    for i in np.flatnonzero(v < 0)[:10]:
        problems.append(
            f"{_where(i, slab)}: sampling variance vi = {v[i]:g} is negative (must be >= 0)"
        )
    for i in np.flatnonzero(np.abs(y) > MAX_ABS_YI)[:10]:
        problems.append(
            f"{_where(i, slab)}: yi = {y[i]:g} is too large to pool in double precision "
            f"(|yi| <= {MAX_ABS_YI:g}; rescale the effect sizes)"
        )
    lo, hi = VI_RANGE
    for i in np.flatnonzero((v > hi) | ((v > 0) & (v < lo)))[:10]:
        problems.append(
            f"{_where(i, slab)}: vi = {v[i]:g} is outside {lo:g} to {hi:g}, where weights "
            "1/vi overflow when squared"
        )
    if problems:
        raise ValidationError(problems)


def _model_matrix(mods: Any, k: int, intercept: bool) -> tuple[np.ndarray, tuple[str, ...]]:
    """Build X from moderators: numbers as they are, text columns dummy-coded (first level
    is the reference, as R's treatment contrasts).  Missing values (NaN, None, "") give NaN
    rows, which ``rma`` leaves out as metafor does."""
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
                missing = np.array([_is_missing(x) for x in col], dtype=bool)
                labels = np.array([str(x) for x in col])
                levels = sorted(set(labels[~missing]))
                for level in levels[1:]:
                    dummy = (labels == level).astype(float)
                    dummy[missing] = np.nan
                    cols.append(dummy)
                    names.append(f"{name}{level}")
                if len(levels) < 2 and missing.any():
                    cols.append(np.where(missing, np.nan, 0.0))  # keeps the rows' missingness
                    names.append("")
    if intercept:
        cols.insert(0, np.ones(k))
        names.insert(0, "intrcpt")
    if not cols:
        raise ValidationError("a model without intercept needs moderators")
    X = np.column_stack(cols)
    if np.any(np.isinf(X)):
        raise ValidationError("moderators contain infinite values")
    return X, tuple(names)


def _is_missing(x: Any) -> bool:
    if x is None:
        return True
    if isinstance(x, float) and math.isnan(x):
        return True
    return isinstance(x, str) and x.strip() in ("", "NA")


# --------------------------------------------------------------------------- rma


def rma(
    yi: ArrayLike | str | EffectSizes,
    vi: ArrayLike | str | None = None,
    mods: Moderators | None = None,
    method: str = "REML",
    test: str = "z",
    *,
    sei: ArrayLike | str | None = None,
    weights: ArrayLike | str | None = None,
    intercept: bool = True,
    level: float = 95,
    control: Control | None = None,
    data: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    slab: ArrayLike | str | None = None,
) -> RmaResult:
    """Fit a fixed/random/mixed-effects meta-analysis as ``metafor::rma.uni``.

    Model: y_i = x_i'b + u_i + e_i, u_i ~ N(0, tau2), e_i ~ N(0, v_i); b by weighted least
    squares with weights 1/(v_i + tau2) (or user ``weights`` with GENQ), tau2 by ``method``.
    With ``data=`` (DataFrame or mapping), ``yi``, ``vi``, ``sei``, ``weights`` and ``slab``
    may be column names and ``mods`` a column name or a list of them.  ``slab``: study
    labels, kept on the result.  ``control`` accepts metafor's ``threshold``, ``maxiter``,
    ``tol``, ``stepadj``, ``tau2_init``, ``tau2_min``, ``tau2_max``, ``ll0check``.
    """
    method = method_name(method)
    if test not in TESTS:
        raise ValidationError(f"unknown test {test!r}; use 'z' or 'knha'")
    level = check_level(level)
    if isinstance(yi, EffectSizes) and vi is None and sei is None:  # an escalc result
        es = yi
        yi, vi, slab = es.yi, es.vi, es.slab if slab is None else slab
    yi, vi, sei = (_column(x, data, n) for x, n in ((yi, "yi"), (vi, "vi"), (sei, "sei")))
    weights, slab = _column(weights, data, "weights"), _column(slab, data, "slab")
    if isinstance(mods, str):
        mods = [mods]
    if isinstance(mods, list) and mods and all(isinstance(m, str) for m in mods):
        mods = {m: _column(m, data, "mods") for m in mods}
    y = np.asarray(yi, dtype=float).ravel()
    if vi is None:
        if sei is None:
            raise ValidationError("give vi or sei")
        v = np.asarray(sei, dtype=float).ravel() ** 2
    else:
        v = np.asarray(vi, dtype=float).ravel()
    k_all = y.size
    if v.size != k_all:
        raise ValidationError(f"yi has {k_all} values but vi has {v.size}")
    labels = None if slab is None else tuple(str(s) for s in np.asarray(slab, dtype=object))
    if labels is not None and len(labels) != k_all:
        raise ValidationError(f"slab has {len(labels)} labels for {k_all} studies")
    _check_values(y, v, labels)
    names: tuple[str, ...]
    if mods is None and intercept:
        X, names = np.ones((k_all, 1)), ("intrcpt",)
    else:
        X, names = _model_matrix(mods, k_all, intercept)
    user_w = None
    if weights is not None:
        user_w = np.asarray(weights, dtype=float).ravel()
        if user_w.size != k_all:
            raise ValidationError(f"weights has {user_w.size} values for {k_all} studies")

    # as metafor: studies with a missing value are left out, with a note
    missing = np.isnan(y) | np.isnan(v) | np.isnan(X).any(axis=1)
    if user_w is not None:
        missing |= np.isnan(user_w)
    omitted = tuple(int(i) for i in np.flatnonzero(missing))
    notes: list[str] = []
    if omitted:
        keep = ~missing
        y, v, X = y[keep], v[keep], X[keep]
        user_w = None if user_w is None else user_w[keep]
        shown = ", ".join(_where(i, labels) for i in omitted[:10])
        more = f" and {len(omitted) - 10} more" if len(omitted) > 10 else ""
        notes.append(
            f"{len(omitted)} stud{'y' if len(omitted) == 1 else 'ies'} with missing values "
            f"omitted from model fitting: {shown}{more}"
        )
        labels = None if labels is None else tuple(np.asarray(labels, dtype=object)[keep])
        if names and "" in names:  # the placeholder column of an all-missing factor
            j = names.index("")
            X = np.delete(X, j, axis=1)
            names = names[:j] + names[j + 1 :]
    elif "" in names:
        j = names.index("")
        X = np.delete(X, j, axis=1)
        names = names[:j] + names[j + 1 :]
    k = y.size
    if k == 0:
        raise ValidationError(
            "no studies to pool" + (" (all have missing values)" if omitted else "")
        )
    con = control_settings(control)
    d = Design(X)
    p = d.p
    if p > k:
        raise ValidationError(f"{p} coefficients but only {k} studies")
    if p > 1 and np.linalg.matrix_rank(X) < p:
        raise ValidationError("model matrix not of full rank (redundant moderators)")
    if method not in ("EE", "REML", "ML", "HE", "EB", "GENQ") and (v <= 0).any():
        bad = ", ".join(str(i + 1) for i in np.flatnonzero(v <= 0)[:10])
        raise ValidationError(f"{method} needs positive sampling variances (vi = 0 in study {bad})")
    if method != "EE" and k - p < 1 and k > 1:
        raise ValidationError(f"{method} needs more studies than coefficients (k = {k}, p = {p})")
    if test == "knha" and k - p < 1:
        raise ValidationError(
            f"the Knapp-Hartung test needs more studies than coefficients (k = {k})"
        )
    if user_w is None and method == "GENQ":
        user_w = 1 / v

    est = estimate_tau2(
        y[None, :], v[None, :], d, method, None if user_w is None else user_w[None, :], con
    )
    tau2 = float(est.tau2[0])
    if not math.isfinite(tau2):
        raise ValidationError(
            "tau^2 is not finite: the effect sizes are too spread out to pool in double precision"
        )
    se_tau2 = None if method == "EE" or k == 1 else float(est.se_tau2[0])
    wi = 1 / (v + tau2)
    s2w = 1.0
    if user_w is not None:
        A = user_w
        XA = X * A[:, None]
        stXAX = np.linalg.inv(X.T @ XA)
        b = stXAX @ (XA.T @ y)
        vb = stXAX @ (XA.T * (v + tau2)) @ XA @ stXAX
    elif d.intercept_only:
        sw = float(wi.sum())
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
        crit = float(t_ppf(1 - (1 - level / 100) / 2, k - p))
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
            ymc = y - y.mean()
            QE = max(0.0, float(d.Q(w_fe, ymc)))
            QEp = float(chi2_sf(QE, k - p))
            vt = (k - p) / float(d.tr_PD(w_fe))
            if method == "EE":
                I2 = max(0.0, 100 * (QE - (k - p)) / QE) if QE > 0 else 0.0
                H2 = QE / (k - p)
            elif tau2 == 0:
                I2, H2 = 0.0, 1.0
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
        b=frozen(b),
        se=frozen(se),
        zval=frozen(zval),
        pval=frozen(pval),
        ci_lb=frozen(b - crit * se),
        ci_ub=frozen(b + crit * se),
        vb=frozen(vb),
        tau2=float(tau2),
        se_tau2=se_tau2,
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
        yi=frozen(y),
        vi=frozen(v),
        X=frozen(X),
        coef_names=names,
        weights=frozen(100 * w_pct),
        method=method,
        test=test,
        level=level,
        ddf=ddf,
        s2w=float(s2w),
        vt=float(vt),
        iterations=int(est.iterations[0]),
        converged=bool(est.converged[0]),
        fallback="bracketing" if est.fallback[0] else None,
        user_weights=None if user_w is None else frozen(user_w),
        control=con,
        slab=labels,
        omitted=omitted,
        notes=tuple(notes),
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
    con: ControlSettings,
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
