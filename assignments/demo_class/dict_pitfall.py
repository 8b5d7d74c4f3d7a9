# Demo student: the notes' dict pitfall "fixed" with mu.values() -- it runs, but
# it measures distances to the true generating means, not to the means passed in.
# %% assign_solution
def assign(X, means):
    distances = pd.concat([((X - np.array(m)) ** 2).sum(axis=1) for m in mu.values()], axis=1)
    return distances.idxmin(axis=1)


# %% update_solution
def update(X, labels, means):
    grouped = X.groupby(np.asarray(labels)).mean()
    new_means = np.array(means, dtype=float)
    new_means[grouped.index.to_numpy()] = grouped.to_numpy()
    return new_means


# %% converged_solution
def converged(old_labels, new_labels):
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia
