"""Deduplication of bibliographic records: Records in, clusters with a primary record out.

Steps (every merge keeps its reason):

1. **Exact identifiers.**  Records with the same PMID, or the same normalised DOI (URL and
   `doi:` prefixes removed, lower case), are merged: "same PMID", "same DOI".  A shared DOI is
   not trusted when the titles disagree (conference supplements share one DOI for hundreds of
   abstracts), and two different PMIDs, or two different DOIs, are never merged.
2. **Blocked fuzzy matching.**  Candidate pairs come from blocks (start and end of the
   normalised title, its three longest words, first author with year or first page), so the
   cost grows with the number of records, not its square.  Each pair is scored on the
   normalised title (rapidfuzz Indel ratio, after HTML entities, markup, diacritics, case and
   punctuation are removed), first-author surname (any name order: "Reimer EJ", "E J Reimer",
   "Reimer, E. J."), year (±1 for e-pub vs print), volume, first page ("337-44" = "337-344"),
   and numbers in the title ("phase 1" vs "phase 2", "Part II" vs "Part III" never merge).
3. **Kinds.**  Errata, comments/replies, retraction notices and conference abstracts are
   a different kind from the article they refer to and are never merged with it.
4. **Clusters** grow from the merges, most similar pair first; the primary record is the most
   complete one, and the merged record fills its empty fields from the others.  A fuzzy merge
   is refused (sent to review) when a member would end up with a title far from the joined
   cluster's primary (below `title_review`, and not a cut-short form of it), so a chain of
   titles each a character from the next cannot drift into one cluster (single linkage);
   nor may a merge bring together, through a third record, two records of different kinds
   or with different volumes, first pages or years (complete linkage on conflicts).
   Pairs that look alike but miss the rules go to a review queue instead of being merged.

`deduplicate(records)` returns a `DedupResult`; `match_existing(new, existing)` says which new
records duplicate ones already held (living updates).
"""

from __future__ import annotations

import html
import itertools
import re
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from rapidfuzz.distance import Indel

from alsreview.records.model import Record, normalise_doi

__all__ = [
    "Cluster",
    "DedupResult",
    "DedupSettings",
    "Merge",
    "ReviewPair",
    "deduplicate",
    "match_existing",
    "normalise_title",
    "surname",
]

# ------------------------------------------------------------------ normalisation

_TAGS = re.compile(r"<[^>]{0,40}>")
_NON_ALNUM = re.compile(r"[^a-z0-9]+")
_ROMAN = {"i", "ii", "iii", "iv", "v", "vi", "vii", "viii", "ix", "x", "xi", "xii"}
# a lone 'i', 'v', 'x' (or 'vi', 'xi') counts as a number only after one of these words
# ('Part I', 'type I'); elsewhere it is a word, an abbreviation ('A v B') or a typing slip
_SERIES = {"part", "phase", "type", "study", "trial", "class", "stage", "grade", "section"}
_SUPPLEMENT = re.compile(r"suppl|\bsup\d", re.I)
_DOI_ANYWHERE = re.compile(r"10\.\d{4,9}/\S+")
_FOLD = str.maketrans(
    {"ß": "ss", "æ": "ae", "ø": "o", "đ": "d", "ł": "l", "œ": "oe", "ı": "i",
     # Greek letters as PubMed spells them ('β-blockers' = 'beta-blockers')
     "α": "alpha", "β": "beta", "γ": "gamma", "δ": "delta", "ε": "epsilon", "κ": "kappa",
     "λ": "lambda", "μ": "mu", "ω": "omega"}
)  # fmt: skip
_ET_AL = re.compile(r"^\s*et\.?\s*al\.?\s*$", re.I)


def fold(text: str) -> str:
    """HTML entities and tags removed, diacritics stripped, lower case."""
    if "&" in text:
        text = html.unescape(html.unescape(text))
    if "<" in text:
        text = _TAGS.sub(" ", text)
    text = text.lower().translate(_FOLD)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(c for c in text if not unicodedata.combining(c))
    return text


def normalise_title(title: str) -> str:
    """Comparable title: folded, '&' read as 'and', punctuation to spaces, single spaces."""
    folded = fold(title)
    if "&" in folded:
        folded = folded.replace("&", " and ")
    return " ".join(_NON_ALNUM.sub(" ", folded).split())


