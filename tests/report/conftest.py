"""Fixtures for report tests: a report built once, and a real headless Chromium."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest


@pytest.fixture(scope="session")
def bundled_report(tmp_path_factory) -> Path:
    """`alsreview report` on the bundled evidence base, written once per test session."""
    from alsreview.report.build import build_report

    out = tmp_path_factory.mktemp("report")
    return build_report(out)


@pytest.fixture(scope="session")
def browser():
    """Debian's chromium driven by chromedriver (selenium), headless and offline.

    A missing browser is a failure, in CI and elsewhere: a skipped test would read as a pass.
    """
    chromium = shutil.which("chromium") or shutil.which("chromium-browser")
    driver_path = shutil.which("chromedriver")
    if not (chromium and driver_path):
        message = "Debian packages chromium and chromium-driver are needed (.ci/run installs them)"
        pytest.fail(message)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in (
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--disable-dev-shm-usage",
        "--window-size=1400,1000",
    ):
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(executable_path=driver_path), options=options)
    try:
        yield driver
    finally:
        driver.quit()
