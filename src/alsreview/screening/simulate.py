"""Screening simulation: replay a labelled set through the ranking and measure work saved.

In: texts and 0/1 labels (`alsreview.records.labelled.read_labelled_csv` reads the CSV),
a seed that picks the prior records (one included, one excluded), or explicit priors.
Out: a frozen `SimulationResult` with the screening order and the metrics below.

The priors are screened first and count as screened records.  Then, after every record,
the model is refit on everything labelled so far and the top-ranked unscreened record is
screened next, as a reviewer using `alsreview screen` would.  Metrics (Cohen et al. 2006,
JAMIA 13:206; van de Schoot et al. 2021, Nat Mach Intell 3:125):

    frac_screened_R = (records screened when recall first reaches R) / N,
                      where reaching R means ceil(R * n_included) included records found
    wss95           = 1 - frac_screened_95 - 0.05  (work saved over sampling at 95 % recall)
    recall_at_10    = included found among the first round(0.10 * N) records / n_included
    atd             = average time to discovery: mean over included records of the
                      fraction of records screened when each was found
"""

from __future__ import annotations

import dataclasses
import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import numpy.typing as npt

from alsreview.errors import ValidationError
from alsreview.results import Result

if TYPE_CHECKING:
    from alsreview.screening.ranking import Ranker

JSON_KEYS = (
    "wss95",
    "recall_at_10",
    "frac_screened_95",
    "frac_screened_100",
    "n_records",
    "n_included",
)


def choose_priors(labels: npt.ArrayLike, seed: int) -> tuple[int, int]:
    """(included index, excluded index) drawn with numpy's default_rng(seed)."""
    y = np.asarray(labels)
    rng = np.random.default_rng(seed)
    inc = int(rng.choice(np.flatnonzero(y == 1)))
    exc = int(rng.choice(np.flatnonzero(y == 0)))
    return inc, exc


def frac_screened(found: Sequence[int], n_included: int, recall: float) -> float:
    """Fraction of records screened when `ceil(recall * n_included)` were found."""
    target = math.ceil(recall * n_included - 1e-9)
    cum = np.cumsum(found)
    hit = int(np.argmax(cum >= target)) + 1
    return hit / len(found)


def wss(found: Sequence[int], n_included: int, recall: float = 0.95) -> float:
    """Work saved over sampling at `recall` (Cohen et al. 2006)."""
    return 1.0 - frac_screened(found, n_included, recall) - (1.0 - recall)


def recall_at(found: Sequence[int], n_included: int, fraction: float = 0.10) -> float:
    """Recall after the first round(fraction * N) records were screened."""
    n = round(fraction * len(found))
    return float(np.sum(np.asarray(found)[:n]) / n_included)


def average_time_to_discovery(found: Sequence[int]) -> float:
    """Mean fraction of records screened when each included record was found."""
    positions = np.flatnonzero(np.asarray(found) == 1) + 1
    return float(np.mean(positions) / len(found))


@dataclass(frozen=True, repr=False)
class SimulationResult(Result):
    """One simulated screening: the order records were screened in and its metrics."""

    order: tuple[int, ...]  # indices into the input, screening order (priors first)
    found: tuple[int, ...]  # label of each screened record, same order
    n_records: int
    n_included: int
    priors: tuple[int, ...]
    seed: int | None
    seconds: float
    wss95: float
    recall_at_10: float
    frac_screened_95: float
    frac_screened_100: float
    atd: float
    model: str = field(default="")
    notes: tuple[str, ...] = ()  # e.g. why the default model ran without embeddings

    #: `to_dict()` (and so `alsreview simulate --json`) gives exactly these keys
    _dict_keys = JSON_KEYS

    def recall_curve(self) -> tuple[np.ndarray, np.ndarray]:
        """(fraction screened, recall) after each screened record, starting at (0, 0)."""
        n = len(self.found)
        x = np.arange(0, n + 1) / self.n_records
        y = np.concatenate([[0.0], np.cumsum(self.found) / self.n_included])
        return x, y

    def summary(self) -> str:
        return (
            f"{self.n_records} records, {self.n_included} included; WSS@95 "
            f"{self.wss95:.3f}, recall after 10% {self.recall_at_10:.3f}, screened to 95% "
            f"recall {self.frac_screened_95:.3f}, to 100% {self.frac_screened_100:.3f}"
        )


