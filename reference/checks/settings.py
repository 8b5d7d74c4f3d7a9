"""Grading settings: limits for student code, the Hypothesis budget, forbidden helpers.

Defaults live here; an instructor overrides them in ``grader_config.py`` (the
one place for grading settings), which :func:`load_settings` reads.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass, field, replace

#: Helpers that do the students' work for them. A call into any of these
#: during ``assign``/``update``/``converged`` fails the check (dotted prefixes).
DEFAULT_FORBIDDEN = (
    "sklearn.cluster",
    "sklearn.metrics.pairwise.pairwise_distances_argmin",
    "sklearn.metrics.pairwise.pairwise_distances_argmin_min",
    "sklearn.metrics.pairwise.euclidean_distances",
    "sklearn.metrics.pairwise.pairwise_distances",
    "scipy.cluster.vq",
    "reference",
)


@dataclass(frozen=True)
class Limits:
    """Resource limits for running one submission's code in the isolated runner."""

    call_seconds: float = 10.0      # wall clock for one call of a student function
    load_seconds: float = 60.0      # wall clock for executing the submission's cells
    cpu_seconds: int = 120          # RLIMIT_CPU for the whole worker process
    memory_mb: int = 2048           # RLIMIT_AS for the worker process
    output_bytes: int = 200_000     # stdout/stderr kept per call; more is a flood
    total_seconds: float = 180.0    # wall clock for all the checks of one submission
    processes: int = 64             # RLIMIT_NPROC in the jail (threads count too)
    open_files: int = 256           # RLIMIT_NOFILE in the jail


@dataclass(frozen=True)
class GradingSettings:
    limits: Limits = field(default_factory=Limits)
    max_examples: int = 60          # Hypothesis examples per generated check
    forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN

    def with_(self, **changes) -> "GradingSettings":
        return replace(self, **changes)


def load_settings(module: str = "grader_config") -> GradingSettings:
    """The instructor's settings from ``grader_config.SETTINGS``, or the defaults."""
    try:
        config = importlib.import_module(module)
    except ModuleNotFoundError:
        return GradingSettings()
    return getattr(config, "SETTINGS", GradingSettings())
