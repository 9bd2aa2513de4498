"""`alsreview example DIR`: a small review project built end to end from packaged files.

In: the files in `data/example_project/` (see its README): a PubMed XML and a Scopus RIS
export that overlap, two reviewers' screening decisions and a third reviewer's resolution,
two reviewers' extractions and the agreed values, two reviewers' appraisals, and the
bundled trial data folder.  Out: the project in DIR (SQLite, or PostgreSQL by URL) and its
report in DIR/report.  Every stage goes through the same library functions the CLI uses.
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

from alsreview.errors import StoreError
from alsreview.store.project import Project

FILES = (
    "pubmed.xml",
    "scopus.ris",
    "decisions.csv",
    "extraction_ann.json",
    "extraction_bob.json",
    "consensus.json",
    "appraisals.json",
    "README.md",
)


@dataclass(frozen=True)
class ExampleResult:
    project: Path
    report: Path
    studies: tuple[str, ...]


def _copy_inputs(target: Path) -> Path:
    inputs = target / "inputs"
    inputs.mkdir(parents=True, exist_ok=True)
    src = resources.files("alsreview.data").joinpath("example_project")
    for name in FILES:
        (inputs / name).write_bytes(src.joinpath(name).read_bytes())
    return inputs


def _record_ids(project: Project) -> dict[str, int]:
    """Primary record id by DOI and by title (how decisions.csv names records)."""
    out: dict[str, int] = {}
    for rid, rec in project.records(primary_only=True):
        if rec.doi:
            out[rec.doi] = rid
        out[rec.title.strip()] = rid
    return out


def apply_decisions(project: Project, path: Path) -> int:
    """Votes and resolutions from a CSV (record, stage, reviewer, decision, reason);
    a decision 'resolve:<decision>' is a third reviewer's resolution of a conflict."""
    from alsreview import screening

    ids = _record_ids(project)
    boss = screening.owner(project)
    for stage in screening.STAGES:
        screening.set_reviewers_required(project, stage, 2, boss)
    n = 0
    with path.open(encoding="utf-8", newline="") as fh:
        for i, row in enumerate(csv.DictReader(fh), start=2):
            key = row["record"].strip()
            rid = ids.get(key) or ids.get(key.lower())
            if rid is None:
                raise StoreError(f"{path}, line {i}: no record {key!r} in the project")
            reason = row["reason"].strip() or None
            decision = row["decision"].strip()
            if decision.startswith("resolve:"):
                if screening.is_blinded(project, row["stage"]):
                    screening.unblind(project, row["stage"], boss)
                screening.resolve(
                    project,
                    rid,
                    row["stage"],
                    decision.split(":", 1)[1],
                    resolved_by=row["reviewer"],
                    method="third_reviewer",
                    why="the reviewers disagreed; decided by a third reviewer",
                    reason=reason,
                )
            else:
                screening.decide(
                    project, row["reviewer"], rid, row["stage"], decision, reason=reason
                )
            n += 1
    return n


def apply_appraisals(project: Project, path: Path) -> int:
    from alsreview.appraisal.assessments import adopt_as_consensus, record_assessment

    doc = json.loads(path.read_text(encoding="utf-8"))
    tool = doc["tool"]
    for a in doc["assessments"]:
        record_assessment(
            project, a["study"], tool, a["answers"], reviewer=a["reviewer"], name=str(path)
        )
    for c in doc.get("consensus", []):
        adopt_as_consensus(project, c["study"], tool, c["from"], reviewer="consensus")
    return len(doc["assessments"])


def build_example(directory: str | Path, *, url: str | None = None) -> ExampleResult:
    """Build the example project in `directory` and write its report to directory/report."""
    from alsreview.extraction.review import add_entries, make_consensus
    from alsreview.report.project import build_project_report
    from alsreview.trial.attach import attach_trial

    root = Path(directory)
    project = Project.create(root, url=url, name="alsreview example")
    try:
        inputs = _copy_inputs(root)
        project.import_file(inputs / "pubmed.xml", source="pubmed")
        project.import_file(inputs / "scopus.ris", source="scopus")
        apply_decisions(project, inputs / "decisions.csv")
        studies = add_entries(project, inputs / "extraction_ann.json", reviewer="ann")
        add_entries(project, inputs / "extraction_bob.json", reviewer="bob")
        agreed = json.loads((inputs / "consensus.json").read_text(encoding="utf-8"))
        for sid in studies:
            make_consensus(project, sid, take=agreed.get(sid, {}), actor="consensus")
        apply_appraisals(project, inputs / "appraisals.json")
        with resources.as_file(resources.files("alsreview.data") / "trial_example") as trial:
            attach_trial(project, trial)
    finally:
        project.close()
    report = build_project_report(root, root / "report")
    return ExampleResult(root, report, tuple(studies))


def remove_example(directory: str | Path) -> None:
    shutil.rmtree(directory, ignore_errors=True)
