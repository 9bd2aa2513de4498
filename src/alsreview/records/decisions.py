"""Screening decisions carried inside exported records: notes text in, decision and labels out.

Three conventions are read:

* Rayyan (RIS N1 or the CSV `notes` column):
  ``RAYYAN-INCLUSION: {"Ana"=>"Included", "Ben"=>"Excluded"} | RAYYAN-LABELS: RCT,ALS |
  RAYYAN-EXCLUSION-REASONS: wrong population``.  All reviewers "Included" -> included, all
  "Excluded" -> excluded, anything else (Maybe, or a conflict) -> maybe.
* ASReview RIS exports: ``ASReview_relevant`` / ``ASReview_irrelevant`` / ``ASReview_not_seen``.
* alsreview's own RIS writer: ``alsreview-decision: included`` and ``alsreview-labels: a; b``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

_RAYYAN_PART = re.compile(r"RAYYAN-([A-Z-]+):\s*(.*?)\s*(?=\|\s*RAYYAN-[A-Z-]+:|$)", re.DOTALL)
_RAYYAN_VOTE = re.compile(r'"([^"]*)"\s*=>\s*"([^"]*)"')
_OURS = re.compile(r"^alsreview-(decision|labels):\s*(.*)$", re.IGNORECASE)
_ASREVIEW = {"asreview_relevant": "included", "asreview_irrelevant": "excluded"}


@dataclass
class NoteDecision:
    """What a notes field says: the decision, labels, exclusion reasons and the rest of the text."""

    decision: str | None = None
    labels: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    votes: dict[str, str] = field(default_factory=dict)
    text: str = ""


def _consensus(votes: dict[str, str]) -> str | None:
    values = {v.strip().lower() for v in votes.values() if v.strip()}
    if not values:
        return None
    if values == {"included"}:
        return "included"
    if values == {"excluded"}:
        return "excluded"
    return "maybe"


def _split_list(text: str, sep: str) -> list[str]:
    return [p.strip() for p in text.split(sep) if p.strip()]


def parse_notes(notes: list[str] | str) -> NoteDecision:
    """Read decisions out of one or more note strings; other text is kept in `.text`."""
    items = [notes] if isinstance(notes, str) else list(notes)
    out = NoteDecision()
    rest: list[str] = []
    for note in items:
        if "RAYYAN-" in note:
            head = note[: note.find("RAYYAN-")].strip().rstrip("|").strip()
            if head:
                rest.append(head)
            for key, value in _RAYYAN_PART.findall(note[note.find("RAYYAN-") :]):
                if key == "INCLUSION":
                    out.votes.update(dict(_RAYYAN_VOTE.findall(value)))
                elif key == "LABELS":
                    out.labels += _split_list(value, ",")
                elif key in ("EXCLUSION-REASONS", "EXCLUSION_REASONS"):
                    out.reasons += _split_list(value, ",")
            out.decision = _consensus(out.votes) or out.decision
            continue
        kept: list[str] = []
        for line in note.split("\n"):
            m = _OURS.match(line.strip())
            low = line.strip().lower()
            if m:
                if m.group(1).lower() == "decision":
                    out.decision = m.group(2).strip().lower() or None
                else:
                    out.labels += _split_list(m.group(2), ";")
            elif low in _ASREVIEW:
                out.decision = _ASREVIEW[low]
            elif low == "asreview_not_seen":
                continue
            else:
                kept.append(line)
        text = "\n".join(kept).strip()
        if text:
            rest.append(text)
    out.text = "\n".join(rest)
    return out
