"""Issue 8: a huge Retry-After is capped and the cap is said; every retry is reported."""

from __future__ import annotations

import logging

import httpx

from alsreview.sources.http import HttpClient


def test_retry_after_is_capped_and_every_retry_is_logged(caplog):
    answers = iter(
        [
            httpx.Response(503, headers={"Retry-After": "999999"}),
            httpx.Response(500),
            httpx.Response(200, content=b"ok"),
        ]
    )
    transport = httpx.MockTransport(lambda request: next(answers))
    sleeps: list[float] = []
    caplog.set_level(logging.WARNING, logger="alsreview.sources")
    with HttpClient(rate=1000, sleep=sleeps.append, backoff=0.01, transport=transport) as http:
        assert http.get("https://example.org/x") == b"ok"
    assert sleeps[0] == 120.0  # not 999,999 s (11.6 days)
    assert sleeps[1] < 1.0
    messages = [r.getMessage() for r in caplog.records]
    assert len(messages) == 2
    assert "HTTP 503 (attempt 1 of 7)" in messages[0]
    assert "asked for 999,999 s (Retry-After), capped at 120 s" in messages[0]
    assert "HTTP 500 (attempt 2 of 7); retrying in" in messages[1]
