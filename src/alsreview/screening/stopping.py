"""When to stop screening in ranked order: three rules a reviewer can cite.

In: the labels (1 included, 0 excluded) of the records screened so far, in the order they
were screened (by the ranking), and the number of records in the pool.  Out: a frozen
`StoppingAdvice` with one `StopCheck` per rule (did it fire, its assumption, an estimate
of recall) and a recommendation naming the rule that fired.

* consecutive irrelevant: stop after `max(50, 5 % of the pool)` excluded records in a row.
  Assumes the ranking has put the relevant records first; it gives no guarantee.  Recall
  estimate: found / (found + rate x unscreened), with the rate of includes in the run
  estimated as 1 / (run + 2) (Laplace).
* knee (Cormack & Grossman 2016, SIGIR, "Engineering quality and reliability in
  technology-assisted review"): on the gain curve (records screened, includes found)
  find the knee (largest distance below the chord from the origin), and stop when
  the slope before the knee / slope after it (after-knee includes + 1) is at least
  156 - min(includes found, 150), and at least 150 records were screened.  Recall
  estimate: as above with the after-knee rate.
* hypergeometric (Callaghan & Mueller-Bernstein 2020, Syst Rev 9:254): treat the last n
  screened records as a sample drawn without replacement from the records that were
  unscreened before them (conservative when the ranking puts relevant records first).
  H0: recall < target, i.e. that pool held at least K_tar = floor(found / target
  - found_before) + 1 includes.  p = min over n of P(X <= k | N_pool, K_tar, n); stop
  when p < 1 - confidence.  Recall estimate: the largest target (in steps of 0.01) that
  the test accepts at this confidence ("recall >= estimate with 95 % confidence").

`project_advice(project, reviewer, stage)` runs them on a reviewer's screening so far.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from alsreview.errors import ValidationError
from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.store.project import Project


@dataclass(frozen=True, repr=False)
class StopCheck(Result):
    """One rule's verdict."""

    rule: str
    fired: bool
    reason: str
    assumption: str
    recall_estimate: float | None
    details: JSONDict = field(default_factory=dict)

    def summary(self) -> str:
        est = "" if self.recall_estimate is None else f", recall ~ {self.recall_estimate:.2f}"
        return f"[{'x' if self.fired else ' '}] {self.rule}: {self.reason}{est}"


@dataclass(frozen=True, repr=False)
class StoppingAdvice(Result):
    """All rules on one screening history, and what to do."""

    n_screened: int
    n_total: int
    n_found: int
    checks: tuple[StopCheck, ...]

    _dict_keys = ("n_screened", "n_total", "n_found", "fired", "recommendation", "checks")

    @property
    def fired(self) -> tuple[str, ...]:
        return tuple(c.rule for c in self.checks if c.fired)

    @property
    def recommendation(self) -> str:
        if not self.fired:
            return "keep screening: no stopping rule has fired"
        first = next(c for c in self.checks if c.fired)
        return f"you may stop: {first.rule} rule fired ({first.reason})"

    def summary(self) -> str:
        lines = [
            f"{self.n_screened} of {self.n_total} records screened, {self.n_found} included",
            self.recommendation,
        ]
        lines += ["  " + c.summary() for c in self.checks]
        return "\n".join(lines)

    def summary_frame(self) -> pd.DataFrame:
        """One row per rule: fired, reason, assumption, recall estimate."""
        import pandas as pd

        return pd.DataFrame(
            [{k: v for k, v in c.to_dict().items() if k != "details"} for c in self.checks]
        )


def _check(labels: npt.ArrayLike, n_total: int) -> np.ndarray:
    y = np.asarray(labels, dtype=int)
    if y.size and not set(np.unique(y).tolist()) <= {0, 1}:
        raise ValidationError("screening labels must be 0 (excluded) or 1 (included)")
    if n_total < y.size:
        raise ValidationError(f"{y.size} records screened but the pool holds only {n_total}")
    return y


def _rate_estimate(found: int, rate: float, unscreened: int) -> float | None:
    if found == 0:
        return None
    return found / (found + rate * unscreened)


def consecutive_irrelevant(
    labels: npt.ArrayLike, n_total: int, *, threshold: int | None = None
) -> StopCheck:
    """Stop after `threshold` excluded records in a row (default max(50, 5 % of pool))."""
    y = _check(labels, n_total)
    limit = threshold if threshold is not None else max(50, math.ceil(0.05 * n_total))
    hits = np.flatnonzero(y == 1)
    run = int(y.size - (hits[-1] + 1)) if hits.size else int(y.size)
    found = int(y.sum())
    est = _rate_estimate(found, 1 / (run + 2), n_total - y.size)
    return StopCheck(
        rule="consecutive irrelevant",
        fired=run >= limit and found > 0,
        reason=f"{run} excluded in a row (threshold {limit})",
        assumption="the ranking shows relevant records first; no statistical guarantee",
        recall_estimate=est,
        details={"run": run, "threshold": limit},
    )


