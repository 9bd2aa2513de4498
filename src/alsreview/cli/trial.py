"""`alsreview trial ...`: analysis of a trial's individual-patient data (issue 4).

Thin wrappers over `alsreview.trial`; heavy imports happen inside the commands.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated

import typer

trial_app = typer.Typer(
    help="Analyse a trial's individual-patient ALSFRS-R, FVC, weakness and adverse-event data.",
    no_args_is_help=True,
)

Months = Annotated[str, typer.Option(help="Visit months relative to treatment, comma-separated.")]


def _months(text: str) -> tuple[float, ...]:
    try:
        months = tuple(float(m) for m in text.split(",") if m.strip())
    except ValueError as exc:
        raise typer.BadParameter(f"months must be numbers separated by commas: {text!r}") from exc
    if not any(m < 0 for m in months) or not any(m > 0 for m in months):
        raise typer.BadParameter("months need visits both before (< 0) and after (> 0) treatment")
    return tuple(sorted(months))


def _refuse_overwrite(folder: Path, names: list[str], force: bool) -> None:
    from alsreview.errors import ExportError

    if folder.exists() and not folder.is_dir():
        raise ExportError(f"{folder}: exists and is not a folder")
    existing = sorted(n for n in names if (folder / n).exists())
    if existing and not force:
        raise ExportError(
            f"{folder}: already holds {', '.join(existing)}; use --force to replace them"
        )


@trial_app.command("example")
def example(
    out: Annotated[Path, typer.Argument(help="Folder to copy the example trial into.")] = Path(
        "trial_example"
    ),
    force: Annotated[bool, typer.Option("--force", help="Replace existing trial files.")] = False,
) -> None:
    """Copy the bundled 002_* trial (Syková et al. 2017, Tables 2-5) as a trial data folder."""
    import shutil
    from importlib.resources import as_file, files

    with as_file(files("alsreview") / "data" / "trial_example") as src:
        _refuse_overwrite(out, [p.name for p in src.iterdir()], force)
        shutil.copytree(src, out, dirs_exist_ok=True)
    typer.echo(f"wrote {out}/ (patients.csv, visits.csv, adverse_events.csv, README.md)")
    typer.echo("ALSFRS time courses exist only in the paper's figure: only day-0 ALSFRS is held.")


@trial_app.command("attach")
def attach(
    folder: Annotated[Path, typer.Argument(help="Trial data folder or .xlsx workbook.")],
    project: Annotated[Path, typer.Option("--project", "-p", help="Project folder.")] = Path("."),
) -> None:
    """Attach a trial's data to a review project: its analysis joins `report --project`."""
    from alsreview.store import Project
    from alsreview.trial.attach import attach_trial

    with Project.open(project) as p:
        trial = attach_trial(p, folder)
    typer.echo(f"trial {folder} attached to {project} ({len(trial.patients)} patients)")


@trial_app.command("analyze")
def analyze(
    folder: Annotated[Path, typer.Argument(help="Trial data folder or .xlsx workbook.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print the results as JSON.")] = False,
    control: Annotated[
        Path | None, typer.Option(help="External control cohort CSV (survival_months, died).")
    ] = None,
    progressor_decline: Annotated[
        float, typer.Option(help="Pre-treatment decline (points/month) defining progressors.")
    ] = 1 / 3,
) -> None:
    """Slopes and paired tests, mixed model, FVC/weakness stability, adverse events."""
    from alsreview.trial.analysis import analyze_trial
    from alsreview.trial.ipd import load_trial
    from alsreview.trial.survival import read_control_cohort

    trial = load_trial(folder)
    ctrl = read_control_cohort(control) if control else None
    res = analyze_trial(trial, progressor_decline=progressor_decline, control=ctrl)
    if as_json:
        json.dump(res.to_dict(), sys.stdout, indent=2, ensure_ascii=False, allow_nan=False)
        sys.stdout.write("\n")
    else:
        typer.echo(res.summary())


@trial_app.command("report")
def report(
    folder: Annotated[Path, typer.Argument(help="Trial data folder or .xlsx workbook.")],
    out: Annotated[Path, typer.Option("--out", help="Output folder for index.html.")] = Path(
        "trial_report"
    ),
) -> None:
    """HTML report: tables like 002_*'s Tables 2-5 and per-patient trajectory plots."""
    from alsreview.report.trial import write_trial_report
    from alsreview.trial.analysis import analyze_trial
    from alsreview.trial.ipd import load_trial

    res = analyze_trial(load_trial(folder))
    path = write_trial_report(res, out)
    typer.echo(f"wrote {path}")


