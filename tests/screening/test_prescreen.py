"""Rule-based pre-screen suggestions from the bundled ALS protocol (date window 2012-08-21
to 2024-03-01, trial designs), on real titles."""

from __future__ import annotations

from alsreview.protocol import default_protocol
from alsreview.records.model import Record
from alsreview.screening.prescreen import prescreen

P = default_protocol()


def rules(record: Record) -> dict[str, str | None]:
    return {s.rule: s.reason_code for s in prescreen(record, P)}


def test_a_trial_in_the_window_gets_no_suggestion():
    trial = Record(
        title="NurOwn, phase 2, randomized, clinical trial in patients with ALS: safety, "
        "clinical, and biomarker results",
        abstract="Patients with ALS received MSC-NTF cells intrathecally.",
        year=2019,
    )
    assert prescreen(trial, P) == []


def test_date_design_and_animal_rules_point_to_protocol_reasons():
    old = Record(title="Stem cell transplantation in ALS patients", year=2009)
    assert rules(old) == {"date window": "outside_dates"}
    review = Record(title="The promise of stem cells in ALS: a review of clinical trials",
                    year=2022, publication_types=["Review"])  # fmt: skip
    assert rules(review) == {"design": "review"}
    mice = Record(
        title="Human umbilical cord blood cells delay disease in SOD1-G93A mice",
        abstract="Transgenic mice received intravenous cells.",
        year=2016,
    )
    assert rules(mice) == {"human studies": "animal"}
    both = Record(title="Bone marrow cells in SOD1 mice and in patients with ALS", year=2016,
                  abstract="We treated transgenic mice and then 10 patients.")  # fmt: skip
    assert "human studies" not in rules(both)