def knee(labels: npt.ArrayLike, n_total: int, *, min_screened: int = 150) -> StopCheck:
    """The knee method of Cormack & Grossman (2016)."""
    y = _check(labels, n_total)
    found = int(y.sum())
    n = int(y.size)
    assumption = "the gain curve flattens once most relevant records are found"
    if found == 0 or n == 0:
        return StopCheck("knee", False, "no included record yet", assumption, None)
    gain = np.cumsum(y)
    x = np.arange(1, n + 1)
    # distance below the chord from (0, 0) to (n, found)
    dist = (x * found / n) - gain
    dist = -dist  # points above the chord have positive distance
    k = int(np.argmax(dist))
    rank_knee, rel_knee = int(x[k]), int(gain[k])
    after_rel = found - rel_knee
    slope_before = rel_knee / rank_knee
    slope_after = (after_rel + 1) / max(n - rank_knee, 1)
    ratio = slope_before / slope_after
    needed = 156 - min(found, 150)
    fired = n >= min_screened and ratio >= needed
    est = _rate_estimate(found, slope_after, n_total - n)
    return StopCheck(
        rule="knee",
        fired=fired,
        reason=f"slope ratio {ratio:.1f} at the knee (record {rank_knee}); needs {needed}"
        + ("" if n >= min_screened else f" and {min_screened} records screened"),
        assumption=assumption,
        recall_estimate=est,
        details={"knee": rank_knee, "ratio": ratio, "needed": needed},
    )


def _min_p(y: np.ndarray, n_total: int, target: float) -> tuple[float, int]:
    """min over sample sizes n of the hypergeometric p-value, and the n attaining it."""
    from scipy.stats import hypergeom

    found = int(y.sum())
    size = int(y.size)
    ns = np.arange(1, size + 1)
    k = np.cumsum(y[::-1])  # includes among the last n screened
    before = found - k
    pool = n_total - (size - ns)  # records unscreened before the sample started
    k_tar = np.floor(found / target - before).astype(int) + 1
    k_tar = np.minimum(k_tar, pool)
    p = hypergeom.cdf(k, pool, k_tar, ns)
    i = int(np.argmin(p))
    return float(p[i]), int(ns[i])


def _recall_bound(y: np.ndarray, n_total: int, alpha: float) -> float | None:
    """Largest target recall in 0.01 steps that the test rejects H0 for (p falls as the
    target falls, so bisection finds it)."""
    lo, hi = 1, 99  # in hundredths
    if _min_p(y, n_total, lo / 100)[0] >= alpha:
        return None
    while lo < hi:
        mid = (lo + hi + 1) // 2
        if _min_p(y, n_total, mid / 100)[0] < alpha:
            lo = mid
        else:
            hi = mid - 1
    return lo / 100


def hypergeometric(
    labels: npt.ArrayLike,
    n_total: int,
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
    estimate: bool = True,
) -> StopCheck:
    """The statistical stopping rule of Callaghan & Mueller-Bernstein (2020)."""
    y = _check(labels, n_total)
    if not 0 < target_recall < 1 or not 0 < confidence < 1:
        raise ValidationError("target recall and confidence must lie between 0 and 1")
    assumption = (
        "the last records screened are no richer in relevant records than a random sample "
        "of those left (true when the ranking puts relevant records first)"
    )
    found = int(y.sum())
    if found == 0 or y.size == 0:
        return StopCheck("hypergeometric", False, "no included record yet", assumption, None)
    alpha = 1 - confidence
    p, n = _min_p(y, n_total, target_recall)
    bound = _recall_bound(y, n_total, alpha) if estimate else None
    return StopCheck(
        rule="hypergeometric",
        fired=p < alpha,
        reason=f"p = {p:.4f} for H0 recall < {target_recall:.0%} (last {n} records; "
        f"stop when p < {alpha:.2f})",
        assumption=assumption,
        recall_estimate=bound,
        details={"p": p, "sample": n, "target_recall": target_recall, "confidence": confidence},
    )


def recommend(
    labels: npt.ArrayLike,
    n_total: int,
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
    consecutive: int | None = None,
) -> StoppingAdvice:
    """Run the three rules (hypergeometric first: it is the one with a guarantee)."""
    y = _check(labels, n_total)
    checks = (
        hypergeometric(y, n_total, target_recall=target_recall, confidence=confidence),
        knee(y, n_total),
        consecutive_irrelevant(y, n_total, threshold=consecutive),
    )
    return StoppingAdvice(int(y.size), int(n_total), int(y.sum()), checks)


def project_advice(
    project: Project,
    reviewer: str,
    stage: str,
    *,
    target_recall: float = 0.95,
    confidence: float = 0.95,
) -> StoppingAdvice:
    """The rules on one reviewer's screening so far, in the order they screened (the
    ranking's order): included or maybe count as relevant; the pool is every record
    eligible at the stage."""
    from alsreview.screening.decisions import eligible_records
    from alsreview.store.decisions import vote_history

    first: dict[int, int] = {}
    current: dict[int, str] = {}
    for v in vote_history(project, stage, reviewer=reviewer):
        first.setdefault(v.record_id, v.id)
        current[v.record_id] = v.decision
    order = sorted(
        (rid for rid, d in current.items() if d in ("included", "maybe", "excluded")),
        key=first.__getitem__,
    )
    labels = [int(current[rid] != "excluded") for rid in order]
    n_total = max(len(eligible_records(project, stage)), len(labels))
    return recommend(labels, n_total, target_recall=target_recall, confidence=confidence)
