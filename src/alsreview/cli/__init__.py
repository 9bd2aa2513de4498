"""The `alsreview` command line: a Typer app whose commands are thin wrappers over the library.

Each stage registers its own commands from a module in this package (`report.py`,
`meta.py`, `trial.py`, `literature.py`, `dedup.py`, `serve.py`), so the stages never edit one
another's files.  Command modules import heavy libraries inside the command functions:
`alsreview --help` must stay fast (plain click help, no Rich: see BENCHMARKS.md).

Exit codes: 0 success; 1 an `AlsreviewError` (one message, printed literally) or an
operating-system error on a path the user gave; 2 a usage error (click's usage message).
Any other exception is a bug and keeps its traceback.
"""

from __future__ import annotations

import errno
import os
import sys
from functools import lru_cache
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import typer

HELP = "Evidence synthesis for stem-cell therapy in ALS."


@lru_cache(maxsize=1)
def _app() -> typer.Typer:
    """The Typer app with every stage's commands registered (built on first use)."""
    import typer

    app = typer.Typer(
        name="alsreview",
        help=HELP,
        no_args_is_help=True,
        add_completion=False,
        pretty_exceptions_enable=False,
        # Plain click help and usage errors: literal text (no Rich markup to eat "[pico]"),
        # and `--help` does not import Rich (0.1 s of the start-up).
        rich_markup_mode=None,
    )

    @app.callback()
    def _root() -> None:
        """Evidence synthesis for stem-cell therapy in ALS."""

    from alsreview.cli import (
        appraise,
        dedup,
        evidence,
        extract,
        literature,
        meta,
        protocol,
        report,
        screen,
        serve,
        trial,
    )

    modules = (
        report,
        evidence,
        protocol,
        meta,
        trial,
        literature,
        dedup,
        screen,
        appraise,
        extract,
        serve,
    )
    for module in modules:
        module.register(app)
    return app


def __getattr__(name: str) -> object:
    """`alsreview.cli.app`, built on first access (PEP 562), so `alsreview --help` need not
    import Typer and every command module."""
    if name == "app":
        return _app()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def render_top_help(columns: int = 80) -> str:
    """`alsreview --help` as click prints it on a terminal `columns` wide (click formats at
    `min(columns, 80) - 2`, at least 50)."""
    import typer.main

    cmd = typer.main.get_command(_app())
    width = max(min(columns, 80) - 2, 50)
    with cmd.make_context("alsreview", [], resilient_parsing=True, terminal_width=width) as ctx:
        return cmd.get_help(ctx) + "\n"


def _terminal_columns() -> int:
    """Columns as click measures them (`shutil.get_terminal_size`, without importing shutil)."""
    try:
        columns = int(os.environ["COLUMNS"])
    except (KeyError, ValueError):
        columns = 0
    if columns > 0:
        return columns
    try:
        return os.get_terminal_size(sys.__stdout__.fileno()).columns or 80  # type: ignore[union-attr]
    except (AttributeError, ValueError, OSError):
        return 80


def _fast_help(argv: list[str]) -> bool:
    """Print the top-level help without building the Typer app, when that is exactly what
    click would print: `alsreview --help` on a terminal at least 80 columns wide (click then
    formats at 78).  The text is generated from the app (`toplevel_help.py`) and a test
    checks it against what the app prints, so it cannot drift."""
    if argv != ["--help"] or _terminal_columns() < 80:
        return False
    from alsreview.cli.toplevel_help import TEXT

    sys.stdout.write(TEXT)
    sys.stdout.flush()
    return True


# Operating-system errors on a path the user named: said in one line, not a traceback.
_USER_OS_ERRORS = {
    errno.EACCES,
    errno.EPERM,
    errno.ENOENT,
    errno.EISDIR,
    errno.ENOTDIR,
    errno.EEXIST,
    errno.ENOSPC,
    errno.EROFS,
    errno.ENAMETOOLONG,
    errno.EDQUOT,
    errno.ELOOP,
    errno.ENOTEMPTY,
}


def error_line(exc: BaseException) -> str:
    """The text `main` prints for an error a person can act on (literal, never wrapped)."""
    from alsreview.errors import AlsreviewError

    if isinstance(exc, OSError) and not isinstance(exc, AlsreviewError):
        where = exc.filename if exc.filename is not None else ""
        if exc.filename2 is not None:
            where = f"{where} -> {exc.filename2}"
        return f"error: {where}: {exc.strerror or exc}"
    return f"error: {exc}"


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point.

    Usage errors are click's (usage message, exit 2); `AlsreviewError` is printed as
    `error: <message>` with `sys.stderr.write` (no markup, no wrapping) and exits 1.
    """
    if _fast_help(sys.argv[1:] if argv is None else list(argv)):
        return
    from alsreview.errors import AlsreviewError

    try:
        _app()(args=argv, prog_name="alsreview")  # standalone: click handles usage errors
    except SystemExit as exc:  # click's way of saying "done": success returns normally
        if exc.code not in (0, None):
            raise
    except AlsreviewError as exc:
        _fail(exc)
    except OSError as exc:
        if exc.errno in _USER_OS_ERRORS and exc.filename is not None:
            _fail(exc)
        raise


def _fail(exc: BaseException) -> None:
    sys.stdout.flush()
    sys.stderr.write(error_line(exc) + "\n")
    sys.stderr.flush()
    sys.exit(1)
