"""Per-function checks: judge one call of ``assign``, ``update`` or ``converged``.

Each judge looks at one :class:`~kmeans_kit.checks.cases.Case` and what the
student's function did with it (a :class:`CallResult`) and returns, per check
id, ``None`` (fine), :data:`NOT_JUDGED` (the case says nothing about that check)
or a :class:`Verdict` (what is wrong, in words). The registry
(:mod:`kmeans_kit.checks.registry`) names each check's judge. Right answers come from the
reference kernels; the student's code is never called here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from enum import Enum

import numpy as np

from reference._lloyd import _assign, _update

from ..messages import array_text as _fmt
from ..messages import what_came_back
from ..protocol import CallResult, Frame, SameAs
from .cases import Case


@dataclass(frozen=True)
class Verdict:
    """Why a check failed on one case.

    ``problem`` is one or two sentences; ``expected``/``got`` are short texts
    shown side by side; ``rows`` are the positions the problem is about
    (the counterexample display keeps those).
    """

    problem: str
    expected: str = ""
    got: str = ""
    rows: tuple[int, ...] = ()
    data: dict = field(default_factory=dict, compare=False)


class Judgement(Enum):
    """A judge's answer for a check that is neither fine nor wrong on a case."""

    #: The case does not bear on this check (e.g. a tie check on data without ties).
    NOT_JUDGED = "not judged"


NOT_JUDGED = Judgement.NOT_JUDGED
#: What a judge returns for each check id: fine (None), not judged, or what is wrong.
Verdicts = dict[str, "Verdict | Judgement | None"]
#: How a judge calls the student's function: a case in, what happened out.
Call = Callable[[Case], CallResult]

# Relative slack for comparing the student's floats with the reference: summing in
# another order (np.mean vs sum/count, sqrt distances) differs by a few ulps.
RTOL = 1e-9


# --------------------------------------------------------------------------- helpers
def sq_distances(X: np.ndarray, means: np.ndarray) -> np.ndarray:
    """(n, k) squared distances, computed from the differences (exact for whole numbers)."""
    return ((X[:, None, :] - means[None, :, :]) ** 2).sum(axis=2)


def near_minimal(D: np.ndarray) -> np.ndarray:
    """(n, k) mask of the means whose distance equals the minimum up to rounding."""
    best = D.min(axis=1, keepdims=True)
    return D <= best + RTOL * (best + 1e-300) + 1e-12 * np.abs(D).max(initial=0)


def readable_labels(result: CallResult, n: int, k: int) -> np.ndarray | None:
    """The returned labels as an intp vector of length n in 0..k-1 (any shape of n items)."""
    if result.returned is None or result.returned.array is None:
        return None
    array = result.returned.array
    if array.size != n or array.dtype.kind not in "biuf" or array.dtype.kind == "b":
        return None
    flat = array.ravel()
    if flat.dtype.kind == "f" and not (np.isfinite(flat).all() and np.all(flat == np.round(flat))):
        return None
    flat = flat.astype(np.intp)
    if n and (flat.min() < 0 or flat.max() >= k):
        return None
    return flat


def _crash_verdict(result: CallResult, function: str, expected: str = "") -> Verdict | None:
    if result.raised is not None:
        raised = result.raised
        return Verdict(f"{function} raised {raised.type_name} on this input instead of returning.",
                       expected=expected, got=f"{raised.type_name}: {raised.message}",
                       data={"raised": raised.type_name})
    return None


def args_changed(before: tuple, after: tuple) -> list[tuple[int, str]]:
    """[(position, how)] for each argument that is not as it was before the call."""
    changes = []
    for position, (old, new) in enumerate(zip(before, after)):
        if isinstance(old, SameAs):
            continue
        how = _how_changed(old, new)
        if how:
            changes.append((position, how))
    return changes


def _how_changed(old, new) -> str:
    if isinstance(old, Frame):
        if not isinstance(new, Frame):
            return "it is no longer a DataFrame"
        added = [c for c in new.columns if c not in old.columns]
        if added:
            return f"column(s) {', '.join(repr(c) for c in added)} were added to it"
        if new.columns != old.columns:
            return "its columns were removed or reordered"
        if new.index != old.index:
            return "its index was changed"
        if new.values.shape != old.values.shape or not _same(old.values, new.values):
            return "its values were changed"
        return ""
    if isinstance(old, np.ndarray):
        new = np.asarray(new)
        if new.shape != old.shape or not _same(old, new):
            return "its values were changed"
        return ""
    return "" if old == new else "it was changed"


