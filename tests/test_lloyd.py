"""Unit tests of the reference kernels and the Lloyd loop.

The algebraic properties (convergence, invariances, ...) live in
``test_properties.py`` and the teaching error messages in ``test_validation.py``;
here the kernels are checked against brute force, on both assignment paths
(difference form for d <= _SMALL_D, matrix product above), across chunk
boundaries, on data full of exact ties, and for bounded memory.
"""

import tracemalloc

import numpy as np
import pandas as pd
import pytest

from reference import _lloyd, assign, converged, inertia, init_means, lloyd, update


def brute_assign(X, means):
    """The definition, with the (n, k, d) temporary the kernels avoid."""
    return ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def brute_update(X, labels, means):
    return np.array([X[labels == j].mean(axis=0) if np.any(labels == j) else means[j]
                     for j in range(len(means))])


# Both assignment paths, small and large k, k = 1.
SHAPES = [(1, 1, 1), (7, 2, 3), (500, 2, 4), (3_000, 3, 9), (2_000, 4, 300),
          (1_500, 5, 6), (2_000, 9, 1), (2_000, 16, 40), (800, 64, 32)]


@pytest.mark.parametrize("n, d, k", SHAPES)
def test_assign_matches_brute_force_on_random_data(n, d, k):
    rng = np.random.default_rng(n * d + k)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    np.testing.assert_array_equal(_lloyd._assign(X, means), brute_assign(X, means))


@pytest.mark.parametrize("n, d, k", SHAPES)
def test_ties_go_to_the_lowest_index_on_integer_data(n, d, k):
    # Small integers: distances are exact, and many points are equidistant from
    # two or more means, so any tie-breaking slip shows.
    rng = np.random.default_rng(k * d + n)
    X = rng.integers(-2, 3, size=(n, d)).astype(float)
    means = rng.integers(-2, 3, size=(k, d)).astype(float)
    labels = _lloyd._assign(X, means)
    np.testing.assert_array_equal(labels, brute_assign(X, means))
    assert labels.dtype == np.intp


@pytest.mark.parametrize("d", [2, 3, 9, 33])
def test_equidistant_points_and_duplicate_means_take_the_first(d):
    # Means at -e1 and +e1 (twice): every point on the hyperplane x1 = 0 is a tie,
    # and the duplicated mean can never win over its first copy.
    rng = np.random.default_rng(d)
    X = rng.integers(-5, 6, size=(400, d)).astype(float)
    X[::2, 0] = 0.0
    means = np.zeros((3, d))
    means[0, 0], means[1, 0], means[2, 0] = -1.0, 1.0, 1.0
    labels = _lloyd._assign(X, means)
    np.testing.assert_array_equal(labels[::2], 0)
    assert not np.any(labels == 2)
    np.testing.assert_array_equal(labels, brute_assign(X, means))


@pytest.mark.parametrize("d, k", [(5, 3), (12, 8), (40, 5)])
def test_product_path_near_ties_are_recomputed_exactly(d, k):
    # Small integer offsets from 2**27: the differences, their squares and sums
    # are exact, with many exact ties, but ||m||^2 is near 2**54 * d, beyond
    # float64's 53-bit integers, so the expansion ||x||^2 - 2x.m + ||m||^2
    # rounds -- breaking ties and even swapping close distances. Only the exact
    # recomputation of the near ties gives the brute-force answer.
    rng = np.random.default_rng(d + k)
    X = rng.integers(-3, 4, size=(3_000, d)) + 2.0 ** 27
    means = rng.integers(-3, 4, size=(k, d)) + 2.0 ** 27
    assert d > _lloyd._SMALL_D
    expected = brute_assign(X, means)
    raw = ((means ** 2).sum(axis=1) - 2 * X @ means.T).argmin(axis=1)
    assert np.any(raw != expected)  # the trap is real
    np.testing.assert_array_equal(_lloyd._assign(X, means), expected)


