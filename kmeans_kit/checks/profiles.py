"""Named Hypothesis profiles, chosen by the kit rather than by Hypothesis's CI detection.

``ci`` and ``grading`` are derandomised and keep no example database, so the
same code gives the same examples -- and the same messages -- on any machine.
``dev`` explores with fresh random examples and remembers failures locally.
"""

from __future__ import annotations

import contextlib
import os
import threading
from collections.abc import Iterator

from hypothesis import HealthCheck, Phase, settings
from hypothesis.internal.conjecture import providers

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


# Hypothesis draws, now and then, a literal found in any module of the process that is not
# installed (``providers._get_local_constants``: the checkout, a course's own files). What is
# loaded differs between the notebook, pytest, nbgrader and a wheel install, so the cases
# the grader generates -- and the messages a student reads -- would differ with it. The
# grader draws only Hypothesis's own constants. tests/test_determinism.py fails if a
# Hypothesis release moves this.
_NO_LOCAL_CONSTANTS = providers.Constants()
_CONSTANTS_LOCK = threading.Lock()


@contextlib.contextmanager
def without_local_constants() -> Iterator[None]:
    """Generate with no literal taken from the modules this process happens to have loaded."""
    with _CONSTANTS_LOCK:
        loaded = providers._get_local_constants
        providers._get_local_constants = lambda: _NO_LOCAL_CONSTANTS
        providers.CONSTANTS_CACHE.cache.clear()
        try:
            yield
        finally:
            providers._get_local_constants = loaded
            providers.CONSTANTS_CACHE.cache.clear()


def load_profile(name: str | None = None) -> str:
    """Load the profile named by ``name``, else ``$KMEANS_KIT_PROFILE``, else ``ci``."""
    name = name or os.environ.get(PROFILE_ENV, DEFAULT_PROFILE)
    settings.load_profile(name)
    return name
