"""Subgroup analysis: a separate random-effects fit per subgroup and the test for subgroup
differences (Borenstein et al. 2009, ch. 19; Cochrane Handbook 10.11.3.1; RevMan's "test
for subgroup differences").

In: ``yi``, ``vi`` and one group label per study.  Out: :class:`SubgroupResult` with the
per-group :class:`~alsreview.meta.rma.RmaResult` fits and
Q_between = sum_g w_g (b_g - b_w)^2, w_g = 1/SE(b_g)^2, on G - 1 degrees of freedom - the
same number as metafor's ``rma(b_g, sei = SE_g, mods = ~ group, method = "FE")`` QM test.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, TypedDict, Unpack

import numpy as np

from alsreview.errors import ValidationError
from alsreview.meta.distributions import chi2_sf
from alsreview.meta.rma import RmaResult, rma
from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.meta.estimators import Control


@dataclass(frozen=True, repr=False)
class SubgroupResult(Result):
    """Per-subgroup fits and the between-subgroup heterogeneity test."""

    fits: Mapping[str, RmaResult]
    Q_between: float
    df: int
    pval: float
    method: str
    test: str

    @property
    def groups(self) -> tuple[str, ...]:
        return tuple(self.fits)

    _dict_keys = (("groups", "fits"), "Q_between", "df", "pval", "method", "test")

    def summary_frame(self) -> pd.DataFrame:
        """One row per subgroup: k, estimate, se, CI, tau2."""
        import pandas as pd

        rows = {
            g: {"k": f.k, "estimate": f.estimate, "se": float(f.se[0]), "ci_lb": float(f.ci_lb[0]),
                "ci_ub": float(f.ci_ub[0]), "tau2": f.tau2}
            for g, f in self.fits.items()
        }  # fmt: skip
        return pd.DataFrame.from_dict(rows, orient="index")

    def summary(self) -> str:
        lines = [f"Subgroup analysis ({self.method}, test={self.test})"]
        lines.append("  group                     k  estimate      se   ci.lb   ci.ub    tau2")
        for g, f in self.fits.items():
            lines.append(
                f"  {g[:24]:<24} {f.k:3d} {f.estimate:9.4f} {f.se[0]:7.4f} "
                f"{f.ci_lb[0]:7.4f} {f.ci_ub[0]:7.4f} {f.tau2:7.4f}"
            )
        lines.append(
            f"Test for subgroup differences: Q = {self.Q_between:.4f}, "
            f"df = {self.df}, p = {self.pval:.4g}"
        )
        return "\n".join(lines)


class RmaOptions(TypedDict, total=False):
    """The `rma` settings a subgroup analysis passes on to each subgroup's fit."""

    level: float
    control: Control | None
    intercept: bool


def subgroups(
    yi: Sequence[float] | np.ndarray,
    vi: Sequence[float] | np.ndarray,
    groups: Sequence[object],
    method: str = "REML",
    test: str = "z",
    **kwargs: Unpack[RmaOptions],
) -> SubgroupResult:
    """Fit ``rma`` within each subgroup (in order of first appearance) and test differences.

    Extra keyword arguments go to :func:`~alsreview.meta.rma.rma`.  Every subgroup needs at
    least one study; a single-study subgroup is its own estimate (tau2 = 0).
    """
    y = np.asarray(yi, dtype=float)
    v = np.asarray(vi, dtype=float)
    labels = [str(g) for g in groups]
    if not len(labels) == y.size == v.size:
        raise ValidationError(
            f"yi ({y.size}), vi ({v.size}) and groups ({len(labels)}) differ in length"
        )
    order = list(dict.fromkeys(labels))
    if len(order) < 2:
        raise ValidationError("subgroup analysis needs at least two subgroups")
    idx = np.asarray(labels)
    fits = {g: rma(y[idx == g], v[idx == g], method=method, test=test, **kwargs) for g in order}
    b = np.array([f.estimate for f in fits.values()])
    w = 1 / np.array([f.se[0] ** 2 for f in fits.values()])
    bw = float(np.dot(w, b) / w.sum())
    q = float(np.dot(w, (b - bw) ** 2))
    df = len(order) - 1
    return SubgroupResult(
        fits=fits,
        Q_between=q,
        df=df,
        pval=float(chi2_sf(q, df)) if not math.isnan(q) else math.nan,
        method=next(iter(fits.values())).method,
        test=test,
    )
