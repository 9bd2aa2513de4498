"""Held-out dedup evaluation: a second generator, independent of `dedup_benchmark.py`.

Written (and committed) before any rule was changed against it.  What differs from the first
benchmark: the exports are produced by a *noisy channel* per field rather than by database
styles, and every extra copy of a reference carries one to three of the corruptions that
issue 8 lists (each tagged, so recall is reported per corruption):

* title: one or two typing errors (substitution, deletion, insertion, transposition of
  letters), "and" <-> "&", truncation at a character limit (mid-word, with or without "..."),
  the subtitle dropped, HTML-escaped (named and numeric entities, sometimes twice), capitals,
  MEDLINE's brackets for translated titles ("[Title]."), Greek letters for spelled-out
  ones ("beta" <-> "β"), en dashes / spaced hyphens;
* authors: the list missing, "Surname, I." / "I Surname" / "Surname I" / "SURNAME, I",
  only the first author followed by "et al.", diacritics stripped;
* year one earlier or missing, volume/pages missing or re-formatted, the journal spelled
  out or abbreviated;
* identifiers: each copy keeps the PMID or a DOI only sometimes, so most pairs must be found
  without a shared identifier (recall is also reported on those pairs alone).

Must-not-merge entities are written from other references: errata (titled "Erratum:",
"Correction to", "Corrigendum to \\"...\\"", or - as PubMed prints many - the paper's own title
with publication type "Published Erratum"), comments and replies ("Comment on", "Re:",
"Response to", "Reply to ... et al.", a letter with publication type Comment), and
conference abstracts of the same study (same title and authors, a year earlier, in a
supplement; the publication type given in most but not all copies).  Natural hard
negatives come with the real data: different papers that share a short title.

The base references (`load_entities` of `dedup_benchmark.py`: the screening sets' titles,
authors, years, abstracts, PMIDs) are split in two by a hash of their key: `dev` was used
while the rules were changed, `test` only for the final figures.

    python benchmarks/dedup_heldout.py [--half test] [--scale 100000]
"""

from __future__ import annotations

import argparse
import hashlib
import random
import re
import time
import unicodedata
from collections import Counter, defaultdict

from alsreview.dedup import deduplicate
from alsreview.records.model import Record
from dedup_benchmark import load_entities, run_datatools, score, shift_letters, true_pairs

SEED = 8_2026
JOURNALS = [
    ("Journal of Neurology, Neurosurgery, and Psychiatry", "J Neurol Neurosurg Psychiatry"),
    ("Neurology", "Neurology"),
    ("Annals of Neurology", "Ann Neurol"),
    ("Brain : a journal of neurology", "Brain"),
    ("Clinical Pharmacology & Therapeutics", "Clin Pharmacol Ther"),
    ("Journal of Psychopharmacology (Oxford, England)", "J Psychopharmacol"),
    ("European Neuropsychopharmacology", "Eur Neuropsychopharmacol"),
    ("Heart (British Cardiac Society)", "Heart"),
    ("International Journal of Cardiology", "Int J Cardiol"),
    ("Diabetes, Obesity & Metabolism", "Diabetes Obes Metab"),
    ("Maturitas", "Maturitas"),
    ("Alimentary Pharmacology & Therapeutics", "Aliment Pharmacol Ther"),
    ("Stem Cells Translational Medicine", "Stem Cells Transl Med"),
    ("Cytotherapy", "Cytotherapy"),
    ("Muscle & Nerve", "Muscle Nerve"),
]
GREEK = [("alpha", "α"), ("beta", "β"), ("gamma", "γ"), ("delta", "δ"), ("kappa", "κ")]
TITLE_CORRUPTIONS = (
    "typo1", "typo2", "and_amp", "truncate", "subtitle", "entities", "capitals", "brackets",
    "greek", "dashes",
)  # fmt: skip
AUTHOR_CORRUPTIONS = ("no_authors", "surname_comma_initials", "initials_first", "et_al")
OTHER_CORRUPTIONS = ("year_minus_1", "no_year", "no_volume_pages")


def half_of(key: str) -> str:
    return "dev" if hashlib.sha1(key.encode()).digest()[0] % 2 == 0 else "test"


# ------------------------------------------------------------------ the noisy channel


def _split_name(name: str) -> tuple[str, str]:
    """(surname, initials) of 'E J Reimer', 'W. Zhang', 'Klenk-Majewska B', 'Seth Keller'."""
    parts = name.replace(".", " ").split()
    if len(parts) < 2:
        return name.strip(), ""
    short = [p for p in parts if len(p) == 1 or (len(p) <= 3 and p.isupper())]
    long = [p for p in parts if p not in short]
    if not short:
        return parts[-1], "".join(p[0] for p in parts[:-1])
    return " ".join(long) or parts[-1], "".join(short)