@pytest.mark.parametrize("n, d, k", SHAPES)
def test_update_matches_brute_force_and_keeps_empty_clusters(n, d, k):
    rng = np.random.default_rng(n + d + k)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    labels = rng.integers(0, max(1, k // 2 + 1), size=n)  # the upper labels stay empty
    new = _lloyd._update(X, labels, means)
    np.testing.assert_allclose(new, brute_update(X, labels, means), rtol=1e-12, atol=1e-12)
    empty = np.setdiff1d(np.arange(k), labels)
    np.testing.assert_array_equal(new[empty], means[empty])


@pytest.mark.parametrize("n, d, k", SHAPES)
def test_inertia_matches_brute_force(n, d, k):
    rng = np.random.default_rng(3 * n + d + k)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    labels = rng.integers(0, k, size=n)
    expected = ((X - means[labels]) ** 2).sum()
    assert _lloyd._inertia(X, means, labels) == pytest.approx(expected, rel=1e-12)
    assert inertia(X, means, labels) == pytest.approx(expected, rel=1e-12)


@pytest.mark.parametrize("d, k", [(2, 5), (3, 300), (7, 6), (40, 9)])
def test_chunk_boundaries(monkeypatch, d, k):
    # Tiny chunks: many chunks, a ragged last one, and buffers reused across chunks.
    rng = np.random.default_rng(d * k)
    X = rng.integers(-3, 4, size=(10_007, d)).astype(float)
    means = rng.integers(-3, 4, size=(k, d)).astype(float)
    labels = brute_assign(X, means)
    whole = _lloyd._update(X, labels, means)
    monkeypatch.setattr(_lloyd, "_CHUNK_BYTES", 2_048)
    monkeypatch.setattr(_lloyd, "_MIN_PRODUCT_ROWS", 97)
    assert _lloyd._rows_per_chunk(d, k) < 1_000
    np.testing.assert_array_equal(_lloyd._assign(X, means), labels)
    np.testing.assert_allclose(_lloyd._update(X, labels, means), whole, rtol=1e-12)
    assert _lloyd._inertia(X, means, labels) == pytest.approx(((X - means[labels]) ** 2).sum())


@pytest.mark.parametrize("n, d, k", [(50_000, 2, 8), (20_000, 12, 7)])
def test_assign_and_sum_is_assign_then_update_bit_for_bit(n, d, k):
    rng = np.random.default_rng(k)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    assert n > _lloyd._rows_per_chunk(d, k)  # several chunks
    labels, sums = _lloyd._assign_and_sum(X, means)
    np.testing.assert_array_equal(labels, _lloyd._assign(X, means))
    np.testing.assert_array_equal(sums.means(means), _lloyd._update(X, labels, means))


@pytest.mark.parametrize("n, d, k", [(300_000, 2, 8), (60_000, 12, 7)])
def test_results_do_not_depend_on_the_number_of_threads(monkeypatch, n, d, k):
    rng = np.random.default_rng(d)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    runs = []
    for threads in (1, 2, 3):
        monkeypatch.setattr(_lloyd, "_MAX_THREADS", threads)
        labels, sums = _lloyd._assign_and_sum(X, means)
        runs.append((labels, sums.sums, sums.counts, _lloyd._update(X, labels, means)))
    for other in runs[1:]:
        for a, b in zip(runs[0], other):
            np.testing.assert_array_equal(a, b)  # bit for bit, not approximately


@pytest.mark.parametrize("n, d, k", [(200_000, 2, 8), (50_000, 16, 32)])
def test_extra_memory_is_bounded_by_the_chunk_not_by_n_k_d(monkeypatch, n, d, k):
    monkeypatch.setattr(_lloyd, "_MAX_THREADS", 2)  # buffers are per thread: fix the count
    rng = np.random.default_rng(0)
    X, means = rng.normal(size=(n, d)), rng.normal(size=(k, d))
    labels = _lloyd._assign(X, means)
    nkd_bytes = n * k * d * 8
    for kernel in (lambda: _lloyd._assign(X, means), lambda: _lloyd._update(X, labels, means),
                   lambda: _lloyd._assign_and_sum(X, means),
                   lambda: _lloyd._inertia(X, means, labels)):
        tracemalloc.start()
        try:
            kernel()
            peak = tracemalloc.get_traced_memory()[1]
        finally:
            tracemalloc.stop()
        # the labels (n intp) plus a few chunk-sized buffers per thread
        assert peak < n * 8 + 2 * 3 * _lloyd._CHUNK_BYTES
        assert peak < nkd_bytes / 4


def test_public_functions_accept_frames_and_do_not_modify_arguments():
    rng = np.random.default_rng(1)
    df = pd.DataFrame(rng.normal(size=(30, 2)), columns=["a", "b"], index=range(100, 130))
    means = rng.normal(size=(3, 2))
    df_before, means_before = df.copy(), means.copy()
    labels = assign(df, means)
    new = update(df, pd.Series(labels, index=df.index), means)
    pd.testing.assert_frame_equal(df, df_before)
    np.testing.assert_array_equal(means, means_before)
    np.testing.assert_array_equal(labels, brute_assign(df.to_numpy(), means))
    assert new is not means and new.shape == (3, 2)


def test_converged():
    assert converged([0, 1, 2], np.array([0, 1, 2]))
    assert not converged([0, 1, 2], [0, 2, 2])
    with pytest.raises(ValueError, match="same rows"):
        converged([0, 1], [0, 1, 1])


# --------------------------------------------------------------------------- the loop
@pytest.fixture
def blobs():
    rng = np.random.default_rng(42)
    centres = np.array([[0.0, 0.0], [6.0, 0.0], [0.0, 6.0], [6.0, 6.0]])
    X = np.concatenate([rng.normal(c, 1.0, size=(50, 2)) for c in centres])
    return X, X[[0, 1, 2, 3]].copy()  # all four initial means in the first blob


def test_history_records_every_step(blobs):
    X, means0 = blobs
    run = lloyd(X, means0)
    assert run.converged and run.n_iter >= 2
    assert len(run.history) == run.n_iter + 1  # history[0] is before the first update
    np.testing.assert_array_equal(run.history[0].means, means0)
    np.testing.assert_array_equal(run.history[0].labels, assign(X, means0))
    for before, after in zip(run.history, run.history[1:]):
        np.testing.assert_array_equal(after.means, update(X, before.labels, before.means))
        np.testing.assert_array_equal(after.labels, assign(X, after.means))
    for step in run.history:
        assert step.inertia == pytest.approx(inertia(X, step.means, step.labels))
    # Stopped at the first update that changed no label, not before.
    assert np.array_equal(run.history[-1].labels, run.history[-2].labels)
    assert not np.array_equal(run.history[-2].labels, run.history[-3].labels)
    np.testing.assert_array_equal(run.means, run.history[-1].means)
    np.testing.assert_array_equal(run.labels, run.history[-1].labels)
    assert run.inertia == run.history[-1].inertia


def test_max_iter_is_respected(blobs):
    X, means0 = blobs
    full = lloyd(X, means0)
    for max_iter in range(1, full.n_iter):
        run = lloyd(X, means0, max_iter=max_iter)
        assert (run.n_iter, run.converged, len(run.history)) == (max_iter, False, max_iter + 1)
        np.testing.assert_array_equal(run.means, full.history[max_iter].means)
    exact = lloyd(X, means0, max_iter=full.n_iter)
    assert exact.converged and exact.n_iter == full.n_iter


def test_without_history_same_result(blobs):
    X, means0 = blobs
    full, bare = lloyd(X, means0), lloyd(X, means0, record_history=False)
    assert bare.history == []
    np.testing.assert_array_equal(bare.means, full.means)
    np.testing.assert_array_equal(bare.labels, full.labels)
    assert (bare.n_iter, bare.converged, bare.inertia) == (full.n_iter, full.converged,
                                                          full.inertia)


def test_empty_cluster_keeps_its_mean_through_the_loop():
    X = np.array([[0.0, 0.0], [0.0, 1.0], [9.0, 9.0], [9.0, 10.0]])
    means0 = np.array([[0.0, 0.5], [9.0, 9.5], [50.0, 50.0]])
    run = lloyd(X, means0)
    assert run.converged and run.n_iter == 1
    np.testing.assert_array_equal(run.means, means0)
    np.testing.assert_array_equal(run.labels, [0, 0, 1, 1])


def test_loop_does_not_modify_the_initial_means(blobs):
    X, means0 = blobs
    before = means0.copy()
    lloyd(X, means0)
    np.testing.assert_array_equal(means0, before)


# --------------------------------------------------------------------------- initialisation
@pytest.mark.parametrize("method", ["random", "k-means++"])
def test_init_means_picks_distinct_rows_reproducibly(method):
    X = np.repeat(np.arange(12.0).reshape(6, 2), 5, axis=0)  # 6 distinct rows, each 5 times
    means = init_means(X, 6, init=method, random_state=3)
    assert len(np.unique(means, axis=0)) == 6
    assert all((X == m).all(axis=1).any() for m in means)
    np.testing.assert_array_equal(means, init_means(X, 6, init=method, random_state=3))
