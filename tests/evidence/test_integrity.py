"""Integrity checks on constructed cases, and on the published table that does not add up."""

from __future__ import annotations

import math

import pytest

from alsreview.evidence import load_evidence
from alsreview.evidence.integrity import (
    check_percentage,
    check_point_in_range,
    check_sem,
    check_stated_total,
    grim_consistent,
    max_sd,
    run_integrity_checks,
)
from alsreview.evidence.model import ExtractedTable, Statistic

# 001_* Table 1, "Patients" column, transcribed here from the seed text independently of the
# bundled JSON; the text states a total of 623 (Table 1 footer, Results, Discussion).
BLUME_TABLE1_PATIENTS = [45, 18, 15, 6, 8, 25, 15, 11, 26, 26, 48, 18, 15, 134, 20, 18, 196, 5]


def _table(values, stated):
    return ExtractedTable.model_validate(
        {
            "review": "x",
            "id": "Table 9",
            "caption": "t",
            "columns": ["N", "Kind"],
            "rows": [{"values": {"N": v, "Kind": k}} for v, k in values],
            "stated_totals": stated,
            "from": ["x: Table 9"],
        }
    )


def test_bundled_evidence_flags_the_table_whose_patients_do_not_add_up():
    findings = run_integrity_checks(load_evidence())
    totals = [f for f in findings if f.check == "stated total" and "Patients" in f.where]
    assert len(totals) == 1
    finding = totals[0]
    assert finding.where.startswith("blume2026 Table 1")
    assert finding.expected == "623"
    assert finding.observed == str(sum(BLUME_TABLE1_PATIENTS))  # 649


def test_bundled_evidence_flags_the_malformed_dose():
    findings = run_integrity_checks(load_evidence())
    doses = [f for f in findings if f.check == "dose" and f.severity == "error"]
    assert any("1.5x*7" in f.message for f in doses)


def test_stated_sum_count_and_rows():
    stated = [
        {
            "label": "n",
            "column": "N",
            "aggregate": "sum",
            "value": {"value": 10, "from": ["x: text"]},
        },
        {
            "label": "rct",
            "column": "Kind",
            "aggregate": "count",
            "match": "RCT",
            "value": {"value": 2, "from": ["x: text"]},
        },
        {
            "label": "rows",
            "column": "N",
            "aggregate": "rows",
            "value": {"value": 3, "from": ["x: text"]},
        },
    ]
    table = _table([(3, "RCT"), (3, "single-arm"), (4, "RCT")], stated)
    assert [f for s in table.stated_totals for f in check_stated_total(table, s)] == []
    wrong = _table([(3, "RCT"), (3, "single-arm"), (5, "single-arm")], stated)
    found = [f for s in wrong.stated_totals for f in check_stated_total(wrong, s)]
    assert sorted(f.observed for f in found) == ["1", "11"]


def test_labelled_sem_that_is_the_sd_of_the_rows():
    values = [76, 74, 84, 86, 82, 90, 86, 99, 92, 118]
    n = len(values)
    mean = sum(values) / n
    sd = math.sqrt(sum((v - mean) ** 2 for v in values) / (n - 1))
    stated = [
        {
            "label": "FVC",
            "column": "N",
            "aggregate": "sem",
            "value": {"value": round(sd), "from": ["x: Table 4"]},
        }
    ]
    table = _table([(v, "") for v in values], stated)
    [finding] = check_stated_total(table, table.stated_totals[0])
    assert finding.check == "SEM"
    assert "equals the SD" in finding.message
    honest = _table(
        [(v, "") for v in values],
        [dict(stated[0], value={"value": round(sd / math.sqrt(n), 1), "from": ["x: t"]})],
    )
    assert check_stated_total(honest, honest.stated_totals[0]) == []


def test_sem_implausible_for_the_range():
    # ALSFRS-R is 0-48: the largest possible SD of 10 scores is 24 * sqrt(10/9) = 25.3
    assert max_sd(0, 48, 10) == pytest.approx(24 * math.sqrt(10 / 9))
    stat = Statistic(label="baseline", n=10, estimate=30, dispersion=9.0, dispersion_kind="SEM")
    [finding] = check_sem(stat, "s", (0, 48))
    assert finding.severity == "error"
    ok = Statistic(label="baseline", n=10, estimate=30, dispersion=2.0, dispersion_kind="SEM")
    assert check_sem(ok, "s", (0, 48)) == []


def test_grim():
    # Brown & Heathers' classic case: 5.19 cannot be the mean of 28 integers; 5.18 can.
    assert not grim_consistent(5.19, 28, 2)
    assert grim_consistent(5.18, 28, 2)
    # 002_* Table 2: ALSFRS at day 0, 29.5 over 26 patients (767 / 26 = 29.50)
    assert grim_consistent(29.5, 26, 1)
    # too many patients for the precision: nothing can be tested
    assert grim_consistent(5.19, 200, 2)


def test_point_outside_its_range():
    inside = Statistic(
        label="post", central="median", estimate=0.38, low=0.29, high=0.80, dispersion_kind="IQR"
    )
    assert check_point_in_range(inside, "s") == []
    outside = Statistic(
        label="post", central="median", estimate=0.9, low=0.29, high=0.80, dispersion_kind="IQR"
    )
    assert check_point_in_range(outside, "s")[0].severity == "error"


def test_percentages_against_counts():
    # 002_*: headache in 7 of 26 patients, printed as "about 30%"
    assert check_percentage(7, 26, 30, "s", approximate=True) == []
    assert check_percentage(7, 26, 30, "s", approximate=False)
    assert check_percentage(8, 26, 30.8, "s") == []
