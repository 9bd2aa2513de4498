"""meta stage: effect sizes, pooling, heterogeneity, bias, influence, plots.

In: per-study summary data (metafor's argument names) or ready ``yi``/``vi``.
Out: frozen result objects (``EffectSizes``, ``RmaResult``, ``Prediction``, ``Confint``, ...).

    escalc(measure, data, **columns)      effect sizes (alsreview.meta.effects)
    rma(yi, vi, mods, method, test)       fixed/random/mixed-effects models (alsreview.meta.rma)
    rma_batch(Y, V, method)               many intercept-only analyses at once (meta.batch)
    subgroups(yi, vi, groups)             separate fits and the test for subgroup differences

Submodules import scipy lazily; importing this package stays cheap.
"""

from __future__ import annotations

from typing import Any

__all__ = ["escalc", "rma", "rma_batch", "subgroups"]


def __getattr__(name: str) -> Any:
    if name == "escalc":
        from alsreview.meta.effects import escalc

        return escalc
    if name == "rma":
        from alsreview.meta.rma import rma

        return rma
    if name == "rma_batch":
        from alsreview.meta.batch import rma_batch

        return rma_batch
    if name == "subgroups":
        from alsreview.meta.subgroups import subgroups

        return subgroups
    raise AttributeError(name)
