"""Gradescope's autograder results: the one place that writes their format.

``results.json`` (Gradescope's autograder specification): a top-level ``score``,
``execution_time``, ``output`` and ``stdout_visibility``, and one entry in ``tests`` per
check with ``name``, ``number``, ``score``, ``max_score``, ``status``, ``output`` and
``visibility``. :func:`grade_file` grades one submission on its own -- the unit of work
for Gradescope, or for any engine that runs one submission per job -- and the course's
export (:func:`kmeans_kit.course.gradescope_results`) writes the same format from the
gradebook.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

from .. import messages
from ..protocol import Outcome, kit_version
from ..submission import SUFFIXES


def test_entry(number: int, name: str, score: float, max_score: float, output: str) -> dict:
    """One check as a Gradescope test."""
    return {"name": name, "number": str(number), "score": float(score),
            "max_score": float(max_score), "status": "passed" if score >= max_score else "failed",
            "output": output, "visibility": "visible"}


def results(tests: list[dict], output: str, seconds: float = 0.0,
            kit: dict | None = None) -> dict:
    """A ``results.json`` document: the tests' total as the score; ``kit`` (what graded it,
    each check's cause) goes in ``extra_data``, which Gradescope keeps and shows no one."""
    document = {"score": float(sum(test["score"] for test in tests)),
                "execution_time": round(float(seconds), 3), "output": output,
                "stdout_visibility": "hidden", "tests": tests}
    if kit is not None:
        document["extra_data"] = {"kit": {"version": kit_version(), **kit}}
    return document


def from_outcomes(outcomes: list[Outcome], points: dict[str, float], seconds: float,
                  isolation: str = "not recorded") -> dict:
    """The results of one graded submission: each check, its points and its message."""
    tests = [test_entry(number, outcome.check_id, points[outcome.check_id] if outcome.passed
                        else 0.0, points[outcome.check_id], messages.failure_text(outcome))
             for number, outcome in enumerate(outcomes, start=1)]
    return results(tests, messages.summary(outcomes, points), seconds, {
        "isolation": isolation, "causes": {o.check_id: o.cause for o in outcomes}})


def refused(why: str, points: dict[str, float]) -> dict:
    """The results of a submission that cannot be graded: every check 0, and why."""
    tests = [test_entry(number, check, 0.0, worth, why)
             for number, (check, worth) in enumerate(points.items(), start=1)]
    return results(tests, why, kit={"isolation": "nothing ran",
                                    "causes": dict.fromkeys(points, why)})


def grade_file(path: str | os.PathLike, results_path: str | os.PathLike,
               settings_module: str = "grader_config") -> dict:
    """Grade the submission at ``path`` and write its ``results.json`` to ``results_path``.

    A missing file, or a file that is not a notebook or a ``.py``, gets 0 and a message
    that says what was expected -- never a crash. Student code runs in the jail, as the
    course's ``grader_config`` allows (``ALLOW_UNJAILED_GRADING``, ``ALLOW_UID_ONLY_GRADING``).
    """
    from ..checks import registry
    from ..grading import check_submission
    from ..settings import load_settings
    from ..submission import Submission
    from .nbgrader import isolation_used, require_jail

    settings = load_settings(settings_module)
    points = registry.points(settings)
    path, started = Path(path), time.monotonic()
    if not path.is_file():
        document = refused(f"No submission at {path.name}: hand in your notebook "
                           f"(kmeans.ipynb or kmeans.md) or a .py file with assign, update and "
                           f"converged.",
                           points)
    elif path.suffix not in SUFFIXES:
        document = refused(f"{path.name} is not a notebook or a Python file: hand in "
                           f"kmeans.ipynb, kmeans.md (MyST) or a .py file with the three "
                           f"functions.", points)
    else:
        config = __import__(settings_module)
        jailed = require_jail(getattr(config, "ALLOW_UNJAILED_GRADING", False),
                              getattr(config, "ALLOW_UID_ONLY_GRADING", False))
        try:
            submission = Submission.from_path(path)
        except ValueError as exc:
            document = refused(str(exc), points)
        else:
            outcomes = check_submission(submission, settings=settings, jail=jailed)
            document = from_outcomes(outcomes, points, time.monotonic() - started,
                                     isolation_used(jailed))
    Path(results_path).parent.mkdir(parents=True, exist_ok=True)
    Path(results_path).write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n",
                                  encoding="utf-8")
    return document


__all__ = ["from_outcomes", "grade_file", "refused", "results", "test_entry"]
