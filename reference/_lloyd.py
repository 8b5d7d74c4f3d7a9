"""Lloyd's algorithm: the three contract steps, inertia, initialisation and the loop.

The public functions validate their inputs once and hand plain float64 arrays
to small private kernels (``_assign``, ``_update``, ``_inertia``). The kernels
work through the rows in chunks sized for the CPU cache, reusing buffers
allocated once per call and thread, so the extra memory stays at
O(chunk * (k + d)) per thread whatever the number of rows -- never an (n, k, d)
temporary. Large inputs are spread over one thread per core, as scikit-learn
does with OpenMP; the results do not depend on the number of threads.

How the kernels choose their method
-----------------------------------
Course-sized problems (``n * k * d <= _SMALL_PROBLEM``)
    The definition in one broadcast over a (k, d, n) block of at most 256 KiB:
    at these sizes per-call overhead, not arithmetic, is what costs.
Assignment, few features (``d <= _SMALL_D``)
    The squared distances are computed from the differences, one mean at a
    time, and a running minimum keeps the best mean so far. With two features a
    distance is five cheap vector operations, the result is exact (no
    cancellation), and no (rows, k) block has to be searched with ``argmin``,
    which NumPy does row by row.
Assignment, many features
    ``||x - m||^2 = ||x||^2 - 2 x.m + ||m||^2``: the middle term for a whole
    chunk is one matrix product (BLAS), and ``||x||^2`` does not change which
    mean is nearest. The expansion rounds differently from the definition, so
    rows whose two best candidates are within rounding distance are recomputed
    from the differences, which keeps exact ties going to the lowest index.
    With few features the product is a poor fit for BLAS (inner dimension 2)
    and the bookkeeping around it costs more than the exact form.
Update
    Per-cluster sums: with few features one ``bincount`` per feature; with many,
    each chunk is sorted by label (a radix sort on one-byte keys) and every run
    of equal labels is summed with ``np.add.reduceat`` -- O(n d) work, where a
    one-hot matrix product would cost O(n k d). The Lloyd loop sums each chunk
    right after assigning it, while it is still in the cache
    (``_assign_and_sum``).
"""

from __future__ import annotations

import os
import threading
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np
from threadpoolctl import threadpool_limits

from ._validation import (
    check_init,
    check_label_pair,
    check_labels,
    check_max_iter,
    check_means,
    check_n_clusters,
    check_X,
)

# Float64 working set per chunk. Two megabytes keep a chunk's vectors in the
# last-level cache while leaving few enough chunks that NumPy's per-call
# overhead (about a microsecond; the small-d path makes 3d + 4 calls per mean
# per chunk) stays small next to the arithmetic: measured at (1e6, 2, 8),
# 512 KiB chunks take 1.3x and 128 KiB chunks 2.8x as long.
_CHUNK_BYTES = 1 << 21
# Threads for the chunk loops; None means one per usable core.
_MAX_THREADS: int | None = None
# Fewest rows per chunk on the matrix-product path: BLAS only gets efficient
# on products of a few million flops.
_MIN_PRODUCT_ROWS = 4096
# Up to this many features the assignment uses the difference form (measured
# crossover: 4 to 6 features depending on k). Below 8 features NumPy sums a row
# left to right too, so this path gives bit for bit the distances of
# ((X[:, None] - means[None]) ** 2).sum(axis=2).
_SMALL_D = 4
# Up to this many elements in an (n, k, d) block (256 KiB), the course-sized
# problems, the definition computed in one broadcast beats any chunked kernel:
# per-call overhead, not arithmetic, is what costs there.
_SMALL_PROBLEM = 32_768
# Rounding error of the expansion relative to ||x||^2 + ||m||^2, per feature.
# The error bound is about 4 (d + 2) unit roundoffs; this keeps a wide margin,
# and a margin only costs a few exact recomputations.
_TIE_TOLERANCE = 64 * np.finfo(np.float64).eps


