"""Input validation for the reference implementation.

Every error here is meant to be read by a student: it names the argument,
says what was wrong with it and how to fix it. The algorithm modules call
these once at their public boundary and then work on plain float arrays, so
nothing downstream ever sees NaN, strings or a wrong shape.
"""

from __future__ import annotations

import numbers
from collections.abc import Mapping

import numpy as np
import pandas as pd

# Squared distances of values beyond this overflow float64 (1e308) once summed
# over a few features; refuse them instead of returning inf distances.
_MAX_ABS = 1e150

_DICT_MEANS = (
    "{name} is a dict ({preview}), not an array of means. Iterating over a dict "
    "gives its keys -- here the class letters -- not its values; that is why the "
    "course notes' code stopped with UFuncTypeError: numpy cannot subtract a "
    "letter such as 'A' from a float. Do not reach for the dict's values either "
    "(mu.values() in the notes): those are the true means that generated the "
    "synthetic data, not the current means of the algorithm, so K-means would "
    "just be handed the answer. Pass the (k, n_features) array of current means, "
    "e.g. {name} = df[data_cols].sample(n=K).to_numpy()."
)


def _preview(mapping: Mapping) -> str:
    keys = list(mapping)[:4]
    more = ", ..." if len(mapping) > 4 else ""
    return "keys " + ", ".join(repr(key) for key in keys) + more


def _check_frame_columns(frame: pd.DataFrame, name: str) -> np.ndarray:
    """Numeric DataFrame -> float array; bool or non-numeric columns are explained."""
    flags = [col for col, dtype in frame.dtypes.items() if pd.api.types.is_bool_dtype(dtype)]
    if flags:
        raise TypeError(
            f"{name} has boolean column(s) {flags!r}. K-means measures distances between "
            f"numbers, and a True/False flag is usually a label, not a feature. Leave it "
            f"out of {name}; if you really mean it as 0/1, convert it first with "
            f"{name}.astype(float)."
        )
    bad = {col: str(dtype) for col, dtype in frame.dtypes.items()
           if not pd.api.types.is_numeric_dtype(dtype)}
    if bad:
        listed = ", ".join(f"{col!r} ({dtype})" for col, dtype in bad.items())
        raise TypeError(
            f"{name} has non-numeric column(s) {listed}. K-means measures distances, so "
            f"every column must be a number; select the feature columns only, e.g. "
            f"{name} = df[data_cols] (leave label columns such as 'true_cluster' out)."
        )
    # Nullable dtypes (Int64, Float64) carry pd.NA: make it NaN so the finiteness
    # check below reports it.
    return frame.to_numpy(dtype=np.float64, na_value=np.nan)


def _object_to_float(array: np.ndarray, name: str) -> np.ndarray:
    """An object array of plain real numbers becomes float; anything else is explained."""
    flat = array.ravel()
    odd = next((v for v in flat if isinstance(v, (bool, np.bool_, str, bytes))
                or not isinstance(v, numbers.Real)), None)
    if odd is None:
        return array.astype(np.float64)
    if isinstance(odd, (list, tuple, np.ndarray)):
        raise TypeError(
            f"{name} is ragged: it holds sequences of different lengths (e.g. {odd!r}), so it "
            f"is not a table of numbers. Every row must have the same number of features."
        )
    raise TypeError(
        f"{name} must hold numbers, but it contains {odd!r} of type {type(odd).__name__}. "
        f"Pass a 2-D array or DataFrame of numeric features only (leave label columns such "
        f"as 'true_cluster' and class letters out)."
    )


