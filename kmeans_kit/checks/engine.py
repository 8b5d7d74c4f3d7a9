"""The check engine: run the contract checks and the whole-algorithm properties.

Public entry: :func:`run_checks`. It asks a :class:`~kmeans_kit.protocol.Caller`
to call the student's functions (never calling them itself), judges every
call against the reference kernels, searches generated inputs with Hypothesis
for the smallest counterexample, names the misconception behind a failure and
returns one :class:`~kmeans_kit.protocol.Outcome` per check, in a fixed
order, with a message an instructor would write.

How a function is checked:

1. hand-picked cases (tiny, each aimed at one classic mistake), then
2. one derandomised Hypothesis search over generated cases for the checks
   still passing; Hypothesis shrinks the first failure to a small input, and
   the search repeats for the checks that still pass;
3. for every failed check, the misconception catalogue is asked which wrong
   idea explains what the function did (on the counterexample and on fixed
   probes).

Calls are cached by their arguments, so the checks of a function share calls.

``Outcome.details`` of a failed function check holds plain data: ``problem``,
``expected``, ``got`` (texts), ``case`` (the input's label), ``args`` (the
counterexample's arguments as passed: Frame / ndarray / SameAs), ``rows`` (the
positions concerned), ``misconception`` and ``hint``, plus check-specific keys
(``raised``, ``changed``, ``delegated_to``, ``shape``). A loop check has
``problem``/``expected``/``got`` and ``culprit`` (the function to blame, if known);
a check that could not run has ``broken`` (the function that is missing or broken).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import replace

import numpy as np
from hypothesis import Verbosity, given, seed
from hypothesis import settings as hypothesis_settings
from hypothesis.errors import Flaky

from .. import messages
from ..protocol import FUNCTIONS, Caller, CallResult, Frame, Outcome
from ..settings import GradingSettings, matches
from . import registry
from .algorithm import LloydChecks
from .cases import HAND_PICKED, Case, generated
from .contract import INPUT_JUDGES, Verdict
from .misconceptions import Evidence, Failure, Misconception, diagnose
from .profiles import grading, without_local_constants

#: The generated cases depend on this seed only (not on the engine's source code,
#: which derandomize alone would hash), so they stay the same across kit releases.
SEARCH_SEED = 398

#: Tries Hypothesis may spend shrinking one counterexample (each is a call of student code).
SHRINK_CALLS = 40


#: The cases a complete (nothing failed) derandomised search generated, per
#: (function, max_examples): later searches in this process replay them.
_GENERATED: dict[tuple[str, int], tuple[Case, ...]] = {}


def _subset(case: Case, keep: list[int]) -> Case:
    """``case`` restricted to the rows ``keep`` of X (and of the labels, for update)."""
    frame = case.frame
    smaller = Frame(frame.values[keep], frame.columns, tuple(frame.index[r] for r in keep))
    middle = (np.asarray(case.args[1])[keep],) if case.function == "update" else ()
    return Case(case.function, (smaller, *middle, case.args[-1]), case.label)


def _has_places(case: Case, places: int) -> bool:
    values = np.concatenate([case.X.ravel(), case.means.ravel()])
    return bool(np.all(values == np.round(values, places)))


def _rounded(case: Case, places: int) -> Case:
    """``case`` with its data and means rounded to ``places`` decimals."""
    frame = case.frame
    values = np.round(np.asarray(frame.values, dtype=np.float64), places)
    if np.issubdtype(frame.values.dtype, np.integer):
        values = frame.values
    smaller = Frame(values, frame.columns, frame.index)
    means = np.round(np.asarray(case.args[-1], dtype=np.float64), places)
    return Case(case.function, (smaller, *case.args[1:-1], means), case.label)


def _fewer_means(case: Case, keep: list[int]) -> Case:
    """An ``update`` case with only the means ``keep`` (every label among them), renumbered."""
    position = {j: i for i, j in enumerate(keep)}
    labels = np.array([position[j] for j in case.labels.tolist()], dtype=np.intp)
    return Case(case.function, (case.args[0], labels, case.means[keep]), case.label)


class _Counterexample(Exception):
    """Raised inside the Hypothesis search when a pending check fails (Hypothesis shrinks it)."""


class _Broken(BaseException):
    """A call never finished: stop the search at once (no shrinking of hangs or crashes)."""


class _Session:
    """One run of the checks: the caller, the settings and a cache of calls."""

    def __init__(self, caller: Caller, settings: GradingSettings):
        self.caller = caller
        self.settings = settings
        self._cache: dict[str, CallResult] = {}
        self.answered: set[str] = set()   # functions that returned a value at least once
        self.stand_in: dict[str, str] = {}  # check -> the failed check whose diagnosis it shares
        self.failures: dict[str, dict[str, Failure]] = {}
        self.broken: dict[str, str] = {}
        self.diagnoses: dict[str, Misconception | None] = {}

    def call(self, case: Case) -> CallResult:
        key = case.key()
        if key not in self._cache:
            result = self.caller(case.function, *case.args)
            if result.delegated_to:
                # The caller may watch more helpers than this course forbids.
                allowed = tuple(name for name in result.delegated_to
                                if matches(name, self.settings.forbidden))
                if allowed != result.delegated_to:
                    result = replace(result, delegated_to=allowed)
            self._cache[key] = result
            if result.returned is not None and result.returned.type_name != "NoneType":
                self.answered.add(case.function)
        return self._cache[key]

    # -- one function --------------------------------------------------------------------
    def check_function(self, function: str) -> None:
        if function in self.failures or function in self.broken:
            return
        if not self.caller.defines(function):
            self.broken[function] = messages.missing_function(
                function, registry.SIGNATURES[function])
            return
        checks = [check.id for check in registry.group(function)]
        judge = registry.get(checks[0]).judge   # one judge decides every check of a function
        failures: dict[str, Failure] = {}
        for case in HAND_PICKED[function]:
            result = self.call(case)
            if result.failure:
                self._mark_broken(function, case, result)
                return
            for check, verdict in judge(case, result).items():
                if isinstance(verdict, Verdict) and check not in failures:
                    failures[check] = Failure(check, case, result, verdict)
        if function in INPUT_JUDGES:
            for check, (case, result, verdict) in INPUT_JUDGES[function](self.call).items():
                if result.failure:
                    self._mark_broken(function, case, result)
                    return
                failures.setdefault(check, Failure(check, case, result, verdict))
        pending = [check for check in checks if check not in failures]
        while pending:
            seen, broken = self._search(function, pending)
            if broken is not None:
                self._mark_broken(function, *broken)
                return
            if not seen:
                break
            for check, failure in seen.items():
                failures[check] = self._fewer_rows(failure)
            pending = [check for check in pending if check not in seen]
        if function not in self.answered and failures:
            # Purity and doing one's own work are only credited for a function that
            # produced an answer: a stub that raises must not earn them.
            first = next(iter(failures.values()))
            for check in checks:
                if check not in failures:
                    failures[check] = replace(first, check_id=check)
                    self.stand_in[check] = first.check_id
        self.failures[function] = {check: failures[check] for check in checks if check in failures}

    def _search(self, function: str, pending: list[str]):
        """Generated counterexamples for the ``pending`` checks: ``({check: Failure}, broken)``.

        Hypothesis stops at the first case failing any pending check and shrinks
        it. Every check keeps the last (so smallest) failing case seen, so checks
        that fail together are shrunk together, in one search.
        """
        judge = registry.group(function)[0].judge
        key = (function, self.settings.max_examples)
        if key in _GENERATED:
            # Hypothesis is derandomised: it would generate exactly these cases again.
            # Replaying them skips the (slow) generation; only a failure needs Hypothesis,
            # which then finds the same first failing case and shrinks it.
            for case in _GENERATED[key]:
                result = self.call(case)
                if result.failure:
                    return {}, (case, result)
                verdicts = judge(case, result)
                if any(isinstance(verdicts.get(check), Verdict) for check in pending):
                    break
            else:
                return {}, None
        seen: dict[str, Failure] = {}
        broken: list = []
        budget = [SHRINK_CALLS]
        generated_cases: list[Case] = []

        @hypothesis_settings(grading(self.settings.max_examples), verbosity=Verbosity.quiet)
        @seed(SEARCH_SEED)
        @given(generated(function))
        def search(case: Case) -> None:
            if seen:
                # Shrinking: a bounded number of tries (counted, so still deterministic).
                budget[0] -= 1
                if budget[0] < 0:
                    raise _Broken()
            if not seen:
                generated_cases.append(case)
            result = self.call(case)
            if result.failure:
                broken.append((case, result))
                raise _Broken()
            verdicts = judge(case, result)
            failing = [check for check in pending if isinstance(verdicts.get(check), Verdict)]
            for check in failing:
                seen[check] = Failure(check, case, result, verdicts[check])
            if failing:
                raise _Counterexample()

        try:
            with without_local_constants():
                search()
        except (_Counterexample, _Broken):
            pass
        except Flaky:
            # Hypothesis gives up on a function that answers differently each time;
            # the failures it saw are still true counterexamples.
            if not seen and not broken:
                raise
        if not seen and not broken:
            _GENERATED[key] = tuple(generated_cases)
        ordered = {check: seen[check] for check in pending if check in seen}
        return ordered, (broken[0] if broken else None)

    def _fewer_rows(self, failure: Failure) -> Failure:
        """The failure on a subset of its rows, then of its means, if a smaller one still
        shows it.

        Hypothesis's shrinking is capped (it regenerates whole DataFrames, which is
        slow); a call or two on row subsets that keep what matters usually takes the
        counterexample the rest of the way: for ``assign`` (row by row) the first
        offending row; for ``update`` one row per cluster, plus the rows of the
        cluster that came out wrong -- and then only the clusters that have points, plus
        one empty cluster (a search that found an empty cluster may leave six of them).
        """
        case, rows = failure.case, failure.verdict.rows
        if case.function not in ("assign", "update"):
            return failure
        n = len(case.frame.index)
        if case.function == "assign":
            candidates = [[rows[0]]] if rows else []
        else:
            firsts = sorted(np.unique(case.labels, return_index=True)[1].tolist())
            candidates = [firsts, sorted(set(firsts) | set(rows))]
        failure = self._still_failing(failure, [_subset(case, keep) for keep in candidates
                                                if len(keep) < n])
        if failure.case.function == "update":
            case = failure.case
            used = sorted(set(case.labels.tolist()))
            empty = [j for j in range(case.k) if j not in used]
            keep = sorted(used + empty[:1])
            if len(keep) < case.k:
                failure = self._still_failing(failure, [_fewer_means(case, keep)])
        # Values a reader takes in at a glance: whole numbers, else at most two decimals.
        return self._still_failing(failure, [_rounded(failure.case, places)
                                             for places in (0, 1, 2)
                                             if not _has_places(failure.case, places)])

    def _still_failing(self, failure: Failure, smaller: list[Case]) -> Failure:
        """``failure`` on the first of the ``smaller`` cases that still fails its check."""
        for case in smaller:
            result = self.call(case)
            if result.failure:
                continue
            verdict = registry.get(failure.check_id).judge(case, result).get(failure.check_id)
            if isinstance(verdict, Verdict):
                return Failure(failure.check_id, case, result, verdict)
        return failure

    def _mark_broken(self, function: str, case: Case, result: CallResult) -> None:
        self.broken[function] = messages.never_finished(function, result, case.label, case.args)

    def diagnosis(self, function: str, check: str) -> Misconception | None:
        key = f"{function}:{check}"
        if key not in self.diagnoses:
            evidence = Evidence(function, self.failures.get(function, {}), self.call)
            self.diagnoses[key] = diagnose(function, check, evidence)
        return self.diagnoses[key]

    # -- outcomes ------------------------------------------------------------------------
    def function_outcomes(self, function: str) -> list[Outcome]:
        self.check_function(function)
        outcomes = []
        first_crash: dict[tuple[str, str], str] = {}   # (type, message) -> check shown under
        for check in registry.group(function):
            if function in self.broken:
                outcomes.append(Outcome(check.id, check.title, False, None,
                                        self.broken[function], {"broken": function}))
                continue
            failure = self.failures[function].get(check.id)
            if failure is None:
                outcomes.append(Outcome(check.id, check.title, True))
                continue
            misconception = self.diagnosis(function, self.stand_in.get(check.id, check.id))
            details = _details(failure, misconception)
            raised = failure.result.raised
            crash = None if raised is None else (raised.type_name, raised.message)
            if crash is not None and crash in first_crash:
                # The same error again: shown in full once, under the first check it failed.
                details["same_as"] = first_crash[crash]
                message = messages.same_error(function, raised.type_name, raised.message,
                                              first_crash[crash], misconception)
            else:
                if crash is not None:
                    first_crash[crash] = check.id
                message = _message(failure, misconception)
            outcomes.append(Outcome(check.id, check.title, False,
                                    misconception.name if misconception else None,
                                    message, details))
        return outcomes

    def lloyd_outcomes(self) -> list[Outcome]:
        checks = registry.group("lloyd")
        unusable = [f for f in FUNCTIONS if not self.caller.defines(f) or f in self.broken]
        if unusable:
            text = " ".join(self.broken.get(f) or messages.missing_function(
                f, registry.SIGNATURES[f]) for f in unusable)
            message = (f"The loop needs all three functions, and "
                       f"{' and '.join(unusable)} cannot be used.\n\n{text}")
            return [Outcome(c.id, c.title, False, None, message, {"broken": unusable[0]})
                    for c in checks]
        properties = LloydChecks(self.call)
        outcomes = []
        for check in checks:
            verdict = check.judge(properties)
            if verdict is None:
                outcomes.append(Outcome(check.id, check.title, True))
                continue
            name, cause = self._lloyd_cause(check.id, verdict)
            message = messages.loop_failure(verdict.problem, verdict.expected, verdict.got,
                                            cause or f"Hint: {check.hint}")
            details = {"problem": verdict.problem, "expected": verdict.expected,
                       "got": verdict.got, **verdict.data}
            outcomes.append(Outcome(check.id, check.title, False, name, message, details))
        return outcomes

    def _lloyd_cause(self, check: str, verdict: Verdict) -> tuple[str | None, str]:
        """The misconception behind a failed loop: the first diagnosed fault in a function."""
        culprit = verdict.data.get("culprit", "")
        order = [culprit] if culprit in FUNCTIONS else []
        order += [f for f in FUNCTIONS if f not in order]
        for function in order:
            self.check_function(function)
            if function in self.broken:
                return None, self.broken[function]
            for failed in self.failures.get(function, {}):
                misconception = self.diagnosis(function, failed)
                if misconception is not None:
                    return misconception.name, _diagnosis(misconception, via=function)
        for function in order:
            if self.failures.get(function):
                # The hint of the function that is at fault, not the loop check's own (which
                # may name another function).
                first = next(iter(self.failures[function]))
                return None, (f"This follows from `{function}`, which fails {first} (see there)."
                              f"\nHint: {registry.get(first).hint}")
        return None, ""


def run_checks(caller: Caller, groups: Iterable[str] = registry.GROUPS,
               settings: GradingSettings | None = None) -> list[Outcome]:
    """Check a submission's functions; one :class:`Outcome` per check of the requested groups.

    Parameters
    ----------
    caller : Caller
        Calls the student's functions (in-process, or the isolated runner).
    groups : iterable of str
        Any of ``"assign"``, ``"update"``, ``"converged"``, ``"lloyd"``; outcomes come
        in registry order whatever the order asked.
    settings : GradingSettings, optional
        ``max_examples`` bounds each Hypothesis search; defaults to ``GradingSettings()``.

    Returns
    -------
    list of Outcome
        Deterministic: the same submission gives the same list, messages included.
    """
    wanted = list(dict.fromkeys(groups))
    unknown = [g for g in wanted if g not in registry.GROUPS]
    if unknown:
        raise ValueError(f"unknown check group(s) {unknown}; choose from {list(registry.GROUPS)}")
    session = _Session(caller, settings or GradingSettings())
    outcomes: list[Outcome] = []
    for group in registry.GROUPS:
        if group not in wanted:
            continue
        outcomes += session.lloyd_outcomes() if group == "lloyd" else \
            session.function_outcomes(group)
    return outcomes


# --------------------------------------------------------------------------- messages
def _diagnosis(misconception: Misconception, via: str = "") -> str:
    return messages.diagnosis(misconception.name, misconception.title, misconception.explanation,
                              misconception.hint, via=via)


def _message(failure: Failure, misconception: Misconception | None) -> str:
    verdict, case, result = failure.verdict, failure.case, failure.result
    explained = _diagnosis(misconception) if misconception is not None else \
        f"Hint: {registry.get(failure.check_id).hint}"
    tail = result.raised.traceback_tail if result.raised is not None else ""
    return messages.function_failure(case.function, verdict.problem, case.label, case.args,
                                     verdict.rows, verdict.expected, verdict.got, tail, explained)


def _details(failure: Failure, misconception: Misconception | None) -> dict:
    verdict, case = failure.verdict, failure.case
    return {"problem": verdict.problem, "expected": verdict.expected, "got": verdict.got,
            "case": case.label, "args": case.args, "rows": verdict.rows,
            "misconception": misconception.name if misconception else None,
            "hint": misconception.hint if misconception else registry.get(failure.check_id).hint,
            **verdict.data}


__all__ = ["run_checks"]
