"""The trial HTML report holds the 002_* tables and escapes text from the data files."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

from alsreview.report.trial import trial_section, write_trial_report
from alsreview.trial.analysis import analyze_trial
from alsreview.trial.ipd import load_trial
from alsreview.trial.simulate import CohortSpec, simulate_cohort

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"


def test_example_report(tmp_path):
    path = write_trial_report(analyze_trial(load_trial(EXAMPLE)), tmp_path / "out")
    page = path.read_text()
    assert "51.2 ± 1.7" in page and "38.1 ± 4.2" in page and "88.8 ± 2.3" in page
    assert "89 ± 11" in page  # Table 4's printed bottom row (mean ± SD)
    assert "Headache" in page and "26.9%" in page
    assert "not run" in page  # slopes: only day-0 ALSFRS-R in the example
    assert (tmp_path / "out" / "trial_fvc_percent.svg").exists()
    assert page.count("<svg") == 2
    # FVC table rows in patient order 1, 2, 3, ... not 1, 11, 13
    fvc = page[page.index("as 002_* Table 4") :]
    first = re.findall(r"<tr><td>(\d+)</td>", fvc)[:3]
    assert first == ["1", "2", "3"]


def test_text_from_files_is_escaped(tmp_path):
    folder = tmp_path / "t"
    shutil.copytree(EXAMPLE, folder)
    aes = folder / "adverse_events.csv"
    aes.write_text(aes.read_text() + '3,"<script>alert(1)</script>",no,no,mild,none,1\n')
    sec = trial_section(analyze_trial(load_trial(folder)))
    assert "<script>" not in sec.html
    assert "&lt;script&gt;" in sec.html


def test_simulated_report_has_model_tables():
    trial = simulate_cohort(CohortSpec(n_patients=12, slope_change=0.5), seed=4)
    sec = trial_section(analyze_trial(trial))
    assert "Piecewise linear mixed model" in sec.html
    assert "Wilcoxon" in sec.html
    assert [f.name for f in sec.figures] == ["trial_alsfrs_r"]
