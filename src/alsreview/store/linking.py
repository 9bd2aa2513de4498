"""Link an incoming batch of records to the records already in a project.

In: the project's primary records `[(store id, Record)]` and a new batch `[Record]`.
Out: one `Link` per new record that duplicates something (an existing primary, or an
earlier record of the same batch), with the reason.

"full" mode runs `alsreview.dedup.deduplicate` (identifiers with its safeguards, then
blocked fuzzy matching; errata and comments kept apart) on the existing primaries plus the
batch.  "exact" mode only compares identifiers (normalised DOI, PMID, PMCID; an NCT number
only between registry records, since a trial's publications carry its NCT number but are
different reports).  A cluster that holds an existing record keeps that record as its
primary (it is already in screening); otherwise the first record of the batch is primary.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from alsreview.records.model import Record


@dataclass(frozen=True)
class Link:
    new_index: int
    existing_id: int | None  # the project's primary, or None when the primary is in the batch
    new_primary: int | None  # index of the batch primary when existing_id is None
    reason: str


def identifier_keys(r: Record) -> list[tuple[str, str]]:
    """The exact identifiers two records must share to be the same report."""
    keys = []
    if r.doi:
        keys.append(("DOI", r.doi))
    if r.pmid:
        keys.append(("PMID", r.pmid))
    if r.pmcid:
        keys.append(("PMCID", r.pmcid.upper()))
    if r.nct_id and r.source_id and r.source_id.upper() == r.nct_id.upper():
        keys.append(("NCT", r.nct_id.upper()))
    return keys


class _UnionFind:
    def __init__(self, n: int) -> None:
        self.parent = list(range(n))

    def find(self, a: int) -> int:
        while self.parent[a] != a:
            self.parent[a] = self.parent[self.parent[a]]
            a = self.parent[a]
        return a

    def union(self, a: int, b: int) -> bool:
        ra, rb = self.find(a), self.find(b)
        if ra == rb:
            return False
        if rb < ra:
            ra, rb = rb, ra
        self.parent[rb] = ra  # the smaller node (existing records come first) stays root
        return True


@dataclass(frozen=True)
class ReviewPair:
    """Two records that look alike but were not linked: a person should decide.

    Each side is ("existing", store id) or ("new", index in the batch)."""

    a: tuple[str, int]
    b: tuple[str, int]
    reason: str


def link_records(
    existing: Sequence[tuple[int, Record]],
    batch: Sequence[Record],
    *,
    mode: str = "full",
    review: list[ReviewPair] | None = None,
) -> list[Link]:
    """Duplicate links for the batch; nodes 0..E-1 are existing records, E.. the batch.

    In "full" mode, borderline pairs that involve a new record are appended to `review`."""
    n_old = len(existing)
    uf = _UnionFind(n_old + len(batch))
    why: dict[int, str] = {}
    if mode == "full":
        clusters, pairs = _fuzzy_clusters([r for _, r in existing] + list(batch))

        def side(i: int) -> tuple[str, int]:
            return ("existing", existing[i][0]) if i < n_old else ("new", i - n_old)

        if review is not None:
            review.extend(
                ReviewPair(side(a), side(b), reason)
                for a, b, reason in pairs
                if a >= n_old or b >= n_old
            )
        for members, reasons in clusters:
            if all(m < n_old for m in members):
                continue
            for m in members[1:]:
                uf.union(members[0], m)
            for m in members:
                if m >= n_old:
                    why[m] = reasons.get(m) or next(iter(reasons.values()), "same reference")
    else:
        owner: dict[tuple[str, str], int] = {}
        for node, (_rid, rec) in enumerate(existing):
            for key in identifier_keys(rec):
                owner.setdefault(key, node)
        for j, rec in enumerate(batch):
            node = n_old + j
            for key in identifier_keys(rec):
                other = owner.setdefault(key, node)
                if other != node and uf.union(other, node):
                    why.setdefault(node, f"same {key[0]} {key[1]}")
    root_reason: dict[int, str] = {}
    for k in sorted(why):
        root_reason.setdefault(uf.find(k), why[k])
    links: list[Link] = []
    for j in range(len(batch)):
        node = n_old + j
        root = uf.find(node)
        if root == node:
            continue
        reason = why.get(node) or root_reason.get(root, "same reference")
        if root < n_old:
            links.append(Link(j, existing[root][0], None, reason))
        else:
            links.append(Link(j, None, root - n_old, reason))
    return links


def _fuzzy_clusters(
    records: list[Record],
) -> tuple[list[tuple[list[int], dict[int, str]]], list[tuple[int, int, str]]]:
    """Clusters (sorted indices into `records`) from `alsreview.dedup.deduplicate`, with the
    reason of the merge that brought each member in; and the pairs it left for review."""
    from alsreview.dedup import deduplicate

    result = deduplicate(records)
    out = []
    for c in result.clusters:
        reasons: dict[int, str] = {}
        for m in c.merges:
            reasons.setdefault(m.b, m.reason)
            reasons.setdefault(m.a, m.reason)
        out.append((sorted(c.members), reasons))
    return out, [(p.a, p.b, p.reason) for p in result.review]
