# A submission that raises while loading, after defining converged and before assign.
import numpy as np


def converged(old_labels, new_labels):
    return bool(np.array_equal(old_labels, new_labels))


undefined_name + 1


def assign(X, means):
    return [0] * len(X)
