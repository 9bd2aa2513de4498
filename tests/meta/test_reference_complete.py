"""No reference number goes unchecked: every numeric leaf of every file in the metafor
reference folder must have been compared by some test of this session (the tests register
what they compare through ``reference.check``), or be listed in ALLOWED below with a reason.

Runs last (see conftest.py).  When the modules that do the checking were not collected in
this session (e.g. ``pytest tests/meta/test_reference_complete.py`` alone, or ``-k``), or
under pytest-xdist (each worker sees only its own checks), it skips and says why.
"""

from __future__ import annotations

import os

import pytest

from .reference import CHECKED, load, numeric_leaves, reference_files

#: top-level keys whose numbers are inputs, not results: they are what the engine is fed
#: (escalc's raw columns; the pre-post table), so comparing them would compare the data
#: with itself.  They are used by the tests that check the outputs computed from them.
ALLOWED_INPUT_KEYS = {"raw", "data"}

#: the modules whose tests register checks; all must run in the session for this test to mean
#: anything
CHECKING_MODULES = (
    "tests/meta/test_metafor_reference.py",
    "tests/meta/test_metafor_reference_bias.py",
)


def _allowed(path: tuple) -> bool:
    if path[0] in ALLOWED_INPUT_KEYS:
        return True
    # the pre-post file's correlation for each case is an input too (escalc's ri)
    return len(path) == 3 and path[0] == "results" and path[2] == "ri"


def test_every_reference_number_was_checked(request: pytest.FixtureRequest) -> None:
    if os.environ.get("PYTEST_XDIST_WORKER"):
        pytest.skip("under pytest-xdist each worker sees only the checks it ran itself")
    collected = {item.nodeid.split("::")[0] for item in request.session.items}
    missing_modules = [m for m in CHECKING_MODULES if m not in collected]
    if missing_modules:
        pytest.skip(f"run together with {', '.join(missing_modules)}")
    if request.session.testsfailed:
        pytest.skip("other tests failed; the completeness count would mislead")
    unchecked: list[str] = []
    total = 0
    for name in reference_files():
        for path, _ in numeric_leaves(load(name)):
            if _allowed(path):
                continue
            total += 1
            if (name, path) not in CHECKED:
                unchecked.append(f"{name}: {'/'.join(str(p) for p in path)}")
    assert total > 0
    assert not unchecked, f"{len(unchecked)} of {total} reference numbers unchecked:\n" + (
        "\n".join(unchecked[:60])
    )