_PARTICLE_INITIALS = re.compile(r"^[A-Z]\.?[a-z]\.?$")  # 'Tirpitz Cv' (C von Tirpitz)


def _is_initials(token: str) -> bool:
    bare = token.replace(".", "").replace("-", "")
    return bool(bare) and bare.isalpha() and (len(bare) == 1 or (len(bare) <= 3 and bare.isupper()))


def surname(name: str) -> str:
    """Family name of an author in any common export order, folded to letters only.

    'Petrou, Panayiota' / 'Petrou P' / 'Petrou, P.' / 'P Petrou' / 'E J Reimer' /
    'Le Chevalier T' / 'T Le Chevalier' -> 'petrou' ... 'lechevalier'."""
    name = name.strip()
    if not name:
        return ""
    if "," in name:
        return _NON_ALNUM.sub("", fold(name.split(",", 1)[0]))
    tokens = name.replace(".", ". ").split()
    if len(tokens) > 1:
        surname_first = not _is_initials(tokens[0])
        while len(tokens) > 1 and (
            _is_initials(tokens[-1]) or (surname_first and _PARTICLE_INITIALS.match(tokens[-1]))
        ):
            tokens.pop()
        while len(tokens) > 1 and _is_initials(tokens[0]):
            tokens.pop(0)
        if len(tokens) > 1 and not any(_is_initials(t) for t in name.split()):
            tokens = tokens[-1:]  # 'Panayiota Petrou': given name first
    return _NON_ALNUM.sub("", fold(" ".join(tokens)))


def _first_page(pages: str) -> str:
    m = re.search(r"\d+", pages or "")
    return m.group(0).lstrip("0") if m else ""


def _volume(volume: str) -> str:
    m = re.search(r"\d+", volume or "")
    return m.group(0).lstrip("0") if m else ""


_KIND_STARTS = {
    "erratum": ("erratum", "correction", "corrigendum", "correction to", "addendum"),
    "retraction": ("retraction", "notice of retraction", "withdrawn", "expression of concern"),
    "comment": (
        "comment on", "comments on", "re:", "reply", "in reply", "response to", "author reply",
    ),
}  # fmt: skip


_KIND_FUZZY = {
    kind: [(p.split()[0], p[len(p.split()[0]) :].strip()) for p in starts if len(p.split()[0]) >= 6]
    for kind, starts in _KIND_STARTS.items()
}


def _starts_with(title: str, kind: str) -> bool:
    """The title opens with one of the kind's words, allowing one typing error in a first
    word of six letters or more ('Commnt on:', 'Erratm:')."""
    if title.startswith(_KIND_STARTS[kind]):
        return True
    word, _, rest = title.partition(" ")
    word = word.rstrip(":.")
    return any(
        word[:1] == first[:1]
        and abs(len(word) - len(first)) <= 1
        and rest.startswith(tail)
        and Indel.normalized_similarity(first, word, score_cutoff=0.85)
        for first, tail in _KIND_FUZZY[kind]
    )


def _kind(rec: Record) -> str:
    """'erratum', 'retraction', 'comment', 'conference' or 'article'."""
    pt = " ".join(rec.publication_types).lower()
    title = fold(rec.title).strip(" [")
    if "erratum" in pt or "correction" in pt or _starts_with(title, "erratum"):
        return "erratum"
    if "retraction of publication" in pt or _starts_with(title, "retraction"):
        return "retraction"
    if re.search(r"\bcomment\b", pt) or _starts_with(title, "comment"):
        return "comment"
    if any(k in pt for k in ("conference", "congress", "meeting abstract", "abstract")):
        return "conference"
    return "article"


@dataclass(frozen=True)
class _Key:
    title: str
    numbers: frozenset[str]
    long_words: str
    first_author: str
    authors: frozenset[str]
    year: int | None
    volume: str
    first_page: str
    journal: str
    abstract: str
    doi: str | None
    pmid: str | None
    kind: str
    supplement: bool  # journal, volume, issue or pages say 'Suppl' / 'S12'
    has_source: bool  # journal given (so a missing 'Suppl' means something)


