"""The isolated runner: student code runs in a limited worker; misbehaviour fails one call only.

Most misbehaving submissions in ``tests/submissions`` hold only the bad
function; they are loaded after ``correct.py`` (like a later notebook cell), so
the other two functions are correct and must still be served correctly.
"""

from __future__ import annotations

import dataclasses
import os
import time
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import GROUPS

import reference
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.protocol import Frame, Returned, SameAs
from kmeans_kit.runner import wire
from kmeans_kit.runner.isolated import SubmissionRunner
from kmeans_kit.runner.jail import HOME
from kmeans_kit.settings import GradingSettings, Limits
from kmeans_kit.submission import Submission

SUBMISSIONS = Path(__file__).parent / "submissions"
CORRECT = (SUBMISSIONS / "correct.py").read_text()
# Every test here but the wire format's starts the worker (jailed, unless it says otherwise):
# process-level, 25 s together, half of it waiting out limits or restarting crashed
# workers; they are marked e2e, and `-m "not e2e"` keeps only in-process tests.
FAST = GradingSettings(limits=Limits(call_seconds=2.0, load_seconds=10.0, memory_mb=1024,
                                     output_bytes=20_000), max_examples=5)

DF = pd.DataFrame({"height": [0.0, 1.0, 9.0, 10.0], "width": [0.0, 1.0, 9.0, 10.0]},
                  index=[10, 11, 12, 13])
MEANS = np.array([[0.0, 0.0], [10.0, 10.0]])
LABELS = np.array([0, 0, 1, 1])


def correct_plus(name: str) -> Submission:
    """correct.py, then the misbehaving file ``name`` as a second cell."""
    return Submission((CORRECT, (SUBMISSIONS / name).read_text()), name, (0, 1))


def expect_correct(runner, *, skip=()) -> None:
    """The correct functions answer as the reference does, arguments untouched."""
    if "assign" not in skip:
        result = runner("assign", Frame.from_pandas(DF), MEANS)
        assert result.failure is None and result.raised is None, result
        np.testing.assert_array_equal(result.returned.array, reference.assign(DF, MEANS))
        np.testing.assert_array_equal(result.args_after[0].values, DF.to_numpy())
        np.testing.assert_array_equal(result.args_after[1], MEANS)
    if "update" not in skip:
        result = runner("update", Frame.from_pandas(DF), LABELS, MEANS)
        assert result.failure is None and result.raised is None, result
        np.testing.assert_allclose(result.returned.array, reference.update(DF, LABELS, MEANS))
    if "converged" not in skip:
        same = runner("converged", LABELS, SameAs(0))
        changed = runner("converged", LABELS, np.array([0, 1, 1, 1]))
        assert same.returned.array.item() is True or same.returned.array.item() == 1
        assert not changed.returned.array.item()


# --------------------------------------------------------------------------- correct code
@pytest.fixture(scope="module")
def correct_runner():
    with SubmissionRunner(SUBMISSIONS / "correct.py", FAST) as runner:
        yield runner


@pytest.mark.e2e
def test_correct_submission_is_served_as_plain_data(correct_runner):
    expect_correct(correct_runner)
    result = correct_runner("assign", Frame.from_pandas(DF), MEANS)
    assert isinstance(result.returned, Returned)
    assert result.returned.type_name == "numpy.ndarray"
    assert result.args_after[0].columns == ("height", "width")
    assert result.args_after[0].index == (10, 11, 12, 13)
    assert correct_runner.starts == 1


@pytest.mark.e2e
def test_defines_and_missing_functions(correct_runner):
    assert correct_runner.defines("assign") and correct_runner.defines("converged")
    assert not correct_runner.defines("inertia")
    result = correct_runner("inertia", Frame.from_pandas(DF), MEANS)
    assert result.failure == "missing" and "'inertia'" in result.detail


@pytest.mark.e2e
def test_main_block_does_not_run_and_load_output_is_not_a_call_output(correct_runner):
    # correct.py raises SystemExit under __main__ and prints while loading.
    assert correct_runner.load_errors == []
    assert "loading the submission" not in correct_runner("converged", LABELS, LABELS).stdout


