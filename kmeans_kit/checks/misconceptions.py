"""The catalogue of misconceptions: what students get wrong in K-means, and how to tell.

Each :class:`Misconception` is a *model* of one wrong idea: a detector that
looks at what the student's function did on the counterexample and on a few
fixed discriminating probes (:data:`kmeans_kit.checks.cases.PROBES`), and says
whether this wrong idea explains it. The engine asks the entries of a
function in catalogue order and names the first that fits; the specific ones
come before the general ones. Every entry has a mutant submission in
``tests/mutants`` and a test that it is diagnosed as itself.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from reference._lloyd import _assign, _update

from ..protocol import CallResult
from .cases import PROBES, Case
from .contract import RTOL, Verdict, args_changed, sq_distances


@dataclass(frozen=True)
class Failure:
    """A failed check with the counterexample that shows it."""

    check_id: str
    case: Case
    result: CallResult
    verdict: Verdict


class Evidence:
    """What the detectors may look at: the failures, and the student's answers on probes."""

    def __init__(self, function: str, failures: dict[str, Failure],
                 call: Callable[[Case], CallResult]):
        self.function = function
        self.failures = failures
        self._call = call

    def probe(self, name: str) -> tuple[Case, CallResult]:
        case = PROBES[self.function][name]
        return case, self._call(case)

    def failed(self, check_id: str) -> bool:
        return check_id in self.failures


@dataclass(frozen=True)
class Misconception:
    """One named wrong idea.

    ``checks`` are the check ids it explains (a diagnosis is only attached to
    those); ``explanation`` says what the code does and why that is wrong;
    ``hint`` is one line on how to fix it.
    """

    name: str
    title: str
    checks: tuple[str, ...]
    explanation: str
    hint: str
    detect: Callable[[Evidence], bool]

    @property
    def function(self) -> str:
        return self.name.split(".", 1)[0]


# --------------------------------------------------------------------------- model helpers
def _array(result: CallResult) -> np.ndarray | None:
    return None if result.returned is None else result.returned.array


def _labels_equal(result: CallResult, expected: np.ndarray, shape: tuple | None = None) -> bool:
    array = _array(result)
    if array is None or (shape is not None and array.shape != shape):
        return False
    if shape is None and array.shape != expected.shape:
        return False
    return bool(np.array_equal(array.ravel(), expected.ravel()))


def _close(result_or_array, expected: np.ndarray) -> bool:
    array = _array(result_or_array) if isinstance(result_or_array, CallResult) else result_or_array
    if array is None or array.dtype.kind not in "iuf" or array.shape != expected.shape:
        return False
    scale = np.abs(expected).max(initial=0.0) + 1e-300
    return bool(np.all(np.abs(array.astype(np.float64) - expected) <= RTOL * scale))


def _raised(result: CallResult, *bases: str) -> bool:
    return result.raised is not None and any(b in result.raised.bases for b in bases)


def _model_agrees(evidence: Evidence, probes: tuple[str, ...], model) -> bool:
    """True when ``model(case) -> expected array`` matches the student on every probe."""
    for name in probes:
        case, result = evidence.probe(name)
        if not _labels_equal(result, model(case)):
            return False
    return True


def _argbest(D: np.ndarray, pick) -> np.ndarray:
    return pick(D, axis=1).astype(np.intp)


def _last_argmin(D: np.ndarray) -> np.ndarray:
    return (D.shape[1] - 1 - np.argmin(D[:, ::-1], axis=1)).astype(np.intp)


def _no_return(probe: str) -> Callable[[Evidence], bool]:
    def detect(ev: Evidence) -> bool:
        _, result = ev.probe(probe)
        return result.returned is not None and result.returned.type_name == "NoneType"
    return detect


def _not_implemented_entry(function: str, checks: tuple[str, ...], probe: str):
    def detect(ev: Evidence) -> bool:
        _, result = ev.probe(probe)
        return _raised(result, "NotImplementedError")

    return Misconception(
        f"{function}.not_implemented", "not written yet (still raises NotImplementedError)",
        checks,
        f"{function} still raises NotImplementedError: the template's placeholder is still "
        f"there, so there is nothing to check yet.",
        f"Replace the `raise NotImplementedError()` line in {function} with your code.",
        detect)


def _raises_everywhere(ev: Evidence, probe: str) -> str | None:
    """The exception type ``probe`` and every failure raised, when it is the same one."""
    _, result = ev.probe(probe)
    if result.raised is None or not ev.failures:
        return None
    kind = result.raised.type_name
    same = all(f.result.raised is not None and f.result.raised.type_name == kind
               for f in ev.failures.values())
    return kind if same else None


