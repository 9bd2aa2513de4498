"""Inter-rater agreement: percent agreement, Cohen's kappa with its CI, PABAK, Gwet's AC1,
Fleiss' kappa for three or more raters.

In: two raters' decisions on the same records (or a k x k table of counts), or a
subjects x categories table of counts for many raters.  Out: frozen results.

    po      = sum_i p_ii                                   (percent agreement / 100)
    kappa   = (po - pe) / (1 - pe),  pe = sum_i p_i. p_.i   (Cohen 1960)
    se      = large-sample SE of Fleiss, Cohen & Everitt (1969, Psychol Bull 72:323):
              var = [sum_i p_ii (1 - (p_i. + p_.i)(1 - kappa))^2
                     + (1 - kappa)^2 sum_{i != j} p_ij (p_.i + p_j.)^2
                     - (kappa - pe (1 - kappa))^2] / (n (1 - pe)^2);  CI = kappa -+ z se
    PABAK   = (q po - 1) / (q - 1) for q categories (Byrt, Bishop & Carlin 1993,
              J Clin Epidemiol 46:423; 2 po - 1 for two)
    AC1     = (po - pe1) / (1 - pe1),  pe1 = sum_k pi_k (1 - pi_k) / (q - 1),
              pi_k = (p_k. + p_.k) / 2 (Gwet 2008, Br J Math Stat Psychol 61:29)
    Fleiss  = (P - Pe) / (1 - Pe), P = mean_i sum_j n_ij (n_ij - 1) / (m (m - 1)),
              Pe = sum_j p_j^2 (Fleiss 1971, Psychol Bull 76:378)

`stage_agreement(project, stage)` computes them from the store's current votes.  `level` is a
percentage (95), the package's one convention (`alsreview.results.check_level`).
"""

from __future__ import annotations

import itertools
from collections.abc import Hashable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from alsreview.errors import ValidationError
from alsreview.results import Result, check_level

if TYPE_CHECKING:
    import pandas as pd

    from alsreview.store.project import Project


def _z(level: float) -> float:
    from scipy.special import ndtri

    return float(ndtri(0.5 + level / 200))


@dataclass(frozen=True, repr=False)
class TwoRaterAgreement(Result):
    """Agreement of two raters on the same n records."""

    n: int
    categories: tuple[str, ...]
    table: tuple[tuple[int, ...], ...]  # rows: rater 1, columns: rater 2
    percent: float  # 100 * po
    kappa: float
    se: float
    ci_lower: float
    ci_upper: float
    level: float
    pabak: float
    ac1: float
    raters: tuple[str, str] = ("rater 1", "rater 2")

    def ci_text(self, digits: int = 3) -> str:
        """The kappa CI in words, or why there is none.

        The large-sample SE is 0 when the table is degenerate (e.g. perfect agreement on
        a few records); a zero-width interval would look more precise than n records
        allow, so it is not printed as an interval.
        """
        pct = f"{self.level:g}"
        if self.se != self.se:
            return "no CI: kappa not defined"
        if self.se == 0:
            return f"no {pct}% CI: the large-sample SE is 0 with n = {self.n}"
        return f"{pct}% CI {self.ci_lower:.{digits}f} to {self.ci_upper:.{digits}f}"

    def summary(self) -> str:
        return (
            f"{self.raters[0]} vs {self.raters[1]}: n = {self.n}, agreement "
            f"{self.percent:.1f}%, Cohen's kappa {self.kappa:.3f} ({self.ci_text()}), "
            f"PABAK {self.pabak:.3f}, Gwet's AC1 {self.ac1:.3f}"
        )


@dataclass(frozen=True, repr=False)
class FleissKappa(Result):
    """Fleiss' kappa for m raters per subject."""

    kappa: float
    p_bar: float
    pe_bar: float
    n_subjects: int
    n_raters: int

    def summary(self) -> str:
        return (
            f"Fleiss' kappa {self.kappa:.3f} ({self.n_subjects} records, "
            f"{self.n_raters} raters each)"
        )


