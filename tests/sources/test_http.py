"""The shared HTTP layer: rate limit arithmetic, Retry-After, retries, cache."""

from __future__ import annotations

import email.utils

import pytest

from alsreview.errors import SourceError
from alsreview.sources.http import HttpClient, RateLimiter, retry_after_seconds


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


@pytest.mark.parametrize("rate", [3.0, 10.0])
def test_rate_limiter_spaces_requests_evenly(rate):
    clock = FakeClock()
    limiter = RateLimiter(rate, clock=clock)
    waits = []
    for _ in range(10):  # ten requests issued at the same instant
        waits.append(limiter.wait_time())
    assert waits[0] == 0.0
    # the n-th request waits n/rate seconds: `rate` per second, never more
    assert waits == pytest.approx([n / rate for n in range(10)])
    clock.now += 100  # after a quiet spell there is no debt
    assert limiter.wait_time() == 0.0


def test_pubmed_rate_is_3_per_second_or_10_with_api_key(monkeypatch):
    from alsreview.sources.pubmed import PubMed

    monkeypatch.delenv("NCBI_API_KEY", raising=False)
    assert PubMed().http.limiter.interval == pytest.approx(1 / 3)
    assert PubMed(api_key="abc").http.limiter.interval == pytest.approx(1 / 10)


def test_retry_after_seconds_and_http_date():
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(None) is None
    assert retry_after_seconds("soon") is None
    date = email.utils.formatdate(1_000_030, usegmt=True)
    assert retry_after_seconds(date, now=1_000_000) == pytest.approx(30.0)


def test_429_honours_retry_after_and_5xx_is_retried(server, services):
    services.faults["/esearch.fcgi"] = ["429", "500", "503date"]
    sleeps: list[float] = []
    with HttpClient(rate=1000, sleep=sleeps.append, backoff=0.01) as http:
        body = http.get(server.url + "/eutils/esearch.fcgi", {"term": "als"})
    assert b"<Count>60</Count>" in body
    assert http.requests_made == 4
    assert 7.0 in sleeps  # Retry-After: 7
    assert any(28 <= s <= 31 for s in sleeps)  # Retry-After as an HTTP date 30 s ahead


def test_timeouts_and_truncated_bodies_are_retried(server, services):
    services.faults["/epmc/search"] = ["slow", "truncate", "garbage"]
    with HttpClient(rate=1000, sleep=lambda s: None, backoff=0.01, timeout=0.4) as http:
        data = http.get_json(server.url + "/epmc/search", {"query": "als", "pageSize": "5"})
    assert data["hitCount"] == 60 and len(data["resultList"]["result"]) == 5
    assert http.requests_made == 4


def test_other_4xx_fails_at_once_and_retries_end(server, services):
    with HttpClient(rate=1000, sleep=lambda s: None, backoff=0.01) as http:
        with pytest.raises(SourceError, match="HTTP 404"):
            http.get(server.url + "/nowhere")
        assert http.requests_made == 1
    services.faults["/epmc/search"] = ["500"] * 10
    http = HttpClient(rate=1000, sleep=lambda s: None, backoff=0.01, retries=3)
    with http, pytest.raises(SourceError, match="after 4 attempts; last: HTTP 500"):
        http.get(server.url + "/epmc/search", {"query": "x"})


def test_cache_serves_checked_bodies_and_ignores_secrets(server, services, tmp_path):
    url = server.url + "/epmc/search"
    with HttpClient(rate=1000, sleep=lambda s: None, cache_dir=tmp_path) as http:
        a = http.get(url, {"query": "als", "api_key": "one"})
        b = http.get(url, {"query": "als", "api_key": "two"})
        assert a == b and http.requests_made == 1
        http.get(url, {"query": "other"})
        assert http.requests_made == 2
    with HttpClient(rate=1000, sleep=lambda s: None, cache_dir=tmp_path, cache_max_age=-1) as http:
        http.get(url, {"query": "als"})
        assert http.requests_made == 1  # expired entries are fetched again
    # a damaged body is never cached
    services.faults["/epmc/search"] = ["garbage"]
    with HttpClient(rate=1000, sleep=lambda s: None, cache_dir=tmp_path / "c2") as http:
        http.get_json(url, {"query": "x"})
        assert http.requests_made == 2
        http.get_json(url, {"query": "x"})
        assert http.requests_made == 2
