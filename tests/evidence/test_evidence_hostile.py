"""Issue 8: evidence files that are binary, nested 100k deep, or carry a `javascript:` URL
are refused with a message, not a traceback or a live link."""

from __future__ import annotations

import json
from importlib import resources

import pytest

from alsreview.errors import ValidationError
from alsreview.evidence import BUNDLED, load_evidence, parse_evidence


def test_binary_file_is_refused(tmp_path):
    path = tmp_path / "evidence.json"
    path.write_bytes(b"\x89PNG\r\n\x1a\n\xff\xfe\x00")
    with pytest.raises(ValidationError, match="not UTF-8 text"):
        load_evidence(path)


def test_deeply_nested_json_is_refused(tmp_path):
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    with pytest.raises(ValidationError, match="nested too deeply"):
        load_evidence(path)


def test_fifo_is_refused(tmp_path):
    import os

    fifo = tmp_path / "evidence.json"
    os.mkfifo(fifo)
    with pytest.raises(ValidationError, match="FIFO"):
        load_evidence(fifo)


@pytest.mark.parametrize(
    "url", ["javascript:alert(1)", " JavaScript:x", "data:text/html,x", "file:///etc/passwd"]
)
def test_source_url_must_be_http_https_or_doi(url):
    data = json.loads(resources.files("alsreview.data").joinpath(BUNDLED).read_text("utf-8"))
    key = next(iter(data["sources"]))
    data["sources"][key]["url"] = url
    with pytest.raises(ValidationError, match=rf"sources\.{key}\.url: .*must start with http"):
        parse_evidence(json.dumps(data))
    data["sources"][key]["url"] = "https://example.org/paper"
    assert parse_evidence(json.dumps(data)).sources[key].url == "https://example.org/paper"


def test_report_links_only_web_and_doi_addresses():
    """Defence in depth in the sources template: a URL that is not http(s)/doi stays text."""
    from alsreview.evidence.model import SourcePaper
    from alsreview.report.html import render

    def paper(url):  # model_construct: the template's view of a paper that skipped validation
        return SourcePaper.model_construct(
            key="k", kind="review", authors="A", year=2020, title="T", journal="J", url=url
        )

    html = render("sources.html.j2", papers=[paper("javascript:alert(1)")], studies=[])
    assert "href" not in html and "javascript:alert(1)" in html
    html = render("sources.html.j2", papers=[paper("doi:10.1000/x")], studies=[])
    assert 'href="https://doi.org/10.1000/x"' in html
    html = render("sources.html.j2", papers=[paper("https://example.org/a")], studies=[])
    assert 'href="https://example.org/a"' in html
