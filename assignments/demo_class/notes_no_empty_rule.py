# Demo student: the course notes' idioms as written -- the groupby update drops an
# empty cluster, so update.empty_cluster is lost; everything else passes.
# %% assign_solution
def assign(X, means):
    distances = pd.concat([((X - m) ** 2).sum(axis=1) for m in means], axis=1)
    return distances.idxmin(axis=1)


# %% update_solution
def update(X, labels, means):
    return X.groupby(np.asarray(labels)).mean().values


# %% converged_solution
def converged(old_labels, new_labels):
    return int((np.asarray(old_labels) != np.asarray(new_labels)).sum()) == 0


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia
