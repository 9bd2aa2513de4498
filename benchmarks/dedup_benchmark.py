"""Deduplication benchmark: precision/recall of duplicate pairs and time, vs asreview-datatools.

Builds a record set with known true clusters from the labelled screening sets in
`/work/shared/data/screening/*.csv` (the Cohen 2006 drug-class sets and Bannach-Brown 2019):

* one *entity* per distinct reference (Cohen records sharing a PMID across reviews are one
  entity; Bannach-Brown records whose normalised title collides with another record are
  dropped because their truth is unknown);
* each entity gets journal/volume/issue/pages and a DOI under Crossref's test prefix 10.5555
  (the source files carry only PMID, title, authors, abstract, year), then is exported 1-4
  times as different databases would: PubMed, Embase, Scopus, Web of Science, Rayyan CSV;
* each export applies realistic differences: case (WoS upper case, sentence case), punctuation
  (colons, hyphens, final period, brackets of translated titles), diacritics stripped, HTML
  entities and <i> markup, author formats ('E J Reimer', 'Reimer EJ', 'Reimer, E. J.',
  'REIMER E', first three + et al.), journal abbreviations, missing abstracts / DOIs / PMIDs,
  DOI as URL, page formats ('337-44', '337-344', '337'), year off by one (e-pub date);
* hard negatives that must NOT be merged: errata ('Erratum: <title>'), comments on a paper
  and conference abstracts of the same study are added as entities of their own.

Run (a few minutes on 2 cores; the datatools comparison needs a separate virtualenv so
that asreview is never a project dependency):

    python -m venv /tmp/adt-venv && /tmp/adt-venv/bin/pip install asreview-datatools
    python benchmarks/dedup_benchmark.py --datatools-python /tmp/adt-venv/bin/python --replicas 6

Prints a Markdown table (records, true pairs, precision, recall, in-process and whole-process
time, each as wall-clock median (min) of alternating rounds and CPU median): alsreview's
`deduplicate` in-process, `alsreview dedup FILE.csv --json` as a whole process on the CSV
that datatools reads, datatools' `dedup` (exact DOI or exact title+abstract, its default)
with its detection timed inside its process and the whole process (interpreter start and
asreview import included), optionally `dedup --similar` (difflib ratio > 0.98), and
alsreview on ~100,000+ records (`--replicas`: the base repeated with letters of titles,
abstracts and names shifted, so clusters stay the same size).
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
import resource
import statistics
import subprocess
import sys
import tempfile
import time
import unicodedata
from collections import defaultdict
from pathlib import Path

from alsreview.dedup import deduplicate, normalise_title
from alsreview.records.model import Record

SCREENING = Path(__file__).resolve().parents[2] / "shared" / "data" / "screening"
JOURNALS = [
    ("The New England Journal of Medicine", "N Engl J Med"),
    ("The Lancet", "Lancet"),
    ("JAMA", "JAMA"),
    ("BMJ (Clinical research ed.)", "BMJ"),
    ("Annals of Internal Medicine", "Ann Intern Med"),
    ("Circulation", "Circulation"),
    ("Journal of the American College of Cardiology", "J Am Coll Cardiol"),
    ("The American Journal of Cardiology", "Am J Cardiol"),
    ("European Heart Journal", "Eur Heart J"),
    ("Hypertension", "Hypertension"),
    ("Journal of Hypertension", "J Hypertens"),
    ("American Journal of Hypertension", "Am J Hypertens"),
    ("Diabetes Care", "Diabetes Care"),
    ("Diabetologia", "Diabetologia"),
    ("The Journal of Clinical Endocrinology and Metabolism", "J Clin Endocrinol Metab"),
    ("The American Journal of Psychiatry", "Am J Psychiatry"),
    ("Archives of General Psychiatry", "Arch Gen Psychiatry"),
    ("The Journal of Clinical Psychiatry", "J Clin Psychiatry"),
    ("Journal of Clinical Psychopharmacology", "J Clin Psychopharmacol"),
    ("Schizophrenia Research", "Schizophr Res"),
    ("Journal of the American Academy of Child and Adolescent Psychiatry",
     "J Am Acad Child Adolesc Psychiatry"),
    ("Pediatrics", "Pediatrics"),
    ("Arthritis and Rheumatism", "Arthritis Rheum"),
    ("The Journal of Rheumatology", "J Rheumatol"),
    ("Clinical Therapeutics", "Clin Ther"),
    ("Clinical Pharmacology and Therapeutics", "Clin Pharmacol Ther"),
    ("British Journal of Clinical Pharmacology", "Br J Clin Pharmacol"),
    ("European Journal of Clinical Pharmacology", "Eur J Clin Pharmacol"),
    ("The Journal of Allergy and Clinical Immunology", "J Allergy Clin Immunol"),
    ("Allergy", "Allergy"),
    ("Menopause (New York, N.Y.)", "Menopause"),
    ("Obstetrics and Gynecology", "Obstet Gynecol"),
    ("Behavioural Brain Research", "Behav Brain Res"),
    ("Psychopharmacology", "Psychopharmacology (Berl)"),
    ("Neuroscience and Biobehavioral Reviews", "Neurosci Biobehav Rev"),
    ("Pharmacology, Biochemistry, and Behavior", "Pharmacol Biochem Behav"),
    ("Physiology & Behavior", "Physiol Behav"),
    ("European Journal of Pharmacology", "Eur J Pharmacol"),
    ("Brain Research", "Brain Res"),
    ("Neuropsychopharmacology", "Neuropsychopharmacology"),
]  # fmt: skip
STYLES = ("pubmed", "embase", "scopus", "wos", "rayyan")


# ----------------------------------------------------------------------------- base entities


def load_entities() -> list[dict]:
    """Distinct references from the screening sets (see module docstring)."""
    entities: dict[str, dict] = {}
    for path in sorted(SCREENING.glob("*.csv")):
        with path.open(newline="", encoding="utf-8") as fh:
            for row in csv.DictReader(fh):
                pmid = (row.get("pubmedID") or "").strip()
                key = f"pmid:{pmid}" if pmid else f"{path.stem}:{row['record_id']}"
                if key in entities:
                    continue
                year = row.get("year") or ""
                authors = re.split(r";|,\s+|\s+and\s+", row.get("authors") or "")
                authors = [a.strip() for a in authors]
                entities[key] = {
                    "key": key,
                    "pmid": pmid or None,
                    "title": (row.get("title") or "").strip(),
                    "abstract": (row.get("abstract") or "").strip(),
                    "authors": [a for a in authors if a],
                    "year": int(float(year)) if year.strip() else None,
                }
    # drop records without PMID whose title collides with another entity: unknown truth
    by_title: dict[str, list[str]] = defaultdict(list)
    for key, e in entities.items():
        if e["title"]:
            by_title[normalise_title(e["title"])].append(key)
    drop = {
        k for keys in by_title.values() if len(keys) > 1 for k in keys if not entities[k]["pmid"]
    }
    # records without a title (3% of the Cohen sets) cannot occur in a real export
    return [e for k, e in entities.items() if k not in drop and e["title"]]


def decorate(entities: list[dict], rng: random.Random) -> None:
    """Journal, volume, issue, pages and a test-prefix DOI per entity."""
    for n, e in enumerate(entities):
        e["journal"], e["abbrev"] = rng.choice(JOURNALS)
        e["volume"] = str(rng.randint(1, 160))
        e["issue"] = str(rng.randint(1, 12))
        start = rng.randint(1, 2400)
        e["pages"] = (start, start + rng.randint(2, 14))
        e["doi"] = f"10.5555/bench.{n:06d}" if rng.random() < 0.85 else None


# ----------------------------------------------------------------------------- perturbations


def strip_accents(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def author_format(name: str, style: str, rng: random.Random) -> str:
    """'E J Reimer' (Cohen layout: initials first) in the layout a database uses."""
    parts = name.split()
    if len(parts) < 2:
        return name
    initials = [p for p in parts if len(p.rstrip(".")) == 1 or (len(p) <= 3 and p.isupper())]
    surname_parts = [p for p in parts if p not in initials] or parts[-1:]
    if not initials:  # full given names ('Seth Keller'): the last word is the family name
        initials, surname_parts = [p[0] for p in parts[:-1]], parts[-1:]
    surname = " ".join(surname_parts)
    ini = "".join(i.rstrip(".") for i in initials)
    if style == "pubmed":
        return f"{surname} {ini}"
    if style == "embase":
        return f"{surname} {'.'.join(ini)}." if ini else surname
    if style == "scopus":
        return f"{surname}, {'. '.join(ini)}." if ini else surname
    if style == "wos":
        return f"{surname.upper()}, {ini}" if rng.random() < 0.5 else f"{surname}, {ini}"
    return name if rng.random() < 0.5 else f"{surname}, {' '.join(ini)}"


def title_variant(title: str, style: str, rng: random.Random) -> str:
    t = title
    if style == "wos" and rng.random() < 0.7:
        t = t.upper()
    elif style == "scopus" and rng.random() < 0.3:
        t = t[:1] + t[1:].lower()
    elif rng.random() < 0.15:
        t = t.title()
    if rng.random() < 0.5:
        t = t.rstrip(".")
    if rng.random() < 0.15:
        t = t.replace(": ", " - ").replace(":", " -")
    if rng.random() < 0.1:
        t = t.replace("-", " ")
    if rng.random() < 0.05:
        t = f"[{t.rstrip('.')}]."
    if rng.random() < 0.3:
        t = strip_accents(t)
    if rng.random() < 0.08:
        t = t.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
        words = t.split()
        if len(words) > 3:
            k = rng.randrange(len(words))
            words[k] = f"<i>{words[k]}</i>"
            t = " ".join(words)
    if rng.random() < 0.03:
        t = t.replace("'", "&#39;").replace("é", "&eacute;").replace("ö", "&ouml;")
    return t


def export(e: dict, style: str, rng: random.Random, copy: int) -> Record:
    start, end = e["pages"]
    page_style = rng.random()
    if page_style < 0.4:
        tail = str(end)
        common = 0
        while common < len(tail) - 1 and str(start)[common : common + 1] == tail[common]:
            common += 1
        pages = f"{start}-{tail[common:]}" if len(str(start)) == len(tail) else f"{start}-{end}"
    elif page_style < 0.85:
        pages = f"{start}-{end}"
    elif page_style < 0.95:
        pages = str(start)
    else:
        pages = ""
    doi = e["doi"]
    if doi:
        r = rng.random()
        if r < 0.3 or (style in ("wos",) and r < 0.5):
            doi = None
        elif r < 0.45:
            doi = "https://doi.org/" + doi
        elif r < 0.55:
            doi = "http://dx.doi.org/" + doi.upper()
    pmid = e["pmid"] if style in ("pubmed", "rayyan") or rng.random() < 0.4 else None
    authors = [author_format(a, style, rng) for a in e["authors"]]
    if rng.random() < 0.25:
        authors = [strip_accents(a) for a in authors]
    if style == "rayyan" and len(authors) > 3 and rng.random() < 0.3:
        authors = [*authors[:3], "et al."]
    if rng.random() < 0.02:
        authors = []
    abstract = e["abstract"]
    if abstract and (rng.random() < 0.25 or (style == "wos" and rng.random() < 0.3)):
        abstract = ""
    elif abstract and style == "scopus" and rng.random() < 0.5:
        abstract += " © 2005 Elsevier Inc. All rights reserved."
    year = e["year"]
    if year and rng.random() < 0.1:
        year -= 1  # the e-pub year, before the print issue
    journal = e["journal"] if style in ("embase", "scopus", "rayyan") else ""
    if style == "wos":
        journal = e["journal"].upper()
    return Record(
        title=title_variant(e["title"], style, rng) if e["title"] else "",
        abstract=abstract,
        authors=authors,
        journal=journal,
        journal_abbrev=e["abbrev"] if style in ("pubmed", "wos") or rng.random() < 0.5 else "",
        year=year,
        volume=e["volume"] if rng.random() < 0.95 else "",
        issue=e["issue"] if rng.random() < 0.8 else "",
        pages=pages,
        doi=doi,
        pmid=pmid,
        source=style,
        source_id=f"{e['key']}#{copy}",
    )


def hard_negatives(entities: list[dict], rng: random.Random, share: float) -> list[dict]:
    """Errata, comments and conference abstracts of existing entities (new entities)."""
    out = []
    for e in rng.sample(entities, int(share * len(entities))):
        if not e["title"]:
            continue
        kind = rng.choice(("erratum", "comment", "conference"))
        neg = dict(e)
        neg["key"] = f"{e['key']}:{kind}"
        neg["pmid"] = None
        neg["doi"] = None
        start = rng.randint(1, 2400)
        neg["pages"] = (start, start + (0 if kind != "comment" else 1))
        if kind == "erratum":
            neg["title"] = rng.choice(("Erratum: ", "Correction to: ", "Erratum to ")) + e["title"]
            neg["pubtype"] = "Published Erratum"
            neg["year"] = (e["year"] or 2000) + 1
            neg["abstract"] = ""
        elif kind == "comment":
            neg["title"] = rng.choice(("Comment on: ", "Re: ", "Reply to: ")) + e["title"]
            neg["pubtype"] = "Comment"
            neg["authors"] = ["A B Reviewer"]
            neg["abstract"] = ""
        else:
            neg["pubtype"] = "Conference Abstract"
            neg["year"] = (e["year"] or 2000) - 1
            neg["journal"], neg["abbrev"] = rng.choice(JOURNALS)
            neg["volume"] = str(rng.randint(1, 160))
        out.append(neg)
    return out


def shift_letters(text: str, k: int) -> str:
    """Caesar shift of ASCII letters by k (case kept)."""
    out = []
    for c in text:
        if "a" <= c <= "z":
            out.append(chr((ord(c) - 97 + k) % 26 + 97))
        elif "A" <= c <= "Z":
            out.append(chr((ord(c) - 65 + k) % 26 + 65))
        else:
            out.append(c)
    return "".join(out)


def build(seed: int = 2026, replicas: int = 1) -> tuple[list[Record], list[str]]:
    """Records and, per record, its true entity key."""
    rng = random.Random(seed)
    base = load_entities()
    decorate(base, rng)
    records: list[Record] = []
    truth: list[str] = []
    for rep in range(replicas):
        entities = [dict(e) for e in base]
        if rep:
            # disjoint copies for the timing run: every letter of titles, abstracts and author
            # names shifted by `rep` places (same lengths and block structure, no overlap)
            for e in entities:
                e["key"] = f"r{rep}:{e['key']}"
                e["title"] = shift_letters(e["title"], rep)
                e["abstract"] = shift_letters(e["abstract"], rep)
                e["authors"] = [shift_letters(a, rep) for a in e["authors"]]
                e["pmid"] = f"{rep}{e['pmid']}" if e["pmid"] else None
                e["doi"] = e["doi"].replace("bench.", f"bench{rep}.") if e["doi"] else None
        entities += hard_negatives(entities, rng, 0.03)
        for e in entities:
            n_copies = rng.choices((1, 2, 3, 4), weights=(18, 40, 30, 12))[0]
            styles = rng.sample(STYLES, n_copies)
            for copy, style in enumerate(styles):
                rec = export(e, style, rng, copy)
                if e.get("pubtype"):
                    rec.publication_types = [e["pubtype"]]
                records.append(rec)
                truth.append(e["key"])
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[i] for i in order], [truth[i] for i in order]


# ----------------------------------------------------------------------------- scoring


def true_pairs(truth: list[str]) -> set[tuple[int, int]]:
    groups: dict[str, list[int]] = defaultdict(list)
    for i, key in enumerate(truth):
        groups[key].append(i)
    pairs = set()
    for m in groups.values():
        pairs.update((m[x], m[y]) for x in range(len(m)) for y in range(x + 1, len(m)))
    return pairs


def pairs_from_clusters(clusters: list[list[int]]) -> set[tuple[int, int]]:
    pairs = set()
    for c in clusters:
        m = sorted(c)
        pairs.update((m[x], m[y]) for x in range(len(m)) for y in range(x + 1, len(m)))
    return pairs


def score(pred: set, true: set) -> tuple[float, float]:
    tp = len(pred & true)
    return (tp / len(pred) if pred else 1.0), (tp / len(true) if true else 1.0)


DATATOOLS_SCRIPT = r"""
import json, sys, time
t_start, c_start = time.perf_counter(), time.process_time()
import pandas as pd
from asreview import ASReviewData
from asreviewcontrib.datatools import dedup as dd
t_imported, c_imported = time.perf_counter(), time.process_time()