def agreement_table(
    a: Sequence[Hashable], b: Sequence[Hashable], categories: Sequence[Hashable] | None = None
) -> tuple[np.ndarray, tuple[Hashable, ...]]:
    """k x k counts (rows: a, columns: b) and the category order used."""
    if len(a) != len(b):
        raise ValidationError(f"the raters rated {len(a)} and {len(b)} records: need pairs")
    cats = tuple(categories) if categories is not None else tuple(sorted(set(a) | set(b), key=str))
    pos = {c: i for i, c in enumerate(cats)}
    table = np.zeros((len(cats), len(cats)), dtype=int)
    for x, y in zip(a, b, strict=True):
        if x not in pos or y not in pos:
            raise ValidationError(f"category {x if x not in pos else y!r} not in {list(cats)}")
        table[pos[x], pos[y]] += 1
    return table, cats


def percent_agreement(a: Sequence[Hashable], b: Sequence[Hashable]) -> float:
    """Share of records (in %) on which both raters chose the same category."""
    table, _ = agreement_table(a, b)
    n = table.sum()
    if n == 0:
        raise ValidationError("no records rated by both raters")
    return float(100 * np.trace(table) / n)


def cohen_kappa_table(
    table: Sequence[Sequence[int]] | np.ndarray,
    *,
    level: float = 95,
    categories: Sequence[str] | None = None,
    raters: tuple[str, str] = ("rater 1", "rater 2"),
) -> TwoRaterAgreement:
    """All two-rater statistics of the module docstring from a k x k table of counts."""
    level = check_level(level)
    t = np.asarray(table, dtype=float)
    if t.ndim != 2 or t.shape[0] != t.shape[1] or t.shape[0] < 2:
        raise ValidationError("need a square table with at least two categories")
    if (t < 0).any():
        raise ValidationError("counts must not be negative")
    n = t.sum()
    if n == 0:
        raise ValidationError("no records rated by both raters")
    q = t.shape[0]
    p = t / n
    rows, cols = p.sum(axis=1), p.sum(axis=0)
    po = float(np.trace(p))
    pe = float(rows @ cols)
    if pe >= 1.0:  # both raters used one and the same category throughout
        kappa, se = float("nan"), float("nan")
    else:
        kappa = (po - pe) / (1 - pe)
        diag = sum(p[i, i] * (1 - (rows[i] + cols[i]) * (1 - kappa)) ** 2 for i in range(q))
        off = sum(p[i, j] * (cols[i] + rows[j]) ** 2 for i in range(q) for j in range(q) if i != j)
        var = (diag + (1 - kappa) ** 2 * off - (kappa - pe * (1 - kappa)) ** 2) / (
            n * (1 - pe) ** 2
        )
        se = float(np.sqrt(max(var, 0.0)))
    z = _z(level)
    pi = (rows + cols) / 2
    pe1 = float(np.sum(pi * (1 - pi)) / (q - 1))
    ac1 = (po - pe1) / (1 - pe1) if pe1 < 1 else float("nan")
    cats = tuple(categories) if categories is not None else tuple(str(i) for i in range(q))
    return TwoRaterAgreement(
        n=int(n),
        categories=cats,
        table=tuple(tuple(int(x) for x in r) for r in t),
        percent=100 * po,
        kappa=float(kappa),
        se=se,
        ci_lower=float(kappa - z * se),
        ci_upper=float(kappa + z * se),
        level=level,
        pabak=(q * po - 1) / (q - 1),
        ac1=float(ac1),
        raters=raters,
    )


def cohen_kappa(
    a: Sequence[Hashable],
    b: Sequence[Hashable],
    *,
    level: float = 95,
    categories: Sequence[Hashable] | None = None,
    raters: tuple[str, str] = ("rater 1", "rater 2"),
) -> TwoRaterAgreement:
    """Two raters' decisions on the same records (paired sequences)."""
    table, cats = agreement_table(a, b, categories)
    if len(cats) < 2:  # one category only: add an empty second one so po, PABAK exist
        table = np.pad(table, ((0, 1), (0, 1)))
        cats = (*cats, "(none)")
    return cohen_kappa_table(table, level=level, categories=[str(c) for c in cats], raters=raters)


