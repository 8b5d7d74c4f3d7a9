"""The scikit-learn-compatible KMeans: the API contract and agreement with scikit-learn."""

import numpy as np
import pandas as pd
import pytest
from sklearn.cluster import KMeans as SklearnKMeans
from sklearn.utils.estimator_checks import parametrize_with_checks

from reference import KMeans, init_means, lloyd


@parametrize_with_checks([KMeans(), KMeans(init="random", n_init=2, random_state=0)])
def test_sklearn_estimator_checks(estimator, check):
    check(estimator)


# d > 4 exercises the matrix-product assignment, d <= 4 the difference form.
@pytest.mark.parametrize("n, d, k", [(200, 2, 4), (500, 3, 5), (1_000, 12, 6), (3_000, 20, 10),
                                     (2_000, 64, 32)])
def test_same_labels_and_centres_as_sklearn_from_the_same_means(n, d, k):
    rng = np.random.default_rng(n + d + k)
    X = rng.normal(size=(n, d))
    means = X[rng.choice(n, k, replace=False)]
    ours = KMeans(k, init=means).fit(X)
    theirs = SklearnKMeans(k, init=means, n_init=1, tol=0, algorithm="lloyd").fit(X)
    np.testing.assert_array_equal(ours.labels_, theirs.labels_)
    np.testing.assert_allclose(ours.cluster_centers_, theirs.cluster_centers_, rtol=0, atol=1e-12)
    assert ours.inertia_ == pytest.approx(theirs.inertia_, rel=1e-12)
    assert ours.converged_
    # scikit-learn also counts the final pass that finds no label changed.
    assert theirs.n_iter_ == ours.n_iter_ + 1


def test_fit_matches_the_reference_loop():
    rng = np.random.default_rng(1)
    X = rng.normal(size=(300, 3))
    means = init_means(X, 5, init="random", random_state=7)
    run = lloyd(X, means)
    km = KMeans(5, init=means).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, run.means)
    np.testing.assert_array_equal(km.labels_, run.labels)
    assert (km.inertia_, km.n_iter_, km.converged_) == (run.inertia, run.n_iter, run.converged)


def test_predict_transform_score_agree_with_fitted_attributes():
    rng = np.random.default_rng(2)
    X = np.concatenate([rng.normal(loc, 0.3, size=(40, 2)) for loc in (0.0, 5.0, 10.0)])
    km = KMeans(3, random_state=0).fit(X)
    np.testing.assert_array_equal(km.predict(X), km.labels_)
    np.testing.assert_array_equal(km.fit_predict(X), km.labels_)
    distances = km.transform(X)
    assert distances.shape == (120, 3)
    np.testing.assert_array_equal(distances.argmin(axis=1), km.labels_)
    expected = np.sqrt(((X[:, None, :] - km.cluster_centers_[None]) ** 2).sum(axis=2))
    np.testing.assert_allclose(distances, expected, atol=1e-9)
    assert km.score(X) == pytest.approx(-km.inertia_)
    assert km.score(X[:10]) == pytest.approx(-(distances[:10].min(axis=1) ** 2).sum())


def test_best_of_several_random_inits_is_kept_and_reproducible():
    rng = np.random.default_rng(3)
    X = rng.normal(size=(150, 2))
    one = KMeans(6, init="random", n_init=1, random_state=4).fit(X)
    many = KMeans(6, init="random", n_init=8, random_state=4).fit(X)
    again = KMeans(6, init="random", n_init=8, random_state=4).fit(X)
    assert many.inertia_ <= one.inertia_ + 1e-12  # run 0 of `many` is the run of `one`
    np.testing.assert_array_equal(many.cluster_centers_, again.cluster_centers_)


def test_n_init_auto():
    X = np.random.default_rng(4).normal(size=(50, 2))
    assert KMeans(3, init="random", random_state=0)._check_params(50) == 10
    assert KMeans(3, init="k-means++", random_state=0)._check_params(50) == 1
    assert KMeans(3, init=X[:3])._check_params(50) == 1


def test_feature_names_from_a_dataframe():
    df = pd.DataFrame({"x1": [0.0, 0.1, 5.0, 5.1], "x2": [0.0, 0.2, 5.0, 5.2]})
    km = KMeans(2, random_state=0).fit(df)
    np.testing.assert_array_equal(km.feature_names_in_, ["x1", "x2"])
    assert km.n_features_in_ == 2
    assert sorted(np.bincount(km.predict(df))) == [2, 2]


@pytest.mark.parametrize("params, match", [
    ({"n_clusters": 0}, "n_clusters=0: the number of clusters must be at least 1"),
    ({"n_clusters": 5}, "n_samples=4 should be >= n_clusters=5"),
    ({"max_iter": 0}, "max_iter must be a positive integer"),
    ({"n_init": 0}, "n_init must be 'auto' or a positive integer"),
    ({"init": "farthest"}, "init='farthest' is not known"),
    ({"init": np.zeros((2, 2)), "n_clusters": 3}, "init has 2 rows but n_clusters=3"),
    ({"init": np.zeros((2, 3)), "n_clusters": 2}, "init has 3 feature column"),
    ({"init": np.zeros((2, 2)), "n_clusters": 2, "n_init": 3}, "Use n_init=1"),
])
def test_bad_parameters_are_explained(params, match):
    X = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0]])
    with pytest.raises(ValueError, match=match):
        KMeans(**{"n_clusters": 2, **params}).fit(X)


def test_empty_cluster_keeps_its_mean_unlike_sklearn_relocation():
    X = np.array([[0.0], [1.0], [10.0], [11.0]])
    means = np.array([[0.5], [10.5], [100.0]])  # the third mean never gets a point
    km = KMeans(3, init=means).fit(X)
    np.testing.assert_array_equal(km.cluster_centers_, [[0.5], [10.5], [100.0]])
    np.testing.assert_array_equal(km.labels_, [0, 0, 1, 1])