@pytest.mark.e2e
def test_output_and_warnings_are_captured_per_call():
    source = ("import sys, os, warnings\n"
              "def converged(a, b):\n"
              "    print('from python'); sys.stderr.write('to stderr\\n')\n"
              "    os.write(1, b'from fd 1\\n')\n"
              "    warnings.warn('careful')\n"
              "    return True\n"
              "def where():\n    return os.getcwd()\n"
              "def backend():\n    import matplotlib\n    return matplotlib.get_backend()\n")
    with SubmissionRunner(Submission.from_source(source), FAST) as runner:
        result = runner("converged", LABELS, LABELS)
        again = runner("converged", LABELS, LABELS)
        cwd = runner("where").returned.text
        backend = runner("backend").returned.text
    for r in (result, again):
        assert r.stdout.count("from python") == 1 and "from fd 1" in r.stdout
        assert "to stderr" in r.stdout
        assert r.warnings == ("UserWarning: careful",)
    # A scratch directory of its own: the jail's home, or the runner's temporary directory.
    assert (cwd.strip("'") == HOME or "kmeans-kit-" in cwd) and cwd.strip("'") != os.getcwd()
    assert backend.strip("'").lower() == "agg"


def test_a_raise_in_a_notebook_cell_is_named_by_the_cells_prompt():
    """Frames name the cell as the feedback page and Run All show it (In [n]), not by an
    index the student never sees."""
    nb = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "markdown", "source": "# notes", "metadata": {}},
        {"cell_type": "code", "source": "x = 1", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "", "metadata": {}, "outputs": []},
        {"cell_type": "code", "source": "def converged(a, b):\n    return a[99]\n",
         "metadata": {}, "outputs": []}]}
    with SubmissionRunner(Submission.from_notebook(nb), FAST) as runner:
        raised = runner("converged", LABELS, LABELS).raised
    assert raised.type_name == "IndexError"
    assert 'File "In [2]", line 2, in converged' in raised.traceback_tail


# --------------------------------------------------------------------------- misbehaviour
# The hanging rows wait for the per-call limit on purpose, twice: a shorter one for them.
SHORT_CALLS = FAST.with_(limits=dataclasses.replace(FAST.limits, call_seconds=1.0))
MISBEHAVING = [
    # file, the function that misbehaves, failure, words in the detail, worker starts,
    # and whether to run the engine too (once per kind of failure is enough);
    # a "timeout" row runs with SHORT_CALLS, the others with FAST
    ("hang_assign.py", "assign", "timeout", "the limit is 1 s", 1, True),  # stopped in place
    ("stubborn_hang_assign.py", "assign", "timeout", "the limit is 1 s", 2, False),  # killed
    ("abort_assign.py", "assign", "crash", "abort", 2, True),
    ("segfault_assign.py", "assign", "crash", "segmentation fault", 2, False),
    ("sys_exit_update.py", "update", "exit", "sys.exit(1)", 1, False),
    ("os_exit_update.py", "update", "exit", "exit status 0", 2, True),
    ("flood_converged.py", "converged", "output", "more than 20,000 bytes", 2, True),
    ("memory_update.py", "update", "memory", "the limit is 1024 MB", 2, True),
]
ARGS = {"assign": (Frame.from_pandas(DF), MEANS), "update": (Frame.from_pandas(DF), LABELS, MEANS),
        "converged": (LABELS, LABELS)}


@pytest.mark.e2e
@pytest.mark.parametrize("name, function, failure, words, starts, engine", MISBEHAVING,
                         ids=[m[0].removesuffix(".py") for m in MISBEHAVING])
def test_misbehaviour_fails_that_function_only(name, function, failure, words, starts, engine):
    settings = SHORT_CALLS if failure == "timeout" else FAST
    with SubmissionRunner(correct_plus(name), settings) as runner:
        start = time.monotonic()
        result = runner(function, *ARGS[function])
        assert time.monotonic() - start < settings.limits.call_seconds + 2.5
        assert result.failure == failure and words in result.detail, result.detail
        expect_correct(runner, skip=(function,))
        assert runner.starts == starts
        if engine:
            # Through the same runner: only this function and the loop built on it fail.
            failed = {o.check_id for o in run_checks(runner, settings=settings) if not o.passed}
            assert failed == set(GROUPS[function]) | set(GROUPS["lloyd"])
        else:
            runner(function, *ARGS[function])
        # Twice is enough: the function is not run a third time, and says so at once.
        start = time.monotonic()
        again = runner(function, *ARGS[function])
        assert time.monotonic() - start < 0.1
        assert again.failure == failure and again.detail.startswith(result.detail)
        assert "not run again" in again.detail
    if failure == "output":   # stopped by the size, not by the clock; the start is kept
        assert result.stdout.startswith("still comparing")
        assert 20_000 <= len(result.stdout) <= 20_000 + 100


