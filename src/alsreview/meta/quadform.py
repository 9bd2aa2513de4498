"""Tail probability of a positive quadratic form in normal variables (Ruben's series).

In: ``q`` and weights ``lam`` (eigenvalues, all >= 0).  Out: P(sum_j lam_j X_j > q) with
X_j independent chi^2_1.  Ruben (1962, Ann Math Stat 33:542-570) writes the distribution as
a mixture of scaled chi-squares: with beta = min(lam) and m weights,

    P(Q > q) = sum_k a_k P(chi^2_{m+2k} > q / beta),
    a_0 = prod_j (beta / lam_j)^(1/2),  a_k = 1/(2k) sum_{r<k} G_{k-r} a_r,
    G_i = sum_j (1 - beta / lam_j)^i.

With beta = min(lam) every a_k >= 0 and sum a_k = 1, so the series is stopped when the
weights left out are below 1e-13 (the error bound on the probability).  Farebrother's
algorithm, which metafor calls through CompQuadForm, evaluates the same series.
"""

from __future__ import annotations

import math

import numpy as np

from alsreview.errors import ConvergenceError

MAX_TERMS = 200_000


def quadform_sf(q: float, lam: np.ndarray) -> float:
    """P(sum lam_j chi2_1 > q)."""
    from scipy.special import chdtrc

    lam = np.asarray(lam, dtype=float)
    lam = lam[lam > 1e-12 * max(1.0, float(np.max(lam, initial=0.0)))]
    if lam.size == 0 or q <= 0:
        return 1.0 if q <= 0 else 0.0
    m = lam.size
    beta = float(lam.min())
    log_a0 = 0.5 * float(np.sum(np.log(beta / lam)))
    if log_a0 < -700:
        raise ConvergenceError(
            "the weights of the quadratic form are too spread out for Ruben's series"
        )
    ratio = 1 - beta / lam  # in [0, 1)
    G = np.zeros(1024)  # G[i-1] = G_i
    A = np.zeros(1024)  # A[k] = a_k
    A[0] = math.exp(log_a0)
    power = np.ones(m)
    total = A[0]
    k = 0
    while 1 - total > 1e-13 and k < MAX_TERMS:
        k += 1
        if k >= A.size:
            G, A = np.resize(G, 2 * G.size), np.resize(A, 2 * A.size)
        power = power * ratio
        G[k - 1] = power.sum()
        A[k] = np.dot(G[k - 1 :: -1], A[:k]) / (2 * k)
        total += A[k]
    if 1 - total > 1e-13:
        raise ConvergenceError("Ruben's series did not converge")
    dfs = m + 2 * np.arange(k + 1)
    prob = float(np.dot(A[: k + 1], chdtrc(dfs, q / beta)))
    return min(1.0, max(0.0, prob))
