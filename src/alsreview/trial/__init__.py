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
