"""Input validation for the reference implementation.

Every error here is meant to be read by a student: it names the argument,
says what was wrong with it and how to fix it. The algorithm modules call
these once at their public boundary and then work on plain float arrays.
"""

from __future__ import annotations

from collections.abc import Mapping

import numpy as np
import pandas as pd

_DICT_PITFALL = (
    "{name} is a dict ({preview}). Iterating over a dict gives its keys -- here "
    "the class letters -- not its values, which is why subtracting them from the "
    "data raises UFuncTypeError (numpy cannot subtract a string such as 'A' from a "
    "float). Passing {name}.values() would run, but it would use the true "
    "generating means of the synthetic data, not the current means of the "
    "algorithm, so K-means would never move. Pass the (k, d) array of current "
    "means instead, e.g. mu0 = df[data_cols].sample(n=K).to_numpy()."
)


def _preview(mapping: Mapping) -> str:
    keys = list(mapping)[:4]
    more = ", ..." if len(mapping) > 4 else ""
    return "keys " + ", ".join(repr(key) for key in keys) + more


def _as_float_2d(value, name: str) -> np.ndarray:
    """Convert ``value`` to a 2-D float64 array or explain why it cannot be."""
    if isinstance(value, Mapping):
        raise TypeError(_DICT_PITFALL.format(name=name, preview=_preview(value)))
    if isinstance(value, pd.DataFrame):
        bad = [col for col, dtype in value.dtypes.items() if not pd.api.types.is_numeric_dtype(dtype)
               or pd.api.types.is_bool_dtype(dtype)]
        if bad:
            raise TypeError(
                f"{name} has non-numeric columns {bad!r}. K-means measures distances, so "
                f"every column must be a number; select the feature columns only, "
                f"e.g. {name} = df[data_cols]."
            )
    try:
        array = np.asarray(value)
    except Exception as exc:  # ragged lists and the like
        raise TypeError(f"{name} could not be turned into an array ({exc}); pass a 2-D array "
                        f"or DataFrame of numbers.") from None
    if array.dtype.kind not in "iuf":
        raise TypeError(
            f"{name} must hold numbers, but it has dtype {array.dtype}"
            f"{' (strings)' if array.dtype.kind in 'US' else ''}. Pass a 2-D array or "
            f"DataFrame of numeric features (leave label columns such as 'true_cluster' out)."
        )
    if array.ndim == 1:
        raise ValueError(
            f"{name} must be 2-D with shape (n_samples, n_features), but it is 1-D with "
            f"shape {array.shape}. For a single feature use {name}.reshape(-1, 1); for a "
            f"single point use {name}.reshape(1, -1)."
        )
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (rows, features), but it has "
                         f"shape {array.shape}.")
    array = array.astype(np.float64, copy=False)
    if not np.isfinite(array).all():
        rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
        raise ValueError(
            f"{name} contains NaN or infinite values (first in row {rows[0]}, "
            f"{rows.size} row(s) in all). Distances to such points are undefined; drop or "
            f"fill them first, e.g. df.dropna()."
        )
    return array


def check_X(X, name: str = "X") -> np.ndarray:
    """Validate data: 2-D, numeric, finite, at least one row and one feature."""
    array = _as_float_2d(X, name)
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows); K-means needs at least one point.")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no feature columns; select at least one numeric column.")
    return array


def check_means(means, n_features: int, name: str = "means") -> np.ndarray:
    """Validate a (k, d) array of means against data with ``n_features`` columns."""
    array = _as_float_2d(means, name)
    if array.shape[0] < 1:
        raise ValueError(f"{name} has no rows; k must be at least 1.")
    if array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} feature column(s) but X has {n_features}. Each mean "
            f"is a point in the same space as the data: use shape (k, {n_features}), with the "
            f"columns in the same order as X."
        )
    return array


def check_n_clusters(k, n_distinct: int | None = None, name: str = "k") -> int:
    """Validate a number of clusters, optionally against the distinct points available."""
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)):
        raise TypeError(f"{name} must be an integer number of clusters, got {k!r}.")
    if k < 1:
        raise ValueError(f"{name}={k}: the number of clusters must be at least 1.")
    if n_distinct is not None and k > n_distinct:
        raise ValueError(
            f"{name}={k} but X has only {n_distinct} distinct point(s), so {k} different "
            f"initial means cannot be chosen from it. Use {name} <= {n_distinct}."
        )
    return int(k)


def check_labels(labels, n_samples: int, n_clusters: int, name: str = "labels") -> np.ndarray:
    """Validate cluster labels: 1-D integers in ``0..n_clusters-1``, one per row."""
    if isinstance(labels, Mapping):
        raise TypeError(f"{name} is a dict; pass a 1-D array or Series with one label per row.")
    array = np.asarray(labels)
    if array.ndim == 2 and 1 in array.shape:
        raise ValueError(
            f"{name} has shape {array.shape}, a column or row vector; labels must be 1-D with "
            f"shape ({n_samples},). Flatten it with np.ravel({name}) or {name}.ravel()."
        )
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one label per row of X, got shape {array.shape}.")
    if array.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {array.shape[0]} entries but X has {n_samples} rows; there must be "
            f"exactly one label per row of X."
        )
    if array.dtype.kind == "f" and array.size and np.isfinite(array).all() \
            and np.array_equal(array, np.round(array)):
        array = array.astype(np.intp)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer cluster indices 0..{n_clusters - 1}, but it has dtype "
            f"{array.dtype}. If you have class letters, map them to positions first."
        )
    if array.size and (array.min() < 0 or array.max() >= n_clusters):
        bad = array[(array < 0) | (array >= n_clusters)]
        raise ValueError(
            f"{name} must lie in 0..{n_clusters - 1} (one index per mean), but it contains "
            f"{int(bad[0])}. Labels index the rows of means, counting from 0."
        )
    return array.astype(np.intp, copy=False)
