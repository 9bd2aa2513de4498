"""PubMed XML parsing throughput: alsreview's `parse_pubmed_xml` vs Biopython's Entrez parser.

Writes 100,000 `PubmedArticle` records in efetch's layout (DOCTYPE pubmed_250101.dtd,
MedlineCitation/Article/Journal/JournalIssue/PubDate, AuthorList, Abstract, ArticleIdList,
MeshHeadingList) built from the titles, abstracts, authors, years and PMIDs of the labelled
screening sets in /work/shared/data/screening (repeated with new PMIDs to reach the count;
every tenth record has a structured abstract, every twentieth a MedlineDate), then parses the
same file once with each parser and prints a Markdown table.

Biopython is not a project dependency; run with an interpreter that has it:

    python -m venv --system-site-packages /tmp/bio-venv && /tmp/bio-venv/bin/pip install biopython
    /tmp/bio-venv/bin/python benchmarks/parse_pubmed.py --n 100000
"""

from __future__ import annotations

import argparse
import csv
import gc
import tempfile
import time
from pathlib import Path
from xml.sax.saxutils import escape

from alsreview.records.pubmed_xml import parse_pubmed_xml

SCREENING = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"
HEAD = (
    '<?xml version="1.0" ?>\n<!DOCTYPE PubmedArticleSet PUBLIC "-//NLM//DTD PubMedArticle, '
    '1st January 2025//EN" "https://dtd.nlm.nih.gov/ncbi/pubmed/out/pubmed_250101.dtd">\n'
    "<PubmedArticleSet>\n"
)


def _rows() -> list[dict]:
    rows = []
    for path in sorted(SCREENING.glob("Cohen_*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            rows += [r for r in csv.DictReader(fh) if r.get("title")]
    return rows


def _article(n: int, row: dict, pmid: int) -> str:
    authors = []
    for name in (row.get("authors") or "").split(";")[:8]:
        parts = name.split()
        if not parts:
            continue
        initials = "".join(p for p in parts[:-1] if len(p) <= 2)
        authors.append(
            f'<Author ValidYN="Y"><LastName>{escape(parts[-1])}</LastName>'
            f"<ForeName>{escape(' '.join(parts[:-1]))}</ForeName>"
            f"<Initials>{escape(initials)}</Initials></Author>"
        )
    year = (row.get("year") or "2000").split(".")[0]
    date = (
        f"<MedlineDate>{year} Dec-{int(year) + 1} Jan</MedlineDate>"
        if n % 20 == 0
        else f"<Year>{year}</Year><Month>Mar</Month>"
    )
    raw = row.get("abstract") or ""
    if n % 10 == 0 and raw:
        half = len(raw) // 2
        abstract = (
            f'<AbstractText Label="BACKGROUND" NlmCategory="BACKGROUND">{escape(raw[:half])}'
            '</AbstractText><AbstractText Label="RESULTS" NlmCategory="RESULTS">'
            f"{escape(raw[half:])}</AbstractText>"
        )
    else:
        abstract = f"<AbstractText>{escape(raw)}</AbstractText>"
    return (
        '<PubmedArticle><MedlineCitation Status="MEDLINE" Owner="NLM">'
        f'<PMID Version="1">{pmid}</PMID><Article PubModel="Print"><Journal>'
        '<ISSN IssnType="Print">0000-0000</ISSN><JournalIssue CitedMedium="Print">'
        f"<Volume>{n % 90 + 1}</Volume><Issue>{n % 12 + 1}</Issue><PubDate>{date}</PubDate>"
        "</JournalIssue><Title>Journal of benchmark medicine</Title>"
        "<ISOAbbreviation>J Bench Med</ISOAbbreviation></Journal>"
        f"<ArticleTitle>{escape(row['title'])}</ArticleTitle>"
        f"<Pagination><MedlinePgn>{n % 900 + 1}-{n % 900 + 9}</MedlinePgn></Pagination>"
        f"<Abstract>{abstract}</Abstract>"
        f'<AuthorList CompleteYN="Y">{"".join(authors)}</AuthorList>'
        "<Language>eng</Language><PublicationTypeList>"
        '<PublicationType UI="D016428">Journal Article</PublicationType>'
        "</PublicationTypeList></Article><MedlineJournalInfo><Country>United States</Country>"
        "<MedlineTA>J Bench Med</MedlineTA><NlmUniqueID>0000000</NlmUniqueID>"
        "</MedlineJournalInfo><MeshHeadingList><MeshHeading>"
        '<DescriptorName UI="D006801" MajorTopicYN="N">Humans</DescriptorName>'
        "</MeshHeading></MeshHeadingList></MedlineCitation><PubmedData>"
        "<PublicationStatus>ppublish</PublicationStatus><ArticleIdList>"
        f'<ArticleId IdType="pubmed">{pmid}</ArticleId>'
        f'<ArticleId IdType="doi">10.5555/bench.{pmid}</ArticleId>'
        "</ArticleIdList></PubmedData></PubmedArticle>\n"
    )


def write_file(path: Path, n: int) -> None:
    rows = _rows()
    with path.open("w", encoding="utf-8") as fh:
        fh.write(HEAD)
        for i in range(n):
            fh.write(_article(i, rows[i % len(rows)], 40_000_000 + i))
        fh.write("</PubmedArticleSet>\n")


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    args = ap.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pubmed.xml"
        write_file(path, args.n)
        size = path.stat().st_size
        rows = []
        gc.collect()
        t0 = time.perf_counter()
        records = parse_pubmed_xml(path.read_bytes(), str(path))
        ours = time.perf_counter() - t0
        assert len(records) == args.n
        rows.append(("alsreview parse_pubmed_xml (lxml iterparse) -> Record", ours))
        del records
        gc.collect()
        try:
            from Bio import Entrez
        except ImportError:
            Entrez = None
        if Entrez is not None:
            t0 = time.perf_counter()
            with path.open("rb") as fh:
                count = len(Entrez.read(fh)["PubmedArticle"])
            bio = time.perf_counter() - t0
            assert count == args.n
            rows.append(("Biopython Bio.Entrez.read (expat, DTD-driven) -> dicts", bio))
    print(f"{args.n:,} PubMed XML records, {size / 1e6:.0f} MB\n")
    print("| parser | time (s) | records/s |")
    print("|---|---:|---:|")
    for name, secs in rows:
        print(f"| {name} | {secs:.1f} | {args.n / secs:,.0f} |")


if __name__ == "__main__":
    main()