def _same(a: np.ndarray, b: np.ndarray) -> bool:
    try:
        return bool(np.array_equal(np.asarray(a, dtype=np.float64), np.asarray(b, dtype=np.float64),
                                   equal_nan=True))
    except (TypeError, ValueError):
        return bool(np.array_equal(np.asarray(a).astype(str), np.asarray(b).astype(str)))


_ARG_NAMES = {"assign": ("X", "means"), "update": ("X", "labels", "means"),
              "converged": ("old_labels", "new_labels")}


def _pure_verdict(case: Case, result: CallResult) -> Verdict | None:
    changes = args_changed(case.args, result.args_after)
    if not changes:
        return None
    names = _ARG_NAMES[case.function]
    text = "; ".join(f"{names[pos]}: {how}" for pos, how in changes)
    return Verdict(f"{case.function} changed its arguments ({text}). The caller still needs them "
                   f"as they were: work on a copy or build new objects.",
                   expected="the arguments unchanged", got=text,
                   data={"changed": tuple(names[pos] for pos, _ in changes)})


def _own_work_verdict(result: CallResult, function: str) -> Verdict | None:
    if not result.delegated_to:
        return None
    used = ", ".join(result.delegated_to[:3])
    return Verdict(f"{function} hands its work to a ready-made helper ({used}). The point of the "
                   f"exercise is to write this step yourself, so it earns no credit for doing it.",
                   expected="the computation written in your own code", got=f"calls {used}",
                   data={"delegated_to": result.delegated_to})


# --------------------------------------------------------------------------- assign
def judge_assign(case: Case, result: CallResult) -> Verdicts:
    X, means = case.X, case.means
    n, k = X.shape[0], means.shape[0]
    D = sq_distances(X, means)
    ok = near_minimal(D)
    reference = _assign(X, means)
    verdicts: Verdicts = {
        "assign.pure": _pure_verdict(case, result),
        "assign.own_work": _own_work_verdict(result, "assign"),
    }
    crash = _crash_verdict(result, "assign", _fmt(reference))
    tied_rows = np.flatnonzero((D == D.min(axis=1, keepdims=True)).sum(axis=1) > 1) \
        if case.exact else np.empty(0, dtype=np.intp)
    if crash is not None:
        verdicts["assign.output"] = verdicts["assign.nearest"] = crash
        verdicts["assign.ties"] = crash if tied_rows.size else NOT_JUDGED
        return verdicts
    returned = result.returned
    expected = f"{_fmt(reference)} (an integer for each of the {n} rows, in 0..{k - 1})"
    verdicts["assign.output"] = _assign_output(returned, n, k, expected)
    labels = readable_labels(result, n, k)
    if labels is None:
        unreadable = Verdict(
            f"The labels cannot be read from what assign returned: "
            f"{_why_unreadable(returned, n, k)}.", expected=expected, got=what_came_back(result))
        verdicts["assign.nearest"] = unreadable
        verdicts["assign.ties"] = unreadable if tied_rows.size else NOT_JUDGED
        return verdicts
    wrong = np.flatnonzero(~ok[np.arange(n), labels])
    if wrong.size:
        i = int(wrong[0])
        verdicts["assign.nearest"] = Verdict(
            f"Row {i} (index {case.frame.index[i]!r}) is nearest to mean {reference[i]} "
            f"(squared distance {D[i, reference[i]]:.6g}), but assign put it in cluster "
            f"{labels[i]} (squared distance {D[i, labels[i]]:.6g}).",
            expected=_fmt(reference), got=what_came_back(result),
            rows=tuple(int(r) for r in wrong[:5]))
    else:
        verdicts["assign.nearest"] = None
    if not tied_rows.size:
        verdicts["assign.ties"] = NOT_JUDGED
    else:
        # A label that is not one of the nearest is assign.nearest's business; here
        # only the choice among equally near means is judged.
        exact_min = D[tied_rows] == D[tied_rows].min(axis=1, keepdims=True)
        among = exact_min[np.arange(tied_rows.size), labels[tied_rows]]
        bad = tied_rows[among & (labels[tied_rows] != reference[tied_rows])]
        if bad.size:
            i = int(bad[0])
            tied = np.flatnonzero(D[i] == D[i].min())
            verdicts["assign.ties"] = Verdict(
                f"Row {i} (index {case.frame.index[i]!r}) is exactly as near to means "
                f"{', '.join(map(str, tied))} (squared distance {D[i, tied[0]]:.6g}); a tie goes "
                f"to the lowest index, {tied[0]}, but assign chose {labels[i]}.",
                expected=_fmt(reference), got=what_came_back(result),
                rows=tuple(int(r) for r in bad[:5]))
        else:
            verdicts["assign.ties"] = None
    return verdicts


