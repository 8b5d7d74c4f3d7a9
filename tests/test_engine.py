"""The engine's public contract: ids and order, broken submissions, delegation, the callers."""

import sys
import time
import warnings

import numpy as np
import pandas as pd
import pytest
from helpers import GROUPS
from helpers import TITLES as CATALOGUE
from mutants.correct import assign_numpy, submission, update_numpy
from sklearn.cluster import KMeans

import reference
from kmeans_kit.checks import algorithm, registry
from kmeans_kit.checks.cases import HAND_PICKED, PROBES
from kmeans_kit.checks.contract import sq_distances
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.protocol import Frame, SameAs
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.runner.marshal import to_returned
from kmeans_kit.settings import GradingSettings

FAST = GradingSettings(max_examples=10)
IDS = ["assign.output", "assign.nearest", "assign.ties", "assign.pure", "assign.own_work",
       "update.output", "update.means", "update.empty_cluster", "update.pure", "update.own_work",
       "converged.unchanged", "converged.changed", "converged.own_work", "lloyd.terminates",
       "lloyd.fixed_point", "lloyd.inertia", "lloyd.label_permutation", "lloyd.recovers_blobs"]


def failed(outcomes):
    return {o.check_id: o for o in outcomes if not o.passed}


# --------------------------------------------------------------------------- ids and order
def test_catalogue_ids_and_groups_are_fixed():
    assert list(CATALOGUE) == IDS
    assert GROUPS == {g: [i for i in IDS if i.startswith(g + ".")]
                      for g in ("assign", "update", "converged", "lloyd")}


def test_outcomes_come_in_catalogue_order_for_any_groups():
    caller = InProcessCaller(submission())
    outcomes = run_checks(caller, ["converged", "assign"], settings=FAST)
    assert [o.check_id for o in outcomes] == GROUPS["assign"] + GROUPS["converged"]
    assert all(o.passed and o.title == CATALOGUE[o.check_id] for o in outcomes)
    with pytest.raises(ValueError, match="unknown check group"):
        run_checks(caller, ["assign", "kmeans"])


def test_hand_picked_cases_are_tiny():
    for cases in (*HAND_PICKED.values(), *(p.values() for p in PROBES.values())):
        for case in cases:
            if isinstance(case.args[0], Frame):
                assert len(case.args[0].index) <= 7


# --------------------------------------------------------------------------- broken submissions
def test_a_missing_function_fails_its_checks_and_the_loop_only():
    namespace = submission()
    del namespace["update"]
    outcomes = run_checks(InProcessCaller(namespace), settings=FAST)
    bad = failed(outcomes)
    assert set(bad) == set(GROUPS["update"] + GROUPS["lloyd"])
    assert "Define update(X, labels, means)" in bad["update.means"].message
    assert "update" in bad["lloyd.inertia"].message


def test_a_hanging_function_fails_by_timeout_and_the_rest_is_still_checked():
    def assign(X, means):
        while True:
            pass

    start = time.perf_counter()
    outcomes = run_checks(InProcessCaller(submission(assign=assign), timeout=0.2), settings=FAST)
    assert time.perf_counter() - start < 10
    bad = failed(outcomes)
    assert set(bad) == set(GROUPS["assign"] + GROUPS["lloyd"])
    assert "did not finish in time" in bad["assign.nearest"].message
    assert "assign" in bad["lloyd.terminates"].message


def test_exit_in_converged_fails_converged_only_and_the_loop():
    def converged(old, new):
        sys.exit(3)

    bad = failed(run_checks(InProcessCaller(submission(converged=converged)), settings=FAST))
    assert set(bad) == set(GROUPS["converged"] + GROUPS["lloyd"])
    assert "sys.exit" in bad["converged.changed"].message


def test_an_exception_is_shown_with_the_students_lines_only():
    def assign(X, means):
        raise ValueError("my own mistake")

    bad = failed(run_checks(InProcessCaller(submission(assign=assign)), ["assign"],
                            settings=FAST))
    # A function that never returns earns nothing, so purity and own work fail too.
    assert set(bad) == {"assign.output", "assign.nearest", "assign.ties", "assign.pure",
                        "assign.own_work"}
    message = bad["assign.output"].message
    assert "ValueError: my own mistake" in message
    assert 'raise ValueError("my own mistake")' in message
    assert "reference/" not in message and "site-packages" not in message


