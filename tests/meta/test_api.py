"""The Python API a notebook user meets (issue 9, part 4): package exports are the functions
they name, ``data=``/``slab=`` on escalc and rma, results whose repr is the summary, a
DataFrame summary and an HTML rendering, and one ``level`` convention (percent; 0.95 is
refused with a message that says what to write).  Numbers: dat.bcg in metafor 3.8-1,
``rma(measure="RR", ai=tpos, bi=tneg, ci=cpos, di=cneg, data=dat.bcg)`` prints estimate
-0.7145, se 0.1798, tau^2 0.3132 (the reference file bcg.json)."""

from __future__ import annotations

import importlib
import inspect

import numpy as np
import pandas as pd
import pytest

from alsreview.errors import ValidationError

from .reference import load


@pytest.mark.parametrize("package", ["alsreview.meta", "alsreview.trial", "alsreview.report"])
def test_every_exported_name_is_what_it_says(package: str) -> None:
    pkg = importlib.import_module(package)
    assert pkg.__all__ == sorted(pkg._WHERE)
    for name in pkg.__all__:
        obj = getattr(pkg, name)
        assert not inspect.ismodule(obj), name
        assert getattr(obj, "__name__", name) == name or name.isupper(), name
        module = importlib.import_module(f"{package}.{pkg._WHERE[name]}")
        assert obj is getattr(module, name)
        assert name in dir(pkg)
    with pytest.raises(AttributeError):
        pkg.no_such_name  # noqa: B018
    # importing the submodules of the same names afterwards does not hide the functions
    for name, module in pkg._WHERE.items():
        if name == module:
            importlib.import_module(f"{package}.{name}")
            assert inspect.isfunction(getattr(pkg, name)), name


def test_notebook_session_on_a_dataframe() -> None:
    from alsreview.meta import escalc, rma

    raw = load("bcg.json")["raw"]
    df = pd.DataFrame(raw)
    df["study"] = [f"trial {i + 1}" for i in range(len(raw))]
    es = escalc("RR", ai="tpos", bi="tneg", ci="cpos", di="cneg", data=df, slab="study")
    df["yi"], df["vi"] = es.yi, es.vi
    res = rma(data=df, yi="yi", vi="vi", slab="study")
    ref = load("bcg.json")["fits"]["REML"]
    assert res.estimate == pytest.approx(ref["estimate"], rel=1e-5)
    assert res.slab == tuple(df["study"])
    # the same fit from the escalc result directly
    assert rma(es).estimate == res.estimate and rma(es).slab == res.slab
    text = repr(res)
    assert text.startswith("Random-Effects Model (k = 13") and "array(" not in text
    frame = res.summary_frame()
    assert list(frame.columns) == ["estimate", "se", "zval", "pval", "ci_lb", "ci_ub"]
    assert frame.loc["intrcpt", "se"] == pytest.approx(ref["se"], rel=1e-5)
    html = res._repr_html_()
    assert "<table" in html and "Random-Effects Model" in html
    assert list(res.study_frame().index) == list(df["study"])
    assert res.predict().summary_frame()["pred"][0] == pytest.approx(ref["estimate"], rel=1e-5)
    assert "tau2" in res.confint().summary_frame().index
    assert es.summary_frame().index.name == "study"


def test_level_is_a_percentage_and_the_other_scale_is_refused() -> None:
    from alsreview.meta import rma, rma_batch, rma_mh
    from alsreview.meta.conversions import sd_from_ci
    from alsreview.report.meta_plots import funnel

    yi, vi = [0.1, 0.3, 0.35, 0.6], [0.01, 0.02, 0.015, 0.03]
    res = rma(yi, vi, level=90)
    assert res.level == 90
    for call in (
        lambda: rma(yi, vi, level=0.95),
        lambda: res.predict(level=0.9),
        lambda: res.confint(level=0.95),
        lambda: rma_batch(np.array([yi]), np.array([vi]), level=0.95),
        lambda: rma_mh([2, 3, 1], [20, 18, 25], [5, 6, 4], [17, 15, 22], level=0.95),
        lambda: sd_from_ci(1.0, 3.0, 40, level=0.95),
        lambda: funnel(res, level=0.95),
    ):
        with pytest.raises(ValidationError, match="level is a percentage"):
            call()


def test_generated_to_dict_is_plain_python() -> None:
    from alsreview.meta import leave1out, rma

    res = leave1out(rma([0.1, 0.3, 0.35, 0.6], [0.01, 0.02, 0.015, 0.03]))
    out = res.to_dict()
    assert set(out) >= {"estimate", "tau2", "I2"}
    assert all(type(x) is float for x in out["estimate"])


def test_trial_uses_the_same_level_convention() -> None:
    from alsreview.trial.mixed import piecewise_lmm

    rng = np.random.default_rng(3)
    rows = [
        (p, m, 40 - 0.8 * m + 0.3 * max(m, 0) + rng.normal(0, 1))
        for p in range(12)
        for m in (-6, -3, 0, 3, 6)
    ]
    visits = pd.DataFrame(rows, columns=["patient_id", "month", "alsfrs_r"])
    fit = piecewise_lmm(visits, level=90)
    assert fit.level == 90 and "90%" in fit.summary()
    with pytest.raises(ValidationError, match="level is a percentage"):
        piecewise_lmm(visits, level=0.95)


def test_conversions_and_the_alsfrs_synthesis_in_a_notebook() -> None:
    """The conversion results and the ALSFRS-R synthesis are on the shared results mixin."""
    import json

    from alsreview.evidence import load_evidence
    from alsreview.meta.alsfrs import alsfrs_synthesis
    from alsreview.meta.conversions import combine_groups, mean_sd_from_quantiles

    est = mean_sd_from_quantiles(30, 5.0, q1=3.0, q3=8.0)
    assert repr(est) == est.summary() and "scenario S2" in repr(est)
    row = est.summary_frame().iloc[0]
    assert (row["mean"], row["sd"], row["n"], row["scenario"]) == (est.mean, est.sd, 30, "S2")
    assert est.to_dict()["sd_method"] == est.sd_method

    group = combine_groups((10, 1.0, 1.0), (10, 3.0, 1.0))
    # Cochrane Handbook Table 6.5.a: SD = sqrt((9 + 9 + 10 * 10 / 20 * 4) / 19) = sqrt(38/19)
    assert group.to_dict() == {"n": 20, "mean": 2.0, "sd": pytest.approx(2**0.5)}
    assert "n = 20" in group._repr_html_()

    syn = alsfrs_synthesis(load_evidence().studies)
    assert repr(syn) == syn.summary()
    frame = syn.summary_frame()  # the sensitivity table: measures x assumed correlations
    assert len(frame) == 2 * len(syn.correlations) and set(frame["measure"]) == {"MC", "SMCR"}
    assert frame.equals(syn.sensitivity.summary_frame())
    primary = frame[(frame["measure"] == "MC") & (frame["ri"] == syn.primary_r)].iloc[0]
    assert primary["estimate"] == pytest.approx(syn.primary.estimate, rel=1e-12)
    assert "<table" in syn._repr_html_() and repr(syn.sensitivity.rows[0]).startswith("r = ")
    out = json.loads(json.dumps(syn.to_dict()))
    assert len(out["studies"]) == syn.k and out["primary"]["k"] == syn.k
    assert out["sensitivity"]["rows"][0] == syn.sensitivity.rows[0].to_dict()
