"""`alsreview meta` on the hostile and awkward files of issue 8 (part 4): encodings, blank
cells, impossible values and options that do not fit the file.  Expected numbers come from
fitting the same studies without the awkward rows (metafor drops rows with NA the same way:
``rma(yi, vi, mods = ~ x)`` with one NA in x fits the other studies and one slope)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from alsreview.cli import main
from alsreview.meta.rma import rma

BCG_LIKE = [(-0.89, 0.033), (-1.59, 0.194), (-1.35, 0.415), (-1.44, 0.020), (-0.22, 0.051)]


def _run(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> dict:
    main(["meta", str(path), *args, "--json"])
    return json.loads(capsys.readouterr().out)


def _fails(capsys: pytest.CaptureFixture[str], path: Path, *args: str) -> str:
    with pytest.raises(SystemExit) as exc:
        main(["meta", str(path), *args])
    assert exc.value.code == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err
    return " ".join(err.split())


@pytest.mark.parametrize("encoding", ["utf-16", "utf-8-sig", "latin-1", "cp1252"])
def test_encodings_are_read(encoding: str, tmp_path: Path, capsys) -> None:
    text = "study,yi,vi\n" + "".join(
        f"Müller {i}{'’' if encoding != 'latin-1' else ''},{y},{v}\n"
        for i, (y, v) in enumerate(BCG_LIKE)
    )
    path = tmp_path / "t.csv"
    path.write_bytes(text.encode(encoding))
    out = _run(capsys, path, "--method", "DL")
    want = rma([y for y, _ in BCG_LIKE], [v for _, v in BCG_LIKE], method="DL")
    assert out["estimate"] == pytest.approx(want.estimate, rel=1e-12)


def test_utf16_without_bom_is_refused_naming_the_line(tmp_path: Path, capsys) -> None:
    path = tmp_path / "t.csv"
    path.write_bytes("yi,vi\n0.1,0.01\n".encode("utf-16-le"))
    assert "line 1: NUL byte" in _fails(capsys, path)


def test_missing_yi_is_omitted_with_its_line(tmp_path: Path, capsys) -> None:
    rows = [*BCG_LIKE[:2], ("", 0.1), *BCG_LIKE[2:], (0.3, "NA")]
    path = tmp_path / "t.csv"
    path.write_text("yi,vi\n" + "".join(f"{y},{v}\n" for y, v in rows))
    out = _run(capsys, path, "--method", "DL")
    want = rma([y for y, _ in BCG_LIKE], [v for _, v in BCG_LIKE], method="DL")
    assert out["k"] == 5 and out["omitted_lines"] == [4, 8]
    assert out["estimate"] == pytest.approx(want.estimate, rel=1e-12)
    main(["meta", str(path), "--method", "DL"])
    text = capsys.readouterr().out
    assert "2 studies with missing values omitted from model fitting: study 3 (line 4)" in text


def test_numeric_moderator_with_a_blank_cell_keeps_one_slope(tmp_path: Path, capsys) -> None:
    xs = ["1", "2", "", "4", "5"]
    path = tmp_path / "t.csv"
    path.write_text(
        "yi,vi,dose\n" + "".join(f"{y},{v},{x}\n" for (y, v), x in zip(BCG_LIKE, xs, strict=True))
    )
    out = _run(capsys, path, "--method", "DL", "--mods", "dose")
    keep = [0, 1, 3, 4]
    want = rma(
        [BCG_LIKE[i][0] for i in keep],
        [BCG_LIKE[i][1] for i in keep],
        mods={"dose": [float(xs[i]) for i in keep]},
        method="DL",
    )
    assert out["metareg"]["coef_names"] == ["intrcpt", "dose"]
    assert out["k"] == 4 and out["omitted_lines"] == [4]
    assert out["metareg"]["coef"] == pytest.approx(list(want.b), rel=1e-12)


@pytest.mark.parametrize(
    ("content", "args", "message"),
    [
        ("yi,vi\n0.1,0.01\n0.2,-0.02\n0.3,0.01\n", [], "study 2 (line 3): sampling variance"),
        ("yi,vi\n0.1,0.01\n0.2,inf\n0.3,0.01\n", [], "line 3: column vi: 'inf' is not finite"),
        ("yi,vi\n1e300,0.01\n0.2,0.1\n0.3,0.01\n", [], "study 1 (line 2): yi = 1e+300"),
        ("yi,vi\n0.1,0.01\n0.2,1e-300\n0.3,0.1\n", [], "study 2 (line 3): vi = 1e-300"),
        ("yi,vi\n0.1,0.01\n0.2,0.02\n", ["--method", "MH"], "needs the columns ai, bi, ci, di"),
        ("yi,vi\n0.1,0.01\n", ["--test", "knha"], "Knapp-Hartung test needs more studies"),
        (
            "yi,vi,dose\n0.1,0.01,1\n0.2,0.02,x1\n",
            ["--mods", "dose"],
            "more studies than coefficients (k = 2, p = 2)",
        ),
    ],
)
def test_invalid_input_names_the_row(content, args, message, tmp_path: Path, capsys) -> None:
    path = tmp_path / "bad.csv"
    path.write_text(content)
    assert message in _fails(capsys, path, *args)


def test_identical_effects_run_every_diagnostic(tmp_path: Path, capsys) -> None:
    # metafor 3.8-1 on the same five studies: estimate 0.5, se 0.1464, tau^2 0; trimfill runs
    path = tmp_path / "same.csv"
    path.write_text("yi,vi\n0.5,0.1\n0.5,0.2\n0.5,0.05\n0.5,0.3\n0.5,0.12\n")
    out = _run(capsys, path)
    assert out["estimate"] == pytest.approx(0.5) and out["se"] == pytest.approx(0.1464, abs=5e-5)
    assert out["trimfill"]["estimate"] == pytest.approx(0.5)
    assert out["ranktest"]["tau"] is None  # NA in R