def _not_numbers(returned) -> str:
    """Why a return value is not an array of numbers; for a ragged list, what it holds."""
    if returned.parts:
        return (f"a {returned.type_name} whose items do not make one array ("
                f"{', '.join(returned.parts)}): every item must be a number, or a row of "
                f"the same length as the others")
    return f"a {returned.type_name} is not an array of numbers"


def _why_unreadable(returned, n: int, k: int) -> str:
    if returned.array is None:
        if returned.strings is not None:
            return "it holds text, not cluster numbers"
        return _not_numbers(returned)
    array = returned.array
    if array.size != n:
        return f"it has {array.size} value(s) for {n} row(s)"
    if array.dtype.kind == "b":
        return "it holds True/False values, not cluster numbers"
    flat = array.ravel()
    if flat.dtype.kind == "f" and not np.all(np.isfinite(flat) & (flat == np.round(flat))):
        return "it holds fractions or NaN, not whole cluster numbers"
    return f"its values run from {flat.min():g} to {flat.max():g}, outside 0..{k - 1}"


def _assign_output(returned, n: int, k: int, expected: str) -> Verdict | None:
    got = f"{returned.text}   ({returned.type_name}" + \
        (f", shape {returned.shape})" if returned.shape is not None else ")")
    if returned.array is None or returned.shape is None:
        what = "text" if returned.strings is not None else \
            "None (is a `return` missing?)" if returned.type_name == "NoneType" else \
            _not_numbers(returned) if returned.parts else f"a {returned.type_name}"
        return Verdict(f"assign must return numbers (cluster indices), but it returned {what}.",
                       expected=expected, got=got)
    array = returned.array
    if array.ndim != 1:
        return Verdict(f"assign must return a 1-D array-like of length {n}, but what it returned "
                       f"has shape {array.shape}.", expected=expected, got=got)
    if array.shape[0] != n:
        return Verdict(f"assign must return one label per row of X ({n}), but it returned "
                       f"{array.shape[0]}.", expected=expected, got=got)
    if array.dtype.kind == "b":
        return Verdict("assign returned True/False values; labels are cluster indices.",
                       expected=expected, got=got)
    if array.dtype.kind == "f" and not np.all(np.isfinite(array) & (array == np.round(array))):
        return Verdict("assign returned fractions or NaN; labels are whole numbers.",
                       expected=expected, got=got)
    if n and (array.min() < 0 or array.max() >= k):
        bad = array[(array < 0) | (array >= k)]
        return Verdict(f"Labels index the rows of means, so with k = {k} they must lie in "
                       f"0..{k - 1}; assign returned {bad[0]:g}.", expected=expected, got=got)
    return None