def _as_float_2d(value, name: str, are_means: bool = False) -> np.ndarray:
    """Convert ``value`` to a finite 2-D float64 array or explain why it cannot be."""
    if isinstance(value, Mapping):
        if are_means:
            raise TypeError(_DICT_MEANS.format(name=name, preview=_preview(value)))
        raise TypeError(f"{name} is a dict ({_preview(value)}); pass a 2-D array or a "
                        f"DataFrame, e.g. pd.DataFrame({name}).")
    if isinstance(value, pd.DataFrame):
        array = _check_frame_columns(value, name)
    else:
        try:
            array = np.asarray(value)
        except (ValueError, TypeError):  # numpy refuses ragged nested lists
            raise TypeError(
                f"{name} is ragged: its rows have different lengths, so it is not a table of "
                f"numbers. Every row must have the same number of features."
            ) from None
    if array.dtype.kind == "O":
        array = _object_to_float(array, name)
    if array.dtype.kind == "b":
        raise TypeError(
            f"{name} holds booleans (dtype bool). K-means needs numeric features; if the "
            f"True/False values really are features, convert them with {name}.astype(float)."
        )
    if array.dtype.kind not in "iuf":
        what = " (text)" if array.dtype.kind in "US" else ""
        raise TypeError(
            f"{name} must hold numbers, but it has dtype {array.dtype}{what}. Pass a 2-D array "
            f"or DataFrame of numeric features (leave label columns such as 'true_cluster' out)."
        )
    if array.ndim == 1:
        fix = ("A Series is one column: select columns with a list, df[[column]] (double "
               "brackets), to keep a DataFrame." if isinstance(value, pd.Series) else
               f"For a single feature use {name}.reshape(-1, 1); for a single point use "
               f"{name}.reshape(1, -1).")
        raise ValueError(f"{name} must be 2-D with shape (n_samples, n_features), but it is "
                         f"1-D with shape {array.shape}. {fix}")
    if array.ndim != 2:
        raise ValueError(f"{name} must be 2-D with shape (rows, features), but it has "
                         f"shape {array.shape}.")
    array = array.astype(np.float64, copy=False)
    # min/max carry NaN through and cost no n-by-d temporary; row details only on error.
    low, high = (array.min(), array.max()) if array.size else (0.0, 0.0)
    if not (np.isfinite(low) and np.isfinite(high)):
        rows = np.flatnonzero(~np.isfinite(array).all(axis=1))
        hint = ("A mean becomes NaN when a cluster has no points and its average is 0/0: "
                "an empty cluster must keep its current mean." if are_means
                else "Drop or fill them first, e.g. df.dropna().")
        raise ValueError(
            f"{name} contains NaN or infinite values (first in row {rows[0]}, {rows.size} "
            f"row(s) in all). Distances to such points are undefined. {hint}"
        )
    largest = max(high, -low)
    if largest > _MAX_ABS:
        raise ValueError(
            f"{name} has values as large as {largest:.3g}; squared distances would "
            f"overflow to infinity. Rescale the features first, e.g. divide each column by "
            f"its standard deviation."
        )
    return array


def check_X(X, name: str = "X") -> np.ndarray:
    """Validate data: 2-D, numeric, finite, at least one row and one feature.

    Returns
    -------
    ndarray of shape (n_samples, n_features), float64
        ``X`` itself when it already is such an array, else a converted copy.
    """
    array = _as_float_2d(X, name)
    if array.shape[0] == 0:
        raise ValueError(f"{name} is empty (0 rows); K-means needs at least one point. Check "
                         f"the filtering that produced {name}.")
    if array.shape[1] == 0:
        raise ValueError(f"{name} has no feature columns; select at least one numeric column, "
                         f"e.g. {name} = df[data_cols].")
    return array


def check_means(means, n_features: int, name: str = "means") -> np.ndarray:
    """Validate a (k, d) array of means against data with ``n_features`` columns."""
    array = _as_float_2d(means, name, are_means=True)
    if array.shape[0] < 1:
        raise ValueError(f"{name} has no rows, i.e. k = 0; there must be at least one mean "
                         f"(shape (k, {n_features}) with k >= 1).")
    if array.shape[1] != n_features:
        raise ValueError(
            f"{name} has {array.shape[1]} feature column(s) but X has {n_features}. Each mean "
            f"is a point in the same space as the data: use shape (k, {n_features}), with the "
            f"columns in the same order as X."
        )
    return array


def check_n_clusters(k, n_distinct: int | None = None, name: str = "k") -> int:
    """Validate a number of clusters, optionally against the distinct points available."""
    if isinstance(k, (bool, np.bool_)) or not isinstance(k, (numbers.Integral, np.integer)):
        raise TypeError(f"{name} must be an integer number of clusters, got {k!r} of type "
                        f"{type(k).__name__}.")
    if k < 1:
        raise ValueError(f"{name}={k}: the number of clusters must be at least 1.")
    if n_distinct is not None and k > n_distinct:
        raise ValueError(
            f"{name}={k} but X has only {n_distinct} distinct point(s) (repeated rows count "
            f"once), so {k} different initial means cannot be chosen from it. Use "
            f"{name} <= {n_distinct}."
        )
    return int(k)


