"""Load and validate a trial's individual-patient data (IPD).

In: a trial data folder holding `patients.csv`, `visits.csv` and `adverse_events.csv`, or one
Excel workbook with sheets `patients`, `visits` and `adverse_events` (format in
`src/alsreview/data/trial_example/README.md`).
Out: a `TrialData` of three typed pandas DataFrames, or a `ValidationError` listing every
problem (file, row, column) at once; nothing is returned from input that failed validation.

Row numbers are spreadsheet rows: the header is row 1, the first record row 2.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from alsreview.errors import ImportFormatError, Problem, ValidationError

if TYPE_CHECKING:
    import pandas as pd

PATIENT_COLUMNS = (
    "patient_id",
    "age",
    "sex",
    "onset",
    "disease_duration_months",
    "in_efficacy_analysis",
    "exclusion_reason",
)
#: Optional patient columns for survival: months from treatment to death or last contact.
SURVIVAL_COLUMNS = ("survival_months", "died")
VISIT_COLUMNS = ("patient_id", "visit", "month")
ITEM_COLUMNS = (
    *(f"alsfrs_r_{i}" for i in (1, 2, 3, 4)),
    "alsfrs_r_5a",
    "alsfrs_r_5b",
    *(f"alsfrs_r_{i}" for i in range(6, 13)),
)
WEAKNESS_COLUMNS = ("ws_uel", "ws_uer", "ws_lel", "ws_ler")
AE_COLUMNS = ("patient_id", "term", "serious", "related", "severity", "action", "duration_days")
ONSETS = ("spinal", "bulbar", "spinal+bulbar")
SEVERITIES = ("mild", "moderate", "severe", "death")
SHEETS = ("patients", "visits", "adverse_events")
_YES = {"yes": True, "y": True, "true": True, "1": True, "x": True}
_NO = {"no": False, "n": False, "false": False, "0": False, "": False}
_SEXES = {"m": "M", "male": "M", "f": "F", "female": "F"}
# "1,000", "12,500.5", "1.000,5": a comma that may group thousands is never guessed
_THOUSANDS = re.compile(r"^[+-]?\d{1,3}(?:,\d{3})+(?:\.\d*)?$|^[+-]?\d+\.\d+,\d*$|.*,.*,")


@dataclass(frozen=True)
class TrialData:
    """A validated trial: one row per patient, per visit, per adverse event.

    `visits` always has an `alsfrs_r` total column (summed from the items when only items were
    given) and the item columns that were present; missing measurements are NaN.
    """

    patients: pd.DataFrame
    visits: pd.DataFrame
    adverse_events: pd.DataFrame
    source: str = ""

    @property
    def n_enrolled(self) -> int:
        return len(self.patients)

    @property
    def efficacy_ids(self) -> list[str]:
        """Patients in the efficacy analysis (`in_efficacy_analysis == yes`)."""
        p = self.patients
        return p.loc[p["in_efficacy_analysis"], "patient_id"].tolist()

    def efficacy_visits(self) -> pd.DataFrame:
        return self.visits[self.visits["patient_id"].isin(self.efficacy_ids)]


def load_trial(path: str | Path) -> TrialData:
    """Read a trial data folder or Excel workbook and validate it (see module docstring)."""
    path = Path(path)
    frames: dict[str, pd.DataFrame | None]
    names: dict[str, str]
    if path.is_dir():
        frames = {}
        names = {}
        for sheet in SHEETS:
            f = path / f"{sheet}.csv"
            if not f.exists():
                if sheet == "adverse_events":
                    frames[sheet] = None
                    names[sheet] = str(f)
                    continue
                raise ImportFormatError(str(f), f"missing file {sheet}.csv in trial folder")
            frames[sheet] = _read_csv(f)
            names[sheet] = str(f)
    elif path.suffix.lower() in (".xlsx", ".xlsm"):
        frames, names = _read_workbook(path)
    elif not path.exists():
        raise ImportFormatError(str(path), "no such trial folder or workbook")
    else:
        raise ImportFormatError(str(path), "expected a folder of CSV files or an .xlsx workbook")
    return parse_trial(
        frames["patients"],
        frames["visits"],
        frames["adverse_events"],
        files=names,
        source=str(path),
    )


def _read_csv(f: Path) -> pd.DataFrame:
    """A CSV of strings; a regular file within the size limit, UTF-8, no NUL bytes, not cut
    off in the middle of its last row."""
    import csv
    import io

    import pandas as pd

    from alsreview.inputs import read_text_limited

    text = read_text_limited(f)
    if text.strip():
        lines = text.rstrip("\n").split("\n")
        if not text.endswith("\n") and len(lines) > 1:
            header, last = next(csv.reader([lines[0]])), next(csv.reader([lines[-1]]))
            if len(last) < len(header):
                raise ImportFormatError(
                    str(f),
                    f"the file ends in the middle of a row ({len(last)} of {len(header)} "
                    "cells and no final newline): truncated? refused",
                    line=len(lines),
                )
    try:
        return pd.read_csv(  # bytes, not StringIO (4 bytes per character)
            io.BytesIO(text.encode("utf-8")),
            dtype=str,
            keep_default_na=False,
            skipinitialspace=True,
            encoding="utf-8",
        )
    except pd.errors.ParserError as exc:
        raise ImportFormatError(str(f), f"not a readable CSV file: {exc}") from exc
    except pd.errors.EmptyDataError as exc:
        raise ImportFormatError(str(f), "file is empty") from exc


def _read_workbook(path: Path) -> tuple[dict[str, pd.DataFrame | None], dict[str, str]]:
    import io

    import pandas as pd

    from alsreview.inputs import check_zip, read_limited

    data = read_limited(path)
    check_zip(data, str(path))
    _check_workbook_extent(data, str(path))
    try:
        book = pd.read_excel(io.BytesIO(data), sheet_name=None, dtype=str, keep_default_na=False)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFormatError(str(path), f"not a readable Excel workbook: {exc}") from exc
    frames: dict[str, pd.DataFrame | None] = {}
    names: dict[str, str] = {}
    lower = {k.strip().lower(): k for k in book}
    for sheet in SHEETS:
        names[sheet] = f"{path}[{sheet}]"
        if sheet not in lower:
            if sheet == "adverse_events":
                frames[sheet] = None
                continue
            raise ImportFormatError(str(path), f"workbook has no sheet named {sheet!r}")
        frames[sheet] = book[lower[sheet]].map(lambda v: "" if v is None else str(v).strip())
    return frames, names


def _check_workbook_extent(data: bytes, path: str) -> None:
    """Refuse sheets declaring (or, unsized, reaching) more cells than `MAX_CELLS` before
    pandas builds a frame of them."""
    import io

    from openpyxl import load_workbook

    from alsreview.inputs import MAX_CELLS
    from alsreview.records.tabular import check_sheet_dimensions

    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a broken file
        raise ImportFormatError(path, f"not a readable Excel workbook: {exc}") from exc
    try:
        for sheet in book.worksheets:
            if sheet.max_row is not None and sheet.max_column is not None:
                check_sheet_dimensions(sheet, path)
                continue
            cols = 0
            for rows, row in enumerate(sheet.iter_rows(values_only=True), start=1):  # unsized
                cols = max(cols, len(row))
                if rows * cols > MAX_CELLS:
                    raise ImportFormatError(
                        path, f"worksheet {sheet.title!r} reaches more than {MAX_CELLS:,} cells"
                    )
    finally:
        book.close()


def parse_trial(
    patients: pd.DataFrame,
    visits: pd.DataFrame,
    adverse_events: pd.DataFrame | None = None,
    *,
    files: dict[str, str] | None = None,
    source: str = "",
) -> TrialData:
    """Validate three DataFrames of strings and return typed ones; raise on any problem."""
    import pandas as pd

    files = files or {s: f"{s}.csv" for s in SHEETS}
    problems: list[Problem] = []
    if adverse_events is None:
        adverse_events = pd.DataFrame({c: pd.Series(dtype=str) for c in AE_COLUMNS})
    pat = _check_patients(patients.astype(str), files["patients"], problems)
    if pat is not None and pat.empty:
        problems.append(Problem("no patients: the file has only its header", files["patients"]))
    known = set(pat["patient_id"]) if pat is not None else set()
    vis = _check_visits(visits.astype(str), files["visits"], known, problems)
    ae = _check_aes(adverse_events.astype(str), files["adverse_events"], known, problems)
    if problems:
        raise ValidationError(problems)
    return TrialData(patients=pat, visits=vis, adverse_events=ae, source=source)


def _strip(df: pd.DataFrame) -> pd.DataFrame:
    df = df.copy()
    df.columns = [str(c).strip().lower() for c in df.columns]
    return df.map(lambda v: v.strip() if isinstance(v, str) else v)


def _missing_columns(df, required, file, problems) -> bool:
    missing = [c for c in required if c not in df.columns]
    for c in missing:
        problems.append(Problem("required column is missing", file, None, c))
    return bool(missing)


def _number(
    text: str,
    file: str,
    row: int,
    col: str,
    problems: list[Problem],
    *,
    lo: float | None = None,
    hi: float | None = None,
    integer: bool = False,
    required: bool = False,
) -> float:
    if text == "" or text.lower() in ("na", "nan", "-", "−"):
        if required:
            problems.append(Problem("value is required", file, row, col))
        return math.nan
    if _THOUSANDS.match(text):
        problems.append(
            Problem(
                f"ambiguous number {text!r}: a thousands separator or a decimal comma? "
                "write it without separators, with '.' for decimals",
                file,
                row,
                col,
            )
        )
        return math.nan
    try:
        x = float(text.replace(",", "."))
    except ValueError:
        problems.append(Problem(f"not a number: {text!r}", file, row, col))
        return math.nan
    if not math.isfinite(x):
        problems.append(Problem(f"not a finite number: {text!r}", file, row, col))
        return math.nan
    if integer and x != round(x):
        problems.append(Problem(f"{text} is not a whole number", file, row, col))
    if (lo is not None and x < lo) or (hi is not None and x > hi):
        problems.append(Problem(f"{text} is outside {lo:g}-{hi:g}", file, row, col))
    return x


def _flag(text: str, file: str, row: int, col: str, problems: list[Problem]) -> bool:
    t = text.lower()
    if t in _YES:
        return True
    if t in _NO:
        return False
    problems.append(Problem(f"expected yes or no, got {text!r}", file, row, col))
    return False


def _check_patients(df: pd.DataFrame, file: str, problems: list[Problem]) -> pd.DataFrame | None:
    import pandas as pd

    df = _strip(df)
    if "exclusion_reason" not in df.columns:
        df["exclusion_reason"] = ""
    if _missing_columns(df, PATIENT_COLUMNS, file, problems):
        return None
    seen: dict[str, int] = {}
    out = []
    has_surv = "survival_months" in df.columns
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2
        pid = r["patient_id"]
        if not pid:
            problems.append(Problem("patient_id is empty", file, row, "patient_id"))
        elif pid in seen:
            problems.append(
                Problem(
                    f"duplicate patient {pid} (first on row {seen[pid]})", file, row, "patient_id"
                )
            )
        else:
            seen[pid] = row
        sex = _SEXES.get(r["sex"].lower(), "")
        if not sex:
            problems.append(Problem(f"sex must be M or F, got {r['sex']!r}", file, row, "sex"))
        onset = re.sub(r"\s*\+\s*", "+", r["onset"].lower())
        if onset not in ONSETS:
            problems.append(
                Problem(
                    f"onset must be one of {', '.join(ONSETS)}, got {r['onset']!r}",
                    file,
                    row,
                    "onset",
                )
            )
        rec = {
            "patient_id": pid,
            "age": _number(r["age"], file, row, "age", problems, lo=0, hi=120, required=True),
            "sex": sex,
            "onset": onset,
            "disease_duration_months": _number(
                r["disease_duration_months"],
                file,
                row,
                "disease_duration_months",
                problems,
                lo=0,
                hi=1200,
            ),
            "in_efficacy_analysis": _flag(
                r["in_efficacy_analysis"], file, row, "in_efficacy_analysis", problems
            ),
            "exclusion_reason": r["exclusion_reason"],
        }
        if has_surv:
            rec["survival_months"] = _number(
                r["survival_months"], file, row, "survival_months", problems, lo=0, hi=1200
            )
            rec["died"] = _flag(r.get("died", ""), file, row, "died", problems)
            if rec["died"] and math.isnan(rec["survival_months"]):
                problems.append(
                    Problem(
                        "died is yes but survival_months is empty", file, row, "survival_months"
                    )
                )
        out.append(rec)
    return pd.DataFrame(
        out, columns=list(PATIENT_COLUMNS) + (list(SURVIVAL_COLUMNS) if has_surv else [])
    )


def _check_visits(df, file, known, problems) -> pd.DataFrame:
    import numpy as np
    import pandas as pd

    df = _strip(df)
    if _missing_columns(df, VISIT_COLUMNS, file, problems):
        return pd.DataFrame()
    items = [c for c in ITEM_COLUMNS if c in df.columns]
    has_total = "alsfrs_r" in df.columns
    if not items and not has_total:
        problems.append(
            Problem(
                "needs ALSFRS-R as alsfrs_r or the items alsfrs_r_1 … alsfrs_r_12",
                file,
                None,
                "alsfrs_r",
            )
        )
    if items:
        needed = [c for c in ITEM_COLUMNS if c not in ("alsfrs_r_5a", "alsfrs_r_5b")]
        for c in needed:
            if c not in df.columns:
                problems.append(Problem("item column is missing", file, None, c))
        if "alsfrs_r_5a" not in df.columns and "alsfrs_r_5b" not in df.columns:
            problems.append(
                Problem("item 5 needs alsfrs_r_5a or alsfrs_r_5b", file, None, "alsfrs_r_5a")
            )
    out = []
    seen_visit: dict[tuple[str, str], int] = {}
    seen_month: dict[tuple[str, float], int] = {}
    last_month: dict[str, tuple[float, int]] = {}
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2
        pid = r["patient_id"]
        if known and pid not in known:
            problems.append(
                Problem(f"unknown patient {pid!r} (not in patients)", file, row, "patient_id")
            )
        visit = r["visit"]
        if not visit:
            problems.append(Problem("visit is empty", file, row, "visit"))
        month = _number(r["month"], file, row, "month", problems, lo=-600, hi=600, required=True)
        if (pid, visit) in seen_visit and visit:
            problems.append(
                Problem(
                    f"duplicate visit {visit} of patient {pid} "
                    f"(first on row {seen_visit[pid, visit]})",
                    file,
                    row,
                    "visit",
                )
            )
        seen_visit.setdefault((pid, visit), row)
        if not math.isnan(month):
            if (pid, month) in seen_month:
                problems.append(
                    Problem(
                        f"duplicate month {month:g} of patient {pid} "
                        f"(first on row {seen_month[pid, month]})",
                        file,
                        row,
                        "month",
                    )
                )
            seen_month.setdefault((pid, month), row)
            prev = last_month.get(pid)
            if prev is not None and month < prev[0]:
                problems.append(
                    Problem(
                        f"months out of order for patient {pid}: "
                        f"{month:g} after {prev[0]:g} (row {prev[1]})",
                        file,
                        row,
                        "month",
                    )
                )
            last_month[pid] = (month, row)
        rec = {"patient_id": pid, "visit": visit, "month": month}
        vals = {}
        for c in items:
            vals[c] = _number(r[c], file, row, c, problems, lo=0, hi=4, integer=True)
        if items:
            if not math.isnan(vals.get("alsfrs_r_5a", math.nan)) and not math.isnan(
                vals.get("alsfrs_r_5b", math.nan)
            ):
                problems.append(
                    Problem("give item 5 as 5a or 5b, not both", file, row, "alsfrs_r_5b")
                )
            rec.update(vals)
        total = (
            _number(r["alsfrs_r"], file, row, "alsfrs_r", problems, lo=0, hi=48, integer=True)
            if has_total
            else math.nan
        )
        if items:
            item5 = [vals.get("alsfrs_r_5a", math.nan), vals.get("alsfrs_r_5b", math.nan)]
            item5 = [v for v in item5 if not math.isnan(v)]
            core = [
                vals.get(c, math.nan)
                for c in ITEM_COLUMNS
                if c not in ("alsfrs_r_5a", "alsfrs_r_5b")
            ]
            present = [v for v in core if not math.isnan(v)] + item5
            if len(present) == 12:
                s = float(sum(present))
                if not math.isnan(total) and s != total:
                    problems.append(
                        Problem(
                            f"total {total:g} does not equal the sum of its items ({s:g})",
                            file,
                            row,
                            "alsfrs_r",
                        )
                    )
                total = s
            elif present and not math.isnan(total):
                problems.append(
                    Problem(
                        f"only {len(present)} of 12 items given with a total", file, row, "alsfrs_r"
                    )
                )
        rec["alsfrs_r"] = total
        if "fvc_percent" in df.columns:
            rec["fvc_percent"] = _number(
                r["fvc_percent"], file, row, "fvc_percent", problems, lo=0, hi=200
            )
        for c in WEAKNESS_COLUMNS:
            if c in df.columns:
                rec[c] = _number(r[c], file, row, c, problems, lo=0, hi=5)
        out.append(rec)
    cols = ["patient_id", "visit", "month", "alsfrs_r", *items, "fvc_percent", *WEAKNESS_COLUMNS]
    res = pd.DataFrame(out)
    for c in cols:
        if c not in res.columns:
            res[c] = np.nan
    return res[cols] if len(res) else pd.DataFrame(columns=cols)


def _check_aes(df, file, known, problems) -> pd.DataFrame:
    import pandas as pd

    df = _strip(df)
    if _missing_columns(df, AE_COLUMNS, file, problems):
        return pd.DataFrame(columns=[*AE_COLUMNS, "ongoing"])
    out = []
    for i, r in enumerate(df.to_dict("records")):
        row = i + 2
        pid = r["patient_id"]
        if known and pid not in known:
            problems.append(
                Problem(f"unknown patient {pid!r} (not in patients)", file, row, "patient_id")
            )
        if not r["term"]:
            problems.append(Problem("term is empty", file, row, "term"))
        sev = r["severity"].lower()
        if sev not in SEVERITIES:
            problems.append(
                Problem(
                    f"severity must be one of {', '.join(SEVERITIES)}, got {r['severity']!r}",
                    file,
                    row,
                    "severity",
                )
            )
        dur_text = r["duration_days"]
        ongoing = dur_text.lower() in ("persistent", "ongoing")
        out.append(
            {
                "patient_id": pid,
                "term": r["term"],
                "serious": _flag(r["serious"], file, row, "serious", problems),
                "related": _flag(r["related"], file, row, "related", problems),
                "severity": sev,
                "action": r["action"],
                "duration_days": math.nan
                if ongoing
                else _number(dur_text, file, row, "duration_days", problems, lo=0, hi=100000),
                "ongoing": ongoing,
            }
        )
    return pd.DataFrame(out, columns=[*AE_COLUMNS, "ongoing"])


def save_trial(trial: TrialData, folder: str | Path) -> Path:
    """Write a `TrialData` as a trial data folder (the format `load_trial` reads)."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)

    def yesno(df: pd.DataFrame, cols: tuple[str, ...]) -> pd.DataFrame:
        df = df.copy()
        for c in cols:
            if c in df.columns:
                df[c] = df[c].map({True: "yes", False: "no"})
        return df

    yesno(trial.patients, ("in_efficacy_analysis", "died")).to_csv(
        folder / "patients.csv", index=False
    )
    visits = trial.visits.dropna(axis=1, how="all")
    visits.to_csv(folder / "visits.csv", index=False, float_format="%.10g")
    ae = yesno(trial.adverse_events, ("serious", "related"))
    if "ongoing" in ae.columns:
        ae["duration_days"] = ae["duration_days"].astype(object)
        ae.loc[ae["ongoing"].astype(bool), "duration_days"] = "persistent"
        ae = ae.drop(columns="ongoing")
    ae.to_csv(folder / "adverse_events.csv", index=False, columns=list(AE_COLUMNS))
    return folder