def judge_assign_inputs(call: Call) -> dict[str, tuple[Case, CallResult, Verdict]]:
    """``assign.pure`` beyond mutation: does assign use its own arguments, whatever they are called?

    Inputs of two sizes (an answer of the same other size for both means some
    global data, such as the notebook's ``df``, is labelled instead of X); two probes
    on the same data with means in two different orders (the right labels
    differ, so equal answers mean the means argument is ignored -- a global such
    as the true means is used instead); and the same data under the notes' column
    names and under other names (working only with the former means names are
    written into the code).
    """
    from .cases import PROBES

    probes = PROBES["assign"]
    small, big = probes["two_points"], probes["four_means"]
    r_small, r_big = call(small), call(big)
    sizes = [r.returned.array.size if r.returned is not None and r.returned.array is not None
             else None for r in (r_small, r_big)]
    if sizes[0] is not None and sizes[0] == sizes[1] and sizes[0] not in (2, 5):
        return {"assign.pure": (small, r_small, Verdict(
            f"assign returned {sizes[0]} labels for an X of 2 rows, and {sizes[1]} again for an X "
            f"of 5 rows: it labels some other data (a global such as `df`), not its X argument.",
            expected="2 labels, then 5 labels", got=f"{sizes[0]} labels both times"))}
    first, moved = probes["four_means"], probes["four_means_moved"]
    a, b = call(first), call(moved)
    arrays = [r.returned.array if r.returned is not None else None for r in (a, b)]
    if arrays[0] is not None and arrays[1] is not None and arrays[0].shape == arrays[1].shape \
            and np.array_equal(arrays[0], arrays[1]):
        right = [_assign(c.X, c.means) for c in (first, moved)]
        return {"assign.pure": (first, a, Verdict(
            f"assign gave the same labels, {_fmt(arrays[0].ravel())}, for two different sets "
            f"of means (the same four means in reverse order, where the right labels are "
            f"{_fmt(right[0])} and {_fmt(right[1])}). So it does not use the means it is given.",
            expected=f"{_fmt(right[0])}, then {_fmt(right[1])}",
            got=f"{_fmt(arrays[0].ravel())} both times"))}
    odd, notes = probes["general"], probes["notes_names"]
    r_odd, r_notes = call(odd), call(notes)
    if r_odd.raised is not None and "KeyError" in r_odd.raised.bases \
            and r_notes.raised is None and r_notes.failure is None:
        return {"assign.pure": (odd, r_odd, Verdict(
            f"assign works when the columns are called {', '.join(map(repr, notes.frame.columns))} "
            f"but raises KeyError ({r_odd.raised.message}) for the same data with columns "
            f"{', '.join(map(repr, odd.frame.columns))}: it depends on the column names.",
            expected=_fmt(_assign(odd.X, odd.means)),
            got=f"KeyError: {r_odd.raised.message}"))}
    return {}


# --------------------------------------------------------------------------- update
def judge_update(case: Case, result: CallResult) -> Verdicts:
    X, labels, means = case.X, case.labels, case.means
    k, d = means.shape
    reference = _update(X, labels, means)
    empty = np.flatnonzero(np.bincount(labels, minlength=k) == 0)
    verdicts: Verdicts = {
        "update.pure": _pure_verdict(case, result),
        "update.own_work": _own_work_verdict(result, "update"),
    }
    # Fairness: output and means are judged on inputs where every cluster has points,
    # so a missing empty-cluster rule costs update.empty_cluster only.
    crash = _crash_verdict(result, "update", _fmt(reference))
    if crash is not None:
        for check in ("update.output", "update.means"):
            verdicts[check] = NOT_JUDGED if empty.size else crash
        verdicts["update.empty_cluster"] = crash if empty.size else NOT_JUDGED
        return verdicts
    got = what_came_back(result)
    array = result.returned.array
    if empty.size:
        verdicts["update.output"] = verdicts["update.means"] = NOT_JUDGED
        verdicts["update.empty_cluster"] = _empty_verdict(array, reference, means, empty, got)
        return verdicts
    verdicts["update.empty_cluster"] = NOT_JUDGED
    expected = f"{_fmt(reference)} (a float array of shape ({k}, {d}))"
    verdicts["update.output"] = _update_output(result.returned, k, d, expected, got)
    if array is None or array.shape != (k, d):
        found = f"it is {_not_numbers(result.returned)}" if array is None else \
            f"it has shape {array.shape}"
        verdicts["update.means"] = Verdict(
            f"The means cannot be read from what update returned: it should have shape "
            f"({k}, {d}) (one row per cluster, one column per feature) but {found}.",
            expected=_fmt(reference), got=got)
        return verdicts
    close = _rows_close(array, reference)
    if not close.all():
        j = int(np.flatnonzero(~close)[0])
        members = np.flatnonzero(labels == j)
        verdicts["update.means"] = Verdict(
            f"Row {j} of the new means should be the average of the {members.size} row(s) "
            f"labelled {j} (rows {', '.join(map(str, members[:5]))}"
            f"{', ...' if members.size > 5 else ''}), that is {_fmt(reference[j])}, but update "
            f"returned {_fmt(array[j])}.",
            expected=_fmt(reference), got=got, rows=tuple(int(r) for r in members[:5]))
    else:
        verdicts["update.means"] = None
    return verdicts


