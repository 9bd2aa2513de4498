"""The dose parser on every dose string printed in the two reviews, and on hostile input."""

import contextlib

import pytest
from hypothesis import given
from hypothesis import strategies as st

from alsreview.errors import DoseParseError
from alsreview.evidence import load_evidence
from alsreview.evidence.dose import parse_dose

M = 1e6

# Transcribed from 001_* Table 1 (per administration and total columns) and 000_* text,
# with superscript exponents as the extracted text prints them ("10 ⁶").
# expected: (low, high, unit) of the smallest/largest total over alternatives;
# None for strings whose components mix units.
CASES = [
    ("1.0x10 ⁶", (1 * M, 1 * M, "cells")),
    ("2.0x10 ⁶", (2 * M, 2 * M, "cells")),
    ("1.0x10 ⁵", (0.1 * M, 0.1 * M, "cells")),
    ("5.0x10 ⁵ or 1.0x10 ⁶", (0.5 * M, 1 * M, "cells")),
    ("5.0x10 ⁵ or 1.5x10 ⁶", (0.5 * M, 1.5 * M, "cells")),
    ("7.5x10 ⁵", (0.75 * M, 0.75 * M, "cells")),
    ("2.25x10 ⁶ or 4.5x10 ⁶", (2.25 * M, 4.5 * M, "cells")),
    ("Between 4.8*10 ⁷ and 8.6*10 ⁷", (48 * M, 86 * M, "cells")),
    ("between 9.6x10 ⁷ and 1.72x10 ⁸", (96 * M, 172 * M, "cells")),
    ("4.2x10 ⁷ to 1.0x10 ⁸ + 5.0x10 ⁶ to 9.7x10 ⁶", (47 * M, 109.7 * M, "cells")),
    ("between 4.7x10 ⁷ and 1.18x10 ⁸", (47 * M, 118 * M, "cells")),
    ("1.0x10 ⁶ to 8.0x10 ⁵", (0.8 * M, 1 * M, "cells")),
    ("between 2.9x10 ⁶ and 1.6x10 ⁷", (2.9 * M, 16 * M, "cells")),
    ("Between 1.5x10 ⁷ to 4.5x10 ⁶ /kg", (4.5 * M, 15 * M, "cells/kg")),
    ("1.0x10 ⁶ to 2.0x10 ⁶ + 2.0x10 ⁶ /kg", None),
    ("1.2x10 ⁸ IT, 4.8x10 ⁷ IM", (168 * M, 168 * M, "cells")),
    ("1.68x10 ⁸", (168 * M, 168 * M, "cells")),
    ("1.0x10 ⁷", (10 * M, 10 * M, "cells")),
    ("3.0x10 ⁷", (30 * M, 30 * M, "cells")),
    ("9.0x10 ⁷", (90 * M, 90 * M, "cells")),
    ("1.0x10 ⁶ /kg", (1 * M, 1 * M, "cells/kg")),
    ("1.0-4.0x10 ⁶ /kg", (1 * M, 4 * M, "cells/kg")),
    ("2.0x10 ⁵ or 5.0x10 ⁵", (0.2 * M, 0.5 * M, "cells")),
    ("2.0x10 ⁶ or 5.0x10 ⁶", (2 * M, 5 * M, "cells")),
    ("1.5x10 ⁷", (15 * M, 15 * M, "cells")),
    ("1.2x10 ⁸", (120 * M, 120 * M, "cells")),
    (
        "IM 1.0x10 ⁶ or IT 1.0x10 ⁶ /kg. A second group received 1.0- 2.0x10 ⁶ IM and 1.5-2.0x10 ⁶",
        None,
    ),
    # the forms and 000_* text
    ("1.0x10^6/kg", (1 * M, 1 * M, "cells/kg")),
    ("2.0x10⁶", (2 * M, 2 * M, "cells")),
    ("30 x 10^6", (30 * M, 30 * M, "cells")),
    ("1 x 10^8", (100 * M, 100 * M, "cells")),
    ("1x 10^6 cells/site", (1 * M, 1 * M, "cells/site")),
]


@pytest.mark.parametrize(("text", "expected"), CASES, ids=[c[0] for c in CASES])
def test_dose_strings_from_the_tables(text, expected):
    dose = parse_dose(text)
    assert dose.reported
    if expected is None:
        assert dose.unit is None  # mixed units: parts kept apart, no total invented
        assert dose.low is None
        assert sum(len(o.components) for o in dose.options) >= 2
    else:
        low, high, unit = expected
        assert dose.low == pytest.approx(low)
        assert dose.high == pytest.approx(high)
        assert dose.unit == unit


def test_mean_plus_minus_sd_shares_the_exponent():
    dose = parse_dose("15 ± 4.5 × 10^6")
    q = dose.options[0].components[0]
    assert q.mean == pytest.approx(15e6)
    assert q.sd == pytest.approx(4.5e6)


def test_routes_are_kept_per_component():
    dose = parse_dose("1.2x10^8 IT, 4.8x10^7 IM")
    assert [c.route for c in dose.options[0].components] == ["IT", "IM"]


def test_mixed_route_alternatives_and_lead_in():
    dose = parse_dose(CASES[26][0])
    assert [o.label for o in dose.options] == [None, None, "second group"]
    assert dose.options[1].components[0].unit == "cells/kg"
    assert dose.options[2].components[0].low == pytest.approx(1e6)


def test_high_to_low_range_is_parsed_with_a_warning():
    dose = parse_dose("1.0x10 ⁶ to 8.0x10 ⁵")
    assert dose.warnings and "high to low" in dose.warnings[0]


@pytest.mark.parametrize(
    ("text", "status"),
    [("Data not available", "not_available"), ("Cells not counted", "not_counted")],
)
def test_unreported_doses(text, status):
    dose = parse_dose(text)
    assert dose.status == status
    assert dose.low is None


def test_malformed_published_string_is_an_error_quoting_it():
    text = "Between 1.5x*7 to 4.5x10 ⁷"
    with pytest.raises(DoseParseError) as err:
        parse_dose(text)
    assert text in str(err.value)
    assert "1.5x*7" in err.value.reason
    assert "10^n" in err.value.reason


@pytest.mark.parametrize("text", ["", "lots of cells", "1.0x10 ⁶ IT IM", "between and", "x10^6"])
def test_other_bad_strings_are_errors(text):
    with pytest.raises(DoseParseError):
        parse_dose(text)


def test_every_dose_cell_of_the_bundled_tables_parses_or_fails_clearly():
    """Each dose-like cell of every bundled table is either read or refused with its text."""
    evidence = load_evidence()
    seen = 0
    for table in evidence.all_tables():
        for col in table.columns:
            if "cell" in col.lower() and "type" not in col.lower():
                for row in table.rows:
                    text = str(row.values[col])
                    seen += 1
                    try:
                        parse_dose(text)
                    except DoseParseError as exc:
                        assert exc.text == text
    assert seen >= 36  # 18 studies x 2 dose columns of 001_* Table 1


@given(st.text(max_size=60))
def test_parser_never_raises_anything_else(text):
    with contextlib.suppress(DoseParseError):
        parse_dose(text)
