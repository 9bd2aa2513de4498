"""Precision and recall of assisted-extraction suggestions against a reviewer's values.

In: suggestions (`extraction.suggest`) and gold values per field for one text.  Out: per
field true positives (suggested and right), false positives (suggested and wrong, or
suggested where the text states nothing) and false negatives (stated but not suggested, or
suggested wrongly).  precision = TP / (TP + FP), recall = TP / (TP + FN).

A suggestion is right when it agrees with the gold value by the dual-extraction rules of
`extraction.compare` (numbers within 2 %: follow-up converted from weeks or days; text after
normalisation; routes as sets of codes; doses through the dose parser); an ALSFRS-R
statistic is right when its estimate, and the dispersion and n where the gold has them,
agree.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from alsreview.extraction.compare import doses_agree, normalise_text, numbers_agree
from alsreview.typealiases import JSONValue

REL_TOL = 0.02
_KIND = {
    "patients_enrolled": "number",
    "patients_analysed": "number",
    "schedule.sessions_min": "number",
    "schedule.sessions_max": "number",
    "follow_up_months": "number",
    "safety.serious_related_events": "number",
    "safety.deaths": "number",
    "routes": "routes",
    "dose_per_administration": "dose",
    "total_cells": "dose",
    "efficacy.alsfrs_r_before": "statistic",
    "efficacy.alsfrs_r_after": "statistic",
}


def suggestion_correct(field: str, value: JSONValue, gold: JSONValue) -> bool:
    kind = _KIND.get(field, "text")
    if kind == "number":
        try:
            return numbers_agree(float(value), float(gold), REL_TOL)
        except (TypeError, ValueError):
            return False
    if kind == "routes":
        return set(str(value).split("+")) == set(str(gold).split("+"))
    if kind == "dose":
        return doses_agree(str(value), str(gold))[0]
    if kind == "statistic":
        if not isinstance(value, dict) or not isinstance(gold, dict):
            return False
        for key in ("estimate", "dispersion", "n"):
            if key in gold and (
                value.get(key) is None or not numbers_agree(value[key], gold[key], REL_TOL)
            ):
                return False
        return True
    return normalise_text(str(value)) == normalise_text(str(gold))


@dataclass(frozen=True)
class FieldScore:
    field: str
    tp: int = 0
    fp: int = 0
    fn: int = 0

    @property
    def precision(self) -> float | None:
        return self.tp / (self.tp + self.fp) if self.tp + self.fp else None

    @property
    def recall(self) -> float | None:
        return self.tp / (self.tp + self.fn) if self.tp + self.fn else None

    def __add__(self, other: FieldScore) -> FieldScore:
        return FieldScore(self.field, self.tp + other.tp, self.fp + other.fp, self.fn + other.fn)


def score_text(
    suggestions: Iterable[tuple[str, JSONValue]],
    gold: Mapping[str, JSONValue],
    fields: Iterable[str],
) -> dict[str, FieldScore]:
    """Per-field counts for one text; `suggestions` are (field, value) pairs."""
    made = dict(suggestions)
    out = {}
    for f in fields:
        tp = fp = fn = 0
        if f in made:
            if f in gold and suggestion_correct(f, made[f], gold[f]):
                tp = 1
            else:
                fp = 1
                fn = 1 if f in gold else 0
        elif f in gold:
            fn = 1
        out[f] = FieldScore(f, tp, fp, fn)
    return out


def total(scores: Iterable[dict[str, FieldScore]]) -> dict[str, FieldScore]:
    """Sum per-field counts over texts."""
    acc: dict[str, FieldScore] = {}
    for s in scores:
        for f, v in s.items():
            acc[f] = acc[f] + v if f in acc else v
    return acc
