"""Every bad input gets a teaching error: right type; names the argument, the problem, the fix.

All cases go through the public API (``reference.assign`` ...), so a refactor
that bypasses validation fails here.
"""

import re

import numpy as np
import pandas as pd
import pytest

import reference
from kmeans_kit.notes import notes_lloyd

X = pd.DataFrame({"x0": [0.0, 0.1, 4.0, 4.2, 8.0], "x1": [0.0, 0.2, 4.1, 3.9, 8.0]},
                 index=[10, 11, 12, 13, 14])
MEANS = np.array([[0.0, 0.0], [4.0, 4.0], [8.0, 8.0]])
LABELS = np.array([0, 0, 1, 1, 2])


def raises(exc_type, *fragments):
    """Expect ``exc_type`` whose message contains every fragment (literal text)."""
    return pytest.raises(exc_type, match="(?s)" + "".join(f"(?=.*{re.escape(f)})"
                                                          for f in fragments))


# --------------------------------------------------------------------------- the dict pitfall
NOTES_MU = {"A": (2.0, 2.0), "B": (2.0, 6.0), "C": (6.0, 2.0), "D": (6.0, 6.0)}
DICT_FRAGMENTS = ("means is a dict", "keys 'A', 'B', 'C', 'D'", "class letters",
                  "UFuncTypeError", "mu.values()", "true means that generated",
                  "not the current means", "(k, n_features) array of current means")


@pytest.mark.parametrize("call", [
    lambda: reference.assign(X, NOTES_MU),
    lambda: reference.update(X, LABELS, NOTES_MU),
    lambda: reference.inertia(X, NOTES_MU, LABELS),
    lambda: reference.lloyd(X, NOTES_MU),
], ids=["assign", "update", "inertia", "lloyd"])
def test_dict_of_means_explains_the_notes_pitfall(call):
    with raises(TypeError, *DICT_FRAGMENTS):
        call()


@pytest.mark.parametrize("call, name", [
    (lambda: notes_lloyd(X, ["x0", "x1"], NOTES_MU), "mu0"),
    (lambda: reference.KMeans(n_clusters=4, init=NOTES_MU, n_init=1).fit(X), "init"),
], ids=["notes_lloyd", "KMeans"])
def test_dict_pitfall_names_whichever_argument_holds_the_means(call, name):
    with raises(TypeError, f"{name} is a dict", "class letters", "mu.values()",
                f"{name} = df[data_cols].sample(n=K).to_numpy()"):
        call()


def test_the_dict_pitfall_message_tells_the_truth():
    # What the message claims about the notes' code, `[df[data_cols] - mui for mui in mu]`:
    # iterating the dict yields letters, and subtracting one from floats is a UFuncTypeError.
    assert list(NOTES_MU) == ["A", "B", "C", "D"]
    with pytest.raises(TypeError) as info:
        [X - mui for mui in NOTES_MU]
    assert "UFuncTypeError" in [cls.__name__ for cls in type(info.value).__mro__]


def test_dict_as_data_is_not_mistaken_for_the_means_pitfall():
    with raises(TypeError, "X is a dict", "pd.DataFrame(X)") as info:
        reference.assign({"x0": [1.0], "x1": [2.0]}, MEANS)
    assert "class letters" not in str(info.value)


# --------------------------------------------------------------------------- values
def test_nan_in_X_names_the_row_and_the_fix():
    bad = X.copy()
    bad.iloc[2, 1] = np.nan
    with raises(ValueError, "X contains NaN or infinite", "first in row 2", "1 row(s)", "dropna"):
        reference.assign(bad, MEANS)


def test_missing_value_in_nullable_column_is_reported_as_nan():
    bad = X.astype("Float64")
    bad.iloc[0, 0] = pd.NA
    with raises(ValueError, "X contains NaN", "first in row 0"):
        reference.assign(bad, MEANS)


def test_infinite_mean_explains_empty_clusters():
    bad = MEANS.copy()
    bad[1] = np.inf
    with raises(ValueError, "means contains NaN or infinite", "row 1",
                "empty cluster must keep its current mean"):
        reference.update(X, LABELS, bad)


