"""Forest and funnel plots of fitted meta-analyses.

In:  an `RmaResult` (forest; optional study labels and subgroup labels), an `RmaResult` or
     a `TrimfillResult` (funnel).
Out: a matplotlib ``Figure`` (the one holding ``ax`` when an axes is passed in);
     `save_figure` writes it as SVG and PNG.

matplotlib is imported inside the functions and figures are built with
``matplotlib.figure.Figure`` (no pyplot state), so importing this module is cheap and
plotting is safe in servers and tests. Drawn elements carry ``gid``s (``study``,
``summary``, ``prediction_interval``, ``subgroup:<label>``, ``observed``, ``filled``) that
also appear as ids in the SVG.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np

from alsreview.errors import ValidationError

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure

    from alsreview.meta.bias import TrimfillResult
    from alsreview.meta.results import RmaResult


def _crit(level: float) -> float:
    from alsreview.meta.distributions import norm_ppf
    from alsreview.results import check_level

    return float(norm_ppf(1 - (1 - check_level(level) / 100) / 2))


def _new_axes(ax: Axes | None, figsize: tuple[float, float]) -> tuple[Figure, Axes]:
    if ax is not None:
        fig = ax.get_figure(root=True)
        assert fig is not None  # an Axes always belongs to a figure
        return fig, ax
    from matplotlib.figure import Figure

    fig = Figure(figsize=figsize)
    return fig, fig.add_subplot(1, 1, 1)


def _diamond(ax: Any, est: float, lb: float, ub: float, y: float, gid: str, color: str) -> None:
    from matplotlib.patches import Polygon

    h = 0.35
    poly = Polygon(
        [(lb, y), (est, y + h), (ub, y), (est, y - h)],
        closed=True,
        facecolor=color,
        edgecolor="black",
        linewidth=0.8,
        zorder=3,
    )
    poly.set_gid(gid)
    ax.add_patch(poly)


def forest(
    fit: RmaResult,
    *,
    slab: Sequence[object] | None = None,
    subgroups: Sequence[object] | None = None,
    exp: bool = False,
    xlab: str | None = None,
    refline: float | None = None,
    show_weights: bool = True,
    show_pi: bool = True,
    digits: int = 2,
    title: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Forest plot: one row per study (square sized by its weight in ``fit``, CI whisker),
    optional subgroup blocks with their own pooled diamonds, the overall diamond with its
    prediction interval, and text columns with weights and estimates [CIs].

    Study CIs use the normal quantile at ``fit.level``; subgroup fits use the fit's method
    and test (`alsreview.meta.subgroups.subgroups`), whose test for subgroup differences
    is printed under the plot. ``exp=True`` shows exp(values) on a log axis (OR, RR).
    """
    if getattr(fit, "p", 1) != 1:
        raise ValidationError("a forest plot needs a model without moderators")
    yi = np.asarray(fit.yi, float)
    vi = np.asarray(fit.vi, float)
    k = yi.size
    labels = [f"Study {i + 1}" for i in range(k)] if slab is None else [str(s) for s in slab]
    if len(labels) != k:
        raise ValidationError(f"{len(labels)} study labels for {k} studies")
    crit = _crit(fit.level)
    lo, hi = yi - crit * np.sqrt(vi), yi + crit * np.sqrt(vi)
    weights = np.asarray(fit.weights, float)
    f = np.exp if exp else (lambda x: x)
    fmt = f"{{:.{digits}f}}"

    def est_text(e: float, a: float, b: float) -> str:
        return f"{fmt.format(f(e))} [{fmt.format(f(a))}, {fmt.format(f(b))}]"

    # row layout, top to bottom
    rows: list[tuple[str, Any]] = []
    sub = None
    if subgroups is not None:
        from alsreview.meta.subgroups import subgroups as fit_subgroups

        groups = [str(g) for g in subgroups]
        if len(groups) != k:
            raise ValidationError(f"{len(groups)} subgroup labels for {k} studies")
        sub = fit_subgroups(yi, vi, groups, method=fit.method, test=fit.test, level=fit.level)
        for g in sub.groups:
            rows.append(("header", g))
            rows += [("study", i) for i in range(k) if groups[i] == g]
            rows.append(("subgroup", g))
            rows.append(("blank", None))
    else:
        rows += [("study", i) for i in range(k)]
        rows.append(("blank", None))
    rows.append(("summary", None))

    n_rows = len(rows)
    height = max(3.5, 0.3 * (n_rows + 6))
    own = ax is None
    fig, ax = _new_axes(ax, (10.0, height))
    if own:
        fig.subplots_adjust(left=0.30, right=0.62, top=1 - 0.5 / height, bottom=1.6 / height)
    trans = ax.get_yaxis_transform()  # x in axes coordinates, y in data coordinates
    wmax = float(weights.max()) if k else 1.0
    xs_all = [lo, hi]
    for row, (kind, val) in enumerate(rows):
        y = n_rows - row
        if kind == "header":
            ax.text(-0.02, y, val, transform=trans, ha="right", va="center", weight="bold")
        elif kind == "study":
            i = val
            (line,) = ax.plot([f(lo[i]), f(hi[i])], [y, y], color="black", lw=0.9, zorder=2)
            line.set_gid(f"ci:{i}")
            sq = ax.scatter(
                [f(yi[i])],
                [y],
                s=[20 + 130 * weights[i] / wmax],
                marker="s",
                color="black",
                zorder=3,
            )
            sq.set_gid("study")
            ax.text(-0.02, y, labels[i], transform=trans, ha="right", va="center")
            if show_weights:
                ax.text(1.04, y, f"{weights[i]:.1f}%", transform=trans, ha="left", va="center")
            ax.text(1.25, y, est_text(yi[i], lo[i], hi[i]), transform=trans, ha="left", va="center")
        elif kind == "subgroup":
            assert sub is not None  # subgroup rows exist only when sub was fitted
            sg = sub.fits[val]
            _diamond(
                ax, f(sg.estimate), f(sg.ci_lb[0]), f(sg.ci_ub[0]), y, f"subgroup:{val}", "0.65"
            )
            tau = f", tau2 = {sg.tau2:.3f}" if sg.method != "EE" else ""
            ax.text(
                -0.02, y, f"Subtotal (k = {sg.k}{tau})", transform=trans, ha="right", va="center"
            )
            ax.text(
                1.25,
                y,
                est_text(sg.estimate, sg.ci_lb[0], sg.ci_ub[0]),
                transform=trans,
                ha="left",
                va="center",
            )
        elif kind == "summary":
            _diamond(ax, f(fit.estimate), f(fit.ci_lb[0]), f(fit.ci_ub[0]), y, "summary", "black")
            model = (
                "Fixed-effect model"
                if fit.method == "EE"
                else f"Random-effects model ({fit.method})"
            )
            ax.text(-0.02, y, model, transform=trans, ha="right", va="center", weight="bold")
            ax.text(
                1.25,
                y,
                est_text(fit.estimate, fit.ci_lb[0], fit.ci_ub[0]),
                transform=trans,
                ha="left",
                va="center",
                weight="bold",
            )
            if show_weights:
                ax.text(1.04, y, "100%", transform=trans, ha="left", va="center")
            if show_pi and fit.method != "EE":
                pred = fit.predict()
                pi_lb, pi_ub = float(np.ravel(pred.pi_lb)[0]), float(np.ravel(pred.pi_ub)[0])
                (pi,) = ax.plot(
                    [f(pi_lb), f(pi_ub)],
                    [y - 0.6, y - 0.6],
                    color="black",
                    lw=1.2,
                    ls="--",
                )
                pi.set_gid("prediction_interval")
                xs_all.append(np.array([pi_lb, pi_ub]))
                ax.text(
                    -0.02,
                    y - 0.6,
                    f"{fit.level:g}% prediction interval",
                    transform=trans,
                    ha="right",
                    va="center",
                    fontsize="small",
                )
    top = n_rows + 1
    ax.text(-0.02, top, "Study", transform=trans, ha="right", va="center", weight="bold")
    if show_weights:
        ax.text(1.04, top, "Weight", transform=trans, ha="left", va="center", weight="bold")
    ax.text(
        1.25,
        top,
        f"Estimate [{fit.level:g}% CI]",
        transform=trans,
        ha="left",
        va="center",
        weight="bold",
    )
    ref = (1.0 if exp else 0.0) if refline is None else refline
    ax.axvline(ref, color="0.4", lw=0.8, ls=":", zorder=1)
    xs_all.append(np.array([math.log(ref) if exp else ref]))
    lo_all = min(float(np.nanmin(x)) for x in xs_all)
    hi_all = max(float(np.nanmax(x)) for x in xs_all)
    pad = 0.05 * (hi_all - lo_all or 1.0)
    ax.set_xlim(f(lo_all - pad), f(hi_all + pad))
    if exp:
        from matplotlib.ticker import FixedLocator, FuncFormatter, NullLocator

        ax.set_xscale("log")
        low, high = ax.get_xlim()
        ticks = [m * 10.0**e for e in range(-4, 5) for m in (1, 2, 5) if low <= m * 10.0**e <= high]
        ax.xaxis.set_major_locator(FixedLocator(ticks))
        ax.xaxis.set_major_formatter(FuncFormatter(lambda v, _: f"{v:g}"))
        ax.xaxis.set_minor_locator(NullLocator())
    ax.set_ylim(-0.2 if show_pi else 0.3, top + 0.7)
    ax.set_yticks([])
    for side in ("left", "right", "top"):
        ax.spines[side].set_visible(False)
    ax.set_xlabel(xlab or ("Ratio (log scale)" if exp else "Effect size"))
    notes = [
        f"Heterogeneity: Q = {fit.QE:.2f}, df = {fit.k - 1}, p = {fit.QEp:.3g}; "
        f"I2 = {fit.I2:.1f}%; tau2 = {fit.tau2:.3g}"
    ]
    if sub is not None:
        notes.append(
            f"Test for subgroup differences: Q = {sub.Q_between:.2f}, df = {sub.df}, "
            f"p = {sub.pval:.3g}"
        )
    ax.annotate(
        "\n".join(notes),
        xy=(0.0, 0.0),
        xycoords="axes fraction",
        xytext=(0, -34),
        textcoords="offset points",
        ha="left",
        va="top",
        fontsize="small",
    )
    if title:
        ax.set_title(title, loc="left")
    return fig


