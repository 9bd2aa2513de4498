"""Property test: an export variant of a real record (case, punctuation, diacritics, HTML
entities, author layout, missing abstract/ids, e-pub year, page format) is merged with that
record and with nothing else."""

import html
import unicodedata
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from alsreview.dedup import deduplicate
from alsreview.records import read_records

DATA = Path(__file__).parents[1] / "records" / "data"
ORIGINALS = [
    r.copy(doi=None, pmid=None, pmcid=None)
    for r in read_records(DATA / "pubmed_efetch.xml")[:3]
    + read_records(DATA / "endnote_export.xml")
]


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def _author(name: str, style: int) -> str:
    last, _, given = name.partition(",")
    initials = "".join(p[0] for p in given.replace(".", " ").split())
    return [name, f"{last} {initials}", f"{last.upper()}, {initials}",
            f"{' '.join(initials)} {last}"][style]  # fmt: skip


@given(
    which=st.integers(0, len(ORIGINALS) - 1),
    upper=st.booleans(),
    drop_period=st.booleans(),
    entities=st.booleans(),
    strip_accents=st.booleans(),
    author_style=st.integers(0, 3),
    drop_abstract=st.booleans(),
    epub_year=st.booleans(),
    long_pages=st.booleans(),
)
@settings(max_examples=60, deadline=None)
def test_variant_merges_with_its_original_only(
    which,
    upper,
    drop_period,
    entities,
    strip_accents,
    author_style,
    drop_abstract,
    epub_year,
    long_pages,
):
    original = ORIGINALS[which]
    title = original.title
    title = title.upper() if upper else title
    title = title.rstrip(".") if drop_period else title
    title = html.escape(title) if entities else title
    title = _ascii(title) if strip_accents else title
    pages = original.pages
    if long_pages and "-" in pages:
        start, end = pages.split("-", 1)
        if end.isdigit() and len(end) < len(start):
            pages = f"{start}-{start[: len(start) - len(end)]}{end}"
    variant = original.copy(
        title=title,
        authors=[_author(a, author_style) for a in original.authors],
        abstract="" if drop_abstract else original.abstract,
        year=original.year - 1 if epub_year and original.year else original.year,
        pages=pages,
    )
    result = deduplicate([*ORIGINALS, variant])
    (cluster,) = result.clusters
    assert sorted(cluster.members) == [which, len(ORIGINALS)]