path, mode = sys.argv[1], sys.argv[2]
asdata = ASReviewData.from_file(path)
t_loaded, c_loaded = time.perf_counter(), time.process_time()
n = len(asdata.df)
if mode == "similar":
    captured = []
    dd._print_similar_list = lambda similar_list, *a, **k: captured.extend(similar_list)
    dd.deduplicate_data(asdata, similar=True, verbose=True)
    pairs = [[int(i), int(j)] for i, j in captured]
else:
    # datatools' default: ASReviewData.duplicated(pid='doi'), i.e. the same DOI (lower case,
    # doi.org prefix removed) or the same title+abstract (non-alphanumerics removed, lower
    # case).  Each duplicate is paired with the first record that has its DOI or its text.
    dup = asdata.duplicated("doi")
    t_dedup, c_dedup = time.perf_counter(), time.process_time()
    df = asdata.df
    doi = df["doi"].astype("string").str.strip().str.lower().str.replace(
        r"^https?://(www\.)?doi\.org/", "", regex=True).replace("", None)
    text = pd.Series(asdata.texts).str.replace("[^A-Za-z0-9]", "", regex=True).str.lower()
    first_doi, first_text, pairs = {}, {}, []
    for i in range(n):
        d, t = doi.iloc[i], text.iloc[i]
        if bool(dup.iloc[i]):
            j = first_doi.get(d) if isinstance(d, str) else None
            if j is None:
                j = first_text.get(t)
            if j is not None:
                pairs.append([j, i])
        if isinstance(d, str):
            first_doi.setdefault(d, i)
        if t:
            first_text.setdefault(t, i)
