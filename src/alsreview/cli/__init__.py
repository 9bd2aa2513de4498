"""The `alsreview` command line: a Typer app whose commands are thin wrappers over the library.

Each stage registers its own commands from a module in this package (`report.py`,
`meta.py`, `trial.py`, `literature.py`, `dedup.py`, `serve.py`), so the stages never edit one
another's files.  Command modules import heavy libraries inside the command functions:
`alsreview --help` must stay fast.
"""

from __future__ import annotations

import sys

import typer

from alsreview.errors import AlsreviewError

app = typer.Typer(
    name="alsreview",
    help="Evidence synthesis for stem-cell therapy in ALS.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """Evidence synthesis for stem-cell therapy in ALS."""


def _register_all() -> None:
    from alsreview.cli import dedup, evidence, literature, meta, report, serve, trial

    for module in (report, evidence, meta, trial, literature, dedup, serve):
        module.register(app)


_register_all()


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: AlsreviewError becomes a message and exit code 1."""
    try:
        code = app(args=argv, standalone_mode=False)  # click returns Exit codes here
        if isinstance(code, int) and code:
            sys.exit(code)
    except AlsreviewError as exc:
        from rich.console import Console

        Console(stderr=True).print(f"[bold red]error:[/] {exc}", highlight=False, markup=True)
        sys.exit(1)
    except typer.Exit as exc:
        sys.exit(exc.exit_code)
    except typer.Abort:
        sys.exit(1)
    except SystemExit:
        raise
    except Exception as exc:  # click usage errors arrive here in standalone_mode=False
        import click

        if isinstance(exc, click.ClickException):
            exc.show()
            sys.exit(exc.exit_code)
        raise
