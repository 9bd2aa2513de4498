"""The model matrix of a meta-regression and the weighted projections every estimator needs.

In: the k x p model matrix ``X`` and, per call, weights ``w`` (length k) or a stack of weight
vectors (n x k, one row per data set).  Out: coefficients, ``P y``, the generalised Q
statistic y'Py and traces of products of ``P = W - W X (X'WX)^-1 X'W`` with diagonal
matrices - all through p x p matrices, so no k x k matrix is ever formed (a regression test
on k = 100,000 studies needs a few megabytes, not 75 GiB).

With B = WX and A = (X'WX)^-1 (D, D1, D2 diagonal):

    tr(P D)       = sum(w d) - tr(A X' diag(w^2 d) X)
    tr(P D1 P D2) = sum(w^2 d1 d2) - 2 tr(A X' diag(w^3 d1 d2) X)
                    + tr(A X' diag(w^2 d1) X A X' diag(w^2 d2) X)

For the intercept-only model (X = 1) these reduce to sums of powers of w.
"""

from __future__ import annotations

import numpy as np


class Design:
    """A k x p model matrix; methods take weights of shape (k,) or (n, k)."""

    def __init__(self, X: np.ndarray) -> None:
        self.X = np.asarray(X, dtype=float)
        self.k, self.p = self.X.shape
        self.intercept_only = self.p == 1 and bool(np.all(self.X == 1.0))

    @classmethod
    def intercept(cls, k: int) -> Design:
        return cls(np.ones((k, 1)))

    # -- building blocks -------------------------------------------------------------

    def _xdx(self, d: np.ndarray) -> np.ndarray:
        """X' diag(d) X for each row of d: shape (..., p, p)."""
        return np.einsum("ki,...k,kj->...ij", self.X, d, self.X)

    def _inv_xwx(self, w: np.ndarray) -> np.ndarray:
        return np.linalg.inv(self._xdx(w))

    # -- coefficients and residual projections ---------------------------------------

    def coef(self, w: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Weighted least-squares coefficients b = (X'WX)^-1 X'W y, shape (..., p)."""
        if self.intercept_only:
            return (np.sum(w * y, axis=-1) / np.sum(w, axis=-1))[..., None]
        rhs = np.einsum("ki,...k->...i", self.X, w * y)
        return np.linalg.solve(self._xdx(w), rhs[..., None])[..., 0]

    def Py(self, w: np.ndarray, y: np.ndarray) -> np.ndarray:
        """P y = W (y - X b)."""
        if self.intercept_only:
            mean = np.sum(w * y, axis=-1, keepdims=True) / np.sum(w, axis=-1, keepdims=True)
            return w * (y - mean)
        return w * (y - self.coef(w, y) @ self.X.T)

    def Q(self, w: np.ndarray, y: np.ndarray) -> np.ndarray:
        """y'P y, the (generalised) Q statistic; a float for 1-D input."""
        return np.sum(y * self.Py(w, y), axis=-1)

    # -- traces ----------------------------------------------------------------------

    def tr_PD(self, w: np.ndarray, d: np.ndarray | float = 1.0) -> np.ndarray:
        """tr(P D) with D = diag(d)."""
        d = np.broadcast_to(d, np.shape(w))
        if self.intercept_only:
            return np.sum(w * d, axis=-1) - np.sum(w * w * d, axis=-1) / np.sum(w, axis=-1)
        A = self._inv_xwx(w)
        return np.sum(w * d, axis=-1) - np.einsum("...ij,...ji->...", A, self._xdx(w * w * d))

    def tr_PDPD(
        self, w: np.ndarray, d1: np.ndarray | float = 1.0, d2: np.ndarray | float = 1.0
    ) -> np.ndarray:
        """tr(P D1 P D2) with D1 = diag(d1), D2 = diag(d2)."""
        d1 = np.broadcast_to(d1, np.shape(w))
        d2 = np.broadcast_to(d2, np.shape(w))
        w2 = w * w
        first = np.sum(w2 * d1 * d2, axis=-1)
        if self.intercept_only:
            s = np.sum(w, axis=-1)
            middle = np.sum(w2 * w * d1 * d2, axis=-1) / s
            last = np.sum(w2 * d1, axis=-1) * np.sum(w2 * d2, axis=-1) / (s * s)
            return first - 2 * middle + last
        A = self._inv_xwx(w)
        middle = np.einsum("...ij,...ji->...", A, self._xdx(w2 * w * d1 * d2))
        AB1 = A @ self._xdx(w2 * d1)
        AB2 = A @ self._xdx(w2 * d2)
        return first - 2 * middle + np.einsum("...ij,...ji->...", AB1, AB2)

    def traces(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """tr(P) and tr(PP)."""
        return self.tr_PD(w), self.tr_PDPD(w)

    def logdet_XWX(self, w: np.ndarray) -> np.ndarray:
        """log det(X'WX)."""
        if self.intercept_only:
            return np.log(np.sum(w, axis=-1))
        return np.linalg.slogdet(self._xdx(w))[1]

    def P(self, w: np.ndarray) -> np.ndarray:
        """The k x k matrix P itself (only for small k: the GENQ distribution needs it)."""
        WX = self.X * w[:, None]
        return np.diag(w) - WX @ np.linalg.solve(self.X.T @ WX, WX.T)
