"""`alsreview protocol schema|check`: the review-protocol file format and its validation."""

from __future__ import annotations

from pathlib import Path

import typer

protocol_app = typer.Typer(
    help="The review protocol file (protocol.toml): its JSON Schema and its checks.",
    no_args_is_help=True,
)


@protocol_app.command("schema")
def schema_command() -> None:
    """Print the JSON Schema of the protocol.toml format."""
    import json

    from alsreview.protocol.schema import protocol_json_schema

    typer.echo(json.dumps(protocol_json_schema(), indent=1))


@protocol_app.command("check")
def check_command(
    file: Path | None = typer.Argument(None, help="Protocol TOML (default: the bundled one)."),
) -> None:
    """Validate a protocol file; print its summary, or every problem found."""
    from alsreview.protocol import default_protocol, load_protocol

    protocol = default_protocol() if file is None else load_protocol(file)
    typer.echo(protocol.summary())


def register(app: typer.Typer) -> None:
    app.add_typer(protocol_app, name="protocol")
