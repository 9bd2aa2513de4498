"""Agreement between two reviewers' risk-of-bias judgements, domain by domain.

In: two reviewers' appraisals of the same studies with one tool (from the store, or any
mapping study -> {domain: judgement}).  Out: `Agreement` with, per domain and overall, the
number of studies both judged, the proportion of identical judgements and Cohen's kappa
(unweighted; statsmodels' `cohens_kappa`), and the studies where they differ.

kappa = (p_o - p_e) / (1 - p_e), p_o observed agreement, p_e agreement expected from the two
reviewers' marginal frequencies (Cohen 1960); undefined (None) when p_e = 1.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.store import Project

__all__ = ["Agreement", "DomainAgreement", "agreement", "stored_agreement"]


@dataclass(frozen=True)
class DomainAgreement:
    domain: str
    n: int
    agreement: float | None
    kappa: float | None
    differ: tuple[str, ...]


@dataclass(frozen=True, repr=False)
class Agreement(Result):
    """Per-domain agreement of reviewer `a` and reviewer `b` (`domains[-1]` is "overall")."""

    tool: str
    a: str
    b: str
    domains: tuple[DomainAgreement, ...]

    def to_dict(self) -> JSONDict:
        return {
            "tool": self.tool, "a": self.a, "b": self.b,
            "domains": {d.domain: {"n": d.n, "agreement": d.agreement, "kappa": d.kappa,
                                   "differ": list(d.differ)} for d in self.domains},
        }  # fmt: skip

    def summary(self) -> str:
        def f(x: float | None) -> str:
            return "NA" if x is None else f"{x:.2f}"

        rows = [f"{d.domain}: n={d.n} agreement={f(d.agreement)} kappa={f(d.kappa)}"
                for d in self.domains]  # fmt: skip
        return f"{self.tool}, {self.a} vs {self.b}\n" + "\n".join(rows)

    def summary_frame(self) -> pd.DataFrame:
        import pandas as pd

        return pd.DataFrame([{"domain": d.domain, "n": d.n, "agreement": d.agreement,
                              "kappa": d.kappa, "differ": ", ".join(d.differ)}
                             for d in self.domains])  # fmt: skip


def _kappa(pairs: list[tuple[str, str]]) -> float | None:
    import numpy as np
    from statsmodels.stats.inter_rater import cohens_kappa

    cats = sorted({x for p in pairs for x in p})
    index = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)))
    for x, y in pairs:
        table[index[x], index[y]] += 1
    n = table.sum()
    p_e = float((table.sum(0) * table.sum(1)).sum() / n**2)
    if p_e >= 1.0:
        return None
    return float(cohens_kappa(table, return_results=False))


def agreement(
    a: Mapping[str, Mapping[str, str]],
    b: Mapping[str, Mapping[str, str]],
    domains: list[str],
    *,
    tool: str = "",
    names: tuple[str, str] = ("a", "b"),
) -> Agreement:
    """Agreement of two reviewers' judgements; `a[study][domain]`, "overall" included."""
    out = []
    studies = [s for s in a if s in b]
    for d in [*domains, "overall"]:
        pairs = [(a[s][d], b[s][d]) for s in studies if d in a[s] and d in b[s]]
        differ = tuple(s for s in studies if d in a[s] and d in b[s] and a[s][d] != b[s][d])
        n = len(pairs)
        p_o = None if n == 0 else sum(x == y for x, y in pairs) / n
        out.append(DomainAgreement(d, n, p_o, _kappa(pairs) if n else None, differ))
    return Agreement(tool, names[0], names[1], tuple(out))


def stored_agreement(project: Project, tool: str, reviewer_a: str, reviewer_b: str) -> Agreement:
    """Agreement of two reviewers' current assessments in a project's store."""
    from alsreview.appraisal.instrument import load_instrument
    from alsreview.store.appraisals import current_appraisals

    rows = current_appraisals(project, tool=tool, kind="assessment")

    def by(reviewer: str) -> dict[str, dict[str, str]]:
        return {
            f"{r.study}|{r.outcome}" if r.outcome else r.study: r.values() | {"overall": r.overall}
            for r in rows
            if r.reviewer == reviewer
        }

    inst = load_instrument(tool)
    return agreement(by(reviewer_a), by(reviewer_b), [d.id for d in inst.domains], tool=inst.id,
                     names=(reviewer_a, reviewer_b))  # fmt: skip