def fleiss_kappa(counts: Sequence[Sequence[int]] | np.ndarray) -> FleissKappa:
    """Fleiss' kappa from a subjects x categories table of counts (same m per subject)."""
    x = np.asarray(counts, dtype=float)
    if x.ndim != 2 or x.shape[0] < 1 or x.shape[1] < 2:
        raise ValidationError("need a subjects x categories table with two or more categories")
    m = x.sum(axis=1)
    if not np.all(m == m[0]) or m[0] < 2:
        raise ValidationError("every subject needs the same number (>= 2) of ratings")
    mm = float(m[0])
    n = x.shape[0]
    p_i = (np.sum(x * (x - 1), axis=1)) / (mm * (mm - 1))
    p_j = x.sum(axis=0) / (n * mm)
    p_bar = float(p_i.mean())
    pe_bar = float(np.sum(p_j**2))
    kappa = (p_bar - pe_bar) / (1 - pe_bar) if pe_bar < 1 else float("nan")
    return FleissKappa(float(kappa), p_bar, pe_bar, n, int(mm))


@dataclass(frozen=True, repr=False)
class StageAgreement(Result):
    """Agreement at one screening stage: every pair of reviewers, and Fleiss' kappa over
    the records all reviewers rated (when three or more reviewers took part)."""

    stage: str
    pairs: tuple[TwoRaterAgreement, ...]
    fleiss: FleissKappa | None
    reviewers: tuple[str, ...]

    _dict_keys = ("stage", "reviewers", "pairs", "fleiss")

    def summary(self) -> str:
        lines = [f"Agreement at {self.stage} ({len(self.reviewers)} reviewers)"]
        lines += ["  " + p.summary() for p in self.pairs]
        if self.fleiss is not None:
            lines.append("  " + self.fleiss.summary())
        if not self.pairs:
            lines.append("  no record was screened by two reviewers")
        return "\n".join(lines)

    def summary_frame(self) -> pd.DataFrame:
        """One row per pair of reviewers."""
        import pandas as pd

        return pd.DataFrame(
            [
                {
                    "rater_1": p.raters[0],
                    "rater_2": p.raters[1],
                    "n": p.n,
                    "percent": p.percent,
                    "kappa": p.kappa,
                    "ci_lower": p.ci_lower,
                    "ci_upper": p.ci_upper,
                    "pabak": p.pabak,
                    "ac1": p.ac1,
                }
                for p in self.pairs
            ]
        )


def stage_agreement(project: Project, stage: str, *, level: float = 95) -> StageAgreement:
    """Agreement of the reviewers' current votes at an unblinded stage."""
    from alsreview.screening.decisions import _require_unblinded
    from alsreview.store.decisions import VOTES, current_votes

    _require_unblinded(project, stage, "agreement is computed")
    votes = current_votes(project, stage)
    reviewers = tuple(sorted({w for by in votes.values() for w in by}))
    cats = [v for v in VOTES if v != "undecided"]
    if stage == "title_abstract":
        cats.remove("not_retrieved")
    pairs = []
    for r1, r2 in itertools.combinations(reviewers, 2):
        both = [by for by in votes.values() if r1 in by and r2 in by]
        if not both:
            continue
        a = [by[r1].decision for by in both]
        b = [by[r2].decision for by in both]
        pairs.append(cohen_kappa(a, b, level=level, categories=cats, raters=(r1, r2)))
    fleiss = None
    if len(reviewers) >= 3:
        full = [by for by in votes.values() if all(r in by for r in reviewers)]
        if full:
            counts = [[sum(v.decision == c for v in by.values()) for c in cats] for by in full]
            fleiss = fleiss_kappa(counts)
    return StageAgreement(stage, tuple(pairs), fleiss, reviewers)
