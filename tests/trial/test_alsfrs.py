"""ALSFRS-R subscores and staging, on rows worked out by hand from the published rules."""

from __future__ import annotations

import math

import pandas as pd
import pytest

from alsreview.trial.alsfrs import delta_frs, kings_stage, mitos_stage, subscores

NAMES = [f"alsfrs_r_{i}" for i in ("1", "2", "3", "4", "5a", "6", "7", "8", "9", "10", "11", "12")]


def _row(*values, gastrostomy=False):
    names = [n.replace("5a", "5b") if gastrostomy else n for n in NAMES]
    return dict(zip(names, values, strict=True))


# (items, King's, MiToS) - each line reasoned from Balendra 2014 and Chiò 2015
CASES = [
    (_row(4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4), 0, 0),  # normal scale
    (_row(3, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4, 4), 1, 0),  # speech only: bulbar region
    (_row(4, 4, 4, 3, 4, 4, 4, 3, 4, 4, 4, 4), 2, 0),  # handwriting + walking
    (_row(3, 3, 3, 2, 2, 2, 2, 2, 2, 3, 4, 4), 3, 0),  # three regions, nothing lost
    (_row(3, 3, 1, 2, 2, 1, 2, 2, 2, 3, 4, 4, gastrostomy=True), 4.1, 2),  # 5b; swallow+self-care
    (_row(1, 3, 3, 1, 2, 2, 2, 2, 2, 3, 4, 3), 4.2, 1),  # NIV (item 12 < 4); lost communicating
    (_row(1, 1, 0, 0, 1, 0, 0, 0, 0, 1, 1, 2, gastrostomy=True), 4.2, 4),  # everything lost
]


@pytest.mark.parametrize(("items", "kings", "mitos"), CASES)
def test_staging(items, kings, mitos):
    df = pd.DataFrame([items])
    assert kings_stage(df).iloc[0] == kings
    assert mitos_stage(df).iloc[0] == mitos


def test_mitos_death_and_missing():
    df = pd.DataFrame([CASES[0][0], {**CASES[0][0], "alsfrs_r_3": float("nan")}])
    m = mitos_stage(df, died=pd.Series([True, False]))
    assert m.iloc[0] == 5
    assert math.isnan(m.iloc[1])
    assert math.isnan(kings_stage(df).iloc[1])


def test_subscores():
    df = pd.DataFrame([CASES[4][0]])
    s = subscores(df).iloc[0]
    assert (s.bulbar, s.fine_motor, s.gross_motor, s.respiratory) == (7, 5, 6, 11)
    assert s.sum() == sum(CASES[4][0].values())


def test_delta_frs():
    # 002_* patient 1: ALSFRS 15 at day 0 after 23 months of disease
    assert delta_frs(15, 23) == pytest.approx(33 / 23)
    assert math.isnan(delta_frs(40, 0))
