"""Issue 8, adversarial findings on trial input: refused with file, row and column instead
of read wrongly ("5\\0" as 5, "MISSING" as M, "1,000" as 1.0) or crashing."""

from __future__ import annotations

import io
import math
import shutil
import zipfile
from pathlib import Path

import pytest

from alsreview.errors import ImportFormatError, ValidationError
from alsreview.trial.analysis import analyze_trial
from alsreview.trial.export import export_study
from alsreview.trial.ipd import load_trial
from alsreview.trial.simulate import CohortSpec, power

EXAMPLE = Path(__file__).parents[2] / "src" / "alsreview" / "data" / "trial_example"
META = dict(first_author="Syková E", year=2017, title="MSC", cell_type="BM-MSC", routes=["IT"])


@pytest.fixture
def trial_dir(tmp_path):
    out = tmp_path / "trial"
    shutil.copytree(EXAMPLE, out)
    return out


def _edit(path: Path, old: str, new: str) -> None:
    text = path.read_text(encoding="utf-8")
    assert old in text
    path.write_text(text.replace(old, new, 1), encoding="utf-8")


def test_nul_byte_in_a_number_is_refused_with_its_line(trial_dir):
    _edit(trial_dir / "patients.csv", "2,58,F", "2,5\x00,F")
    with pytest.raises(ImportFormatError, match="NUL byte") as err:
        load_trial(trial_dir)
    assert err.value.line == 3


def test_sex_must_be_m_f_male_or_female(trial_dir):
    _edit(trial_dir / "patients.csv", "2,58,F", "2,58,MISSING")
    with pytest.raises(ValidationError, match="row 3, column sex: sex must be M or F"):
        load_trial(trial_dir)
    _edit(trial_dir / "patients.csv", "2,58,MISSING", "2,58,female")
    assert load_trial(trial_dir).patients.loc[1, "sex"] == "F"


@pytest.mark.parametrize("value", ["1,000", "12,500.5", "1.000,5", "1,0,0"])
def test_ambiguous_thousands_separator_is_refused(trial_dir, value):
    _edit(trial_dir / "patients.csv", "2,58,F,spinal,82,", f'2,58,F,spinal,"{value}",')
    with pytest.raises(ValidationError, match="row 3, column disease_duration_months: ambiguous"):
        load_trial(trial_dir)


def test_decimal_comma_is_still_read(trial_dir):
    _edit(trial_dir / "patients.csv", "2,58,F,spinal,82,", '2,58,F,spinal,"82,5",')
    assert load_trial(trial_dir).patients.loc[1, "disease_duration_months"] == 82.5


def test_visits_csv_that_is_a_folder_is_refused(trial_dir):
    (trial_dir / "visits.csv").unlink()
    (trial_dir / "visits.csv").mkdir()
    with pytest.raises(ImportFormatError, match=r"visits\.csv: is a folder"):
        load_trial(trial_dir)


def test_header_only_patients_file_is_refused(trial_dir):
    p = trial_dir / "patients.csv"
    p.write_text(p.read_text(encoding="utf-8").split("\n", 1)[0] + "\n", encoding="utf-8")
    with pytest.raises(ValidationError, match="no patients"):
        load_trial(trial_dir)


def test_patients_csv_cut_mid_row_is_refused(trial_dir):
    p = trial_dir / "patients.csv"
    text = p.read_text(encoding="utf-8").rstrip("\n")
    p.write_text(text[: text.rindex("\n") + 6], encoding="utf-8")
    with pytest.raises(ImportFormatError, match="middle of a row") as err:
        load_trial(trial_dir)
    assert err.value.line == text.count("\n") + 1


def test_workbook_declaring_a_huge_range_is_refused(tmp_path):
    import pandas as pd

    path = tmp_path / "trial.xlsx"
    with pd.ExcelWriter(path) as xl:
        for name in ("patients", "visits", "adverse_events"):
            pd.read_csv(EXAMPLE / f"{name}.csv", dtype=str).to_excel(
                xl, sheet_name=name, index=False
            )
    src = zipfile.ZipFile(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet2.xml":
                start = body.index(b"<dimension ref=")
                end = body.index(b"/>", start) + 2
                body = body[:start] + b'<dimension ref="A1:XFD1048576"/>' + body[end:]
            dst.writestr(info.filename, body)
    path.write_bytes(out.getvalue())
    with pytest.raises(ImportFormatError, match="declares 1,048,576 rows x 16,384 columns"):
        load_trial(path)


@pytest.mark.parametrize(
    "field, value",
    [("slope_change", math.inf), ("slope", math.nan), ("residual_sd", -1.0), ("n_patients", 1)],
)
def test_cohort_spec_refuses_impossible_settings(field, value):
    with pytest.raises(ValidationError, match=field):
        CohortSpec(**{field: value})


@pytest.mark.parametrize("alpha", [2.0, 0.0, -0.1, 1.0, math.nan])
def test_power_refuses_alpha_outside_0_1(alpha):
    with pytest.raises(ValidationError, match="alpha must be between 0 and 1"):
        power(CohortSpec(n_patients=4), n_sim=1, alpha=alpha)


@pytest.fixture(scope="module")
def example_analysis():
    return analyze_trial(load_trial(EXAMPLE))


@pytest.mark.parametrize(
    "changes, where",
    [
        ({"year": -5}, "year"),
        ({"study_id": "Bad Id!"}, "id"),
        ({"cell_type": "magic"}, "cell_type"),
        ({"routes": ["teleport"]}, "routes"),
    ],
)
def test_export_refuses_invalid_fields_naming_them(example_analysis, changes, where):
    args = {"study_id": "sykova-ipd", **META, **changes}
    with pytest.raises(ValidationError, match=rf"column [^:]*{where}"):
        export_study(example_analysis, **args)


def test_progressor_decline_must_be_finite():
    trial = load_trial(EXAMPLE)
    with pytest.raises(ValidationError, match="progressor_decline"):
        analyze_trial(trial, progressor_decline=math.nan)