def test_nan_mean_is_rejected_by_assign_too():
    bad = MEANS.copy()
    bad[2, 0] = np.nan
    with raises(ValueError, "means contains NaN", "row 2"):
        reference.assign(X, bad)


def test_values_that_would_overflow_are_refused():
    with raises(ValueError, "X has values as large as 8e+200", "overflow", "Rescale"):
        reference.assign(X * 1e200, MEANS)


# --------------------------------------------------------------------------- shapes
def test_mismatched_feature_counts():
    with raises(ValueError, "means has 3 feature column(s) but X has 2",
                "use shape (k, 2)", "same order as X"):
        reference.assign(X, np.ones((3, 3)))


def test_a_series_as_X_suggests_double_brackets():
    with raises(ValueError, "X must be 2-D", "1-D with shape (5,)", "df[[column]]"):
        reference.assign(X["x0"], MEANS[:, :1])


def test_one_dimensional_X_suggests_reshape():
    with raises(ValueError, "X must be 2-D", "1-D with shape (5,)", "X.reshape(-1, 1)"):
        reference.assign(X["x0"].to_numpy(), MEANS[:, :1])


def test_one_dimensional_means_suggests_reshape():
    with raises(ValueError, "means must be 2-D", "means.reshape(1, -1)"):
        reference.assign(X, np.array([0.0, 0.0]))


def test_three_dimensional_X():
    with raises(ValueError, "X must be 2-D", "(2, 2, 2)"):
        reference.assign(np.zeros((2, 2, 2)), MEANS)


def test_empty_X():
    with raises(ValueError, "X is empty (0 rows)", "at least one point"):
        reference.assign(X.iloc[:0], MEANS)


def test_X_without_feature_columns():
    with raises(ValueError, "X has no feature columns", "df[data_cols]"):
        reference.init_means(X[[]], 1)


def test_ragged_X():
    with raises(TypeError, "X is ragged", "same number of features"):
        reference.assign([[1.0, 2.0], [3.0]], MEANS)


def test_ragged_object_array():
    ragged = np.empty((2, 1), dtype=object)
    ragged[0, 0], ragged[1, 0] = [1.0, 2.0], [3.0]
    with raises(TypeError, "X is ragged"):
        reference.assign(ragged, MEANS[:, :1])


def test_object_array_of_numbers_is_accepted():
    labels = reference.assign(X.to_numpy().astype(object), MEANS)
    np.testing.assert_array_equal(labels, LABELS)


# --------------------------------------------------------------------------- column types
def test_label_column_left_in_X():
    with_truth = X.assign(true_cluster=list("AABBC"))
    with raises(TypeError, "X has non-numeric column(s) 'true_cluster'", "X = df[data_cols]"):
        reference.assign(with_truth, MEANS)


def test_object_array_with_letters():
    mixed = np.array([[1.0, "A"], [2.0, "B"]], dtype=object)
    with raises(TypeError, "X must hold numbers", "'A'", "class letters"):
        reference.assign(mixed, MEANS)


def test_string_array():
    with raises(TypeError, "means must hold numbers", "(text)"):
        reference.assign(X, np.array([["a", "b"]]))


def test_bool_column():
    flagged = X.assign(big=X["x0"] > 2)
    with raises(TypeError, "X has boolean column(s) ['big']", "astype(float)"):
        reference.assign(flagged, MEANS)


def test_bool_array():
    with raises(TypeError, "X holds booleans", "X.astype(float)"):
        reference.assign(np.array([[True, False]]), MEANS)


# --------------------------------------------------------------------------- k
def test_k_below_one():
    with raises(ValueError, "k=0", "at least 1"):
        reference.init_means(X, 0)


def test_means_with_no_rows():
    with raises(ValueError, "means has no rows", "k >= 1"):
        reference.assign(X, np.empty((0, 2)))


def test_k_not_an_integer():
    with raises(TypeError, "k must be an integer", "2.5"):
        reference.init_means(X, 2.5)


