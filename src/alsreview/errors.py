"""The exception tree of alsreview.

AlsreviewError                  base; the CLI prints its message and exits 1
├── ImportFormatError           a file could not be read (path, record, line, reason)
├── ValidationError             data that parsed but breaks a rule (one or many problems)
│   └── DoseParseError          a dose string that cannot be read without guessing
├── ConvergenceError            an iterative estimator failed and no fallback applied
├── ExportError                 an output cannot be written (format, folder, existing file)
├── SourceError                 a search service failed after all retries
└── StoreError                  the project database refused an operation
"""

from __future__ import annotations

from dataclasses import dataclass


class AlsreviewError(Exception):
    """Base class for every error alsreview raises on purpose."""


class ImportFormatError(AlsreviewError):
    """A file could not be imported. Names the file, the record and the line."""

    def __init__(
        self,
        path: str | None,
        reason: str,
        *,
        line: int | None = None,
        record: int | str | None = None,
    ) -> None:
        self.path = path
        self.reason = reason
        self.line = line
        self.record = record
        where = [str(path) if path else "<input>"]
        if record is not None:
            where.append(f"record {record}")
        if line is not None:
            where.append(f"line {line}")
        super().__init__(f"{', '.join(where)}: {reason}")


@dataclass(frozen=True)
class Problem:
    """One validation problem, located as precisely as the input allows."""

    message: str
    file: str | None = None
    row: int | None = None
    column: str | None = None

    def __str__(self) -> str:
        loc = ", ".join(
            p
            for p in (
                self.file,
                f"row {self.row}" if self.row is not None else None,
                f"column {self.column}" if self.column else None,
            )
            if p
        )
        return f"{loc}: {self.message}" if loc else self.message


class ValidationError(AlsreviewError):
    """Data that parsed but breaks a rule. Carries every problem found, not just the first."""

    def __init__(self, problems: list[Problem] | list[str] | str) -> None:
        if isinstance(problems, str):
            problems = [problems]
        self.problems = [p if isinstance(p, Problem) else Problem(str(p)) for p in problems]
        text = "\n".join(f"- {p}" for p in self.problems)
        n = len(self.problems)
        super().__init__(f"{n} problem{'s' if n != 1 else ''}:\n{text}")


class DoseParseError(ValidationError):
    """A dose string that cannot be read without guessing."""

    def __init__(self, text: str, reason: str) -> None:
        self.text = text
        self.reason = reason
        AlsreviewError.__init__(self, f"cannot read dose {text!r}: {reason}")
        self.problems = [Problem(f"cannot read dose {text!r}: {reason}")]


class ConvergenceError(AlsreviewError):
    """An iterative estimator did not converge and no fallback could be applied."""


class ExportError(AlsreviewError):
    """An output cannot be written: unknown format, a folder, a missing folder, an existing
    file without `--force`."""


class SourceError(AlsreviewError):
    """A bibliographic service failed after every retry."""


class StoreError(AlsreviewError):
    """The project database refused an operation."""
