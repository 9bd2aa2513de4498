"""Screening figures: the recall curve of a simulated screening against random screening.

In: a `alsreview.screening.simulate.SimulationResult`.  Out: a matplotlib `Figure`
(no pyplot); `write_recall_plot` saves it as SVG or PNG by the file's suffix.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from alsreview.screening.simulate import SimulationResult

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


def plot_recall_curve(result: SimulationResult, ax: Axes | None = None) -> Figure:
    """Recall against the fraction of records screened, with random screening (the
    diagonal, its expected recall) and the 95 % recall line; priors count as screened."""
    from matplotlib.figure import Figure as MplFigure

    if ax is None:
        fig = MplFigure(figsize=(5.2, 4.0), layout="constrained")
        ax = fig.add_subplot()
    else:
        root = ax.get_figure(root=True)
        assert root is not None  # an Axes always belongs to a figure
        fig = root
    x, y = result.recall_curve()
    ax.plot([0, 1], [0, 1], color="#888888", linestyle="--", label="random screening (expected)")
    ax.step(x, y, where="post", color="#1b9e77", label=f"ranked ({result.model or 'model'})")
    ax.axhline(0.95, color="#d95f02", linewidth=0.8, linestyle=":", label="95% recall")
    ax.axvline(result.frac_screened_95, color="#d95f02", linewidth=0.8, linestyle=":")
    ax.set_xlim(0, 1)
    ax.set_ylim(0, 1.02)
    ax.set_xlabel("fraction of records screened")
    ax.set_ylabel("recall (included records found)")
    ax.set_title(
        f"{result.n_records} records, {result.n_included} included; WSS@95 = {result.wss95:.3f}",
        fontsize=9,
    )
    ax.legend(loc="lower right", fontsize=8, frameon=False)
    return fig


def write_recall_plot(result: SimulationResult, path: str | Path) -> Path:
    """Save the recall curve; the format follows the suffix (.svg or .png)."""
    p = Path(path)
    fmt = p.suffix.lower().lstrip(".")
    if fmt not in ("svg", "png"):
        from alsreview.errors import ValidationError

        raise ValidationError(f"{p}: the plot is written as .svg or .png")
    fig = plot_recall_curve(result)
    fig.savefig(p, format=fmt, dpi=150 if fmt == "png" else None, metadata=None)
    return p
