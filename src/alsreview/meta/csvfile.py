"""Read a meta-analysis table from a CSV file whose columns carry metafor's names.

In: a path.  Out: ``{column: values}`` with metafor-named columns (yi, vi, sei, ai, ..., ri)
and the requested moderator columns as floats (blank or ``NA`` cells as NaN), other columns
as text.  Encodings: UTF-8 (with or without BOM), UTF-16/UTF-32 with a BOM, and
Windows-1252/Latin-1 when the bytes are not UTF-8.  Refused with an ``ImportFormatError``
naming the file, line and column: unreadable files, files over :data:`MAX_BYTES`, NUL bytes
(binary or BOM-less UTF-16), ragged rows, non-numeric cells in numeric columns.
"""

from __future__ import annotations

import codecs
import csv
import math
from pathlib import Path

from alsreview.errors import ImportFormatError

NUMERIC = (
    "yi", "vi", "sei", "ai", "bi", "ci", "di", "n1i", "n2i", "xi", "ni", "mi",
    "m1i", "m2i", "sd1i", "sd2i", "sdi", "ri",
)  # fmt: skip
MAX_BYTES = 100 * 1024 * 1024
MISSING = ("", "NA", "NaN", "nan", ".")
_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


#: one cell: a number (NaN when blank), a moderator's text, or None (a blank text cell)
Cell = float | str | None


def decode(path: Path, raw: bytes) -> str:
    """Text of ``raw``: by its byte-order mark, else UTF-8, else Windows-1252/Latin-1."""
    for bom, encoding in _BOMS:
        if raw.startswith(bom):
            try:
                return raw.decode(encoding)
            except UnicodeDecodeError as exc:
                raise ImportFormatError(
                    str(path), f"not valid {encoding} despite its byte-order mark ({exc.reason})"
                ) from None
    if b"\x00" in raw:
        line = raw[: raw.index(b"\x00")].count(b"\n") + 1
        raise ImportFormatError(
            str(path),
            "NUL byte: a binary file, or UTF-16 without a byte-order mark (save it as UTF-8)",
            line=line,
        )
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError:
        try:
            return raw.decode("cp1252")
        except UnicodeDecodeError:
            return raw.decode("latin-1")


def _number(path: Path, name: str, cell: str, line: int) -> float:
    if cell in MISSING:
        return math.nan
    try:
        value = float(cell)
    except ValueError:
        raise ImportFormatError(
            str(path), f"column {name}: {cell!r} is not a number", line=line
        ) from None
    if math.isinf(value):
        raise ImportFormatError(str(path), f"column {name}: {cell!r} is not finite", line=line)
    return value


def read_columns(path: Path, wanted: list[str]) -> tuple[dict[str, list[Cell]], list[int]]:
    """Columns of the CSV at ``path`` and the file line of every data row.

    metafor-named columns are numbers; ``wanted`` (moderators) are numbers when every
    non-blank cell is one, else text, with blank cells as NaN in both cases (missing).
    """
    from alsreview.inputs import read_limited

    path = Path(path)
    raw = read_limited(path, max_bytes=MAX_BYTES)  # regular files only: no FIFO, no device
    text = decode(path, raw)
    rows = list(csv.reader(text.splitlines()))
    if not rows or not any(cell.strip() for cell in rows[0]):
        raise ImportFormatError(str(path), "empty file: expected a header row", line=1)
    header = [h.strip() for h in rows[0]]
    for name in wanted:
        if name not in header:
            raise ImportFormatError(
                str(path), f"no column {name!r} (columns: {', '.join(header)})", line=1
            )
    cols: dict[str, list[Cell]] = {h: [] for h in header}
    lines: list[int] = []
    numeric = set(NUMERIC)
    for line_no, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if len(row) != len(header):
            raise ImportFormatError(
                str(path), f"{len(row)} cells where the header has {len(header)}", line=line_no
            )
        lines.append(line_no)
        for name, cell in zip(header, row, strict=True):
            cell = cell.strip()
            cols[name].append(_number(path, name, cell, line_no) if name in numeric else cell)
    if not lines:
        raise ImportFormatError(str(path), "no data rows")
    for name in wanted:
        if name not in numeric:
            cols[name] = _moderator(path, name, cols[name], lines)
    return cols, lines


def _moderator(path: Path, name: str, values: list[Cell], lines: list[int]) -> list[Cell]:
    """Numbers (NaN for blank cells) if every other cell parses as one, else text (a factor
    with blank cells missing); infinite numbers are refused."""
    present = [v for v in values if v not in MISSING]
    try:
        [float(str(v)) for v in present]
    except ValueError:
        return [None if v in MISSING else v for v in values]
    return [_number(path, name, str(v), line) for v, line in zip(values, lines, strict=True)]
