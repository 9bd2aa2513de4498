"""A whole meta-analysis of a table, as ``alsreview meta FILE.csv`` runs it (library side).

In: a CSV path (metafor's column names; see :mod:`alsreview.meta.csvfile`), the escalc
``measure``, the tau^2 ``method`` (or MH / PETO), the ``test`` and moderator columns.
Out: a :class:`MetaRun` whose ``to_dict()`` uses the reference files' key names (estimate,
se, ..., and the objects predict, confint, regtest, ranktest, trimfill, leave1out,
influence, fsn, metareg) and whose ``summary()`` is the printed report.

Studies whose effect size cannot be computed or that have a missing value are left out with
a note naming their lines, as metafor leaves them out with a warning.  Leave-one-out and
influence diagnostics refit the model once per study (k^2 work); above
:data:`DIAGNOSTICS_MAX_K` studies they are skipped with a note.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import AlsreviewError, ValidationError
from alsreview.meta.csvfile import read_columns
from alsreview.results import Result
from alsreview.typealiases import JSONDict

if TYPE_CHECKING:
    from alsreview.meta.results import RmaResult

__all__ = ["DIAGNOSTICS_MAX_K", "MetaRun", "diagnostics", "run_meta"]

DIAGNOSTICS_MAX_K = 2000
TWO_BY_TWO = ("ai", "bi", "ci", "di", "n1i", "n2i")


@dataclass(frozen=True, repr=False)
class MetaRun(Result):
    """Everything ``alsreview meta`` prints: the JSON object and the text report."""

    data: JSONDict
    text: str

    def to_dict(self) -> JSONDict:
        return _json_safe(self.data)

    def summary(self) -> str:
        return self.text


def _json_safe(obj: Any) -> Any:
    """NaN and infinities become None, numpy scalars plain numbers (strict JSON)."""
    if isinstance(obj, dict):
        return {k: _json_safe(v) for k, v in obj.items()}
    if isinstance(obj, list | tuple):
        return [_json_safe(v) for v in obj]
    if hasattr(obj, "item") and not isinstance(obj, str):
        obj = obj.item()
    if isinstance(obj, float) and not math.isfinite(obj):
        return None
    return obj


def run_meta(
    path: Path | str,
    measure: str | None = None,
    method: str = "REML",
    test: str = "z",
    mods: list[str] | None = None,
) -> MetaRun:
    """Read ``path`` and fit it as metafor's escalc + rma (or rma.mh / rma.peto)."""
    from alsreview.meta.effects import escalc
    from alsreview.meta.rma import rma

    path = Path(path)
    mods = list(mods or [])
    cols, lines = read_columns(path, mods)
    method_u = method.upper()
    if measure is None:
        measure = "GEN" if "yi" in cols else ("OR" if method_u in ("MH", "PETO") else "")
        if not measure:
            raise ValidationError(f"{path}: no yi column; give --measure for the raw columns")
    measure = measure.upper()
    label_col = next((c for c in ("slab", "study", "author", "id") if c in cols), None)
    slab = [
        f"{cols[label_col][i]}, line {line}" if label_col else f"line {line}"
        for i, line in enumerate(lines)
    ]

    if method_u in ("MH", "PETO"):
        return _run_mh(path, cols, measure, method_u)

    es = escalc(measure, cols, slab=slab)
    mod_data = {name: cols[name] for name in mods} if mods else None
    fit = rma(es.yi, es.vi, mods=mod_data, method=method, test=test, slab=slab)
    out: JSONDict = {"measure": measure, **fit.to_dict()}
    text = [fit.summary()]
    if not fit.has_moderators:
        pred = fit.predict()
        out["predict"] = pred.to_dict()
        text.append(pred.summary())
        if fit.method != "EE" and fit.k > 1:
            ci = fit.confint()
            out["confint"] = ci.to_dict()
            text.append(ci.summary())
        out.update(diagnostics(fit, text))
    else:
        metareg = fit.to_dict()
        metareg["moderator"] = mods[0] if len(mods) == 1 else mods
        out = {"measure": measure, "k": fit.k, "metareg": metareg}
        if fit.omitted:
            out["omitted"] = metareg.pop("omitted")
    if fit.omitted:
        out["omitted_lines"] = [lines[i] for i in fit.omitted]
    return MetaRun(out, "\n\n".join(text))


def _run_mh(path: Path, cols: dict[str, list[Any]], measure: str, method: str) -> MetaRun:
    from alsreview.meta.mh import rma_mh, rma_peto

    have = [k for k in TWO_BY_TWO if k in cols]
    if (
        "ai" not in have
        or "ci" not in have
        or not ({"bi", "di"} <= set(have) or {"n1i", "n2i"} <= set(have))
    ):
        present = ", ".join(k for k in cols if k in ("yi", "vi", "sei", *TWO_BY_TWO))
        raise ValidationError(
            f"{path}: --method {method} pools 2x2 tables and needs the columns ai, bi, ci, di "
            f"(or ai, n1i, ci, n2i); the file has {present or 'none of them'} - for yi/vi "
            "data use an rma method such as REML or DL"
        )
    args = {k: np.asarray(cols[k], float) for k in have}
    ai, bi, ci, di, n1i, n2i = (args.get(k) for k in TWO_BY_TWO)
    res: Any = (
        rma_mh(ai, bi, ci, di, n1i, n2i, measure=measure)
        if method == "MH"
        else rma_peto(ai, bi, ci, di, n1i, n2i)
    )
    return MetaRun(res.to_dict(), res.summary())


def diagnostics(fit: RmaResult, text: list[str] | None = None) -> JSONDict:
    """Publication-bias and influence objects of a model without moderators, each as
    ``to_dict()`` (or ``{"error": message}`` when it cannot be computed); summaries of the
    bias tests are appended to ``text``."""
    from alsreview.meta.bias import fsn, ranktest, regtest, trimfill
    from alsreview.meta.influence import influence, leave1out

    text = [] if text is None else text
    out: JSONDict = {}
    done: JSONDict = {}  # results later steps reuse
    steps = {
        "regtest": lambda: regtest(fit),
        "ranktest": lambda: ranktest(fit),
        "trimfill": lambda: trimfill(fit),
        "fsn": lambda: fsn(fit.yi, fit.vi),
        "leave1out": lambda: leave1out(fit),
        "influence": lambda: influence(fit, l1o=done.get("leave1out")),
    }
    for name, step in steps.items():
        if fit.k < 3 and name in ("regtest", "ranktest", "trimfill"):
            continue
        if fit.k > DIAGNOSTICS_MAX_K and name in ("leave1out", "influence"):
            out[name] = {
                "skipped": f"k = {fit.k} > {DIAGNOSTICS_MAX_K}: refitting once per study "
                "takes k^2 work; call alsreview.meta.leave1out / influence directly to run it"
            }
            continue
        try:
            res = step()
        except AlsreviewError as exc:
            out[name] = {"error": str(exc)}
            continue
        done[name] = res
        out[name] = res.to_dict()
        if name in ("regtest", "ranktest", "trimfill", "fsn") and hasattr(res, "summary"):
            text.append(res.summary())
    if fit.k > DIAGNOSTICS_MAX_K:
        text.append(
            f"note: leave-one-out and influence diagnostics skipped for k = {fit.k} "
            f"(> {DIAGNOSTICS_MAX_K}; each refits the model k times)"
        )
    return out
