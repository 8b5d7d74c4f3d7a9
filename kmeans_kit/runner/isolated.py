"""The isolated submission runner: student code in a separate, resource-limited process.

:class:`SubmissionRunner` implements the :class:`~kmeans_kit.protocol.Caller`
protocol. It starts ``python -m kmeans_kit.runner.worker`` (a fresh
interpreter, not a fork of the checker), which executes the submission's code
and then serves calls to its functions. Only plain data crosses the process
boundary (see :mod:`kmeans_kit.runner.worker`): the checking process never
unpickles anything and never runs a line of student code, so a submission that
monkeypatches NumPy, builtins, ``sys.modules`` or the kit changes only its own
process, where nothing is judged.

The worker runs in the jail (:mod:`kmeans_kit.runner.jail`) whenever this
machine can build one: its own uid, namespaces and read-only environment, in
which the kit's reference algorithm and scikit-learn's clustering and
distance helpers do not exist (:func:`worker_view`), so delegating to them
fails whatever the student's process says about itself. Everything the
worker sends back is checked to be well-formed data of the protocol's shapes
before the engine sees it; anything else is the submission's fault.

Whatever one call does -- hang, crash, exit, flood the output, exhaust the
memory -- fails that call only, with a friendly ``detail``; the worker is
restarted (re-loading the submission) for the next call. Restarts are
bounded: a function that failed that way ``max_failures`` times is not run
again (its later calls repeat the failure at once), and when loading itself
fails every call reports that without retrying.
"""

from __future__ import annotations

import dataclasses
import functools
import importlib.util
import os
import re
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import numpy as np

from ..data import NOTES_SEED
from ..protocol import CallResult, FailureKind, Frame, Raised, Returned
from ..settings import GradingSettings, load_settings, matches
from ..student_data import SEED_ENV, STUDENT_ENV
from ..submission import Submission
from . import wire
from .calling import FailureBudget
from .jail import (
    HIDDEN_MARKER,
    JAIL,
    UID_ONLY,
    Isolation,
    Jail,
    JailLimits,
    hidden_stub,
    isolation,
    package_dir,
    remove_tree,
    stub_source,
    unjailed_environment,
)

# Seconds the parent waits beyond the worker's own per-call timeout before it kills
# the worker (code stuck in C, or a student catching the interruption).
_GRACE_SECONDS = 1.0
# Seconds a worker may take to start (interpreter, NumPy, pandas) before any student
# code runs; generous, as a loaded grading machine is slow, and not the student's time.
_STARTUP_SECONDS = 120.0

_SIGNAL_NAMES = {
    signal.SIGSEGV: "a segmentation fault", signal.SIGABRT: "an abort (os.abort())",
    signal.SIGBUS: "a bus error", signal.SIGILL: "an illegal instruction",
    signal.SIGFPE: "a floating-point exception",
}
_RETURN_INSTEAD = "a function must return its result, not end the program"
_UNSENDABLE = ("what the submission's function returned, or left in its arguments, could not "
               "be passed to the checker as plain data")
#: The failures a worker reports itself; the others are the runner's findings.
_WORKER_FAILURES = (FailureKind.TIMEOUT, FailureKind.EXIT, FailureKind.MEMORY, FailureKind.CRASH)
# How a load failure reads: "Cell In [4] of your notebook <words> (<detail>)".
_LOAD_WORDS = {FailureKind.TIMEOUT: "did not finish in time",
               FailureKind.OUTPUT: "printed far too much",
               FailureKind.CRASH: "crashed the process running it",
               FailureKind.EXIT: "ended the program", FailureKind.MEMORY: "ran out of memory"}


