"""The isolated submission runner: student code in a separate, resource-limited process.

:class:`SubmissionRunner` implements the :class:`~reference.checks.protocol.Caller`
protocol. It starts ``python -m reference.checks._worker`` (a fresh
interpreter, not a fork of the checker), which executes the submission's code
and then serves calls to its functions. Only plain data crosses the process
boundary (see :mod:`reference.checks._worker`): the checking process never
unpickles anything and never runs a line of student code, so a submission that
monkeypatches NumPy, builtins, ``sys.modules`` or the kit changes only its own
process, where nothing is judged.

Whatever one call does -- hang, crash, exit, flood the output, exhaust the
memory -- fails that call only, with a friendly ``detail``; the worker is
restarted (re-loading the submission) for the next call. Restarts are
bounded: a function that failed that way ``max_failures`` times is not run
again (its later calls repeat the failure at once), and when loading itself
fails every call reports that without retrying.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from . import _worker
from .protocol import CallResult, Outcome
from .settings import GradingSettings, load_settings
from .submission import Submission

# Seconds the parent waits beyond the worker's own per-call timeout before it kills
# the worker (code stuck in C, or a student catching the interruption).
_GRACE_SECONDS = 1.0
# Seconds a worker may take to start (interpreter, NumPy, pandas) before any student
# code runs; generous, as a loaded grading machine is slow, and not the student's time.
_STARTUP_SECONDS = 120.0
_KIT_ROOT = str(Path(__file__).resolve().parents[2])

_SIGNAL_NAMES = {
    signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort (os.abort())",
    signal.SIGBUS: "a bus error", signal.SIGILL: "an illegal instruction",
    signal.SIGFPE: "a floating-point exception",
}
_RETURN_INSTEAD = "a function must return its result, not end the program"
# How a load failure reads: "Cell 4 of your notebook <words> (<detail>)".
_LOAD_WORDS = {"timeout": "did not finish in time", "output": "printed far too much",
               "crash": "crashed the process running it", "exit": "ended the program",
               "memory": "ran out of memory"}


class _Flood(Exception):
    """The worker's output passed the limit while we waited."""


class FailureBudget:
    """A caller that stops calling a function after ``max_failures`` failures that cost time.

    A hang, crash, exit, flood or memory blow-up costs seconds (a timeout, a
    restart); a check that keeps feeding such a function new examples would take
    minutes. After ``max_failures`` of them, later calls of that function return
    the last failure at once, saying so. Used by the runner and the in-notebook
    ``check()``.
    """

    COSTLY = ("timeout", "crash", "exit", "memory", "output")

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