def typo(text: str, rng: random.Random) -> str:
    """One typing error on a letter: substitute, delete, insert or swap with the next."""
    positions = [k for k, c in enumerate(text) if c.isalpha()]
    if len(positions) < 10:
        return text
    k = rng.choice(positions[1:-1])
    op = rng.choice(("sub", "del", "ins", "swap"))
    near = "qwertyuiopasdfghjklzxcvbnm"
    if op == "sub":
        return text[:k] + rng.choice(near) + text[k + 1 :]
    if op == "del":
        return text[:k] + text[k + 1 :]
    if op == "ins":
        return text[:k] + rng.choice(near) + text[k:]
    return text[:k] + text[k + 1] + text[k] + text[k + 2 :]


def corrupt_title(title: str, tag: str, rng: random.Random) -> str | None:
    """The title with one corruption, or None if it does not apply to this title."""
    t = title
    if tag == "typo1":
        return typo(t, rng)
    if tag == "typo2":
        return typo(typo(t, rng), rng)
    if tag == "and_amp":
        if " and " in t:
            return t.replace(" and ", " & ", 1)
        if "&" in t:
            return t.replace("&", "and", 1)
        return None
    if tag == "truncate":
        if len(t) < 70:
            return None
        cut = t[: rng.randint(max(50, int(0.55 * len(t))), len(t) - 8)]
        return cut + ("..." if rng.random() < 0.4 else "")
    if tag == "subtitle":
        head, sep, _ = t.partition(": ")
        return head if sep and len(head.split()) >= 4 else None
    if tag == "entities":
        if rng.random() < 0.5:
            t = t.replace("&", "&amp;")
        t = t.replace("'", "&#39;" if rng.random() < 0.5 else "&apos;").replace('"', "&quot;")
        t = "".join(c if ord(c) < 128 else f"&#{ord(c)};" for c in t)
        t = t.replace("<", "&lt;").replace(">", "&gt;")
        if "&" not in t:
            words = t.split()
            k = rng.randrange(len(words))
            words[k] = f"<i>{words[k]}</i>"
            t = " ".join(words)
        if rng.random() < 0.2:
            t = t.replace("&", "&amp;")  # escaped twice by a second exporter
        return t
    if tag == "capitals":
        return t.upper()
    if tag == "brackets":
        return f"[{t.rstrip('.')}]."
    if tag == "greek":
        low = t.lower()
        for word, letter in GREEK:
            if re.search(rf"\b{word}\b", low):
                return re.sub(rf"\b{word}\b", letter, t, count=1, flags=re.I)
            if letter in t:
                return t.replace(letter, word, 1)
        return None
    if tag == "dashes":
        if "-" not in t:
            return None
        return t.replace("-", "–" if rng.random() < 0.5 else " - ")
    raise ValueError(tag)


def corrupt_authors(authors: list[str], tag: str | None, rng: random.Random) -> list[str]:
    """The author list in a layout; `tag` picks a corruption, None the plain PubMed layout."""
    names = [_split_name(a) for a in authors]
    if tag == "no_authors":
        return []
    if tag == "surname_comma_initials":
        return [f"{s}, {' '.join(c + '.' for c in i)}".rstrip(", ") for s, i in names]
    if tag == "initials_first":
        dotted = rng.random() < 0.5
        return [
            f"{'.'.join(i) + '.' if dotted and i else ' '.join(i)} {s}".strip() for s, i in names
        ]
    if tag == "et_al":
        return [f"{names[0][0]} {names[0][1]}".strip(), "et al."] if names else []
    return [f"{s} {i}".strip() for s, i in names]


def _ascii(text: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))


def export(e: dict, tags: list[str], rng: random.Random, copy: int) -> Record:
    title = e["title"]
    for tag in tags:
        if tag in TITLE_CORRUPTIONS:
            title = corrupt_title(title, tag, rng) or title
    author_tag = next((t for t in tags if t in AUTHOR_CORRUPTIONS), None)
    authors = corrupt_authors(e["authors"], author_tag, rng)
    if rng.random() < 0.2:
        authors = [_ascii(a) for a in authors]
    year = e["year"]
    if "year_minus_1" in tags and year:
        year -= 1
    if "no_year" in tags:
        year = None
    start, end = e["pages"]
    pages = rng.choice((f"{start}-{end}", f"{start}-{str(end)[-2:]}", str(start)))
    volume = e["volume"]
    if "no_volume_pages" in tags:
        volume, pages = "", ""
    full, abbrev = e["journal"]
    return Record(
        title=title,
        abstract=e["abstract"] if rng.random() < 0.7 else "",
        authors=authors,
        journal=full if rng.random() < 0.5 else "",
        journal_abbrev=abbrev if rng.random() < 0.6 else "",
        year=year,
        volume=volume,
        issue=e["issue"] if rng.random() < 0.7 else "",
        pages=pages,
        pmid=e["pmid"] if e["pmid"] and rng.random() < 0.3 else None,
        doi=e["doi"] if e["doi"] and rng.random() < 0.3 else None,
        publication_types=list(e.get("pubtypes", [])) if rng.random() < e.get("pt_p", 1) else [],
        source="heldout",
        source_id=f"{e['key']}#{copy}",
    )


