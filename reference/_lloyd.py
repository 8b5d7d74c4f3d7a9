"""Lloyd's algorithm: the three contract steps, inertia, initialisation and the loop.

The public functions validate their inputs once and hand plain float64 arrays
to small private kernels (``_assign``, ``_update``, ...). The kernels never
allocate an (n, k, d) temporary: rows are processed in chunks so the extra
memory stays at O(chunk * k) whatever the size of the data.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from ._validation import check_labels, check_means, check_n_clusters, check_X

# Rows per chunk: keeps a chunk's (rows, k) distance block inside the L2 cache.
_CHUNK_ROWS = 4096
# Below this many features the exact difference form is as fast as GEMM.
_SMALL_D = 8


# --------------------------------------------------------------------------- kernels
def _sq_distances_exact(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(n, k) squared distances from the differences: exact, for small d."""
    out = np.zeros((X.shape[0], means.shape[0]))
    for j in range(X.shape[1]):
        diff = X[:, j, None] - means[None, :, j]
        out += diff * diff
    return out


def _assign(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Index of the nearest mean for every row; exact ties go to the lowest index."""
    n, d = X.shape
    labels = np.empty(n, dtype=np.intp)
    means_sq = np.einsum("ij,ij->i", means, means)
    for start in range(0, n, _CHUNK_ROWS):
        chunk = X[start:start + _CHUNK_ROWS]
        if d <= _SMALL_D:
            labels[start:start + _CHUNK_ROWS] = _sq_distances_exact(chunk, means).argmin(axis=1)
            continue
        # ||x - m||^2 = ||x||^2 - 2 x.m + ||m||^2; ||x||^2 does not change the argmin.
        partial = means_sq - 2.0 * (chunk @ means.T)
        best = partial.argmin(axis=1)
        labels[start:start + _CHUNK_ROWS] = best
        # The expansion rounds differently from the definition; rows whose best two
        # candidates are within rounding error are recomputed exactly.
        x_sq = np.einsum("ij,ij->i", chunk, chunk)
        scale = x_sq + means_sq.max()
        gap = partial - partial[np.arange(len(chunk)), best][:, None]
        gap[np.arange(len(chunk)), best] = np.inf
        near = np.flatnonzero(gap.min(axis=1) <= 64 * d * np.finfo(float).eps * scale) \
            if means.shape[0] > 1 else np.empty(0, dtype=np.intp)
        if near.size:
            exact = ((chunk[near, None, :] - means[None, :, :]) ** 2).sum(axis=2)
            labels[start + near] = exact.argmin(axis=1)
    return labels


def _update(X: np.ndarray, labels: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Mean of each cluster's rows; an empty cluster keeps its current mean."""
    k, d = means.shape
    counts = np.bincount(labels, minlength=k)
    sums = np.empty((k, d))
    for j in range(d):
        sums[:, j] = np.bincount(labels, weights=X[:, j], minlength=k)
    new = means.copy()
    filled = counts > 0
    new[filled] = sums[filled] / counts[filled, None]
    return new


def _inertia(X: np.ndarray, means: np.ndarray, labels: np.ndarray) -> float:
    total = 0.0
    for start in range(0, X.shape[0], _CHUNK_ROWS):
        diff = X[start:start + _CHUNK_ROWS] - means[labels[start:start + _CHUNK_ROWS]]
        total += float(np.einsum("ij,ij->", diff, diff))
    return total


# --------------------------------------------------------------------------- contract
def assign(X, means) -> np.ndarray:
    """Index of the nearest mean for every row of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
        The data; a DataFrame of feature columns or an array.
    means : array-like of shape (k, n_features)
        The current means.

    Returns
    -------
    labels : ndarray of shape (n_samples,), dtype intp
        ``labels[i]`` is the index of the mean with the smallest squared
        Euclidean distance to row ``i``; exact ties go to the lowest index.
    """
    X = check_X(X)
    means = check_means(means, X.shape[1])
    return _assign(X, means)


def update(X, labels, means) -> np.ndarray:
    """New means: row ``j`` is the average of the rows of ``X`` labelled ``j``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    labels : array-like of shape (n_samples,)
        Integer cluster indices in ``0..k-1``.
    means : array-like of shape (k, n_features)
        The current means; a cluster with no points keeps its current mean,
        so k never shrinks and nothing becomes NaN.

    Returns
    -------
    new_means : ndarray of shape (k, n_features), float64
        A new array; ``means`` is not modified.
    """
    X = check_X(X)
    means = check_means(means, X.shape[1])
    labels = check_labels(labels, X.shape[0], means.shape[0])
    return _update(X, labels, means)


def converged(old_labels, new_labels) -> bool:
    """True when no point changed cluster between two assignment steps."""
    old, new = np.asarray(old_labels), np.asarray(new_labels)
    if old.shape != new.shape:
        raise ValueError(f"old_labels has shape {old.shape} but new_labels has shape "
                         f"{new.shape}; both must label the same rows.")
    return bool(np.array_equal(old, new))


def inertia(X, means, labels) -> float:
    """Sum of squared distances from every row to the mean of its cluster."""
    X = check_X(X)
    means = check_means(means, X.shape[1])
    labels = check_labels(labels, X.shape[0], means.shape[0])
    return _inertia(X, means, labels)


# --------------------------------------------------------------------------- initialisation
def _distinct_rows(X: np.ndarray) -> np.ndarray:
    """Index of the first occurrence of each distinct row, in row order."""
    _, first = np.unique(X, axis=0, return_index=True)
    return np.sort(first)


def init_means(X, k: int, init: str = "random", random_state=None) -> np.ndarray:
    """Choose ``k`` initial means from the rows of ``X``.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    k : int
        Number of clusters; at most the number of distinct rows of ``X``.
    init : {"random", "k-means++"}
        ``"random"`` picks ``k`` distinct rows uniformly; ``"k-means++"`` picks
        rows with probability proportional to the squared distance to the
        means already chosen (Arthur & Vassilvitskii, 2007).
    random_state : None, int or numpy.random.Generator

    Returns
    -------
    means : ndarray of shape (k, n_features)
    """
    X = check_X(X)
    distinct = _distinct_rows(X)
    k = check_n_clusters(k, distinct.size)
    rng = np.random.default_rng(random_state)
    if init == "random":
        return X[rng.choice(distinct, size=k, replace=False)].copy()
    if init == "k-means++":
        return _kmeans_plusplus(X[distinct], k, rng)
    raise ValueError(f"init={init!r} is not known; use 'random' or 'k-means++'.")


def _kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy-free k-means++ seeding over distinct rows (so no mean is repeated)."""
    chosen = [int(rng.integers(X.shape[0]))]
    closest = _sq_distances_exact(X, X[chosen]).min(axis=1) if X.shape[1] <= _SMALL_D \
        else ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        probs = closest / closest.sum()
        nxt = int(rng.choice(X.shape[0], p=probs))
        chosen.append(nxt)
        closest = np.minimum(closest, ((X - X[nxt]) ** 2).sum(axis=1))
    return X[chosen].copy()


# --------------------------------------------------------------------------- the loop
@dataclass(frozen=True)
class Step:
    """One picture of the run: the means and the labels assigned from them."""

    means: np.ndarray
    labels: np.ndarray
    inertia: float


@dataclass(frozen=True)
class LloydResult:
    """What a Lloyd run produced.

    ``history[0]`` holds the initial means and the first assignment;
    ``history[i]`` the means after the i-th update and the labels assigned from
    them. ``n_iter`` counts update steps; ``converged`` is True when the last
    update changed no label.
    """

    means: np.ndarray
    labels: np.ndarray
    inertia: float
    n_iter: int
    converged: bool
    history: list[Step] = field(repr=False)


def lloyd(X, means, max_iter: int = 300, record_history: bool = True) -> LloydResult:
    """Run Lloyd's algorithm from the given initial means until no label changes.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features)
    means : array-like of shape (k, n_features)
        Initial means (see :func:`init_means`).
    max_iter : int
        Maximum number of update steps.
    record_history : bool
        Keep every step's means and labels (needed for the pictures); turn off
        for large data.

    Returns
    -------
    LloydResult
    """
    X = check_X(X)
    means = check_means(means, X.shape[1]).copy()
    if isinstance(max_iter, bool) or not isinstance(max_iter, (int, np.integer)) or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer, got {max_iter!r}.")
    labels = _assign(X, means)
    history = [Step(means, labels, _inertia(X, means, labels))] if record_history else []
    done, n_iter = False, 0
    while not done and n_iter < max_iter:
        n_iter += 1
        means = _update(X, labels, means)
        new_labels = _assign(X, means)
        done = bool(np.array_equal(labels, new_labels))
        labels = new_labels
        if record_history:
            history.append(Step(means, labels, _inertia(X, means, labels)))
    return LloydResult(means, labels, _inertia(X, means, labels), n_iter, done, history)
