"""Every misconception in the catalogue is diagnosed as itself, on its own mutant submission."""

import re

import numpy as np
import pytest
from helpers import TITLES as CATALOGUE
from mutants.variants import VARIANTS
from mutants.wrong import MUTANTS

from kmeans_kit.checks import registry
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.checks.misconceptions import BY_NAME
from kmeans_kit.checks.misconceptions import CATALOGUE as MISCONCEPTIONS
from kmeans_kit.protocol import Frame
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.settings import GradingSettings

# Hand-picked cases expose every mutant; a few generated cases keep the file fast.
SETTINGS = GradingSettings(max_examples=10)


@pytest.fixture(scope="module")
def outcomes():
    cache = {}

    def get(name):
        if name not in cache:
            namespace, _ = MUTANTS[name]
            cache[name] = run_checks(InProcessCaller(namespace, timeout=10), settings=SETTINGS)
        return cache[name]
    return get


def test_the_catalogue_is_large_and_every_entry_has_a_mutant():
    assert len(BY_NAME) >= 25
    assert set(MUTANTS) == set(BY_NAME)
    for function, entries in MISCONCEPTIONS.items():
        for entry in entries:
            assert entry.function == function
            assert entry.checks and set(entry.checks) <= set(CATALOGUE)
            assert entry.explanation.strip() and entry.hint.strip() and entry.title.strip()


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_mutant_is_diagnosed_as_itself(name, outcomes):
    _, expected = MUTANTS[name]
    results = outcomes(name)
    failed = {o.check_id for o in results if not o.passed}
    assert any(check.startswith(name.split(".")[0] + ".") for check in expected)
    assert failed == expected, f"{name}: failed {sorted(failed)}"
    for outcome in results:
        if outcome.passed:
            continue
        assert outcome.misconception == name, (outcome.check_id, outcome.misconception)
        entry = BY_NAME[name]
        assert entry.title in outcome.message and entry.hint in outcome.message
        assert "Traceback" not in outcome.message
        assert "reference/" not in outcome.message  # no frames from inside the kit


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_counterexample_is_small(name, outcomes):
    for outcome in outcomes(name):
        if outcome.passed or outcome.function == "lloyd":
            continue
        args = outcome.details["args"]
        if "same_as" in outcome.details:   # the same error, shown in full under another check
            assert f"as under {outcome.details['same_as']}" in outcome.message
            continue
        assert "Input (" in outcome.message and "Expected:" in outcome.message
        if isinstance(args[0], Frame):
            assert len(args[0].index) <= 5, (outcome.check_id, len(args[0].index))
            shown = outcome.message.split("Input (", 1)[1].split("means (k")[0]
            assert len(re.findall(r"\n    \S", shown)) <= 6  # header line + at most 5 rows


def test_the_notes_pitfall_is_explained_the_notes_way(outcomes):
    message = next(o.message for o in outcomes("assign.dict_keys") if not o.passed)
    for phrase in ("keys", "'A'", "UFuncTypeError", "mu.values()", "true generating means",
                   "`means` argument"):
        assert phrase in message, phrase


def test_the_groupby_idiom_explains_what_happens_next(outcomes):
    [outcome] = [o for o in outcomes("update.drops_empty_cluster") if not o.passed]
    assert outcome.check_id == "update.empty_cluster"
    for phrase in ("k-1 means", "disappears for good", "colours", "keeps the old mean"):
        assert phrase in outcome.message, phrase


def test_the_silent_form_is_named_without_an_exception(outcomes):
    failed = [o for o in outcomes("assign.global_means") if not o.passed]
    assert all(o.misconception == "assign.global_means" for o in failed)
    assert any("same answer whatever means" in o.message for o in failed)


def test_a_never_true_converged_shows_up_as_an_endless_loop(outcomes):
    outcome = next(o for o in outcomes("converged.never_true") if o.check_id == "lloyd.terminates")
    assert not outcome.passed and outcome.misconception == "converged.never_true"
    assert "max_iter" in outcome.message and "never" in outcome.message