# ------------------------------------------------------------------ negatives


def negatives(base: list[dict], rng: random.Random, share: float) -> list[dict]:
    """Errata, comments/replies and conference abstracts of existing references."""
    out = []
    for e in rng.sample(base, int(share * len(base))):
        kind = rng.choice(("erratum", "comment", "conference"))
        neg = dict(e, key=f"{e['key']}:{kind}", pmid=None, doi=None, abstract="")
        start = rng.randint(1, 3000)
        neg["pages"] = (start, start)
        title = e["title"].rstrip(".")
        if kind == "erratum":
            neg["title"] = rng.choice(
                (
                    f"Erratum: {title}.",
                    f"Correction to: {title}.",
                    f'Corrigendum to "{title}".',
                    f"[Erratum to: {title}].",
                    e["title"],  # PubMed: the paper's title, publication type Published Erratum
                )
            )
            neg["pubtypes"] = ["Published Erratum"]
            neg["pt_p"] = 1.0 if neg["title"] == e["title"] else 0.6
            neg["year"] = (e["year"] or 2000) + rng.choice((0, 1))
        elif kind == "comment":
            first = _split_name(e["authors"][0])[0] if e["authors"] else "Smith"
            neg["title"] = rng.choice(
                (
                    f"Comment on: {title}.",
                    f"Re: {title}.",
                    f'Response to "{title}".',
                    f"Reply to {first} et al.: {title}.",
                    f"In reply: {title}.",
                )
            )
            neg["pubtypes"] = ["Comment", "Letter"]
            neg["pt_p"] = 0.6
            neg["authors"] = [rng.choice(("J K Rowan", "M Okafor", "L Fischer"))]
        else:
            neg["pubtypes"] = [rng.choice(("Conference Abstract", "Meeting Abstract"))]
            neg["pt_p"] = 0.8
            neg["year"] = (e["year"] or 2000) - 1
            neg["volume"] = str(rng.randint(1, 90))
            neg["pages"] = (start, start)
            neg["journal"] = (neg["journal"][0] + " (Supplement)", neg["journal"][1] + " Suppl")
        out.append(neg)
    return out


# ------------------------------------------------------------------ the set


def build(half: str, seed: int = SEED, scale: int = 0) -> tuple[list[Record], list[str], list]:
    """Records, their true keys, and each record's corruption tags."""
    rng = random.Random(seed)
    base = [e for e in load_entities() if half in ("all", half_of(e["key"]))]
    for n, e in enumerate(base):
        e["journal"] = rng.choice(JOURNALS)
        e["volume"], e["issue"] = str(rng.randint(1, 120)), str(rng.randint(1, 12))
        start = rng.randint(1, 2800)
        e["pages"] = (start, start + rng.randint(3, 16))
        e["doi"] = f"10.5556/heldout.{half}.{n}" if rng.random() < 0.8 else None
    replicas = [base]
    k = 1
    while scale and sum(len(r) for r in replicas) * 2.2 < scale:
        k += 1
        replicas.append(
            [
                dict(
                    e,
                    key=f"s{k}:{e['key']}",
                    title=shift_letters(e["title"], k),
                    abstract=shift_letters(e["abstract"], k),
                    authors=[shift_letters(a, k) for a in e["authors"]],
                    pmid=f"9{k}{e['pmid']}" if e["pmid"] else None,
                    doi=f"{e['doi']}.s{k}" if e["doi"] else None,
                )
                for e in base
            ]
        )
    entities = [e for rep in replicas for e in rep]
    entities += negatives(entities, rng, 0.05)
    records, truth, tags_of = [], [], []
    for e in entities:
        n_copies = rng.choices((1, 2, 3), weights=(30, 50, 20))[0]
        for copy in range(n_copies):
            tags: list[str] = []
            if copy:
                tags = rng.sample(TITLE_CORRUPTIONS, rng.choice((1, 1, 2)))
                if rng.random() < 0.5:
                    tags.append(rng.choice(AUTHOR_CORRUPTIONS))
                if rng.random() < 0.3:
                    tags.append(rng.choice(OTHER_CORRUPTIONS))
            records.append(export(e, tags, rng, copy))
            truth.append(e["key"])
            tags_of.append(tags)
    order = list(range(len(records)))
    rng.shuffle(order)
    return [records[i] for i in order], [truth[i] for i in order], [tags_of[i] for i in order]


