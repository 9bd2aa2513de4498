"""`alsreview report`: the full review report on an evidence base (bundled by default)."""

from __future__ import annotations

from pathlib import Path

import typer


def register(app: typer.Typer) -> None:
    """Add `report` to the main app."""

    @app.command("report")
    def report_command(
        out: Path = typer.Option(Path("alsreview-report"), "--out", help="Output folder."),
        evidence: Path | None = typer.Option(
            None, "--evidence", help="Your own evidence-base JSON (default: the bundled one)."
        ),
        project: Path | None = typer.Option(
            None, "--project", help="A review project folder: the report of that review."
        ),
        trial: Path | None = typer.Option(
            None,
            "--trial",
            help="A trial data folder or workbook to add as the trial section (default: the "
            "bundled Sykova 2017 example with the bundled evidence base, none otherwise).",
        ),
        grade_overrides: Path | None = typer.Option(
            None,
            "--grade-overrides",
            help="JSON list of GRADE judgements to override, each with outcome, design, "
            "domain, change and a justification (shown in the report).",
        ),
    ) -> None:
        """Write DIR/index.html (self-contained) and every figure as SVG and PNG."""
        import gc

        # One short process building many small objects: the cyclic collector's passes
        # were 8 % of its CPU time and freed nothing that mattered (peak RSS unchanged,
        # BENCHMARKS.md).  The process ends when the report is written.
        gc.disable()
        from alsreview.report.grade import load_overrides

        overrides = load_overrides(grade_overrides) if grade_overrides else ()
        if project is not None:
            if evidence is not None or trial is not None:
                raise typer.BadParameter(
                    "--project reports the project's own evidence and attached trial "
                    "(alsreview trial attach); drop --evidence / --trial"
                )
            from alsreview.report.project import build_project_report

            index = build_project_report(project, out, overrides=overrides)
            typer.echo(f"report written to {index}")
            return
        from alsreview.report.build import build_report

        index = build_report(
            out,
            evidence_path=evidence,
            overrides=overrides,
            trial=trial if trial is not None else "bundled",
        )
        typer.echo(f"report written to {index}")
