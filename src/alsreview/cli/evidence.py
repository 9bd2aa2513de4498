"""`alsreview evidence schema|check`: the evidence-base file format and its checks."""

from __future__ import annotations

from pathlib import Path

import typer

evidence_app = typer.Typer(
    help="The evidence-base file: its JSON Schema and its checks.", no_args_is_help=True
)


@evidence_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the evidence-base file format."""
    import json

    from alsreview.evidence import evidence_json_schema

    typer.echo(json.dumps(evidence_json_schema(), indent=1))


@evidence_app.command("check")
def check_command(
    file: Path | None = typer.Argument(None, help="Evidence JSON (default: the bundled one)."),
    as_json: bool = typer.Option(False, "--json", help="Print findings as JSON."),
) -> None:
    """Validate an evidence file and run the integrity checks on it."""
    import dataclasses
    import json

    from alsreview.evidence import load_evidence
    from alsreview.evidence.integrity import run_integrity_checks

    evidence = load_evidence(file)
    findings = run_integrity_checks(evidence)
    if as_json:
        typer.echo(
            json.dumps([dataclasses.asdict(f) for f in findings], indent=1, ensure_ascii=False)
        )
        return
    typer.echo(f"{len(evidence.studies)} studies, {len(findings)} findings")
    for f in findings:
        typer.echo(f"[{f.severity}] {f.check}: {f.where}: {f.message}")


def register(app: typer.Typer) -> None:
    app.add_typer(evidence_app, name="evidence")
