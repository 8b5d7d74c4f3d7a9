"""A scikit-learn-compatible K-means estimator built on the reference functions.

:class:`KMeans` adds to :func:`reference.lloyd` only what an estimator needs:
scikit-learn's input validation and fitted attributes, several initialisations
keeping the best, and the ``predict``/``transform``/``score`` methods. The
algorithm itself is the reference's -- the same kernels that define "correct"
for the assignment -- so the estimator can be compared one to one with
:class:`sklearn.cluster.KMeans` and with a student's functions.
"""

from __future__ import annotations

import numbers

import numpy as np
from sklearn.base import BaseEstimator, ClusterMixin, TransformerMixin
from sklearn.metrics.pairwise import euclidean_distances
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from ._lloyd import _assign, _inertia, init_means, lloyd
from ._validation import check_init, check_max_iter, check_means, check_n_clusters

__all__ = ["KMeans"]


class KMeans(ClusterMixin, TransformerMixin, BaseEstimator):
    """K-means clustering by Lloyd's algorithm, as taught in the course.

    Unlike :class:`sklearn.cluster.KMeans`, an iteration stops only when no
    point changes cluster (there is no ``tol``), and a cluster that loses all
    its points keeps its mean instead of being moved to a far point -- the
    rules of the assignment contract.

    Parameters
    ----------
    n_clusters : int, default=8
        The number of clusters k.
    init : {"k-means++", "random"} or array-like of shape (n_clusters, n_features), \
            default="k-means++"
        How to choose the initial means: ``"k-means++"`` seeding, ``"random"``
        distinct rows of ``X``, or the means themselves.
    n_init : "auto" or int, default="auto"
        How many initialisations to run; the run with the lowest inertia is
        kept. ``"auto"`` means 1 for ``"k-means++"`` or given means and 10 for
        ``"random"``.
    max_iter : int, default=300
        Maximum number of update steps in one run.
    random_state : int, numpy.random.RandomState or None, default=None
        Seeds the initialisations; an int makes ``fit`` reproducible.

    Attributes
    ----------
    cluster_centers_ : ndarray of shape (n_clusters, n_features)
        The means at the end of the best run.
    labels_ : ndarray of shape (n_samples,)
        The cluster of every training row, assigned from ``cluster_centers_``.
    inertia_ : float
        Sum of squared distances from the training rows to their mean.
    n_iter_ : int
        Update steps in the best run (see :class:`reference.LloydResult`).
    converged_ : bool
        Whether the best run stopped because no label changed.
    n_features_in_ : int
        Number of features seen during ``fit``.
    feature_names_in_ : ndarray of shape (n_features_in_,)
        Column names seen during ``fit``, when ``X`` had string column names.

    See Also
    --------
    reference.lloyd : the loop this estimator runs.
    sklearn.cluster.KMeans : gives the same labels and centres from the same
        initial means with ``algorithm="lloyd", n_init=1, tol=0``.

    Examples
    --------
    >>> import numpy as np
    >>> from reference import KMeans
    >>> X = np.array([[0.0, 0.0], [0.0, 1.0], [10.0, 0.0], [10.0, 1.0]])
    >>> km = KMeans(n_clusters=2, init=np.array([[0.0, 0.0], [10.0, 0.0]])).fit(X)
    >>> km.labels_
    array([0, 0, 1, 1])
    >>> km.cluster_centers_
    array([[ 0. ,  0.5],
           [10. ,  0.5]])
    """

    def __init__(self, n_clusters=8, *, init="k-means++", n_init="auto", max_iter=300,
                 random_state=None):
        self.n_clusters = n_clusters
        self.init = init
        self.n_init = n_init
        self.max_iter = max_iter
        self.random_state = random_state

    # ------------------------------------------------------------------ validation
    def _check_params(self, n_samples: int) -> int:
        """Validate the hyper-parameters against the data; return the number of runs."""
        check_n_clusters(self.n_clusters, name="n_clusters")
        if n_samples < self.n_clusters:
            raise ValueError(f"n_samples={n_samples} should be >= n_clusters={self.n_clusters}: "
                             f"each cluster needs its own initial point.")
        check_max_iter(self.max_iter)
        given_means = not isinstance(self.init, str)
        if not given_means:
            check_init(self.init)
        if isinstance(self.n_init, str) and self.n_init == "auto":
            return 10 if isinstance(self.init, str) and self.init == "random" else 1
        if isinstance(self.n_init, bool) or not isinstance(self.n_init, numbers.Integral) \
                or self.n_init < 1:
            raise ValueError(f"n_init must be 'auto' or a positive integer, got {self.n_init!r}.")
        if given_means and self.n_init != 1:
            raise ValueError(f"n_init={self.n_init} but init is an array of means: every run "
                             f"would start from the same means. Use n_init=1.")
        return int(self.n_init)

    def _initial_means(self, X: np.ndarray, seed: int) -> np.ndarray:
        if isinstance(self.init, str):
            return init_means(X, self.n_clusters, init=self.init, random_state=seed)
        means = check_means(self.init, X.shape[1], name="init")
        if means.shape[0] != self.n_clusters:
            raise ValueError(f"init has {means.shape[0]} rows but n_clusters={self.n_clusters}; "
                             f"give one initial mean per cluster.")
        return means

    # ------------------------------------------------------------------ estimator API
    def fit(self, X, y=None):
        """Run Lloyd's algorithm ``n_init`` times and keep the run with the lowest inertia.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
            Training data.
        y : Ignored
            Present for API consistency.

        Returns
        -------
        self : KMeans
            The fitted estimator.
        """
        X = validate_data(self, X, dtype=np.float64, copy=False)
        n_runs = self._check_params(X.shape[0])
        # One seed per run, drawn up front, so run i does not depend on how
        # many random numbers the runs before it used.
        seeds = check_random_state(self.random_state).randint(np.iinfo(np.int32).max, size=n_runs)
        best = None
        for seed in seeds:
            run = lloyd(X, self._initial_means(X, int(seed)), max_iter=self.max_iter,
                        record_history=False)
            if best is None or run.inertia < best.inertia:
                best = run
        self.cluster_centers_ = best.means
        self.labels_ = best.labels
        self.inertia_ = best.inertia
        self.n_iter_ = best.n_iter
        self.converged_ = best.converged
        return self

    def _validated(self, X) -> np.ndarray:
        check_is_fitted(self)
        return validate_data(self, X, dtype=np.float64, reset=False)

    def predict(self, X):
        """Index of the nearest centre for every row of ``X``.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        labels : ndarray of shape (n_samples,)
            Exact ties go to the lowest index, as in :func:`reference.assign`.
        """
        return _assign(self._validated(X), self.cluster_centers_)

    def transform(self, X):
        """Euclidean distance from every row of ``X`` to every centre.

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)

        Returns
        -------
        distances : ndarray of shape (n_samples, n_clusters)
        """
        return euclidean_distances(self._validated(X), self.cluster_centers_)

    def score(self, X, y=None):
        """Minus the inertia of ``X`` with respect to the fitted centres (higher is better).

        Parameters
        ----------
        X : array-like of shape (n_samples, n_features)
        y : Ignored

        Returns
        -------
        score : float
        """
        X = self._validated(X)
        return -_inertia(X, self.cluster_centers_, _assign(X, self.cluster_centers_))
