"""Issue 8, adversarial findings through the console script: exit 1 with one message (no
traceback) where a traceback or wrong output with exit 0 used to be; --force to overwrite."""

from __future__ import annotations

import os

import pytest


@pytest.fixture
def project(cli):
    res = cli("init", "proj")
    assert res.returncode == 0, res.stderr
    return cli.cwd / "proj"


def test_trial_example_and_simulate_do_not_overwrite_without_force(cli):
    assert cli("trial", "example", "t").returncode == 0
    (cli.cwd / "t" / "patients.csv").write_text("mine\n")
    cli.user_error(cli("trial", "example", "t"), "patients.csv", "--force")
    assert (cli.cwd / "t" / "patients.csv").read_text() == "mine\n"
    cli.user_error(cli("trial", "simulate", "--out", "t", "--n", "3"), "--force")
    assert (cli.cwd / "t" / "patients.csv").read_text() == "mine\n"
    assert cli("trial", "simulate", "--out", "t", "--n", "3", "--force").returncode == 0
    assert (cli.cwd / "t" / "patients.csv").read_text() != "mine\n"


@pytest.mark.parametrize(
    "args, needle",
    [
        (["trial", "simulate", "--effect", "inf", "--out", "s"], "slope_change must be a finite"),
        (["trial", "power", "--alpha", "2", "--n-sim", "1"], "alpha must be between 0 and 1"),
    ],
)
def test_trial_settings_out_of_range(cli, args, needle):
    res = cli(*args)
    cli.user_error(res, needle)
    assert res.stdout == ""
    assert not (cli.cwd / "s").exists()


def test_progressor_decline_nan_json_prints_no_half_json(cli):
    assert cli("trial", "example", "t").returncode == 0
    res = cli("trial", "analyze", "t", "--progressor-decline", "nan", "--json")
    cli.user_error(res, "progressor_decline")
    assert res.stdout == ""


def test_prisma_round_that_does_not_exist(cli, project):
    cli.user_error(cli("prisma", "--project", "proj", "--round", "99"), "no update round 99")


def test_init_on_an_existing_file_and_a_bad_database_url(cli):
    (cli.cwd / "afile").write_text("x")
    cli.user_error(cli("init", "afile"), "afile")
    cli.user_error(cli("init", "p2", "--db", "foo://"), "not a usable database URL")


def test_bad_database_url_in_environment(cli, project):
    res = cli("prisma", "--project", "proj", ALSREVIEW_DB_URL="nonsense")
    cli.user_error(res, "not a usable database URL")


def test_export_format_folder_missing_folder_and_overwrite(cli, project):
    p = ["--project", "proj"]
    cli.user_error(cli("export", "out.txt", *p), "unknown export format")
    cli.user_error(cli("export", ".", *p), "is a folder")
    cli.user_error(cli("export", "missing/out.ris", *p), "does not exist")
    assert cli("export", "out.ris", *p).returncode == 0
    cli.user_error(cli("export", "out.ris", *p), "--force")
    assert cli("export", "out.ris", "--force", *p).returncode == 0


def test_output_into_a_path_that_cannot_be_created(cli, project):
    (cli.cwd / "file").write_text("x")
    res = cli("prisma", "--project", "proj", "--svg", "file/sub/a.svg")
    cli.user_error(res, "file/sub/a.svg")


def test_import_of_a_fifo_and_dev_zero_is_refused_quickly(cli, project):
    os.mkfifo(cli.cwd / "pipe.ris")
    res = cli("import", "pipe.ris", "/dev/zero", "--project", "proj", timeout=60)
    err = cli.user_error(res, "FIFO", "device", "2 of 2 files not imported")
    assert "Traceback" not in err


def test_evidence_check_of_binary_and_deep_files(cli):
    (cli.cwd / "bin.json").write_bytes(b"\xff\xfe\x00\x89binary")
    (cli.cwd / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    cli.user_error(cli("evidence", "check", "bin.json"), "bin.json")
    cli.user_error(cli("evidence", "check", "deep.json"), "nested too deeply")
