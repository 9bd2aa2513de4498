"""`alsreview rob ...`, `rob-plot` and `meta --rob` through the command line."""

from __future__ import annotations

import io
import json
from contextlib import redirect_stderr, redirect_stdout
from types import SimpleNamespace

import pytest

from alsreview.cli import main
from alsreview.store import Project

CSV = """Study,D1,D2,D3,D4,D5,Overall,Weight
berry2019,Low,Low,Low,Some concerns,Low,Some concerns,48
cudkowicz2022,Low,Low,High,Low,Low,High,196
staff2016,Low,Low,Low,Low,Low,High,15
"""


def cli(*args):
    """Run the command in-process (the console script's `main`), capturing its output."""
    out, err, code = io.StringIO(), io.StringIO(), 0
    with redirect_stdout(out), redirect_stderr(err):
        try:
            main(list(args))
        except SystemExit as exc:
            code = exc.code or 0
    return SimpleNamespace(returncode=code, stdout=out.getvalue(), stderr=err.getvalue())


@pytest.fixture
def proj(tmp_path):
    Project.create(tmp_path / "p").close()
    return tmp_path / "p"


def test_import_export_plot_agreement_consensus(tmp_path, proj):
    (tmp_path / "a.csv").write_text(CSV)
    out = cli("rob", "import", str(tmp_path / "a.csv"), "--tool", "rob2", "--reviewer", "ana",
              "--project", str(proj))  # fmt: skip
    assert out.returncode == 0, out.stderr
    (tmp_path / "b.csv").write_text(
        CSV.replace("Low,Low,High,Low,Low,High", "Low,Low,Low,Low,Low,Low")
    )
    assert cli("rob", "import", str(tmp_path / "b.csv"), "--tool", "rob2", "--reviewer", "ben",
               "--project", str(proj)).returncode == 0  # fmt: skip
    agr = json.loads(cli("rob", "agreement", "ana", "ben", "--tool", "rob2", "--json",
                         "--project", str(proj)).stdout)  # fmt: skip
    assert agr["domains"]["D3"]["differ"] == ["cudkowicz2022"]
    assert agr["domains"]["D1"]["agreement"] == 1.0

    # staff2016's Overall (High) is not the rule's (Low): kept as a justified override
    with Project.open(proj) as p:
        from alsreview.store.appraisals import current_appraisals

        staff = next(r for r in current_appraisals(p, study="staff2016") if r.reviewer == "ana")
    assert staff.overall == "high" and staff.overall_algorithm == "low"
    assert "a.csv, line 4" in staff.overall_justification

    export = tmp_path / "out.csv"
    assert (
        cli("rob", "export", str(export), "--tool", "rob2", "--project", str(proj)).returncode == 0
    )
    assert export.read_text().count("\n") == 3  # header + the two studies both agree on
    out = cli("rob", "consensus", "cudkowicz2022", "--tool", "rob2", "--adopt", "ben",
              "--project", str(proj))  # fmt: skip
    assert "overall low" in out.stdout
    cli("rob", "export", str(export), "--tool", "rob2", "--project", str(proj))
    assert "cudkowicz2022,Low,Low,Low,Low,Low,Low" in export.read_text()

    out = cli("rob-plot", "--out", str(tmp_path / "fig"), "--project", str(proj),
              "--palette", "colourblind")  # fmt: skip
    assert out.returncode == 0, out.stderr
    assert sorted(p.name for p in (tmp_path / "fig").iterdir()) == [
        "rob_rob2_summary.png", "rob_rob2_summary.svg",
        "rob_rob2_traffic_light.png", "rob_rob2_traffic_light.svg"]  # fmt: skip


def test_bad_import_stores_nothing(tmp_path, proj):
    (tmp_path / "a.csv").write_text(CSV.replace("Some concerns,48", "Maybe,48"))
    out = cli("rob", "import", str(tmp_path / "a.csv"), "--tool", "rob2", "--reviewer", "ana",
              "--project", str(proj))  # fmt: skip
    assert out.returncode == 1 and "column Overall: 'Maybe'" in " ".join(out.stderr.split())
    with Project.open(proj) as p:
        from alsreview.store.appraisals import current_appraisals

        assert current_appraisals(p) == []


def test_rob_plot_refuses_to_invent_domains(tmp_path):
    out = cli("rob-plot", "--out", str(tmp_path))
    assert out.returncode == 1 and "hold no domain judgements" in " ".join(out.stderr.split())


def test_meta_restricted_by_risk_of_bias(tmp_path):
    full = tmp_path / "m.csv"
    full.write_text("study,yi,vi\nkim2014,0.5,0.1\nstaff2016,-0.4,0.05\noh2015,0.3,0.2\n"
                    "petrou2016,0.1,0.08\n")  # fmt: skip
    kept = tmp_path / "k.csv"
    kept.write_text("study,yi,vi\nkim2014,0.5,0.1\noh2015,0.3,0.2\npetrou2016,0.1,0.08\n")
    restricted = cli("meta", str(full), "--rob", "low-moderate", "--json")
    assert restricted.returncode == 0, restricted.stderr
    assert "staff2016: no risk-of-bias appraisal" in restricted.stderr
    direct = json.loads(cli("meta", str(kept), "--json").stdout)
    got = json.loads(restricted.stdout)
    assert got["k"] == 3 and got["estimate"] == direct["estimate"]
    none = cli("meta", str(full), "--rob", "low", "--json")
    assert none.returncode != 0  # Blume et al. state no study as low: nothing to pool
