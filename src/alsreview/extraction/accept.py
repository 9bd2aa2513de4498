"""Accepting an assisted-extraction suggestion: it becomes one field of a reviewer's form.

In: a `Suggestion` (`extraction.suggest`) for a study of the project, and who accepts it.
Out: the reviewer's extraction with the field set (`review.set_field`), the value cited to
the page of the study's full text it was read from, and the quoted sentence kept as the
fact's note, so the evidence span travels with the value.

Combined routes ("IT+IV") become the list of route codes the evidence model stores.  ALSFRS-R
statistics (`efficacy.*`) are not single fields: they need the outcome and its time points,
so they are entered in the outcomes form, not accepted here (`acceptable` says which).
"""

from __future__ import annotations

from typing import Any

from alsreview.errors import ValidationError
from alsreview.extraction.fields import KINDS
from alsreview.extraction.review import fact, set_field
from alsreview.extraction.suggest import Suggestion
from alsreview.store.project import Project
from alsreview.typealiases import JSONDict


def acceptable(suggestion: Suggestion) -> bool:
    """True when the suggestion maps onto one field of the form."""
    return suggestion.field in KINDS and KINDS[suggestion.field] not in (
        "outcomes",
        "adverse_events",
    )


def suggestion_fact(suggestion: Suggestion) -> JSONDict:
    """The Fact a suggestion becomes: value, 'page N' locator, the quote as the note."""
    value: Any = suggestion.value
    if KINDS.get(suggestion.field) == "routes" and isinstance(value, str):
        value = [code for code in value.split("+") if code]
    note = f'suggested from: "{suggestion.quote}"'
    return fact(value, f"page {suggestion.page}", note)


def accept_suggestion(
    project: Project, study_id: str, suggestion: Suggestion, *, reviewer: str
) -> JSONDict:
    """Set the suggested value in `reviewer`'s extraction of the study (an event)."""
    if not acceptable(suggestion):
        raise ValidationError(
            f"{study_id}: {suggestion.field} is entered in the outcomes form, "
            "not accepted as a single value"
        )
    return set_field(
        project, study_id, suggestion.field, suggestion_fact(suggestion), reviewer=reviewer
    )