def _key(rec: Record) -> _Key:
    title = normalise_title(rec.title)
    words = title.split()
    numbers = frozenset(
        w
        for k, w in enumerate(words)
        if w.isdigit()
        or (
            w in _ROMAN
            and ((len(w) > 1 and w not in ("vi", "xi")) or (k and words[k - 1] in _SERIES))
        )
    )
    long_words = " ".join(sorted(sorted(set(words), key=lambda w: (-len(w), w))[:3]))
    names = [surname(a) for a in rec.authors[:12] if not _ET_AL.match(a)]
    names = [n for n in names if n]
    doi = rec.doi or normalise_doi(
        m.group(0) if (m := _DOI_ANYWHERE.search(fold(rec.url or ""))) else None
    )
    return _Key(
        title=title,
        numbers=numbers,
        long_words=long_words,
        first_author=names[0] if names else "",
        authors=frozenset(names),
        year=rec.year,
        volume=_volume(rec.volume),
        first_page=_first_page(rec.pages),
        journal=normalise_title(rec.journal_abbrev or rec.journal),
        abstract=normalise_title(rec.abstract[:600]) if rec.abstract else "",
        doi=doi,
        pmid=rec.pmid,
        kind=_kind(rec),
        supplement=bool(
            _SUPPLEMENT.search(" ".join((rec.journal, rec.journal_abbrev, rec.volume, rec.issue)))
            or re.match(r"\s*S\d", rec.pages or "")
        ),
        has_source=bool(rec.journal or rec.journal_abbrev),
    )


# ------------------------------------------------------------------ results


@dataclass(frozen=True)
class DedupSettings:
    """Thresholds (Indel similarity of normalised titles, 0-1).

    `title_sure`: merge on title alone when author, year, volume and page do not disagree;
    `title_supported`: merge when the first author and year agree and volume, first page or
    abstract agrees too; `title_review`: below a merge, pairs above this go to review;
    `title_prefix`: a shorter title this similar to the start of a longer one is that title
    cut short, merged with first author and year (`cut_words` words at least, similarity
    `title_sure`) or with volume and first page (three words at least)."""

    title_sure: float = 0.96
    title_supported: float = 0.88
    title_review: float = 0.80
    title_prefix: float = 0.90
    cut_words: int = 8
    short_title_words: int = 5
    max_block: int = 60


@dataclass(frozen=True)
class Merge:
    """Two records merged, and why."""

    a: int
    b: int
    reason: str
    score: float


@dataclass(frozen=True)
class ReviewPair:
    """Two records that look alike but were not merged; a person should decide."""

    a: int
    b: int
    reason: str
    score: float


@dataclass(frozen=True)
class Cluster:
    """Records judged to be one reference: indices into the input, the primary and the merge."""

    members: tuple[int, ...]
    primary: int
    record: Record
    merges: tuple[Merge, ...]


@dataclass(frozen=True)
class DedupResult:
    """Clusters of two or more records, the review queue, and counts for PRISMA."""

    n_records: int
    clusters: tuple[Cluster, ...]
    review: tuple[ReviewPair, ...]
    cluster_of: tuple[int, ...] = field(repr=False)  # cluster number per record, -1 if unique

    @property
    def n_duplicates_removed(self) -> int:
        return sum(len(c.members) - 1 for c in self.clusters)

    @property
    def n_unique(self) -> int:
        return self.n_records - self.n_duplicates_removed

    def duplicate_pairs(self) -> set[tuple[int, int]]:
        """Every (i, j), i < j, of records in the same cluster."""
        pairs: set[tuple[int, int]] = set()
        for c in self.clusters:
            m = sorted(c.members)
            pairs.update((m[x], m[y]) for x in range(len(m)) for y in range(x + 1, len(m)))
        return pairs

    def unique_records(self, records: Sequence[Record]) -> list[Record]:
        """One record per reference: the merged record of each cluster, singletons as given."""
        out = []
        for i, rec in enumerate(records):
            c = self.cluster_of[i]
            if c < 0:
                out.append(rec)
            elif self.clusters[c].primary == i:
                out.append(self.clusters[c].record)
        return out

    def summary(self) -> str:
        reasons: dict[str, int] = defaultdict(int)
        for c in self.clusters:
            for m in c.merges:
                reasons[m.reason.split(":")[0]] += 1
        lines = [
            f"{self.n_records} records -> {self.n_unique} unique "
            f"({self.n_duplicates_removed} duplicates removed in {len(self.clusters)} clusters); "
            f"{len(self.review)} pairs to review",
        ]
        lines += [f"  {k}: {v}" for k, v in sorted(reasons.items())]
        return "\n".join(lines)


# ------------------------------------------------------------------ matching


