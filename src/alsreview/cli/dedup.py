"""CLI commands of the dedup stage (filled in by the issue that builds it)."""

from __future__ import annotations

import typer


def register(app: typer.Typer) -> None:
    """Add this stage's commands to the main app."""
