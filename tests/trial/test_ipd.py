"""Loading and validating trial data folders and workbooks."""

from __future__ import annotations

import shutil
from pathlib import Path

import pandas as pd
import pytest

from alsreview.errors import ImportFormatError, ValidationError
from alsreview.trial.ipd import load_trial

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"

PATIENTS = """patient_id,age,sex,onset,disease_duration_months,in_efficacy_analysis,exclusion_reason
1,50,M,spinal,20,yes,
2,60,F,bulbar,30,yes,
"""
ITEMS = ",".join(
    f"alsfrs_r_{i}" for i in ["1", "2", "3", "4", "5a", "6", "7", "8", "9", "10", "11", "12"]
)


def _folder(tmp_path: Path, visits: str, patients: str = PATIENTS, aes: str | None = None) -> Path:
    (tmp_path / "patients.csv").write_text(patients)
    (tmp_path / "visits.csv").write_text(visits)
    if aes is not None:
        (tmp_path / "adverse_events.csv").write_text(aes)
    return tmp_path


def test_items_give_the_total(tmp_path):
    visits = (
        f"patient_id,visit,month,{ITEMS},fvc_percent\n"
        "1,I,-3,4,4,4,4,4,4,4,4,4,4,4,4,90\n"
        "1,V,0,3,4,4,4,3,4,4,4,4,4,4,4,88\n"
        "2,V,0,4,4,4,4,4,4,4,4,4,4,4,0,\n"
    )
    t = load_trial(_folder(tmp_path, visits))
    assert t.visits["alsfrs_r"].tolist() == [48, 46, 44]
    assert t.adverse_events.empty


def test_every_problem_reported_with_file_row_column(tmp_path):
    visits = (
        f"patient_id,visit,month,alsfrs_r,{ITEMS},fvc_percent,ws_uel\n"
        "1,I,-3,47,4,4,4,4,4,4,4,4,4,4,4,4,90,5\n"  # total 47 but items sum to 48
        "1,V,0,,5,4,4,4,4,4,4,4,4,4,4,4,250,6\n"  # item 1 = 5, FVC 250, weakness 6
        "1,V,3,,4,4,4,4,4,4,4,4,4,4,4,4,80,5\n"  # duplicate visit V
        "1,VIII,1,,4,4,4,4,4,4,4,4,4,4,4,4,80,5\n"  # month 1 after month 3
        "9,V,0,,4,4,4,4,4,4,4,4,4,4,4,4,80,5\n"  # unknown patient
        "2,V,0,50,,,,,,,,,,,,,,\n"  # total above 48
    )
    aes = (
        "patient_id,term,serious,related,severity,action,duration_days\n"
        "2,Headache,no,maybe,bad,none,x\n"
    )
    with pytest.raises(ValidationError) as info:
        load_trial(_folder(tmp_path, visits, aes=aes))
    found = {(Path(p.file).name, p.row, p.column) for p in info.value.problems}
    assert ("visits.csv", 2, "alsfrs_r") in found
    assert ("visits.csv", 3, "alsfrs_r_1") in found
    assert ("visits.csv", 3, "fvc_percent") in found
    assert ("visits.csv", 3, "ws_uel") in found
    assert ("visits.csv", 4, "visit") in found
    assert ("visits.csv", 5, "month") in found
    assert ("visits.csv", 6, "patient_id") in found
    assert ("visits.csv", 7, "alsfrs_r") in found
    assert ("adverse_events.csv", 2, "related") in found
    assert ("adverse_events.csv", 2, "severity") in found
    assert ("adverse_events.csv", 2, "duration_days") in found
    text = str(info.value)
    assert "total 47 does not equal the sum of its items (48)" in text
    assert "months out of order for patient 1" in text


def test_bad_patients(tmp_path):
    patients = (
        "patient_id,age,sex,onset,disease_duration_months,in_efficacy_analysis\n"
        "1,50,X,spinal,20,yes\n1,abc,M,limb,20,perhaps\n"
    )
    with pytest.raises(ValidationError) as info:
        load_trial(_folder(tmp_path, "patient_id,visit,month,alsfrs_r\n", patients=patients))
    cols = {(p.row, p.column) for p in info.value.problems}
    assert cols >= {
        (2, "sex"),
        (3, "patient_id"),
        (3, "age"),
        (3, "onset"),
        (3, "in_efficacy_analysis"),
    }


def test_missing_file_and_column(tmp_path):
    with pytest.raises(ImportFormatError, match=r"patients\.csv"):
        load_trial(tmp_path)
    with pytest.raises(ValidationError, match="column month"):
        load_trial(_folder(tmp_path, "patient_id,visit,alsfrs_r\n1,V,30\n"))


def test_excel_workbook_equals_folder(tmp_path):
    folder = load_trial(EXAMPLE)
    book = tmp_path / "trial.xlsx"
    with pd.ExcelWriter(book) as xl:
        for sheet in ("patients", "visits", "adverse_events"):
            pd.read_csv(EXAMPLE / f"{sheet}.csv", dtype=str, keep_default_na=False).to_excel(
                xl, sheet_name=sheet, index=False
            )
    wb = load_trial(book)
    pd.testing.assert_frame_equal(wb.patients, folder.patients)
    pd.testing.assert_frame_equal(wb.visits, folder.visits)
    pd.testing.assert_frame_equal(wb.adverse_events, folder.adverse_events)


def test_excel_problem_names_sheet(tmp_path):
    book = tmp_path / "bad.xlsx"
    with pd.ExcelWriter(book) as xl:
        pd.read_csv(EXAMPLE / "patients.csv", dtype=str, keep_default_na=False).to_excel(
            xl, sheet_name="patients", index=False
        )
        pd.DataFrame(
            {"patient_id": ["1"], "visit": ["V"], "month": ["0"], "fvc_percent": ["-5"]}
        ).to_excel(xl, sheet_name="visits", index=False)
    with pytest.raises(ValidationError) as info:
        load_trial(book)
    assert any(p.file.endswith("[visits]") and p.row == 2 for p in info.value.problems)


def test_example_copy_loads(tmp_path):
    shutil.copytree(EXAMPLE, tmp_path / "x")
    assert load_trial(tmp_path / "x").n_enrolled == 26