def test_k_larger_than_the_distinct_points():
    repeated = pd.concat([X.iloc[:2]] * 3)
    with raises(ValueError, "k=3 but X has only 2 distinct point(s)",
                "repeated rows count once", "Use k <= 2"):
        reference.init_means(repeated, 3, random_state=0)


@pytest.mark.parametrize("init", ["random", "k-means++"])
def test_k_equal_to_the_distinct_points_is_fine(init):
    repeated = pd.concat([X.iloc[:2]] * 3)
    means = reference.init_means(repeated, 2, init=init, random_state=0)
    assert sorted(map(tuple, means)) == sorted(map(tuple, X.iloc[:2].to_numpy()))


# --------------------------------------------------------------------------- labels
def test_labels_of_the_wrong_length():
    with raises(ValueError, "labels has 4 entries but X has 5 rows", "one label per row"):
        reference.update(X, LABELS[:4], MEANS)


@pytest.mark.parametrize("bad, shown", [(3, "contains 3"), (-1, "contains -1")])
def test_labels_out_of_range(bad, shown):
    labels = LABELS.copy()
    labels[1] = bad
    with raises(ValueError, "labels must lie in 0..2", "k = 3", shown, "counting from 0"):
        reference.update(X, labels, MEANS)


def test_labels_as_a_column_vector():
    with raises(ValueError, "labels has shape (5, 1)", "1-D with shape (5,)", "np.ravel(labels)"):
        reference.update(X, LABELS.reshape(-1, 1), MEANS)


def test_labels_as_a_one_column_frame():
    with raises(ValueError, "labels has shape (5, 1)", "np.ravel"):
        reference.inertia(X, MEANS, pd.DataFrame({"cluster": LABELS}))


def test_labels_as_class_letters():
    with raises(TypeError, "labels must be integer cluster indices 0..2", "class letters"):
        reference.update(X, np.array(list("AABBC")), MEANS)


def test_labels_with_fractions():
    with raises(TypeError, "labels must be integer cluster indices", "float64"):
        reference.inertia(X, MEANS, LABELS + 0.5)


def test_labels_with_nan():
    with raises(ValueError, "labels contains NaN"):
        reference.update(X, np.array([0, 0, 1, np.nan, 2]), MEANS)


def test_labels_that_are_whole_floats_or_a_series_are_accepted():
    as_series = pd.Series(LABELS, index=X.index[::-1], dtype="Int64")
    expected = reference.update(X, LABELS, MEANS)
    np.testing.assert_array_equal(reference.update(X, LABELS.astype(float), MEANS), expected)
    np.testing.assert_array_equal(reference.update(X, as_series, MEANS), expected)


def test_converged_needs_labelings_of_the_same_rows():
    with raises(ValueError, "old_labels", "new_labels", "same rows"):
        reference.converged(LABELS, LABELS[:3])


# --------------------------------------------------------------------------- loop options
@pytest.mark.parametrize("max_iter", [0, 2.5, True])
def test_bad_max_iter(max_iter):
    with raises(ValueError, "max_iter must be a positive integer", repr(max_iter)):
        reference.lloyd(X, MEANS, max_iter=max_iter)


def test_unknown_init():
    with raises(ValueError, "init='kmeans++'", "use 'random'", "or 'k-means++'"):
        reference.init_means(X, 2, init="kmeans++")


# --------------------------------------------------------------------------- no side effects
def test_validation_does_not_modify_the_arguments():
    frame, means, labels = X.copy(), MEANS.copy(), LABELS.copy()
    reference.update(frame, labels, means)
    reference.lloyd(frame, means)
    pd.testing.assert_frame_equal(frame, X)
    np.testing.assert_array_equal(means, MEANS)
    np.testing.assert_array_equal(labels, LABELS)


def test_converged_rejects_column_vectors():
    labels = np.zeros((4, 1), dtype=int)
    with raises(ValueError, "old_labels must be 1-D", "np.ravel(old_labels)"):
        reference.converged(labels, labels)


def test_converged_rejects_different_lengths():
    with raises(ValueError, "old_labels has 3 entries but new_labels has 2"):
        reference.converged([0, 1, 1], [0, 1])
