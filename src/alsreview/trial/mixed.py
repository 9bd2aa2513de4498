"""Piecewise linear mixed model of ALSFRS-R over time, fitted by profiled REML.

In: long data (one row per patient and visit: patient id, month relative to treatment,
ALSFRS-R total). Out: a frozen `MixedModelResult` with the fixed effects (intercept, slope
before treatment `month`, change in slope after treatment `month_post`), their SEs and Wald
95% CIs, the random-effects covariance, σ², the REML criterion, and the patients whose
score fell below the floor (25 by default) where decline is no longer linear.

Model (lme4: ``lmer(alsfrs_r ~ month + month_post + (1 + month | patient_id), REML = TRUE)``)::

    y_ij = β0 + β1 t_ij + β2 max(t_ij − knot, 0) + b0_i + b1_i t_ij + ε_ij
    b_i ~ N(0, σ² Λ Λᵀ),  ε_ij ~ N(0, σ²)

The REML criterion is profiled over β and σ² as in lme4 (Bates et al. 2015, J Stat Softw
67(1), eqs. 34-42) and minimised over the lower-triangular relative covariance factor Λ.
With Mᵢ = ΛᵀZᵢᵀZᵢΛ + I, every term reduces to per-patient q×q blocks (Woodbury):

    XᵀV⁻¹X = XᵀX − Σᵢ XᵢᵀZᵢΛ Mᵢ⁻¹ ΛᵀZᵢᵀXᵢ      log|V| = Σᵢ log|Mᵢ|
    d(θ) = Σᵢ log|Mᵢ| + log|XᵀV⁻¹X| + (n − p)(1 + log(2π r²/(n − p)))

so one evaluation costs O(N q³) after one pass over the data. statsmodels' MixedLM fits
the same model but is far slower on 10,000 patients (see BENCHMARKS.md).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.errors import ConvergenceError, ValidationError
from alsreview.results import Result

if TYPE_CHECKING:
    import numpy as np
    import pandas as pd


@dataclass(frozen=True, repr=False)
class MixedModelResult(Result):
    """Fixed effects with SEs and Wald CIs, variance components and the floor flag."""

    names: tuple[str, ...]
    coef: tuple[float, ...]
    se: tuple[float, ...]
    ci_lower: tuple[float, ...]
    ci_upper: tuple[float, ...]
    sigma2: float  # residual variance
    G: tuple[tuple[float, ...], ...]  # covariance of (intercept, slope) random effects
    reml_criterion: float  # −2 × REML log-likelihood, as lme4's REMLcrit()
    n_obs: int
    n_patients: int
    knot: float
    level: float  # percent (95), as every level in alsreview
    below_floor: tuple[str, ...]  # patients with any score under `floor`
    floor: float

    def __getitem__(self, name: str) -> float:
        return self.coef[self.names.index(name)]

    @property
    def slope_change(self) -> float:
        """β2: change in ALSFRS-R slope (points per month) after treatment."""
        return self["month_post"]

    @property
    def slope_change_ci(self) -> tuple[float, float]:
        i = self.names.index("month_post")
        return self.ci_lower[i], self.ci_upper[i]

    def to_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame(
            {
                "term": self.names,
                "estimate": self.coef,
                "se": self.se,
                "ci_lower": self.ci_lower,
                "ci_upper": self.ci_upper,
            }
        )

    summary_frame = to_frame

    def summary(self) -> str:
        pct = round(self.level)
        lines = [
            f"Piecewise linear mixed model (REML), {self.n_obs} visits of "
            f"{self.n_patients} patients, knot at month {self.knot:g}",
            f"{'term':<12}{'estimate':>10}{'SE':>9}   {pct}% CI (Wald)",
        ]
        for i, n in enumerate(self.names):
            lines.append(
                f"{n:<12}{self.coef[i]:>10.4f}{self.se[i]:>9.4f}   "
                f"[{self.ci_lower[i]:.4f}, {self.ci_upper[i]:.4f}]"
            )
        lines.append(
            f"SD(intercept) {self.G[0][0] ** 0.5:.3f}, SD(slope) {self.G[1][1] ** 0.5:.3f}, "
            f"residual SD {self.sigma2**0.5:.3f}"
        )
        if self.below_floor:
            lines.append(
                f"{len(self.below_floor)} patients fell below {self.floor:g} points, where "
                f"decline is not linear: {', '.join(self.below_floor[:10])}"
                + (" …" if len(self.below_floor) > 10 else "")
            )
        return "\n".join(lines)


def piecewise_lmm(
    data: pd.DataFrame,
    *,
    outcome: str = "alsfrs_r",
    time: str = "month",
    group: str = "patient_id",
    knot: float = 0.0,
    floor: float = 25.0,
    level: float = 95,
) -> MixedModelResult:
    """Fit the piecewise model of the module docstring to long data; rows with NaN dropped.
    ``level``: Wald interval level in percent (95), as everywhere in alsreview."""
    import numpy as np
    from scipy import stats

    from alsreview.results import check_level

    level = check_level(level)

    d = data[[group, time, outcome]].dropna()
    if d[group].nunique() < 2:
        raise ValidationError("the mixed model needs ALSFRS-R values from at least 2 patients")
    t = d[time].to_numpy(float)
    y = d[outcome].to_numpy(float)
    post = np.maximum(t - knot, 0.0)
    if not (np.any(t < knot) and np.any(t > knot)):
        raise ValidationError(
            f"the mixed model needs ALSFRS-R values both before and after month {knot:g}"
        )
    X = np.column_stack([np.ones_like(t), t, post])
    Z = np.column_stack([np.ones_like(t), t])
    codes, _ = _codes(d[group].to_numpy())
    fit = fit_lmm(y, X, Z, codes)
    z = stats.norm.ppf(0.5 + level / 200)
    se = np.sqrt(np.diag(fit["vcov"]))
    beta = fit["beta"]
    below = d.loc[d[outcome] < floor, group].astype(str).unique().tolist()
    return MixedModelResult(
        names=("(Intercept)", "month", "month_post"),
        coef=tuple(float(b) for b in beta),
        se=tuple(float(s) for s in se),
        ci_lower=tuple(float(b - z * s) for b, s in zip(beta, se, strict=True)),
        ci_upper=tuple(float(b + z * s) for b, s in zip(beta, se, strict=True)),
        sigma2=float(fit["sigma2"]),
        G=tuple(tuple(float(v) for v in row) for row in fit["G"]),
        reml_criterion=float(fit["deviance"]),
        n_obs=len(y),
        n_patients=int(codes.max() + 1),
        knot=knot,
        level=level,
        below_floor=tuple(sorted(below, key=_natural)),
        floor=floor,
    )


def _natural(s: str) -> tuple:
    return (0, int(s), "") if s.isdigit() else (1, 0, s)


def _codes(groups: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    import numpy as np

    uniq, codes = np.unique(groups.astype(str), return_inverse=True)
    return codes, uniq


def fit_lmm(y: np.ndarray, X: np.ndarray, Z: np.ndarray, codes: np.ndarray) -> dict:
    """Profiled-REML fit of y = Xβ + Zbᵢ + ε with unstructured cov(bᵢ) = σ²ΛΛᵀ.

    `codes` are group indices 0..N−1 per row. Returns beta, vcov, sigma2, G, theta, deviance.
    """
    import numpy as np
    from scipy import optimize

    n, p = X.shape
    q = Z.shape[1]
    ngroups = int(codes.max()) + 1
    # per-group cross-products, one pass over the data
    ZtZ = np.zeros((ngroups, q, q))
    ZtXy = np.zeros((ngroups, q, p + 1))
    Xy = np.column_stack([X, y])
    np.add.at(ZtZ, codes, Z[:, :, None] * Z[:, None, :])
    np.add.at(ZtXy, codes, Z[:, :, None] * Xy[:, None, :])
    XtX = X.T @ X
    Xty = X.T @ y
    yty = float(y @ y)
    tril = np.tril_indices(q)
    diag_pos = [k for k, (i, j) in enumerate(zip(*tril, strict=True)) if i == j]
    eye = np.eye(q)

    if q == 2:  # closed-form 2×2 blocks: several times faster than batched LAPACK calls
        A00, A01, A11 = ZtZ[:, 0, 0], ZtZ[:, 0, 1], ZtZ[:, 1, 1]
        Z0, Z1 = ZtXy[:, 0, :], ZtXy[:, 1, :]

    def parts(theta: np.ndarray):
        L = np.zeros((q, q))
        L[tril] = theta
        if q == 2:
            a, b, c_ = L[0, 0], L[1, 0], L[1, 1]
            m00 = a * a * A00 + 2 * a * b * A01 + b * b * A11 + 1.0
            m01 = c_ * (a * A01 + b * A11)
            m11 = c_ * c_ * A11 + 1.0
            c00 = np.sqrt(m00)
            c10 = m01 / c00
            c11 = np.sqrt(m11 - c10 * c10)
            logdet = 2.0 * (np.log(c00).sum() + np.log(c11).sum())
            S0 = (a * Z0 + b * Z1) / c00[:, None]
            S1 = (c_ * Z1 - c10[:, None] * S0) / c11[:, None]
            G = S0.T @ S0 + S1.T @ S1
        else:
            M = L.T @ ZtZ @ L + eye  # Λᵀ ZᵢᵀZᵢ Λ + I, batched over patients
            C = np.linalg.cholesky(M)
            S = np.linalg.solve(C, L.T @ ZtXy)  # Cᵢ⁻¹ Λᵀ Zᵢᵀ[Xᵢ yᵢ]
            logdet = 2.0 * np.log(np.diagonal(C, axis1=1, axis2=2)).sum()
            S2 = S.reshape(-1, p + 1)
            G = S2.T @ S2  # Σᵢ [Xᵢ yᵢ]ᵀZᵢΛ Mᵢ⁻¹ ΛᵀZᵢᵀ[Xᵢ yᵢ]
        A = XtX - G[:p, :p]
        b_ = Xty - G[:p, p]
        c = yty - G[p, p]
        return L, logdet, A, b_, c

    def deviance(theta: np.ndarray) -> float:
        _, logdet, A, b, c = parts(theta)
        try:
            CA = np.linalg.cholesky(A)
        except np.linalg.LinAlgError:
            return np.inf
        beta = np.linalg.solve(A, b)
        r2 = c - float(b @ beta)
        if r2 <= 0:
            return np.inf
        ldA = 2.0 * np.log(np.diag(CA)).sum()
        return logdet + ldA + (n - p) * (1.0 + np.log(2.0 * np.pi * r2 / (n - p)))

    theta0 = eye[tril]
    bounds = [(0.0, None) if k in diag_pos else (None, None) for k in range(len(theta0))]
    best = optimize.minimize(
        deviance,
        theta0,
        method="L-BFGS-B",
        bounds=bounds,
        options={"ftol": 1e-10, "gtol": 1e-6, "maxiter": 1000},
    )
    # polish with a derivative-free pass (lme4 uses BOBYQA): finite-difference gradients
    # stall short of the optimum, above all at a boundary (a variance near zero)
    polish = optimize.minimize(
        deviance,
        best.x,
        method="Powell",
        bounds=bounds,
        options={"xtol": 1e-6, "ftol": 1e-12, "maxiter": 5000},
    )
    if polish.fun <= best.fun:
        best = polish
    if not np.isfinite(best.fun):
        raise ConvergenceError("the mixed model's REML criterion did not reach a finite value")
    L, _, A, b, c = parts(best.x)
    beta = np.linalg.solve(A, b)
    sigma2 = (c - float(b @ beta)) / (n - p)
    return {
        "beta": beta,
        "vcov": sigma2 * np.linalg.inv(A),
        "sigma2": sigma2,
        "G": sigma2 * (L @ L.T),
        "theta": best.x,
        "deviance": float(best.fun),
    }
