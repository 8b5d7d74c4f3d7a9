# Demo student: the instructor's solution (NumPy broadcasting) -- full marks.
# %% assign_solution
def assign(X, means):
    """Index of the nearest mean for every row of X (ties -> lowest index)."""
    points = np.asarray(X, dtype=float)
    centres = np.asarray(means, dtype=float)
    # (n, 1, d) - (1, k, d) -> (n, k, d); summing over d gives every squared distance.
    sq_dist = ((points[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2)
    return sq_dist.argmin(axis=1)  # argmin keeps the first of equal minima


# %% update_solution
def update(X, labels, means):
    """New means; a cluster with no points keeps its current mean."""
    points = np.asarray(X, dtype=float)
    labels = np.asarray(labels)
    new_means = np.array(means, dtype=float)  # a copy: the argument stays untouched
    for j in range(len(new_means)):
        members = points[labels == j]
        if len(members) > 0:
            new_means[j] = members.mean(axis=0)
    return new_means


# %% converged_solution
def converged(old_labels, new_labels):
    """True when no point changed cluster."""
    return bool(np.array_equal(np.asarray(old_labels), np.asarray(new_labels)))


# %% pitfall_fix
def distance_table(X, means):
    """Squared distance from every row of X (rows) to every mean (columns)."""
    return pd.concat([((X - m) ** 2).sum(axis=1) for m in np.asarray(means)], axis=1)


# %% [markdown] pitfall_answer
# Iterating over the dict `mu` gives its keys, the letters 'A'..'D', and NumPy
# cannot subtract a letter from a float, hence the UFuncTypeError. `mu.values()`
# gives numbers, so the code runs, but they are the true means that generated
# the data -- which K-means is not allowed to know -- and they never change, so
# nothing is learned. The assignment must use the current means (`mu0`, then
# each update's result).

# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia


# %% choose_k_solution
def inertia_curve(X, k_values, seed=0):
    """Final inertia of one run of Lloyd's algorithm for every k in k_values."""
    rng = np.random.default_rng(seed)
    curve = []
    for k in k_values:
        start = X.sample(n=k, random_state=rng).to_numpy()
        history = run_kmeans(X, start)
        curve.append(total_inertia(X, history[-1].means, history[-1].labels))
    return curve
