"""Shared helper for tests against metafor's reference outputs.

The reference files (``../shared/reference/metafor/*.json``, metafor 3.8-1 on metadat data
sets) are read from ``$ALSREVIEW_METAFOR_REFERENCE`` if set, else from the ``shared`` folder
next to the checkout.  ``check(name, path, ours)`` walks every numeric leaf of the reference
object at ``path`` and compares it with the same path in ``ours`` (dicts by key, lists by
index), then records each leaf in :data:`CHECKED`, so that ``test_reference_complete.py``
can assert that no reference number went unchecked in the run.

Usage from a test module in this folder::

    from .reference import check, load, reference_files, raw_columns

    check("bcg.json", ("fits", "REML"), rma(yi, vi).to_dict(), rtol=1e-5)
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

import pytest

Path_ = tuple[str | int, ...]

#: every (file name, leaf path) compared in this pytest session
CHECKED: set[tuple[str, Path_]] = set()

#: metadat column names of 2x2 tables mapped to metafor's escalc arguments (dat.bcg's
#: tpos/tneg/cpos/cneg, the xt/nt/xc/nc of dat.damico2009 and dat.pagliaro1992, and the
#: x1i/x2i event counts some data sets use next to n1i/n2i)
RAW_ALIASES = {
    "tpos": "ai",
    "tneg": "bi",
    "cpos": "ci",
    "cneg": "di",
    "xt": "ai",
    "nt": "n1i",
    "xc": "ci",
    "nc": "n2i",
    "x1i": "ai",
    "x2i": "ci",
}


def reference_dir() -> Path:
    env = os.environ.get("ALSREVIEW_METAFOR_REFERENCE")
    if env:
        return Path(env)
    return Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "metafor"


def reference_files() -> list[str]:
    """File names of every reference JSON; fails in CI and skips locally if absent."""
    folder = reference_dir()
    files = sorted(p.name for p in folder.glob("*.json")) if folder.is_dir() else []
    if not files:
        message = f"no metafor reference files in {folder}"
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message)
        pytest.skip(message)
    return files


@cache
def _load(name: str) -> str:
    path = Path(name)
    if not path.is_absolute():
        path = reference_dir() / name
    return path.read_text(encoding="utf-8")


def load(name: str) -> dict[str, Any]:
    """A fresh copy of one reference file's JSON (a file name in the reference folder, or
    an absolute path to a file of the same shape elsewhere)."""
    return json.loads(_load(name))


def is_number(x: Any) -> bool:
    return isinstance(x, int | float) and not isinstance(x, bool)


def numeric_leaves(obj: Any, prefix: Path_ = ()) -> Iterator[tuple[Path_, float]]:
    """Every (path, number) below ``obj``; ``None`` and strings are not numeric leaves."""
    if isinstance(obj, dict):
        for key, value in obj.items():
            yield from numeric_leaves(value, (*prefix, key))
    elif isinstance(obj, list):
        for i, value in enumerate(obj):
            yield from numeric_leaves(value, (*prefix, i))
    elif is_number(obj):
        yield prefix, float(obj)


def get_path(obj: Any, path: Path_) -> Any:
    for part in path:
        obj = obj[part]
    return obj


def raw_columns(ref: dict[str, Any]) -> dict[str, list[Any]]:
    """The ``raw`` rows of a reference file as columns under metafor's argument names."""
    cols: dict[str, list[Any]] = {}
    for row in ref["raw"]:
        for key, value in row.items():
            cols.setdefault(RAW_ALIASES.get(key, key), []).append(value)
    return cols


def check(
    name: str,
    path: Path_,
    ours: Any,
    *,
    rtol: float = 1e-6,
    atol: float = 0.0,
    skip: tuple[str, ...] = (),
) -> int:
    """Compare every numeric leaf of reference ``name`` at ``path`` with ``ours``.

    Relative tolerance ``rtol`` (plus ``atol`` for values that are zero up to rounding);
    keys listed in ``skip`` are neither compared nor registered.  Strings must be equal and
    ``None`` must match ``None`` (or NaN).  Returns the number of numbers compared; raises
    AssertionError listing every mismatch.
    """
    ref_obj = get_path(load(name), path)
    problems: list[str] = []
    n = 0

    def walk(ref: Any, got: Any, sub: Path_) -> None:
        nonlocal n
        where = "/".join(str(s) for s in (*path, *sub))
        if isinstance(ref, dict):
            if not isinstance(got, dict):
                problems.append(f"{where}: expected an object, got {type(got).__name__}")
                return
            for key, value in ref.items():
                if key in skip:
                    continue
                if key not in got:
                    if value is not None:
                        problems.append(f"{where}/{key}: missing in our result")
                    continue
                walk(value, got[key], (*sub, key))
            return
        if isinstance(ref, list):
            got_list = list(got) if not isinstance(got, str | bytes) else None
            if got_list is None or len(got_list) != len(ref):
                problems.append(f"{where}: expected {len(ref)} values, got {got!r:.80}")
                return
            for i, value in enumerate(ref):
                walk(value, got_list[i], (*sub, i))
            return
        if ref is None:
            if got is not None and not (is_number(got) and math.isnan(got)):
                problems.append(f"{where}: expected None, got {got!r}")
            return
        if isinstance(ref, str | bool):
            if got != ref:
                problems.append(f"{where}: expected {ref!r}, got {got!r}")
            return
        n += 1
        CHECKED.add((name, (*path, *sub)))
        try:
            value = float(got)
        except (TypeError, ValueError):
            problems.append(f"{where}: expected {ref!r}, got {got!r}")
            return
        if not math.isclose(value, float(ref), rel_tol=rtol, abs_tol=atol):
            rel = abs(value - ref) / abs(ref) if ref else math.inf
            problems.append(f"{where}: metafor {ref!r}, ours {value!r} (rel. diff {rel:.2e})")

    walk(ref_obj, ours, ())
    assert not problems, f"{name}: {len(problems)} mismatches\n" + "\n".join(problems[:40])
    return n