def _as_label_array(labels, name: str) -> np.ndarray:
    if isinstance(labels, Mapping):
        raise TypeError(f"{name} is a dict; pass a 1-D array or Series with one label per row "
                        f"of X.")
    if isinstance(labels, pd.DataFrame):
        return labels.to_numpy()  # shape (n, 1) is explained by the caller
    if isinstance(labels, (pd.Series, pd.Index)):
        if pd.api.types.is_integer_dtype(labels.dtype) and not labels.hasnans:
            return labels.to_numpy(dtype=np.int64)  # nullable Int64 -> plain ints
        return labels.to_numpy()
    try:
        return np.asarray(labels)
    except (ValueError, TypeError):
        raise TypeError(f"{name} is ragged; pass a flat 1-D array with one integer label per "
                        f"row of X.") from None


def check_labels(labels, n_samples: int, n_clusters: int, name: str = "labels") -> np.ndarray:
    """Validate cluster labels: 1-D integers in ``0..n_clusters-1``, one per row.

    Whole-number floats (``[0.0, 2.0]``) are accepted and converted.
    """
    array = _as_label_array(labels, name)
    if array.ndim == 2 and 1 in array.shape:
        raise ValueError(
            f"{name} has shape {array.shape}, a column or row vector; labels must be 1-D with "
            f"shape ({n_samples},). Flatten it with np.ravel({name})."
        )
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D with one label per row of X (shape "
                         f"({n_samples},)), but it has shape {array.shape}.")
    if array.shape[0] != n_samples:
        raise ValueError(
            f"{name} has {array.shape[0]} entries but X has {n_samples} rows; there must be "
            f"exactly one label per row of X, in the same order."
        )
    if array.dtype.kind == "O" and all(isinstance(v, numbers.Integral)
                                       and not isinstance(v, (bool, np.bool_)) for v in array):
        array = array.astype(np.int64)
    if array.dtype.kind == "f":
        if not np.isfinite(array).all():
            raise ValueError(f"{name} contains NaN or infinite values; every row needs an "
                             f"integer cluster index 0..{n_clusters - 1}.")
        if np.array_equal(array, np.round(array)):
            array = array.astype(np.intp)
    if array.dtype.kind not in "iu":
        raise TypeError(
            f"{name} must be integer cluster indices 0..{n_clusters - 1}, but it has dtype "
            f"{array.dtype}. If you have class letters or mean names, map them to positions "
            f"0..k-1 first."
        )
    if array.size and (array.min() < 0 or array.max() >= n_clusters):
        bad = array[(array < 0) | (array >= n_clusters)]
        raise ValueError(
            f"{name} must lie in 0..{n_clusters - 1} (one index per row of means, k = "
            f"{n_clusters}), but it contains {int(bad[0])}. Labels are positions of means, "
            f"counting from 0."
        )
    return array.astype(np.intp, copy=False)


def check_label_pair(old_labels, new_labels) -> tuple[np.ndarray, np.ndarray]:
    """Validate the two labelings compared by ``converged``: same 1-D shape."""
    old = _as_label_array(old_labels, "old_labels")
    new = _as_label_array(new_labels, "new_labels")
    for name, array in (("old_labels", old), ("new_labels", new)):
        if array.ndim != 1:
            raise ValueError(f"{name} must be 1-D with one label per row of X, but it has "
                             f"shape {array.shape}; flatten it with np.ravel({name}).")
    if old.shape != new.shape:
        raise ValueError(f"old_labels has {old.shape[0]} entries but new_labels has "
                         f"{new.shape[0]}; both must label the same rows of X.")
    return old, new


def check_max_iter(max_iter) -> int:
    """Validate the iteration limit of the Lloyd loop: a positive integer."""
    if isinstance(max_iter, (bool, np.bool_)) or not isinstance(max_iter, numbers.Integral) \
            or max_iter < 1:
        raise ValueError(f"max_iter must be a positive integer (the most update steps to run), "
                         f"got {max_iter!r}.")
    return int(max_iter)


INIT_METHODS = ("random", "k-means++")


def check_init(init) -> str:
    """Validate the name of an initialisation method."""
    if not isinstance(init, str) or init not in INIT_METHODS:
        raise ValueError(f"init={init!r} is not known; use 'random' (k distinct rows of X) or "
                         f"'k-means++' (spread-out rows, chosen by squared distance).")
    return init
