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
    ) -> None:
        """Write DIR/index.html (self-contained) and every figure as SVG and PNG."""
        if project is not None:
            if evidence is not None:
                raise typer.BadParameter("use --project or --evidence, not both")
            from alsreview.report.project import build_project_report

            index = build_project_report(project, out)
            typer.echo(f"report written to {index}")
            return
        from alsreview.report.build import build_report

        index = build_report(out, evidence_path=evidence)
        typer.echo(f"report written to {index}")
