"""Report figures drawn from the evidence base (matplotlib, imported inside each function).

In: studies.  Out: `Figure`s wrapping a matplotlib figure; `report/build.py` writes each as
SVG and PNG and inlines the SVG.  Each `plot_*` function accepts `ax=` and returns the
matplotlib figure, so the same drawing serves notebooks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from alsreview.evidence.model import Study
from alsreview.evidence.taxonomy import load_taxonomy, route_label
from alsreview.report.section import Figure

ROUTE_COLOURS = {"IT": "#1b9e77", "IMd": "#d95f02", "IM": "#7570b3", "IV": "#e7298a"}


def route_order(route: str) -> tuple[int, str]:
    """Single routes first, then combinations, then 'not reported'."""
    return (99 if route == "not reported" else route.count("+"), route)


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    from matplotlib.figure import Figure as MplFigure

    if ax is not None:
        return ax.figure, ax
    fig = MplFigure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def plot_studies_by_cell_and_route(studies: list[Study], ax: Any = None) -> Any:
    """Grid of cell type x route: number of studies, circle area ~ patients enrolled."""
    tax = load_taxonomy()
    cells = [c for c in tax.cell_types if any(s.cell_type.value == c for s in studies)]
    if any(s.cell_type.value is None for s in studies):
        cells.append("not reported")
    routes = sorted({route_label(s.routes.value or []) for s in studies}, key=route_order)
    count: dict[tuple[str, str], int] = defaultdict(int)
    patients: dict[tuple[str, str], int] = defaultdict(int)
    for s in studies:
        key = (s.cell_type.value or "not reported", route_label(s.routes.value or []))
        count[key] += 1
        patients[key] += s.patients_enrolled.value or 0
    fig, ax = _axes(ax, (1.2 + 1.1 * len(routes), 0.9 + 0.42 * len(cells)))
    for (c, r), n in count.items():
        x, y = routes.index(r), cells.index(c)
        ax.scatter(
            x, y, s=30 + 4 * patients[(c, r)], color="#9ecae1", edgecolor="#3182bd", zorder=2
        )
        ax.annotate(f"{n}", (x, y), ha="center", va="center", fontsize=8, zorder=3)
    ax.set_xticks(range(len(routes)), routes)
    ax.set_yticks(range(len(cells)), cells)
    ax.set_xlim(-0.6, len(routes) - 0.4)
    ax.set_ylim(len(cells) - 0.5, -0.5)
    ax.grid(True, color="#eeeeee", zorder=0)
    ax.set_xlabel("Route")
    ax.set_title("Studies (number) and patients enrolled (circle area)", fontsize=10)
    return fig


def studies_by_cell_and_route(studies: list[Study]) -> Figure:
    return Figure(
        name="studies_by_cell_type_and_route",
        caption="Included studies by cell type and route; numbers are studies, circle area is "
        "proportional to patients enrolled.",
        figure=plot_studies_by_cell_and_route(studies),
    )


def plot_serious_events_by_route(studies: list[Study], ax: Any = None) -> Any:
    """Serious adverse events per route group, split by stated relation to the treatment."""
    tally: dict[str, dict[str, int]] = defaultdict(
        lambda: {"related": 0, "not related": 0, "unclear": 0}
    )
    n_studies: dict[str, int] = defaultdict(int)
    for s in studies:
        route = route_label(s.routes.value or [])
        n_studies[route] += 1
        for ae in s.safety.adverse_events:
            if ae.serious:
                kind = (
                    "related"
                    if ae.related
                    else ("not related" if ae.related is False else "unclear")
                )
                tally[route][kind] += ae.n_patients or 1
    routes = sorted(n_studies, key=route_order)
    fig, ax = _axes(ax, (6.5, 0.8 + 0.45 * len(routes)))
    left = [0.0] * len(routes)
    colours = {"related": "#d7301f", "unclear": "#fdae6b", "not related": "#bdbdbd"}
    for kind in ("related", "unclear", "not related"):
        values = [tally[r][kind] for r in routes]
        ax.barh(range(len(routes)), values, left=left, color=colours[kind], label=kind)
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(routes)), [f"{r} ({n_studies[r]} studies)" for r in routes])
    ax.invert_yaxis()
    ax.set_xlabel("Patients with a serious adverse event (events where not given)")
    ax.legend(title="Relation to treatment", fontsize=8, title_fontsize=8, loc="lower right")
    ax.set_title("Serious adverse events by route", fontsize=10)
    return fig


def serious_events_by_route(studies: list[Study]) -> Figure:
    return Figure(
        name="serious_adverse_events_by_route",
        caption="Serious adverse events reported per route group, by their stated relation to "
        "the cells or the procedure.",
        figure=plot_serious_events_by_route(studies),
    )


def pre_post_pairs(studies: list[Study]) -> list[tuple[str, str, float, float, Any]]:
    """(study label, cell type, pre, post, outcome) for monthly ALSFRS-R decline pre vs post."""
    pairs = []
    for s in studies:
        for o in s.efficacy:
            if o.measure != "alsfrs_r_monthly_decline" or o.comparison != "pre-post":
                continue
            est = [g for g in o.groups if g.estimate is not None]
            if len(est) < 2:
                continue
            pre, post = est[0], est[-1]
            label = s.label + (f" ({o.subgroup})" if o.subgroup and o.subgroup != "all" else "")
            pairs.append(
                (label, s.cell_type.value or "?", abs(pre.estimate), abs(post.estimate), o)
            )
    return pairs


def plot_alsfrs_pre_post(studies: list[Study], ax: Any = None) -> Any:
    """Dumbbell plot: monthly ALSFRS-R decline before (open) and after (filled) treatment."""
    pairs = pre_post_pairs(studies)
    fig, ax = _axes(ax, (6.5, 1.0 + 0.38 * max(len(pairs), 1)))
    for i, (_label, _cell, pre, post, o) in enumerate(pairs):
        colour = "#1b9e77" if post < pre else "#d95f02"
        ax.plot([pre, post], [i, i], color=colour, lw=2, zorder=1)
        ax.scatter([pre], [i], facecolor="white", edgecolor=colour, zorder=2, s=36)
        ax.scatter([post], [i], color=colour, zorder=2, s=36)
        if o.p_value is not None:
            ax.annotate(
                str(o.p_value),
                (max(pre, post), i),
                xytext=(6, 0),
                textcoords="offset points",
                va="center",
                fontsize=7,
            )
    ax.set_yticks(range(len(pairs)), [f"{p[0]} [{p[1]}]" for p in pairs])
    ax.invert_yaxis()
    ax.set_xlabel("ALSFRS-R points lost per month (open: before, filled: after treatment)")
    ax.set_xlim(left=0)
    ax.set_title("Monthly ALSFRS-R decline before and after treatment", fontsize=10)
    return fig


def alsfrs_pre_post(studies: list[Study]) -> Figure | None:
    if not pre_post_pairs(studies):
        return None
    return Figure(
        name="alsfrs_decline_pre_post",
        caption="Monthly ALSFRS-R decline before and after treatment in the studies that report "
        "both (single-arm, open-label comparisons with the patients' own pre-treatment course).",
        figure=plot_alsfrs_pre_post(studies),
    )
