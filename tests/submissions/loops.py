"""A correct submission written with plain Python loops (slow on purpose), chatty as well."""

import warnings


def assign(X, means):
    labels = []
    for row in X.itertuples(index=False):
        best, best_distance = 0, None
        for j, mean in enumerate(means):
            distance = sum((float(a) - float(b)) ** 2 for a, b in zip(row, mean))
            if best_distance is None or distance < best_distance:
                best, best_distance = j, distance
        labels.append(best)
    return labels


def update(X, labels, means):
    rows = [list(map(float, row)) for row in X.itertuples(index=False)]
    new = []
    for j, mean in enumerate(means):
        members = [row for row, label in zip(rows, labels) if label == j]
        if not members:
            new.append([float(v) for v in mean])
            continue
        new.append([sum(column) / len(members) for column in zip(*members)])
    import numpy as np
    return np.array(new, dtype=float).reshape(len(means), -1)


def converged(old_labels, new_labels):
    print("comparing", len(old_labels), "labels")
    warnings.warn("a student's warning costs nothing")
    return all(int(a) == int(b) for a, b in zip(old_labels, new_labels)) \
        and len(old_labels) == len(new_labels)
