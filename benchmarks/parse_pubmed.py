"""PubMed XML parsing throughput: alsreview's `parse_pubmed_xml` vs Biopython's Entrez parser.

Writes 100,000 `PubmedArticle` records in efetch's layout (DOCTYPE pubmed_250101.dtd,
MedlineCitation/Article/Journal/JournalIssue/PubDate, AuthorList, Abstract, ArticleIdList,
MeshHeadingList) built from the titles, abstracts, authors, years and PMIDs of the labelled
screening sets in /work/shared/data/screening (repeated with new PMIDs to reach the count;
every tenth record has a structured abstract, every twentieth a MedlineDate), then parses the
same file with each parser in alternating rounds (warm: one untimed parse each first; the
order flips every round) and prints min and median per parser and the per-round ratio.

Biopython is not a project dependency; run with an interpreter that has it:

    python -m venv --system-site-packages /tmp/bio-venv && /tmp/bio-venv/bin/pip install biopython
    /tmp/bio-venv/bin/python benchmarks/parse_pubmed.py --n 100000
"""

from __future__ import annotations

import argparse
import csv
import gc
import statistics
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


def _ours(path: Path) -> int:
    return len(parse_pubmed_xml(path.read_bytes(), str(path)))


def _biopython(path: Path) -> int:
    from Bio import Entrez

    with path.open("rb") as fh:
        return len(Entrez.read(fh)["PubmedArticle"])


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=100_000)
    ap.add_argument("--rounds", type=int, default=5, help="alternating rounds (odd: fair)")
    args = ap.parse_args(argv)
    try:
        import Bio  # noqa: F401
    except ImportError:
        raise SystemExit("Biopython is not installed here (see the docstring)") from None
    parsers = {
        "alsreview parse_pubmed_xml (lxml iterparse, entity-safe) -> Record": _ours,
        "Biopython Bio.Entrez.read (expat, DTD-driven) -> dicts": _biopython,
    }
    times: dict[str, list[float]] = {name: [] for name in parsers}
    cpu: dict[str, list[float]] = {name: [] for name in parsers}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "pubmed.xml"
        write_file(path, args.n)
        size = path.stat().st_size
        for parse in parsers.values():  # warm-up: imports, Biopython's DTD cache
            parse(path)
        for r in range(args.rounds):
            order = list(parsers) if r % 2 == 0 else list(reversed(parsers))
            for name in order:
                gc.collect()
                t0, c0 = time.perf_counter(), time.process_time()
                count = parsers[name](path)
                times[name].append(time.perf_counter() - t0)
                cpu[name].append(time.process_time() - c0)
                assert count == args.n, (name, count)
    ours, bio = (times[name] for name in parsers)
    ratios = sorted(b / o for o, b in zip(ours, bio, strict=True))
    ours_cpu, bio_cpu = (cpu[name] for name in parsers)
    cpu_ratios = sorted(b / o for o, b in zip(ours_cpu, bio_cpu, strict=True))
    print(f"{args.n:,} PubMed XML records, {size / 1e6:.0f} MB, {args.rounds} alternating rounds\n")
    print("| parser | wall min (s) | wall median (s) | CPU min (s) | CPU median (s) |")
    print("|---|---:|---:|---:|---:|")
    for name, ts in times.items():
        cs = cpu[name]
        print(
            f"| {name} | {min(ts):.2f} | {statistics.median(ts):.2f} | {min(cs):.2f} "
            f"| {statistics.median(cs):.2f} |"
        )
    print(
        f"\nBiopython time / alsreview time per round: "
        f"{', '.join(f'{x:.2f}' for x in ratios)} (median {statistics.median(ratios):.2f}; "
        f"ratio of minima {min(bio) / min(ours):.2f})"
    )
    print(
        f"the same in CPU time (time.process_time): {', '.join(f'{x:.2f}' for x in cpu_ratios)}"
        f" (median {statistics.median(cpu_ratios):.2f}; ratio of minima "
        f"{min(bio_cpu) / min(ours_cpu):.2f})"
    )


if __name__ == "__main__":
    main()
