"""Make the judge trip over its own comparison of the arguments.

No forgery here: ``assign`` computes the right labels and then, like a
careless student, renames the first column of the DataFrame it was given --
to a NumPy array. pandas accepts that, the worker faithfully reports the
changed argument, and a judge that asks ``label in old_columns`` gets "the
truth value of an array is ambiguous" instead of True or False. Loaded after
correct.py, so ``assign`` is its correct ``assign`` apart from the renaming.
"""

import numpy as np

_correct_assign = assign  # noqa: F821 - defined by correct.py, loaded first


def assign(X, means):
    labels = _correct_assign(X, means)
    X.columns = [np.array([1, 2]), *X.columns[1:]]
    return labels
