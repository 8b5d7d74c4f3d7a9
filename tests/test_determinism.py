"""Same submission, same outcomes and messages: every run, any group order, any student RNG use."""

import numpy as np
from mutants.correct import assign_numpy, submission
from mutants.wrong import update_groupby

from kmeans_kit.checks.engine import run_checks
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.settings import GradingSettings

SETTINGS = GradingSettings(max_examples=12)


def assign_subtly_wrong(X, means):
    """Right except with 5+ means: only generated cases (and shrinking) find it."""
    np.random.seed(np.random.randint(1000))  # the student's own use of random numbers
    np.random.rand(3)
    labels = assign_numpy(X, means)
    return labels if len(means) < 5 else (labels + 1) % len(means)


def everything(outcomes):
    return [(o.check_id, o.title, o.passed, o.misconception, o.message,
             repr(sorted((k, repr(v)) for k, v in o.details.items()))) for o in outcomes]


def test_a_buggy_submission_gives_identical_results_three_times():
    namespace = submission(assign=assign_subtly_wrong, update=update_groupby)
    runs = [everything(run_checks(InProcessCaller(namespace), settings=SETTINGS))
            for _ in range(3)]
    assert runs[0] == runs[1] == runs[2]
    failed = {row[0] for row in runs[0] if not row[2]}
    assert {"assign.nearest", "update.empty_cluster"} <= failed


def test_results_do_not_depend_on_the_global_random_state_or_group_order():
    namespace = submission(assign=assign_subtly_wrong)
    np.random.seed(1)
    first = everything(run_checks(InProcessCaller(namespace), ["assign", "lloyd"],
                                  settings=SETTINGS))
    np.random.seed(2)
    np.random.rand(17)
    second = everything(run_checks(InProcessCaller(namespace), ["lloyd", "assign"],
                                   settings=SETTINGS))
    assert first == second


def test_replaying_generated_cases_gives_what_hypothesis_gives(monkeypatch):
    from kmeans_kit.checks import engine

    buggy = submission(assign=assign_subtly_wrong)
    monkeypatch.setattr(engine, "_GENERATED", {})
    cold = everything(run_checks(InProcessCaller(buggy), ["assign"], settings=SETTINGS))
    monkeypatch.setattr(engine, "_GENERATED", {})
    run_checks(InProcessCaller(submission()), ["assign"], settings=SETTINGS)
    assert ("assign", SETTINGS.max_examples) in engine._GENERATED
    warm = everything(run_checks(InProcessCaller(buggy), ["assign"], settings=SETTINGS))
    assert warm == cold
    assert any(not row[2] for row in warm)


_OUTCOMES_OF_A_MUTANT = """
import json, sys
sys.path[:0] = sys.argv[1:]
if len(sys.argv) > 2:
    import constants_galore   # a local module full of literals, as a course's code may be
    import kmeans_kit.adapters.feedback, kmeans_kit.course, browser   # noqa: E401
from mutants.correct import submission
from mutants.wrong import assign_first_two_features
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.settings import GradingSettings
namespace = submission(assign=assign_first_two_features)
outcomes = run_checks(InProcessCaller(namespace), ("assign",), GradingSettings(max_examples=60))
print(json.dumps([[o.check_id, o.passed, o.misconception, o.message] for o in outcomes]))
"""


def test_what_else_the_grader_has_loaded_changes_no_example(tmp_path):
    """Hypothesis draws, now and then, a literal found in any module of the process that is
    not installed (the checkout, a course's own files). What is loaded differs between the
    notebook, pytest, nbgrader and a wheel install; the generated cases must not."""
    import subprocess
    import sys
    from pathlib import Path

    literals = ", ".join(f"{v}" for v in (836.567659, 3.0, 1e-07, 4096, -17, 2.5, 0.1, 77.7))
    (tmp_path / "constants_galore.py").write_text(
        f"VALUES = [{literals}]\nWORDS = ['x0', 'x1', 'assign']\n")
    tests = str(Path(__file__).parent)
    runs = [subprocess.run([sys.executable, "-c", _OUTCOMES_OF_A_MUTANT, tests, *extra],
                           capture_output=True, text=True, timeout=300, check=True).stdout
            for extra in ([], [str(tmp_path)])]
    assert runs[0] == runs[1]
