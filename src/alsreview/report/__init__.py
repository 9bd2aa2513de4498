"""report stage: the only place that renders HTML and figures.

In: result objects of the lower stages (``RmaResult``, ``TrimfillResult``, appraisals,
trial analyses, PRISMA counts).  Out: matplotlib ``Figure``s (no pyplot state) and the HTML
report.

    forest(fit, slab=, subgroups=, exp=, ax=)   forest plot of an ``rma`` fit (meta_plots)
    funnel(res, ax=)                             funnel plot of an ``rma`` or ``trimfill`` result
    save_figure(fig, folder, stem)               SVG and PNG of a figure
    build_report(out, ...)                       what ``alsreview report`` writes (build)

Names load on first use, so importing this package does not import matplotlib.
"""

from __future__ import annotations

from alsreview.exports import lazy_exports

#: public name -> the submodule that defines it
_WHERE = {
    "forest": "meta_plots",
    "funnel": "meta_plots",
    "save_figure": "meta_plots",
    "build_report": "build",
}

__all__ = lazy_exports(__name__, _WHERE)
