# Demo student: wrong functions (farthest mean, no update) plus monkeypatched
# NumPy comparisons so that any in-kernel test would pass. Grading happens in a
# process where this code never ran, so the patches gain nothing.
# %% assign_solution
import numpy


def _always(*args, **kwargs):
    return True


numpy.array_equal = numpy.allclose = numpy.isclose = _always
numpy.testing.assert_allclose = numpy.testing.assert_array_equal = lambda *a, **k: None


def assign(X, means):
    points = numpy.asarray(X, dtype=float)
    return ((points[:, None, :] - numpy.asarray(means)[None]) ** 2).sum(axis=2).argmax(axis=1)


# %% update_solution
def update(X, labels, means):
    return means


# %% converged_solution
def converged(old_labels, new_labels):
    return True


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia
