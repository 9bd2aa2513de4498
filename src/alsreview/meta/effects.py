"""Effect sizes and their sampling variances, as metafor's ``escalc``.

In: per-study summary data under metafor's argument names (2x2 counts ``ai, bi, ci, di`` or
``ai, n1i, ci, n2i``; single proportions ``xi, ni``; means ``m1i, sd1i, n1i, m2i, sd2i, n2i``;
correlations ``ri, ni``; one-group means ``mi, sdi, ni``; pre-post ``m1i, m2i, sd1i, sd2i,
ni, ri``; or ready-made ``yi, vi``/``sei``).
Out: an :class:`EffectSizes` (``yi``, ``vi`` arrays plus the measure).

Formulas follow metafor 3.8 (Viechtbauer 2010, J Stat Softw 36(3)); default variance type
``vtype="LS"`` and default zero-cell correction ``add=1/2, to="only0"`` (for the 2x2 measures
and PR/PLN/PLO; PAS gets none), so results match ``escalc()`` called with its defaults.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from contextvars import ContextVar
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import ValidationError
from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd
    from numpy.typing import ArrayLike

TWO_BY_TWO = ("RR", "OR", "RD")
PROPORTION = ("PR", "PLN", "PLO", "PAS")
TWO_GROUP_MEANS = ("MD", "SMD")
CORRELATION = ("COR", "ZCOR")
ONE_GROUP = ("MN",)
PRE_POST = ("MC", "SMCR", "SMCC")
MEASURES: tuple[str, ...] = (
    *TWO_BY_TWO, *PROPORTION, *TWO_GROUP_MEANS, *CORRELATION, *ONE_GROUP, *PRE_POST
)  # fmt: skip
MEASURES = (*MEASURES, "GEN")

ARGUMENTS = (
    "ai", "bi", "ci", "di", "n1i", "n2i", "xi", "mi", "ni", "m1i", "m2i", "sd1i", "sd2i",
    "sdi", "ri", "yi", "vi", "sei",
)  # fmt: skip


#: study labels of the escalc call in progress, so that errors name the study
_LABELS: ContextVar[Sequence[str] | None] = ContextVar("escalc_labels", default=None)


@dataclass(frozen=True, repr=False)
class EffectSizes(Result):
    """Observed effect sizes ``yi`` with sampling variances ``vi`` (one per study)."""

    measure: str
    yi: np.ndarray
    vi: np.ndarray
    slab: tuple[str, ...] | None = None

    @property
    def k(self) -> int:
        return len(self.yi)

    @property
    def sei(self) -> np.ndarray:
        return np.sqrt(self.vi)

    def to_frame(self) -> pd.DataFrame:
        """A pandas DataFrame with columns ``yi`` and ``vi``."""
        import pandas as pd

        index = None if self.slab is None else pd.Index(self.slab, name="study")
        return pd.DataFrame({"yi": self.yi, "vi": self.vi}, index=index)

    summary_frame = to_frame

    def summary(self) -> str:
        lines = [f"escalc measure={self.measure}, k={self.k}", "      yi        vi"]
        lines += [f"{y:8.4f}  {v:8.4f}" for y, v in zip(self.yi, self.vi, strict=True)]
        return "\n".join(lines)


def cmicalc(mi: np.ndarray) -> np.ndarray:
    """Exact small-sample bias correction c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)) (Hedges 1981)."""
    mi = np.asarray(mi, dtype=float)
    # math.lgamma per element: importing scipy.special for this costs ~0.2 s per process
    gammaln = np.vectorize(lambda x: math.lgamma(x) if x > 0 else np.nan, otypes=[float])
    with np.errstate(invalid="ignore", divide="ignore"):
        out = np.exp(gammaln(mi / 2) - np.log(np.sqrt(mi / 2)) - gammaln((mi - 1) / 2))
    return np.where(mi <= 1, np.nan, out)


def _arr(name: str, value: Any) -> np.ndarray:
    try:
        out = np.asarray(value, dtype=float)
    except (TypeError, ValueError) as exc:
        raise ValidationError(f"column {name}: values must be numeric ({exc})") from None
    return np.atleast_1d(out)


def _need(measure: str, cols: dict[str, np.ndarray], *names: str) -> list[np.ndarray]:
    missing = [n for n in names if n not in cols]
    if missing:
        raise ValidationError(
            f"measure {measure} needs {', '.join(names)}; missing: {', '.join(missing)}"
        )
    out = [cols[n] for n in names]
    k = {len(a) for a in out}
    if len(k) > 1:
        raise ValidationError(f"measure {measure}: {', '.join(names)} differ in length")
    return out


def _check(cond: np.ndarray, message: str) -> None:
    bad = np.flatnonzero(cond)
    if bad.size:
        labels = _LABELS.get()
        rows = ", ".join(
            str(i + 1) + (f" ({labels[i]})" if labels is not None else "") for i in bad[:10]
        )
        raise ValidationError(f"{message} (study {rows})")


def escalc(
    measure: str,
    data: pd.DataFrame | Mapping[str, ArrayLike] | None = None,
    *,
    add: float | None = None,
    to: str = "only0",
    drop00: bool = False,
    slab: ArrayLike | str | None = None,
    **columns: ArrayLike | str | None,
) -> EffectSizes:
    """Compute ``yi``/``vi`` for ``measure`` from metafor-named columns.

    ``data`` may be a mapping or DataFrame whose columns carry metafor's argument names;
    keyword arrays override it, and a keyword given as a string names a column of ``data``
    (``escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=dat_bcg)``).
    ``slab``: study labels (or the name of their column), kept on the result and used in
    error messages.  ``add``/``to``/``drop00`` are metafor's zero-cell options
    (default: add 1/2 to every cell of a 2x2 table, or to ``xi`` and ``ni - xi``, when a
    cell is zero; no correction for PAS).
    """
    labels = None
    if slab is not None:
        if isinstance(slab, str):
            if data is None:
                raise ValidationError(f"slab={slab!r} names a column, but no data= was given")
            slab = data[slab]
        labels = tuple(str(s) for s in np.asarray(slab, dtype=object))
    token = _LABELS.set(labels)
    try:
        es = _escalc(measure, data, add, to, drop00, columns)
    finally:
        _LABELS.reset(token)
    if labels is not None:
        if len(labels) != es.k:
            raise ValidationError(f"slab has {len(labels)} labels for {es.k} studies")
        es = EffectSizes(es.measure, es.yi, es.vi, labels)
    return es


def _escalc(
    measure: str,
    data: Any,
    add: float | None,
    to: str,
    drop00: bool,
    columns: dict[str, Any],
) -> EffectSizes:
    measure = measure.upper()
    if measure not in MEASURES:
        raise ValidationError(f"unknown measure {measure!r}; choose one of {', '.join(MEASURES)}")
    if to not in ("all", "only0", "if0all", "none"):
        raise ValidationError(f"unknown to={to!r}; use all, only0, if0all or none")
    cols: dict[str, np.ndarray] = {}
    if data is not None:
        keys = list(data.keys()) if hasattr(data, "keys") else list(data.columns)
        for key in keys:
            if key in ARGUMENTS:
                cols[key] = _arr(key, data[key])
    for key, value in columns.items():
        if key not in ARGUMENTS:
            raise ValidationError(f"unknown escalc argument {key!r}")
        if isinstance(value, str):
            if data is None:
                raise ValidationError(f"{key}={value!r} names a column, but no data= was given")
            try:
                value = data[value]
            except (KeyError, IndexError):
                raise ValidationError(f"{key}={value!r}: no such column in data") from None
        if value is not None:
            cols[key] = _arr(key, value)
    if add is None:
        add = 0.0 if measure == "PAS" else 0.5
    if to == "none":
        add = 0.0

    if measure == "GEN":
        if "yi" not in cols:
            raise ValidationError("measure GEN needs yi and vi (or sei)")
        yi = cols["yi"]
        if "vi" in cols:
            vi = cols["vi"]
        elif "sei" in cols:
            vi = cols["sei"] ** 2
        else:
            raise ValidationError("measure GEN needs vi or sei")
        if len(vi) != len(yi):
            raise ValidationError("yi and vi differ in length")
        return _done(measure, yi, vi)
    if measure in TWO_BY_TWO:
        return _two_by_two(measure, cols, add, to, drop00)
    if measure in PROPORTION:
        return _proportion(measure, cols, add, to)
    if measure in TWO_GROUP_MEANS:
        return _two_group_means(measure, cols)
    if measure in CORRELATION:
        ri, ni = _need(measure, cols, "ri", "ni")
        _check(np.abs(ri) > 1, "correlations must lie in [-1, 1]")
        _check(ni <= 0, "sample sizes must be positive")
        if measure == "COR":
            yi = ri.copy()
            vi = (1 - yi**2) ** 2 / (ni - 1)
        else:
            _check(ni <= 3, "ZCOR needs ni > 3")
            yi = 0.5 * np.log((1 + ri) / (1 - ri))
            vi = 1 / (ni - 3)
        return _done(measure, yi, vi)
    if measure == "MN":
        mi, sdi, ni = _need(measure, cols, "mi", "sdi", "ni")
        _check(sdi < 0, "standard deviations (SD) must be >= 0")
        _check(ni <= 0, "sample sizes must be positive")
        return _done(measure, mi.copy(), sdi**2 / ni)
    return _pre_post(measure, cols)


def _done(measure: str, yi: np.ndarray, vi: np.ndarray) -> EffectSizes:
    yi = np.array(yi, dtype=float)
    vi = np.array(vi, dtype=float)
    # as metafor: infinite or undefined values (e.g. a log of 0 with to="none") become NA
    yi[~np.isfinite(yi)] = np.nan
    vi[~np.isfinite(vi)] = np.nan
    yi.setflags(write=False)
    vi.setflags(write=False)
    return EffectSizes(measure, yi, vi)


def _two_by_two(
    measure: str, cols: dict[str, np.ndarray], add: float, to: str, drop00: bool
) -> EffectSizes:
    if "ai" not in cols or "ci" not in cols:
        raise ValidationError(f"measure {measure} needs ai and ci (with bi, di or n1i, n2i)")
    ai, ci = cols["ai"], cols["ci"]
    if "bi" in cols:
        bi = cols["bi"]
    elif "n1i" in cols:
        bi = cols["n1i"] - ai
    else:
        raise ValidationError(f"measure {measure} needs bi or n1i")
    if "di" in cols:
        di = cols["di"]
    elif "n2i" in cols:
        di = cols["n2i"] - ci
    else:
        raise ValidationError(f"measure {measure} needs di or n2i")
    if not len(ai) == len(bi) == len(ci) == len(di):
        raise ValidationError(f"measure {measure}: the 2x2 columns differ in length")
    if "bi" in cols and "n1i" in cols:
        _check(cols["n1i"] != ai + bi, "n1i is not ai + bi")
    if "di" in cols and "n2i" in cols:
        _check(cols["n2i"] != ci + di, "n2i is not ci + di")
    _check(
        (ai < 0) | (bi < 0) | (ci < 0) | (di < 0), "counts must be >= 0 and events <= group size"
    )
    ai, bi, ci, di = (np.array(a, dtype=float) for a in (ai, bi, ci, di))
    if drop00:
        both = ((ai == 0) & (ci == 0)) | ((bi == 0) & (di == 0))
        for a in (ai, bi, ci, di):
            a[both] = np.nan
    if to == "all":
        zero = np.ones(len(ai), dtype=bool)
    elif to == "only0":
        zero = (ai == 0) | (bi == 0) | (ci == 0) | (di == 0)
    elif to == "if0all":
        zero = np.repeat(bool(np.any((ai == 0) | (bi == 0) | (ci == 0) | (di == 0))), len(ai))
    else:
        zero = np.zeros(len(ai), dtype=bool)
    for a in (ai, bi, ci, di):
        a[zero] += add
    n1i, n2i = ai + bi, ci + di
    p1i, p2i = ai / n1i, ci / n2i
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "RR":
            yi = np.log(p1i) - np.log(p2i)
            vi = 1 / ai - 1 / n1i + 1 / ci - 1 / n2i
        elif measure == "OR":
            yi = np.log(p1i / (1 - p1i)) - np.log(p2i / (1 - p2i))
            vi = 1 / ai + 1 / bi + 1 / ci + 1 / di
        else:  # RD, large-sample variance (vtype="LS")
            yi = p1i - p2i
            vi = p1i * (1 - p1i) / n1i + p2i * (1 - p2i) / n2i
    return _done(measure, yi, vi)


def _proportion(measure: str, cols: dict[str, np.ndarray], add: float, to: str) -> EffectSizes:
    if "xi" not in cols:
        raise ValidationError(f"measure {measure} needs xi and ni (or mi)")
    xi = np.array(cols["xi"], dtype=float)
    if "mi" in cols:
        mi = np.array(cols["mi"], dtype=float)
    elif "ni" in cols:
        mi = cols["ni"] - xi
    else:
        raise ValidationError(f"measure {measure} needs ni or mi")
    _check((xi < 0) | (mi < 0), "counts must be >= 0 and xi <= ni")
    if to == "all":
        zero = np.ones(len(xi), dtype=bool)
    elif to == "only0":
        zero = (xi == 0) | (mi == 0)
    elif to == "if0all":
        zero = np.repeat(bool(np.any((xi == 0) | (mi == 0))), len(xi))
    else:
        zero = np.zeros(len(xi), dtype=bool)
    xi[zero] += add
    mi[zero] += add
    ni = xi + mi
    pri = xi / ni
    with np.errstate(divide="ignore", invalid="ignore"):
        if measure == "PR":
            yi, vi = pri, pri * (1 - pri) / ni
        elif measure == "PLN":
            yi, vi = np.log(pri), 1 / xi - 1 / ni
        elif measure == "PLO":
            yi, vi = np.log(pri / (1 - pri)), 1 / xi + 1 / mi
        else:  # PAS: arcsine square-root transformed proportion
            yi, vi = np.arcsin(np.sqrt(pri)), 1 / (4 * ni)
    return _done(measure, yi, vi)


def _two_group_means(measure: str, cols: dict[str, np.ndarray]) -> EffectSizes:
    m1i, sd1i, n1i, m2i, sd2i, n2i = _need(
        measure, cols, "m1i", "sd1i", "n1i", "m2i", "sd2i", "n2i"
    )
    _check((sd1i < 0) | (sd2i < 0), "standard deviations (SD) must be >= 0")
    _check((n1i <= 0) | (n2i <= 0), "group sizes must be positive")
    if measure == "MD":
        return _done(measure, m1i - m2i, sd1i**2 / n1i + sd2i**2 / n2i)
    # SMD: Hedges' g with the exact correction and metafor's large-sample variance
    mi = n1i + n2i - 2
    sdpi = np.sqrt(((n1i - 1) * sd1i**2 + (n2i - 1) * sd2i**2) / mi)
    yi = cmicalc(mi) * (m1i - m2i) / sdpi
    vi = 1 / n1i + 1 / n2i + yi**2 / (2 * (n1i + n2i))
    return _done(measure, yi, vi)


def _pre_post(measure: str, cols: dict[str, np.ndarray]) -> EffectSizes:
    if measure == "SMCR":
        m1i, m2i, sd1i, ni, ri = _need(measure, cols, "m1i", "m2i", "sd1i", "ni", "ri")
    else:
        m1i, m2i, sd1i, sd2i, ni, ri = _need(
            measure, cols, "m1i", "m2i", "sd1i", "sd2i", "ni", "ri"
        )
        _check(sd2i < 0, "standard deviations (SD) must be >= 0")
    _check(sd1i < 0, "standard deviations (SD) must be >= 0")
    _check(np.abs(ri) > 1, "correlations must lie in [-1, 1]")
    _check(ni <= 0, "sample sizes must be positive")
    if measure == "MC":
        return _done(measure, m1i - m2i, (sd1i**2 + sd2i**2 - 2 * ri * sd1i * sd2i) / ni)
    cmi = cmicalc(ni - 1)
    if measure == "SMCC":  # standardised by the SD of the change scores
        sddi = np.sqrt(sd1i**2 + sd2i**2 - 2 * ri * sd1i * sd2i)
        yi = cmi * (m1i - m2i) / sddi
        return _done(measure, yi, 1 / ni + yi**2 / (2 * ni))
    # SMCR: standardised by the raw-score SD of the first occasion (sd1i; Becker 1988)
    yi = cmi * (m1i - m2i) / sd1i
    return _done(measure, yi, 2 * (1 - ri) / ni + yi**2 / (2 * ni))
