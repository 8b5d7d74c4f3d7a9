"""Named Hypothesis profiles, chosen by the kit rather than by Hypothesis's CI detection.

``ci`` and ``grading`` are derandomised and keep no example database, so the
same code gives the same examples -- and the same messages -- on any machine.
``dev`` explores with fresh random examples and remembers failures locally.
"""

from __future__ import annotations

import os

from hypothesis import HealthCheck, Phase, settings

PROFILE_ENV = "KMEANS_KIT_PROFILE"
DEFAULT_PROFILE = "ci"

_QUIET = [HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.filter_too_much]
# Phase.explain re-runs a failing example many times to annotate it; our own
# messages replace Hypothesis's report, so it only costs time (4x seen here).
_PHASES = [Phase.explicit, Phase.reuse, Phase.generate, Phase.target, Phase.shrink]

settings.register_profile("dev", max_examples=100, deadline=None, suppress_health_check=_QUIET)
settings.register_profile("ci", max_examples=60, deadline=None, derandomize=True, database=None,
                          print_blob=False, phases=_PHASES, suppress_health_check=_QUIET)


def grading(max_examples: int) -> settings:
    """Settings for checking a submission: deterministic, no database, no deadline.

    Student code can be slow, so time is limited by the runner, not by Hypothesis.
    """
    return settings(max_examples=max_examples, deadline=None, derandomize=True, database=None,
                    print_blob=False, report_multiple_bugs=False, phases=_PHASES,
                    suppress_health_check=list(HealthCheck))


def load_profile(name: str | None = None) -> str:
    """Load the profile named by ``name``, else ``$KMEANS_KIT_PROFILE``, else ``ci``."""
    name = name or os.environ.get(PROFILE_ENV, DEFAULT_PROFILE)
    settings.load_profile(name)
    return name
