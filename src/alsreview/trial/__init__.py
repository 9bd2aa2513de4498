"""trial stage: individual-patient data (IPD) of a cell-therapy trial in ALS.

In: a trial data folder (patients.csv, visits.csv, adverse_events.csv) or Excel workbook.
Out: validated `TrialData`, pure analyses returning frozen result objects and an
evidence-base `Study` (the HTML report is `alsreview.report.trial`).

    ipd         load_trial / save_trial / parse_trial: format and validation
    describe    mean ± SEM and mean ± SD, labelled
    alsfrs      subscores, King's stage, MiToS stage, ΔFRS
    slopes      per-patient least-squares slopes, paired t-test and Wilcoxon (002_* method)
    mixed       piecewise linear mixed model by profiled REML (agrees with lme4)
    stability   FVC and weakness-score stability by visit
    safety      adverse-event tables
    survival    Kaplan-Meier and log-rank, also against an external control cohort
    simulate    simulated cohorts and power of both designs
    analysis    analyze_trial: everything above on one trial, to_dict() for JSON
    export      export_study: the trial as an evidence-base Study
"""

from __future__ import annotations

from alsreview.exports import lazy_exports

#: public name -> the submodule that defines it
_WHERE = {
    "TrialData": "ipd",
    "load_trial": "ipd",
    "parse_trial": "ipd",
    "save_trial": "ipd",
    "describe": "describe",
    "subscores": "alsfrs",
    "kings_stage": "alsfrs",
    "mitos_stage": "alsfrs",
    "delta_frs": "alsfrs",
    "slope_analysis": "slopes",
    "piecewise_lmm": "mixed",
    "MixedModelResult": "mixed",
    "fvc_stability": "stability",
    "weakness_stability": "stability",
    "adverse_event_table": "safety",
    "kaplan_meier": "survival",
    "simulate_cohort": "simulate",
    "power": "simulate",
    "analyze_trial": "analysis",
    "export_study": "export",
}

__all__ = lazy_exports(__name__, _WHERE)
