"""Peak memory of `alsreview import` on hostile files (issue 8: each under 500 MB).

Run: python benchmarks/hostile_import.py [--valid-records 20000]
Builds each hostile file in a temporary folder, runs `alsreview import FILE` in a fresh
process (the console script next to this interpreter) into a fresh project, and reads the
child's peak resident set size from `os.wait4` (ru_maxrss).  Each child runs under an
address-space limit of 4 GiB and a 300 s timeout, so a regression fails here instead of
taking the machine down.  Prints one Markdown table: file, size on disk, exit code, the
first line of the message, peak RSS, wall time.  A large valid RIS export is measured
beside the hostile ones (memory of a real import, for scale).
"""

from __future__ import annotations

import argparse
import io
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

MAX = 128 * 2**20  # alsreview.inputs.MAX_FILE_BYTES
SCRIPT = str(Path(sys.executable).parent / "alsreview")
LIMIT_AS = 4 * 2**30


def _xlsx(edit_sheet) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.append(["title", "abstract"])
    ws.append(["A real title", "An abstract"])
    buf = io.BytesIO()
    wb.save(buf)
    src = zipfile.ZipFile(io.BytesIO(buf.getvalue()))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=9) as dst:
        for info in src.infolist():
            body = src.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                edit_sheet(dst, body)
            else:
                dst.writestr(info.filename, body)
    return out.getvalue()


def huge_range(dst: zipfile.ZipFile, xml: bytes) -> None:
    xml = xml.replace(b'<dimension ref="A1:B2"/>', b'<dimension ref="A1:XFD1048576"/>')
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    dst.writestr("xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", far + b"</sheetData>"))


def far_cell_unsized(dst: zipfile.ZipFile, xml: bytes) -> None:
    xml = xml.replace(b'<dimension ref="A1:B2"/>', b"")
    far = b'<row r="1048576"><c r="XFD1048576" t="inlineStr"><is><t>x</t></is></c></row>'
    dst.writestr("xl/worksheets/sheet1.xml", xml.replace(b"</sheetData>", far + b"</sheetData>"))


def zip_bomb(dst: zipfile.ZipFile, xml: bytes) -> None:
    """The sheet XML padded with 1 GiB of spaces inside a comment (deflates to ~1 MB)."""
    head, tail = xml.split(b"</worksheet>")
    with dst.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as fh:
        fh.write(head + b"<!--")
        block = b" " * 2**24
        for _ in range(64):
            fh.write(block)
        fh.write(b"--></worksheet>" + tail)


def build(folder: Path, valid_records: int) -> list[tuple[str, Path]]:
    files: list[tuple[str, Path]] = []

    def add(name: str, data: bytes, label: str) -> None:
        p = folder / name
        p.write_bytes(data)
        files.append((label, p))

    add("huge_range.xlsx", _xlsx(huge_range), "xlsx declaring A1:XFD1048576, one far cell")
    add("far_cell.xlsx", _xlsx(far_cell_unsized), "xlsx without dimension, one far cell")
    add("zip_bomb.xlsx", _xlsx(zip_bomb), "xlsx zip bomb (1 GiB sheet XML)")
    laughs = b'<?xml version="1.0"?>\n<!DOCTYPE lolz [<!ENTITY lol "lol">' + b"".join(
        b'<!ENTITY lol%d "%s">' % (i, (b"&lol%d;" % (i - 1) if i > 1 else b"&lol;") * 10)
        for i in range(1, 10)
    )
    add(
        "laughs.xml",
        laughs + b"]>\n<PubmedArticleSet>&lol9;</PubmedArticleSet>\n",
        "billion laughs XML",
    )
    add("deep.json", b"[" * 1_000_000 + b"]" * 1_000_000, "JSON nested 1,000,000 deep")
    field = b"title,abstract\nA title," + b"x" * (100 * 2**20) + b"\n"
    add("big_field.csv", field, "CSV with one 100 MB field")
    huge_line = b"TY  - JOUR\nTI  - " + b"x" * (MAX - 2**20) + b"\nER  - \n"
    add("huge_line.ris", huge_line, "RIS at the size limit, one huge line")
    add(
        "huge_line.csv",
        b"title\n" + b"x" * (MAX - 2**20) + b"\n",
        "CSV at the size limit, one line",
    )
    sparse = folder / "sparse.ris"
    with open(sparse, "wb") as fh:
        fh.truncate(2 * 2**30)  # 2 GiB declared, no blocks written
    files.append(("2 GiB file (sparse)", sparse))
    fifo = folder / "pipe.ris"
    os.mkfifo(fifo)
    files.append(("FIFO", fifo))
    files.append(("/dev/zero", Path("/dev/zero")))
    ris = "".join(
        f"TY  - JOUR\nTI  - Stem cell trial number {i} in amyotrophic lateral sclerosis\n"
        f"AU  - Author, A{i % 97}\nPY  - {1990 + i % 35}\nDO  - 10.9999/valid.{i}\n"
        f"AB  - {'Mesenchymal stem cells were given intrathecally. ' * 20}\nER  - \n\n"
        for i in range(valid_records)
    )
    add("valid.ris", ris.encode(), f"valid RIS, {valid_records:,} records (for scale)")
    return files


def run(args: list[str], cwd: Path) -> tuple[int, float, float, str]:
    """(exit code, peak RSS MB, seconds, first stderr line) of one child process."""

    def limit() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (LIMIT_AS, LIMIT_AS))

    start = time.perf_counter()
    proc = subprocess.Popen(
        args, cwd=cwd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, preexec_fn=limit
    )
    deadline = start + 300
    while True:
        pid, status, usage = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        if time.perf_counter() > deadline:
            proc.kill()
            pid, status, usage = os.wait4(proc.pid, 0)
            break
        time.sleep(0.05)
    seconds = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace") if proc.stderr else ""
    code = os.waitstatus_to_exitcode(status)
    first = next((line for line in err.splitlines() if line.strip()), "")
    return code, usage.ru_maxrss / 1024, seconds, first


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--valid-records", type=int, default=20_000)
    a = ap.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        files = build(folder, a.valid_records)
        subprocess.run([SCRIPT, "init", "proj"], cwd=folder, check=True, capture_output=True)
        base = run([sys.executable, "-c", "import alsreview.cli"], folder)[1]
        print(f"# {platform.node()}, {os.cpu_count()} cores, Python {platform.python_version()}")
        print(
            f"# load average {os.getloadavg()[0]:.1f}; interpreter + alsreview.cli: {base:.0f} MB"
        )
        print("| file | size | exit | message | peak RSS MB | seconds |")
        print("|---|---:|---:|---|---:|---:|")
        for label, path in files:
            size = path.stat().st_size if path.is_file() else 0
            code, rss, secs, msg = run([SCRIPT, "import", str(path), "--project", "proj"], folder)
            msg = msg.replace("|", "\\|").replace(str(folder) + "/", "")[:110]
            print(
                f"| {label} | {size / 2**20:,.1f} MB | {code} | {msg} | {rss:,.0f} | {secs:.1f} |"
            )


if __name__ == "__main__":
    main()
