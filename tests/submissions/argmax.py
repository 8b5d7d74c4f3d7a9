"""A submission with one classic bug: assign takes the farthest mean (argmax)."""

import os

import numpy as np

# Where this code runs (pid, parent pid): the pytest plugin test checks that pytest
# itself never imported it, even under a test_*.py name.
if os.environ.get("KIT_WHERE_FILE"):
    with open(os.environ["KIT_WHERE_FILE"], "a") as where:
        where.write(f"{os.getpid()} {os.getppid()}\n")


def assign(X, means):
    points = X.to_numpy(dtype=float)
    distances = ((points[:, None, :] - np.asarray(means)[None, :, :]) ** 2).sum(axis=2)
    return distances.argmax(axis=1)


def update(X, labels, means):
    points = X.to_numpy(dtype=float)
    labels = np.asarray(labels)
    new = np.array(means, dtype=float, copy=True)
    for j in range(new.shape[0]):
        if (labels == j).any():
            new[j] = points[labels == j].mean(axis=0)
    return new


def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))
