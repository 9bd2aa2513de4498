"""The checks of test_metafor_reference.py on further metafor outputs of the same shape
(tests/meta/data/metafor_more/*.json, written by tests/meta/data/make_more_reference.R):
measures and data sets the shared reference files do not contain - PR, PLN, PAS, COR, RD,
SMD, ORs with zero cells, a GEN meta-regression, a homogeneous set with tau2 at 0."""

from __future__ import annotations

from pathlib import Path

import pytest

from . import test_metafor_reference as ref_tests
from .reference import load

MORE = sorted(str(p) for p in (Path(__file__).parent / "data" / "metafor_more").glob("*.json"))


def _fits() -> list[tuple[str, str]]:
    return [(name, fit) for name in MORE for fit in load(name)["fits"]]


def _id(x: object) -> str:
    return Path(x).name if isinstance(x, str) and x.endswith(".json") else str(x)


def test_the_extra_reference_set_is_there() -> None:
    assert len(MORE) >= 10


@pytest.mark.parametrize("name", MORE, ids=_id)
def test_escalc(name: str) -> None:
    ref_tests.test_escalc_matches_metafor(name)


@pytest.mark.parametrize(("name", "fit"), _fits(), ids=_id)
def test_fit(name: str, fit: str) -> None:
    ref_tests.test_rma_fit_matches_metafor(name, fit)


@pytest.mark.parametrize("name", MORE, ids=_id)
def test_predict_and_confint(name: str) -> None:
    ref_tests.test_predict_matches_metafor(name)
    ref_tests.test_confint_matches_metafor(name)


@pytest.mark.parametrize("name", [n for n in MORE if "metareg_REML" in load(n)], ids=_id)
def test_metaregression(name: str) -> None:
    ref_tests.test_metaregression_matches_metafor(name)
