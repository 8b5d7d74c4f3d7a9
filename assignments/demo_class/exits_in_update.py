# Demo student: update kills its own process with os._exit -- only update's
# points (and the lloyd checks, and the question about its run) are lost.
# %% assign_solution
def assign(X, means):
    points = np.asarray(X, dtype=float)
    sq_dist = ((points[:, None, :] - np.asarray(means, dtype=float)[None]) ** 2).sum(axis=2)
    return sq_dist.argmin(axis=1)


# %% update_solution
import os


def update(X, labels, means):
    os._exit(3)


# %% converged_solution
def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia
