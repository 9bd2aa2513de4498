"""escalc beyond the shared reference files: the proportion measures, zero-cell options,
correlations and one-group means against metafor (tests/meta/data/metafor_extra.json, written
by tests/meta/data/make_reference.R), plus textbook identities and input errors."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest

from alsreview.errors import ValidationError
from alsreview.meta.effects import cmicalc, escalc

EXTRA = json.loads((Path(__file__).parent / "data" / "metafor_extra.json").read_text())
CASES = EXTRA["escalc"]


@pytest.mark.parametrize("case", sorted(CASES))
def test_escalc_matches_metafor(case: str) -> None:
    spec = CASES[case]
    args = dict(spec["args"])
    measure = case.split("_")[0]
    to = args.pop("to", "only0")
    es = escalc(measure, to=to, **args)
    # metafor writes NA where the effect is undefined (log of a zero cell with to="none")
    ref_yi = np.array([math.nan if x == "NA" else x for x in spec["yi"]], float)
    ref_vi = np.array([math.nan if x == "NA" else x for x in spec["vi"]], float)
    np.testing.assert_allclose(es.yi, ref_yi, rtol=1e-6)
    np.testing.assert_allclose(es.vi, ref_vi, rtol=1e-6)


def test_zero_cell_correction_only_touches_tables_with_a_zero() -> None:
    # study 1 has no zero: its log odds ratio must be the uncorrected one
    es = escalc("OR", ai=[5, 0], bi=[15, 10], ci=[10, 4], di=[10, 6])
    assert es.yi[0] == pytest.approx(math.log(5 * 10 / (15 * 10)))
    assert es.yi[1] == pytest.approx(math.log(0.5 * 6.5 / (10.5 * 4.5)))
    assert es.vi[1] == pytest.approx(1 / 0.5 + 1 / 10.5 + 1 / 4.5 + 1 / 6.5)


def test_bi_and_n1i_are_interchangeable() -> None:
    a = escalc("RR", ai=[4, 6], bi=[119, 300], ci=[11, 29], di=[128, 274])
    b = escalc("RR", ai=[4, 6], n1i=[123, 306], ci=[11, 29], n2i=[139, 303])
    np.testing.assert_array_equal(a.yi, b.yi)
    np.testing.assert_array_equal(a.vi, b.vi)


def test_hedges_correction_factor() -> None:
    # c(m) = Γ(m/2) / (√(m/2) Γ((m-1)/2)); Hedges' approximation 1 - 3/(4m - 1) agrees closely
    m = np.array([10.0, 20.0, 50.0])
    np.testing.assert_allclose(cmicalc(m), 1 - 3 / (4 * m - 1), rtol=5e-4)
    assert math.isnan(cmicalc(np.array([1.0]))[0])


def test_gen_takes_sei() -> None:
    es = escalc("GEN", yi=[0.1, 0.2], sei=[0.5, 0.25])
    np.testing.assert_allclose(es.vi, [0.25, 0.0625])


def test_accepts_a_dataframe() -> None:
    import pandas as pd

    df = pd.DataFrame({"ri": [0.3, 0.5], "ni": [20, 40], "study": ["a", "b"]})
    es = escalc("ZCOR", df)
    np.testing.assert_allclose(es.yi, np.arctanh([0.3, 0.5]))
    np.testing.assert_allclose(es.vi, [1 / 17, 1 / 37])
    assert list(es.to_frame().columns) == ["yi", "vi"]


@pytest.mark.parametrize(
    ("measure", "kwargs", "match"),
    [
        ("XYZ", {}, "unknown measure"),
        ("OR", {"ai": [1], "ci": [2]}, "needs bi or n1i"),
        ("OR", {"ai": [5], "n1i": [3], "ci": [1], "n2i": [4]}, "events <= group size"),
        ("MD", {"m1i": [1], "sd1i": [1], "n1i": [5], "m2i": [0], "sd2i": [-1], "n2i": [5]}, "SD"),
        ("ZCOR", {"ri": [1.2], "ni": [20]}, r"\[-1, 1\]"),
        ("ZCOR", {"ri": [0.2], "ni": [3]}, "ni > 3"),
        ("SMCR", {"m1i": [1], "m2i": [0], "ni": [5], "ri": [0.5]}, "missing: sd1i"),
        ("PLO", {"xi": ["a"], "ni": [3]}, "numeric"),
    ],
)
def test_bad_input_is_named(measure: str, kwargs: dict, match: str) -> None:
    with pytest.raises(ValidationError, match=match):
        escalc(measure, **kwargs)


def test_error_names_the_study() -> None:
    with pytest.raises(ValidationError, match="study 2"):
        escalc("PR", xi=[1, 9], ni=[5, 4])