def funnel(
    res: RmaResult | TrimfillResult,
    *,
    level: float = 95,
    xlab: str | None = None,
    ax: Axes | None = None,
) -> Figure:
    """Funnel plot: effect sizes against their standard errors (0 at the top), the pooled
    estimate and its pseudo-confidence region estimate +/- z SE. Given a `TrimfillResult`,
    the filled studies are drawn as open circles and the region is centred on the
    trim-and-fill estimate, as metafor's ``funnel(trimfill(...))``.
    """
    fit = getattr(res, "fit", res)
    if getattr(fit, "p", 1) != 1:
        raise ValidationError("a funnel plot needs a model without moderators")
    fill = np.asarray(getattr(res, "fill", np.zeros(len(fit.yi), bool)))
    yi = np.asarray(getattr(res, "yi", fit.yi), float)
    vi = np.asarray(getattr(res, "vi", fit.vi), float)
    sei = np.sqrt(vi)
    fig, ax = _new_axes(ax, (6.0, 5.0))
    est = fit.estimate
    z = _crit(level)
    smax = float(sei.max()) * 1.05
    ax.fill(
        [est - z * smax, est, est + z * smax],
        [smax, 0.0, smax],
        color="0.93",
        zorder=0,
        gid="funnel_region",
    )
    ax.plot([est - z * smax, est, est + z * smax], [smax, 0.0, smax], color="0.5", lw=0.8, ls=":")
    (centre,) = ax.plot([est, est], [0.0, smax], color="black", lw=0.9)
    centre.set_gid("estimate")
    obs = ax.scatter(yi[~fill], sei[~fill], s=22, color="black", zorder=3, label="studies")
    obs.set_gid("observed")
    if fill.any():
        filled = ax.scatter(
            yi[fill],
            sei[fill],
            s=22,
            facecolor="white",
            edgecolor="black",
            zorder=3,
            label=f"filled by trim-and-fill (k0 = {int(fill.sum())})",
        )
        filled.set_gid("filled")
        ax.legend(loc="best", fontsize="small", framealpha=0.9)
    ax.set_ylim(smax, 0.0)
    ax.set_ylabel("Standard error")
    ax.set_xlabel(xlab or "Effect size")
    return fig


def save_figure(
    fig: Figure, directory: str | Path, name: str, *, dpi: int = 150
) -> tuple[Path, Path]:
    """Write ``fig`` as ``<directory>/<name>.svg`` and ``.png``; returns both paths."""
    folder = Path(directory)
    folder.mkdir(parents=True, exist_ok=True)
    svg, png = folder / f"{name}.svg", folder / f"{name}.png"
    fig.savefig(svg, format="svg", bbox_inches="tight")
    fig.savefig(png, format="png", dpi=dpi, bbox_inches="tight")
    return svg, png
