# Demo student: the course notes' pandas idioms, with the empty-cluster rule added -- full marks.
# %% assign_solution
def assign(X, means):
    """One column of squared distances per mean, then the column of the smallest."""
    distances = pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)
    return distances.idxmin(axis=1)


# %% update_solution
def update(X, labels, means):
    """groupby mean; a label with no rows keeps its current mean."""
    grouped = X.groupby(np.asarray(labels)).mean()
    new_means = np.array(means, dtype=float)
    new_means[grouped.index.to_numpy()] = grouped.to_numpy()
    return new_means


# %% converged_solution
def converged(old_labels, new_labels):
    """No assignment changed."""
    return int((np.asarray(old_labels) != np.asarray(new_labels)).sum()) == 0


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia

