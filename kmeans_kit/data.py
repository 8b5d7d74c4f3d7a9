"""The course notes' synthetic data, their initial means, and iris.

Two ways to draw the same kind of data:

* **legacy** reproduces the notes number for number. The notes call
  ``np.random.seed(seed)`` and then draw from NumPy's global legacy stream in a
  fixed order: the class of every point (``choice``), one
  ``multivariate_normal`` draw per point, and later the initial means with
  ``df[data_cols].sample(n=K)``. Here the same draws are made, in the same
  order, from a private ``np.random.RandomState(seed)`` -- the very generator
  behind the global functions -- so the numbers are identical but the caller's
  global random state is left alone.
* **modern** uses ``np.random.default_rng(seed)`` and vectorised draws: the same
  distribution, different numbers.

The pinned seeds below are the runs the notebook and the docs talk about.
"""

from __future__ import annotations

import copy
import itertools
import math
import string
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

__all__ = [
    "Blobs",
    "EMPTY_CLUSTER_SEED",
    "IRIS_MEASUREMENT_COLS",
    "NOTES_SEED",
    "STUCK_SEED",
    "grid_means",
    "load_iris_frame",
    "notes_blobs",
    "notes_initial_means",
]

#: The notes' seed: starts from the notes' mu0, converges on the 3rd iteration, AMI 1.0.
NOTES_SEED = 398
#: A legacy seed (K=4) that converges in 2 iterations to a poor local optimum:
#: two means split the lower-left blob and one mean sits between the two right
#: blobs (AMI 0.676 against the truth).
STUCK_SEED = 183
#: A legacy seed (K=4) where mean 1 gets no points after the first update, so the
#: notes' ``groupby(...).mean()`` at iteration 2 returns only 3 means; the
#: reference keeps the empty mean instead (see docs/data-and-pictures.md).
EMPTY_CLUSTER_SEED = 502

#: Iris measurement columns, named as in seaborn's copy of the data set.
IRIS_MEASUREMENT_COLS = ["sepal_length", "sepal_width", "petal_length", "petal_width"]


@dataclass(frozen=True, eq=False)  # DataFrames have no single-valued ==
class Blobs:
    """Synthetic data drawn the way the course notes draw it.

    Attributes
    ----------
    df : DataFrame
        Feature columns ``x0 .. x{D-1}`` (rounded to 2 decimals) and a
        ``true_cluster`` column of class letters.
    data_cols : list of str
        The feature column names, ``['x0', 'x1', ...]``.
    mu : dict
        The true generating means keyed by class letter, built exactly as the
        notes build it (a dict of tuples of ``np.float64``). Iterating over it
        gives the letters, not the means -- the notes' ``UFuncTypeError``.
    true_means : ndarray of shape (C, D)
        The same means as an array, in class-letter order.
    seed : int or None
    legacy : bool
    """

    df: pd.DataFrame
    data_cols: list[str]
    mu: dict[str, tuple]
    true_means: np.ndarray
    seed: int | None
    legacy: bool
    # The generator as it stood right after the data were drawn; the notes draw
    # their initial means next, from the same stream.
    _rng_after: np.random.RandomState | np.random.Generator = field(repr=False, compare=False)

    @property
    def X(self) -> pd.DataFrame:
        """The feature columns, ``df[data_cols]``."""
        return self.df[self.data_cols]


# --------------------------------------------------------------------------- validation
def _check_int(value, name: str, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an integer, got {value!r}.")
    if value < minimum:
        raise ValueError(f"{name}={value} is too small; it must be at least {minimum}.")
    return int(value)


def _check_real(value, name: str, positive: bool = False) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float, np.integer, np.floating)) \
            or not math.isfinite(value):
        raise TypeError(f"{name} must be a finite number, got {value!r}.")
    if positive and value <= 0:
        raise ValueError(f"{name}={value} must be > 0 (it is a variance or a distance).")
    return float(value)


def _check_seed(seed, legacy: bool):
    if seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"seed must be a non-negative integer or None, got {seed!r}.")
    if legacy and seed >= 2**32:
        raise ValueError(f"seed={seed}: legacy np.random.seed only takes seeds below 2**32.")
    return int(seed)


# --------------------------------------------------------------------------- generator
def grid_means(C: int = 4, D: int = 2, offset: float = 2, spacing: float = 2) -> list[tuple]:
    """The notes' true means: the first ``C`` points of a grid.

    Each axis takes ``G`` values from ``np.linspace(offset, offset + G*spacing, G)``
    with ``G = ceil(sqrt(C))``; the grid is their product over the ``D`` axes,
    in ``itertools.product`` order, truncated to ``C`` points. With the notes'
    defaults the means are (2, 2), (2, 6), (6, 2), (6, 6): 4 apart, not 2 --
    ``linspace`` spreads ``G`` points over ``G*spacing``. With one feature there
    is only one axis, so ``G = C`` there.
    """
    C = _check_int(C, "C", 1)
    D = _check_int(D, "D", 1)
    offset = _check_real(offset, "offset")
    spacing = _check_real(spacing, "spacing", positive=True)
    G = C if D == 1 else int(np.ceil(np.sqrt(C)))
    axis = np.linspace(offset, offset + G * spacing, G)
    return list(itertools.product(axis, repeat=D))[:C]