def _rows_close(array: np.ndarray, reference: np.ndarray) -> np.ndarray:
    if array.dtype.kind not in "iuf":
        return np.zeros(reference.shape[0], dtype=bool)
    scale = np.abs(reference).max(initial=0.0) + 1e-300
    with np.errstate(invalid="ignore"):
        return np.all(np.abs(array.astype(np.float64) - reference) <= RTOL * scale, axis=1)


def _update_output(returned, k: int, d: int, expected: str, got: str) -> Verdict | None:
    array = returned.array
    if array is None:
        what = _not_numbers(returned) if returned.parts else f"a {returned.type_name}"
        return Verdict(f"update must return an array of numbers of shape ({k}, {d}), but it "
                       f"returned {what}.", expected=expected, got=got)
    if array.shape != (k, d):
        return Verdict(f"update must return one row per cluster and one column per feature, "
                       f"shape ({k}, {d}); it returned shape {array.shape}.",
                       expected=expected, got=got)
    if array.dtype.kind != "f":
        return Verdict(f"update must return floats (a mean is rarely a whole number), but it "
                       f"returned dtype {array.dtype}.", expected=expected, got=got)
    return None


def _empty_verdict(array, reference, means, empty, got) -> Verdict | None:
    k, d = means.shape
    names = ", ".join(map(str, empty))
    expected = f"{_fmt(reference)} (row(s) {names} unchanged from means)"
    if array is None or array.shape != (k, d):
        shape = "not an array of numbers" if array is None else f"shape {array.shape}"
        return Verdict(f"Cluster(s) {names} have no points. update must still return all {k} "
                       f"means, shape ({k}, {d}), keeping the current mean of an empty cluster; "
                       f"it returned {shape}.", expected=expected, got=got,
                       data={"shape": None if array is None else array.shape})
    kept = np.array([np.array_equal(np.asarray(array[j], dtype=np.float64), means[j])
                     for j in empty])
    if not kept.all():
        j = int(empty[~kept][0])
        return Verdict(f"Cluster {j} has no points, so its mean should stay where it was, "
                       f"{_fmt(means[j])}; update returned {_fmt(array[j])} for it.",
                       expected=expected, got=got)
    return None


# --------------------------------------------------------------------------- converged
def judge_converged(case: Case, result: CallResult) -> Verdicts:
    old = case.args[0]
    new = old if isinstance(case.args[1], SameAs) else case.args[1]
    unchanged = bool(np.array_equal(old, new))
    check, other = ("converged.unchanged", "converged.changed") if unchanged else \
        ("converged.changed", "converged.unchanged")
    verdicts: Verdicts = {other: NOT_JUDGED,
                          "converged.own_work": _own_work_verdict(result, "converged")}
    crash = _crash_verdict(result, "converged", str(unchanged))
    if crash is not None:
        verdicts[check] = crash
        return verdicts
    returned = result.returned
    expected = "True" if unchanged else "False"
    array = returned.array
    if array is None or array.shape != () or array.dtype.kind not in "biuf":
        verdicts[check] = Verdict(
            "converged must return a single True or False (the loop asks `if converged(...)`), "
            f"but it returned {returned.type_name} with shape {returned.shape}.",
            expected=expected, got=what_came_back(result))
        return verdicts
    answer = bool(returned.array)
    if answer != unchanged:
        changed = np.flatnonzero(np.asarray(old) != np.asarray(new))
        about = "no label changed" if unchanged else \
            f"{changed.size} of {len(old)} label(s) changed (position(s) " \
            f"{', '.join(map(str, changed[:5]))})"
        verdicts[check] = Verdict(f"Here {about}, so converged should return {expected}; it "
                                  f"returned {returned.text}.", expected=expected,
                                  got=what_came_back(result))
    else:
        verdicts[check] = None
    return verdicts


#: Checks judged on a pair of probes rather than one case, by function.
INPUT_JUDGES = {"assign": judge_assign_inputs}
