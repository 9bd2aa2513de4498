"""Labelled screening sets: a CSV with `label_included` (1 = included, 0 = excluded).

In: a CSV file like the ASReview / SYNERGY simulation sets (`record_id, title, abstract,
..., label_included`).  Out: a `LabelledSet` (records and their 0/1 labels, file order).

Stricter than the general CSV reader (`records.tabular`): every row must carry a label
of exactly 0 or 1, both classes must occur, and the file must hold records; otherwise
`ImportFormatError` names the file, line and what is wrong, and nothing is returned.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from pathlib import Path

from alsreview.errors import ImportFormatError
from alsreview.inputs import read_limited
from alsreview.records.model import Record
from alsreview.records.tabular import parse_delimited
from alsreview.records.textfile import decode_export

LABEL_COLUMN = "label_included"


@dataclass(frozen=True)
class LabelledSet:
    """Records of a labelled set and their labels (1 included, 0 excluded), file order."""

    path: str
    records: tuple[Record, ...]
    labels: tuple[int, ...]

    @property
    def n_records(self) -> int:
        return len(self.records)

    @property
    def n_included(self) -> int:
        return sum(self.labels)


def read_labelled_csv(path: str | Path) -> LabelledSet:
    """Read and check a labelled CSV (see the module docstring for the rules)."""
    p = Path(path)
    name = str(p)
    data = read_limited(p)  # regular file within the size limit, or a named error
    text = decode_export(data, name)
    if not text.strip():
        raise ImportFormatError(name, "empty file: no header and no records")
    reader = csv.reader(io.StringIO(text, newline=""), strict=True)
    try:
        header = [h.strip().lower().lstrip("\ufeff") for h in next(reader)]
        if LABEL_COLUMN not in header:
            raise ImportFormatError(
                name, f"no {LABEL_COLUMN} column (columns: {', '.join(header[:12])})", line=1
            )
        col = header.index(LABEL_COLUMN)
        labels: dict[int, int] = {}
        line = reader.line_num + 1
        for cells in reader:
            if any(c.strip() for c in cells):
                value = cells[col].strip() if col < len(cells) else ""
                if value not in ("0", "1"):
                    raise ImportFormatError(
                        name,
                        f"{LABEL_COLUMN} must be 0 or 1, found {value!r}",
                        line=line,
                        record=len(labels) + 1,
                    )
                labels[line] = int(value)
            line = reader.line_num + 1
    except csv.Error as exc:
        raise ImportFormatError(name, f"malformed CSV: {exc}", line=reader.line_num) from None
    if not labels:
        raise ImportFormatError(name, "no records: the file has a header only")
    records = parse_delimited(text, name, delimiter=",")
    lines = [r.extra.get("line") for r in records]
    if lines != list(labels):  # the general reader saw the rows differently
        raise ImportFormatError(name, "rows could not be matched to their labels")
    values = list(labels.values())
    if len(set(values)) < 2:
        only = "included (1)" if values[0] == 1 else "excluded (0)"
        raise ImportFormatError(
            name, f"all {len(values)} records are {only}: a simulation needs both classes"
        )
    return LabelledSet(name, tuple(records), tuple(values))
