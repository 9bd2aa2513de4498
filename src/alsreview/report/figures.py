"""Report figures drawn from the evidence base (matplotlib, imported inside each function).

In: studies.  Out: `Figure`s wrapping a matplotlib figure; `report/build.py` writes each as
SVG and PNG and inlines the SVG.  Each `plot_*` function accepts `ax=` and returns the
matplotlib figure, so the same drawing serves notebooks.
"""

from __future__ import annotations

from collections import defaultdict
from typing import TYPE_CHECKING, Any

from alsreview.evidence.model import Study
from alsreview.evidence.taxonomy import load_taxonomy, route_label
from alsreview.report.section import Figure

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure as MplFigure

    from alsreview.evidence.model import Outcome

ROUTE_COLOURS = {"IT": "#1b9e77", "IMd": "#d95f02", "IM": "#7570b3", "IV": "#e7298a"}


def route_order(route: str) -> tuple[int, str]:
    """Single routes first, then combinations, then 'not reported'."""
    return (99 if route == "not reported" else route.count("+"), route)


def _axes(ax: Any, size: tuple[float, float]) -> tuple[Any, Any]:
    from matplotlib.figure import Figure as MplFigure

    if ax is not None:
        fig = ax.get_figure(root=True)
        assert fig is not None  # an Axes always belongs to a figure
        return fig, ax
    fig = MplFigure(figsize=size, layout="constrained")
    return fig, fig.add_subplot()


def plot_studies_by_cell_and_route(studies: list[Study], ax: Axes | None = None) -> MplFigure:
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


def serious_status(study: Study) -> str:
    """What a study reports on serious adverse events related to the treatment: "reported"
    (at least one), "none" (states there were none), or "not stated"."""
    if any(ae.serious and ae.related for ae in study.safety.adverse_events):
        return "reported"
    fact = study.safety.serious_related_events
    if fact is not None and fact.value is not None:
        return "reported" if fact.value > 0 else "none"
    return "not stated"


def plot_serious_events_by_route(studies: list[Study], ax: Axes | None = None) -> MplFigure:
    """Studies per route group by what they report on serious treatment-related events.

    One unit throughout (studies): per-patient counts exist for one trial only, so they are
    not mixed in; they are in the safety tables."""
    kinds = ("reported", "none", "not stated")
    tally: dict[str, dict[str, int]] = defaultdict(lambda: dict.fromkeys(kinds, 0))
    for s in studies:
        tally[route_label(s.routes.value or [])][serious_status(s)] += 1
    routes = sorted(tally, key=route_order)
    fig, ax = _axes(ax, (6.5, 0.8 + 0.45 * len(routes)))
    left = [0.0] * len(routes)
    colours = {"reported": "#d7301f", "none": "#74c476", "not stated": "#d9d9d9"}
    labels = {
        "reported": "serious related event(s) reported",
        "none": "states none",
        "not stated": "not stated",
    }
    for kind in kinds:
        values = [tally[r][kind] for r in routes]
        ax.barh(range(len(routes)), values, left=left, color=colours[kind], label=labels[kind])
        left = [a + b for a, b in zip(left, values, strict=True)]
    ax.set_yticks(range(len(routes)), routes)
    ax.invert_yaxis()
    ax.set_xlabel("Studies")
    ax.legend(fontsize=8, loc="lower right")
    ax.set_title("Serious treatment-related adverse events: studies by route", fontsize=10)
    return fig


def serious_events_by_route(studies: list[Study]) -> Figure:
    return Figure(
        name="serious_adverse_events_by_route",
        caption="Studies per route group by what they report on serious adverse events related "
        "to the cells or the procedure (counted in studies; patient counts in the tables).",
        figure=plot_serious_events_by_route(studies),
    )


def pre_post_pairs(studies: list[Study]) -> list[tuple[str, str, float, float, Outcome]]:
    """(study label, cell type, pre, post, outcome) for monthly ALSFRS-R decline pre vs post."""
    pairs = []
    for s in studies:
        for o in s.efficacy:
            if o.measure != "alsfrs_r_monthly_decline" or o.comparison != "pre-post":
                continue
            est = [g for g in o.groups if g.estimate is not None]
            if len(est) < 2 or any(g.unit != "points/month" for g in est):
                continue  # no monthly rate printed: not on a per-month axis
            pre, post = est[0].estimate, est[-1].estimate
            assert pre is not None and post is not None  # est keeps groups with an estimate
            label = s.label + (f" ({o.subgroup})" if o.subgroup and o.subgroup != "all" else "")
            pairs.append((label, s.cell_type.value or "?", pre, post, o))
    return pairs


def plot_alsfrs_pre_post(studies: list[Study], ax: Axes | None = None) -> MplFigure:
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
    ax.axvline(0, color="0.6", lw=0.8)
    ax.set_title("Monthly ALSFRS-R decline before and after treatment", fontsize=10)
    return fig


def alsfrs_pre_post(studies: list[Study]) -> Figure | None:
    if not pre_post_pairs(studies):
        return None
    return Figure(
        name="alsfrs_decline_pre_post",
        caption="Monthly ALSFRS-R decline before and after treatment in the studies that report "
        "both per month (single-arm, open-label comparisons with the patients' own pre-treatment "
        "course; studies printing no time unit are left out).",
        figure=plot_alsfrs_pre_post(studies),
    )