class _Flood(Exception):
    """The worker's output passed the limit while we waited."""


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
                 settings: GradingSettings | None = None, *, max_failures: int = 2,
                 jail: bool | None = None):
        if not isinstance(submission, Submission):
            submission = Submission.from_path(submission)
        self.submission = submission
        self.settings = settings if settings is not None else load_settings()
        self.max_failures = max_failures
        #: The isolation the worker has: the jail when ``jail`` is True, or when it is
        #: None and this machine can build one; else a plain subprocess.
        self.isolation = isolation() if jail is not False else Isolation(
            False, "the jail was switched off for this run")
        if jail and not self.isolation.jailed:
            raise RuntimeError(f"The jail for student code cannot be built here: "
                               f"{self.isolation.reason}")
        self.load_errors: list[dict] = []   # cells that raised while loading: cell, type, message
        self.starts = 0                     # worker processes started (restarts + 1)
        self._process: subprocess.Popen | None = None
        self._jailed: Jail | None = None
        self._functions: frozenset[str] = frozenset()
        self._broken: CallResult | None = None
        self._budget = FailureBudget(self._call_once, max_failures)
        self._tmp: str | None = None
        self._request = self._response = None   # our ends of the two pipes
        self._capture = ""                      # the file the worker's fd 1/2 write to
        self._ends_at: float | None = None      # the submission's whole budget runs out

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
            return CallResult(failure=FailureKind.MISSING, detail=self._missing_detail(function))
        if self._remaining() <= 0:
            return CallResult(failure=FailureKind.TIMEOUT, detail=self._budget_detail())
        return self._call(function, args)

    # ------------------------------------------------------------------ lifecycle
    def __enter__(self) -> SubmissionRunner:
        self._ensure_started()
        return self

    def __exit__(self, *exc_info) -> None:
        self.close()

    def close(self) -> None:
        """Stop the worker and remove its temporary directory."""
        self._stop()
        if self._tmp is not None:
            remove_tree(self._tmp)
            self._tmp = None

    def __del__(self):  # a forgotten runner must not leave a process behind
        try:
            self.close()
        except Exception:  # noqa: BLE001
            pass

    @property
    def _limits(self):
        return self.settings.limits

    def _ensure_started(self) -> None:
        if self._process is None and self._broken is None:
            self._start()

    def _remaining(self) -> float:
        """Seconds left of the submission's whole budget (``limits.total_seconds``)."""
        if self._ends_at is None:
            self._ends_at = time.monotonic() + self._limits.total_seconds
        return self._ends_at - time.monotonic()

    def _start(self) -> None:
        self.starts += 1
        if self._tmp is None:
            self._tmp = tempfile.mkdtemp(prefix="kmeans-kit-")   # private to the judge
        # The capture lies outside the scratch, where the jail cannot swap it for a link
        # to a file the judge would then read back as the student's output.
        capture = os.path.join(self._tmp, "output")
        request_r, request_w = os.pipe()
        response_r, response_w = os.pipe()
        # A fresh, empty capture (appended to, so truncating it between calls rewinds it);
        # it also receives the worker's own start-up errors.
        Path(capture).unlink(missing_ok=True)
        output = open(capture, "ab")
        env = dict(MPLBACKEND="Agg", PYTHONHASHSEED="0", PYTHONDONTWRITEBYTECODE="1",
                   OPENBLAS_NUM_THREADS="1", OMP_NUM_THREADS="1", MKL_NUM_THREADS="1")
        # The setup cells draw the notes' data here, whoever the student: the checks judge
        # the functions on inputs of their own, the same for everyone (student_data.py).
        env.update({SEED_ENV: str(NOTES_SEED), STUDENT_ENV: ""})
        argv = [sys.executable, "-m", WORKER_MODULE, str(request_r), str(response_w)]
        if self.isolation.level == JAIL:   # its scratch is a RAM disk of the jail's own
            self._jailed = self._jail()
            argv, env, cwd = self._jailed.command(argv, env), None, self._tmp
        elif self.isolation.level == UID_ONLY:   # a scratch directory its uid owns
            cwd = os.path.join(self._tmp, "scratch")
            remove_tree(cwd)   # a restart starts clean
            os.mkdir(cwd)
            os.chmod(self._tmp, 0o711)   # its uid may pass through to the scratch
            self._jailed = self._jail(Path(cwd))
            self._jailed.prepare()
            argv, env = self._jailed.command(argv, env), None
        else:
            cwd = os.path.join(self._tmp, "scratch")
            remove_tree(cwd)   # a restart starts clean
            os.mkdir(cwd)
            env = {**unjailed_environment(), **env}
        try:
            self._process = subprocess.Popen(
                argv, pass_fds=(request_r, response_w), stdin=subprocess.DEVNULL,
                stdout=output, stderr=output, cwd=cwd, env=env,
                start_new_session=True)   # its own process group: we can kill all it spawns
        finally:
            output.close()
            os.close(request_r)
            os.close(response_w)
        self._request, self._response, self._capture = request_w, response_r, capture
        self._load()

    def _jail(self, scratch: Path | None = None) -> Jail:
        """The worker's jail: the full one, or (given a ``scratch``) the uid-only level,
        where nothing can be hidden and forbidden helpers are only watched."""
        limits = self._limits
        view, hide = worker_view(self.settings.forbidden) if scratch is None else (None, ())
        # Its three RAM disks (home, /tmp, /dev/shm) are memory the address-space limit
        # does not see: together they get three quarters of that limit at most.
        return Jail(scratch, JailLimits(cpu_seconds=limits.cpu_seconds, memory_mb=limits.memory_mb,
                                     processes=limits.processes,
                                     file_mb=limits.file_mb,
                                     open_files=limits.open_files,
                                     disk_mb=max(1, limits.memory_mb // 4)),
                    kit_view=view, hide=hide, namespaces=scratch is None)

    def _load(self) -> None:
        limits = self._limits
        cell = None
        payload = {"limits": dataclasses.asdict(limits), "forbidden": list(self.settings.forbidden),
                   "sources": list(self.submission.sources), "cells": list(self.submission.cells),
                   "names": list(self.submission.names)}
        try:
            header, _ = wire.receive(self._response, time.monotonic() + _STARTUP_SECONDS)
            if header.get("op") != "ready":
                raise wire.WireError("unexpected message")
        except Exception as exc:  # noqa: BLE001 - no student code has run: the kit's fault
            self._stop()
            raise RuntimeError(f"The checker's worker process did not start ({exc!r}): "
                               f"{self._read_output()[0][-2000:]}") from None
        try:
            wire.send(self._request, {"op": "load"}, payload)
            seconds = min(limits.load_seconds, max(self._remaining(), 0.0))
            deadline = time.monotonic() + seconds
            header, _ = wire.receive(self._response, deadline, poll=self._check_output)
            while header.get("op") == "progress":
                cell = header.get("cell")
                header, _ = wire.receive(self._response, deadline, poll=self._check_output)
            if header.get("op") != "loaded":
                raise wire.WireError("unexpected message")
            self._functions, self.load_errors = _loaded(header)
        except Exception as exc:  # noqa: BLE001 - any failure here is the submission's
            where = "Loading your code" if cell is None else (
                "Your file" if not self.submission.cells else
                f"Cell {self.submission.name(cell)} of your notebook")
            failure = self._after_death(exc, seconds)
            self._broken = dataclasses.replace(failure, detail=(
                f"{where} {_LOAD_WORDS[failure.failure]} ({failure.detail}). None of your "
                "functions could be checked; fix that first: the code must run from top to "
                "bottom on its own."))
            self._stop()

    def _cell_name(self, cell) -> str:
        return "your file" if not self.submission.cells else \
            f"cell {self.submission.name(cell)}"

    def _call(self, function: str, args: tuple) -> CallResult:
        limits = self._limits
        seconds = min(limits.call_seconds + _GRACE_SECONDS, self._remaining())
        deadline = time.monotonic() + seconds
        try:
            wire.send(self._request, {"op": "call", "function": function}, list(args))
            header, result = wire.receive(self._response, deadline, poll=self._check_output)
            if header.get("op") != "result":
                raise wire.WireError("unexpected message")
            result = _validated(result, args)
        except Exception as exc:  # noqa: BLE001 - the worker died, hung or lied
            if isinstance(exc, TimeoutError) and self._remaining() <= 0:
                self._stop()
                failure = CallResult(failure=FailureKind.TIMEOUT, detail=self._budget_detail())
            else:
                failure = self._after_death(exc, limits.call_seconds)
            return dataclasses.replace(failure, stdout=self._read_output()[0])
        output, flooded = self._read_output()
        if flooded:
            self._stop()   # a flood that returned: its process may be in any state
            return CallResult(failure=FailureKind.OUTPUT, detail=self._flood_detail(),
                              args_after=result.args_after, stdout=output)
        # A failure's words are the runner's own: the worker's could be the student's.
        if result.failure == FailureKind.MEMORY:
            self._stop()
            result = dataclasses.replace(result, detail=self._memory_detail())
        elif result.failure == FailureKind.TIMEOUT:
            result = dataclasses.replace(result, detail=self._timeout_detail(limits.call_seconds))
        elif result.failure == FailureKind.EXIT:
            code = re.search(r"sys\.exit\((-?\d{1,6}|None)\)", result.detail)
            result = dataclasses.replace(result, detail=(
                f"{function} called sys.exit({code.group(1) if code else ''}); {_RETURN_INSTEAD}"))
        elif result.failure == FailureKind.CRASH:
            result = dataclasses.replace(result, detail=_UNSENDABLE)
        hidden = _hidden_import(result)
        if hidden and hidden not in result.delegated_to:
            result = dataclasses.replace(result, delegated_to=(*result.delegated_to, hidden))
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
            return CallResult(failure=FailureKind.TIMEOUT, detail=self._timeout_detail(seconds))
        if isinstance(exc, _Flood):
            self._stop()
            return CallResult(failure=FailureKind.OUTPUT, detail=self._flood_detail())
        if isinstance(exc, wire.WireError):   # garbage on the pipe: whatever follows
            self._stop()
            code = None
        else:   # the pipe closed: give a dying worker a moment to be reaped
            code = self._stop(wait=2.0)
        if code is None:
            return CallResult(failure=FailureKind.CRASH, detail=(
                f"it broke the connection to the checker ({_what_broke(exc)}), e.g. by writing "
                "to, reading from or closing the checker's pipes; that is the submission's "
                "doing, not the checker's"))
        if self.isolation.jailed and code > 128:
            code = 128 - code   # bubblewrap reports a child killed by signal N as 128 + N
        if code >= 0:
            return CallResult(failure=FailureKind.EXIT, detail=(
                f"the process ended with exit status {code}, e.g. by os._exit(); "
                f"{_RETURN_INSTEAD}"))
        sig = -code
        if sig in (signal.SIGXCPU, signal.SIGKILL):
            return CallResult(failure=FailureKind.TIMEOUT, detail=(
                f"it used more than the {self._limits.cpu_seconds} s of CPU time allowed; look "
                "for a loop that never ends"))
        if sig == signal.SIGXFSZ:
            return CallResult(failure=FailureKind.OUTPUT, detail=self._flood_detail())
        try:
            name = _SIGNAL_NAMES.get(sig) or f"signal {signal.Signals(sig).name}"
        except ValueError:
            name = f"signal {sig}"
        return CallResult(failure=FailureKind.CRASH, detail=(
            f"{name}; ordinary NumPy/pandas code cannot do that: look for ctypes, os.abort() or "
            "a broken extension module"))

    def _budget_detail(self) -> str:
        return (f"the {self._limits.total_seconds:g} s that all the checks of one submission may "
                "take together ran out before this call; look for a function that is very slow "
                "(a loop over every point and every mean in pure Python is fine; a sleep, or "
                "recomputing everything for each point, is not)")

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
        else:
            try:   # the worker is gone; whatever it started goes too
                os.killpg(process.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        jail, self._jailed = self._jailed, None
        if jail is not None:   # its uid back, its cgroup gone
            jail.close()
        return code


# --------------------------------------------------------------------------- the jail's view
#: The modules of the kit the worker's jail shows: its own plumbing, the data
#: generator that setup cells use (and the seed they ask for: always the notes' there)
#: and the notebook's ``check`` (a no-op there).
#: Every other module of ``kmeans_kit`` is a stub that says it is not available,
#: and ``reference`` is hidden whole, so no K-means step of the kit can be reached.
_WORKER_MODULES = ("__init__.py", "data.py", "protocol.py", "settings.py", "student_data.py",
                   "runner/__init__.py", "runner/worker.py", "runner/wire.py",
                   "runner/calling.py", "runner/marshal.py",
                   "adapters/__init__.py", "adapters/notebook.py")
WORKER_MODULE = "kmeans_kit.runner.worker"


@functools.cache
def worker_view(forbidden: tuple[str, ...]) -> tuple[Path, tuple[tuple[Path, Path], ...]]:
    """The worker jail's view of the kit, and the forbidden modules it covers.

    Returns the directory shown in place of the ``kmeans_kit`` package, and
    ``(path, stub)`` pairs for :class:`~kmeans_kit.runner.jail.Jail`'s ``hide``: the
    package that holds every ``forbidden`` prefix outside the kit (for
    ``sklearn.metrics.pairwise.euclidean_distances``, all of ``sklearn.metrics``;
    for ``reference``, the whole reference implementation).
    """
    import atexit

    root = Path(tempfile.mkdtemp(prefix="kmeans-kit-view-"))
    atexit.register(shutil.rmtree, root, True)
    root.chmod(0o755)
    view, stubs = root / "kmeans_kit", root / "stubs"
    stubs.mkdir()
    package = package_dir("kmeans_kit")
    why = "the grader checks your own code; write this step yourself"
    for source in sorted(package.rglob("*.py")):
        relative = source.relative_to(package)
        target = view / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if relative.as_posix() in _WORKER_MODULES:
            shutil.copyfile(source, target)
        else:
            dotted = ".".join(("kmeans_kit", *relative.with_suffix("").parts))
            target.write_text(stub_source(dotted.removesuffix(".__init__"), why),
                              encoding="utf-8")
    for path in [view, *view.rglob("*")]:
        path.chmod(0o755 if path.is_dir() else 0o644)
    hide = []
    for prefix in forbidden:
        if matches(prefix, ("kmeans_kit",)):
            continue   # the view above stubs them
        covered = _covered(prefix)
        if covered is not None:
            name, path, names = covered
            hide.append((path, hidden_stub(stubs, name, why, names)))
    return view, tuple(dict.fromkeys(hide))


#: Packages other libraries import at import time (``scipy.interpolate`` and so
#: ``scipy.stats`` and scikit-learn cimport ``scipy.spatial``'s compiled hull): a
#: forbidden module inside one has only its own file covered.
_SHARED_PACKAGES = frozenset({"scipy.spatial"})


def _covered(prefix: str) -> tuple[str, Path, tuple[str, ...]] | None:
    """What the worker's jail covers with a stand-in for the forbidden ``prefix``.

    The whole package that holds it (``sklearn.cluster``; all of ``sklearn.metrics`` for
    ``sklearn.metrics.pairwise.euclidean_distances``; ``reference``): its compiled helpers
    (``_vq.so``) and cached bytecode lie beside it and would load under another name.
    In a package of :data:`_SHARED_PACKAGES`, the module's own file. None: nothing of it
    is installed, or it is a compiled module of a shared package (the delegation watcher
    still sees it called).
    """
    parts = prefix.split(".")
    for end in range(len(parts), 0, -1):
        name = ".".join(parts[:end])
        try:
            spec = importlib.util.find_spec(name)
        except (ImportError, ValueError):
            continue
        if spec is None or spec.origin in (None, "built-in", "frozen"):
            continue
        origin = Path(spec.origin)
        if origin.name == "__init__.py":
            return name, origin.parent, ()
        package = name.rpartition(".")[0]
        if package and package not in _SHARED_PACKAGES:
            return package, origin.parent, ()
        if origin.suffix == ".py":   # a top-level module, or one in a shared package
            return name, origin, _public_names(origin)
        return None
    return None


def _public_names(path: Path) -> tuple[str, ...]:
    """A module's ``__all__`` (or its public top-level names), read from its source."""
    import ast

    tree = ast.parse(path.read_text(encoding="utf-8"))
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == "__all__" for t in node.targets):
            try:
                return tuple(ast.literal_eval(node.value))
            except ValueError:
                break
    names = []
    for node in tree.body:
        if isinstance(node, (ast.FunctionDef, ast.ClassDef)):
            names.append(node.name)
        elif isinstance(node, ast.Assign):
            names += [t.id for t in node.targets if isinstance(t, ast.Name)]
    return tuple(n for n in dict.fromkeys(names) if not n.startswith("_"))


def _loaded(header: dict) -> tuple[frozenset[str], list[dict]]:
    """The ``loaded`` message's functions and load errors, or WireError if it is not plain."""
    functions, errors = header.get("functions"), header.get("errors")
    if not (isinstance(functions, list) and all(isinstance(f, str) for f in functions)
            and isinstance(errors, list) and all(
                isinstance(e, dict) and isinstance(e.get("cell"), int)
                and isinstance(e.get("type"), str) and isinstance(e.get("message"), str)
                for e in errors)):
        raise wire.WireError("a 'loaded' message that is not the worker's")
    return frozenset(functions), [{k: e[k] for k in ("cell", "type", "message")} for e in errors]


def _validated(result, args: tuple) -> CallResult:
    """``result`` if it has exactly the shapes the worker sends, else :class:`WireError`.

    The worker shares its process with the student's code, which can forge any
    message; one the engine could trip over would read as the checker's fault.
    """
    def strings(value, optional=False):
        return (optional and value is None) or (
            isinstance(value, tuple) and all(isinstance(v, str) for v in value))

    ok = isinstance(result, CallResult) and isinstance(result.detail, str) \
        and isinstance(result.stdout, str) and strings(result.delegated_to) \
        and strings(result.warnings) and result.failure in (None, *_WORKER_FAILURES) \
        and isinstance(result.args_after, tuple)
    if ok and result.returned is not None:
        r = result.returned
        ok = isinstance(r, Returned) and isinstance(r.type_name, str) and isinstance(r.text, str) \
            and (r.array is None or _plain_array(r.array, "biuf")) \
            and strings(r.strings, optional=True) \
            and (r.shape is None or (isinstance(r.shape, tuple)
                                     and all(isinstance(n, int) and n >= 0 for n in r.shape)))
    if ok and result.raised is not None:
        r = result.raised
        ok = isinstance(r, Raised) and isinstance(r.type_name, str) and strings(r.bases) \
            and isinstance(r.message, str) and isinstance(r.traceback_tail, str)
    if ok:
        ok = (result.returned is None) + (result.raised is None) + (result.failure is None) == 2
    if ok and result.args_after:
        ok = len(result.args_after) == len(args) and all(
            _same_kind(before, after) for before, after in zip(args, result.args_after))
    if not ok:
        raise wire.WireError("a reply that is not the worker's: the submission forged it")
    if result.failure is not None:   # the wire carries the kind as its plain text
        result = dataclasses.replace(result, failure=FailureKind(result.failure))
    return _plain_labels(result)


def _same_kind(before, after) -> bool:
    if isinstance(before, Frame):
        return isinstance(after, Frame) and _plain_array(after.values) \
            and isinstance(after.columns, tuple) and isinstance(after.index, tuple)
    if isinstance(before, np.ndarray):
        return _plain_array(after)
    return not isinstance(after, (Frame, Returned, Raised, CallResult))


def _plain_array(value, kinds: str = "biufUS") -> bool:
    """An array of these dtype kinds (by default numbers, booleans, text), without fields."""
    return isinstance(value, np.ndarray) and value.dtype.kind in kinds \
        and value.dtype.fields is None


def _plain_labels(result: CallResult) -> CallResult:
    """``args_after`` with Frame labels that are not scalars (an array as a column name)
    as their text, so that the engine compares labels, and sees the change."""
    def label(value):
        if isinstance(value, (str, int, float, bool, type(None))) or \
                (isinstance(value, np.generic) and value.dtype.kind in "biufUS"):
            return value
        return wire.safe_repr(value)

    after = tuple(dataclasses.replace(a, columns=tuple(map(label, a.columns)),
                                      index=tuple(map(label, a.index)))
                  if isinstance(a, Frame) else a for a in result.args_after)
    return dataclasses.replace(result, args_after=after)


def _hidden_import(result: CallResult) -> str | None:
    """The forbidden module a call tried to import in the jail, if that is why it raised."""
    raised = result.raised
    if raised is None or "ImportError" not in raised.bases or HIDDEN_MARKER not in raised.message:
        return None
    return raised.message.split(HIDDEN_MARKER, 1)[1].split()[0]


def _what_broke(exc: BaseException) -> str:
    if isinstance(exc, wire.WireError):
        return str(exc)
    return "the pipe closed" if isinstance(exc, EOFError) else type(exc).__name__
