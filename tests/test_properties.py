"""Hypothesis properties of the reference K-means (issue #2, item 7).

The data are DataFrames with arbitrary column names and non-default indexes
(``kmeans_kit.checks.strategies``); the profile (``ci`` by default: derandomised,
no database) comes from ``tests/conftest.py``.

Floating point and ties. Lloyd's algorithm is exactly invariant under rigid
motions and scaling only in exact arithmetic; in floats a point whose two
nearest means are within rounding distance may flip. The invariance properties
therefore ``assume`` that every assignment of the run has a clear winner
(:func:`clear_winners`), and compare means with tolerances derived from the
data's magnitude. Properties that need exact ties (definition of ``assign``)
use integer-valued data, where squared distances are computed exactly.

The last section shows that the properties can fail: each is run against a
deliberately broken Lloyd and a counterexample is found.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, assume, find, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp
from sklearn.metrics import adjusted_mutual_info_score as ami

import reference
from kmeans_kit.checks import strategies as ks
from reference import LloydResult, Step

EPS = np.finfo(np.float64).eps
# Runs worth watching: at least 2 means and 6 points (derandomised Hypothesis
# favours tiny examples, which converge in one step), yet small enough that the
# whole file stays well under a minute. About half of these runs take 2-5 steps.
SMALL = dict(min_k=2, max_k=5, min_rows=6, max_rows=30, max_cols=6)
FLOAT = dict(SMALL, integer_valued=False)


# --------------------------------------------------------------------------- helpers
def sq_distances(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """The definition: (n, k) squared Euclidean distances from the differences."""
    return ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)


def magnitude(*arrays: np.ndarray) -> float:
    return max(float(np.abs(a).max(initial=0.0)) for a in arrays) or 1.0


def clear_winners(X: np.ndarray, means_seq, rel: float = 1e-7) -> bool:
    """True when, for every set of means, each row's nearest mean beats the runner-up clearly.

    "Clearly" is ``rel`` times ``d * magnitude**2``, the size of a squared
    distance: many orders of magnitude above the rounding error of computing one
    (a few ``eps`` of that size), so a transformed run cannot decide differently.
    """
    for means in means_seq:
        if len(means) < 2:
            continue
        dist = np.partition(sq_distances(X, means), 1, axis=1)
        if ((dist[:, 1] - dist[:, 0]) <= rel * X.shape[1] * magnitude(X, means) ** 2).any():
            return False
    return True


def run_has_clear_winners(X: np.ndarray, run: LloydResult) -> bool:
    return clear_winners(X, [step.means for step in run.history])


def inertia_tolerance(X: np.ndarray, means: np.ndarray) -> float:
    """Absolute rounding slack for comparing two computed inertias of the same data.

    Each squared distance is computed with an error of a few eps times its size,
    at most ``d * magnitude**2``; a computed mean is off by a few eps times the
    magnitude, which changes a point's squared distance by about as much. So
    ``n * d * magnitude**2 * 16 eps`` bounds the difference between the inertia
    of an exact Lloyd step and the computed one. A genuine increase (wrong mean,
    wrong label) is of the order of the spread squared and far larger, as the
    broken-update test at the bottom shows.
    """
    n, d = X.shape
    return 16 * EPS * n * d * magnitude(X, means) ** 2


def frame_like(df: pd.DataFrame, values: np.ndarray) -> pd.DataFrame:
    """Transformed values with the same odd column names and index."""
    return pd.DataFrame(values, columns=df.columns, index=df.index)


def orthogonal(d: int) -> st.SearchStrategy[np.ndarray]:
    """A d x d orthogonal matrix: the Q of a QR decomposition of a drawn matrix.

    Householder QR returns an orthogonal Q for any input, singular ones included.
    """
    return hnp.arrays(np.float64, (d, d), elements=st.floats(-1, 1, allow_subnormal=False)).map(
        lambda a: np.linalg.qr(a)[0])


def distinct_rows(df: pd.DataFrame) -> bool:
    return not df.duplicated().any()


# --------------------------------------------------------------------------- the contract steps
@given(ks.frames_and_means(max_cols=10))
def test_assign_is_the_nearest_mean_with_ties_to_the_lowest_index(example):
    # Integer-valued data (drawn half the time) make squared distances exact, so
    # ties are real; 5..10 features exercise the matrix-product path as well.
    df, means = example
    X = df.to_numpy()
    labels = reference.assign(df, means)
    dist = sq_distances(X, means)
    if all(np.array_equal(a, np.round(a)) for a in (X, means)):
        np.testing.assert_array_equal(labels, dist.argmin(axis=1))
    else:
        # Two float distances within rounding of each other may be ordered either way.
        chosen = dist[np.arange(len(X)), labels]
        slack = 8 * EPS * X.shape[1] * magnitude(X, means) ** 2
        assert (chosen - dist.min(axis=1) <= slack).all()


@given(ks.frames_labels_means(max_cols=10))
def test_update_is_the_cluster_mean_and_empty_clusters_keep_theirs(example):
    df, labels, means = example
    before = means.copy()
    new = reference.update(df, labels, means)
    X = df.to_numpy()
    for j in range(len(means)):
        members = X[labels == j]
        expected = members.mean(axis=0) if len(members) else means[j]
        np.testing.assert_allclose(new[j], expected, rtol=1e-12, atol=8 * EPS * magnitude(X))
    np.testing.assert_array_equal(means, before)  # not modified


@given(ks.frames_labels_means())
def test_inertia_is_the_sum_of_squared_distances_to_the_own_mean(example):
    df, labels, means = example
    X = df.to_numpy()
    expected = ((X - means[labels]) ** 2).sum()
    assert abs(reference.inertia(df, means, labels) - expected) <= inertia_tolerance(X, means)


@pytest.mark.parametrize("d", [2, 16])
def test_contract_steps_on_data_spanning_many_chunks(d):
    # Hypothesis frames are small; the kernels process rows in chunks of
    # thousands (and in threads), so check the definitions across chunk
    # boundaries too. Integer data: exact ties everywhere.
    rng = np.random.default_rng(d)
    X = rng.integers(-6, 7, size=(80_000, d)).astype(np.float64)
    means = rng.integers(-6, 7, size=(8, d)).astype(np.float64)
    labels = reference.assign(X, means)
    for block in range(0, len(X), 10_000):
        rows = slice(block, block + 10_000)
        np.testing.assert_array_equal(labels[rows], sq_distances(X[rows], means).argmin(axis=1))
    new = reference.update(X, labels, means)
    counts = np.bincount(labels, minlength=8)
    for j in range(8):
        expected = X[labels == j].mean(axis=0) if counts[j] else means[j]
        np.testing.assert_allclose(new[j], expected, rtol=1e-12, atol=1e-12)
    expected = ((X - means[labels]) ** 2).sum()
    assert reference.inertia(X, means, labels) == expected  # integer sums are exact


# --------------------------------------------------------------------------- the loop
@given(ks.frames_and_means(**SMALL), st.integers(1, 4))
def test_lloyd_terminates_within_max_iter(example, max_iter):
    df, means = example
    full = reference.lloyd(df, means)
    assert full.converged and 1 <= full.n_iter <= 300
    assert len(full.history) == full.n_iter + 1
    cut = reference.lloyd(df, means, max_iter=max_iter)
    assert cut.n_iter == min(max_iter, full.n_iter)
    assert cut.converged == (max_iter >= full.n_iter)
    # Deterministic: the cut run is a prefix of the full one.
    np.testing.assert_array_equal(cut.labels, full.history[cut.n_iter].labels)
    np.testing.assert_array_equal(cut.means, full.history[cut.n_iter].means)


@given(ks.frames_and_means(**SMALL))
def test_converged_result_is_a_fixed_point(example):
    df, means = example
    run = reference.lloyd(df, means)
    assert run.converged
    # Reassigning from the final means gives the final labels ...
    np.testing.assert_array_equal(reference.assign(df, run.means), run.labels)
    # ... and recomputing the means from them gives the final means, bit for bit:
    # the loop and `update` average the same rows, so they must round alike.
    np.testing.assert_array_equal(reference.update(df, run.labels, run.means), run.means)
    assert reference.converged(run.history[-2].labels, run.labels)


@given(ks.frames_and_means(**SMALL))
def test_history_records_each_step(example):
    df, means = example
    run = reference.lloyd(df, means)
    np.testing.assert_array_equal(run.history[0].means, means)
    for step in run.history:
        np.testing.assert_array_equal(step.labels, reference.assign(df, step.means))
        assert step.inertia == reference.inertia(df, step.means, step.labels)
    assert run.inertia == run.history[-1].inertia


def inertia_never_increases(X: np.ndarray, run: LloydResult) -> bool:
    values = [step.inertia for step in run.history]
    slack = inertia_tolerance(X, np.vstack([step.means for step in run.history]))
    return all(later <= earlier + slack for earlier, later in zip(values, values[1:]))


@given(ks.frames_and_means(**SMALL))
def test_inertia_never_increases(example):
    df, means = example
    assert inertia_never_increases(df.to_numpy(), reference.lloyd(df, means))


# --------------------------------------------------------------------------- symmetries
@given(ks.frames_and_means(**FLOAT), st.data())
def test_permuting_the_initial_means_permutes_the_labels(example, data):
    df, means = example
    perm = np.array(data.draw(st.permutations(range(len(means)))), dtype=np.intp)
    run = reference.lloyd(df, means)
    assume(run_has_clear_winners(df.to_numpy(), run))
    permuted = reference.lloyd(df, means[perm])
    # Mean perm[j] became mean j, so a point labelled l is now labelled inverse[l].
    inverse = np.argsort(perm)
    np.testing.assert_array_equal(permuted.labels, inverse[run.labels])
    np.testing.assert_allclose(permuted.means, run.means[perm], rtol=1e-12,
                               atol=8 * EPS * magnitude(df.to_numpy()))
    assert permuted.n_iter == run.n_iter


def same_run_up_to(run: LloydResult, other: LloydResult, expected_means, atol: float,
                   repeat: int = 1) -> None:
    """``other`` made the same decisions as ``run`` (on data repeated ``repeat`` times)."""
    np.testing.assert_array_equal(other.labels, np.tile(run.labels, repeat))
    assert other.n_iter == run.n_iter
    np.testing.assert_allclose(other.means, expected_means, rtol=1e-9, atol=atol)


@given(ks.frames_and_means(**FLOAT), st.data())
def test_translation_moves_the_means_and_keeps_the_labels(example, data):
    df, means = example
    X = df.to_numpy()
    shift = data.draw(hnp.arrays(np.float64, X.shape[1], elements=st.floats(-10, 10))) \
        * magnitude(X, means)
    run = reference.lloyd(df, means)
    assume(run_has_clear_winners(X, run))
    moved = reference.lloyd(frame_like(df, X + shift), means + shift)
    same_run_up_to(run, moved, run.means + shift, atol=1e-9 * magnitude(X, means, shift))


@given(ks.frames_and_means(**FLOAT), st.data())
def test_rotation_rotates_the_means_and_keeps_the_labels(example, data):
    df, means = example
    Q = data.draw(orthogonal(df.shape[1]))
    np.testing.assert_allclose(Q.T @ Q, np.eye(df.shape[1]), atol=1e-12)
    check_rotation(reference.lloyd, df, means, Q)


def check_rotation(lloyd, df, means, Q, require=assume) -> None:
    X = df.to_numpy()
    run = lloyd(df, means)
    require(run_has_clear_winners(X, run))
    turned = lloyd(frame_like(df, X @ Q), means @ Q)
    same_run_up_to(run, turned, run.means @ Q, atol=1e-9 * magnitude(X, means))


@given(ks.frames_and_means(**FLOAT), st.floats(1e-2, 1e2))
def test_uniform_scaling_scales_the_means_and_keeps_the_labels(example, factor):
    df, means = example
    X = df.to_numpy()
    run = reference.lloyd(df, means)
    assume(run_has_clear_winners(X, run))
    scaled = reference.lloyd(frame_like(df, X * factor), means * factor)
    same_run_up_to(run, scaled, run.means * factor, atol=1e-9 * factor * magnitude(X, means))
    tol = factor ** 2 * inertia_tolerance(X, means)
    assert abs(scaled.inertia - factor ** 2 * run.inertia) <= 1e-9 * scaled.inertia + tol


@given(ks.frames_and_means(**FLOAT))
def test_duplicating_every_point_keeps_the_means_and_doubles_the_inertia(example):
    check_duplication(reference.lloyd, *example)


def check_duplication(lloyd, df, means, require=assume) -> None:
    X = df.to_numpy()
    run = lloyd(df, means)
    require(run_has_clear_winners(X, run))
    doubled = lloyd(pd.concat([df, df]), means)
    same_run_up_to(run, doubled, run.means, atol=1e-9 * magnitude(X, means), repeat=2)
    assert abs(doubled.inertia - 2 * run.inertia) <= 1e-9 * doubled.inertia \
        + 2 * inertia_tolerance(X, means)


# --------------------------------------------------------------------------- special k
@given(ks.feature_frames(max_rows=30), st.data())
def test_one_cluster_gives_the_overall_mean_and_the_total_sum_of_squares(df, data):
    X = df.to_numpy()
    start = data.draw(hnp.arrays(np.float64, (1, X.shape[1]), elements=st.floats(-10, 10)))
    run = reference.lloyd(df, start * magnitude(X))
    centre = X.mean(axis=0)
    np.testing.assert_allclose(run.means[0], centre, rtol=1e-12, atol=8 * EPS * magnitude(X))
    assert not run.labels.any() and run.converged and run.n_iter == 1
    total = ((X - centre) ** 2).sum()
    assert abs(run.inertia - total) <= 1e-12 * total + inertia_tolerance(X, centre)


@given(ks.feature_frames(max_rows=30, max_cols=10).filter(distinct_rows), st.data())
def test_as_many_clusters_as_distinct_points_started_from_the_data_has_zero_inertia(df, data):
    # Up to 10 features: the matrix-product assignment must also find the exact zero.
    order = np.array(data.draw(st.permutations(range(len(df)))), dtype=np.intp)
    means = df.to_numpy()[order]
    run = reference.lloyd(df, means)
    assert run.inertia == 0.0 and run.converged and run.n_iter == 1
    np.testing.assert_array_equal(order[run.labels], np.arange(len(df)))


@settings(max_examples=30)  # each example runs Lloyd five times
@given(ks.blobs())
def test_kmeans_plusplus_recovers_well_separated_blobs(blob):
    df, truth, k = blob
    runs = [reference.lloyd(df, reference.init_means(df, k, init="k-means++", random_state=seed))
            for seed in range(5)]
    best = min(runs, key=lambda run: run.inertia)
    assert ami(truth, best.labels) >= 0.95


# ------------------------------------------------------------------------- AMI, the course's score
labelings = hnp.arrays(np.intp, st.integers(1, 200), elements=st.integers(0, 5))


@given(labelings, st.data())
def test_ami_of_a_labelling_with_itself_or_a_relabelled_copy_is_one(labels, data):
    names = np.array(data.draw(st.permutations(range(6))), dtype=np.intp)
    # AMI is a ratio of float sums: 1 up to rounding (sklearn gives 1 +- 2 eps).
    assert ami(labels, labels) == pytest.approx(1.0, abs=1e-12)
    assert ami(labels, names[labels]) == pytest.approx(1.0, abs=1e-12)


@settings(max_examples=20)
@given(st.integers(0, 2**32 - 1), st.integers(2, 6), st.integers(2, 6))
def test_ami_of_independent_random_labelings_is_near_zero(seed, k1, k2):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(k1, size=2000), rng.integers(k2, size=2000)
    assert abs(ami(a, b)) < 0.02


# ------------------------------------------------------------------------- the properties can fail
# `find` looks for an input on which a deliberately broken Lloyd violates a
# property; the same input must satisfy it with the reference. Any such input
# proves the point, so the (slow) shrink phase is skipped.
SEARCH = settings(max_examples=300, database=None, derandomize=True, phases=[Phase.generate])


def toy_lloyd(assign, update, max_iter: int = 50):
    """A Lloyd loop built from given step functions, recording the same history."""
    def run(df, means) -> LloydResult:
        X = df.to_numpy()
        labels = assign(X, means)
        history = [Step(means, labels, reference.inertia(X, means, labels))]
        done, n_iter = False, 0
        while not done and n_iter < max_iter:
            n_iter += 1
            means = update(X, labels, means)
            new = assign(X, means)
            done, labels = np.array_equal(new, labels), new
            history.append(Step(means, labels, reference.inertia(X, means, labels)))
        return LloydResult(means, labels, history[-1].inertia, n_iter, done, history)
    return run


def update_dividing_by_k(X, labels, means):
    """Sums each cluster and divides by k instead of by the cluster's size."""
    sums = np.zeros_like(means)
    np.add.at(sums, labels, X)
    return sums / len(means)