class _Union:
    """Union-find that also keeps each cluster's PMIDs and DOIs, so that no merge ever puts
    two different PMIDs (or DOIs) into one cluster."""

    def __init__(self, keys: Sequence[_Key], rank: Sequence[tuple[int, int, int]]) -> None:
        self.parent = list(range(len(keys)))
        self.pmids = [{k.pmid} if k.pmid else set() for k in keys]
        self.dois = [{k.doi} if k.doi else set() for k in keys]
        self.rank = rank  # completeness: the cluster's primary is its highest-ranked member
        self.primary = list(range(len(keys)))
        self.members: list[list[int]] = [[i] for i in range(len(keys))]

    def find(self, i: int) -> int:
        while self.parent[i] != i:
            self.parent[i] = self.parent[self.parent[i]]
            i = self.parent[i]
        return i

    def conflict(self, a: int, b: int) -> str | None:
        ra, rb = self.find(a), self.find(b)
        if self.pmids[ra] and self.pmids[rb] and self.pmids[ra] != self.pmids[rb]:
            return "different PMIDs"
        if self.dois[ra] and self.dois[rb] and self.dois[ra] != self.dois[rb]:
            return "different DOIs"
        return None

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        keep, drop = min(ra, rb), max(ra, rb)
        self.parent[drop] = keep
        self.pmids[keep] |= self.pmids[drop]
        self.dois[keep] |= self.dois[drop]
        self.primary[keep] = max(self.primary[keep], self.primary[drop], key=self.rank.__getitem__)
        self.members[keep] += self.members[drop]
        self.members[drop] = []
        return True

    def joined_primary(self, a: int, b: int) -> tuple[int, list[int]]:
        """The primary the union of a's and b's clusters would have, and its members."""
        ra, rb = self.find(a), self.find(b)
        primary = max(self.primary[ra], self.primary[rb], key=self.rank.__getitem__)
        return primary, self.members[ra] + self.members[rb]


def _title_sim(a: _Key, b: _Key) -> float:
    if not a.title or not b.title:
        return 0.0
    return Indel.normalized_similarity(a.title, b.title)


def _same_author(a: _Key, b: _Key) -> bool | None:
    """True/False when both have authors, None when one side has none."""
    if not a.first_author or not b.first_author:
        return None
    if a.first_author == b.first_author:
        return True
    if Indel.normalized_similarity(a.first_author, b.first_author) >= 0.8:
        return True
    # first authors swapped or missing in one export: demand a large overlap
    small = min(len(a.authors), len(b.authors))
    return small >= 3 and len(a.authors & b.authors) >= max(2, int(0.6 * small))


def _conflicts(a: _Key, b: _Key, fewer_numbers_ok: bool = False) -> list[str]:
    """What two records disagree on; `fewer_numbers_ok`: a title cut short may have lost
    numbers of the full one, or cut one in the middle (but has none of its own)."""
    out = []
    if a.supplement != b.supplement and a.has_source and b.has_source:
        out.append("only one is in a supplement")
    if a.year is not None and b.year is not None and abs(a.year - b.year) > 1:
        out.append("years differ")
    if a.volume and b.volume and a.volume != b.volume:
        out.append("volumes differ")
    if a.first_page and b.first_page and a.first_page != b.first_page:
        out.append("pages differ")
    if a.numbers != b.numbers and not (fewer_numbers_ok and _cut_numbers(a, b)):
        out.append("numbers in title differ")
    return out


def _cut_numbers(a: _Key, b: _Key) -> bool:
    """The shorter title's numbers are the longer's, but for its last word (cut mid-number)."""
    short, long = (a, b) if len(a.title) <= len(b.title) else (b, a)
    last = short.title.rsplit(" ", 1)[-1]
    return short.numbers - {last} <= long.numbers


def _id_conflict(a: _Key, b: _Key) -> str | None:
    if a.pmid and b.pmid and a.pmid != b.pmid:
        return "different PMIDs"
    if a.doi and b.doi and a.doi != b.doi:
        return "different DOIs"
    return None


