"""The function-calling core: one call of a student's function, reported as plain data.

:func:`call_function` is the one place that turns "call this function with
these plain-data arguments" into a :class:`~kmeans_kit.protocol.CallResult`:
with a time limit, captured output and warnings, and a
:class:`DelegationWatcher` for forbidden helpers. The in-process caller and the
isolated runner's worker both use it, so both report the same things in the
same way. :class:`FailureBudget` wraps any caller so that a function that
keeps hanging or crashing is not run again.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import signal
import sys
import threading
import warnings
from collections.abc import Callable
from typing import Any

from ..protocol import CallResult, FailureKind
from ..settings import DEFAULT_FORBIDDEN, matches
from .marshal import decode_args, encode_args, to_raised, to_returned

#: Output kept per call; the rest is cut (a flood is the isolated runner's business).
OUTPUT_LIMIT = 20_000


class CallTimeout(BaseException):
    """Raised inside the student's function when its time is up.

    A BaseException so that a student's ``except Exception:`` cannot swallow it.
    """


class DelegationWatcher:
    """Records calls into forbidden helpers while the student's function runs.

    A call is forbidden when its qualified name (``module.qualname``) equals one
    of the dotted ``prefixes`` or lies below it (``sklearn.cluster`` covers
    ``sklearn.cluster._kmeans.KMeans.fit``). Only the outermost forbidden call
    is recorded, in order of first use.
    """

    def __init__(self, prefixes: tuple[str, ...]):
        self.prefixes = tuple(prefixes)
        self.found: list[str] = []
        self._verdicts: dict[Any, str | None] = {}

    def _match(self, name: str) -> str | None:
        return name if matches(name, self.prefixes) else None

    def _profile(self, frame, event, arg) -> None:
        if event == "call":
            key = frame.f_code
            if key not in self._verdicts:
                module = frame.f_globals.get("__name__") or ""
                # This module's frames (the timeout handler) are the checker's, not the student's.
                self._verdicts[key] = None if module == __name__ else \
                    self._match(f"{module}.{frame.f_code.co_qualname}")
        elif event == "c_call":
            # Builtin methods of builtin types have no module: the common, cheap case.
            module = getattr(arg, "__module__", None)
            if not module:
                return
            key = (module, getattr(arg, "__qualname__", None) or getattr(arg, "__name__", ""))
            if key not in self._verdicts:
                self._verdicts[key] = self._match(f"{key[0]}.{key[1]}")
        else:
            return
        name = self._verdicts[key]
        if name is not None and name not in self.found and not self._inside_found(frame):
            self.found.append(name)

    def _inside_found(self, frame) -> bool:
        # A forbidden helper calling another one (KMeans.fit -> euclidean_distances)
        # is one delegation, not two: skip calls made from inside a forbidden frame.
        caller = frame.f_back if frame is not None else None
        while caller is not None:
            verdict = self._verdicts.get(caller.f_code)
            if verdict is not None:
                return True
            caller = caller.f_back
        return False

    def call(self, function: Callable, args: tuple) -> Any:
        """``function(*args)``, watched (the profiler is on only while it runs)."""
        if not self.prefixes:
            return function(*args)
        previous = sys.getprofile()
        sys.setprofile(self._profile)
        try:
            return function(*args)
        finally:
            sys.setprofile(previous)


@contextlib.contextmanager
def _time_limit(seconds: float | None):
    """Interrupt the block after ``seconds`` (main thread only; elsewhere no limit)."""
    if not seconds or threading.current_thread() is not threading.main_thread() \
            or not hasattr(signal, "setitimer"):
        yield
        return

    def _expire(signum, frame):
        raise CallTimeout()

    previous = signal.signal(signal.SIGALRM, _expire)
    signal.setitimer(signal.ITIMER_REAL, seconds)
    try:
        yield
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, previous)


def call_function(function: Callable, args: tuple, *, name: str = "function",
                  forbidden: tuple[str, ...] = DEFAULT_FORBIDDEN,
                  timeout: float | None = None, capture_output: bool = True) -> CallResult:
    """Call ``function`` with plain-data ``args`` and report what happened as plain data.

    Arguments are decoded into fresh objects (:func:`~kmeans_kit.runner.marshal.decode_args`);
    stdout/stderr (unless ``capture_output`` is False: the isolated worker lets them
    reach its file descriptors, where the runner bounds them) and warnings are
    captured (they never cost points); calls into
    ``forbidden`` helpers are recorded; ``timeout`` seconds of wall clock at most
    (on the main thread). Never raises for anything the function does, except
    ``KeyboardInterrupt``, which belongs to the person at the keyboard.
    """
    real_args = decode_args(args)
    out = io.StringIO()
    watcher = DelegationWatcher(forbidden)
    returned = raised = None
    failure, detail = None, ""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            with _capture(out) if capture_output else contextlib.nullcontext(), \
                    _time_limit(timeout):
                value = watcher.call(function, real_args)
        except CallTimeout:
            failure, detail = FailureKind.TIMEOUT, f"{name} did not finish within {timeout:g} s"
        except KeyboardInterrupt:
            raise
        except SystemExit as exc:
            failure, detail = FailureKind.EXIT, f"{name} called sys.exit({exc.code!r})"
        except BaseException as exc:  # noqa: BLE001 - the student's bug, reported as data
            raised = to_raised(exc)
        else:
            try:
                returned = to_returned(value)
            except Exception as exc:  # noqa: BLE001 - to_returned is defensive
                raised = to_raised(exc)
    text = out.getvalue()
    return CallResult(
        returned=returned, raised=raised, failure=failure, detail=detail,
        args_after=encode_args(real_args),
        delegated_to=tuple(watcher.found),
        stdout=text if len(text) <= OUTPUT_LIMIT else text[:OUTPUT_LIMIT] + "\n[... cut]",
        warnings=tuple(f"{w.category.__name__}: {w.message}" for w in caught),
    )


@contextlib.contextmanager
def _capture(out: io.StringIO):
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out):
        yield


class FailureBudget:
    """A caller that stops calling a function after ``max_failures`` failures that cost time.

    A hang, crash, exit, flood or memory blow-up costs seconds (a timeout, a
    restart); a check that keeps feeding such a function new examples would take
    minutes. After ``max_failures`` of them, later calls of that function return
    the last failure at once, saying so. Used by the runner and the in-notebook
    ``check()``.
    """

    COSTLY = (FailureKind.TIMEOUT, FailureKind.CRASH, FailureKind.EXIT, FailureKind.MEMORY,
              FailureKind.OUTPUT)

    def __init__(self, call, max_failures: int = 2):
        self._call = call
        self.max_failures = max_failures
        self._strikes: dict[str, list[CallResult]] = {}

    def defines(self, function: str) -> bool:
        return self._call.defines(function)

    def __call__(self, function: str, *args: Any) -> CallResult:
        strikes = self._strikes.setdefault(function, [])
        if len(strikes) >= self.max_failures:
            last = strikes[-1]
            return dataclasses.replace(
                last, detail=f"{last.detail} (not run again: {function} already failed this "
                             f"way {len(strikes)} times)")
        result = self._call(function, *args)
        if result.failure in self.COSTLY:
            strikes.append(result)
        return result
