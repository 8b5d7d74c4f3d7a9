"""Forbidden helpers imported at the top, as students write imports: only ``assign``
uses one (scipy's ``cdist``, a distance table), so only ``assign`` should lose points;
``update`` and ``converged`` are the student's own and correct. Importing ``KMeans``
and ``euclidean_distances`` without using them costs nothing."""

import numpy as np
from scipy.spatial.distance import cdist
from sklearn.cluster import KMeans  # noqa: F401 - imported, never used
from sklearn.metrics.pairwise import euclidean_distances  # noqa: F401


def assign(X, means):
    return cdist(np.asarray(X, dtype=float), np.asarray(means, dtype=float)).argmin(axis=1)


def update(X, labels, means):
    points = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    new = np.array(means, dtype=float)
    for j in range(len(new)):
        if (labels == j).any():
            new[j] = points[labels == j].mean(axis=0)
    return new


def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))
