"""A :class:`~kmeans_kit.protocol.Caller` that calls a namespace's functions directly.

Used by the in-notebook ``check()`` (where a student can only fool themselves)
and by the kit's own fast tests; grading uses the isolated runner instead.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..protocol import CallResult, FailureKind
from ..settings import DEFAULT_FORBIDDEN
from .calling import call_function


class InProcessCaller:
    """Calls the functions of ``namespace`` (a module's or notebook's globals) directly.

    Parameters
    ----------
    namespace : Mapping
        Where the submission's functions live, e.g. ``globals()`` of a notebook.
    timeout : float or None
        Seconds one call may take (enforced with SIGALRM on the main thread).
    forbidden : tuple of str
        Dotted prefixes of helpers that do the work for the student.
    """

    def __init__(self, namespace: Mapping[str, Any], timeout: float | None = None,
                 forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN):
        self.namespace = namespace
        self.timeout = timeout
        self.forbidden = tuple(forbidden)

    def defines(self, function: str) -> bool:
        return callable(self.namespace.get(function))

    def __call__(self, function: str, *args: Any) -> CallResult:
        target = self.namespace.get(function)
        if not callable(target):
            return CallResult(failure=FailureKind.MISSING, detail=f"{function} is not defined")
        return call_function(target, args, name=function, forbidden=self.forbidden,
                             timeout=self.timeout)