@trial_app.command("simulate")
def simulate(
    out: Annotated[Path, typer.Option("--out", help="Folder for the simulated trial.")] = Path(
        "trial_simulated"
    ),
    n: Annotated[int, typer.Option(min=2, help="Number of patients.")] = 40,
    effect: Annotated[float, typer.Option(help="Change in ALSFRS-R slope (points/month).")] = 0.0,
    slope: Annotated[float, typer.Option(help="Mean pre-treatment slope (points/month).")] = -1.0,
    months: Months = "-6,-3,-1,0,3,6,9,12",
    seed: int = 0,
    force: Annotated[bool, typer.Option("--force", help="Replace existing trial files.")] = False,
) -> None:
    """Write a simulated trial data folder (realistic ALS progression, floor, deaths)."""
    from alsreview.trial.ipd import SHEETS, save_trial
    from alsreview.trial.simulate import CohortSpec, simulate_cohort

    spec = CohortSpec(n_patients=n, months=_months(months), slope=slope, slope_change=effect)
    _refuse_overwrite(out, [f"{s}.csv" for s in SHEETS], force)
    trial = simulate_cohort(spec, seed=seed)
    save_trial(trial, out)
    typer.echo(f"wrote {out}/ ({n} patients, {len(trial.visits)} visits, seed {seed})")


@trial_app.command("power")
def power(
    n: Annotated[int, typer.Option(min=2, help="Number of patients.")] = 40,
    effect: Annotated[float, typer.Option(help="Change in ALSFRS-R slope (points/month).")] = 0.5,
    slope: Annotated[float, typer.Option(help="Mean pre-treatment slope (points/month).")] = -1.0,
    months: Months = "-6,-3,-1,0,3,6,9,12",
    n_sim: Annotated[int, typer.Option("--n-sim", min=1, help="Simulated trials.")] = 200,
    alpha: float = 0.05,
    seed: int = 0,
    as_json: Annotated[bool, typer.Option("--json")] = False,
) -> None:
    """Power of the paired-slope design and of the mixed model, by simulation."""
    from dataclasses import asdict

    from alsreview.trial.simulate import CohortSpec
    from alsreview.trial.simulate import power as run

    spec = CohortSpec(n_patients=n, months=_months(months), slope=slope, slope_change=effect)
    res = run(spec, n_sim=n_sim, alpha=alpha, seed=seed)
    if as_json:
        typer.echo(json.dumps(asdict(res), indent=2))
    else:
        typer.echo(res.summary())


@trial_app.command("export")
def export(
    folder: Annotated[Path, typer.Argument(help="Trial data folder or .xlsx workbook.")],
    study_id: Annotated[str, typer.Option("--id", help="Study id (a-z, 0-9, _ and -).")],
    first_author: Annotated[str, typer.Option("--first-author")],
    year: Annotated[int, typer.Option()],
    title: Annotated[str, typer.Option()],
    cell_type: Annotated[str, typer.Option("--cell-type", help="Taxonomy code, e.g. BM-MSC.")],
    route: Annotated[list[str], typer.Option("--route", help="Route code(s), e.g. IT.")],
    out: Annotated[Path, typer.Option("--out", help="Write the study entry as JSON here.")] = Path(
        "study.json"
    ),
) -> None:
    """Export the trial's aggregate results as a study entry of the evidence base (JSON)."""
    from alsreview.trial.analysis import analyze_trial
    from alsreview.trial.export import export_study
    from alsreview.trial.ipd import load_trial

    exp = export_study(
        analyze_trial(load_trial(folder)),
        study_id=study_id,
        first_author=first_author,
        year=year,
        title=title,
        cell_type=cell_type,
        routes=route,
    )
    doc = {
        "sources": {exp.source.key: exp.source.model_dump(mode="json", exclude_none=True)},
        "studies": [exp.study.model_dump(mode="json", by_alias=True, exclude_none=True)],
    }
    out.write_text(json.dumps(doc, indent=2, ensure_ascii=False), encoding="utf-8")
    typer.echo(f"wrote {out}: {exp.summary()}")


def register(app: typer.Typer) -> None:
    """Add `alsreview trial ...` to the main app."""
    app.add_typer(trial_app, name="trial")
