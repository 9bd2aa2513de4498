"""The HTTP layer every source client shares (httpx).

In: GET requests (URL + parameters).  Out: response bodies that passed a check (JSON that
parses, XML that is well formed), or `SourceError` after the last retry.

- Rate limit: at most `rate` requests per second per client (PubMed: 3, or 10 with an
  api_key), spaced evenly and shared by threads.
- Retries with exponential backoff (base * 2**attempt, capped, with jitter) on 429, 5xx,
  timeouts, dropped connections and truncated bodies (Content-Length not met, or a body
  that fails the caller's check); a `Retry-After` header (seconds or HTTP date) is honoured
  up to `retry_after_max` (default 120 s; a longer request is capped and the message says
  so).  Other 4xx answers are not retried.  Every retry is logged (logger
  `alsreview.sources`, level WARNING) with the attempt and the wait: `alsreview search`
  prints these, so a dead proxy shows progress instead of silence.
- An on-disk cache keyed by URL and parameters (secrets such as api_key left out of the key)
  with a maximum age, so an interrupted search re-run does not fetch again what it has;
  only checked bodies are cached.
Tests pass `transport=` or a local base URL, and `sleep=` to observe the waits.
"""

from __future__ import annotations

import email.utils
import hashlib
import json
import logging
import os
import random
import threading
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

import httpx

from alsreview.errors import SourceError
from alsreview.typealiases import JSONValue

log = logging.getLogger("alsreview.sources")

RETRY_STATUS = frozenset({408, 425, 429, 500, 502, 503, 504})
SECRET_PARAMS = frozenset({"api_key", "apikey", "email", "mailto", "tool"})
USER_AGENT = "alsreview/0.1 (systematic review software; https://pypi.org/project/alsreview)"


#: query parameters of a GET request
Params = Mapping[str, str | int | float]


class RateLimiter:
    """Evenly spaced permits: no more than `rate` acquisitions per second (thread-safe)."""

    def __init__(self, rate: float, clock: Callable[[], float] = time.monotonic) -> None:
        if rate <= 0:
            raise ValueError("rate must be positive")
        self.interval = 1.0 / rate
        self._clock = clock
        self._next = 0.0
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Reserve the next slot; return how long the caller must wait for it."""
        with self._lock:
            now = self._clock()
            slot = max(now, self._next)
            self._next = slot + self.interval
            return slot - now


def retry_after_seconds(value: str | None, now: float | None = None) -> float | None:
    """Seconds to wait from a Retry-After header (delta-seconds or an HTTP date)."""
    if not value:
        return None
    value = value.strip()
    if value.isdigit():
        return float(value)
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - (time.time() if now is None else now))


class HttpClient:
    """A rate-limited, retrying, caching GET client for one service."""

    def __init__(
        self,
        *,
        rate: float,
        cache_dir: str | Path | None = None,
        cache_max_age: float = 24 * 3600.0,
        retries: int = 6,
        backoff: float = 1.0,
        backoff_max: float = 60.0,
        retry_after_max: float = 120.0,
        timeout: float = 60.0,
        connect_timeout: float = 15.0,
        transport: httpx.BaseTransport | None = None,
        sleep: Callable[[float], None] = time.sleep,
        headers: Mapping[str, str] | None = None,
    ) -> None:
        self.limiter = RateLimiter(rate)
        self.cache_dir = Path(cache_dir) if cache_dir else None
        self.cache_max_age = cache_max_age
        self.retries = retries
        self.backoff = backoff
        self.backoff_max = backoff_max
        self.retry_after_max = retry_after_max
        self.sleep = sleep
        self.requests_made = 0
        self._client = httpx.Client(
            timeout=httpx.Timeout(timeout, connect=min(timeout, connect_timeout)),
            transport=transport,
            headers={"User-Agent": USER_AGENT, **(headers or {})},
            follow_redirects=True,
        )

    def close(self) -> None:
        self._client.close()

    def __enter__(self) -> HttpClient:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # -- cache --------------------------------------------------------------------------
    def _cache_path(self, url: str, params: Mapping[str, Any]) -> Path | None:
        if self.cache_dir is None:
            return None
        public = sorted((k, str(v)) for k, v in params.items() if k not in SECRET_PARAMS)
        key = hashlib.sha256(json.dumps([url, public]).encode()).hexdigest()
        return self.cache_dir / key[:2] / f"{key}.bin"

    def _cache_get(self, path: Path | None) -> bytes | None:
        if path is None or not path.exists():
            return None
        if time.time() - path.stat().st_mtime > self.cache_max_age:
            return None
        return path.read_bytes()

    @staticmethod
    def _cache_put(path: Path | None, body: bytes) -> None:
        if path is None:
            return
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_bytes(body)
        os.replace(tmp, path)

    # -- requests -----------------------------------------------------------------------
    def _backoff(self, attempt: int) -> float:
        base = min(self.backoff_max, self.backoff * (2**attempt))
        return base * (0.5 + random.random() / 2)

    def get(
        self,
        url: str,
        params: Params | None = None,
        *,
        check: Callable[[bytes], object] | None = None,
        cache: bool = True,
    ) -> bytes:
        """GET with rate limit, retries and cache; `check(body)` raising ValueError means
        the body is damaged (truncated) and is retried like a network error."""
        params = dict(params or {})
        cpath = self._cache_path(url, params) if cache else None
        cached = self._cache_get(cpath)
        if cached is not None:
            return cached
        problem = ""
        for attempt in range(self.retries + 1):
            wait = self.limiter.wait_time()
            if wait > 0:
                self.sleep(wait)
            self.requests_made += 1
            retry_after: float | None = None
            try:
                response = self._client.get(url, params=params)
                body = response.content
            except (httpx.TimeoutException, httpx.TransportError) as exc:
                problem = f"{type(exc).__name__}: {exc}"
            else:
                status = response.status_code
                if status == 200:
                    try:
                        if check is not None:
                            check(body)
                    except ValueError as exc:
                        problem = f"damaged or truncated body ({exc})"
                    else:
                        self._cache_put(cpath, body)
                        return body
                elif status in RETRY_STATUS:
                    problem = f"HTTP {status}"
                    retry_after = retry_after_seconds(response.headers.get("Retry-After"))
                else:
                    text = body[:300].decode("utf-8", "replace")
                    raise SourceError(f"{url}: HTTP {status}: {text}")
            if attempt == self.retries:
                break
            delay = self._backoff(attempt)
            note = ""
            if retry_after is not None:
                if retry_after > self.retry_after_max:
                    note = (
                        f"; the server asked for {retry_after:,.0f} s (Retry-After), "
                        f"capped at {self.retry_after_max:g} s"
                    )
                delay = max(delay, min(retry_after, self.retry_after_max))
            log.warning(
                "%s: %s (attempt %d of %d); retrying in %.1f s%s",
                url,
                problem,
                attempt + 1,
                self.retries + 1,
                delay,
                note,
            )
            self.sleep(delay)
        raise SourceError(f"{url}: failed after {self.retries + 1} attempts; last: {problem}")

    def get_json(self, url: str, params: Params | None = None, *, cache: bool = True) -> JSONValue:
        """GET and parse JSON; a body that does not parse is retried as truncated."""
        body = self.get(url, params, check=lambda b: json.loads(b), cache=cache)
        return json.loads(body)