t_end, c_end = time.perf_counter(), time.process_time()
print(json.dumps({"n": n, "removed": int(dup.sum()) if mode != "similar" else len(pairs),
                  "pairs": pairs, "import": t_imported - t_start, "load": t_loaded - t_imported,
                  "dedup": (t_dedup if mode != "similar" else t_end) - t_loaded,
                  "dedup_cpu": (c_dedup if mode != "similar" else c_end) - c_loaded}))
"""


def write_csv(records: list[Record], path: Path) -> None:
    """The records as an ASReview-style CSV whose record_id is the position in `records`."""
    with path.open("w", newline="", encoding="utf-8") as fh:
        w = csv.writer(fh)
        w.writerow(["record_id", "title", "abstract", "authors", "year", "doi"])
        for i, r in enumerate(records):
            w.writerow([i, r.title, r.abstract, "; ".join(r.authors), r.year or "", r.doi or ""])


def _clusters_from_pairs(n: int, pairs: list) -> set:
    uf = list(range(n))

    def find(i: int) -> int:
        while uf[i] != i:
            uf[i] = uf[uf[i]]
            i = uf[i]
        return i

    for i, j in pairs:
        uf[find(i)] = find(j)
    groups: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        groups[find(i)].append(i)
    return pairs_from_clusters(list(groups.values()))


def run_datatools(python: str, records: list[Record], mode: str) -> dict:
    """Run asreview-datatools in its own interpreter on the records as CSV.

    Returns pairs, `whole` (wall-clock of the process: interpreter start, asreview import,
    reading the CSV, dedup), and from inside the process `import`, `load` (ASReviewData
    from the CSV) and `dedup` (the duplicate detection alone, like alsreview's in-process
    figure), plus `removed`."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        write_csv(records, path)
        script = Path(tmp) / "dt.py"
        script.write_text(DATATOOLS_SCRIPT)
        t0, c0 = time.perf_counter(), _children_cpu()
        out = subprocess.run(
            [python, str(script), str(path), mode],
            capture_output=True,
            text=True,
            check=True,
            cwd=tmp,  # asreview writes a synergy_cache.sqlite into its working directory
        )
        whole, whole_cpu = time.perf_counter() - t0, _children_cpu() - c0
    result = json.loads(out.stdout.strip().splitlines()[-1])
    # the record_id column equals the input position, so pairs are positions
    result["pairs"] = _clusters_from_pairs(len(records), result["pairs"])
    result["whole"], result["whole_cpu"] = whole, whole_cpu
    return result