def shares_id(a: Record, b: Record) -> bool:
    return bool((a.pmid and a.pmid == b.pmid) or (a.doi and a.doi == b.doi))


def evaluate(records: list[Record], truth: list[str], tags: list) -> dict:
    true = true_pairs(truth)
    t0, c0 = time.perf_counter(), time.process_time()
    result = deduplicate(records)
    seconds, cpu = time.perf_counter() - t0, time.process_time() - c0
    pred = result.duplicate_pairs()
    tp = len(pred & true)
    no_id = {p for p in true if not shares_id(records[p[0]], records[p[1]])}
    per_tag: dict[str, list[int]] = defaultdict(lambda: [0, 0])
    for p in no_id:
        for tag in set(tags[p[0]]) | set(tags[p[1]]):
            per_tag[tag][0] += p in pred
            per_tag[tag][1] += 1
    wrong = pred - true
    kinds = ("erratum", "comment", "conference")
    wrong_kinds = Counter(
        next((k for k in kinds if truth[i].endswith(":" + k)), "article") for p in wrong for i in p
    )
    return {
        "records": len(records),
        "true": len(true),
        "precision": tp / len(pred) if pred else 1.0,
        "recall": tp / len(true) if true else 1.0,
        "recall_no_id": len(no_id & pred) / len(no_id) if no_id else 1.0,
        "no_id": len(no_id),
        "false": len(wrong),
        "missed": len(true - pred),
        "seconds": seconds,
        "cpu": cpu,
        "review": len(result.review),
        "per_tag": dict(per_tag),
        "wrong_kinds": dict(wrong_kinds),
        "wrong": sorted(wrong),
        "missed_pairs": sorted(true - pred),
    }


def main(argv: list[str] | None = None) -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--half", choices=("dev", "test", "all"), default="dev")
    ap.add_argument("--scale", type=int, default=0, help="records for a timing run")
    ap.add_argument("--show", type=int, default=0, help="print this many errors")
    ap.add_argument("--datatools-python", help="also run asreview-datatools dedup (default)")
    args = ap.parse_args(argv)
    records, truth, tags = build(args.half, scale=args.scale)
    r = evaluate(records, truth, tags)
    print(
        "| set | records | true pairs | precision | recall | recall, pairs without shared id |"
        " time (s) | CPU (s) | review |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(
        f"| held-out {args.half} | {r['records']:,} | {r['true']:,} | "
        f"{100 * r['precision']:.2f}% ({r['false']} false) | {100 * r['recall']:.2f}% "
        f"({r['missed']} missed) | {100 * r['recall_no_id']:.2f}% of {r['no_id']:,} | "
        f"{r['seconds']:.1f} | {r['cpu']:.1f} | {r['review']} |"
    )
    if args.datatools_python:
        dt = run_datatools(args.datatools_python, records, "default")
        p, rc = score(dt["pairs"], true_pairs(truth))
        print(
            f"| asreview-datatools dedup, held-out {args.half} | {len(records):,} | "
            f"{r['true']:,} | {100 * p:.2f}% | {100 * rc:.2f}% | - | {dt['dedup']:.1f} "
            f"(whole process {dt['whole']:.1f}) | {dt['dedup_cpu']:.1f} | - |"
        )
    print("\n| corruption (on either record of a pair without shared id) | pairs | recall |")
    print("|---|---:|---:|")
    for tag, (hit, n) in sorted(r["per_tag"].items()):
        print(f"| {tag} | {n:,} | {100 * hit / n:.2f}% |")
    if r["wrong_kinds"]:
        print(f"\nrecords in false pairs by kind: {r['wrong_kinds']}")
    for i, j in r["wrong"][: args.show]:
        print(f"FALSE {records[i].title[:90]!r} {records[i].authors[:1]} {records[i].year}")
        print(f"      {records[j].title[:90]!r} {records[j].authors[:1]} {records[j].year}")
    for i, j in r["missed_pairs"][: args.show]:
        for k in (i, j):
            x = records[k]
            print(f"MISS  {x.title[:90]!r} {x.authors[:2]} {x.year} {x.volume} {x.pages} {tags[k]}")
        print()


if __name__ == "__main__":
    main()