def notes_blobs(C: int = 4, D: int = 2, N: int = 200, offset: float = 2, spacing: float = 2,
                var: float = 0.25, seed: int | None = NOTES_SEED, legacy: bool = True) -> Blobs:
    """Draw the notes' synthetic clusters.

    Parameters
    ----------
    C : int, default 4
        Number of classes, lettered ``'A', 'B', ...`` (at most 26).
    D : int, default 2
        Number of features.
    N : int, default 200
        Number of points; each picks its class uniformly at random.
    offset, spacing : float, default 2
        Place the true means on a grid, see :func:`grid_means`.
    var : float, default 0.25
        Variance of every feature around its class mean (covariance ``var * I``).
    seed : int or None, default 398
        The notes use 398. ``None`` draws fresh entropy.
    legacy : bool, default True
        True: NumPy's legacy ``RandomState`` stream, drawn in the notes' order,
        giving the notes' exact numbers. False: ``np.random.default_rng(seed)``.

    Returns
    -------
    Blobs
    """
    C = _check_int(C, "C", 1)
    if C > 26:
        raise ValueError(f"C={C}: classes are named by single letters A..Z, so C must be <= 26.")
    D = _check_int(D, "D", 1)
    N = _check_int(N, "N", 1)
    var = _check_real(var, "var", positive=True)
    seed = _check_seed(seed, legacy)
    means = grid_means(C, D, offset, spacing)
    classes = list(string.ascii_uppercase[:C])
    mu = dict(zip(classes, means))
    true_means = np.array(means, dtype=float).reshape(C, D)
    data_cols = [f"x{j}" for j in range(D)]

    if legacy:
        rng = np.random.RandomState(seed)
        labels = rng.choice(classes, N)
        # One draw per point, as the notes do: it fixes how the stream is consumed.
        points = [rng.multivariate_normal(mu[c], var * np.eye(D)) for c in labels]
    else:
        rng = np.random.default_rng(seed)
        codes = rng.integers(C, size=N)
        labels = np.asarray(classes)[codes]
        points = true_means[codes] + rng.normal(scale=np.sqrt(var), size=(N, D))

    df = pd.DataFrame(np.asarray(points, dtype=float).reshape(N, D), columns=data_cols).round(2)
    df["true_cluster"] = labels
    return Blobs(df, data_cols, mu, true_means, seed, legacy, rng)


def notes_initial_means(blobs: Blobs, K: int | None = None, random_state=None) -> np.ndarray:
    """The notes' initial means: ``K`` rows of the data, ``df[data_cols].sample(n=K)``.

    Parameters
    ----------
    blobs : Blobs
        From :func:`notes_blobs`.
    K : int, optional
        Number of means; defaults to the number of classes, as in the notes.
    random_state : None, int, RandomState or Generator
        None (the default) continues the stream that drew ``blobs`` from the
        point where generation stopped, which is what the notes' global seed
        does; so legacy seed 398 gives the notes' ``mu0``. The result is the
        same however often this is called. Anything else is passed on to
        ``DataFrame.sample``.

    Returns
    -------
    mu0 : ndarray of shape (K, D)
        Rows of the data, so (unlike :func:`reference.init_means`) two of them
        may coincide if the data hold duplicate points.
    """
    if not isinstance(blobs, Blobs):
        raise TypeError(f"blobs must be the Blobs returned by notes_blobs(), got "
                        f"{type(blobs).__name__}.")
    n_rows = len(blobs.df)
    K = len(blobs.mu) if K is None else _check_int(K, "K", 1)
    if K > n_rows:
        raise ValueError(f"K={K} but the data have only {n_rows} rows; sampling K rows "
                         f"without replacement needs K <= {n_rows}.")
    if random_state is None:
        random_state = copy.deepcopy(blobs._rng_after)  # leave the stored state untouched
    return blobs.df[blobs.data_cols].sample(n=K, random_state=random_state).to_numpy()


# --------------------------------------------------------------------------- iris
def load_iris_frame() -> pd.DataFrame:
    """Iris as the notes use it, without the network.

    The notes load it with ``seaborn.load_dataset('iris')``, which downloads;
    this reads scikit-learn's bundled copy and gives it seaborn's shape: the
    four measurement columns :data:`IRIS_MEASUREMENT_COLS` and a ``species``
    column of names (``'setosa'``, ``'versicolor'``, ``'virginica'``).
    """
    from sklearn.datasets import load_iris

    bunch = load_iris(as_frame=True)
    # 'sepal length (cm)' -> 'sepal_length', and so on.
    df = bunch.data.rename(columns=lambda name: name.removesuffix(" (cm)").replace(" ", "_"))
    df["species"] = np.asarray(bunch.target_names)[bunch.target.to_numpy()]
    return df[IRIS_MEASUREMENT_COLS + ["species"]]
