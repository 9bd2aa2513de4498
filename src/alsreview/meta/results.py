"""Result objects of ``rma``: :class:`RmaResult` with ``predict()`` -> :class:`Prediction` and
``confint()`` -> :class:`Confint` (metafor's ``rma.uni``, ``predict.rma``, ``confint.rma.uni``).

RmaResult attributes (metafor's names):

    b / beta, se, zval, pval, ci_lb, ci_ub   coefficient arrays (length p; p = 1 without mods)
    vb                                        p x p variance-covariance matrix of b
    estimate                                  b[0] as a float (models without moderators)
    tau2, se_tau2                             between-study variance and its standard error
    I2, H2, QE, QEp                           heterogeneity (I2 in percent; QE with k - p df)
    QM, QMp, QMdf                             omnibus test of the moderators (F-test if knha)
    R2                                        pseudo-R2 in percent (models with moderators)
    k, p, yi, vi, X, coef_names, slab         the data the model was fitted to
    omitted, notes                            input rows left out (missing values) and why
    weights                                   percent weights of the studies in the fit
    method, test, level, ddf, s2w, vt         settings and by-products
    iterations, converged, fallback           tau2 iterations; fallback = "bracketing" when
                                              Fisher scoring did not converge and the root of
                                              the profile-likelihood score was bracketed
    to_dict()                                 the key names of the reference JSON files
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import ValidationError
from alsreview.meta.design import Design
from alsreview.meta.distributions import chi2_ppf, norm_ppf, t_ppf
from alsreview.meta.rootfind import R_TOL, uniroot
from alsreview.results import Result, check_level, plain
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

__all__ = ["Confint", "Prediction", "RmaResult"]


def frozen(a: ArrayLike) -> np.ndarray:
    out = np.array(a, dtype=float)
    out.setflags(write=False)
    return out


PREDICTION_FIELDS = ("pred", "se", "ci_lb", "ci_ub", "pi_lb", "pi_ub")


@dataclass(frozen=True, repr=False)
class Prediction(Result):
    """Predicted (pooled) effect with confidence and prediction interval (``predict.rma``)."""

    pred: np.ndarray
    se: np.ndarray
    ci_lb: np.ndarray
    ci_ub: np.ndarray
    pi_lb: np.ndarray
    pi_ub: np.ndarray

    def to_dict(self) -> JSONDict:
        """One number per key for a single prediction, lists for several."""
        out = super().to_dict()
        return {k: v[0] if len(v) == 1 else v for k, v in out.items()}

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame({f: np.asarray(getattr(self, f)) for f in PREDICTION_FIELDS})

    def summary(self) -> str:
        rows = ["    pred      se   ci.lb   ci.ub   pi.lb   pi.ub"]
        for i in range(self.pred.size):
            vals = (self.pred, self.se, self.ci_lb, self.ci_ub, self.pi_lb, self.pi_ub)
            rows.append(" ".join(f"{a[i]:7.4f}" for a in vals))
        return "\n".join(rows)


@dataclass(frozen=True, repr=False)
class Confint(Result):
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
    type: str = "QP"  # "QP" (Q-profile) or "GENQ" (generalised Q distribution)

    _dict_keys = ("tau2", "tau", "I2", "H2")

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        rows = [getattr(self, key) for key in ("tau2", "tau", "I2", "H2")]
        return pd.DataFrame(
            rows, index=["tau2", "tau", "I2", "H2"], columns=["estimate", "ci_lb", "ci_ub"]
        )

    def summary(self) -> str:
        how = "Q-profile" if self.type == "QP" else "generalised Q"
        lines = [f"          estimate     ci.lb     ci.ub   ({self.level:g}% {how})"]
        for name in ("tau2", "tau", "I2", "H2"):
            est, lb, ub = getattr(self, name)
            lines.append(f"{name:>6} {est:11.4f} {lb:9.4f} {ub:9.4f}")
        return "\n".join(lines)


@dataclass(frozen=True, repr=False)
class RmaResult(Result):
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
    slab: tuple[str, ...] | None = None
    omitted: tuple[int, ...] = ()
    notes: tuple[str, ...] = ()

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
        alpha = 1 - (self.level if level is None else check_level(level)) / 100
        if self.test == "knha" and self.ddf is not None:
            return float(t_ppf(1 - alpha / 2, self.ddf))
        return float(norm_ppf(1 - alpha / 2))

    def predict(self, newmods: ArrayLike | None = None, level: float | None = None) -> Prediction:
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
            frozen(pred),
            frozen(se),
            frozen(pred - crit * se),
            frozen(pred + crit * se),
            frozen(pred - half_pi),
            frozen(pred + half_pi),
        )

    def confint(self, level: float | None = None) -> Confint:
        """Q-profile confidence intervals for tau2, tau, I2, H2 (Viechtbauer 2007)."""
        if self.method == "EE":
            raise ValidationError("an equal-effects model has no random-effects component")
        if self.k - self.p < 1:
            raise ValidationError(
                f"confidence intervals for tau2 need more studies than coefficients (k = {self.k})"
            )
        if np.any(self.vi <= 0):
            raise ValidationError("Q-profile CIs need positive sampling variances")
        level = self.level if level is None else check_level(level)
        alpha = 1 - level / 100
        d = Design(self.X)
        if self.method == "GENQ":
            return self._confint_genq(d, level)
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
            ones = np.ones(self.k)
            yc = y - np.dot(y, ones) / self.k
            yc2 = yc * yc

            def Q(t: float) -> float:
                w = 1 / (v + t)
                swy = float(np.dot(w, yc))
                return float(np.dot(w, yc2)) - swy * swy / float(np.dot(w, ones))

        else:

            def Q(t: float) -> float:
                return float(d.Q(1 / (v + t), y))

        lb, ub, lb_sign, ub_sign = _profile_bounds(Q, crit_l, crit_u, tau2_min, tau2_max, tol)
        return self._confint(lb, ub, lb_sign, ub_sign, level, "QP")

    def _confint_genq(self, d: Design, level: float) -> Confint:
        """CI for tau2 from the exact distribution of the generalised Q statistic (Jackson
        2013, Res Synth Methods 4:220-229): Q = y'Py with P built on the GENQ weights is, at a
        given tau2, a weighted sum of chi2_1 variables whose weights are the eigenvalues of
        S P S, S = diag(sqrt(vi + tau2)); the bounds are the tau2 at which P(Q > Q_obs) is
        alpha/2 and 1 - alpha/2 (metafor's confint type "GENQ"; tail by Ruben's series)."""
        from alsreview.meta.quadform import quadform_sf

        if self.k > 2000:
            raise ValidationError(
                f"the GENQ interval needs the eigenvalues of a k x k matrix; k = {self.k} is too "
                "large (at most 2,000)"
            )
        alpha = 1 - level / 100
        y, v = np.asarray(self.yi), np.asarray(self.vi)
        A = np.asarray(self.user_weights if self.user_weights is not None else 1 / v)
        P = d.P(A)
        q_obs = float(y @ P @ y)
        m = self.k - self.p
        tau2_min = min(0.0, self.tau2)
        tau2_max = max(100.0, self.tau2 * 10, tau2_min * 10)

        def minus_sf(t: float) -> float:  # decreasing in tau2, like Q(tau2) in the Q-profile
            s = np.sqrt(v + t)
            lam = np.linalg.eigvalsh(s[:, None] * P * s[None, :])[::-1][:m]
            return -quadform_sf(q_obs, lam)

        tol = self.control.get("tol", R_TOL)
        lb, ub, lb_sign, ub_sign = _profile_bounds(
            minus_sf, -(1 - alpha / 2), -alpha / 2, tau2_min, tau2_max, tol
        )
        return self._confint(lb, ub, lb_sign, ub_sign, level, "GENQ")

    def _confint(
        self, lb: float, ub: float, lb_sign: str, ub_sign: str, level: float, kind: str
    ) -> Confint:
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
            type=kind,
        )

    _FIT_KEYS = (
        "estimate", "se", "zval", "pval", "ci_lb", "ci_ub", "tau2", "se_tau2", "I2", "H2",
        "QE", "QEp", "k", "test", "method", "fallback",
    )  # fmt: skip
    _METAREG_KEYS = (
        "moderator", "coef_names", "coef", "se", "zval", "pval", "ci_lb", "ci_ub", "QM", "QMp",
        "tau2", "se_tau2", "I2", "H2", "R2", "QE", "QEp", "k", "test", "method", "fallback",
    )  # fmt: skip

    @property
    def coef(self) -> np.ndarray:
        return self.b

    @property
    def moderator(self) -> list[str]:
        return [n for n in self.coef_names if n != "intrcpt"]

    def to_dict(self) -> JSONDict:
        """Numbers under the reference files' key names (fits / metareg objects); a model
        without moderators gives scalars.  ``omitted`` (1-based input rows) when any."""
        keys = self._METAREG_KEYS if self.has_moderators else self._FIT_KEYS
        out = {key: plain(getattr(self, key)) for key in keys}
        if not self.has_moderators:
            out = {k: v[0] if isinstance(v, list) and len(v) == 1 else v for k, v in out.items()}
        if self.omitted:
            out["omitted"] = [i + 1 for i in self.omitted]
        return out

    def summary_frame(self) -> pd.DataFrame:
        """The coefficient table (estimate, se, zval, pval, ci_lb, ci_ub) by coefficient."""
        import pandas as pd

        cols = {"estimate": self.b, "se": self.se, "zval": self.zval, "pval": self.pval}
        cols.update(ci_lb=self.ci_lb, ci_ub=self.ci_ub)
        return pd.DataFrame(
            {k: np.asarray(v) for k, v in cols.items()}, index=list(self.coef_names)
        )

    def study_frame(self) -> pd.DataFrame:
        """One row per fitted study: label, yi, vi and the percent weight."""
        import pandas as pd

        labels = self.slab or tuple(str(i + 1) for i in range(self.k))
        return pd.DataFrame(
            {
                "yi": np.asarray(self.yi),
                "vi": np.asarray(self.vi),
                "weight": np.asarray(self.weights),
            },
            index=pd.Index(labels, name="study"),
        )

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
        lines += [f"note: {note}" for note in self.notes]
        return "\n".join(lines)


def _profile_bounds(
    f: Any, crit_ub: float, crit_lb: float, lo: float, hi: float, tol: float
) -> tuple[float, float, str, str]:
    """Bounds of a test-inversion CI for tau2 from a statistic ``f`` decreasing in tau2:
    the upper bound solves f = crit_ub, the lower f = crit_lb (crit_ub < crit_lb), searched in
    [lo, hi]; a bound outside the interval is reported as the end with "<" or ">", as
    metafor's confint does."""
    f_hi, f_lo = f(hi), f(lo)
    lb = ub = math.nan
    lb_sign = ub_sign = ""
    if f_lo < crit_ub:
        lb = ub = lo
        lb_sign = ub_sign = "<"
    elif f_hi > crit_ub:
        ub, ub_sign = hi, ">"
    else:
        ub = uniroot(
            lambda t: f(t) - crit_ub,
            lo,
            hi,
            f_lower=f_lo - crit_ub,
            f_upper=f_hi - crit_ub,
            tol=tol,
        ).root
    if f_hi > crit_lb:
        lb = ub = hi
        lb_sign = ub_sign = ">"
    elif f_lo < crit_lb:
        lb = lo
        if lo > 0:
            lb_sign = "<"
    else:
        lb = uniroot(
            lambda t: f(t) - crit_lb,
            lo,
            hi,
            f_lower=f_lo - crit_lb,
            f_upper=f_hi - crit_lb,
            tol=tol,
        ).root
    return lb, ub, lb_sign, ub_sign
