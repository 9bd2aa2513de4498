"""Forest and funnel plots: what is drawn sits where the fitted numbers say.

The BCG vaccine trials (metafor reference file) are plotted; positions of squares, whiskers,
diamonds, the prediction interval and trim-and-fill points are compared with the fit, the
subgroup fits refitted here independently, and `predict()`.  Files are written as SVG and
PNG and read back.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET

import numpy as np
import pytest
from tests.meta.reference import load

from alsreview.errors import ValidationError
from alsreview.meta.bias import trimfill
from alsreview.meta.rma import rma
from alsreview.report.meta_plots import forest, funnel, save_figure


@pytest.fixture(scope="module")
def bcg():
    ref = load("bcg.json")
    yi, vi = np.asarray(ref["yi"]), np.asarray(ref["vi"])
    groups = ["high" if row["ablat"] >= 34 else "low" for row in ref["raw"]]
    return yi, vi, groups


def _by_gid(items, gid):
    return [a for a in items if a.get_gid() == gid]


def test_forest_positions_follow_the_fit(bcg):
    yi, vi, _ = bcg
    fit = rma(yi, vi)
    fig = forest(fit, exp=True)
    ax = fig.axes[0]
    squares = _by_gid(ax.collections, "study")
    assert len(squares) == yi.size
    xs = np.array([sq.get_offsets()[0][0] for sq in squares])
    assert xs == pytest.approx(np.exp(yi), rel=1e-12)
    # square areas grow with the study weights
    sizes = np.array([sq.get_sizes()[0] for sq in squares])
    assert np.argmax(sizes) == np.argmax(fit.weights)
    whisker = _by_gid(ax.lines, "ci:0")[0].get_xdata()
    assert whisker == pytest.approx(np.exp(yi[0] + np.array([-1, 1]) * 1.959964 * vi[0] ** 0.5))
    (diamond,) = _by_gid(ax.patches, "summary")
    xy = diamond.get_xy()
    assert sorted(set(np.round(xy[:, 0], 12))) == pytest.approx(
        np.exp([fit.ci_lb[0], fit.estimate, fit.ci_ub[0]]), rel=1e-12
    )
    pred = fit.predict()
    (pi,) = _by_gid(ax.lines, "prediction_interval")
    assert pi.get_xdata() == pytest.approx(np.exp(np.ravel([pred.pi_lb, pred.pi_ub])), rel=1e-12)
    texts = [t.get_text() for t in ax.texts]
    shown = [float(t[:-1]) for t in texts if t.endswith("%") and t != "100%"]
    assert shown == pytest.approx(list(np.round(fit.weights, 1)), abs=1e-9)
    assert "Study 13" in texts


def test_forest_subgroup_diamonds_are_the_subgroup_fits(bcg):
    yi, vi, groups = bcg
    fig = forest(rma(yi, vi), subgroups=groups)
    ax = fig.axes[0]
    g = np.asarray(groups)
    for label in ("high", "low"):
        (poly,) = _by_gid(ax.patches, f"subgroup:{label}")
        own = rma(yi[g == label], vi[g == label])
        xs = sorted(set(np.round(poly.get_xy()[:, 0], 12)))
        assert xs == pytest.approx([own.ci_lb[0], own.estimate, own.ci_ub[0]], rel=1e-12)
    notes = [t.get_text() for t in ax.texts if "subgroup differences" in t.get_text()]
    assert notes and "df = 1" in notes[0]


def test_forest_draws_into_a_given_axes(bcg):
    from matplotlib.figure import Figure

    yi, vi, _ = bcg
    outer = Figure(figsize=(12, 8))
    ax = outer.add_subplot(1, 2, 2)
    assert forest(rma(yi, vi, method="EE"), ax=ax) is outer
    assert not _by_gid(ax.lines, "prediction_interval")  # no PI for a fixed-effect model


def test_funnel_with_trimfill_points(bcg):
    yi, vi, _ = bcg
    tf = trimfill(rma(yi, vi, method="DL"))
    fig = funnel(tf)
    ax = fig.axes[0]
    (obs,) = _by_gid(ax.collections, "observed")
    assert np.asarray(obs.get_offsets())[:, 0] == pytest.approx(yi)
    assert np.asarray(obs.get_offsets())[:, 1] == pytest.approx(np.sqrt(vi))
    (filled,) = _by_gid(ax.collections, "filled")
    assert len(filled.get_offsets()) == tf.k0 == 1
    assert np.asarray(filled.get_offsets())[:, 0] == pytest.approx(tf.yi_fill)
    (centre,) = _by_gid(ax.lines, "estimate")
    assert centre.get_xdata()[0] == pytest.approx(tf.estimate)
    low, high = ax.get_ylim()
    assert low > high == 0.0  # standard error 0 at the top


def test_save_writes_svg_and_png(tmp_path, bcg):
    yi, vi, groups = bcg
    svg, png = save_figure(forest(rma(yi, vi), subgroups=groups), tmp_path, "forest_bcg")
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    root = ET.fromstring(svg.read_bytes())
    ids = {el.get("id") for el in root.iter()}
    assert {"summary", "subgroup:high", "subgroup:low", "prediction_interval"} <= ids


def test_forest_refuses_meta_regression_and_bad_labels(bcg):
    yi, vi, _ = bcg
    with pytest.raises(ValidationError, match="without moderators"):
        forest(rma(yi, vi, mods=np.arange(yi.size)))
    with pytest.raises(ValidationError, match="labels"):
        forest(rma(yi, vi), slab=["a", "b"])
    with pytest.raises(ValidationError, match="without moderators"):
        funnel(rma(yi, vi, mods=np.arange(yi.size)))