def test_hypothesis_finds_and_shrinks_what_the_hand_picked_cases_miss():
    def assign(X, means):  # wrong only for data with 4 or more features
        labels = assign_numpy(X, means)
        return labels if X.shape[1] < 4 else np.zeros(len(X), dtype=int)

    bad = failed(run_checks(InProcessCaller(submission(assign=assign)), ["assign"],
                            settings=GradingSettings(max_examples=60)))
    assert "assign.nearest" in bad
    frame = bad["assign.nearest"].details["args"][0]
    assert frame.values.shape[1] >= 4 and len(frame.index) == 1
    assert bad["assign.nearest"].details["case"] == "a generated input"


# --------------------------------------------------------------------------- delegation
def test_delegating_to_kmeans_fails_own_work_and_is_judged_otherwise():
    def assign(X, means):
        model = KMeans(n_clusters=len(means), init=means, n_init=1, max_iter=1)
        return model.fit(X.to_numpy()).predict(X.to_numpy())

    bad = failed(run_checks(InProcessCaller(submission(assign=assign)), ["assign"],
                            settings=FAST))
    assert "assign.own_work" in bad
    assert bad["assign.own_work"].misconception == "assign.delegates"
    assert "sklearn.cluster" in bad["assign.own_work"].message
    assert "point of the exercise" in bad["assign.own_work"].message


def test_the_forbidden_list_is_configurable():
    def assign(X, means):
        return reference.assign(X, means)

    strict = run_checks(InProcessCaller(submission(assign=assign)), ["assign"], settings=FAST)
    lenient = run_checks(InProcessCaller(submission(assign=assign), forbidden=("sklearn",)),
                         ["assign"], settings=FAST)
    assert set(failed(strict)) == {"assign.own_work"}
    assert not failed(lenient)
    # The course's settings decide, whatever the caller watches.
    allowed = GradingSettings(max_examples=10, forbidden=("sklearn",))
    assert not failed(run_checks(InProcessCaller(submission(assign=assign)), ["assign"],
                                 settings=allowed))


def test_the_reference_itself_is_correct_but_not_own_work():
    namespace = {"assign": reference.assign, "update": reference.update,
                 "converged": reference.converged}
    bad = failed(run_checks(InProcessCaller(namespace), settings=FAST))
    assert set(bad) == {"assign.own_work", "update.own_work", "converged.own_work"}


# --------------------------------------------------------------------------- the loop
def _reference_runs() -> dict:
    """What the reference meets on the loop checks' data from each random start."""
    from reference._lloyd import _assign, _update

    facts = {}
    X = np.asarray(algorithm.four_clusters().values)
    for seed in algorithm.RANDOM_SEEDS:
        means = reference.init_means(X, 4, "random", random_state=seed)
        labels = _assign(X, means)
        steps, empty, min_gap = 0, False, np.inf
        while True:
            empty |= bool((np.bincount(labels, minlength=4) == 0).any())
            means = _update(X, labels, means)
            new = _assign(X, means)
            D = np.sort(sq_distances(X, means), axis=1)
            min_gap = min(min_gap, float((D[:, 1] - D[:, 0]).min()))
            steps += 1
            if np.array_equal(new, labels):
                break
            labels = new
        facts[seed] = {"steps": steps, "empty": empty, "min_gap": min_gap}
    return facts


def test_the_loop_data_never_meet_an_empty_cluster_or_a_one_step_run():
    for facts in _reference_runs().values():
        assert not facts["empty"] and facts["steps"] >= 2 and facts["min_gap"] > 1e-6


def test_lloyd_alone_still_names_the_misconception():
    def converged(old, new):
        return old is new

    bad = failed(run_checks(InProcessCaller(submission(converged=converged)), ["lloyd"],
                            settings=FAST))
    assert set(bad) == {"lloyd.terminates"}
    assert bad["lloyd.terminates"].misconception == "converged.identity"
    assert "`is`" in bad["lloyd.terminates"].message


# --------------------------------------------------------------------------- the in-process caller
def test_in_process_caller_reports_plain_data():
    def assign(X, means):
        print("hello")
        warnings.warn("careful")
        X["extra"] = 1.0
        return pd.Series([0, 1], index=["p", "q"])

    caller = InProcessCaller({"assign": assign})
    frame = Frame(np.array([[0.0, 1.0], [2.0, 3.0]]), ("a", "b"), ("p", "q"))
    result = caller("assign", frame, np.zeros((2, 2)))
    assert result.returned.type_name == "pandas.Series"
    assert result.returned.array.tolist() == [0, 1] and result.returned.shape == (2,)
    assert result.stdout == "hello\n" and result.warnings == ("UserWarning: careful",)
    assert result.args_after[0].columns == ("a", "b", "extra")
    assert frame.columns == ("a", "b")  # the engine's own data are untouched
    assert not caller.defines("update")
    assert caller("update").failure == "missing"


def test_in_process_caller_resolves_same_as_and_types():
    caller = InProcessCaller({"same": lambda a, b: a is b, "equal": lambda a, b: a == b})
    labels = np.array([0, 1])
    assert caller("same", labels, SameAs(0)).returned.array.item() is True
    assert caller("same", labels, labels).returned.array.item() is False
    result = caller("equal", np.int64(1), np.int64(1))
    assert result.returned.type_name == "numpy.bool"


def test_in_process_caller_times_out_and_reports_exceptions():
    def slow():
        time.sleep(5)

    def broken():
        return {"a": 1}["b"]

    caller = InProcessCaller({"slow": slow, "broken": broken}, timeout=0.1)
    assert caller("slow").failure == "timeout"
    raised = caller("broken").raised
    assert raised.type_name == "KeyError" and "LookupError" in raised.bases
    assert 'return {"a": 1}["b"]' in raised.traceback_tail


def test_delegation_is_recorded_only_while_the_student_runs():
    caller = InProcessCaller({"own": lambda X: X.sum(), "kit": lambda X: reference.inertia(
        X, X[:1], np.zeros(len(X), dtype=int))})
    X = np.ones((3, 2))
    assert caller("own", X).delegated_to == ()
    assert caller("kit", X).delegated_to == ("reference._lloyd.inertia",)


def test_returned_keeps_text_values():
    letters = to_returned(["A", "B"])
    assert letters.array is None and letters.strings == ("A", "B")
    numbers = to_returned([0, 1, 2])
    assert numbers.type_name == "list" and numbers.array.tolist() == [0, 1, 2]
    assert to_returned(True).type_name == "bool"


def test_a_hanging_update_costs_the_loop_checks_one_timeout_only():
    calls = []

    def update(X, labels, means):
        calls.append(1)
        time.sleep(5)

    outcomes = run_checks(InProcessCaller(submission(update=update), timeout=0.1), ["lloyd"],
                          settings=FAST)
    assert all(not o.passed and "update" in o.message for o in outcomes)
    assert len(calls) <= 2  # one in the loop, one to name the cause


def test_a_loop_failure_without_a_named_mistake_hints_at_the_function_at_fault():
    """No misconception explains this update (its means are 1% off), so the loop's failure
    names update and gives update's hint -- not the loop check's own, which names others."""
    def update(X, labels, means):
        return update_numpy(X, labels, means) * 1.01

    outcomes = run_checks(InProcessCaller(submission(update=update)), settings=FAST)
    loop = [o for o in outcomes if o.function == "lloyd" and not o.passed]
    assert loop and all(o.misconception is None for o in loop)
    update_hints = {check.hint for check in registry.group("update")}
    for outcome in loop:
        assert "This follows from `update`" in outcome.message
        [hint] = [line[len("Hint: "):] for line in outcome.message.splitlines()
                  if line.startswith("Hint: ")]
        assert hint in update_hints, (outcome.check_id, hint)


def test_a_ragged_result_is_described_not_just_refused():
    """A list of arrays and numbers mixed is not 'not an array of numbers': the message says
    what its items are."""
    def update(X, labels, means):
        rows = update_numpy(X, labels, means)
        return [row for row in rows[:-1]] + [0.0]

    def assign(X, means):
        return [assign_numpy(X, means)[:1], 3]

    outcomes = run_checks(InProcessCaller(submission(assign=assign, update=update)),
                          ["assign", "update"], settings=FAST)
    shown = {o.check_id: o.message for o in outcomes if not o.passed}
    for check in ("assign.output", "update.output"):
        assert "whose items do not make one array (a numpy.ndarray of shape" in shown[check]
        assert "a number (" in shown[check] and "shape None" not in shown[check]
