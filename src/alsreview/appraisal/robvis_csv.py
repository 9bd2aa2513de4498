"""robvis's summary-table CSV, both ways: `Study, D1, ..., Dn, Overall[, Weight]`.

robvis (McGuinness & Higgins 2021, Res Synth Methods 12:55-61) reads a data frame whose
first column is the study, then one column per domain of the tool (ROB2: D1-D5;
ROB2-Cluster: D1a, D1b, D2-D5; ROBINS-I: D1-D7; Generic: any), then Overall and an
optional Weight, with judgements spelled "Low", "Some concerns", "High", "Moderate",
"Serious", "Critical", "No information".  Domain columns are matched by position (robvis
ignores their names); the count must equal the tool's domains.
"""

from __future__ import annotations

import csv
import io
from pathlib import Path

from alsreview.appraisal.algorithm import normalise_judgement
from alsreview.appraisal.instrument import Instrument, load_instrument
from alsreview.appraisal.table import RobRow, RobTable
from alsreview.errors import ImportFormatError, Problem, ValidationError

__all__ = ["read_robvis_csv", "robvis_csv_text", "write_robvis_csv"]


def _domain_value(inst: Instrument, text: str) -> str | None:
    domain_questions = {q.id: q for d in inst.domains for q in d.variant(None).questions}
    if inst.answer_words:  # JBI: domain values are the items' answers
        q = next(iter(domain_questions.values()))
        return inst.normalise(q, text)
    return normalise_judgement(inst, text)


def _spell(inst: Instrument, value: str) -> str:
    if value in inst.answer_words:
        return inst.answer_words[value]
    return next(j.robvis for j in inst.judgements if j.id == value)


def read_robvis_csv(path: str | Path, tool: str) -> RobTable:
    """Read a robvis CSV for `tool`; every bad cell is reported with its line and column."""
    inst = load_instrument(tool)
    name = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8-sig")
    except OSError as exc:
        raise ImportFormatError(name, f"cannot read the file ({exc.strerror})") from None
    rows = [r for r in csv.reader(io.StringIO(text)) if any(c.strip() for c in r)]
    if not rows:
        raise ImportFormatError(name, "empty file: expected a header row", line=1)
    header = [h.strip() for h in rows[0]]
    k = len(inst.domains)
    has_weight = header[-1].casefold() == "weight"
    if (
        header[0].casefold() != "study"
        or len(header) != k + 2 + has_weight
        or (header[k + 1].casefold() != "overall")
    ):
        want = ", ".join(["Study", *[d.id for d in inst.domains], "Overall", "[Weight]"])
        raise ImportFormatError(name, f"header {header} does not fit {inst.id}: {want}", line=1)
    problems: list[Problem] = []
    out: list[RobRow] = []
    for line, row in enumerate(rows[1:], start=2):
        row = [c.strip() for c in row] + [""] * (len(header) - len(row))
        if len(row) > len(header):
            problems.append(Problem(f"{len(row)} cells, header has {len(header)}", name, line))
            continue
        if not row[0]:
            problems.append(Problem("empty study name", name, line, "Study"))
        values: dict[str, str] = {}
        for d, cell in zip(inst.domains, row[1 : k + 1], strict=True):
            v = _domain_value(inst, cell)
            if v is None:
                problems.append(Problem(f"{cell!r} is not a value of {inst.id}", name, line,
                                        header[1 + len(values)]))  # fmt: skip
            else:
                values[d.id] = v
        overall = normalise_judgement(inst, row[k + 1])
        if overall is None:
            problems.append(Problem(f"{row[k + 1]!r} is not an overall judgement of {inst.id}",
                                    name, line, "Overall"))  # fmt: skip
        weight = None
        if has_weight and row[-1]:
            try:
                weight = float(row[-1])
            except ValueError:
                problems.append(Problem(f"weight {row[-1]!r} is not a number", name, line,
                                        "Weight"))  # fmt: skip
        if overall is not None and len(values) == k:
            out.append(RobRow(row[0], values, overall, weight))
    if problems:
        raise ValidationError(problems)
    return RobTable(inst.id, tuple(out))


def robvis_csv_text(table: RobTable) -> str:
    """The table as robvis CSV text (domain columns named by the tool's domain ids)."""
    inst = table.instrument
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(["Study", *[d.id for d in inst.domains], "Overall", "Weight"])
    for r in table.rows:
        w.writerow([
            r.study, *[_spell(inst, r.domains[d.id]) for d in inst.domains],
            _spell(inst, r.overall), "" if r.weight is None else f"{r.weight:g}",
        ])  # fmt: skip
    return buf.getvalue()


def write_robvis_csv(table: RobTable, path: str | Path) -> Path:
    """Write robvis CSV to `path` (UTF-8)."""
    path = Path(path)
    path.write_text(robvis_csv_text(table), encoding="utf-8")
    return path


def import_robvis_table(
    project: object, table: RobTable, *, reviewer: str, kind: str = "assessment", name: str = ""
) -> int:
    """Store every row of a robvis table as an appraisal by `reviewer` (domain judgements,
    no signalling answers) in one transaction.  Where a row's Overall differs from the tool's
    rule it is kept as an overall override justified by the file and line it came from."""
    from alsreview.appraisal.algorithm import overall_judgement
    from alsreview.store.appraisals import save_appraisals

    inst = table.instrument
    rows = []
    for line, row in enumerate(table.rows, start=2):
        rule = overall_judgement(inst, list(row.domains.values()))
        why = None
        if row.overall != rule:
            why = f"Overall as given in robvis CSV {name or '<table>'}, line {line}"
        rows.append({
            "study": row.study, "tool": inst.id, "kind": kind, "reviewer": reviewer,
            "answers": {d: {"answer": v} for d, v in row.domains.items()},
            "domains": {d: {"algorithm": v, "value": v, "source": "reviewer"}
                        for d, v in row.domains.items()},
            "overall_algorithm": rule, "overall": row.overall, "overall_justification": why,
        })  # fmt: skip
    save_appraisals(project, rows)  # type: ignore[arg-type]
    return len(rows)
