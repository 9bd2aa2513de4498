"""Property tests of the visits parser: items give the total; bad values are always reported."""

from __future__ import annotations

import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.errors import ValidationError
from alsreview.trial.ipd import parse_trial

ITEMS = [f"alsfrs_r_{i}" for i in ("1", "2", "3", "4", "5a", "6", "7", "8", "9", "10", "11", "12")]
PATIENTS = pd.DataFrame(
    {
        "patient_id": ["1"],
        "age": ["50"],
        "sex": ["M"],
        "onset": ["spinal"],
        "disease_duration_months": ["12"],
        "in_efficacy_analysis": ["yes"],
        "exclusion_reason": [""],
    }
)


def _visits(rows: list[list[int]]) -> pd.DataFrame:
    df = pd.DataFrame([[str(v) for v in r] for r in rows], columns=ITEMS)
    df.insert(0, "month", [str(m) for m in range(len(rows))])
    df.insert(0, "visit", [f"v{m}" for m in range(len(rows))])
    df.insert(0, "patient_id", "1")
    return df


@settings(max_examples=50, deadline=None)
@given(st.lists(st.lists(st.integers(0, 4), min_size=12, max_size=12), min_size=1, max_size=6))
def test_items_in_range_sum_to_total(rows):
    t = parse_trial(PATIENTS, _visits(rows))
    assert t.visits["alsfrs_r"].tolist() == [sum(r) for r in rows]


@settings(max_examples=50, deadline=None)
@given(
    st.lists(st.integers(0, 4), min_size=12, max_size=12),
    st.integers(0, 11),
    st.one_of(st.integers(5, 99), st.integers(-99, -1)),
)
def test_out_of_range_item_is_located(row, k, bad):
    row = list(row)
    row[k] = bad
    try:
        parse_trial(PATIENTS, _visits([row]))
    except ValidationError as exc:
        assert any(p.row == 2 and p.column == ITEMS[k] for p in exc.problems)
    else:
        raise AssertionError("an item outside 0-4 was accepted")
