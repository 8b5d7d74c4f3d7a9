"""The child process of the isolated runner: it runs the submission and serves calls.

``python -m kmeans_kit.runner.worker REQUEST_FD RESPONSE_FD`` is started by
:class:`kmeans_kit.runner.isolated.SubmissionRunner`. It executes a
submission's code in a fresh namespace and then serves calls to its
functions, in the :mod:`~kmeans_kit.runner.wire` format, until the parent
closes the request pipe.

The protocol uses its own file descriptors; the parent points the worker's
fd 1 and 2 at a capture file (opened for appending), so whatever the student
prints (from Python or from C) can neither corrupt the protocol nor fill the
parent's memory: the parent reads at most ``limits.output_bytes`` of it.
"""

from __future__ import annotations

import os
import sys
from dataclasses import replace

from ..protocol import CallResult, FailureKind
from .calling import call_function
from .wire import receive, send


# --------------------------------------------------------------------------- the child
class _IPythonStub:
    """Enough of ``get_ipython()`` for transformed magics to be harmless when loading."""

    _RUN_BODY = {"time", "timeit", "capture", "prun"}

    def __init__(self, namespace: dict):
        self.user_ns = namespace

    def run_line_magic(self, name, line, *args, **kwargs):
        if name in self._RUN_BODY and line.strip():
            exec(compile(line, "<magic>", "exec"), self.user_ns)

    def run_cell_magic(self, name, line, cell, *args, **kwargs):
        if name in self._RUN_BODY:
            exec(compile(cell, "<magic>", "exec"), self.user_ns)

    def system(self, *args, **kwargs):
        return None

    def getoutput(self, *args, **kwargs):
        return []

    def __getattr__(self, name):  # any other IPython API: a no-op
        return lambda *args, **kwargs: None


class _Worker:
    def __init__(self, request_fd: int, response_fd: int):
        self.request_fd, self.response_fd = request_fd, response_fd
        self.namespace: dict = {}
        self.forbidden: tuple[str, ...] = ()
        self.call_seconds: float | None = None

    def _redirect_output(self) -> None:
        # fd 1/2 (Python and C writes alike) are the capture file the parent reads.
        for stream in (sys.stdout, sys.stderr):
            stream.reconfigure(write_through=True, errors="replace")

    def _limit(self, limits: dict) -> None:
        import resource
        import signal

        def cap(which, value):
            value = int(value)
            try:
                resource.setrlimit(which, (value, value))
            except (ValueError, OSError):
                pass  # a hard limit already lower than ours: keep it
        if limits.get("memory_mb"):
            cap(resource.RLIMIT_AS, limits["memory_mb"] * 1024 * 1024)
        if limits.get("cpu_seconds"):
            soft = int(limits["cpu_seconds"])
            try:  # SIGXCPU at the soft limit, SIGKILL one second later
                resource.setrlimit(resource.RLIMIT_CPU, (soft, soft + 1))
            except (ValueError, OSError):
                pass
        cap(resource.RLIMIT_FSIZE, limits["file_mb"] * 2**20)
        cap(resource.RLIMIT_CORE, 0)
        # A write past RLIMIT_FSIZE then fails with an OSError instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def _load(self, sources: list[str], cells: list[int], names: list[str]) -> dict:
        import builtins
        import linecache
        import warnings

        # Not "__main__": a file's `if __name__ == "__main__":` block must not run.
        self.namespace = {"__name__": "__submission__", "__builtins__": builtins}
        stub = _IPythonStub(self.namespace)
        self.namespace["get_ipython"] = lambda: stub
        self.namespace["display"] = lambda *args, **kwargs: None
        errors = []
        for position, source in enumerate(sources):
            cell = cells[position] if position < len(cells) else position
            send(self.response_fd, {"op": "progress", "cell": cell})
            # Frames read as the student's prompts ("In [14]", line 2), never a path.
            filename = (names[position] if position < len(names) else f"cell {cell + 1}") \
                if cells else "<submission>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(source, filename, "exec"), self.namespace)
            except BaseException as exc:  # noqa: BLE001 - SystemExit/KeyboardInterrupt too
                errors.append({"cell": cell, "type": type(exc).__name__,
                               "message": str(exc)[:500]})
        functions = sorted(k for k, v in self.namespace.items()
                           if callable(v) and not k.startswith("__") and k not in
                           ("get_ipython", "display"))
        return {"op": "loaded", "functions": functions, "errors": errors}

    def _call(self, function: str, args: tuple) -> CallResult:
        target = self.namespace.get(function)
        if not callable(target):
            return CallResult(failure=FailureKind.MISSING, detail=f"{function} is not defined")
        # Output goes to fd 1/2 (the capture file), where the parent bounds it.
        result = call_function(target, args, name=function, forbidden=self.forbidden,
                               timeout=self.call_seconds, capture_output=False)
        if result.raised is not None and "MemoryError" in result.raised.bases:
            return replace(result, raised=None, failure=FailureKind.MEMORY)
        return result

    def serve(self) -> None:
        self._redirect_output()
        send(self.response_fd, {"op": "ready"})   # the kit's own start-up is over
        header, payload = receive(self.request_fd)
        self._limit(payload["limits"])
        self.forbidden = tuple(payload["forbidden"])
        # Interrupting a slow call from inside is cheaper than the parent's kill-and-restart,
        # which stays as the backstop for code that never returns to the interpreter.
        self.call_seconds = payload["limits"].get("call_seconds")
        os.environ["KMEANS_KIT_WORKER"] = "1"   # in-notebook check() cells become no-ops
        send(self.response_fd, self._load(payload["sources"], payload["cells"],
                                          payload.get("names", [])))
        while True:
            try:
                header, args = receive(self.request_fd)
            except EOFError:
                return
            _flush()   # what loading or the last call printed is not this call's
            os.ftruncate(1, 0)
            result = self._call(header["function"], tuple(args))
            _flush()
            try:
                send(self.response_fd, {"op": "result"}, result)
            except (TypeError, ValueError, OverflowError, RecursionError) as exc:
                # What the student's code left behind cannot be written as plain data:
                # report that, rather than dying and looking like an exit.
                send(self.response_fd, {"op": "result"}, CallResult(
                    failure=FailureKind.CRASH,
                    detail=f"its result could not be passed to the checker ({type(exc).__name__})"))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:  # noqa: BLE001
            pass


def main(argv: list[str]) -> None:
    _Worker(int(argv[1]), int(argv[2])).serve()


if __name__ == "__main__":
    main(sys.argv)
