"""Adverse-event tables: by term, seriousness, severity and relation to the product.

In: the adverse_events DataFrame of a `TrialData` (patient_id, term, serious, related,
severity, ...) and the number of patients in the safety population. Out: a frozen
`AdverseEventTable` with event counts, patient counts and patient percentages; a patient is
counted once per row however many events of that kind they had.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from alsreview.results import Result

if TYPE_CHECKING:
    import pandas as pd


@dataclass(frozen=True, repr=False)
class AdverseEventTable(Result):
    """`by_term` and `by_category` have columns events, patients, percent (of n_patients)."""

    n_patients: int
    n_events: int
    n_patients_with_event: int
    by_term: pd.DataFrame  # term, serious, related, events, patients, percent
    by_category: pd.DataFrame  # category, level, events, patients, percent

    def patients_with(self, term: str) -> int:
        t = self.by_term
        return int(t.loc[t["term"].str.lower() == term.lower(), "patients"].sum())

    def category(self, category: str, level: str) -> tuple[int, int]:
        """(events, patients) for e.g. ("serious", "yes") or ("severity", "mild")."""
        c = self.by_category
        r = c[(c["category"] == category) & (c["level"] == level)]
        if r.empty:
            return 0, 0
        return int(r["events"].iloc[0]), int(r["patients"].iloc[0])

    def summary_frame(self) -> pd.DataFrame:
        """Events and patients by term."""
        return self.by_term

    def summary(self) -> str:
        lines = [
            f"{self.n_events} adverse events in {self.n_patients_with_event} of "
            f"{self.n_patients} patients"
        ]
        for r in self.by_term.itertuples():
            ev = "event" if r.events == 1 else "events"
            pt = "patient" if r.patients == 1 else "patients"
            lines.append(f"  {r.term}: {r.events} {ev}, {r.patients} {pt} ({r.percent:.1f}%)")
        return "\n".join(lines)


def adverse_event_table(aes: pd.DataFrame, n_patients: int) -> AdverseEventTable:
    """Count events and distinct patients by term and by seriousness, severity, relation."""
    import pandas as pd

    def agg(g: pd.DataFrame) -> pd.Series:
        p = g["patient_id"].nunique()
        return pd.Series({"events": len(g), "patients": p, "percent": 100.0 * p / n_patients})

    if aes.empty:
        by_term = pd.DataFrame(
            columns=["term", "serious", "related", "events", "patients", "percent"]
        )
    else:
        key = aes.assign(term_key=aes["term"].str.strip().str.lower())
        by_term = (
            key.groupby("term_key")
            .apply(
                lambda g: pd.concat(
                    [
                        pd.Series(
                            {
                                "term": g["term"].iloc[0],
                                "serious": "yes" if g["serious"].any() else "no",
                                "related": "yes" if g["related"].any() else "no",
                            }
                        ),
                        agg(g),
                    ]
                ),
                include_groups=False,
            )
            .reset_index(drop=True)
            .sort_values(["patients", "events", "term"], ascending=[False, False, True])
            .reset_index(drop=True)
        )
    rows = []
    levels = {
        "serious": ["yes", "no"],
        "related": ["yes", "no"],
        "severity": ["mild", "moderate", "severe", "death"],
    }
    for cat, lv in levels.items():
        col = aes[cat].map({True: "yes", False: "no"}) if cat != "severity" else aes["severity"]
        for level in lv:
            g = aes[col == level]
            p = g["patient_id"].nunique()
            rows.append(
                {
                    "category": cat,
                    "level": level,
                    "events": len(g),
                    "patients": p,
                    "percent": 100.0 * p / n_patients,
                }
            )
    for c in ("events", "patients"):
        if len(by_term):
            by_term[c] = by_term[c].astype(int)
    return AdverseEventTable(
        n_patients=n_patients,
        n_events=len(aes),
        n_patients_with_event=aes["patient_id"].nunique(),
        by_term=by_term,
        by_category=pd.DataFrame(rows),
    )
