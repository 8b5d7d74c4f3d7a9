"""The course notes' K-means loop, in the notes' pandas idioms, for comparison.

This is deliberately *not* the reference: it has the notes' behaviour,
including their one flaw. The update ``df.groupby(labels)[data_cols].mean()``
only returns a row for the labels that occur, so when a mean loses all its
points the next step silently runs with fewer means, and the survivors are
renumbered 0..k'-1 by the next ``idxmin``. The reference (:func:`reference.lloyd`)
keeps the empty cluster's mean instead. :func:`notes_lloyd` records where that
happened so tests, the benchmark and the docs can point at it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from reference._lloyd import Step, inertia
from reference._validation import check_max_iter, check_means

__all__ = ["NotesRun", "notes_assign", "notes_lloyd", "notes_update"]


@dataclass(frozen=True, eq=False)  # Series have no single-valued ==
class NotesRun:
    """What the notes' loop produced.

    Attributes
    ----------
    n_iter : int
        The notes' counter ``i`` when the loop stops: the number of updates.
        ``labels[i]`` equal ``labels[i-1]`` when ``converged``.
    labels : list of Series
        ``labels[i]`` is the notes' column ``str(i)``: the assignment made from
        ``means[i]`` (integers indexing the rows of ``means[i]``).
    means : list of ndarray
        ``means[0]`` is ``mu0``; ``means[i]`` the result of the i-th update.
        Shapes shrink after an empty cluster.
    converged : bool
        False only if ``max_iter`` updates ran with labels still changing.
    empty_at : int or None
        The first update ``i`` whose ``groupby`` returned fewer rows than there
        were means, or None.
    emptied : tuple of int
        The labels (indices into ``means[empty_at - 1]``) that had no points at
        that update.
    """

    n_iter: int
    labels: list[pd.Series] = field(repr=False)
    means: list[np.ndarray] = field(repr=False)
    converged: bool
    empty_at: int | None
    emptied: tuple[int, ...]

    @property
    def hit_empty_cluster(self) -> bool:
        return self.empty_at is not None

    def history(self, X) -> list[Step]:
        """The run as reference :class:`~reference.Step` objects, for the pictures."""
        return [Step(np.asarray(m), lab.to_numpy(), inertia(X, m, lab.to_numpy()))
                for m, lab in zip(self.means, self.labels)]


def notes_assign(X: pd.DataFrame, means: np.ndarray) -> pd.Series:
    """Assignment step as in the notes: a column of squared distances per mean, then ``idxmin``."""
    distances = pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)
    return distances.idxmin(axis=1)


def notes_update(X: pd.DataFrame, labels: pd.Series) -> np.ndarray:
    """Update step as in the notes: ``groupby`` mean -- one row per label that occurs."""
    return X.groupby(labels).mean().to_numpy()


def notes_lloyd(df: pd.DataFrame, data_cols: list[str], mu0, max_iter: int = 300) -> NotesRun:
    """Run the notes' loop: assign, update, repeat until no assignment changes.

    Parameters
    ----------
    df : DataFrame
        The data; it is not modified (the notes add one label column per
        iteration to ``df``; here the columns are returned instead).
    data_cols : list of str
        The feature columns of ``df``.
    mu0 : array-like of shape (K, D)
        Initial means, e.g. :func:`kmeans_kit.data.notes_initial_means`.
    max_iter : int, default 300
        A guard the notes do not have; Lloyd's loop terminates anyway.

    Returns
    -------
    NotesRun
    """
    if not isinstance(df, pd.DataFrame):
        raise TypeError(f"df must be a DataFrame, got {type(df).__name__}.")
    missing = [col for col in data_cols if col not in df.columns]
    if missing:
        raise ValueError(f"data_cols names columns that df does not have: {missing!r}.")
    X = df[list(data_cols)]
    means = check_means(mu0, X.shape[1], name="mu0")
    max_iter = check_max_iter(max_iter)

    all_means, all_labels = [means], [notes_assign(X, means)]
    empty_at, emptied = None, ()
    changed, i = True, 0
    while changed and i < max_iter:
        i += 1
        old = all_labels[-1]
        new_means = notes_update(X, old)
        if empty_at is None and len(new_means) < len(all_means[-1]):
            empty_at = i
            emptied = tuple(sorted(set(range(len(all_means[-1]))) - set(old.unique().tolist())))
        new = notes_assign(X, new_means)
        all_means.append(new_means)
        all_labels.append(new)
        changed = int((old != new).sum()) > 0
    return NotesRun(i, all_labels, all_means, not changed, empty_at, emptied)