# --------------------------------------------------------------------------- tampering
@pytest.mark.e2e
def test_tampering_in_the_worker_changes_nothing_here():
    real_array_equal, real_print = np.array_equal, print
    with SubmissionRunner(correct_plus("tamper.py"), FAST) as runner:
        result = runner("assign", Frame.from_pandas(DF), MEANS)
        # The student's wrong answer arrives as it is; our NumPy still judges it.
        np.testing.assert_array_equal(result.returned.array, [7, 7, 7, 7])
        assert not np.array_equal(result.returned.array, reference.assign(DF, MEANS))
        # correct.py's converged uses np.array_equal, which the submission broke for itself.
        expect_correct(runner, skip=("assign", "converged"))
        assert runner("converged", LABELS, np.array([0, 1, 1, 1])).returned.array.item()
        outcomes = {o.check_id: o.passed for o in run_checks(runner, settings=FAST)}
    assert not outcomes["assign.nearest"] and not outcomes["converged.changed"]
    assert all(outcomes[check] for check in GROUPS["update"])
    assert np.array_equal is real_array_equal and print is real_print
    assert reference.assign is not None and reference.assign.__module__ == "reference._lloyd"


@pytest.mark.e2e
def test_protocol_noise_and_pickles_never_reach_the_checker(tmp_path, monkeypatch):
    trap = tmp_path / "unpickled"
    monkeypatch.setenv("KIT_TRAP_FILE", str(trap))
    with SubmissionRunner(correct_plus("protocol_noise.py"), FAST) as runner:
        result = runner("assign", Frame.from_pandas(DF), MEANS)
        np.testing.assert_array_equal(result.returned.array, reference.assign(DF, MEANS))
        assert '"op": "result"' in result.stdout and "garbage on stderr" in result.stdout
        objects = runner("update", Frame.from_pandas(DF), LABELS, MEANS)
        assert objects.returned.array is None and "Trap()" in objects.returned.text
    assert not trap.exists()


# Importing scikit-learn takes seconds: within the call, so the call may take longer.
_SLOW_CALLS = FAST.with_(limits=Limits(call_seconds=30.0, load_seconds=10.0, memory_mb=1024,
                                       output_bytes=20_000))
_DELEGATES = ("def assign(X, means):\n"
              "    from sklearn.metrics import pairwise_distances_argmin\n"
              "    return pairwise_distances_argmin(X.to_numpy(), means)\n"
              "def update(X, labels, means):\n"
              "    from reference import update as kit_update\n"
              "    return kit_update(X, labels, means)\n")


@pytest.mark.e2e
def test_delegation_is_recorded_without_the_jail():
    with SubmissionRunner(Submission.from_source(_DELEGATES), _SLOW_CALLS, jail=False) as runner:
        assign = runner("assign", Frame.from_pandas(DF), MEANS)
        update = runner("update", Frame.from_pandas(DF), LABELS, MEANS)
    np.testing.assert_array_equal(assign.returned.array, reference.assign(DF, MEANS))
    assert any(name.startswith("sklearn.metrics.pairwise.pairwise_distances_argmin")
               for name in assign.delegated_to), assign.delegated_to
    assert any(name.startswith("reference.") for name in update.delegated_to), update.delegated_to


@pytest.mark.e2e
def test_in_the_jail_forbidden_helpers_do_not_exist():
    with SubmissionRunner(Submission.from_source(_DELEGATES), _SLOW_CALLS, jail=True) as runner:
        assign = runner("assign", Frame.from_pandas(DF), MEANS)
        update = runner("update", Frame.from_pandas(DF), LABELS, MEANS)
    for result, module in ((assign, "sklearn.metrics"), (update, "reference")):
        assert result.returned is None and "ImportError" in result.raised.bases
        assert "Not available while your functions are graded" in result.raised.message
        assert any(name.startswith(module) for name in result.delegated_to), result.delegated_to


def test_wire_format_refuses_pickles_and_unknown_types():
    import io
    import pickle

    buffers: list[bytes] = []
    data = wire.encode({"a": (1, 2.5, "x", None, [np.arange(3)])}, buffers)
    assert wire.decode(data, buffers)["a"][4][0].tolist() == [0, 1, 2]
    with pytest.raises(wire.WireError):
        wire.decode({"$": "array", "b": 0}, [pickle.dumps(np.array([object()]))])
    out = io.BytesIO()
    np.save(out, np.array([{"a": 1}], dtype=object), allow_pickle=True)
    with pytest.raises(wire.WireError):
        wire.decode({"$": "array", "b": 0}, [out.getvalue()])
    with pytest.raises(wire.WireError):
        wire.decode({"$": "Popen", "fields": {}}, [])
    # An object array leaving the worker travels as text, never pickled.
    buffers = []
    sent = wire.encode(np.array([object(), 1], dtype=object), buffers)
    assert wire.decode(sent, buffers).dtype.kind == "U"