def simulate(
    texts: Sequence[str],
    labels: Sequence[int],
    *,
    seed: int | None = 0,
    priors: Sequence[int] | None = None,
    query: str | None = None,
    ranker_factory: Callable[..., Ranker] | None = None,
) -> SimulationResult:
    """Replay screening until every included record is found (see the module docstring).

    `priors` overrides the seed's choice; `ranker_factory(texts, query=...)` defaults to
    `alsreview.screening.ranking.Ranker`."""
    y = np.asarray(labels, dtype=int)
    n = len(y)
    if n == 0 or len(texts) != n:
        raise ValidationError(f"need one label per text, got {len(texts)} texts, {n} labels")
    if set(np.unique(y).tolist()) != {0, 1}:
        raise ValidationError("labels must be 0/1 with both classes present")
    if priors is None:
        if seed is None:
            raise ValidationError("give a seed or the prior records")
        priors = choose_priors(y, seed)
    priors = [int(i) for i in priors]
    if len(set(priors)) != len(priors) or not all(0 <= i < n for i in priors):
        raise ValidationError(f"prior indices must be distinct and within 0..{n - 1}")
    if ranker_factory is None:
        from alsreview.screening.ranking import Ranker

        ranker_factory = Ranker
    start = time.perf_counter()
    ranker = ranker_factory(list(texts), query=query)
    order: list[int] = list(priors)
    screened = np.zeros(n, dtype=bool)
    screened[priors] = True
    n_incl = int(y.sum())
    found = int(y[priors].sum())
    while found < n_incl:
        idx = np.asarray(order)
        scores, _ = ranker.scores(idx, y[idx])
        pool = np.flatnonzero(~screened)
        nxt = int(pool[np.argmax(scores[pool])])  # first of the maxima: ties by position
        screened[nxt] = True
        order.append(nxt)
        found += int(y[nxt])
    seconds = time.perf_counter() - start
    seen = y[order].tolist()
    # records never reached are screened last, in random order (they hold no includes)
    rest = np.flatnonzero(~screened)
    full = seen + [0] * len(rest)
    model = getattr(ranker, "name", type(ranker).__name__)
    return SimulationResult(
        order=tuple(order),
        found=tuple(full[: len(order)]),
        n_records=n,
        n_included=n_incl,
        priors=tuple(priors),
        seed=seed,
        seconds=seconds,
        wss95=wss(full, n_incl, 0.95),
        recall_at_10=recall_at(full, n_incl, 0.10),
        frac_screened_95=frac_screened(full, n_incl, 0.95),
        frac_screened_100=frac_screened(full, n_incl, 1.0),
        atd=average_time_to_discovery(full),
        model=str(model),
    )


def simulate_file(path: str, *, seed: int, query: str | None = None) -> SimulationResult:
    """Read a labelled CSV (`label_included`) and simulate it with the default model."""
    from alsreview.records.labelled import read_labelled_csv
    from alsreview.screening.ranking import (
        EMBEDDING_WEIGHT,
        Ranker,
        default_embeddings,
        record_text,
    )

    data = read_labelled_csv(path)
    texts = [record_text(r) for r in data.records]
    emb, why = default_embeddings(texts)  # computed once per text, cached on disk
    factory = functools.partial(Ranker, embeddings=emb) if emb is not None else None
    result = simulate(texts, data.labels, seed=seed, query=query, ranker_factory=factory)
    if EMBEDDING_WEIGHT and emb is None:
        result = dataclasses.replace(result, notes=(*result.notes, why))
    return result