def _children_cpu() -> float:
    """CPU seconds (user + system) of finished child processes so far."""
    ru = resource.getrusage(resource.RUSAGE_CHILDREN)
    return ru.ru_utime + ru.ru_stime


def run_alsreview_cli(records: list[Record]) -> tuple[set, float, float]:
    """`alsreview dedup FILE.csv --json` as a whole process on the same CSV as datatools:
    (pairs, wall-clock and CPU seconds including interpreter start, imports and reading)."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "bench.csv"
        write_csv(records, path)
        t0, c0 = time.perf_counter(), _children_cpu()
        out = subprocess.run(
            [sys.executable, "-m", "alsreview", "dedup", str(path), "--json"],
            capture_output=True,
            text=True,
            check=True,
        )
        whole, cpu = time.perf_counter() - t0, _children_cpu() - c0
    clusters = [[int(i) for i in c] for c in json.loads(out.stdout)["clusters"]]
    return pairs_from_clusters(clusters), whole, cpu


def _fmt(times: list[float], cpu: list[float] | None = None) -> str:
    """Wall-clock median (min) of the rounds, and CPU median when given."""
    if not times:
        return "-"
    out = f"{statistics.median(times):.1f}"
    if len(times) > 1:
        out += f" (min {min(times):.1f})"
    if cpu:
        out += f"; CPU {statistics.median(cpu):.1f}"
    return out


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--datatools-python", help="python of a venv with asreview-datatools")
    ap.add_argument("--similar", action="store_true", help="also run datatools --similar")
    ap.add_argument("--replicas", type=int, default=5, help="replicas for the timing run")
    ap.add_argument("--rounds", type=int, default=3, help="alternating timing rounds")
    args = ap.parse_args(argv)
    records, truth = build(replicas=1)
    true = true_pairs(truth)
    n = len(records)
    # alternating rounds: alsreview in-process, alsreview CLI, datatools (one process each)
    ours_in: list[float] = []
    ours_in_cpu: list[float] = []
    ours_whole: list[float] = []
    ours_whole_cpu: list[float] = []
    dt_runs: list[dict] = []
    result = cli_pairs = None
    for r in range(args.rounds):
        steps = ["ours", "cli", "dt"] if r % 2 == 0 else ["dt", "cli", "ours"]
        for step in steps:
            if step == "ours":
                t0, c0 = time.perf_counter(), time.process_time()
                result = deduplicate(records)
                ours_in.append(time.perf_counter() - t0)
                ours_in_cpu.append(time.process_time() - c0)
            elif step == "cli":
                cli_pairs, secs, cpu = run_alsreview_cli(records)
                ours_whole.append(secs)
                ours_whole_cpu.append(cpu)
            elif args.datatools_python:
                dt_runs.append(run_datatools(args.datatools_python, records, "default"))
    assert result is not None and cli_pairs is not None
    p, r = score(result.duplicate_pairs(), true)
    p_cli, r_cli = score(cli_pairs, true)
    rows = [
        ("alsreview `deduplicate` (Records with journal, volume, pages)", n, len(true), p, r,
         _fmt(ours_in, ours_in_cpu), "-", f"{len(result.review)} pairs in the review queue"),
        ("alsreview `dedup FILE.csv --json` (the CSV datatools reads)", n, len(true), p_cli,
         r_cli, "-", _fmt(ours_whole, ours_whole_cpu),
         "title, abstract, authors, year, DOI only"),
    ]  # fmt: skip
    if dt_runs:
        p2, r2 = score(dt_runs[0]["pairs"], true)
        rows.append(
            ("asreview-datatools `dedup` (default: same DOI or same title+abstract)", n,
             len(true), p2, r2,
             _fmt([d["dedup"] for d in dt_runs], [d["dedup_cpu"] for d in dt_runs]),
             _fmt([d["whole"] for d in dt_runs], [d["whole_cpu"] for d in dt_runs]),
             f"{dt_runs[0]['removed']} removed; in the process: import "
             f"{_fmt([d['import'] for d in dt_runs])} s, reading the CSV "
             f"{_fmt([d['load'] for d in dt_runs])} s")
        )  # fmt: skip
        if args.similar:
            sim = run_datatools(args.datatools_python, records, "similar")
            p3, r3 = score(sim["pairs"], true)
            rows.append(
                ("asreview-datatools `dedup --similar` (difflib > 0.98)", n, len(true), p3, r3,
                 f"{sim['dedup']:.1f}", f"{sim['whole']:.1f}", f"{sim['removed']} removed")
            )  # fmt: skip
    wrong = sorted(result.duplicate_pairs() - true)[:5]
    missed = sorted(true - result.duplicate_pairs())[:12]
    if args.replicas > 1:
        big, big_truth = build(replicas=args.replicas)
        big_true = true_pairs(big_truth)
        t0, c0 = time.perf_counter(), time.process_time()
        big_result = deduplicate(big)
        secs, cpu = time.perf_counter() - t0, time.process_time() - c0
        p4, r4 = score(big_result.duplicate_pairs(), big_true)
        rows.append(
            ("alsreview `deduplicate`", len(big), len(big_true), p4, r4, _fmt([secs], [cpu]), "-",
             f"{args.replicas} letter-shifted replicas; {len(big_result.review)} to review")
        )  # fmt: skip
    print(
        "| method | records | true duplicate pairs | precision | recall | in-process (s) "
        "| whole process (s) | note |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---|")
    for name, n_rec, t, p_, r_, s_in, s_whole, note in rows:
        print(
            f"| {name} | {n_rec:,} | {t:,} | {100 * p_:.2f}% | {100 * r_:.2f}% | {s_in} "
            f"| {s_whole} | {note} |"
        )
    print("\nexamples of false merges:", file=sys.stderr)
    for i, j in wrong:
        print(f"  {records[i].title[:70]!r} | {records[j].title[:70]!r}", file=sys.stderr)
    print("examples of missed pairs:", file=sys.stderr)
    for i, j in missed:
        a, b = records[i], records[j]
        print(
            f"  {a.title[:60]!r} {a.authors[:1]} {a.year} {a.volume} {a.pages} {a.doi}\n"
            f"  {b.title[:60]!r} {b.authors[:1]} {b.year} {b.volume} {b.pages} {b.doi}\n",
            file=sys.stderr,
        )


if __name__ == "__main__":
    main()
