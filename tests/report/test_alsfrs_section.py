"""The ALSFRS-R synthesis section: escaped HTML, caveats, the forest figure at metafor's yi.

Reference: metafor 3.8-1 on the same cohorts (`tests/meta/data/alsfrs_prepost.json`, written
by `tests/meta/data/alsfrs_prepost.R`).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from alsreview.evidence import load_evidence
from alsreview.report.alsfrs import alsfrs_section
from alsreview.report.section import Section

REF = json.loads((Path(__file__).parents[1] / "meta" / "data" / "alsfrs_prepost.json").read_text())


def test_report_section():
    sec = alsfrs_section(load_evidence().studies)
    assert isinstance(sec, Section) and sec.id == "alsfrs-synthesis"
    assert "Caveats" in sec.html and "Petrou P 2016 (phase 2a)" in sec.html
    assert "ALSFRS-R &gt;= 26" in sec.html  # labels are escaped
    assert "<script" not in sec.html
    assert "not evidence of efficacy" in sec.html
    (fig,) = sec.figures
    ax = fig.figure.axes[0]
    squares = [c for c in ax.collections if c.get_gid() == "study"]
    xs = sorted(float(np.asarray(c.get_offsets())[0, 0]) for c in squares)
    assert xs == pytest.approx(sorted(REF["MC_r0.5"]["yi"]), rel=1e-6)
