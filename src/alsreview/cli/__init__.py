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
import sys

import typer

from alsreview.errors import AlsreviewError

app = typer.Typer(
    name="alsreview",
    help="Evidence synthesis for stem-cell therapy in ALS.",
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


def _register_all() -> None:
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


_register_all()

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
    try:
        app(args=argv, prog_name="alsreview")  # standalone: click handles usage errors
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