class SubmissionRunner:
    """Run a submission in a worker process and call its functions with plain data.

    Parameters
    ----------
    submission : Submission or path-like
        The code to run (a :class:`Submission`, or a ``.py``/``.ipynb`` path).
    settings : GradingSettings, optional
        Limits and forbidden helpers; by default those of ``grader_config.py``.
    max_failures : int, default=2
        After this many hangs/crashes/exits/floods/memory blow-ups of one
        function, its later calls report the last failure without running it.

    Examples
    --------
    >>> with SubmissionRunner(Submission.from_path("student.ipynb")) as run:  # doctest: +SKIP
    ...     result = run("assign", Frame.from_pandas(X), means)
    """

    def __init__(self, submission: Submission | str | os.PathLike,
                 settings: GradingSettings | None = None, *, max_failures: int = 2):
        if not isinstance(submission, Submission):
            submission = Submission.from_path(submission)
        self.submission = submission
        self.settings = settings if settings is not None else load_settings()
        self.max_failures = max_failures
        self.load_errors: list[dict] = []   # cells that raised while loading: cell, type, message
        self.starts = 0                     # worker processes started (restarts + 1)
        self._process: subprocess.Popen | None = None
        self._functions: frozenset[str] = frozenset()
        self._broken: CallResult | None = None
        self._budget = FailureBudget(self._call_once, max_failures)
        self._tmp: str | None = None
        self._request = self._response = None   # our ends of the two pipes
        self._capture = ""                      # the file the worker's fd 1/2 write to

    # ------------------------------------------------------------------ Caller protocol
    def defines(self, function: str) -> bool:
        """Whether the submission defines ``function`` (True when it could not even be
        loaded, so that every call reports why)."""
        self._ensure_started()
        return self._broken is not None or function in self._functions

    def __call__(self, function: str, *args: Any) -> CallResult:
        # The budget answers first: a function that is not run again needs no worker.
        return self._broken if self._broken is not None else self._budget(function, *args)

    def _call_once(self, function: str, *args: Any) -> CallResult:
        self._ensure_started()
        if self._broken is not None:
            return self._broken
        if function not in self._functions:
            return CallResult(failure="missing", detail=self._missing_detail(function))
        return self._call(function, args)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> "SubmissionRunner":
        self._ensure_started()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker and remove its temporary directory."""
        self._stop()
        if self._tmp is not None:
            shutil.rmtree(self._tmp, ignore_errors=True)
            self._tmp = None

    def __del__(self):  # a forgotten runner must not leave a process behind
        try:
            self.close()
        except Exception:
            pass

    @property
    def _limits(self):
        return self.settings.limits

    def _ensure_started(self) -> None:
        if self._process is None and self._broken is None:
            self._start()

    def _start(self) -> None:
        self.starts += 1
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="kmeans-kit-")
        capture = os.path.join(self._tmp, ".output")
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        # A fresh, empty capture; it also receives the worker's own start-up errors.
        output = open(capture, "wb")
        env = dict(os.environ, MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1",
                   PYTHONPATH=os.pathsep.join(filter(None, [_KIT_ROOT,
                                                            os.environ.get("PYTHONPATH")])))
        try:
            self._process = subprocess.Popen(
                [sys.executable, "-m", "reference.checks._worker", str(request_r),
                 str(response_w), capture],
                pass_fds=(request_r, response_w), stdin=subprocess.DEVNULL,
                stdout=output, stderr=output, cwd=self._tmp, env=env,
                start_new_session=True)   # its own process group: we can kill all it spawns
        finally:
            output.close()
            os.close(request_r)
            os.close(response_w)
        self._request, self._response, self._capture = request_w, response_r, capture
        self._load()

    def _load(self) -> None:
        limits = self._limits
        cell = None
        payload = {"limits": dataclasses.asdict(limits), "forbidden": list(self.settings.forbidden),
                   "sources": list(self.submission.sources), "cells": list(self.submission.cells)}
        try:
            header, _ = _worker.receive(self._response, time.monotonic() + _STARTUP_SECONDS)
            if header.get("op") != "ready":
                raise _worker.WireError("unexpected message")
        except Exception as exc:  # noqa: BLE001 - no student code has run: the kit's fault
            self._stop()
            raise RuntimeError(f"The checker's worker process did not start ({exc!r}): "
                               f"{self._read_output()[0][-2000:]}") from None
        try:
            _worker.send(self._request, {"op": "load"}, payload)
            deadline = time.monotonic() + limits.load_seconds
            header, _ = _worker.receive(self._response, deadline, poll=self._check_output)
            while header.get("op") == "progress":
                cell = header.get("cell")
                header, _ = _worker.receive(self._response, deadline, poll=self._check_output)
            if header.get("op") != "loaded":
                raise _worker.WireError("unexpected message")
            self._functions = frozenset(str(f) for f in header["functions"])
            self.load_errors = list(header["errors"])
        except Exception as exc:  # noqa: BLE001 - any failure here is the submission's
            where = "Loading your code" if cell is None else (
                "Your file" if not self.submission.cells else
                f"Cell {cell + 1} of your notebook")
            failure = self._after_death(exc, limits.load_seconds)
            self._broken = dataclasses.replace(failure, detail=(
                f"{where} {_LOAD_WORDS[failure.failure]} ({failure.detail}). None of your "
                "functions could be checked; fix that first: the code must run from top to "
                "bottom on its own."))
            self._stop()

    def _cell_name(self, cell) -> str:
        return "your file" if not self.submission.cells else f"cell {cell + 1}"

    def _call(self, function: str, args: tuple) -> CallResult:
        limits = self._limits
        deadline = time.monotonic() + limits.call_seconds + _GRACE_SECONDS
        try:
            _worker.send(self._request, {"op": "call", "function": function}, list(args))
            header, result = _worker.receive(self._response, deadline, poll=self._check_output)
            if header.get("op") != "result" or not isinstance(result, CallResult):
                raise _worker.WireError("unexpected message")
        except Exception as exc:  # noqa: BLE001 - the worker died, hung or lied
            failure = self._after_death(exc, limits.call_seconds)
            return dataclasses.replace(failure, stdout=self._read_output()[0])
        output, flooded = self._read_output()
        if flooded:
            self._stop()   # a flood that returned: its process may be in any state
            return CallResult(failure="output", detail=self._flood_detail(),
                              args_after=result.args_after, stdout=output)
        if result.failure == "memory":
            self._stop()
            result = dataclasses.replace(result, detail=self._memory_detail())
        elif result.failure == "timeout":
            result = dataclasses.replace(result, detail=self._timeout_detail(limits.call_seconds))
        elif result.failure == "exit":
            result = dataclasses.replace(result, detail=f"{result.detail}; {_RETURN_INSTEAD}")
        return dataclasses.replace(result, stdout=result.stdout + output)

    # ------------------------------------------------------------------ failures
    # A CallResult's detail complements the engine's own words ("`assign` did not
    # finish in time (<detail>)"): the limit, what probably happened, what to do.
    def _check_output(self) -> None:
        try:
            size = os.stat(self._capture).st_size
        except OSError:
            return
        if size > self._limits.output_bytes:
            raise _Flood

    def _read_output(self) -> tuple[str, bool]:
        """At most ``output_bytes`` of what the worker printed, and whether there was more."""
        cap = self._limits.output_bytes
        try:
            with open(self._capture, "rb") as f:
                data = f.read(cap + 1)
        except OSError:
            return "", False
        flooded = len(data) > cap
        text = data[:cap].decode("utf-8", errors="replace")
        return (text + "\n[... output cut]" if flooded else text), flooded

    def _after_death(self, exc: BaseException, seconds: float) -> CallResult:
        """Kill the worker and describe what the student's code did to it."""
        if isinstance(exc, TimeoutError):
            self._stop()
            return CallResult(failure="timeout", detail=self._timeout_detail(seconds))
        if isinstance(exc, _Flood):
            self._stop()
            return CallResult(failure="output", detail=self._flood_detail())
        # The pipe closed or carried garbage: give a dying worker a moment to be reaped.
        code = self._stop(wait=2.0)
        if code is None:
            return CallResult(failure="crash", detail="it broke the connection to the checker, "
                                                      "e.g. by writing to or closing its pipe")
        if code >= 0:
            return CallResult(failure="exit", detail=f"the process ended with exit status "
                                                     f"{code}, e.g. by os._exit(); {_RETURN_INSTEAD}")
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return CallResult(failure="timeout", detail=(
                f"it used more than the {self._limits.cpu_seconds} s of CPU time allowed; look "
                "for a loop that never ends"))
        if sig == signal.SIGXFSZ:
            return CallResult(failure="output", detail=self._flood_detail())
        try:
            name = _SIGNAL_NAMES.get(sig) or f"signal {signal.Signals(sig).name}"
        except ValueError:
            name = f"signal {sig}"
        return CallResult(failure="crash", detail=(
            f"{name}; ordinary NumPy/pandas code cannot do that: look for ctypes, os.abort() or "
            "a broken extension module"))

    @staticmethod
    def _timeout_detail(seconds: float) -> str:
        return (f"the limit is {seconds:g} s; look for a loop that never ends, e.g. a while loop "
                "whose condition never changes")

    def _flood_detail(self) -> str:
        return (f"more than {self._limits.output_bytes:,} bytes; remove the print calls from "
                "inside loops")

    def _memory_detail(self) -> str:
        return (f"the limit is {self._limits.memory_mb} MB; does it build a huge table, e.g. an "
                "(n, n) or (n, k, d) array, or a list that never stops growing?")

    def _missing_detail(self, function: str) -> str:
        detail = f"Your code does not define a function named {function!r}."
        if self.load_errors:
            first = self.load_errors[0]
            detail += (f" Note: {self._cell_name(first['cell'])} raised {first['type']}: "
                       f"{first['message']} while loading; maybe {function} was defined after "
                       "that point.")
        return detail

    def _stop(self, wait: float = 0.0) -> int | None:
        """Stop the worker, after ``wait`` seconds for it to end by itself.

        Returns its exit code (negative: killed by that signal), None if we killed it.
        """
        process, self._process = self._process, None
        if process is None:
            return None
        for fd in (self._request, self._response):
            if fd is not None:
                try:
                    os.close(fd)
                except OSError:
                    pass
        self._request = self._response = None
        try:
            code = process.wait(timeout=wait) if wait else process.poll()
        except subprocess.TimeoutExpired:
            code = None
        if code is None:
            try:
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
            process.wait()
            return None
        try:   # the worker is gone; whatever it started goes too
            os.killpg(process.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        return code


def check_submission(submission: Submission | str | os.PathLike,
                     groups: tuple[str, ...] = ("assign", "update", "converged", "lloyd"),
                     settings: GradingSettings | None = None) -> list[Outcome]:
    """Run every check of ``groups`` against a submission in the isolated runner.

    Returns the engine's list of :class:`~reference.checks.protocol.Outcome`.
    """
    from .engine import run_checks

    settings = settings if settings is not None else load_settings()
    with SubmissionRunner(submission, settings) as runner:
        return run_checks(runner, groups=groups, settings=settings)
