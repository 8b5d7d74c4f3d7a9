"""Composable Hypothesis strategies for K-means data, shared by the checks and the tests.

Everything here generates what a student's notebook may really hold: a pandas
DataFrame of features with arbitrary (unique) column names and a non-default
(unique) index, plus means as a plain ``(k, d)`` float ndarray and labels as a
1-D integer ndarray. Values are finite and bounded, so squared distances never
overflow, and each example uses one magnitude (``10**e`` for ``e`` in -2..3) so
the data are not all near 1. Integer-valued data make exact distance ties
common, which is what tie-breaking checks need; ``integer_valued=False`` avoids
them (mostly -- use ``assume`` for strict no-tie properties).

The strategies are built from :mod:`hypothesis.extra.numpy` arrays and small
integer draws, so failing examples shrink to a few rows of small values.

Public strategies
-----------------
column_names(n)            n unique column labels (all str or all int)
frame_indexes(n)           a unique, non-default index of length n
feature_frames(...)        a feature DataFrame
frames_and_means(...)      (df, means)
frames_labels_means(...)   (df, labels, means)
blobs(...)                 (df, true_labels, k): well-separated clusters
"""

from __future__ import annotations

import re
from functools import cache, lru_cache

import numpy as np
import pandas as pd
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument
from hypothesis.extra import numpy as hnp

__all__ = [
    "SCALE_EXPONENTS",
    "blobs",
    "column_names",
    "feature_frames",
    "frame_indexes",
    "frames_and_means",
    "frames_labels_means",
]

#: Each example's values are ``unit * 10**e`` for one ``e`` from this range.
SCALE_EXPONENTS = (-2, 3)
# Unit values lie in [-_UNIT_BOUND, _UNIT_BOUND]: with scale <= 1e3 every value is
# at most 1e4 in size, so a squared distance over <= 64 features stays below 1e11.
_UNIT_BOUND = 10.0
# Values smaller than this (in units) are flushed to 0 so no example mixes 1e-300
# with 1e3: such examples test float underflow, not K-means.
_TINY = 1e-6
_SMALL_INT = 6  # integer-valued data lie in -_SMALL_INT.._SMALL_INT: ties are common

# Names the notebook's own code uses; a student must not rely on them.
_DEFAULT_LIKE = re.compile(r"x\d+|\d+")
_TRICKY_NAMES = ("feature 1", "petal length (cm)", "µ", "x", "X", "größe", "Ω_2", " ", "0.5",
                 "label", "mean", "名前")


# --------------------------------------------------------------------------- names and indexes
# Strategies are cached per size: building and validating a fresh strategy
# object inside every draw costs more than drawing from it.
@cache
def _string_names() -> st.SearchStrategy[str]:
    text = st.text(
        alphabet=st.characters(codec="utf-8", exclude_categories=("Cs", "Cc")),
        min_size=1, max_size=8,
    )
    return (st.sampled_from(_TRICKY_NAMES) | text).filter(
        lambda name: not _DEFAULT_LIKE.fullmatch(name))


@lru_cache(maxsize=256)
def column_names(n: int) -> st.SearchStrategy[list]:
    """``n`` unique column labels: all strings (spaces, unicode, never ``x0``-style) or all ints.

    Integer labels are never ``0..n-1`` in order, so code that indexes columns by
    position through ``df[j]`` fails instead of passing by luck.
    """
    strings = st.lists(_string_names(), min_size=n, max_size=n, unique=True)
    ints = st.lists(st.integers(-50, 1000), min_size=n, max_size=n, unique=True).filter(
        lambda names: names != list(range(n)))
    return strings | ints


@lru_cache(maxsize=256)
def frame_indexes(n: int) -> st.SearchStrategy[pd.Index]:
    """A unique index of length ``n`` that is not the default ``RangeIndex(n)``.

    One of: shuffled integers, an offset/strided range, or unique strings.
    Positional code (``X[i]`` on a DataFrame, ``.loc`` with row numbers) breaks on
    all three, which is the point.
    """
    shuffled = st.permutations(range(n)).map(lambda order: pd.Index(order, dtype="int64"))
    offset = st.tuples(st.integers(1, 1000), st.integers(1, 7)).map(
        lambda start_step: pd.RangeIndex(start_step[0], start_step[0] + start_step[1] * n,
                                         start_step[1]))
    strings = st.lists(st.text(min_size=1, max_size=6), min_size=n, max_size=n, unique=True).map(
        pd.Index)
    candidates = offset | strings
    if n > 1:
        # A permutation of range(n) is the default index for n <= 1.
        candidates = candidates | shuffled.filter(lambda idx: not idx.equals(pd.RangeIndex(n)))
    return candidates


