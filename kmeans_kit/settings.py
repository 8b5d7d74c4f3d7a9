"""Grading settings: limits for student code, the Hypothesis budget, forbidden helpers, points.

Defaults live here (and each check's default points in the check registry); an
instructor overrides them in ``grader_config.py``, the one place for a course's
settings. This module is the one reader of that file: :func:`load_settings` for
the grading settings, :func:`course_config` for the course's names and
nbgrader's configuration. Library code never imports it at import time.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from types import MappingProxyType, ModuleType

#: The module an instructor edits (at the root of the checkout, installed with the kit).
CONFIG_MODULE = "grader_config"

#: Helpers that do the students' work for them, chosen by what they do rather than by
#: which package ships them (dotted prefixes). A call into any of these during
#: ``assign``/``update``/``converged`` costs that function its ``own_work`` (and, in the
#: jail, where they are stand-ins that raise, its answers); importing them costs nothing.
DEFAULT_FORBIDDEN = (
    # clustering: the whole algorithm
    "sklearn.cluster",
    "sklearn.mixture",
    "scipy.cluster",
    # distance tables and nearest centres: the assignment step
    "sklearn.metrics.pairwise",
    "sklearn.neighbors",
    "scipy.spatial.distance",     # cdist, pdist
    "scipy.spatial._kdtree",      # KDTree, distance_matrix, minkowski_distance
    "scipy.spatial._ckdtree",     # cKDTree
    # the kit's own answers
    "reference",
    "kmeans_kit.checks",
    "kmeans_kit.notes",
)


def matches(name: str, prefixes: tuple[str, ...]) -> bool:
    """Whether the dotted ``name`` is one of ``prefixes`` or lies below one of them."""
    return any(name == prefix or name.startswith(prefix + ".") for prefix in prefixes)


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
    file_mb: int = 64               # RLIMIT_FSIZE: the disk a printing loop (or any file) can fill


@dataclass(frozen=True)
class GradingSettings:
    """Everything that decides a grade besides the submission itself.

    ``points`` overrides the registry's default points of some checks, by check id
    (see :func:`kmeans_kit.checks.registry.points`).
    """

    limits: Limits = field(default_factory=Limits)
    max_examples: int = 60          # Hypothesis examples per generated check
    forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN
    points: Mapping[str, int] = field(default_factory=lambda: MappingProxyType({}))

    def with_(self, **changes) -> GradingSettings:
        return replace(self, **changes)


def load_config(module: str = CONFIG_MODULE) -> ModuleType | None:
    """The instructor's ``grader_config`` module, imported on first use; None if absent."""
    try:
        return importlib.import_module(module)
    except ModuleNotFoundError as exc:
        if exc.name != module:   # the config itself imports something missing: say so
            raise
        return None


def load_settings(module: str = CONFIG_MODULE) -> GradingSettings:
    """The instructor's settings from ``grader_config.SETTINGS``, or the defaults."""
    return getattr(load_config(module), "SETTINGS", None) or GradingSettings()


def course_config(module: str = CONFIG_MODULE) -> ModuleType:
    """``grader_config`` for running a course (its names, nbgrader's configuration)."""
    config = load_config(module)
    if config is None:
        raise RuntimeError(f"No {module}.py to configure the course: the kit installs one "
                           f"(`bash bin/setup`), or put yours on the Python path.")
    return config
