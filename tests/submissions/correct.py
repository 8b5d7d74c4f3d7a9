"""A correct submission in the vectorised style (NumPy broadcasting)."""

import numpy as np

print("loading the submission")   # chatty code is fine


def assign(X, means):
    points = X.to_numpy(dtype=float)
    distances = ((points[:, None, :] - np.asarray(means)[None, :, :]) ** 2).sum(axis=2)
    return distances.argmin(axis=1)


def update(X, labels, means):
    points = X.to_numpy(dtype=float)
    labels = np.asarray(labels)
    new = np.array(means, dtype=float, copy=True)
    for j in range(new.shape[0]):
        members = points[labels == j]
        if len(members):
            new[j] = members.mean(axis=0)
    return new


def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))


if __name__ == "__main__":
    raise SystemExit("the __main__ block must not run when the submission is loaded")
