"""Rule-based pre-screen from the protocol: suggestions with reasons, never exclusions.

In: a `Record` and the `ReviewProtocol`.  Out: a list of `Suggestion`s (empty when no rule
applies), each naming the protocol's exclusion reason code it points to, what in the
record triggered it, and the rule.  The reviewer decides; nothing is stored.

Rules:
    date window     the record's year lies outside [date_from.year, date_to.year]
    language        the record states a language not among the protocol's languages
    human studies   the title/abstract speaks of animal models (mice, rats, ...) and of
                    no patients or human participants
    design          publication type or title marks a review, editorial, comment, letter
                    or protocol when the protocol's designs are trials
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from alsreview.protocol import ReviewProtocol
from alsreview.records.model import Record

_ANIMAL = re.compile(
    r"\b(mice|mouse|murine|rats?|rodents?|rabbits?|canine|dogs?|pigs?|porcine|primates?|"
    r"monkeys?|zebrafish|drosophila|transgenic|SOD1[- ]?G93A|in vitro|cell lines?)\b",
    re.IGNORECASE,
)
_HUMAN = re.compile(
    r"\b(patients?|participants?|subjects with|volunteers?|human subjects|men|women|children|"
    r"adults?|clinical trial|phase (?:i|ii|iii|1|2|3)\b)",
    re.IGNORECASE,
)
_NOT_PRIMARY = re.compile(
    r"\b(systematic review|meta-analysis|literature review|narrative review|a review|"
    r"review of|editorial|commentary|letter to the editor|study protocol|erratum)\b",
    re.IGNORECASE,
)
_NOT_PRIMARY_TYPES = {
    "review",
    "systematic review",
    "meta-analysis",
    "editorial",
    "comment",
    "letter",
    "published erratum",
    "news",
}
_TRIAL_WORDS = ("trial", "randomi", "quasi", "clinical study", "cohort")


@dataclass(frozen=True)
class Suggestion:
    """A rule's suggestion to exclude, with the protocol reason code and the evidence."""

    rule: str
    reason_code: str | None  # the protocol's [[exclusion_reason]] code, if it has one
    why: str

    def to_dict(self) -> dict[str, str | None]:
        return {"rule": self.rule, "reason_code": self.reason_code, "why": self.why}


def _code(protocol: ReviewProtocol, *candidates: str) -> str | None:
    codes = {r.code for r in protocol.exclusion_reasons}
    return next((c for c in candidates if c in codes), None)


def prescreen(record: Record, protocol: ReviewProtocol) -> list[Suggestion]:
    """Suggestions for one record (see the module docstring)."""
    out: list[Suggestion] = []
    lo, hi = protocol.date_from, protocol.date_to
    if record.year is not None and (
        (lo is not None and record.year < lo.year) or (hi is not None and record.year > hi.year)
    ):
        out.append(
            Suggestion(
                "date window",
                _code(protocol, "outside_dates", "date"),
                f"published {record.year}, the protocol's window is "
                f"{lo.year if lo else '...'}-{hi.year if hi else '...'}",
            )
        )
    langs = {x.strip().lower() for x in protocol.languages}
    lang = (record.language or "").strip().lower()
    if langs and lang and lang not in langs and lang[:2] not in {x[:2] for x in langs}:
        out.append(
            Suggestion(
                "language",
                _code(protocol, "language", "other_language"),
                f"language {record.language!r} is not among {sorted(langs)}",
            )
        )
    text = f"{record.title}\n{record.abstract}"
    animal = _ANIMAL.search(text)
    if animal and not _HUMAN.search(text):
        out.append(
            Suggestion(
                "human studies",
                _code(protocol, "animal", "not_human"),
                f"mentions {animal.group(0)!r} and no patients or human participants",
            )
        )
    designs = " ".join(protocol.pico.study_designs).lower()
    if any(w in designs for w in _TRIAL_WORDS):
        types = {t.strip().lower() for t in record.publication_types}
        hit = sorted(types & _NOT_PRIMARY_TYPES)
        m = _NOT_PRIMARY.search(record.title or "")
        if hit or m:
            what = f"publication type {hit[0]!r}" if hit else f"title says {m.group(0)!r}"  # type: ignore[union-attr]
            out.append(
                Suggestion(
                    "design",
                    _code(protocol, "review", "not_clinical_study", "design"),
                    f"{what}; the protocol asks for {', '.join(protocol.pico.study_designs)}",
                )
            )
    return out
