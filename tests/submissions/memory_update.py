# Appended to correct.py by the tests: update builds a table far larger than any limit.
import numpy as np


def update(X, labels, means):
    table = np.ones((40_000, 40_000))   # 12.8 GB
    return table[: len(means), : X.shape[1]]
