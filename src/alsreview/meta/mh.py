"""Mantel-Haenszel and Peto pooling of 2x2 tables (metafor's `rma.mh` and `rma.peto`).

In:  per-study 2x2 counts, given as ``ai, bi, ci, di`` or ``ai, n1i, ci, n2i``
     (ai/bi = events/non-events in the treated group, ci/di in the control group).
Out: `MHResult` / `PetoResult`, frozen dataclasses with the pooled (log) effect, its
     standard error, z test, confidence interval, Cochran's Q with I2/H2, and for the odds
     ratio the Cochran-Mantel-Haenszel and Tarone tests. ``to_dict()`` gives the key names
     of the metafor reference files (``estimate, se, ci_lb, ci_ub, pval, QE, I2, MH, TA``).

Conventions follow metafor 3.8 defaults: the pooled estimate uses the raw counts; the
heterogeneity statistic Q (MH) uses the study-level yi/vi computed with 1/2 added to every
cell of tables with a zero cell (``add=0.5, to="only0"``), tables with no events (or no
non-events) in both groups dropped (``drop00=True``); the CMH test has a continuity
correction (``correct=True``).

Formulas: Robins, Breslow & Greenland (1986) variance of the MH log odds ratio;
Greenland & Robins (1985) variances of the MH log risk ratio and risk difference (the
Sato, Greenland & Robins 1989 form for the RD); Tarone (1985) correction of the
Breslow-Day test; Yusuf et al. (1985) for Peto's one-step odds ratio.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from alsreview.errors import ValidationError
from alsreview.results import Result, check_level

MH_MEASURES = ("OR", "RR", "RD")


@dataclass(frozen=True)
class Tables:
    """Validated 2x2 counts (float arrays of equal length) and the rows left out."""

    ai: np.ndarray
    bi: np.ndarray
    ci: np.ndarray
    di: np.ndarray
    omitted: tuple[int, ...] = ()  # 1-based rows with a missing count (metafor's na.omit)


def tables_2x2(ai, bi=None, ci=None, di=None, n1i=None, n2i=None) -> Tables:
    """Check and complete 2x2 counts: ``bi = n1i - ai`` and ``di = n2i - ci`` when missing.

    Tables with a missing count are left out (as metafor does with ``na.action="na.omit"``)
    and listed in ``omitted``. Raises `ValidationError` naming the study (1-based row) for
    negative counts, events above the group size, or a missing argument.
    """
    if ai is None or ci is None:
        raise ValidationError("2x2 data need ai and ci (plus bi, di or n1i, n2i)")
    a = np.asarray(ai, dtype=float).ravel()
    c = np.asarray(ci, dtype=float).ravel()
    problems: list[str] = []
    if bi is None:
        if n1i is None:
            raise ValidationError("2x2 data need bi or n1i")
        n1 = np.asarray(n1i, dtype=float).ravel()
        if n1.shape != a.shape:
            raise ValidationError("n1i and ai differ in length")
        problems += [f"row {i + 1}: ai > n1i" for i in np.flatnonzero(a > n1)]
        b = n1 - a
    else:
        b = np.asarray(bi, dtype=float).ravel()
    if di is None:
        if n2i is None:
            raise ValidationError("2x2 data need di or n2i")
        n2 = np.asarray(n2i, dtype=float).ravel()
        if n2.shape != c.shape:
            raise ValidationError("n2i and ci differ in length")
        problems += [f"row {i + 1}: ci > n2i" for i in np.flatnonzero(c > n2)]
        d = n2 - c
    else:
        d = np.asarray(di, dtype=float).ravel()
    if not (a.shape == b.shape == c.shape == d.shape):
        raise ValidationError("ai, bi, ci, di differ in length")
    if a.size == 0:
        raise ValidationError("no 2x2 tables given")
    for name, x in (("ai", a), ("bi", b), ("ci", c), ("di", d)):
        problems += [f"row {i + 1}: {name} is negative" for i in np.flatnonzero(x < 0)]
    if problems:
        raise ValidationError(sorted(set(problems), key=lambda s: int(s.split(":")[0][4:])))
    missing = np.isnan(a) | np.isnan(b) | np.isnan(c) | np.isnan(d)
    if missing.all():
        raise ValidationError("every 2x2 table has a missing count")
    keep = ~missing
    omitted = tuple(int(i) + 1 for i in np.flatnonzero(missing))
    return Tables(a[keep], b[keep], c[keep], d[keep], omitted)


def _study_effects(
    t: Tables, measure: str, add: float = 0.5, to: str = "only0", drop00: bool = True
) -> tuple[np.ndarray, np.ndarray]:
    """Study-level yi/vi (escalc's OR, RR, RD with vtype LS, PETO) used for Q.

    Tables with zero events or zero non-events in both groups get NaN when ``drop00``.
    """
    a, b, c, d = (x.copy() for x in (t.ai, t.bi, t.ci, t.di))
    if drop00:
        id00 = ((a == 0) & (c == 0)) | ((b == 0) & (d == 0))
        for x in (a, b, c, d):
            x[id00] = np.nan
    if to == "all":
        zero = np.ones_like(a, dtype=bool)
    elif to == "only0":
        zero = (a == 0) | (b == 0) | (c == 0) | (d == 0)
    elif to == "if0all":
        zero = np.full(a.shape, bool(np.any((a == 0) | (b == 0) | (c == 0) | (d == 0))))
    elif to == "none":
        zero = np.zeros_like(a, dtype=bool)
    else:
        raise ValidationError(f"unknown to={to!r} (all, only0, if0all, none)")
    for x in (a, b, c, d):
        x[zero] += add
    n1, n2 = a + b, c + d
    p1, p2 = a / n1, c / n2
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "OR":
            yi = np.log(p1 / (1 - p1)) - np.log(p2 / (1 - p2))
            vi = 1 / a + 1 / b + 1 / c + 1 / d
        elif measure == "RR":
            yi = np.log(p1) - np.log(p2)
            vi = 1 / a - 1 / n1 + 1 / c - 1 / n2
        elif measure == "RD":
            yi = p1 - p2
            vi = p1 * (1 - p1) / n1 + p2 * (1 - p2) / n2
        elif measure == "PETO":
            n = n1 + n2
            xt, yt = a + c, b + d
            e = xt * n1 / n
            v = xt * yt * (n1 / n) * (n2 / n) / (n - 1)
            yi = (a - e) / v
            vi = 1 / v
        else:
            raise ValidationError(f"unknown measure {measure!r}")
    return yi, vi


def _heterogeneity(QE: float, k: int) -> tuple[float, float, float]:
    """QEp, I2 (%), H2 from Cochran's Q on k studies (metafor: I2 = 100 (Q-(k-1))/Q)."""
    from alsreview.meta.distributions import chi2_sf

    if k > 1:
        return float(chi2_sf(QE, k - 1)), max(0.0, 100 * (QE - (k - 1)) / QE), QE / (k - 1)
    return 1.0, 0.0, 1.0


def _z_inference(beta: float, se: float, level: float) -> tuple[float, float, float, float]:
    from alsreview.meta.distributions import norm_ppf, norm_sf

    if not (math.isfinite(beta) and math.isfinite(se)):
        return math.nan, math.nan, math.nan, math.nan
    crit = float(norm_ppf(1 - (1 - check_level(level) / 100) / 2))
    zval = beta / se
    return zval, float(2 * norm_sf(abs(zval))), beta - crit * se, beta + crit * se


@dataclass(frozen=True, repr=False)
class _Pooled(Result):
    """Fields shared by the Mantel-Haenszel and Peto results."""

    estimate: float
    se: float
    zval: float
    pval: float
    ci_lb: float
    ci_ub: float
    QE: float
    QEp: float
    I2: float
    H2: float
    k: int
    k_yi: int

    def _heterogeneity_line(self) -> str:
        return f"  Q({self.k_yi - 1}) = {self.QE:.3f}, p = {self.QEp:.3g}, I2 = {self.I2:.1f}%"

    def _ratio_line(self, name: str) -> str:
        return (
            f"  {name} = {math.exp(self.estimate):.4f} "
            f"({math.exp(self.ci_lb):.4f} to {math.exp(self.ci_ub):.4f})"
        )


_POOLED_KEYS = ("estimate", "se", "zval", "ci_lb", "ci_ub", "pval", "QE", "QEp", "I2", "H2", "k")


@dataclass(frozen=True, repr=False)
class MHResult(_Pooled):
    """Mantel-Haenszel pooled effect (log OR / log RR / RD) with heterogeneity and tests.

    ``MH``/``MHp``: Cochran-Mantel-Haenszel test (continuity corrected unless
    ``correct=False``); ``CO``/``COp``: Cochran's version; ``BD``/``TA``: Breslow-Day and
    Tarone tests of homogeneity of odds ratios. The tests exist only for ``measure="OR"``.
    ``to_dict()``: the key names of the reference files' ``mh`` object.
    """

    measure: str = "OR"
    MH: float | None = None
    MHp: float | None = None
    CO: float | None = None
    COp: float | None = None
    BD: float | None = None
    BDp: float | None = None
    TA: float | None = None
    TAp: float | None = None
    k_pos: int | None = None
    level: float = 95.0
    method: str = "MH"
    omitted: tuple[int, ...] = ()

    _dict_keys = ("measure", *_POOLED_KEYS, "MH", "MHp", "TA", "TAp")

    def summary(self) -> str:
        scale = "" if self.measure == "RD" else "log "
        lines = [
            f"Mantel-Haenszel {self.measure} (k = {self.k})",
            f"  {scale}{self.measure} = {self.estimate:.4f} (SE {self.se:.4f}), "
            f"{self.level:g}% CI {self.ci_lb:.4f} to {self.ci_ub:.4f}, "
            f"z = {self.zval:.3f}, p = {self.pval:.3g}",
        ]
        if self.measure != "RD":
            lines.append(self._ratio_line(self.measure))
        lines.append(self._heterogeneity_line())
        if self.MH is not None:
            lines.append(f"  CMH = {self.MH:.3f}, p = {self.MHp:.3g}")
        if self.TA is not None:
            lines.append(f"  Tarone = {self.TA:.3f}, p = {self.TAp:.3g}")
        return "\n".join(lines)


def rma_mh(
    ai,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    *,
    measure: str = "OR",
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = True,
    correct: bool = True,
    level: float = 95.0,
) -> MHResult:
    """Mantel-Haenszel fixed-effect pooling of 2x2 tables, as metafor's ``rma.mh``.

    OR: exp(beta) = sum(ai di / Ni) / sum(bi ci / Ni), variance of Robins, Breslow and
    Greenland. RR: sum(ai n2i / Ni) / sum(ci n1i / Ni), Greenland-Robins variance.
    RD: sum(ai n2i/Ni - ci n1i/Ni) / sum(n1i n2i / Ni), Sato-Greenland-Robins variance.
    ``add``/``to``/``drop00`` affect only the study-level yi/vi behind Q and I2.
    """
    measure = measure.upper()
    if measure not in MH_MEASURES:
        raise ValidationError(f"Mantel-Haenszel needs measure OR, RR or RD, not {measure!r}")
    t = tables_2x2(ai, bi, ci, di, n1i, n2i)
    yi, vi = _study_effects(t, measure, add, to, drop00)
    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2 = a + b, c + d
    N = n1 + n2
    k = a.size
    tests: dict = {}
    if measure == "OR":
        P = a / N + d / N
        Q = b / N + c / N
        Ri = (a / N) * d
        Si = (b / N) * c
        R, S = Ri.sum(), Si.sum()
        if R == 0 or S == 0:
            beta = se = math.nan
        else:
            beta = math.log(R / S)
            se = math.sqrt(
                0.5
                * (
                    np.sum(P * Ri) / R**2
                    + np.sum(P * Si + Q * Ri) / (R * S)
                    + np.sum(Q * Si) / S**2
                )
            )
        tests = _or_tests(t, beta, correct)
    elif measure == "RR":
        R = np.sum(a * (n2 / N))
        S = np.sum(c * (n1 / N))
        if a.sum() == 0 or c.sum() == 0:
            beta = se = math.nan
        else:
            beta = math.log(R / S)
            se = math.sqrt(np.sum((n1 / N) * (n2 / N) * (a + c) - (a / N) * c) / (R * S))
    else:  # RD
        W = np.sum(n1 * (n2 / N))
        beta = float(np.sum(a * (n2 / N) - c * (n1 / N)) / W)
        f1, f2 = n1 / N, n2 / N
        num = beta * np.sum(c * f1**2 - a * f2**2 + f1 * f2 * (n2 - n1) / 2)
        num += np.sum(a * (n2 - c) / N + c * (n1 - a) / N) / 2
        se = math.sqrt(num / W**2)
    zval, pval, lb, ub = _z_inference(beta, se, level)
    ok = ~(np.isnan(yi) | np.isnan(vi))
    k_yi = int(ok.sum())
    QE = max(0.0, float(np.sum((yi[ok] - beta) ** 2 / vi[ok]))) if k_yi > 1 else 0.0
    QEp, I2, H2 = _heterogeneity(QE, k_yi)
    return MHResult(
        measure=measure,
        estimate=float(beta),
        se=float(se),
        zval=zval,
        pval=pval,
        ci_lb=lb,
        ci_ub=ub,
        QE=QE,
        QEp=QEp,
        I2=I2,
        H2=H2,
        k=k,
        k_yi=k_yi,
        level=level,
        omitted=t.omitted,
        **tests,
    )


def _or_tests(t: Tables, beta: float, correct: bool) -> dict:
    """Cochran and Cochran-Mantel-Haenszel tests; Breslow-Day and Tarone homogeneity tests.

    CMH = (|sum(ai - n1i xti / Ni)| - 1/2)^2 / sum(n1i n2i xti yti / (Ni^2 (Ni - 1)))
    (Cochran's version divides by Ni^3); Breslow-Day compares ai with the count N11
    expected under the common MH odds ratio (root of a quadratic); Tarone's correction
    subtracts sum(ai - N11)^2 / sum(1/(1/N11 + 1/N12 + 1/N21 + 1/N22)).
    """
    from alsreview.meta.distributions import chi2_sf

    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    out: dict = {}
    if xt.sum() > 0 and yt.sum() > 0:
        dev = (abs(np.sum(a - (n1 / N) * xt)) - (0.5 if correct else 0.0)) ** 2
        CO = dev / np.sum((n1 / N) * (n2 / N) * (xt * (yt / N)))
        MH = dev / np.sum((n1 / N) * (n2 / N) * (xt * (yt / (N - 1))))
        out.update(CO=float(CO), COp=float(chi2_sf(CO, 1)), MH=float(MH), MHp=float(chi2_sf(MH, 1)))
    if not math.isfinite(beta):
        out["k_pos"] = 0
        return out
    psi = math.exp(beta)
    # Root (A - B) / (2 (psi - 1)) of the quadratic, written as 2 n1 xt psi / (A + B):
    # the same number, without the cancellation when psi is within rounding of 1.
    A = psi * (n1 + xt) + (n2 - xt)
    B = np.sqrt(A**2 - 4 * n1 * xt * psi * (psi - 1))
    with np.errstate(divide="ignore", invalid="ignore"):
        N11 = 2 * n1 * xt * psi / (A + B)
    pos = (N11 > 0) & (xt > 0) & (yt > 0)
    k_pos = int(pos.sum())
    N11 = N11[pos]
    N12 = n1[pos] - N11
    N21 = xt[pos] - N11
    N22 = N11 - n1[pos] - xt[pos] + N[pos]
    inv = 1 / N11 + 1 / N12 + 1 / N21 + 1 / N22
    resid = a[pos] - N11
    BD = max(0.0, float(np.sum(resid**2 * inv)))
    TA = max(0.0, BD - float(np.sum(resid) ** 2 / np.sum(1 / inv)))
    out.update(BD=BD, TA=TA, k_pos=k_pos)
    if k_pos > 1:
        out.update(BDp=float(chi2_sf(BD, k_pos - 1)), TAp=float(chi2_sf(TA, k_pos - 1)))
    return out


@dataclass(frozen=True, repr=False)
class PetoResult(_Pooled):
    """Peto's one-step pooled log odds ratio with Q, I2 and H2 (``to_dict()``: the key names
    of the reference files' ``peto`` object)."""

    level: float = 95.0
    measure: str = "PETO"
    method: str = "PETO"
    omitted: tuple[int, ...] = ()

    _dict_keys = (("measure", "odds_ratio"), *_POOLED_KEYS)

    @property
    def odds_ratio(self) -> str:
        return "OR"

    def summary(self) -> str:
        return "\n".join(
            [
                f"Peto odds ratio (k = {self.k})",
                f"  log OR = {self.estimate:.4f} (SE {self.se:.4f}), {self.level:g}% CI "
                f"{self.ci_lb:.4f} to {self.ci_ub:.4f}, z = {self.zval:.3f}, p = {self.pval:.3g}",
                self._ratio_line("OR"),
                self._heterogeneity_line(),
            ]
        )


def rma_peto(
    ai,
    bi=None,
    ci=None,
    di=None,
    n1i=None,
    n2i=None,
    *,
    add: float = 0.5,
    to: str = "only0",
    drop00: bool = True,
    level: float = 95.0,
) -> PetoResult:
    """Peto's one-step log odds ratio, as metafor's ``rma.peto``.

    With Ei = xti n1i / Ni and Vi = xti yti n1i n2i / (Ni^2 (Ni - 1)):
    beta = sum(ai - Ei) / sum(Vi), se = 1 / sqrt(sum(Vi)),
    Q = sum((ai - Ei)^2 / Vi) - sum(ai - Ei)^2 / sum(Vi) over tables with Vi > 0.
    ``add``/``to``/``drop00`` only decide which tables count in the degrees of freedom of Q.
    """
    t = tables_2x2(ai, bi, ci, di, n1i, n2i)
    yi, vi = _study_effects(t, "PETO", add, to, drop00)
    k_yi = int(np.sum(~(np.isnan(yi) | np.isnan(vi))))
    a, b, c, d = t.ai, t.bi, t.ci, t.di
    n1, n2 = a + b, c + d
    N = n1 + n2
    xt, yt = a + c, b + d
    E = xt * n1 / N
    V = xt * yt * (n1 / N) * (n2 / N) / (N - 1)
    sumV = float(V.sum())
    if sumV == 0:
        raise ValidationError(
            "one of the two outcomes never occurs in any table: Peto's method cannot be used"
        )
    beta = float(np.sum(a - E) / sumV)
    se = math.sqrt(1 / sumV)
    zval, pval, lb, ub = _z_inference(beta, se, level)
    pos = V > 0
    QE = max(0.0, float(np.sum((a[pos] - E[pos]) ** 2 / V[pos]) - np.sum(a - E) ** 2 / sumV))
    if int(pos.sum()) > 1:
        QEp, I2, H2 = _heterogeneity(QE, k_yi)
    else:
        QEp, I2, H2 = 1.0, 0.0, 1.0
    return PetoResult(
        estimate=beta,
        se=se,
        zval=zval,
        pval=pval,
        ci_lb=lb,
        ci_ub=ub,
        QE=QE,
        QEp=QEp,
        I2=I2,
        H2=H2,
        k=a.size,
        k_yi=k_yi,
        level=level,
        omitted=t.omitted,
    )
