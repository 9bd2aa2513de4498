"""Run test_reference_complete.py after every other test of the session: it asserts that the
others compared every number of the metafor reference files."""

from __future__ import annotations

import pytest


def pytest_collection_modifyitems(
    session: pytest.Session, config: pytest.Config, items: list
) -> None:
    last = [item for item in items if item.nodeid.startswith("tests/meta/test_reference_complete")]
    if last:
        rest = [item for item in items if item not in last]
        items[:] = rest + last
