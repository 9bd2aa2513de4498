"""Summary statistics as trial papers print them: mean ± SEM and mean ± SD, labelled.

In: a sequence of numbers (NaN = missing, dropped). Out: a frozen `Describe` with n, mean,
SD (n − 1 denominator) and SEM = SD/√n, and text such as "51.2 ± 1.7 (mean ± SEM, n = 26)".
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass

from alsreview.results import Result


@dataclass(frozen=True, repr=False)
class Describe(Result):
    """n, mean, SD and SEM of the non-missing values."""

    n: int
    mean: float
    sd: float
    sem: float

    def mean_sem(self, digits: int = 1) -> str:
        return f"{self.mean:.{digits}f} ± {self.sem:.{digits}f}"

    def mean_sd(self, digits: int = 1) -> str:
        return f"{self.mean:.{digits}f} ± {self.sd:.{digits}f}"

    def summary(self, digits: int = 1) -> str:
        return (
            f"{self.mean_sem(digits)} (mean ± SEM), {self.mean_sd(digits)} (mean ± SD), "
            f"n = {self.n}"
        )


def describe(values: Iterable[float]) -> Describe:
    """Mean, SD = sqrt(Σ(x − mean)²/(n − 1)) and SEM = SD/√n of the finite values."""
    xs = [float(v) for v in values if v is not None and not math.isnan(float(v))]
    n = len(xs)
    if n == 0:
        return Describe(0, math.nan, math.nan, math.nan)
    mean = math.fsum(xs) / n
    if n == 1:
        return Describe(1, mean, math.nan, math.nan)
    sd = math.sqrt(math.fsum((x - mean) ** 2 for x in xs) / (n - 1))
    return Describe(n, mean, sd, sd / math.sqrt(n))