# --------------------------------------------------------------------------- values
@cache
def _unit_floats() -> st.SearchStrategy[float]:
    return st.floats(-_UNIT_BOUND, _UNIT_BOUND, allow_nan=False, allow_infinity=False,
                     allow_subnormal=False).map(lambda v: 0.0 if abs(v) < _TINY else v)


@lru_cache(maxsize=256)
def _values(shape, integer_valued: bool, scale: float) -> st.SearchStrategy[np.ndarray]:
    """A float64 array of ``shape``: small whole numbers, or unit floats times ``scale``."""
    if integer_valued:
        return hnp.arrays(np.float64, shape, elements=st.integers(-_SMALL_INT, _SMALL_INT)
                          .map(float))
    return hnp.arrays(np.float64, shape, elements=_unit_floats()).map(lambda a: a * scale)


@lru_cache(maxsize=256)
def _row_lists(d: int, integer_valued: bool, min_rows: int, max_rows: int):
    # Rows as a list (not one array of drawn shape): the shrinker deletes whole
    # rows from a list, so a failing frame shrinks to the few rows that matter.
    element = st.integers(-_SMALL_INT, _SMALL_INT).map(float) if integer_valued \
        else _unit_floats()
    return st.lists(st.lists(element, min_size=d, max_size=d), min_size=min_rows,
                    max_size=max_rows)


@st.composite
def _frame_spec(draw, min_rows, max_rows, min_cols, max_cols, integer_valued):
    """(df, integer_valued, scale): the frame and how its values were drawn."""
    if not 0 <= min_rows <= max_rows or not 0 <= min_cols <= max_cols:
        raise InvalidArgument(f"need 0 <= min_rows <= max_rows and 0 <= min_cols <= max_cols, got "
                              f"rows {min_rows}..{max_rows}, cols {min_cols}..{max_cols}")
    d = draw(st.integers(min_cols, max_cols))
    if integer_valued is None:
        integer_valued = draw(st.booleans())
    scale = 1.0 if integer_valued else 10.0 ** draw(st.integers(*SCALE_EXPONENTS))
    names = draw(column_names(d))
    rows = draw(_row_lists(d, integer_valued, min_rows, max_rows))
    values = np.array(rows, dtype=np.float64).reshape(len(rows), d)
    if not integer_valued:
        values *= scale
    frame = pd.DataFrame(values, columns=names, index=draw(frame_indexes(len(rows))))
    return frame, integer_valued, scale


def feature_frames(min_rows: int = 1, max_rows: int = 60, min_cols: int = 1, max_cols: int = 6,
                   integer_valued: bool | None = None) -> st.SearchStrategy[pd.DataFrame]:
    """A DataFrame of float64 features, as ``df[data_cols]`` would be in the notebook.

    Parameters
    ----------
    min_rows, max_rows, min_cols, max_cols : int
        Bounds on the number of rows (points) and columns (features).
    integer_valued : bool or None
        True: whole numbers in -6..6 (stored as float64), so exact distance ties
        are common. False: unit floats in [-10, 10] times one scale ``10**e``,
        ``e`` in -2..3, per example (no subnormals; |unit| < 1e-6 is flushed to 0).
        None: either, chosen per example.

    Column names are unique (see :func:`column_names`), the index is unique and
    not the default (see :func:`frame_indexes`). No NaN or infinity.
    """
    return _frame_spec(min_rows, max_rows, min_cols, max_cols, integer_valued).map(
        lambda spec: spec[0])


@st.composite
def _means_for(draw, frame: pd.DataFrame, k: int, integer_valued: bool, scale: float,
               from_rows: bool | None = None):
    """(k, d) means: ``k`` rows of ``frame`` (repeats allowed), or fresh values at its scale."""
    if from_rows is None:
        from_rows = draw(st.booleans())
    n, d = frame.shape
    if from_rows and n:
        rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k))
        return frame.to_numpy(dtype=np.float64)[rows].copy()
    return draw(_values((k, d), integer_valued, scale))


def _k_strategy(min_k: int, max_k: int, n: int | None = None) -> st.SearchStrategy[int]:
    if not 1 <= min_k <= max_k:
        raise InvalidArgument(f"need 1 <= min_k <= max_k, got {min_k}..{max_k}")
    return st.integers(min_k, max_k if n is None else min(max_k, n))


