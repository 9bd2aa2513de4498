"""Peak memory of `alsreview import` on large valid files (issue 8: memory bounded for large
valid input, not only the 128 MiB cap).

Builds a PubMed XML export in efetch's layout (`parse_pubmed.write_file`: real titles,
abstracts, authors and years from /work/shared/data/screening, repeated with new PMIDs) of
about `--mb` megabytes, the same records as a RIS export (`alsreview.records.write_records`),
then runs, each as a new process and measured with `os.wait4` (peak RSS = ru_maxrss):
parsing only (`read_records`), and `alsreview import --dedup exact` into a fresh SQLite
project; plus a 10-record import of each format for the floor (interpreter and libraries).
Prints one Markdown table and the load average.

    python benchmarks/import_memory.py [--mb 100] [--formats pubmed-xml,ris]
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from parse_pubmed import write_file

ENV = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
ENV.pop("ALSREVIEW_DB_URL", None)


def child(args: list[str], cwd: Path) -> tuple[int, float, float, float]:
    """(exit code, peak RSS MiB, wall s, CPU s) of one child process.

    Linux counts a child's peak RSS from before its exec too (the parent's pages it shared),
    so the files are built in another process and this parent stays small."""
    start = time.perf_counter()
    proc = subprocess.Popen(args, cwd=cwd, stdout=subprocess.DEVNULL, env=ENV)
    _pid, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    return (
        os.waitstatus_to_exitcode(status),
        usage.ru_maxrss / 1024,
        wall,
        usage.ru_utime + usage.ru_stime,
    )


def build(folder: Path, mb: float) -> dict[str, tuple[Path, int]]:
    """{format: (file, records)} of about `mb` megabytes each."""
    from alsreview.records import read_records, write_records

    probe = folder / "probe.xml"
    write_file(probe, 2000)
    per_record = probe.stat().st_size / 2000
    n = max(10, int(mb * 2**20 / per_record))
    files: dict[str, tuple[Path, int]] = {}
    xml = folder / "pubmed.xml"
    write_file(xml, n)
    files["pubmed-xml"] = (xml, n)
    records = read_records(xml)
    ris = folder / "export.ris"
    write_records(records, ris)
    files["ris"] = (ris, len(records))
    for name, path in (("pubmed-xml small", folder / "small.xml"),):
        write_file(path, 10)
        files[name] = (path, 10)
    small_ris = folder / "small.ris"
    write_records(records[:10], small_ris)
    files["ris small"] = (small_ris, 10)
    return files


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--mb", type=float, default=100)
    ap.add_argument("--formats", default="pubmed-xml,ris")
    ap.add_argument("--build-into", default=None, help=argparse.SUPPRESS)
    args = ap.parse_args()
    if args.build_into:  # in a child: the parent stays small (see `child`)
        for name, (path, n) in build(Path(args.build_into), args.mb).items():
            print(f"{name}\t{path}\t{n}")
        return
    wanted = args.formats.split(",")
    py = sys.executable
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        listing = subprocess.run(
            [py, __file__, "--mb", str(args.mb), "--build-into", tmp],
            capture_output=True,
            text=True,
            check=True,
            env=ENV,
        ).stdout
        files = {
            name: (Path(path), int(n))
            for name, path, n in (line.split("\t") for line in listing.splitlines())
        }
        for name, (path, n) in files.items():
            if name.split()[0] not in wanted:
                continue
            size = path.stat().st_size / 2**20
            parse = [
                py,
                "-c",
                "import sys; from alsreview.records import read_records; "
                "print(len(read_records(sys.argv[1])))",
                str(path),
            ]
            proj = folder / f"proj-{name.replace(' ', '-')}"
            code, _, _, _ = child([py, "-m", "alsreview", "init", str(proj)], folder)
            assert code == 0
            imp = [
                py,
                "-m",
                "alsreview",
                "import",
                str(path),
                "--project",
                str(proj),
                "--dedup",
                "exact",
            ]
            for what, cmd in (("parse only", parse), ("import --dedup exact", imp)):
                code, rss, wall, cpu = child(cmd, folder)
                rows.append((name, size, n, what, code, rss, wall, cpu))
    print(
        f"# {platform.node()} {os.cpu_count()} cores, Python {platform.python_version()}, "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    print("| file | MB | records | run | exit | peak RSS MiB | RSS / file size | wall s | CPU s |")
    print("|---|---:|---:|---|---:|---:|---:|---:|---:|")
    for name, size, n, what, code, rss, wall, cpu in rows:
        print(
            f"| {name} | {size:.1f} | {n:,} | {what} | {code} | {rss:.0f} | "
            f"{rss / size:.1f} | {wall:.1f} | {cpu:.1f} |"
        )


if __name__ == "__main__":
    main()
