# Demo student: plain Python loops, true distances with the square root, and a
# leftover debugging print and warning -- full marks (prints and warnings never cost points).
# %% assign_solution
import math
import warnings


def assign(X, means):
    print("assign: looping over", len(X), "points")
    warnings.warn("debugging: plain loops are slow on big data")
    rows = np.asarray(X, dtype=float).tolist()
    centres = np.asarray(means, dtype=float).tolist()
    labels = []
    for row in rows:
        best, best_dist = 0, None
        for j, centre in enumerate(centres):
            dist = math.sqrt(sum((a - b) ** 2 for a, b in zip(row, centre)))
            if best_dist is None or dist < best_dist:
                best, best_dist = j, dist
        labels.append(best)
    return labels


# %% update_solution
def update(X, labels, means):
    rows = np.asarray(X, dtype=float).tolist()
    new_means = []
    for j, old in enumerate(np.asarray(means, dtype=float).tolist()):
        members = [row for row, label in zip(rows, labels) if label == j]
        if not members:
            new_means.append(old)
            continue
        new_means.append([sum(col) / len(members) for col in zip(*members)])
    return np.array(new_means, dtype=float)


# %% converged_solution
def converged(old_labels, new_labels):
    for a, b in zip(list(old_labels), list(new_labels)):
        if a != b:
            return False
    return True


# %% your_run_solution
my_iterations = len(history) - 1
my_inertia = history[-1].inertia