def update_with_one_phantom_point(X, labels, means):
    """Off by one: divides each cluster's sum by its size plus one."""
    sums = np.zeros_like(means)
    np.add.at(sums, labels, X)
    counts = np.bincount(labels, minlength=len(means))
    return np.where(counts[:, None] > 0, sums / (counts[:, None] + 1), means)


def assign_by_manhattan_distance(X, means):
    return np.abs(X[:, None, :] - means[None]).sum(axis=2).argmin(axis=1)


def test_inertia_property_catches_an_update_that_divides_by_k():
    broken = toy_lloyd(reference.assign, update_dividing_by_k)
    df, means = find(ks.frames_and_means(**SMALL),
                     lambda ex: not inertia_never_increases(ex[0].to_numpy(), broken(*ex)),
                     settings=SEARCH)
    assert inertia_never_increases(df.to_numpy(), reference.lloyd(df, means))


def violates(check, *args) -> bool:
    """True when ``check`` fails with an AssertionError (``assume`` still rejects)."""
    try:
        check(*args)
    except AssertionError:
        return True
    return False


def clear_for_reference(df, means) -> bool:
    return run_has_clear_winners(df.to_numpy(), reference.lloyd(df, means))


def must(condition: bool) -> None:
    assert condition, "the counterexample has near-ties for the reference"


def test_duplication_property_catches_an_off_by_one_mean():
    broken = toy_lloyd(reference.assign, update_with_one_phantom_point)
    df, means = find(ks.frames_and_means(**FLOAT),
                     lambda ex: clear_for_reference(*ex)
                     and violates(check_duplication, broken, *ex), settings=SEARCH)
    check_duplication(reference.lloyd, df, means, require=must)


def test_rotation_property_catches_a_manhattan_distance_assignment():
    broken = toy_lloyd(assign_by_manhattan_distance, reference.update)
    turn = np.array([[np.cos(0.5), -np.sin(0.5)], [np.sin(0.5), np.cos(0.5)]])
    df, means = find(ks.frames_and_means(**dict(FLOAT, min_cols=2, max_cols=2)),
                     lambda ex: clear_for_reference(*ex)
                     and violates(check_rotation, broken, *ex, turn), settings=SEARCH)
    check_rotation(reference.lloyd, df, means, turn, require=must)