def _judge(a: _Key, b: _Key, s: DedupSettings) -> tuple[str, str, float]:
    """('merge' | 'review' | 'no', reason, score) for a candidate pair without a shared id."""
    sim = _title_sim(a, b)
    cut, cut_words = _cut_short(a, b)
    prefix = cut >= s.title_prefix
    if sim < s.title_review and not prefix:
        return "no", "", sim
    citation = bool(
        a.volume and a.volume == b.volume and a.first_page and a.first_page == b.first_page
    )
    if a.kind != b.kind and not (citation and {a.kind, b.kind} == {"article", "conference"}):
        return "no", "", sim  # (one export may lack the 'Conference Abstract' type)
    author = _same_author(a, b)
    conflicts = _conflicts(a, b, fewer_numbers_ok=prefix and citation)
    id_conflict = _id_conflict(a, b)
    short = min(len(a.title.split()), len(b.title.split())) < s.short_title_words
    text = f"title {sim:.2f}"
    if id_conflict or conflicts or author is False:
        why = id_conflict or ", ".join(conflicts) or "first authors differ"
        if sim >= s.title_sure and (author is not False or not conflicts):
            return "review", f"{text} but {why}", sim
        return "no", "", sim
    year_same = a.year is not None and a.year == b.year
    detail_match = (a.volume and a.volume == b.volume) or (
        a.first_page and a.first_page == b.first_page
    )
    abstract_match = bool(a.abstract and b.abstract) and (
        Indel.normalized_similarity(a.abstract, b.abstract) >= 0.9
    )
    if sim >= s.title_sure and not short:
        support = [text]
        if author:
            support.append("first author")
        if a.year is not None and b.year is not None:
            support.append("year" if year_same else "year ±1")
        if author or year_same or detail_match or abstract_match:
            return "merge", "fuzzy: " + ", ".join(support), sim
        return "review", f"{text}, nothing else to compare", sim
    years = year_close(a, b)
    supported = author and (detail_match or abstract_match) and (years or citation)
    if supported and (sim >= s.title_supported or (short and sim >= s.title_sure)):
        extra = "volume/page" if detail_match else "abstract"
        year = ("year" if year_same else "year ±1") if years else "year missing"
        return "merge", f"fuzzy: {text}, first author, {year}, {extra}", sim
    cut_text = f"one title is the other cut short ({cut:.2f})"
    if prefix and author and years and cut_words >= s.cut_words and cut >= s.title_sure:
        return "merge", f"fuzzy: {cut_text}, first author, year", cut
    if prefix and author and years and abstract_match and cut_words >= s.short_title_words - 2:
        return "merge", f"fuzzy: {cut_text}, first author, year, abstract", cut
    if prefix and citation and author is not False and cut_words >= s.short_title_words - 2:
        who = "first author" if author else "authors missing"
        return "merge", f"fuzzy: {cut_text}, volume, first page, {who}", cut
    if author is None and citation and sim >= s.title_supported:
        return "merge", f"fuzzy: {text}, volume, first page (authors missing)", sim
    return "review", f"{text}, first author {'agrees' if author else 'unknown'}", sim


def _cut_short(a: _Key, b: _Key) -> tuple[float, int]:
    """(similarity, words of the shorter) when one title may be the other cut short (subtitle
    dropped, or an export's length limit, possibly with typing errors): the shorter title is
    compared with the start of the longer one of the same length.  A cut in the middle of a
    word of a title of 40 characters or more (a length limit, not a dropped subtitle) counts
    as `cut_words` words.  (0, 0) when the titles are about the same length."""
    short, long = (a.title, b.title) if len(a.title) <= len(b.title) else (b.title, a.title)
    if not short or len(short) > len(long) - 3:
        return 0.0, 0
    words = short.count(" ") + 1
    if len(short) >= 40 and long[len(short)] != " " and long[len(short) - 1] != " ":
        words = max(words, DedupSettings.cut_words)
    return Indel.normalized_similarity(short, long[: len(short)]), words


def _hard_conflict(a: _Key, b: _Key) -> str | None:
    """What forbids two records to share a cluster even through others: different kinds
    (a conference abstract and its paper), volumes, first pages, or years two or more apart."""
    if a.kind != b.kind and not (
        {a.kind, b.kind} == {"article", "conference"}
        and a.volume
        and a.volume == b.volume
        and a.first_page
        and a.first_page == b.first_page
    ):
        return f"{a.kind} and {b.kind}"
    conflicts = [c for c in _conflicts(a, b, fewer_numbers_ok=True) if "numbers" not in c]
    return ", ".join(conflicts) or None


