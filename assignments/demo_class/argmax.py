# Demo student: argmax instead of argmin -- every point goes to its farthest mean.
# %% assign_solution
def assign(X, means):
    points = np.asarray(X, dtype=float)
    sq_dist = ((points[:, None, :] - np.asarray(means, dtype=float)[None]) ** 2).sum(axis=2)
    return sq_dist.argmax(axis=1)


# %% update_solution
def update(X, labels, means):
    points = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    new_means = np.array(means, dtype=float)
    for j in range(len(new_means)):
        if (labels == j).any():
            new_means[j] = points[labels == j].mean(axis=0)
    return new_means


# %% converged_solution
def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia
