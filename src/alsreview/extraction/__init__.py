"""Extraction: per-reviewer extraction into the evidence model, dual-extraction comparison,
consensus, full texts and assisted suggestions with evidence spans.

In: a project's included studies (records linked into studies), full texts (PDF or text).
Out: extractions in the evidence format (`evidence/model.py`) stored per reviewer and as a
consensus, `Comparison`s field by field, the project's `EvidenceBase` for the report, CSV.
"""

from __future__ import annotations

from alsreview.extraction.compare import Comparison, FieldComparison, compare_extractions
from alsreview.extraction.fields import DEFAULT_FIELDS, KINDS

__all__ = [
    "DEFAULT_FIELDS",
    "KINDS",
    "Comparison",
    "FieldComparison",
    "compare_extractions",
]
