"""Decoding exported text files: bytes in, str out.

Reference managers on Windows write UTF-8 with a byte-order mark or UTF-16; old databases
write Windows-1252.  `decode_export` tries, in order: a BOM (UTF-8, UTF-16, UTF-32), strict
UTF-8, then Windows-1252 (and Latin-1 for the bytes cp1252 leaves undefined).  NUL bytes left
after decoding mean a binary file and raise `ImportFormatError`.
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator

from alsreview.errors import ImportFormatError

_BOMS = (
    (codecs.BOM_UTF32_LE, "utf-32"),
    (codecs.BOM_UTF32_BE, "utf-32"),
    (codecs.BOM_UTF8, "utf-8-sig"),
    (codecs.BOM_UTF16_LE, "utf-16"),
    (codecs.BOM_UTF16_BE, "utf-16"),
)


def decode_export(data: bytes | str, path: str | None = None) -> str:
    """Text of an exported file, with line endings normalised to '\\n'."""
    if isinstance(data, str):
        text = data.lstrip("\ufeff")
    else:
        decoded: str | None = None
        for bom, encoding in _BOMS:
            if data.startswith(bom):
                try:
                    decoded = data.decode(encoding)
                except UnicodeDecodeError as exc:
                    raise ImportFormatError(path, f"not valid {encoding}: {exc.reason}") from None
                break
        if decoded is None:
            try:
                decoded = data.decode("utf-8")
            except UnicodeDecodeError:
                decoded = (
                    data.decode("cp1252", errors="ignore")
                    if _cp1252_ok(data)
                    else data.decode("latin-1")
                )
        text = decoded.lstrip("\ufeff")
    if "\x00" in text:
        raise ImportFormatError(path, "binary content (NUL bytes): not a text export")
    if "\r" not in text:  # no copy of a large file when there is nothing to change
        return text
    return text.replace("\r\n", "\n").replace("\r", "\n")


def _cp1252_ok(data: bytes) -> bool:
    try:
        data.decode("cp1252")
    except UnicodeDecodeError:
        return False
    return True


def iter_lines(text: str) -> Iterator[tuple[int, str]]:
    """(line number from 1, line without its newline) for each line of `text`, as
    `enumerate(text.split("\\n"), start=1)` gives them but without a list of every line
    (a large export is read once, not copied line by line into memory first)."""
    start, lineno = 0, 1
    while True:
        end = text.find("\n", start)
        if end < 0:
            yield lineno, text[start:]
            return
        yield lineno, text[start:end]
        start, lineno = end + 1, lineno + 1