@pytest.mark.parametrize("label", sorted(VARIANTS))
def test_other_spellings_of_a_misconception_get_the_same_diagnosis(label):
    namespace, name = VARIANTS[label]
    outcomes = run_checks(InProcessCaller(namespace, timeout=10), [name.split(".")[0]],
                          settings=SETTINGS)
    failed = [o for o in outcomes if not o.passed]
    assert any(o.function == name.split(".")[0] for o in failed)
    assert {o.misconception for o in failed} == {name}, \
        {o.check_id: o.misconception for o in failed}


def test_only_two_features_is_shown_on_one_point_with_three(outcomes):
    """The 2-D formula is wrong for d >= 3: shown on a single point whose third feature
    decides (and for d = 1, where it crashes, named all the same)."""
    failed = {o.check_id: o for o in outcomes("assign.first_two_features") if not o.passed}
    nearest = failed["assign.nearest"]
    assert "one point, three features" in nearest.message
    assert len(nearest.details["args"][0].index) == 1
    assert "IndexError" in failed["assign.output"].message   # the d = 1 crash, named too


def test_the_empty_cluster_rule_is_said_when_update_crashes_on_one(outcomes):
    [outcome] = [o for o in outcomes("update.crashes_on_empty") if not o.passed]
    assert "KeyError" in outcome.message and "keep that cluster's current mean" in outcome.message


def test_dropping_an_empty_cluster_is_worded_for_its_effect_not_one_idiom(outcomes):
    for name in ("update.drops_empty_cluster", "update.k_from_labels"):
        [outcome] = [o for o in outcomes(name) if not o.passed]
        title = BY_NAME[name].title
        assert "groupby" not in title and "fewer than k" in outcome.message, name


def _hints(function: str) -> set[str]:
    """Every hint that is about ``function``: its checks' and its misconceptions'."""
    return {check.hint for check in registry.group(function)} | \
        {entry.hint for entry in MISCONCEPTIONS[function]}


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_a_loop_failure_hints_at_the_function_it_blames(name, outcomes):
    """A lloyd.* failure caused by one function's mistake hints at that function."""
    function = name.split(".")[0]
    for outcome in outcomes(name):
        if outcome.passed or outcome.function != "lloyd":
            continue
        blamed = re.findall(r"(?:follows from (?:a mistake in )?`(\w+)`|Diagnosis \((\w+)\.)",
                            outcome.message)
        blamed = {a or b for a, b in blamed}
        assert blamed == {function}, (outcome.check_id, blamed)
        hints = re.findall(r"^Hint: (.*)$", outcome.message, re.M)
        assert hints and all(hint in _hints(function) for hint in hints), \
            (outcome.check_id, hints)


@pytest.mark.parametrize("name", sorted(MUTANTS))
def test_the_shown_case_is_small_and_readable(name, outcomes):
    """At most 5 points and 4 means, with values of at most two decimals."""
    for outcome in outcomes(name):
        if outcome.passed or outcome.function == "lloyd":
            continue
        args = outcome.details["args"]
        if not isinstance(args[0], Frame):
            continue
        X = np.asarray(args[0].values, dtype=float)
        means = np.asarray(args[-1], dtype=float)
        assert X.shape[0] <= 5 and means.shape[0] <= 4, (outcome.check_id, X.shape, means.shape)
        for values in (X, means):
            assert np.allclose(values, np.round(values, 2)), (outcome.check_id, values)


@pytest.mark.parametrize("name", ["assign.undefined_name", "update.crashes_every_call",
                                  "converged.crashes_every_call"])
def test_the_same_crash_on_every_call_is_shown_once_with_its_line(name, outcomes):
    function = name.split(".")[0]
    failed = [o for o in outcomes(name) if not o.passed and o.function == function]
    assert len(failed) >= 2 and {o.misconception for o in failed} == {name}
    shown = [o for o in failed if "Where it happened in your code" in o.message]
    assert len(shown) == 1 and shown[0] is failed[0]   # in full once, as the first failure
    assert all(f"as under {failed[0].check_id}" in o.message for o in failed[1:])


def test_a_notebook_global_is_named_in_the_error(outcomes):
    first = next(o for o in outcomes("assign.undefined_name") if not o.passed)
    assert "name 'centers' is not defined" in first.message
    assert "notebook global" in first.message
