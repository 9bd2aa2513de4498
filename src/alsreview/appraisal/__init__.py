"""Risk-of-bias appraisal: instruments as data files, their algorithms, assessments.

In: a tool id (`jbi-rct`, `jbi-quasi`, `rob2`, `rob2-cluster`, `robins-i`) or an instrument
file, and answers keyed by the official form's question ids.
Out: an `Appraisal` with each domain's judgement and the overall judgement.

The instruments live in `alsreview/data/appraisal/*.json` (format: `instrument.py`);
`algorithm.py` walks their decision trees.
"""

from __future__ import annotations

from alsreview.appraisal.algorithm import (
    Appraisal,
    DomainResult,
    count_rule,
    judge,
    normalise_judgement,
    overall_judgement,
)
from alsreview.appraisal.instrument import (
    TOOLS,
    Instrument,
    instrument_json_schema,
    load_instrument,
    parse_instrument,
)

__all__ = [
    "TOOLS",
    "Appraisal",
    "DomainResult",
    "Instrument",
    "count_rule",
    "instrument_json_schema",
    "judge",
    "load_instrument",
    "normalise_judgement",
    "overall_judgement",
    "parse_instrument",
]
