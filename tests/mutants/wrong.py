"""One mutant submission per misconception in the catalogue.

``MUTANTS[name]`` is ``(namespace, failing_checks)``: a complete submission in
which exactly one function has the misconception ``name`` (the other two are
correct), and the checks it must fail -- no more, no fewer.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from sklearn.cluster import KMeans
from sklearn.metrics import pairwise_distances_argmin

import reference
from mutants.correct import submission, update_numpy

# The notes' generating means: a dict from class letter to the true mean.
mu = {"A": (2.0, 2.0), "B": (2.0, 6.0), "C": (6.0, 2.0), "D": (6.0, 6.0)}


def _table(X, means):
    return ((X.to_numpy()[:, None, :] - np.asarray(means)[None]) ** 2).sum(axis=2)


# --------------------------------------------------------------------------- assign
def assign_argmax(X, means):
    return _table(X, means).argmax(axis=1)


def assign_distance_table(X, means):
    return _table(X, means)


def assign_labels_column(X, means):
    return _table(X, means).argmin(axis=1).reshape(-1, 1)


def assign_one_based(X, means):
    return _table(X, means).argmin(axis=1) + 1


def assign_class_letters(X, means):
    return np.array(list("ABCDEFGH"))[_table(X, means).argmin(axis=1)]


def assign_wrong_axis(X, means):
    return pd.concat([((X - m) ** 2).sum(axis=0) for m in means], axis=1).idxmin(axis=1)


def assign_first_feature(X, means):
    first = X.iloc[:, 0].to_numpy()
    return ((first[:, None] - means[None, :, 0]) ** 2).argmin(axis=1)


def assign_hardcoded_columns(X, means):
    points = X[["x0", "x1"]].to_numpy()
    return ((points[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)


def assign_manhattan(X, means):
    return np.abs(X.to_numpy()[:, None, :] - means[None]).sum(axis=2).argmin(axis=1)


def assign_ties_last(X, means):
    table = _table(X, means)[:, ::-1]
    return len(means) - 1 - table.argmin(axis=1)


def assign_mutates_X(X, means):
    labels = _table(X, means).argmin(axis=1)
    X["cluster"] = labels
    return labels


def assign_mutates_means(X, means):
    labels = _table(X, means).argmin(axis=1)
    means += 0.0
    means[:] = means[::-1]  # "tidies" the means in place
    return labels


def assign_dict_keys(X, means):
    # The notes' pitfall: iterating over the dict gives its keys, the class letters.
    return pd.concat([((X - m) ** 2).sum(axis=1) for m in mu], axis=1).idxmin(axis=1)


def assign_global_means(X, means):
    # The silent form: the true generating means instead of the means argument.
    return pd.concat([((X - np.array(m)) ** 2).sum(axis=1) for m in mu.values()],
                     axis=1).idxmin(axis=1)


def assign_kmeans(X, means):
    model = KMeans(n_clusters=len(means), init=means, n_init=1, max_iter=1).fit(X.to_numpy())
    return model.predict(X.to_numpy())


def assign_pairwise(X, means):
    return pairwise_distances_argmin(X.to_numpy(), means)


def assign_no_return(X, means):
    labels = _table(X, means).argmin(axis=1)
    print(labels)


# The notebook's data: 200 points in columns x0, x1.
_rng = np.random.default_rng(398)
df = pd.DataFrame(np.round(_rng.normal(4, 2, size=(200, 2)), 2), columns=["x0", "x1"])
data_cols = ["x0", "x1"]


def assign_global_data(X, means):
    return pd.concat([((df[data_cols] - m) ** 2).sum(axis=1) for m in means],
                     axis=1).idxmin(axis=1)


def assign_constant(X, means):
    return np.zeros(len(X), dtype=int)


def assign_not_implemented(X, means):
    raise NotImplementedError()


def assign_ragged(X, means):
    labels = list(_table(X, means).argmin(axis=1))
    labels[0] = np.array([labels[0], labels[0]])   # one item an array, the others numbers
    return labels


def update_ragged(X, labels, means):
    rows = list(update_numpy(X, labels, means))
    rows[-1] = 0.0                                 # a placeholder number for the last row
    return rows


def assign_undefined_name(X, means):
    table = ((np.asarray(X)[:, None, :] - centers[None]) ** 2).sum(axis=2)  # noqa: F821
    return table.argmin(axis=1)   # `centers`: a global of the student's notebook


def assign_first_two_features(X, means):
    X, means = np.asarray(X, dtype=float), np.asarray(means, dtype=float)
    table = (X[:, 0, None] - means[None, :, 0]) ** 2 + (X[:, 1, None] - means[None, :, 1]) ** 2
    return table.argmin(axis=1)


# --------------------------------------------------------------------------- update
def update_not_implemented(X, labels, means):
    raise NotImplementedError()


def _per_cluster(X, labels, means, reduce):
    values, labels = X.to_numpy(), np.asarray(labels)
    new = np.array(means, dtype=float)
    for j in range(len(means)):
        members = values[labels == j]
        if len(members):
            new[j] = reduce(members)
    return new


def update_median(X, labels, means):
    return _per_cluster(X, labels, means, lambda g: np.median(g, axis=0))


def update_sum(X, labels, means):
    return _per_cluster(X, labels, means, lambda g: g.sum(axis=0))


def update_divides_by_k(X, labels, means):
    return _per_cluster(X, labels, means, lambda g: g.sum(axis=0) / len(means))


def update_truncation(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    new = np.zeros(np.shape(means), dtype=int)
    for j in range(len(means)):
        members = values[labels == j]
        new[j] = members.mean(axis=0) if len(members) else means[j]
    return new


def update_groupby(X, labels, means):
    # The notes' idiom, without the empty-cluster rule.
    return X.groupby(np.asarray(labels)).mean().to_numpy()


def update_nan_empty(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.array([values[labels == j].sum(axis=0) / (labels == j).sum()
                         for j in range(len(means))])


def update_zero_empty(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    new = np.zeros(np.shape(means))
    for j in range(len(means)):
        if (labels == j).any():
            new[j] = values[labels == j].mean(axis=0)
    return new


def update_first_appearance(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    new = np.array(means, dtype=float)
    for position, j in enumerate(pd.unique(labels)):
        new[position] = values[labels == j].mean(axis=0)
    return new


def update_transposed(X, labels, means):
    return update_numpy(X, labels, means).T


def update_overwrites_means(X, labels, means):
    values, labels = X.to_numpy(), np.asarray(labels)
    for j in range(len(means)):
        if (labels == j).any():
            means[j] = values[labels == j].mean(axis=0)
    return means


def update_mutates_X(X, labels, means):
    X["cluster_label"] = np.asarray(labels)
    groups = X.groupby("cluster_label").mean()
    new = np.array(means, dtype=float)
    for j, row in groups.iterrows():
        new[j] = row.to_numpy()
    return new


def update_mutates_labels(X, labels, means):
    new = update_numpy(X, labels, means)
    labels.sort()
    return new


def update_ignores_labels(X, labels, means):
    return np.tile(X.to_numpy().mean(axis=0), (len(means), 1))


def update_reference(X, labels, means):
    return reference.update(X, labels, means)


def update_kmeans(X, labels, means):
    model = KMeans(n_clusters=len(means), init=means, n_init=1, max_iter=1).fit(X.to_numpy())
    return model.cluster_centers_


def update_no_return(X, labels, means):
    new_means = update_numpy(X, labels, means)  # noqa: F841 -- the forgotten return


def assign_removed_method(X, means):
    points = X.as_matrix()   # removed from pandas in 1.0
    return ((points[:, None, :] - means[None]) ** 2).sum(axis=2).argmin(axis=1)


def update_undefined_name(X, labels, means):
    new = np.zeros((K, X.shape[1]))   # noqa: F821 -- the notebook's global K
    return update_numpy(X, labels, means) + new


def converged_pandas_method(old, new):
    return old.equals(new)   # a pandas Series method; the labels are NumPy arrays


def update_removed_alias(X, labels, means):
    counts = np.zeros(len(means), dtype=np.int)   # np.int: removed in NumPy 1.24
    return update_numpy(X, labels, means) + 0 * counts[:, None]


def converged_undefined_name(old, new):
    return np.array_equal(old, labels)   # noqa: F821 -- the notebook's global labels


def update_first_two_features(X, labels, means):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    new = np.array(means, dtype=float)
    for j in range(len(new)):
        rows = X[labels == j]
        if len(rows):
            new[j, 0] = rows[:, 0].mean()   # x and y written out: right only for d = 2
            new[j, 1] = rows[:, 1].mean()
    return new


def update_one_based(X, labels, means):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    new = np.array(means, dtype=float)
    for j in range(len(new)):
        rows = X[labels == j + 1]           # an Octave port's 1-based cluster numbers
        if len(rows):
            new[j] = rows.mean(axis=0)
    return new


def update_crashes_on_empty(X, labels, means):
    sums, counts = {}, {}
    for x, label in zip(np.asarray(X, dtype=float), np.asarray(labels)):
        sums[label] = sums.get(label, 0) + x
        counts[label] = counts.get(label, 0) + 1
    return np.array([sums[j] / counts[j] for j in range(len(means))])   # KeyError if empty


def update_k_from_labels(X, labels, means):
    X, labels = np.asarray(X, dtype=float), np.asarray(labels)
    k = int(labels.max()) + 1              # fewer rows when the last clusters are empty
    new = np.array(means, dtype=float)[:k]
    for j in range(k):
        rows = X[labels == j]
        if len(rows):
            new[j] = rows.mean(axis=0)
    return new


# --------------------------------------------------------------------------- converged
def converged_not_implemented(old, new):
    raise NotImplementedError()


def converged_no_return(old, new):
    np.array_equal(old, new)


def converged_inverted(old, new):
    return not np.array_equal(old, new)


def converged_one_element(old, new):
    return bool(old[0] == new[0])


def converged_tolerance(old, new):
    return int((np.asarray(old) != np.asarray(new)).sum()) <= 2


def converged_lengths(old, new):
    return len(old) == len(new)


def converged_identity(old, new):
    return old is new


def converged_never_true(old, new):
    return np.array_equal(old, new) and len(old) < 0


def converged_reference(old, new):
    return reference.converged(old, new)


def converged_returns_array(old, new):
    return np.asarray(old) == np.asarray(new)


# --------------------------------------------------------------------------- the table
A_ALL = {"assign.output", "assign.nearest", "assign.ties"}
U_ALL = {"update.output", "update.means", "update.empty_cluster"}
# A function that never returns a value earns nothing, not even purity or own work.
A_NONE = A_ALL | {"assign.pure", "assign.own_work"}
U_NONE = U_ALL | {"update.pure", "update.own_work"}
C_ALL = {"converged.unchanged", "converged.changed"}
C_NONE = C_ALL | {"converged.own_work"}
LLOYD = {"lloyd.terminates", "lloyd.fixed_point", "lloyd.inertia", "lloyd.label_permutation",
         "lloyd.recovers_blobs"}

# Failing checks per mutant. The loop checks (lloyd.*) fail where the wrong step
# really derails Lloyd's algorithm (e.g. argmax: the loop never settles at a fixed
# point); a wrong step that the loop does not notice (an argument changed in
# place, the empty-cluster rule on data without empty clusters) costs nothing there.
MUTANTS: dict[str, tuple[dict, set[str]]] = {
    "assign.argmax": (submission(assign=assign_argmax),
                      {"assign.nearest", "lloyd.terminates", "lloyd.fixed_point",
                       "lloyd.inertia", "lloyd.recovers_blobs"}),
    "assign.distance_table": (submission(assign=assign_distance_table), A_ALL | LLOYD),
    "assign.labels_column": (submission(assign=assign_labels_column), {"assign.output"}),
    "assign.one_based": (submission(assign=assign_one_based), A_ALL | LLOYD),
    "assign.class_letters": (submission(assign=assign_class_letters), A_ALL | LLOYD),
    "assign.wrong_axis": (submission(assign=assign_wrong_axis), A_ALL | LLOYD),
    "assign.first_feature": (submission(assign=assign_first_feature),
                             {"assign.nearest", "assign.ties", "lloyd.fixed_point",
                              "lloyd.inertia", "lloyd.recovers_blobs"}),
    # The loop's first data set has the notes' column names; the blobs do not.
    "assign.hardcoded_columns": (submission(assign=assign_hardcoded_columns),
                                 A_ALL | {"assign.pure", "lloyd.recovers_blobs"}),
    "assign.manhattan": (submission(assign=assign_manhattan),
                         {"assign.nearest", "lloyd.fixed_point"}),
    "assign.ties_last": (submission(assign=assign_ties_last), {"assign.ties"}),
    "assign.mutates_X": (submission(assign=assign_mutates_X), {"assign.pure"}),
    "assign.mutates_means": (submission(assign=assign_mutates_means), {"assign.pure"}),
    "assign.dict_keys": (submission(assign=assign_dict_keys, mu=mu), A_NONE | LLOYD),
    "assign.global_means": (submission(assign=assign_global_means, mu=mu),
                            A_ALL | {"assign.pure", "lloyd.label_permutation",
                                     "lloyd.recovers_blobs"}),
    "assign.delegates": (submission(assign=assign_pairwise), {"assign.own_work"}),
    "assign.no_return": (submission(assign=assign_no_return), A_NONE | LLOYD),
    "update.no_return": (submission(update=update_no_return), U_NONE | LLOYD),
    "converged.no_return": (submission(converged=converged_no_return), C_NONE | LLOYD),
    "assign.not_implemented": (submission(assign=assign_not_implemented), A_NONE | LLOYD),
    "update.not_implemented": (submission(update=update_not_implemented), U_NONE | LLOYD),
    "converged.not_implemented": (submission(converged=converged_not_implemented),
                                  C_NONE | LLOYD),
    "assign.global_data": (submission(assign=assign_global_data, df=df, data_cols=data_cols),
                           A_ALL | {"assign.pure"} | LLOYD),
    "assign.constant_labels": (submission(assign=assign_constant),
                               {"assign.nearest", "assign.pure", "lloyd.fixed_point",
                                "lloyd.label_permutation", "lloyd.recovers_blobs"}),
    "update.median": (submission(update=update_median),
                      {"update.means", "lloyd.fixed_point", "lloyd.inertia"}),
    "update.sum": (submission(update=update_sum), {"update.means"} | LLOYD - {"lloyd.terminates"}),
    "update.divides_by_k": (submission(update=update_divides_by_k),
                            {"update.means"} | LLOYD - {"lloyd.terminates"}),
    "update.integer_truncation": (submission(update=update_truncation),
                                  U_ALL | {"lloyd.fixed_point", "lloyd.inertia"}),
    "update.drops_empty_cluster": (submission(update=update_groupby), {"update.empty_cluster"}),
    "assign.undefined_name": (submission(assign=assign_undefined_name), A_NONE | LLOYD),
    "assign.ragged_result": (submission(assign=assign_ragged), A_ALL | LLOYD),
    "update.ragged_result": (submission(update=update_ragged), U_ALL | LLOYD),
    "assign.crashes_every_call": (submission(assign=assign_removed_method), A_NONE | LLOYD),
    "update.undefined_name": (submission(update=update_undefined_name), U_NONE | LLOYD),
    "converged.crashes_every_call": (submission(converged=converged_pandas_method),
                                     C_NONE | LLOYD),
    "update.crashes_every_call": (submission(update=update_removed_alias), U_NONE | LLOYD),
    "converged.undefined_name": (submission(converged=converged_undefined_name),
                                 C_NONE | LLOYD),
    # The notes' blobs and the loop's data are two-dimensional: only the contract's own
    # cases (one feature, three) show these two.
    "assign.first_two_features": (submission(assign=assign_first_two_features),
                                  {"assign.output", "assign.nearest"}),
    # Keeps an empty cluster's row, so the rule holds; only d = 1 would crash it.
    "update.first_two_features": (submission(update=update_first_two_features),
                                  {"update.output", "update.means"}),
    "update.one_based": (submission(update=update_one_based),
                         {"update.means", "update.empty_cluster"} | LLOYD),
    "update.crashes_on_empty": (submission(update=update_crashes_on_empty),
                                {"update.empty_cluster"}),
    "update.k_from_labels": (submission(update=update_k_from_labels), {"update.empty_cluster"}),
    "update.nan_empty_cluster": (submission(update=update_nan_empty), {"update.empty_cluster"}),
    "update.zero_empty_cluster": (submission(update=update_zero_empty),
                                  {"update.empty_cluster"}),
    "update.first_appearance": (submission(update=update_first_appearance),
                                {"update.means", "update.empty_cluster", "lloyd.inertia",
                                 "lloyd.label_permutation"}),
    "update.transposed": (submission(update=update_transposed), U_ALL | LLOYD),
    "update.overwrites_means": (submission(update=update_overwrites_means), {"update.pure"}),
    "update.mutates_X": (submission(update=update_mutates_X), {"update.pure"}),
    "update.mutates_labels": (submission(update=update_mutates_labels), {"update.pure"}),
    "update.ignores_labels": (submission(update=update_ignores_labels),
                              {"update.means", "update.empty_cluster", "lloyd.inertia",
                               "lloyd.label_permutation", "lloyd.recovers_blobs"}),
    "update.delegates": (submission(update=update_reference), {"update.own_work"}),
    "converged.inverted": (submission(converged=converged_inverted), C_ALL | {"lloyd.fixed_point"}),
    "converged.one_element": (submission(converged=converged_one_element),
                              {"converged.changed", "lloyd.fixed_point"}),
    "converged.tolerance": (submission(converged=converged_tolerance),
                            {"converged.changed", "lloyd.fixed_point"}),
    "converged.lengths": (submission(converged=converged_lengths),
                          {"converged.changed", "lloyd.fixed_point"}),
    "converged.identity": (submission(converged=converged_identity),
                           {"converged.unchanged", "lloyd.terminates"}),
    "converged.never_true": (submission(converged=converged_never_true),
                             {"converged.unchanged", "lloyd.terminates"}),
    "converged.returns_array": (submission(converged=converged_returns_array), C_ALL | LLOYD),
    "converged.delegates": (submission(converged=converged_reference), {"converged.own_work"}),
}