def _undefined_name_entry(function: str, checks: tuple[str, ...], probe: str):
    """A NameError on every call: a global of the student's notebook."""
    return Misconception(
        f"{function}.undefined_name", "uses a name it does not define (a notebook global)",
        checks,
        f"{function} uses a name that is neither one of its arguments nor defined inside it, "
        f"so it raises NameError on every input (the name is in the error above). In your "
        f"notebook it is probably a global made in another cell -- `centers`, `K`, `df` -- "
        f"so the function worked there; the grader calls {function} with its own inputs, "
        f"where no such global exists. A function should depend on its arguments only.",
        f"Compute what you need inside {function} from its arguments (k is `len(means)`), "
        f"or pass it in as an argument.",
        lambda ev: _raises_everywhere(ev, probe) == "NameError")


def _crashes_entry(function: str, checks: tuple[str, ...], probe: str):
    """Any other crash on every call, once no specific misconception explains it (last)."""
    return Misconception(
        f"{function}.crashes_every_call", "raises the same error on every input", checks,
        f"{function} raises the same error on every input, so none of its answers can be "
        f"judged: the error and the line of your code where it happened are shown above. "
        f"Common causes: a NumPy alias that NumPy removed (`np.int`, `np.float`: write `int` "
        f"or `float`), a method of a list used on an array, or a typo.",
        f"Call {function} once yourself in the notebook on small data and fix the line the "
        f"error points to.",
        lambda ev: _raises_everywhere(ev, probe) not in (None, "NotImplementedError"))


def _ragged(probe: str) -> Callable[[Evidence], bool]:
    def detect(ev: Evidence) -> bool:
        _, result = ev.probe(probe)
        return result.returned is not None and bool(result.returned.parts)
    return detect


def _no_return_entry(function: str, checks: tuple[str, ...], probe: str, what: str):
    return Misconception(
        f"{function}.no_return", "no return statement (the function returns None)", checks,
        f"{function} computes something but never hands it back: a Python function without a "
        f"`return` statement returns None. Printing a value is not returning it.",
        f"End {function} with `return {what}`.",
        _no_return(probe))


# --------------------------------------------------------------------------- assign
def _assign_dict_keys(ev: Evidence) -> bool:
    _, result = ev.probe("notes_names")
    if _raised(result, "UFuncTypeError"):
        return True
    return _raised(result, "TypeError") and any(
        text in result.raised.message for text in ("<U", "'str'", "str'", "dtype('O')"))


def _assign_hardcoded(ev: Evidence) -> bool:
    _, odd = ev.probe("general")
    _, notes = ev.probe("notes_names")
    return _raised(odd, "KeyError") and notes.raised is None and notes.failure is None


def _assign_global_data(ev: Evidence) -> bool:
    (small, r_small), (big, r_big) = ev.probe("two_points"), ev.probe("four_means")
    a, b = _array(r_small), _array(r_big)
    return a is not None and b is not None and a.size == b.size \
        and a.size not in (small.X.shape[0], big.X.shape[0])


