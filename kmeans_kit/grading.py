"""Grading one submission: the check engine with the isolated runner as its caller.

This module sits above both: the engine (:mod:`kmeans_kit.checks`) judges,
the runner (:mod:`kmeans_kit.runner`) runs the student's code, and neither
imports the other. The pytest and nbgrader adapters grade through
:func:`check_submission`.
"""

from __future__ import annotations

import functools
import os

from .checks.engine import run_checks
from .protocol import GROUPS, Outcome
from .runner.isolated import SubmissionRunner
from .settings import GradingSettings, load_settings
from .submission import Submission


@functools.lru_cache(maxsize=1)
def prepare_judge() -> None:
    """Import, before any student code runs, everything the judge will use.

    A module the judge imported lazily after student code ran could be one the
    student planted; the jail leaves nowhere to plant it, and this leaves
    nothing to import late (scikit-learn's metrics, the engine, Hypothesis).
    """
    import sklearn.metrics  # noqa: F401 - lloyd.recovers_blobs

    from . import messages  # noqa: F401


def check_submission(submission: Submission | str | os.PathLike,
                     groups: tuple[str, ...] = GROUPS,
                     settings: GradingSettings | None = None,
                     jail: bool | None = None) -> list[Outcome]:
    """Run every check of ``groups`` against a submission in the isolated runner.

    ``jail``: True requires the jail, False switches it off, None uses it where
    this machine can build it (see :class:`~kmeans_kit.runner.isolated.SubmissionRunner`).
    Returns the engine's list of :class:`~kmeans_kit.protocol.Outcome`.
    """
    prepare_judge()
    settings = settings if settings is not None else load_settings()
    with SubmissionRunner(submission, settings, jail=jail) as runner:
        return run_checks(runner, groups=groups, settings=settings)
