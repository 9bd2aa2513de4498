"""Reading files a user names, with limits: one place that refuses what no reader should open.

In: a path.  Out: its bytes, or `ImportFormatError` naming the path and the limit.

- only regular files (a FIFO would block forever, `/dev/zero` never ends, a folder is not
  a file): checked with `stat` before anything is opened;
- at most `MAX_FILE_BYTES` (and never more is read, even if the size changes meanwhile);
- zip containers (.xlsx) are checked from their central directory before anything is
  inflated: total declared size at most `MAX_UNZIPPED_BYTES`, compression ratio at most
  `MAX_ZIP_RATIO` (OWASP: zip bombs), at most `MAX_ZIP_MEMBERS` members;
- text fields of a parsed record are at most `MAX_FIELD_CHARS`.

The limits can be raised for one run with the environment variables
`ALSREVIEW_MAX_FILE_MB` and `ALSREVIEW_MAX_FIELD_KB`.
"""

from __future__ import annotations

import os
import stat
from pathlib import Path

from alsreview.errors import ImportFormatError

# 128 MiB: PubMed's largest export (10,000 records) is ~50 MB; the readers hold the bytes,
# the text and a copy of a line at once, so this keeps a hostile file under 500 MB of memory
MAX_FILE_BYTES = int(float(os.environ.get("ALSREVIEW_MAX_FILE_MB", "128")) * 2**20)
MAX_FIELD_CHARS = int(float(os.environ.get("ALSREVIEW_MAX_FIELD_KB", "1024")) * 2**10)
MAX_UNZIPPED_BYTES = MAX_FILE_BYTES
MAX_ZIP_RATIO = 200
MAX_ZIP_MEMBERS = 10_000
MAX_CELLS = 50_000_000  # a declared worksheet range larger than this is refused


def _mb(n: int) -> str:
    return f"{n / 2**20:,.1f} MB"


def check_regular_file(path: str | Path, *, max_bytes: int | None = None) -> int:
    """Size of `path` if it is a regular file within the limit, else `ImportFormatError`."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    name = str(path)
    try:
        st = os.stat(path)
    except OSError as exc:
        raise ImportFormatError(name, f"cannot read file: {exc.strerror or exc}") from None
    if stat.S_ISDIR(st.st_mode):
        raise ImportFormatError(name, "is a folder, not a file")
    if not stat.S_ISREG(st.st_mode):
        kind = (
            "a FIFO (named pipe)"
            if stat.S_ISFIFO(st.st_mode)
            else "a device"
            if stat.S_ISCHR(st.st_mode) or stat.S_ISBLK(st.st_mode)
            else "a socket"
            if stat.S_ISSOCK(st.st_mode)
            else "not a regular file"
        )
        raise ImportFormatError(name, f"is {kind}, not a regular file: refused")
    if st.st_size > max_bytes:
        raise ImportFormatError(
            name,
            f"file is {_mb(st.st_size)}, more than the limit of {_mb(max_bytes)} "
            "(set ALSREVIEW_MAX_FILE_MB to raise it)",
        )
    return st.st_size


def read_limited(path: str | Path, *, max_bytes: int | None = None) -> bytes:
    """Bytes of a regular file of at most `max_bytes` (never reads more than that)."""
    max_bytes = MAX_FILE_BYTES if max_bytes is None else max_bytes
    check_regular_file(path, max_bytes=max_bytes)
    try:
        with open(path, "rb") as fh:
            data = fh.read(max_bytes + 1)
    except OSError as exc:
        raise ImportFormatError(str(path), f"cannot read file: {exc.strerror or exc}") from None
    if len(data) > max_bytes:
        raise ImportFormatError(str(path), f"file grew beyond the limit of {_mb(max_bytes)}")
    return data


def read_text_limited(path: str | Path, *, max_bytes: int | None = None) -> str:
    """UTF-8 text (a BOM is dropped) of a regular file within the limit; NUL bytes refused."""
    data = read_limited(path, max_bytes=max_bytes)
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        raise ImportFormatError(
            str(path), f"not UTF-8 text (byte {exc.start}): binary file?", line=line
        ) from None
    refuse_nul(text, str(path))
    return text


def refuse_nul(text: str, path: str | None) -> None:
    """NUL characters never belong in a text export (they cut values in C parsers)."""
    at = text.find("\x00")
    if at >= 0:
        raise ImportFormatError(
            path, "NUL byte in a text file (binary or corrupted)", line=text.count("\n", 0, at) + 1
        )


def check_zip(data: bytes, path: str | None, *, max_unzipped: int | None = None) -> None:
    """Refuse a zip (an .xlsx) whose central directory declares a bomb; nothing is inflated."""
    max_unzipped = MAX_UNZIPPED_BYTES if max_unzipped is None else max_unzipped
    import io
    import zipfile

    try:
        with zipfile.ZipFile(io.BytesIO(data)) as zf:
            infos = zf.infolist()
    except (zipfile.BadZipFile, ValueError, OSError, EOFError) as exc:
        raise ImportFormatError(path, f"not a readable zip/XLSX container: {exc}") from None
    if len(infos) > MAX_ZIP_MEMBERS:
        raise ImportFormatError(path, f"zip container has {len(infos):,} members: refused")
    total = 0
    for info in infos:
        total += info.file_size
        ratio = info.file_size / max(info.compress_size, 1)
        if info.file_size > 2**20 and ratio > MAX_ZIP_RATIO:
            raise ImportFormatError(
                path,
                f"{info.filename} inflates {ratio:,.0f}-fold ({_mb(info.file_size)} from "
                f"{_mb(info.compress_size)}): a zip bomb? refused",
            )
    if total > max_unzipped:
        raise ImportFormatError(
            path,
            f"zip container declares {_mb(total)} uncompressed, more than the limit of "
            f"{_mb(max_unzipped)}: refused",
        )


def check_field_sizes(values: dict[str, object], path: str | None, record: int | str) -> None:
    """Refuse any text field longer than `MAX_FIELD_CHARS` (an abstract is ~2,000)."""
    for name, value in values.items():
        if isinstance(value, str) and len(value) > MAX_FIELD_CHARS:
            raise ImportFormatError(
                path,
                f"field {name!r} has {len(value):,} characters, more than the limit of "
                f"{MAX_FIELD_CHARS:,} (set ALSREVIEW_MAX_FIELD_KB to raise it)",
                record=record,
            )