def _assign_constant(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    array = _array(result)
    return array is not None and array.size == case.X.shape[0] and array.size > 1 \
        and bool(np.all(array == array.flat[0]))


def _assign_global_means(ev: Evidence) -> bool:
    first_case, first = ev.probe("four_means")
    second_case, second = ev.probe("four_means_moved")
    a, b = _array(first), _array(second)
    if a is None or b is None or a.shape != b.shape:
        return False
    same_reference = np.array_equal(_assign(first_case.X, first_case.means),
                                    _assign(second_case.X, second_case.means))
    return not same_reference and bool(np.array_equal(a, b))


def _assign_distance_table(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    array = _array(result)
    return array is not None and array.shape == (case.X.shape[0], case.k) \
        and array.dtype.kind == "f"


def _assign_column(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    return _labels_equal(result, _assign(case.X, case.means), shape=(case.X.shape[0], 1))


def _assign_letters(ev: Evidence) -> bool:
    _, result = ev.probe("general")
    return result.returned is not None and result.returned.strings is not None


def _assign_wrong_axis(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    X, means = case.X, case.means
    per_feature = np.stack([((X - m) ** 2).sum(axis=0) for m in means], axis=1)  # (d, k)
    over_means = ((X[:, None, :] - means[None]) ** 2).sum(axis=1)               # (n, d)
    return _labels_equal(result, per_feature.argmin(axis=1)) or \
        _labels_equal(result, over_means.argmin(axis=1))


def _assign_one_based(ev: Evidence) -> bool:
    return _model_agrees(ev, ("general",), lambda c: _assign(c.X, c.means) + 1)


def _assign_argmax(ev: Evidence) -> bool:
    return _model_agrees(ev, ("general",),
                         lambda c: _argbest(sq_distances(c.X, c.means), np.argmax))


def _assign_first_feature(ev: Evidence) -> bool:
    return _model_agrees(ev, ("general",),
                         lambda c: _argbest(sq_distances(c.X[:, :1], c.means[:, :1]), np.argmin))


def _assign_first_two_features(ev: Evidence) -> bool:
    return _model_agrees(ev, ("three_features",),
                         lambda c: _argbest(sq_distances(c.X[:, :2], c.means[:, :2]), np.argmin))


def _assign_manhattan(ev: Evidence) -> bool:
    return _model_agrees(ev, ("general",), lambda c: _argbest(
        np.abs(c.X[:, None, :] - c.means[None]).sum(axis=2), np.argmin))


def _assign_ties_last(ev: Evidence) -> bool:
    return ev.failed("assign.ties") and _model_agrees(
        ev, ("ties",), lambda c: _last_argmin(sq_distances(c.X, c.means)))


def _changed(ev: Evidence, check: str, position: int) -> bool:
    failure = ev.failures.get(check)
    if failure is None:
        return False
    return any(pos == position for pos, _ in args_changed(failure.case.args,
                                                          failure.result.args_after))


def _delegates(check: str) -> Callable[[Evidence], bool]:
    return lambda ev: ev.failed(check) and bool(ev.failures[check].result.delegated_to)


_ASSIGN_CHECKS = ("assign.output", "assign.nearest", "assign.ties")

ASSIGN = (
    _not_implemented_entry("assign", _ASSIGN_CHECKS, "general"),
    _undefined_name_entry("assign", _ASSIGN_CHECKS, "general"),
    _no_return_entry("assign", _ASSIGN_CHECKS, "general", "labels"),
    Misconception(
        "assign.ragged_result", "a list of arrays and numbers mixed, not one label per row",
        _ASSIGN_CHECKS,
        "assign returns a list whose items are not all single numbers: arrays of different "
        "lengths, or arrays mixed with numbers (a list built by appending a whole array where "
        "one label was meant, say). NumPy cannot make one array of it, so no label can be read.",
        "Return one flat sequence with one integer per row of X, e.g. "
        "`table.argmin(axis=1)` of an (n, k) table.",
        _ragged("general")),
    Misconception(
        "assign.global_data", "labels the global df instead of its X argument",
        _ASSIGN_CHECKS + ("assign.pure",),
        "assign returns the same number of labels whatever X it is given: it computes "
        "distances for some other data -- most likely the notebook's global `df` (or "
        "`df[data_cols]`) -- instead of its `X` argument. In the notebook the two happen to be "
        "the same data, so it looks right there, but the function only works for that one "
        "data set.",
        "Use the parameter `X` everywhere inside assign, never `df`.",
        _assign_global_data),
    Misconception(
        "assign.constant_labels", "the same label for every point",
        _ASSIGN_CHECKS + ("assign.pure",),
        "assign puts every point in the same cluster, whatever the data and the means: a "
        "placeholder such as `np.zeros(len(X))` that was never replaced, or a loop that "
        "overwrites one variable instead of keeping the best mean for each point.",
        "For each point, compare its distances to all k means and keep the position of the "
        "smallest.",
        _assign_constant),
    Misconception(
        "assign.dict_keys", "iterating over the dict mu of true means", _ASSIGN_CHECKS,
        "assign subtracts text from the data. This is the pitfall from the notes: `mu` is a dict "
        "from class letters to the true means, and iterating over a dict gives its keys -- the "
        "letters 'A', 'B', ... -- not its values. NumPy's ufuncs (the element-wise operations "
        "behind `-`) have no way to subtract a string from a float, hence UFuncTypeError. "
        "Switching to `mu.values()` would run, but it would use the true generating means of "
        "the synthetic data, not the current means of the algorithm, so K-means would never "
        "move.",
        "Loop over the `means` argument (`for m in means:`), never over the global `mu`.",
        _assign_dict_keys),
    Misconception(
        "assign.hardcoded_columns", "column names written into the code",
        _ASSIGN_CHECKS + ("assign.pure",),
        "assign looks up columns by name ('x0', 'x1', ...), so it raises KeyError as soon as the "
        "features are called anything else -- iris measurements, say. X holds only feature "
        "columns, whatever their names.",
        "Use all of X as it comes (`X - m`, or `X.to_numpy()`), without naming columns.",
        _assign_hardcoded),
    Misconception(
        "assign.global_means", "using the true means (a global) instead of the means argument",
        _ASSIGN_CHECKS + ("assign.pure",),
        "assign gives the same answer whatever means it is given: it reads some other means -- "
        "most likely the true generating means `mu.values()` or another global -- instead of its "
        "`means` argument. It runs, and on the first picture it may even look right, but K-means "
        "moves its means every iteration and this assign never sees them, so the algorithm "
        "cannot work.",
        "Compute distances to the rows of the `means` parameter, and read no globals.",
        _assign_global_means),
    Misconception(
        "assign.distance_table", "returning the table of distances instead of the labels",
        _ASSIGN_CHECKS,
        "assign returns the (n, k) table of distances from every point to every mean. That is "
        "the right first step, but the answer is which column is smallest in each row.",
        "Finish with `.argmin(axis=1)` (NumPy) or `.idxmin(axis=1)` (pandas).",
        _assign_distance_table),
    Misconception(
        "assign.labels_column", "labels shaped (n, 1) instead of (n,)", ("assign.output",),
        "The labels are right but come back as a column of shape (n, 1), not a flat vector of "
        "shape (n,). Code that indexes or compares labels then broadcasts in surprising ways.",
        "Flatten the result (`labels.ravel()`) or take argmin over axis=1 of an (n, k) table.",
        _assign_column),
    Misconception(
        "assign.class_letters", "class letters instead of cluster indices", _ASSIGN_CHECKS,
        "assign returns letters (like the true classes 'A', 'B', ...) instead of cluster "
        "numbers. K-means knows nothing of the true classes: a label is just the position of "
        "the nearest mean in `means`, 0..k-1.",
        "Return the position of the nearest mean (an integer), not a class name.",
        _assign_letters),
    Misconception(
        "assign.wrong_axis", "squared differences summed over the wrong axis", _ASSIGN_CHECKS,
        "assign adds up the squared differences along the wrong axis: over the points (one "
        "total per feature) or over the means, instead of over the features of each point. A "
        "point's squared distance to a mean is the sum over its d features.",
        "Sum over the feature axis: `((X - m) ** 2).sum(axis=1)` for one mean m.",
        _assign_wrong_axis),
    Misconception(
        "assign.one_based", "labels counted from 1", _ASSIGN_CHECKS,
        "The labels are the right clusters counted from 1. In Python a label is an index into "
        "the rows of `means`, and indexes start at 0.",
        "Drop the `+ 1`: the first mean is cluster 0.",
        _assign_one_based),
    Misconception(
        "assign.argmax", "the farthest mean (argmax) instead of the nearest (argmin)",
        _ASSIGN_CHECKS,
        "Every point goes to the mean that is *farthest* from it: argmax where argmin is meant.",
        "Use argmin (or idxmin): the smallest distance wins.",
        _assign_argmax),
    Misconception(
        "assign.first_two_features", "only the first two features used", _ASSIGN_CHECKS,
        "assign computes the distance from the first two columns only (`X[:, 0]` and "
        "`X[:, 1]`, or a formula written out for x and y). That is right for the notes' "
        "two-dimensional blobs, but a third feature is ignored (iris has four), and data with "
        "a single feature has no second column at all, so it crashes there.",
        "Sum the squared differences over every column: `((X - m) ** 2).sum(axis=1)`, "
        "whatever the number of features.",
        _assign_first_two_features),
    Misconception(
        "assign.first_feature", "only the first feature used", _ASSIGN_CHECKS,
        "assign measures distance along the first feature only, so points that differ in the "
        "other features are not told apart.",
        "Use every feature column in the distance: sum the squared differences over all of them.",
        _assign_first_feature),
    Misconception(
        "assign.manhattan", "absolute instead of squared differences", _ASSIGN_CHECKS,
        "assign adds absolute differences |x - m| (Manhattan distance) instead of squared ones. "
        "K-means minimises squared Euclidean distance; the two disagree about which mean is "
        "nearest for some points, and only the squared version makes the mean the best centre.",
        "Square the differences: `((X - m) ** 2).sum(axis=1)`.",
        _assign_manhattan),
    Misconception(
        "assign.ties_last", "ties go to the last index", ("assign.ties",),
        "When a point is exactly as near to two means, assign picks the later one. The contract "
        "(like NumPy's argmin and pandas' idxmin) gives a tie to the lowest index; otherwise "
        "identical data can get different labels from different code.",
        "Use `argmin`/`idxmin`, or compare with a strict `<` when looping over means in order.",
        _assign_ties_last),
    Misconception(
        "assign.mutates_X", "adds columns to or changes X", ("assign.pure",),
        "assign changes the DataFrame it was given (for example, it stores the distances or the "
        "labels as new columns of X). X belongs to the caller: the next call would then see the "
        "extra columns as features.",
        "Keep the distances in a new variable instead of writing into X.",
        lambda ev: _changed(ev, "assign.pure", 0)),
    Misconception(
        "assign.mutates_means", "changes the means it was given", ("assign.pure",),
        "assign writes into the `means` array it was given. The caller still needs those means.",
        "Never assign into `means`; make a new array for anything you compute.",
        lambda ev: _changed(ev, "assign.pure", 1)),
    Misconception(
        "assign.delegates", "hands the assignment to a library", ("assign.own_work",),
        "assign gets its answer from a ready-made helper (scikit-learn's KMeans or "
        "pairwise-distance functions, or the kit's reference). That does the step you are "
        "asked to write.",
        "Compute the distances and the nearest mean yourself with NumPy or pandas.",
        _delegates("assign.own_work")),
    _crashes_entry("assign", _ASSIGN_CHECKS, "general"),
)


# --------------------------------------------------------------------------- update
def _ref_parts(case: Case):
    X, labels, means = case.X, case.labels, case.means
    k = means.shape[0]
    groups = [X[labels == j] for j in range(k)]
    return X, labels, means, groups


def _per_cluster(case: Case, reduce) -> np.ndarray:
    X, labels, means, groups = _ref_parts(case)
    return np.array([reduce(g) if len(g) else means[j] for j, g in enumerate(groups)])


def _update_model(*probes: str):
    def wrap(model):
        def detect(ev: Evidence) -> bool:
            for name in probes:
                case, result = ev.probe(name)
                if not _close(result, model(case)):
                    return False
            return True
        return detect
    return wrap


def _update_transposed(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    array = _array(result)
    reference = _update(case.X, case.labels, case.means)
    return array is not None and array.shape == reference.T.shape and _close(array.T, reference)


def _update_drops_empty(ev: Evidence) -> bool:
    case, result = ev.probe("empty")
    X, labels, means, groups = _ref_parts(case)
    expected = np.array([g.mean(axis=0) for g in groups if len(g)])
    return _close(result, expected)


def _update_empty_filled(fill: float | None):
    def detect(ev: Evidence) -> bool:
        case, result = ev.probe("empty")
        array = _array(result)
        X, labels, means, groups = _ref_parts(case)
        if array is None or array.shape != means.shape:
            return False
        full = [j for j, g in enumerate(groups) if len(g)]
        empty = [j for j, g in enumerate(groups) if not len(g)]
        reference = _update(X, labels, means)
        rows = array[empty].astype(np.float64)
        filled = np.isnan(rows).all() if fill is None else np.all(rows == fill)
        return bool(filled) and _close(array[full], reference[full])
    return detect


def _update_truncated(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    array = _array(result)
    reference = _update(case.X, case.labels, case.means)
    return array is not None and array.shape == reference.shape and \
        (_close(array, np.trunc(reference)) or _close(array, np.floor(reference)))


def _update_first_appearance(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    X, labels, means, groups = _ref_parts(case)
    order = list(dict.fromkeys(labels.tolist()))
    expected = np.array([groups[j].mean(axis=0) for j in order])
    array = _array(result)
    return array is not None and array.shape[:1] == (len(order),) and _close(array, expected)


def _update_ignores_labels(ev: Evidence) -> bool:
    first_case, first = ev.probe("general")
    second_case, second = ev.probe("relabelled")
    a, b = _array(first), _array(second)
    return a is not None and b is not None and a.shape == b.shape and \
        bool(np.array_equal(a, b, equal_nan=True))


def _update_first_two_features(ev: Evidence) -> bool:
    case, result = ev.probe("three_features")
    array = _array(result)
    reference = _update(case.X, case.labels, case.means)
    if array is None or array.dtype.kind not in "iuf":
        return False
    two = array[:, :2] if array.ndim == 2 and array.shape[0] == reference.shape[0] else None
    return two is not None and _close(two, reference[:, :2]) and not _close(array, reference)


def _update_one_based(ev: Evidence) -> bool:
    case, result = ev.probe("general")
    array = _array(result)
    X, labels, means, groups = _ref_parts(case)
    if array is None or array.shape != means.shape:
        return False
    shifted = np.array([groups[j + 1].mean(axis=0) for j in range(len(groups) - 1)])
    return _close(array[:-1], shifted)


def _update_crashes_on_empty(ev: Evidence) -> bool:
    case, result = ev.probe("empty")
    general_case, general = ev.probe("general")
    return _raised(result, "KeyError", "ZeroDivisionError", "IndexError", "ValueError") and \
        _close(general, _update(general_case.X, general_case.labels, general_case.means))


def _update_k_from_labels(ev: Evidence) -> bool:
    case, result = ev.probe("empty_last")
    middle_case, middle = ev.probe("empty")
    array, reference = _array(result), _update(case.X, case.labels, case.means)
    present = int(case.labels.max()) + 1
    return array is not None and array.shape[:1] == (present,) and present < case.k and \
        _close(array, reference[:present]) and \
        _array(middle) is not None and _array(middle).shape[:1] == (middle_case.k,)


_UPDATE_CHECKS = ("update.output", "update.means", "update.empty_cluster")

UPDATE = (
    _not_implemented_entry("update", _UPDATE_CHECKS, "general"),
    _undefined_name_entry("update", _UPDATE_CHECKS, "general"),
    _no_return_entry("update", _UPDATE_CHECKS, "general", "new_means"),
    Misconception(
        "update.ragged_result", "rows of different lengths, or rows mixed with numbers",
        _UPDATE_CHECKS,
        "update returns a list whose items do not make one (k, d) array: rows of different "
        "lengths, or a row next to a single number (a mean taken over the wrong axis, or a "
        "placeholder 0 for an empty cluster). NumPy cannot make one array of it, so no mean "
        "can be read.",
        "Put cluster j's mean, a row of d numbers, in row j of one array: start from "
        "`np.array(means, dtype=float)` and assign `new[j] = ...`.",
        _ragged("general")),
    Misconception(
        "update.transposed", "means returned transposed, (d, k) instead of (k, d)", _UPDATE_CHECKS,
        "update returns the right numbers transposed: one row per feature and one column per "
        "cluster. The contract has one row per cluster (`means[j]` is the mean of cluster j), "
        "which is what assign indexes.",
        "Return shape (k, d): drop the `.T`, or stack the cluster means as rows.",
        _update_transposed),
    Misconception(
        "update.ignores_labels", "ignores the labels", _UPDATE_CHECKS,
        "update returns the same means whatever the labels say, so the means never follow the "
        "clusters. Row j must be the average of the points whose label is j.",
        "Select each cluster's rows with the labels (`X[labels == j]`) before averaging.",
        _update_ignores_labels),
    Misconception(
        "update.crashes_on_empty", "crashes when a cluster has no points", _UPDATE_CHECKS,
        "update works while every cluster has points, and raises (KeyError, ZeroDivisionError "
        "or IndexError) as soon as one has none: it looks up, or divides by the size of, a "
        "cluster that is not there. Empty clusters happen in real runs (section 8 of the "
        "notebook shows one), and the rule for them is to keep that cluster's current mean.",
        "Before averaging cluster j, check that it has points; if it has none, keep "
        "`means[j]`.",
        _update_crashes_on_empty),
    Misconception(
        "update.first_two_features", "only the first two features averaged", _UPDATE_CHECKS,
        "update averages the first two columns only (`X[:, 0]` and `X[:, 1]`, or x and y "
        "written out). With three features the third is never updated, and with one feature "
        "there is no second column, so it crashes.",
        "Average whole rows: `X[labels == j].mean(axis=0)` gives every feature at once.",
        _update_first_two_features),
    Misconception(
        "update.one_based", "clusters counted from 1 (labels == j + 1)", _UPDATE_CHECKS,
        "update picks the points of cluster j with `labels == j + 1`, as code ported from "
        "Octave or MATLAB (where clusters are numbered from 1) does. Every row then holds the "
        "next cluster's mean, and the last cluster gets no points at all.",
        "Labels count from 0: select cluster j's rows with `labels == j`.",
        _update_one_based),
    Misconception(
        "update.k_from_labels", "the number of clusters taken from the labels",
        _UPDATE_CHECKS,
        "update decides how many means to return from the labels (`max(labels) + 1`, or "
        "`len(set(labels))`), not from `means`. When the last clusters have no points, the "
        "labels never mention them, so update returns fewer than k rows and those clusters "
        "are lost. k is the number of rows of `means`.",
        "Return one row per row of `means`: loop `for j in range(len(means))`, and keep "
        "`means[j]` for a cluster with no points.",
        _update_k_from_labels),
    Misconception(
        "update.drops_empty_cluster", "an empty cluster's row is dropped",
        ("update.empty_cluster",),
        "When a cluster has no points, update returns no row for it -- as "
        "`X.groupby(labels).mean()` does, which makes rows only for the labels that occur, or "
        "a loop over the labels present -- so it returns fewer than k means. Watch what happens "
        "next in the loop: the next assign "
        "sees only k-1 means, so that cluster disappears for good; the labels after the gap "
        "shift down by one, so clusters swap identities and the storyboard's colours change "
        "from one picture to the next. The contract keeps the old mean of an empty cluster, so "
        "k never shrinks.",
        "Start from a copy of `means` and overwrite only the rows of clusters that have points "
        "(or `.reindex(range(k))` and fill the gaps from `means`).",
        _update_drops_empty),
    Misconception(
        "update.nan_empty_cluster", "NaN for an empty cluster", ("update.empty_cluster",),
        "The mean of an empty cluster comes back as NaN (the average of no numbers). One NaN "
        "mean makes every distance to it NaN, and the cluster is lost from then on.",
        "Keep the current mean for a cluster with no points (`new[j] = means[j]`).",
        _update_empty_filled(None)),
    Misconception(
        "update.zero_empty_cluster", "zeros for an empty cluster", ("update.empty_cluster",),
        "The mean of an empty cluster comes back as zeros (the unfilled row of `np.zeros`). The "
        "origin is an arbitrary place for a cluster that has no points; it should stay put.",
        "Start from `means.copy()` instead of `np.zeros`, so empty clusters keep their mean.",
        _update_empty_filled(0.0)),
    Misconception(
        "update.integer_truncation", "means truncated to whole numbers", _UPDATE_CHECKS,
        "The new means are cut to whole numbers: they are written into an integer array (or "
        "converted with int / astype(int)), which drops the fractions.",
        "Build the result as floats, e.g. `np.zeros((k, d))` or `means.astype(float)`.",
        _update_truncated),
    Misconception(
        "update.median", "median instead of mean", _UPDATE_CHECKS,
        "update takes each cluster's median instead of its mean. The mean is what minimises the "
        "squared distances K-means is about (the median belongs to K-medians).",
        "Use `.mean(axis=0)` on each cluster's rows.",
        _update_model("general")(lambda c: _per_cluster(c, lambda g: np.median(g, axis=0)))),
    Misconception(
        "update.sum", "sum instead of mean", _UPDATE_CHECKS,
        "update adds up each cluster's points without dividing by how many there are.",
        "Divide each cluster's sum by its number of points (or use `.mean(axis=0)`).",
        _update_model("general")(lambda c: _per_cluster(c, lambda g: g.sum(axis=0)))),
    Misconception(
        "update.divides_by_k", "divides by k instead of the cluster size", _UPDATE_CHECKS,
        "update divides each cluster's sum by k, the number of clusters, instead of by the "
        "number of points in that cluster.",
        "Divide by the count of rows labelled j, e.g. `(labels == j).sum()`.",
        _update_model("general")(
            lambda c: _per_cluster(c, lambda g: g.sum(axis=0) / c.k))),
    Misconception(
        "update.first_appearance", "means in order of first appearance, not by label",
        _UPDATE_CHECKS,
        "update lists the cluster means in the order the labels first appear in the data "
        "(as `unique()` or `groupby(..., sort=False)` give them), not by label. Row j must be "
        "the mean of cluster j, or assign's numbering and update's disagree.",
        "Loop `for j in range(k)` and put cluster j's mean in row j.",
        _update_first_appearance),
    Misconception(
        "update.overwrites_means", "overwrites the caller's means", ("update.pure",),
        "update writes the new means into the `means` array it was given. The caller may still "
        "need the old means (to draw the step, or to see how far they moved).",
        "Start from `means.copy()` and fill that in.",
        lambda ev: _changed(ev, "update.pure", 2)),
    Misconception(
        "update.mutates_X", "adds a label column to X", ("update.pure",),
        "update changes the DataFrame it was given, typically by storing the labels as a new "
        "column to group by. X belongs to the caller, and the extra column would be taken as a "
        "feature next time.",
        "Group by the labels directly: `X.groupby(np.asarray(labels)).mean()`.",
        lambda ev: _changed(ev, "update.pure", 0)),
    Misconception(
        "update.mutates_labels", "changes the labels it was given", ("update.pure",),
        "update changes the labels array it was given (sorting it, say). The caller needs them "
        "to check convergence.",
        "Leave `labels` alone; work on a copy if you must reorder.",
        lambda ev: _changed(ev, "update.pure", 1)),
    Misconception(
        "update.delegates", "hands the update to a library", ("update.own_work",),
        "update gets its answer from a ready-made helper (scikit-learn or the kit's reference) "
        "instead of computing the means.",
        "Average each cluster's rows yourself with NumPy or pandas.",
        _delegates("update.own_work")),
    _crashes_entry("update", _UPDATE_CHECKS, "general"),
)


# --------------------------------------------------------------------------- converged
def _answers(ev: Evidence) -> dict[str, object]:
    """The student's answer per hand-picked pair: True/False, or 'other'."""
    answers = {}
    for name in PROBES["converged"]:
        _, result = ev.probe(name)
        array = _array(result)
        answers[name] = bool(array) if array is not None and array.shape == () else "other"
    return answers


_SAME, _COPY = "the very same labels object twice", "equal labels (a copy)"
_LAST, _FIRST = "only the last label changed", "only the first label changed"
_MIDDLE, _ALL = "one label in the middle changed", "every label changed"
_ONE_OF_MANY = "one label of fifty changed"


def _converged(predicate):
    return lambda ev: predicate(_answers(ev))


def _returns_array(ev: Evidence) -> bool:
    _, result = ev.probe(_COPY)
    array = _array(result)
    return array is not None and array.ndim >= 1


_CONVERGED_CHECKS = ("converged.unchanged", "converged.changed")

CONVERGED = (
    _not_implemented_entry("converged", _CONVERGED_CHECKS, _COPY),
    _undefined_name_entry("converged", _CONVERGED_CHECKS, _COPY),
    _no_return_entry("converged", _CONVERGED_CHECKS, _COPY, "np.array_equal(old, new)"),
    Misconception(
        "converged.returns_array", "an array of comparisons instead of one True/False",
        _CONVERGED_CHECKS,
        "converged returns the element-wise comparison `old == new` (an array), not one answer. "
        "The loop's `if converged(...)` then fails: the truth value of an array is ambiguous.",
        "Reduce it to one bool: `(old == new).all()` or `np.array_equal(old, new)`.",
        _returns_array),
    Misconception(
        "converged.never_true", "never returns True", _CONVERGED_CHECKS + ("lloyd.terminates",),
        "converged returns False even when not a single label changed, so the loop only stops "
        "at max_iter.",
        "Return True exactly when every label is the same as before: `np.array_equal(old, new)`.",
        _converged(lambda a: all(v is False for v in a.values()))),
    Misconception(
        "converged.identity", "`is` instead of comparing the labels", _CONVERGED_CHECKS,
        "converged uses `is`, which asks whether the two arguments are the very same object, "
        "not whether they hold the same labels. Each assign step makes a new array, so `is` is "
        "never True in the loop even when nothing changed.",
        "Compare the contents: `np.array_equal(old, new)` or `(old == new).all()`.",
        _converged(lambda a: a[_SAME] is True and a[_COPY] is False)),
    Misconception(
        "converged.inverted", "True and False swapped", _CONVERGED_CHECKS,
        "converged answers the opposite question: True when labels changed, False when none "
        "did. The loop then stops after the first step that changes anything.",
        "Return True when nothing changed; check for a stray `not` or `!=`.",
        _converged(lambda a: a[_COPY] is False and a[_ALL] is True)),
    Misconception(
        "converged.lengths", "compares only the lengths", _CONVERGED_CHECKS,
        "converged compares how many labels there are, which never changes, instead of the "
        "labels themselves.",
        "Compare the labels element by element: `np.array_equal(old, new)`.",
        _converged(lambda a: all(v is True for v in a.values()))),
    Misconception(
        "converged.one_element", "compares a single label", _CONVERGED_CHECKS,
        "converged looks at only one position (the first) of the labels, so a change anywhere "
        "else goes unnoticed.",
        "Compare all positions: `(old == new).all()`.",
        _converged(lambda a: a[_COPY] is True and a[_LAST] is True and a[_FIRST] is False)),
    Misconception(
        "converged.tolerance", "tolerates a few changes", _CONVERGED_CHECKS,
        "converged says True while a few labels still change (it allows a small number or "
        "fraction of changes). Lloyd's algorithm has converged only when no label changes; "
        "stopping early leaves means that are not the averages of their clusters.",
        "Require zero changes: `(old != new).sum() == 0`.",
        _converged(lambda a: a[_COPY] is True and a[_ALL] is False
                   and (a[_MIDDLE] is True or a[_ONE_OF_MANY] is True))),
    Misconception(
        "converged.delegates", "hands the comparison to the kit's reference",
        ("converged.own_work",),
        "converged gets its answer from a ready-made helper (the kit's reference) instead of "
        "comparing the labels. It is one line to write, and the point is to see that "
        "convergence means no label changed.",
        "Compare the labels yourself: `np.array_equal(old_labels, new_labels)`.",
        _delegates("converged.own_work")),
    _crashes_entry("converged", _CONVERGED_CHECKS, _COPY),
)

#: Every misconception, by function, in the order they are tried.
CATALOGUE: dict[str, tuple[Misconception, ...]] = {
    "assign": ASSIGN, "update": UPDATE, "converged": CONVERGED,
}
BY_NAME: dict[str, Misconception] = {m.name: m for ms in CATALOGUE.values() for m in ms}


def diagnose(function: str, check_id: str, evidence: Evidence) -> Misconception | None:
    """The first misconception of ``function`` that explains ``check_id`` and fits the evidence."""
    for misconception in CATALOGUE.get(function, ()):
        if check_id in misconception.checks and misconception.detect(evidence):
            return misconception
    return None
