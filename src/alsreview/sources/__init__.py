"""Bibliographic sources alsreview searches itself.

In: a query and a date window (usually from the review protocol's [[search]] tables).
Out: a `SearchResult` with Records and the `SearchRun` for PRISMA-S reporting.

    pubmed      NCBI E-utilities: esearch (history server) + efetch batches, 10,000 split
    europepmc   Europe PMC REST search, cursorMark
    ctgov       ClinicalTrials.gov API v2, pageToken
    openalex    OpenAlex works, cursor; abstracts from the inverted index
    crossref    Crossref works, cursor

All share `sources.http.HttpClient` (rate limit, retries, cache) and `sources.base`
(checkpoints, search loop).  Base URLs default to the live services; pass `base_url=` to
point a client elsewhere (tests use a local server).
"""

from __future__ import annotations

from importlib import import_module
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from alsreview.sources.base import Source

_CLIENTS = {
    "pubmed": ("alsreview.sources.pubmed", "PubMed"),
    "europepmc": ("alsreview.sources.europepmc", "EuropePMC"),
    "ctgov": ("alsreview.sources.ctgov", "ClinicalTrialsGov"),
    "openalex": ("alsreview.sources.openalex", "OpenAlex"),
    "crossref": ("alsreview.sources.crossref", "Crossref"),
}
SOURCE_NAMES = tuple(_CLIENTS)


def get_source(name: str, **options: object) -> Source:
    """A client for the named source (options go to its constructor)."""
    from alsreview.errors import SourceError

    try:
        module, cls = _CLIENTS[name]
    except KeyError:
        raise SourceError(f"unknown source {name!r} (known: {', '.join(SOURCE_NAMES)})") from None
    return getattr(import_module(module), cls)(**options)
