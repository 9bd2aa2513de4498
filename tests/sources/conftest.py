from __future__ import annotations

import pytest

from .fakeservices import FakeServices, Server, corpus

PATHS = {
    "pubmed": "/eutils",
    "europepmc": "/epmc",
    "ctgov": "/ctgov",
    "openalex": "/openalex",
    "crossref": "/crossref",
}
PAGE = {
    "pubmed": "batch",
    "europepmc": "page_size",
    "ctgov": "page_size",
    "openalex": "page_size",
    "crossref": "rows",
}


@pytest.fixture
def services():
    return FakeServices(corpus(60), slow_seconds=1.0)


@pytest.fixture
def server(services):
    with Server(services) as s:
        yield s


@pytest.fixture
def make_source(server, tmp_path):
    """Build a client for the fake server; `sleeps` records every wait it asked for."""
    from alsreview.sources import get_source
    from alsreview.sources.http import HttpClient

    made = []

    def make(name, *, page=10, checkpoint=False, cache=False, **kw):
        sleeps: list[float] = []
        client = HttpClient(
            rate=1000.0,
            sleep=sleeps.append,
            timeout=0.4,
            backoff=0.01,
            retries=kw.pop("retries", 8),
            cache_dir=tmp_path / "cache" if cache else None,
        )
        src = get_source(
            name,
            base_url=server.url + PATHS[name],
            client=client,
            checkpoint_dir=tmp_path / "checkpoints" if checkpoint else None,
            **{PAGE[name]: page},
            **kw,
        )
        src.sleeps = sleeps
        made.append(src)
        return src

    yield make
    for s in made:
        s.close()