# --------------------------------------------------------------------------- chunking
def _rows_per_chunk(d: int, k: int) -> int:
    """Rows per chunk for data with ``d`` features and ``k`` means (all kernels agree)."""
    if d <= _SMALL_D:
        # the transposed chunk plus a handful of row vectors
        return max(1, _CHUNK_BYTES // (8 * (d + 5)))
    return max(_MIN_PRODUCT_ROWS, _CHUNK_BYTES // (8 * (d + k)))


def _chunks(n: int, rows: int) -> Iterator[slice]:
    """Consecutive row slices of at most ``rows`` rows covering ``range(n)``."""
    for start in range(0, n, rows):
        yield slice(start, min(start + rows, n))


def _n_threads() -> int:
    """Threads for the chunk loops: one per usable core, like scikit-learn's OpenMP loops."""
    if _MAX_THREADS:
        return _MAX_THREADS
    if hasattr(os, "sched_getaffinity"):  # Linux: the cores this process may use
        return len(os.sched_getaffinity(0))
    return os.cpu_count() or 1


def _map_chunks(n: int, rows: int, make_task: Callable[[], Callable[[slice], object]]
                ) -> Iterator:
    """Apply a task to every chunk of ``range(n)``; yield the results in chunk order.

    ``make_task()`` builds a task, with its own buffers, once per thread.
    Threads pay off because NumPy releases the GIL inside its vector loops and
    BLAS calls; meanwhile BLAS is held to one thread of its own so the two
    kinds of threads do not fight over the cores (on a busy machine that fight
    made iterations 2x slower). Results arrive in chunk order whatever the
    number of threads, so sums folded from them -- and everything after -- are
    bit for bit the same on every machine.
    """
    chunks = list(_chunks(n, rows))
    threads = min(_n_threads(), len(chunks))
    if threads == 1:
        task = make_task()
        yield from (task(chunk) for chunk in chunks)
        return
    local = threading.local()

    def run(chunk: slice):
        if not hasattr(local, "task"):
            local.task = make_task()
        return local.task(chunk)

    with threadpool_limits(limits=1, user_api="blas"), ThreadPoolExecutor(threads) as pool:
        yield from pool.map(run, chunks)


def _label_dtype(k: int) -> np.dtype:
    """The smallest unsigned integer type that holds the labels ``0..k-1``.

    One-byte labels make the running minimum's bookkeeping cheap and let the
    update sort them with a radix sort.
    """
    return np.min_scalar_type(max(k - 1, 0))


# --------------------------------------------------------------------------- assignment
def _assign_exact(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The definition (:func:`_assign_small`), in blocks that keep its temporary small."""
    labels = np.empty(len(X), dtype=np.intp)
    for chunk in _chunks(len(X), max(1, _SMALL_PROBLEM // means.size)):
        labels[chunk] = _assign_small(X[chunk], means)
    return labels


class _NearestByDifferences:
    """Nearest mean for few features: exact distances, one mean at a time.

    Each mean costs a handful of vector operations over the chunk, and a
    running minimum replaces ``argmin`` along the short k axis, which NumPy
    does row by row. Means are visited in index order and a later mean wins
    only if it is strictly closer, so exact ties stay with the lowest index.
    """

    def __init__(self, means: np.ndarray, rows: int):
        k, d = means.shape
        self.means = means
        self._xt = np.empty((d, rows))
        self._dist, self._work, self._best = np.empty(rows), np.empty(rows), np.empty(rows)
        labels = _label_dtype(k)
        self._best_j, self._closer = np.empty(rows, labels), np.empty(rows, labels)

    def _sq_distances(self, xt: np.ndarray, mean: np.ndarray, out: np.ndarray) -> None:
        """``out[i] = sum_f (xt[f, i] - mean[f]) ** 2``, summed left to right like NumPy."""
        work = self._work[:len(out)]
        np.subtract(xt[0], mean[0], out=out)
        np.square(out, out=out)
        for f in range(1, len(xt)):
            np.subtract(xt[f], mean[f], out=work)
            np.square(work, out=work)
            out += work

    def __call__(self, X_c: np.ndarray) -> np.ndarray:
        m = len(X_c)
        xt, dist, best = self._xt[:, :m], self._dist[:m], self._best[:m]
        best_j, closer = self._best_j[:m], self._closer[:m]
        np.copyto(xt, X_c.T)  # feature-major, so each feature is one contiguous vector
        self._sq_distances(xt, self.means[0], best)
        best_j.fill(0)
        for j in range(1, len(self.means)):
            self._sq_distances(xt, self.means[j], dist)
            np.less(dist, best, out=closer)
            # Branch-free "where closer, take j": best_j < j, so max(best_j, j * closer)
            # is j where closer is 1 and best_j elsewhere (np.copyto with a random
            # mask is several times slower).
            np.multiply(closer, j, out=closer)
            np.maximum(best_j, closer, out=best_j)
            np.minimum(best, dist, out=best)
        return best_j


class _NearestByProduct:
    """Nearest mean for many features: one matrix product per chunk.

    ``||x - m||^2 = ||x||^2 - 2 x.m + ||m||^2``: the middle term for a whole
    chunk is one BLAS product and ``||x||^2`` does not change which mean is
    nearest. The expansion rounds differently from the definition, so rows
    whose runner-up is within rounding error of the best are recomputed from
    the differences; exact ties then still go to the lowest index.
    """

    def __init__(self, means: np.ndarray, rows: int):
        self.means = means
        self._neg2_means_t = -2.0 * means.T  # (d, k): the product gives -2 x.m directly
        self._means_sq = np.einsum("ij,ij->i", means, means)
        self._partial = np.empty((rows, len(means)))
        self._labels = np.empty(rows, dtype=np.intp)

    def __call__(self, X_c: np.ndarray) -> np.ndarray:
        m = len(X_c)
        partial, labels = self._partial[:m], self._labels[:m]
        # partial[i, j] = ||m_j||^2 - 2 x_i.m_j = ||x_i - m_j||^2 - ||x_i||^2
        np.matmul(X_c, self._neg2_means_t, out=partial)
        partial += self._means_sq
        np.argmin(partial, axis=1, out=labels)
        if len(self.means) > 1:
            near = self._near_ties(X_c, partial, labels)
            if near.size:
                labels[near] = _assign_exact(X_c[near], self.means)
        return labels

    def _near_ties(self, X_c: np.ndarray, partial: np.ndarray, best: np.ndarray) -> np.ndarray:
        """Rows with a second mean within rounding error of the best one.

        Outside this set the expansion's order is certainly the true order (and
        the order of the distances computed from the differences), so its
        choice is the exact answer.
        """
        rows, k = partial.shape
        slack = np.einsum("ij,ij->i", X_c, X_c)
        slack += self._means_sq.max()
        slack *= _TIE_TOLERANCE * X_c.shape[1]
        slack += partial.reshape(-1)[np.arange(0, rows * k, k) + best]  # the best value
        close = partial <= slack[:, None]
        # Every row counts its best mean once; a whole-array count is fast, while
        # counting along the short k axis is slow, so look closer only if needed.
        if np.count_nonzero(close) == rows:
            return np.empty(0, dtype=np.intp)
        return np.flatnonzero(np.count_nonzero(close, axis=1) > 1)


def _nearest_finder(means: np.ndarray, rows: int):
    """The assignment kernel for chunks of at most ``rows`` rows (see the module docstring)."""
    if means.shape[1] <= _SMALL_D:
        return _NearestByDifferences(means, rows)
    return _NearestByProduct(means, rows)


def _is_small(X: np.ndarray, means: np.ndarray) -> bool:
    return X.shape[0] * means.size <= _SMALL_PROBLEM


def _assign_small(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The definition itself, for problems small enough that a (k, d, n) block is tiny."""
    # Rows last, so every vector operation runs over n contiguous numbers; the sum
    # over features then adds whole (k, n) planes, in order.
    diff = np.ascontiguousarray(X.T)[None, :, :] - means[:, :, None]
    np.multiply(diff, diff, out=diff)
    dist = diff.sum(axis=1)
    # A running minimum over the k rows beats argmin across them (a strided
    # reduction); strict < keeps the lowest index on ties.
    best, labels = dist[0].copy(), np.zeros(X.shape[0], dtype=np.intp)
    for j in range(1, len(means)):
        closer = dist[j] < best
        labels[closer] = j
        np.minimum(best, dist[j], out=best)
    return labels


def _assign(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Index of the nearest mean for every row; exact ties go to the lowest index.

    ``X`` (n, d) and ``means`` (k, d) are validated float64 arrays.
    """
    if _is_small(X, means):
        return _assign_small(X, means)
    n, d = X.shape
    rows = min(n, _rows_per_chunk(d, len(means)))
    labels = np.empty(n, dtype=np.intp)

    def make_task():
        nearest = _nearest_finder(means, rows)

        def task(chunk: slice) -> None:
            labels[chunk] = nearest(X[chunk])  # chunks are disjoint: safe across threads
        return task

    for _ in _map_chunks(n, rows, make_task):
        pass
    return labels


# --------------------------------------------------------------------------- update
class _ChunkSummer:
    """Per-cluster sums and counts of one chunk of rows.

    With few features one weighted ``bincount`` per feature is fastest. With
    many, the chunk is sorted on its labels (a radix sort for one-byte keys) so
    each cluster's rows form one run, and ``np.add.reduceat`` sums every run in
    a single call: O(rows * d) work, where a one-hot matrix product would cost
    O(rows * k * d) -- as much as the assignment itself.
    """

    def __init__(self, k: int, d: int, rows: int):
        self.k = k
        self._grouped = np.empty((rows, d)) if d > _SMALL_D else None

    def __call__(self, X_c: np.ndarray, labels_c: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        k = self.k
        counts = np.bincount(labels_c, minlength=k)
        if self._grouped is None:
            sums = np.empty((k, X_c.shape[1]))
            for f in range(X_c.shape[1]):
                sums[:, f] = np.bincount(labels_c, weights=X_c[:, f], minlength=k)
            return sums, counts
        keys = labels_c.astype(_label_dtype(k), copy=False)
        order = np.argsort(keys, kind="stable")
        grouped = self._grouped[:len(order)]
        np.take(X_c, order, axis=0, out=grouped, mode="clip")  # "raise" would buffer `out`
        keys = keys[order]
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        sums = np.zeros((k, X_c.shape[1]))
        sums[keys[starts]] = np.add.reduceat(grouped, starts, axis=0)
        return sums, counts


class _ClusterSums:
    """Per-cluster sums and counts over all rows, added up in chunk order."""

    def __init__(self, k: int, d: int, parts: Iterable[tuple[np.ndarray, np.ndarray]]):
        self.sums = np.zeros((k, d))
        self.counts = np.zeros(k, dtype=np.intp)
        for sums, counts in parts:
            self.sums += sums
            self.counts += counts

    def means(self, current: np.ndarray) -> np.ndarray:
        """The cluster means; an empty cluster keeps its ``current`` mean."""
        new = current.copy()
        counts = self.counts[:, None]
        np.divide(self.sums, counts, out=new, where=counts > 0)
        return new


def _update(X: np.ndarray, labels: np.ndarray, means: np.ndarray) -> np.ndarray:
    """Mean of each cluster's rows; an empty cluster keeps its current mean.

    ``labels`` are validated intp indices into the rows of ``means``.
    """
    n, d = X.shape
    k = len(means)
    rows = min(n, _rows_per_chunk(d, k))

    def make_task():
        summer = _ChunkSummer(k, d, rows)
        return lambda chunk: summer(X[chunk], labels[chunk])

    return _ClusterSums(k, d, _map_chunks(n, rows, make_task)).means(means)


def _assign_and_sum(X: np.ndarray, means: np.ndarray) -> tuple[np.ndarray, _ClusterSums]:
    """``_assign`` and the sums ``_update`` needs for its labels, in one pass over ``X``.

    This is one Lloyd iteration: each chunk is summed while it is still in the
    cache. Same chunks, same kernels, so the result equals ``_assign`` followed
    by ``_update`` bit for bit.
    """
    n, d = X.shape
    k = len(means)
    if _is_small(X, means):
        labels = _assign_small(X, means)
        return labels, _ClusterSums(k, d, [_ChunkSummer(k, d, n)(X, labels)])
    rows = min(n, _rows_per_chunk(d, k))
    labels = np.empty(n, dtype=np.intp)

    def make_task():
        nearest, summer = _nearest_finder(means, rows), _ChunkSummer(k, d, rows)

        def task(chunk: slice) -> tuple[np.ndarray, np.ndarray]:
            X_c = X[chunk]
            labels_c = nearest(X_c)
            labels[chunk] = labels_c
            return summer(X_c, labels_c)
        return task

    return labels, _ClusterSums(k, d, _map_chunks(n, rows, make_task))


# --------------------------------------------------------------------------- inertia
def _inertia(X: np.ndarray, means: np.ndarray, labels: np.ndarray) -> float:
    """Sum over rows of the squared distance to the row's own mean."""
    n, d = X.shape
    rows = min(n, _rows_per_chunk(d, len(means)))
    diff = np.empty((rows, d))
    total = 0.0
    for chunk in _chunks(n, rows):
        diff_c = diff[:chunk.stop - chunk.start]
        np.take(means, labels[chunk], axis=0, out=diff_c)
        np.subtract(X[chunk], diff_c, out=diff_c)
        total += float(np.einsum("ij,ij->", diff_c, diff_c))
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
    old, new = check_label_pair(old_labels, new_labels)
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
    init = check_init(init)
    X = check_X(X)
    distinct = _distinct_rows(X)
    k = check_n_clusters(k, distinct.size)
    rng = np.random.default_rng(random_state)
    if init == "random":
        return X[rng.choice(distinct, size=k, replace=False)].copy()
    return _kmeans_plusplus(X[distinct], k, rng)


def _kmeans_plusplus(X: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Greedy-free k-means++ seeding over distinct rows (so no mean is repeated)."""
    chosen = [int(rng.integers(X.shape[0]))]
    closest = ((X - X[chosen[0]]) ** 2).sum(axis=1)
    for _ in range(1, k):
        probs = closest / closest.sum()
        nxt = int(rng.choice(X.shape[0], p=probs))
        chosen.append(nxt)
        np.minimum(closest, ((X - X[nxt]) ** 2).sum(axis=1), out=closest)
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
    max_iter = check_max_iter(max_iter)
    labels, sums = _assign_and_sum(X, means)
    history = [Step(means, labels, _inertia(X, means, labels))] if record_history else []
    done, n_iter = False, 0
    while not done and n_iter < max_iter:
        n_iter += 1
        means = sums.means(means)
        new_labels, sums = _assign_and_sum(X, means)
        done = bool(np.array_equal(labels, new_labels))
        labels = new_labels
        if record_history:
            history.append(Step(means, labels, _inertia(X, means, labels)))
    return LloydResult(means, labels, _inertia(X, means, labels), n_iter, done, history)
