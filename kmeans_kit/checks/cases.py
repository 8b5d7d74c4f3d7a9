"""The inputs the checks use: hand-picked cases, diagnostic probes and generated cases.

A :class:`Case` is one call's arguments as plain data (see
:mod:`kmeans_kit.protocol`), so any caller can serve it. Hand-picked
cases are small on purpose (at most 5 points): each one is the smallest input
that exposes some classic mistake, and a failure on one needs no shrinking.
Probes are the fixed inputs the misconception detectors compare models on.
Generated cases come from the shared Hypothesis strategies.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import numpy as np
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from ..protocol import Frame, SameAs
from . import strategies as kst


@dataclass(frozen=True, eq=False)
class Case:
    """One call of ``function`` with plain-data ``args``; ``label`` says what it is about."""

    function: str
    args: tuple
    label: str = "a generated input"

    # -- plain views used by the judges (never handed to student code)
    @property
    def X(self) -> np.ndarray:
        return np.asarray(self.args[0].values, dtype=np.float64)

    @property
    def frame(self) -> Frame:
        return self.args[0]

    @property
    def means(self) -> np.ndarray:
        return np.asarray(self.args[-1], dtype=np.float64)

    @property
    def labels(self) -> np.ndarray:
        return np.asarray(self.args[1], dtype=np.intp)

    @property
    def k(self) -> int:
        return int(self.means.shape[0])

    @property
    def exact(self) -> bool:
        """True when all values are small whole numbers, so distance ties are exact."""
        values = np.concatenate([self.X.ravel(), self.means.ravel()])
        return bool(np.all(values == np.round(values)) and np.abs(values).max(initial=0) < 2**20)

    def key(self) -> str:
        """A digest of the arguments: equal inputs give equal keys (the call cache)."""
        digest = hashlib.sha1(self.function.encode())
        for arg in self.args:
            if isinstance(arg, Frame):
                digest.update(b"F" + repr((arg.columns, arg.index, arg.values.dtype.str,
                                            arg.values.shape)).encode())
                digest.update(np.ascontiguousarray(arg.values).tobytes())
            elif isinstance(arg, np.ndarray):
                digest.update(b"A" + repr((arg.dtype.str, arg.shape)).encode())
                digest.update(np.ascontiguousarray(arg).tobytes())
            else:
                digest.update(b"O" + repr(arg).encode())
        return digest.hexdigest()


def frame(values, columns=None, index=None, dtype=np.float64) -> Frame:
    """A :class:`Frame` from nested lists (default columns ``a, b...``, index ``10, 11...``)."""
    values = np.asarray(values, dtype=dtype)
    if values.ndim == 1:
        values = values[:, None]
    n, d = values.shape
    columns = tuple(columns) if columns is not None else tuple("abcdef"[:d])
    index = tuple(index) if index is not None else tuple(range(10, 10 + n))
    return Frame(values, columns, index)


def _means(rows) -> np.ndarray:
    return np.asarray(rows, dtype=np.float64).reshape(len(rows), -1)


def assign_case(values, means, label, **kw) -> Case:
    return Case("assign", (frame(values, **kw), _means(means)), label)


def update_case(values, labels, means, label, **kw) -> Case:
    return Case("update", (frame(values, **kw), np.asarray(labels, dtype=np.intp), _means(means)),
                label)


def converged_case(old, new, label) -> Case:
    new = new if isinstance(new, SameAs) else np.asarray(new, dtype=np.intp)
    return Case("converged", (np.asarray(old, dtype=np.intp), new), label)


# --------------------------------------------------------------------------- hand-picked
HAND_PICKED: dict[str, tuple[Case, ...]] = {
    "assign": (
        assign_case([[1, 0], [4, 5]], [[0, 0], [5, 5]], "two points, two means",
                    columns=("x0", "x1"), index=(0, 1)),
        assign_case([[2.5, -1]], [[0, 0], [3, -1], [-4, 2]], "one point",
                    columns=("height", "weight")),
        assign_case([[1, 2], [3, 4], [-1, 0], [6, 6]], [[2, 2]], "k = 1 (a single mean)",
                    columns=("p", "q")),
        assign_case([[0, 0], [5, 1], [2, 7]], [[2, 7], [0, 0], [5, 1]],
                    "k = n (every point is a mean)", columns=("u", "v"), index=("r", "s", "t")),
        assign_case([[0, 0], [1, 0], [2, 0], [4, 1], [3, 3]], [[0, 0], [2, 0], [4, 0], [3, 3]],
                    "exact ties (equally near two means)", columns=("left", "right")),
        assign_case([[0, 0]], [[1, 0], [0, 1]], "a tie that the second feature makes",
                    columns=("x", "y")),
        assign_case([[1, 1], [5, 5], [3, 3]], [[5, 5], [1, 1], [3, 3], [1, 1]],
                    "a repeated mean (a tie between means 1 and 3)", columns=("s", "t")),
        assign_case([[3, -2], [0, 4], [-5, 1]], [[0, 0], [-4, 0], [2, 2]],
                    "integer data (int64 columns)", columns=("count", "score"), dtype=np.int64),
        assign_case([[0, 0, 5]], [[0, 0, 0], [1, 1, 5]],
                    "one point, three features (the third decides)", columns=("a", "b", "c")),
        assign_case([[0.5], [3.0], [9.5], [6.0]], [[1.0], [8.0]], "one feature",
                    columns=("petal length (cm)",)),
        assign_case([[0, 0, 1], [4, 4, 4], [1, 0, 0]], [[4, 4, 3], [0, 1, 0]],
                    "three features, integer column names, a string index",
                    columns=(3, 7, 5), index=("p", "q", "r")),
    ),
    "update": (
        update_case([[0, 0], [2, 0], [6, 6], [8, 8]], [0, 0, 1, 1], [[1, 1], [5, 5]],
                    "two clusters of two", columns=("x0", "x1"), index=(0, 1, 2, 3)),
        update_case([[3, -1]], [0], [[0, 0]], "one point, k = 1", columns=("height", "weight")),
        update_case([[0, 1], [3, 2], [9, 9]], [2, 0, 1], [[1, 1], [2, 2], [3, 3]],
                    "k = n (every point its own cluster)", columns=("u", "v"),
                    index=("r", "s", "t")),
        update_case([[1, 2], [2, 2], [4, 5], [-1, 0], [0, 3]], [1, 0, 1, 0, 0],
                    [[0, 0], [0, 0]], "integer data whose means are not whole",
                    columns=("count", "score"), dtype=np.int64),
        update_case([[1, 2, 3]], [0], [[0, 0, 0]], "one point, three features",
                    columns=("a", "b", "c")),
        update_case([[0.5], [3.0], [9.5], [6.0]], [1, 1, 0, 0], [[8.0], [1.0]],
                    "one feature, labels not in order", columns=("petal length (cm)",)),
        update_case([[0, 0, 1], [4, 4, 4], [1, 0, 0]], [0, 1, 0], [[1, 1, 1], [3, 3, 3]],
                    "three features, integer column names, a string index",
                    columns=(3, 7, 5), index=("p", "q", "r")),
        update_case([[0, 0], [2, 2], [8, 8], [9, 7]], [0, 0, 2, 2], [[1, 1], [5, 5], [8, 8]],
                    "an empty cluster (no point has label 1)", columns=("left", "right")),
        update_case([[1, 1], [3, 1], [5, 5]], [1, 1, 1], [[0, 4], [2, 2], [7, 7]],
                    "two empty clusters (every point has label 1)", columns=("s", "t")),
    ),
    "converged": (
        converged_case([0, 1, 2, 1, 0], SameAs(0), "the very same labels object twice"),
        converged_case([0, 1, 2, 1, 0], [0, 1, 2, 1, 0], "equal labels (a copy)"),
        converged_case([0, 1, 2, 1, 0], [0, 1, 2, 1, 2], "only the last label changed"),
        converged_case([0, 1, 2, 1, 0], [2, 1, 2, 1, 0], "only the first label changed"),
        converged_case([0, 1, 2, 1, 0], [0, 1, 0, 1, 0], "one label in the middle changed"),
        converged_case([0, 1, 2, 1, 0], [1, 2, 0, 2, 1], "every label changed"),
        converged_case([3], [3], "one point, unchanged"),
        converged_case([3], [0], "one point, changed"),
    ),
}

# --------------------------------------------------------------------------- probes
# Fixed inputs on which the misconception models disagree with each other and
# with the reference; the detectors call the student on these (cached).
_P = [[0.0, 0.0], [5.0, 0.5], [0.5, 3.75], [6.0, 6.0], [2.5, 2.0]]
_PM = [[2.0, 2.0], [0.0, 3.5], [6.5, 5.0]]
PROBES: dict[str, dict[str, Case]] = {
    "assign": {
        # Nearest, farthest, L1-nearest and first-feature-nearest all differ here.
        "general": assign_case(_P, _PM, "five points, three means", columns=("a", "b")),
        "two_points": assign_case(_P[:2], _PM, "two points, three means",
                                  columns=("x0", "x1"), index=range(2)),
        "notes_names": assign_case(_P, _PM, "the same points with the notes' column names",
                                   columns=("x0", "x1"), index=range(5)),
        # Same data, two sets of four means with different answers: a function that
        # answers both the same is not using the means it is given.
        "four_means": assign_case(_P, [[1, 1], [1, 5], [5, 1], [5, 5]],
                                  "five points, four means", columns=("x0", "x1"), index=range(5)),
        "four_means_moved": assign_case(_P, [[5, 5], [5, 1], [1, 5], [1, 1]],
                                        "the same points, the four means in reverse order",
                                        columns=("x0", "x1"), index=range(5)),
        "ties": assign_case([[1, 0], [0, 1], [3, 3]], [[0, 0], [2, 0], [0, 2], [3, 3]],
                            "points equally near two means", columns=("a", "b")),
        # The nearest mean by all three features, by the first two and by the first one
        # differ: [1, 2, 0], [0, 2, 0] and [0, 2, 1].
        "three_features": assign_case([[0, 0, 5], [4, 4, 0], [1, 0, -3]],
                                      [[0, 0, 0], [1, 1, 5], [4, 4, -1]],
                                      "three points with three features", columns=("a", "b", "c")),
    },
    "update": {
        # counts 1, 2, 4 (k = 3): mean, median, sum, sum/k all differ; means are not whole;
        # labels first appear in the order 2, 0, 1.
        "general": update_case([[4, 1], [0, 0], [1, 3], [9, 5], [2, 1], [7, 2], [8, 9]],
                               [2, 0, 1, 2, 0, 2, 2], [[1, 1], [2, 2], [3, 3]],
                               "clusters of 2, 1 and 4 points",
                               columns=("a", "b")),
        "relabelled": update_case([[4, 1], [0, 0], [1, 3], [9, 5], [2, 1], [7, 2], [8, 9]],
                                  [0, 1, 1, 2, 2, 2, 2], [[1, 1], [2, 2], [3, 3]],
                                  "the same points with other labels", columns=("a", "b")),
        "empty": update_case([[0, 1], [3, 2], [6, 6], [9, 8]], [0, 0, 2, 2],
                             [[1, 1], [4.5, 4.5], [7, 7]], "an empty cluster in the middle",
                             columns=("a", "b")),
        "empty_last": update_case([[0, 1], [3, 2], [6, 6], [9, 8]], [0, 0, 1, 1],
                                  [[1, 1], [7, 7], [4.5, 4.5]], "the last cluster empty",
                                  columns=("a", "b")),
        "three_features": update_case([[0, 0, 1], [2, 2, 5], [6, 6, 9], [8, 8, 3]], [0, 0, 1, 1],
                                      [[1, 1, 0], [5, 5, 0]], "two clusters, three features",
                                      columns=("a", "b", "c")),
    },
    "converged": {
        **{case.label: case for case in HAND_PICKED["converged"]},
        # A threshold on the fraction of changed labels hides one change among many.
        "one label of fifty changed": converged_case(
            np.arange(50) % 3, np.where(np.arange(50) == 25, 0, np.arange(50) % 3),
            "one label of fifty changed"),
    },
}


# --------------------------------------------------------------------------- generated
def _as_assign_case(example) -> Case:
    df, means = example
    return Case("assign", (Frame.from_pandas(df), np.asarray(means, dtype=np.float64)))


def _as_update_case(example) -> Case:
    df, labels, means = example
    return Case("update", (Frame.from_pandas(df), np.asarray(labels, dtype=np.intp),
                           np.asarray(means, dtype=np.float64)))


@st.composite
def _label_pairs(draw) -> Case:
    """(old, new) labels: equal (as a copy) or differing in a few positions."""
    n = draw(st.integers(1, 60))
    k = draw(st.integers(1, 8))
    old = draw(hnp.arrays(np.intp, n, elements=st.integers(0, k - 1)))
    new = old.copy()
    if k > 1 and draw(st.booleans()):
        where = draw(st.lists(st.integers(0, n - 1), min_size=1, max_size=3, unique=True))
        for i in where:
            new[i] = (new[i] + draw(st.integers(1, k - 1))) % k
    return Case("converged", (old, new))


def generated(function: str) -> st.SearchStrategy[Case]:
    """Hypothesis cases for ``function`` (n 1..60, d 1..6, k 1..8, odd names and indexes)."""
    if function == "assign":
        return kst.frames_and_means(max_k=8).map(_as_assign_case)
    if function == "update":
        return kst.frames_labels_means(max_k=8, allow_empty=True).map(_as_update_case)
    if function == "converged":
        return _label_pairs()
    raise ValueError(f"no generated cases for {function!r}")
