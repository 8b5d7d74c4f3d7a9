"""The notes' pandas loop on the pinned seeds, and its agreement with the reference."""

import numpy as np
import pandas as pd
import pytest
from sklearn.metrics import adjusted_mutual_info_score

from kmeans_kit.data import (
    EMPTY_CLUSTER_SEED,
    NOTES_SEED,
    STUCK_SEED,
    notes_blobs,
    notes_initial_means,
)
from kmeans_kit.notes import notes_assign, notes_lloyd, notes_update
from reference import lloyd


def _run(seed):
    blobs = notes_blobs(seed=seed)
    mu0 = notes_initial_means(blobs)
    return blobs, mu0, notes_lloyd(blobs.df, blobs.data_cols, mu0)


def _ami(blobs, labels):
    return adjusted_mutual_info_score(blobs.df["true_cluster"], np.asarray(labels))


def _assert_same_run(notes, ref):
    assert ref.n_iter == notes.n_iter and ref.converged and notes.converged
    assert len(ref.history) == len(notes.means)
    for step, means, labels in zip(ref.history, notes.means, notes.labels):
        np.testing.assert_allclose(step.means, means, rtol=0, atol=1e-12)
        np.testing.assert_array_equal(step.labels, labels.to_numpy())


# --------------------------------------------------------------------------- seed 398
def test_notes_seed_converges_on_the_third_iteration_with_ami_one():
    blobs, _, run = _run(NOTES_SEED)
    assert run.n_iter == 3 and run.converged
    assert run.labels[3].equals(run.labels[2])       # the 3rd update changed nothing
    assert not run.labels[2].equals(run.labels[1])   # the 2nd still did
    assert _ami(blobs, run.labels[-1]) == 1.0
    assert not run.hit_empty_cluster and run.empty_at is None and run.emptied == ()


def test_reference_lloyd_agrees_with_the_notes_loop_on_seed_398():
    blobs, mu0, run = _run(NOTES_SEED)
    ref = lloyd(blobs.X, mu0)
    assert ref.n_iter == 3
    _assert_same_run(run, ref)


def test_notes_first_assignment_matches_the_printed_head():
    # The notes print idxmin's first five labels for mu0: 2, 1, 2, 1, 1.
    _, _, run = _run(NOTES_SEED)
    assert run.labels[0].head().tolist() == [2, 1, 2, 1, 1]


def test_history_gives_steps_with_nonincreasing_inertia():
    blobs, mu0, run = _run(NOTES_SEED)
    steps = run.history(blobs.X)
    ref = lloyd(blobs.X, mu0)
    assert [s.inertia for s in steps] == pytest.approx([s.inertia for s in ref.history])
    assert all(b <= a + 1e-9 for a, b in zip([s.inertia for s in steps],
                                              [s.inertia for s in steps][1:]))


# --------------------------------------------------------------------------- stuck seed
def test_stuck_seed_converges_to_a_poor_local_optimum():
    blobs, mu0, run = _run(STUCK_SEED)
    assert run.converged and run.n_iter == 2 and not run.hit_empty_cluster
    score = _ami(blobs, run.labels[-1])
    assert score < 0.9
    assert score == pytest.approx(0.6757, abs=1e-4)
    ref = lloyd(blobs.X, mu0)
    _assert_same_run(run, ref)
    # It is a local optimum, not the best: started from the true means, Lloyd
    # finds the classes and a much smaller inertia.
    good = lloyd(blobs.X, blobs.true_means)
    assert _ami(blobs, good.labels) == 1.0
    assert good.inertia < 0.5 * ref.inertia


# --------------------------------------------------------------------------- empty cluster
def test_empty_cluster_seed_loses_a_mean_in_the_notes_groupby():
    blobs, mu0, run = _run(EMPTY_CLUSTER_SEED)
    assert run.empty_at == 2 and run.emptied == (1,)
    assert [len(m) for m in run.means] == [4, 4, 3, 3]
    assert 1 not in set(run.labels[1])           # mean 1 got no points after update 1
    assert run.converged and run.n_iter == 3
    assert _ami(blobs, run.labels[-1]) == pytest.approx(0.8651, abs=1e-4)


def test_reference_keeps_the_empty_mean_on_the_empty_cluster_seed():
    blobs, mu0, run = _run(EMPTY_CLUSTER_SEED)
    ref = lloyd(blobs.X, mu0)
    counts = np.bincount(ref.history[1].labels, minlength=4)
    assert counts[1] == 0
    # Same first update; then the reference keeps mean 1 where it was.
    np.testing.assert_allclose(ref.history[1].means, run.means[1], atol=1e-12)
    np.testing.assert_array_equal(ref.history[2].means[1], ref.history[1].means[1])
    assert all(step.means.shape == (4, 2) and np.isfinite(step.means).all()
               for step in ref.history)
    assert ref.converged and ref.n_iter == 6
    assert _ami(blobs, ref.labels) == pytest.approx(0.8136, abs=1e-4)


# --------------------------------------------------------------------------- the idioms
def test_notes_assign_breaks_ties_to_the_lowest_index():
    X = pd.DataFrame({"a": [0.0, 2.0], "b": [0.0, 0.0]}, index=[10, 20])
    labels = notes_assign(X, np.array([[1.0, 0.0], [1.0, 0.0], [3.0, 0.0]]))
    assert labels.tolist() == [0, 0] and labels.index.tolist() == [10, 20]


def test_notes_update_drops_a_label_that_has_no_points():
    X = pd.DataFrame({"a": [0.0, 2.0, 10.0]})
    means = notes_update(X, pd.Series([0, 0, 2]))
    np.testing.assert_array_equal(means, [[1.0], [10.0]])


def test_notes_lloyd_does_not_modify_its_inputs():
    blobs = notes_blobs()
    df, mu0 = blobs.df.copy(), notes_initial_means(blobs)
    mu0_copy = mu0.copy()
    notes_lloyd(df, blobs.data_cols, mu0)
    pd.testing.assert_frame_equal(df, blobs.df)
    np.testing.assert_array_equal(mu0, mu0_copy)


def test_notes_lloyd_stops_at_max_iter():
    blobs, mu0, _ = _run(NOTES_SEED)
    run = notes_lloyd(blobs.df, blobs.data_cols, mu0, max_iter=1)
    assert run.n_iter == 1 and not run.converged


def test_notes_lloyd_validation():
    blobs = notes_blobs()
    mu0 = notes_initial_means(blobs)
    with pytest.raises(TypeError, match="dict"):
        notes_lloyd(blobs.df, blobs.data_cols, blobs.mu)
    with pytest.raises(ValueError, match=r"\['x9'\]"):
        notes_lloyd(blobs.df, ["x0", "x9"], mu0)
    with pytest.raises(ValueError, match="max_iter"):
        notes_lloyd(blobs.df, blobs.data_cols, mu0, max_iter=0)
    with pytest.raises(TypeError, match="DataFrame"):
        notes_lloyd(blobs.X.to_numpy(), blobs.data_cols, mu0)
