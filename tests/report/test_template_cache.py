"""Compiled report templates cached on disk (`report.html`): the same page with or without
the cache, a damaged cache file only costs a compile, and never a cache others can write."""

from __future__ import annotations

import os

import pytest

from alsreview.report import html


@pytest.fixture
def fresh(monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))
    monkeypatch.delenv("ALSREVIEW_NO_TEMPLATE_CACHE", raising=False)
    html.environment.cache_clear()
    yield tmp_path / "cache" / "alsreview" / "jinja2"
    html.environment.cache_clear()


def test_cached_and_uncached_pages_are_identical(fresh, monkeypatch):
    monkeypatch.setenv("ALSREVIEW_NO_TEMPLATE_CACHE", "1")
    html.environment.cache_clear()
    uncached = html.render("report.html.j2", **_report_context())
    assert not fresh.exists()
    monkeypatch.delenv("ALSREVIEW_NO_TEMPLATE_CACHE")
    html.environment.cache_clear()
    first = html.render("report.html.j2", **_report_context())  # compiles, writes the cache
    files = sorted(fresh.iterdir())
    assert files, "no compiled template was cached"
    assert oct(fresh.stat().st_mode & 0o777) == oct(0o700)
    html.environment.cache_clear()
    second = html.render("report.html.j2", **_report_context())  # loads the cache
    assert uncached == first == second
    assert "&lt;script&gt;" in second and "<script>alert" not in second  # still escaped
    for f in files:  # damaged cache files: recompiled, same page
        f.write_bytes(f.read_bytes()[:20])
    html.environment.cache_clear()
    assert html.render("report.html.j2", **_report_context()) == uncached


def test_a_cache_folder_others_can_write_is_not_used(fresh):
    fresh.mkdir(parents=True)
    os.chmod(fresh, 0o777)
    assert html.template_cache_dir() is None
    os.chmod(fresh, 0o700)
    assert html.template_cache_dir() == fresh


def test_an_unwritable_cache_location_only_costs_the_compile(monkeypatch, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    monkeypatch.setenv("XDG_CACHE_HOME", str(blocker))
    html.environment.cache_clear()
    try:
        assert html.template_cache_dir() is None
        assert "&lt;script&gt;" in html.render("report.html.j2", **_report_context())
    finally:
        html.environment.cache_clear()


def _report_context() -> dict[str, object]:
    return {
        "title": "<script>alert(1)</script>",
        "version": "0",
        "generated": "now",
        "evidence_name": "x",
        "sections": [],
        "inline_svg": {},
        "has_png": {},
    }
