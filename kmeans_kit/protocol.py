"""The data that flows between the check engine, the callers and the adapters.

The engine never touches a student's function directly: it asks a
:class:`Caller` to call one by name and gets back a :class:`CallResult` made
of plain data (arrays, strings, numbers). Two callers implement the protocol:
an in-process one (the in-notebook ``check()``, fast mutant tests) and the
isolated submission runner (grading and ``pytest --submission``). The engine
returns a list of :class:`Outcome`, which every adapter renders.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any, Protocol

import numpy as np

#: The functions a submission provides, in the order they are checked.
FUNCTIONS = ("assign", "update", "converged")
#: The groups of checks, in the order they run and are shown: the three functions, then
#: the loop built from them.
GROUPS = (*FUNCTIONS, "lloyd")


class FailureKind(StrEnum):
    """How a call never finished (a :class:`CallResult`'s ``failure``)."""

    TIMEOUT = "timeout"   # past its time limit, or the submission's whole budget
    CRASH = "crash"       # the process died of a signal, or the connection broke
    EXIT = "exit"         # sys.exit / os._exit / exit()
    MEMORY = "memory"     # past the memory limit
    OUTPUT = "output"     # printed more than the output limit
    MISSING = "missing"   # the submission does not define the function


@dataclass(frozen=True)
class Frame:
    """A DataFrame as plain data; the caller rebuilds a real DataFrame from it."""

    values: np.ndarray
    columns: tuple
    index: tuple

    @classmethod
    def from_pandas(cls, df) -> Frame:
        return cls(df.to_numpy(copy=True), tuple(df.columns), tuple(df.index))

    def to_pandas(self):
        import pandas as pd

        return pd.DataFrame(self.values.copy(), columns=list(self.columns), index=list(self.index))


@dataclass(frozen=True)
class SameAs:
    """An argument that is the very same object as argument ``position`` (for ``is`` bugs)."""

    position: int


@dataclass(frozen=True)
class Returned:
    """A student's return value as plain data.

    ``type_name`` is the qualified type (``"numpy.ndarray"``, ``"pandas.Series"``,
    ``"list"``, ``"bool"``...); ``array`` is ``np.asarray`` of the value when that
    gives a numeric or boolean array, else None; ``text`` is a short repr.
    """

    type_name: str
    array: np.ndarray | None
    text: str
    #: ``np.asarray(value).shape`` when the value converts at all (also for text arrays).
    shape: tuple[int, ...] | None = None
    #: ``str()`` of each element (flattened) when the value is an array-like of text,
    #: e.g. class letters; None otherwise.
    strings: tuple[str, ...] | None = None
    #: For a list or tuple that is not one array of numbers (ragged, or nested arrays and
    #: scalars mixed): what each of its first items is, e.g. ``"an array of shape (2,)"``.
    parts: tuple[str, ...] | None = None


@dataclass(frozen=True)
class Raised:
    """An exception raised by a student's function, as plain data."""

    type_name: str           # e.g. "UFuncTypeError" (the class's __name__)
    bases: tuple[str, ...]   # __name__ of every class in the MRO ("UFuncTypeError", "TypeError")
    message: str
    traceback_tail: str = ""  # the last frames inside the student's code only


@dataclass(frozen=True)
class CallResult:
    """What happened when a function was called once.

    Exactly one of ``returned`` / ``raised`` is set, unless ``failure`` (a
    :class:`FailureKind`) says the call never finished.
    ``args_after`` holds the arguments as they were after the call (same
    encoding as the arguments passed), so the engine can see mutation.
    ``delegated_to`` names forbidden helpers the call used (see grader_config).
    """

    returned: Returned | None = None
    raised: Raised | None = None
    failure: FailureKind | None = None
    detail: str = ""
    args_after: tuple = ()
    delegated_to: tuple[str, ...] = ()
    stdout: str = ""
    warnings: tuple[str, ...] = ()


class Caller(Protocol):
    """Calls a submission's function by name with plain-data arguments.

    Arguments are :class:`Frame` (rebuilt as a DataFrame), ``np.ndarray``,
    Python scalars, lists, or :class:`SameAs`. A caller never raises for
    anything the student's code does; it reports it in the CallResult.
    """

    def __call__(self, function: str, *args: Any) -> CallResult: ...

    def defines(self, function: str) -> bool: ...


@dataclass(frozen=True)
class Outcome:
    """The result of one check, ready for any adapter to show.

    ``check_id`` is ``"<function>.<check>"`` (function is one of FUNCTIONS or
    ``"lloyd"`` for the whole-algorithm properties); it is stable across
    releases because nbgrader grade_ids are derived from it
    (``check_id.replace(".", "_")``).
    """

    check_id: str
    title: str
    passed: bool
    misconception: str | None = None
    message: str = ""
    details: dict = field(default_factory=dict, compare=False)

    @property
    def function(self) -> str:
        return self.check_id.split(".", 1)[0]

    @property
    def cause(self) -> str | None:
        """What made the check fail: the misconception it names, else its message (a crash
        or a hang reads the same under every check it stops); None for a pass."""
        if self.passed:
            return None
        return self.misconception or self.message

    @property
    def grade_id(self) -> str:
        return grade_id(self.check_id)


def kit_version() -> str:
    """The kit's version, as every record of a grading run states it."""
    from importlib import metadata

    try:
        return metadata.version("kmeans-teaching-kit")
    except metadata.PackageNotFoundError:
        return "unknown"


def grade_id(check_id: str) -> str:
    """The nbgrader ``grade_id`` of a check: ``"assign.nearest"`` -> ``"assign_nearest"``."""
    return check_id.replace(".", "_")
