"""The same misconceptions written differently: the detectors must not depend on one spelling.

``VARIANTS[label] = (namespace, misconception)``; every failing check of the
submission must be diagnosed as ``misconception``.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from scipy.spatial import KDTree
from scipy.spatial.distance import cdist

from mutants.correct import submission

mu = {"A": (2.0, 2.0), "B": (2.0, 6.0), "C": (6.0, 2.0), "D": (6.0, 6.0)}


def _pandas_table(X, means):
    return pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)


def assign_idxmax(X, means):
    return _pandas_table(X, means).idxmax(axis=1)


def assign_series_plus_one(X, means):
    return _pandas_table(X, means).idxmin(axis=1) + 1


def assign_loop_ties_last(X, means):
    labels = []
    for row in X.to_numpy():
        best, best_d = 0, np.inf
        for j, m in enumerate(means):
            d = ((row - m) ** 2).sum()
            if d <= best_d:  # `<=` lets a later, equal mean win
                best, best_d = j, d
        labels.append(best)
    return np.array(labels)


def assign_pandas_table(X, means):
    return _pandas_table(X, means)


def assign_globals_loop(X, means):
    true = np.array(list(mu.values()))
    return ((X.to_numpy()[:, None, :] - true[None]) ** 2).sum(axis=2).argmin(axis=1)


def assign_letters_idxmin(X, means):
    table = pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)
    table.columns = list("ABCDEFGH")[:len(means)]
    return table.idxmin(axis=1)


def assign_column_by_name(X, means):
    diff = (X["x0"].to_numpy()[:, None] - means[None, :, 0]) ** 2 \
        + (X["x1"].to_numpy()[:, None] - means[None, :, 1]) ** 2
    return diff.argmin(axis=1)


def update_notes_groupby(X, labels, means):
    return X.groupby(labels).mean().values


def update_pandas_nan(X, labels, means):
    labels = np.asarray(labels)
    return np.array([X[labels == j].mean().to_numpy() for j in range(len(means))])


def update_unique_order(X, labels, means):
    new = np.array(means, dtype=float)
    groups = X.groupby(np.asarray(labels), sort=False).mean().to_numpy()
    new[:len(groups)] = groups  # rows in order of first appearance, not by label
    return new


def update_astype_int(X, labels, means):
    new = np.array(means, dtype=float)
    labels = np.asarray(labels)
    for j in range(len(means)):
        if (labels == j).any():
            new[j] = X.to_numpy()[labels == j].mean(axis=0)
    return new.astype(int)


def converged_fraction(old, new):
    return np.mean(np.asarray(old) == np.asarray(new)) > 0.9


def converged_shapes(old, new):
    return np.shape(old) == np.shape(new)


def converged_ids(old, new):
    return id(old) == id(new)


def converged_last_only(old, new):
    return old[-1] == new[-1] and old[0] == new[0] and False or bool(old[0] == new[0])


def assign_cdist(X, means):
    """scipy's distance table: the assignment step handed to a library."""
    return cdist(X.to_numpy(), means, "sqeuclidean").argmin(axis=1)


def assign_kdtree(X, means):
    """scipy's nearest-neighbour tree: the nearest mean found by a library."""
    return KDTree(means).query(X.to_numpy())[1]


VARIANTS = {
    "scipy's cdist distance table": (submission(assign=assign_cdist), "assign.delegates"),
    "scipy's KDTree nearest mean": (submission(assign=assign_kdtree), "assign.delegates"),
    "argmax via idxmax": (submission(assign=assign_idxmax), "assign.argmax"),
    "one-based Series": (submission(assign=assign_series_plus_one), "assign.one_based"),
    "ties to the last via <=": (submission(assign=assign_loop_ties_last), "assign.ties_last"),
    "the pandas distance table": (submission(assign=assign_pandas_table),
                                  "assign.distance_table"),
    "true means from a global array": (submission(assign=assign_globals_loop, mu=mu),
                                       "assign.global_means"),
    "letters as idxmin columns": (submission(assign=assign_letters_idxmin),
                                  "assign.class_letters"),
    "columns named one by one": (submission(assign=assign_column_by_name),
                                 "assign.hardcoded_columns"),
    "the notes' groupby idiom verbatim": (submission(update=update_notes_groupby),
                                          "update.drops_empty_cluster"),
    "pandas mean of an empty selection": (submission(update=update_pandas_nan),
                                          "update.nan_empty_cluster"),
    "groupby sort=False": (submission(update=update_unique_order), "update.first_appearance"),
    "astype(int) at the end": (submission(update=update_astype_int),
                               "update.integer_truncation"),
    "a threshold on the fraction unchanged": (submission(converged=converged_fraction),
                                              "converged.tolerance"),
    "shapes compared": (submission(converged=converged_shapes), "converged.lengths"),
    "id() compared": (submission(converged=converged_ids), "converged.identity"),
    "first element compared": (submission(converged=converged_last_only),
                               "converged.one_element"),
}