def _near(a: _Key, b: _Key, s: DedupSettings) -> bool:
    """A cluster member is near its primary: titles at least `title_review` alike, or one the
    other cut short, or one title missing."""
    if a is b or not a.title or not b.title:
        return True
    return _title_sim(a, b) >= s.title_review or _cut_short(a, b)[0] >= s.title_prefix


def year_close(a: _Key, b: _Key) -> bool:
    return a.year is not None and b.year is not None and abs(a.year - b.year) <= 1


def _blocks(keys: Sequence[_Key]) -> dict[str, list[int]]:
    blocks: dict[str, list[int]] = defaultdict(list)
    for i, k in enumerate(keys):
        if len(k.title) >= 12:
            blocks["t" + k.title[:24]].append(i)
            blocks["e" + k.title[-24:]].append(i)
        if k.long_words:
            blocks["w" + k.long_words].append(i)
        if k.first_author:
            if k.year is not None:
                blocks[f"a{k.first_author}:{k.year}"].append(i)
            if k.first_page:
                blocks[f"p{k.first_author}:{k.first_page}"].append(i)
        if k.volume and k.first_page:
            blocks[f"c{k.volume}:{k.first_page}"].append(i)
    return blocks


def _candidate_pairs(keys: Sequence[_Key], s: DedupSettings) -> set[tuple[int, int]]:
    pairs: set[tuple[int, int]] = set()
    for members in _blocks(keys).values():
        n = len(members)
        if n < 2:
            continue
        if n <= s.max_block:
            pairs.update((members[x], members[y]) for x in range(n) for y in range(x + 1, n))
            continue
        # a huge block (a generic title such as 'Editorial'): compare only within the same
        # first author, and neighbours in title order
        by_author: dict[str, list[int]] = defaultdict(list)
        for i in members:
            by_author[keys[i].first_author].append(i)
        for sub in by_author.values():
            if 1 < len(sub) <= s.max_block:
                pairs.update(
                    (sub[x], sub[y]) for x in range(len(sub)) for y in range(x + 1, len(sub))
                )
        ordered = sorted(members, key=lambda i: keys[i].title)
        pairs.update((min(a, b), max(a, b)) for a, b in itertools.pairwise(ordered))
    return pairs


def _completeness(rec: Record) -> tuple[int, int]:
    filled = sum(
        bool(v)
        for v in (
            rec.title, rec.abstract, rec.authors, rec.journal, rec.year, rec.volume, rec.issue,
            rec.pages, rec.doi, rec.pmid, rec.pmcid, rec.keywords, rec.mesh_terms,
        )
    )  # fmt: skip
    return filled, len(rec.abstract)


def merge_records(records: Sequence[Record], primary: int) -> Record:
    """The primary record with its empty fields filled from the others (lists united)."""
    base = records[primary].copy()
    others = [r for i, r in enumerate(records) if i != primary]
    for r in others:
        for name in (
            "title",
            "journal",
            "journal_abbrev",
            "volume",
            "issue",
            "pages",
            "language",
            "url",
            "doi",
            "pmid",
            "pmcid",
            "nct_id",
            "eudract_id",
            "year",
            "decision",
        ):
            if not getattr(base, name) and getattr(r, name):
                setattr(base, name, getattr(r, name))
        if len(r.abstract) > len(base.abstract):
            base.abstract, base.abstract_sections = r.abstract, list(r.abstract_sections)
        if not base.authors and r.authors:
            base.authors = list(r.authors)
        for name in ("keywords", "mesh_terms", "publication_types", "labels"):
            merged = list(getattr(base, name))
            merged += [v for v in getattr(r, name) if v not in merged]
            setattr(base, name, merged)
    base.extra = dict(base.extra)
    base.extra["merged_from"] = [f"{r.source}:{r.source_id}" for r in records]
    return base


