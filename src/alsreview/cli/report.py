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
    ) -> None:
        """Write DIR/index.html (self-contained) and every figure as SVG and PNG."""
        from alsreview.report.build import build_report

        index = build_report(out, evidence_path=evidence)
        typer.echo(f"report written to {index}")
