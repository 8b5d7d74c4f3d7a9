"""Correct solutions in the styles students really write; every one must pass all checks."""

from __future__ import annotations

import math
import warnings

import numpy as np
import pandas as pd


# ------------------------------------------------------------------------- the notes' pandas idioms
def assign_pandas(X, means):
    distances = pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)
    return distances.idxmin(axis=1)


def update_pandas(X, labels, means):
    new = means.copy()
    groups = X.groupby(np.asarray(labels)).mean()
    for j, row in groups.iterrows():
        new[j] = row.to_numpy()
    return new


def converged_pandas(old_labels, new_labels):
    return bool((pd.Series(np.asarray(old_labels)) == pd.Series(np.asarray(new_labels))).all())


# --------------------------------------------------------------------------- NumPy broadcasting
def assign_numpy(X, means):
    values = X.to_numpy()
    return ((values[:, None, :] - means[None, :, :]) ** 2).sum(axis=2).argmin(axis=1)


def update_numpy(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    new = np.array(means, dtype=float)
    for j in range(len(means)):
        members = values[labels == j]
        if len(members):
            new[j] = members.mean(axis=0)
    return new


def converged_numpy(old_labels, new_labels):
    return np.array_equal(old_labels, new_labels)


# --------------------------------------------------------------------------- plain Python loops
def assign_loops(X, means):
    labels = []
    for row in X.itertuples(index=False):
        best, best_d = 0, None
        for j, m in enumerate(means):
            d = 0.0
            for a, b in zip(row, m):
                d += (a - b) * (a - b)
            if best_d is None or d < best_d:
                best, best_d = j, d
        labels.append(best)
    return labels


def update_loops(X, labels, means):
    rows = X.values.tolist()
    k, dims = len(means), len(means[0])
    sums = [[0.0] * dims for _ in range(k)]
    counts = [0] * k
    for row, label in zip(rows, labels):
        counts[label] += 1
        for c in range(dims):
            sums[label][c] += row[c]
    new = []
    for j in range(k):
        if counts[j] == 0:
            new.append([float(v) for v in means[j]])
        else:
            new.append([s / counts[j] for s in sums[j]])
    return np.array(new)


def converged_loops(old_labels, new_labels):
    for a, b in zip(old_labels, new_labels):
        if a != b:
            return False
    return True


# --------------------------------------------------------------------------- true distances (sqrt)
def assign_sqrt(X, means):
    values = X.to_numpy()
    distances = np.sqrt(((values[:, None, :] - means[None, :, :]) ** 2).sum(axis=2))
    return np.argmin(distances, axis=1)


def assign_sqrt_loops(X, means):
    return np.array([min(range(len(means)), key=lambda j: math.dist(row, means[j]))
                     for row in X.to_numpy()])


# --------------------------------------------------------------------------- the idxmin Series
def assign_idxmin_series(X, means):
    table = pd.DataFrame({j: ((X - m) ** 2).sum(axis=1) for j, m in enumerate(means)})
    return table.idxmin(axis=1)


# ---------------------------------------------------------------------- the contract's latitude
def assign_expanded_float_list(X, means):
    """The expanded formula |x|^2 - 2 x.m + |m|^2 (it rounds for huge coordinates, but is
    accepted for course-scale data), labels as a list of whole-number floats."""
    points, centres = np.asarray(X, dtype=float), np.asarray(means, dtype=float)
    table = (points ** 2).sum(axis=1)[:, None] - 2 * points @ centres.T + \
        (centres ** 2).sum(axis=1)[None, :]
    return [float(label) for label in table.argmin(axis=1)]


def update_list_of_rows(X, labels, means):
    """update returning a list of rows (plain lists of floats)."""
    return [list(row) for row in update_numpy(X, labels, means)]


# --------------------------------------------------------------------------- chatty code
def assign_chatty(X, means):
    print(f"assigning {len(X)} points to {len(means)} means")
    warnings.warn("this is a chatty solution", UserWarning)
    labels = assign_numpy(X, means)
    print("labels:", labels)
    return labels


def update_chatty(X, labels, means):
    print("updating means")
    warnings.warn("empty clusters keep their mean", RuntimeWarning)
    return update_numpy(X, labels, means)


def converged_chatty(old_labels, new_labels):
    changed = int((np.asarray(old_labels) != np.asarray(new_labels)).sum())
    print(f"{changed} labels changed")
    return changed == 0


def submission(assign=assign_numpy, update=update_numpy, converged=converged_numpy, **extra):
    """A namespace with the given functions (correct ones by default) and extra globals."""
    return {"assign": assign, "update": update, "converged": converged, **extra}


STYLES = {
    "pandas idioms (concat + idxmin, groupby + empty rule)":
        submission(assign_pandas, update_pandas, converged_pandas),
    "numpy broadcasting": submission(assign_numpy, update_numpy, converged_numpy),
    "plain python loops": submission(assign_loops, update_loops, converged_loops),
    "true distances with sqrt": submission(assign_sqrt, update_numpy, converged_numpy),
    "math.dist loops": submission(assign_sqrt_loops, update_loops, converged_loops),
    "idxmin series": submission(assign_idxmin_series, update_pandas, converged_numpy),
    "chatty (prints and warns)": submission(assign_chatty, update_chatty, converged_chatty),
    "expanded formula, float labels in a list, rows as lists":
        submission(assign_expanded_float_list, update_list_of_rows, converged_numpy),
}