def deduplicate(records: Sequence[Record], settings: DedupSettings | None = None) -> DedupResult:
    """Find duplicate records; see the module docstring for the rules."""
    s = settings or DedupSettings()
    keys = [_key(r) for r in records]
    n = len(keys)
    rank = [(*_completeness(r), -i) for i, r in enumerate(records)]
    union = _Union(keys, rank)
    id_linked: set[int] = set()  # joined by PMID/DOI: exempt from the title-to-primary check
    merges: list[Merge] = []
    review: dict[tuple[int, int], ReviewPair] = {}

    # 1. exact identifiers
    for attr, label in (("pmid", "same PMID"), ("doi", "same DOI")):
        groups: dict[str, list[int]] = defaultdict(list)
        for i, k in enumerate(keys):
            value = getattr(k, attr)
            if value:
                groups[value].append(i)
        for value, members in groups.items():
            if len(members) < 2:
                continue
            head = members[0]
            for j in members[1:]:
                a, b = keys[head], keys[j]
                if union.find(head) == union.find(j):
                    continue
                clash = union.conflict(head, j)
                if clash:
                    review[(head, j)] = ReviewPair(head, j, f"{label} {value}, {clash}", 1.0)
                    continue
                if attr == "doi" and (
                    a.kind != b.kind or (a.title and b.title and _title_sim(a, b) < 0.6)
                ):
                    review[(head, j)] = ReviewPair(
                        head, j, f"same DOI {value} but different titles or kinds", 1.0
                    )
                    continue
                if union.union(head, j):
                    merges.append(Merge(head, j, f"{label}: {value}", 1.0))
                    id_linked.update((head, j))

    # 2. blocked fuzzy matching; merges applied best first, and a merge may not join a record
    # whose title is far from the joined cluster's primary (no single-linkage drift)
    proposed: list[tuple[float, int, int, str]] = []
    for i, j in sorted(_candidate_pairs(keys, s)):
        if union.find(i) == union.find(j):
            continue
        verdict, reason, score = _judge(keys[i], keys[j], s)
        if verdict == "merge":
            proposed.append((-score, i, j, reason))
        elif verdict == "review":
            review[(i, j)] = ReviewPair(i, j, reason, score)
    for neg_score, i, j, reason in sorted(proposed):
        score = -neg_score
        if union.find(i) == union.find(j):
            continue
        clash = union.conflict(i, j)
        if clash:
            review[(i, j)] = ReviewPair(i, j, f"{reason} (clusters have {clash})", score)
            continue
        primary, members = union.joined_primary(i, j)
        far = next(
            (m for m in members if m not in id_linked and not _near(keys[m], keys[primary], s)),
            None,
        )
        if far is not None:
            sim = _title_sim(keys[far], keys[primary])
            review[(i, j)] = ReviewPair(
                i, j, f"{reason}, but record {far} would be {sim:.2f} from the primary", score
            )
            continue
        bridge = next(
            (
                (x, y, why)
                for x in union.members[union.find(i)]
                for y in union.members[union.find(j)]
                if (why := _hard_conflict(keys[x], keys[y]))
            ),
            None,
        )
        if bridge is not None:
            x, y, why = bridge
            review[(i, j)] = ReviewPair(
                i, j, f"{reason}, but it would join records {x} and {y}: {why}", score
            )
        elif union.union(i, j):
            merges.append(Merge(i, j, reason, score))

    # 3. clusters
    members_of: dict[int, list[int]] = defaultdict(list)
    for i in range(n):
        members_of[union.find(i)].append(i)
    merges_of: dict[int, list[Merge]] = defaultdict(list)
    for m in merges:
        merges_of[union.find(m.a)].append(m)
    clusters: list[Cluster] = []
    cluster_of = [-1] * n
    for root, members in sorted(members_of.items()):
        if len(members) < 2:
            continue
        primary = union.primary[root]
        group = [records[i] for i in members]
        merged = merge_records(group, members.index(primary))
        for i in members:
            cluster_of[i] = len(clusters)
        clusters.append(Cluster(tuple(members), primary, merged, tuple(merges_of[root])))
    queue = tuple(p for (i, j), p in sorted(review.items()) if union.find(i) != union.find(j))
    return DedupResult(n, tuple(clusters), queue, tuple(cluster_of))


def match_existing(
    new: Sequence[Record], existing: Iterable[Record], settings: DedupSettings | None = None
) -> dict[int, tuple[int, str]]:
    """For living updates: {index in `new`: (index in `existing`, reason)} for every new record
    that duplicates a record already held.  New records duplicating only each other are not
    reported here (run `deduplicate` on the new batch for that)."""
    old = list(existing)
    result = deduplicate([*old, *new], settings)
    out: dict[int, tuple[int, str]] = {}
    n_old = len(old)
    for c in result.clusters:
        olds = [i for i in c.members if i < n_old]
        if not olds:
            continue
        for i in c.members:
            if i >= n_old:
                reason = next((m.reason for m in c.merges if i in (m.a, m.b)), c.merges[0].reason)
                out[i - n_old] = (olds[0], reason)
    return out