@st.composite
def frames_and_means(draw, max_k: int = 8, *, min_k: int = 1, min_rows: int = 1,
                     max_rows: int = 60, min_cols: int = 1, max_cols: int = 6,
                     integer_valued: bool | None = None, from_rows: bool | None = None
                     ) -> tuple[pd.DataFrame, np.ndarray]:
    """``(df, means)`` with ``df`` from :func:`feature_frames` and ``means`` of shape (k, d).

    ``min_k <= k <= max_k`` (k may exceed the number of rows). The means are either
    ``k`` rows of ``df`` -- repeats allowed, so identical means and hence ties
    occur -- or drawn independently at the same magnitude (``from_rows`` forces
    one or the other; None lets Hypothesis choose).
    """
    frame, integer_valued, scale = draw(
        _frame_spec(min_rows, max_rows, min_cols, max_cols, integer_valued))
    k = draw(_k_strategy(min_k, max_k))
    return frame, draw(_means_for(frame, k, integer_valued, scale, from_rows))


@st.composite
def frames_labels_means(draw, max_k: int = 8, allow_empty: bool = True, *, min_k: int = 1,
                        min_rows: int = 1, max_rows: int = 60, min_cols: int = 1, max_cols: int = 6,
                        integer_valued: bool | None = None, from_rows: bool | None = None
                        ) -> tuple[pd.DataFrame, np.ndarray, np.ndarray]:
    """``(df, labels, means)``: an input for ``update`` or ``inertia``.

    ``labels`` is an intp ndarray of shape (n,) with values in ``0..k-1``; ``means``
    has shape (k, d), ``min_k <= k <= max_k``.

    allow_empty : bool
        True: labels are arbitrary, so some clusters may have no points (k may
        even exceed n). False: every label ``0..k-1`` occurs at least once
        (``k <= n`` is then enforced, and frames have at least ``min_k`` rows).
    """
    least = max(min_rows, 1 if allow_empty else min_k)
    if least > max_rows:
        raise InvalidArgument("max_rows is too small for min_k non-empty clusters")
    frame, integer_valued, scale = draw(
        _frame_spec(least, max_rows, min_cols, max_cols, integer_valued))
    n = len(frame)
    k = draw(_k_strategy(min_k, max_k, None if allow_empty else n))
    labels = draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1)))
    if not allow_empty:
        # Plant every label at k distinct rows; the rest stay arbitrary.
        rows = draw(st.lists(st.integers(0, n - 1), min_size=k, max_size=k, unique=True))
        labels[rows] = np.arange(k)
    return frame, labels, draw(_means_for(frame, k, integer_valued, scale, from_rows))


@st.composite
def blobs(draw, min_k: int = 2, max_k: int = 5, *, min_per_cluster: int = 1,
          max_per_cluster: int = 12, min_cols: int = 1, max_cols: int = 4,
          spread: float = 0.05) -> tuple[pd.DataFrame, np.ndarray, int]:
    """Well-separated clusters with their ground truth: ``(df, true_labels, k)``.

    The ``k`` centres are distinct points of the integer grid ``{-3..3}**d``
    (pairwise distance >= 1), times one scale ``10**e``; every point lies within
    ``spread`` (per coordinate, in grid units) of its centre, so a cluster's
    diameter is at most ``2 * spread * sqrt(d)`` = 0.2 grid units for the
    defaults, far below the gap between clusters. The truth is then the unique
    optimal clustering, and k-means++ with a few restarts finds it. Rows are
    shuffled; ``true_labels`` (intp, shape (n,)) give each row's centre.
    """
    if not 2 * spread * np.sqrt(max_cols) < 0.5:
        raise InvalidArgument("spread too large for the clusters to be well separated")
    d = draw(st.integers(min_cols, max_cols))
    max_k = min(max_k, 7 ** d)
    k = draw(st.integers(min_k, max_k))
    centres = np.array(draw(st.lists(st.tuples(*[st.integers(-3, 3)] * d),
                                     min_size=k, max_size=k, unique=True)), dtype=np.float64)
    sizes = draw(st.lists(st.integers(min_per_cluster, max_per_cluster), min_size=k, max_size=k))
    truth = np.repeat(np.arange(k), sizes)
    noise = draw(hnp.arrays(np.float64, (truth.size, d),
                            elements=st.floats(-1, 1, allow_nan=False, allow_subnormal=False)))
    order = np.array(draw(st.permutations(range(truth.size))), dtype=np.intp)
    scale = 10.0 ** draw(st.integers(*SCALE_EXPONENTS))
    values = (centres[truth] + spread * noise)[order] * scale
    frame = pd.DataFrame(values, columns=draw(column_names(d)),
                         index=draw(frame_indexes(truth.size)))
    return frame, truth[order], k
