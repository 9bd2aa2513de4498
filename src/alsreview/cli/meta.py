"""`alsreview meta FILE.csv`: a meta-analysis of a CSV whose columns carry metafor's names.

Parses the options and prints; the work is :func:`alsreview.meta.run.run_meta` (which reads
the file with :mod:`alsreview.meta.csvfile`).  Output: a printed summary, or with ``--json``
one JSON object under the reference files' key names.  Only typer and the standard library
are imported at module level.
"""

from __future__ import annotations

import json
from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add `meta` to the main app."""

    @app.command("meta")
    def meta_command(
        file: Path = typer.Argument(..., help="CSV with metafor-named columns (yi, vi, ai, ...)."),
        measure: str | None = typer.Option(
            None, "--measure", help="escalc measure (RR, OR, RD, SMD, MD, ZCOR, MC, ...)."
        ),
        method: str = typer.Option(
            "REML",
            "--method",
            help="EE, DL, HE, HS, HSk, SJ, ML, REML, EB, PM, PMM, GENQ, MH, PETO.",
        ),
        test: str = typer.Option("z", "--test", help="z or knha (Knapp-Hartung)."),
        mods: list[str] = typer.Option([], "--mods", help="Moderator column (repeat for several)."),
        as_json: bool = typer.Option(False, "--json", help="Print JSON (reference key names)."),
        rob: str | None = typer.Option(
            None,
            "--rob",
            help="Sensitivity analysis: only studies at low (`low`) or low/moderate "
            "(`low-moderate`) risk of bias, by the `study` column and the published appraisals.",
        ),
    ) -> None:
        """Pool the studies in FILE.csv as metafor's escalc + rma (or rma.mh / rma.peto)."""
        from alsreview.meta.run import run_meta

        if rob is not None:  # appraisal engineer: risk-of-bias restriction, see appraisal/
            file = _restricted(file, rob)
        res = run_meta(file, measure, method, test, list(mods))
        typer.echo(json.dumps(res.to_dict(), indent=2) if as_json else res.summary())


def _restricted(file: Path, level: str) -> Path:
    """A temporary copy of FILE with only the rows whose study passes the restriction;
    the studies left out and why go to stderr."""
    import atexit
    import os
    import tempfile

    from alsreview.appraisal.sensitivity import restrict_csv

    text, restriction = restrict_csv(file.read_text(encoding="utf-8-sig"), level, name=str(file))
    typer.echo(restriction.summary(), err=True)
    fd, tmp = tempfile.mkstemp(suffix=".csv")
    with os.fdopen(fd, "w", encoding="utf-8") as f:
        f.write(text)
    atexit.register(os.unlink, tmp)
    return Path(tmp)