@pytest.mark.e2e
def test_isolated_and_in_process_callers_give_the_same_outcomes():
    from kmeans_kit.grading import check_submission
    from kmeans_kit.runner.inprocess import InProcessCaller

    namespace = {"__name__": "student"}
    exec((SUBMISSIONS / "argmax.py").read_text(), namespace)
    in_process = run_checks(InProcessCaller(namespace), settings=FAST)
    isolated = check_submission(SUBMISSIONS / "argmax.py", settings=FAST)
    assert isolated == in_process     # check ids, verdicts and every message
    assert not all(o.passed for o in isolated)


# --------------------------------------------------------------------------- loading
@pytest.mark.e2e
def test_hanging_load_reports_every_call_without_retrying():
    settings = FAST.with_(limits=Limits(call_seconds=2.0, load_seconds=1.0))
    with SubmissionRunner(SUBMISSIONS / "load_hang.py", settings) as runner:
        first = runner("assign", Frame.from_pandas(DF), MEANS)
        second = runner("update", Frame.from_pandas(DF), LABELS, MEANS)
        assert runner.starts == 1
    assert first.failure == "timeout" and "None of your functions could be checked" in first.detail
    assert first.detail.startswith("Your file did not finish in time (the limit is 1 s")
    assert second == first


@pytest.mark.e2e
def test_exiting_load_reports_every_call():
    with SubmissionRunner(SUBMISSIONS / "load_exit.py", FAST) as runner:
        result = runner("assign", Frame.from_pandas(DF), MEANS)
        assert runner.defines("assign")   # so that the engine shows why it could not run
    assert result.failure == "exit" and "exit status 3" in result.detail


@pytest.mark.e2e
def test_load_error_is_reported_with_the_missing_function():
    with SubmissionRunner(SUBMISSIONS / "load_error.py", FAST) as runner:
        assert runner.load_errors[0]["type"] == "NameError"
        assert runner("converged", LABELS, LABELS).returned.array.item()
        missing = runner("assign", Frame.from_pandas(DF), MEANS)
    assert missing.failure == "missing"
    assert "NameError" in missing.detail and "undefined_name" in missing.detail


@pytest.mark.e2e
def test_notebook_runs_only_setup_and_solution_cells():
    with SubmissionRunner(SUBMISSIONS / "correct.ipynb", FAST) as runner:
        assert runner.load_errors == []   # the plotting and hidden test cells never ran
        expect_correct(runner)
        df = runner("assign", Frame.from_pandas(DF), MEANS)
    assert df.failure is None


@pytest.mark.e2e
def test_runner_is_a_context_manager_that_cleans_up():
    runner = SubmissionRunner(SUBMISSIONS / "correct.py", FAST)
    with runner:
        process, tmp = runner._process, runner._tmp
        assert process.poll() is None and os.path.isdir(tmp)
    assert process.poll() is not None and not os.path.exists(tmp)


_READS_SECRETS = ("import os\n"
                  "def assign(X, means):\n"
                  "    seen = sorted(k for k, v in os.environ.items() if 's3cret' in v)\n"
                  "    raise RuntimeError(f'secrets seen: {seen}')\n")


@pytest.mark.parametrize("jail", [False, True], ids=["unjailed", "jailed"])
def test_student_code_never_sees_the_gradebook_password(monkeypatch, jail):
    """Where ALLOW_UNJAILED_GRADING lets student code run without the jail, it still gets
    the judge's environment without the gradebook's URL and libpq's variables."""
    monkeypatch.setenv("KMEANS_KIT_DB_URL", "postgresql://grader:s3cret@db/kmeans")
    monkeypatch.setenv("PGPASSWORD", "s3cret")
    monkeypatch.setenv("KMEANS_KIT_CONTROL", "s3cret")   # any other variable: passed unjailed
    with SubmissionRunner(Submission.from_source(_READS_SECRETS), _SLOW_CALLS,
                          jail=jail) as runner:
        result = runner("assign", Frame.from_pandas(DF), MEANS)
    seen = "['KMEANS_KIT_CONTROL']" if not jail else "[]"
    assert result.raised.message == f"secrets seen: {seen}"
