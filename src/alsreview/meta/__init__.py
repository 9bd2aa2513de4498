"""meta stage: effect sizes, pooling, heterogeneity, bias, influence (plots: `alsreview.report`).

In: per-study summary data (metafor's argument names) or ready ``yi``/``vi``, as arrays or as
column names of a DataFrame (``data=``).  Out: frozen result objects (``EffectSizes``,
``RmaResult``, ``Prediction``, ``Confint``, ...) whose ``repr`` is their summary, with
``summary_frame()``, ``_repr_html_()`` and ``to_dict()``.

    escalc(measure, ..., data=, slab=)    effect sizes (meta.effects)
    rma(yi, vi, mods, method, test, ...)  fixed/random/mixed-effects models (meta.rma)
    rma_batch(Y, V, method)               many intercept-only analyses at once (meta.batch)
    rma_mh, rma_peto                      Mantel-Haenszel and Peto (meta.mh)
    subgroups(yi, vi, groups)             separate fits and the test for subgroup differences
    regtest, ranktest, trimfill, fsn      small-study effects (meta.bias)
    leave1out, influence                  case deletion (meta.influence)
    run_meta(path, ...)                   what ``alsreview meta FILE.csv`` does (meta.run)

``from alsreview.meta import rma`` gives the function (the module of the same name stays
importable as ``alsreview.meta.rma``); names load on first use, so importing this package
does not import numpy or scipy.
"""

from __future__ import annotations

from alsreview.exports import lazy_exports

#: public name -> the submodule that defines it
_WHERE = {
    "escalc": "effects",
    "EffectSizes": "effects",
    "rma": "rma",
    "RmaResult": "results",
    "Prediction": "results",
    "Confint": "results",
    "rma_batch": "batch",
    "BatchResult": "batch",
    "rma_mh": "mh",
    "rma_peto": "mh",
    "subgroups": "subgroups",
    "regtest": "bias",
    "ranktest": "bias",
    "trimfill": "bias",
    "fsn": "bias",
    "leave1out": "influence",
    "influence": "influence",
    "run_meta": "run",
    "METHODS": "estimators",
}

__all__ = lazy_exports(__name__, _WHERE)
