"""The child process of the isolated runner, and the plain-data wire format both sides speak.

``python -m reference.checks._worker REQUEST_FD RESPONSE_FD`` is
started by :class:`reference.checks.runner.SubmissionRunner`. It executes a
submission's code in a fresh namespace and then serves calls to its
functions until the parent closes the request pipe.

The wire format is a length-prefixed JSON header followed by raw buffers,
each an ``.npy`` image written and read with ``allow_pickle=False``. Only the
types below can cross the wire (anything else is rejected on decode), so the
checking process rebuilds plain data and never unpickles or executes
anything a student made:

    None, bool, int, float, str, list, tuple, dict, numpy arrays (no object
    dtype) and scalars, and the protocol's Frame, SameAs, Returned, Raised,
    CallResult.

The protocol uses its own file descriptors; the parent points the worker's
fd 1 and 2 at a capture file (opened for appending), so whatever the student
prints (from Python or from C) can neither corrupt the protocol nor fill the
parent's memory: the parent reads at most ``limits.output_bytes`` of it.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import sys
import time
from dataclasses import fields, is_dataclass, replace

import numpy as np

from .inprocess import call_function
from .protocol import CallResult, Frame, Raised, Returned, SameAs

_LENGTH = struct.Struct("!Q")
#: The largest message the parent accepts from a worker (header and buffers together).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_DATACLASSES = {cls.__name__: cls for cls in (CallResult, Frame, Raised, Returned, SameAs)}
#: RLIMIT_FSIZE for the worker: bounds the disk a printing loop (or any file) can fill.
FILE_SIZE_LIMIT = 64 * 1024 * 1024


class WireError(Exception):
    """A message that is not plain data in the kit's format (or a pipe that broke)."""


# --------------------------------------------------------------------------- encoding
def encode(value, buffers: list[bytes]):
    """``value`` as JSON-able data; arrays are appended to ``buffers`` and referenced by index."""
    if value is None or isinstance(value, (bool, str)):
        return value
    if isinstance(value, (int, float)) and type(value) in (int, float):
        return value
    if isinstance(value, (np.ndarray, np.generic)):
        array = np.asarray(value)
        if array.dtype.hasobject:
            # Object arrays can only travel pickled; their text is what a message needs.
            array = array.astype(str)
        out = io.BytesIO()
        np.save(out, array, allow_pickle=False)
        buffers.append(out.getvalue())
        return {"$": "scalar" if isinstance(value, np.generic) else "array", "b": len(buffers) - 1}
    if isinstance(value, list):
        return [encode(v, buffers) for v in value]
    if isinstance(value, tuple):
        return {"$": "tuple", "items": [encode(v, buffers) for v in value]}
    if isinstance(value, dict):
        return {"$": "dict", "items": [[encode(k, buffers), encode(v, buffers)]
                                       for k, v in value.items()]}
    if is_dataclass(value) and type(value).__name__ in _DATACLASSES \
            and type(value) is _DATACLASSES[type(value).__name__]:
        return {"$": type(value).__name__,
                "fields": {f.name: encode(getattr(value, f.name), buffers) for f in fields(value)}}
    if isinstance(value, (int, float, str)):   # subclasses (IntEnum, numpy-like): plain copy
        return encode(type(value).__mro__[-2](value), buffers)
    # Anything else (a student's own object) travels as its text.
    return encode(_safe_repr(value), buffers)


def decode(data, buffers: list[bytes]):
    """The inverse of :func:`encode`; raises :class:`WireError` on anything unexpected."""
    if data is None or isinstance(data, (bool, int, float, str)):
        return data
    if isinstance(data, list):
        return [decode(v, buffers) for v in data]
    if not isinstance(data, dict):
        raise WireError(f"unexpected JSON value of type {type(data).__name__}")
    tag = data.get("$")
    if tag in ("array", "scalar"):
        try:
            array = np.load(io.BytesIO(buffers[data["b"]]), allow_pickle=False)
        except (IndexError, KeyError, TypeError, ValueError, OSError, EOFError) as exc:
            raise WireError(f"bad array buffer: {exc}") from None
        return array[()] if tag == "scalar" else array
    if tag == "tuple":
        return tuple(decode(v, buffers) for v in data["items"])
    if tag == "dict":
        return {_hashable(decode(k, buffers)): decode(v, buffers) for k, v in data["items"]}
    if tag in _DATACLASSES:
        cls = _DATACLASSES[tag]
        names = {f.name for f in fields(cls)}
        given = data.get("fields", {})
        if not isinstance(given, dict) or not set(given) <= names:
            raise WireError(f"bad fields for {tag}")
        return cls(**{k: decode(v, buffers) for k, v in given.items()})
    raise WireError(f"unknown tag {tag!r}")


def _hashable(key):
    if isinstance(key, (list, np.ndarray)):
        raise WireError("unhashable dict key")
    return key


def _safe_repr(value, limit: int = 300) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # a student's __repr__ may raise anything
        text = f"<{type(value).__name__} object; repr failed: {type(exc).__name__}>"
    return text if len(text) <= limit else text[:limit] + "..."


# --------------------------------------------------------------------------- framing
def send(fd: int, header: dict, payload=None) -> None:
    """Write one message: the JSON header (with ``payload`` encoded in it) and its buffers."""
    buffers: list[bytes] = []
    message = dict(header)
    if payload is not None:
        message["payload"] = encode(payload, buffers)
    message["buffers"] = [len(b) for b in buffers]
    head = json.dumps(message).encode("utf-8")
    data = b"".join([_LENGTH.pack(len(head)), head, *buffers])
    view = memoryview(data)
    while view:
        written = os.write(fd, view)
        view = view[written:]


def receive(fd: int, deadline: float | None = None, max_bytes: int = MAX_MESSAGE_BYTES,
            poll=None):
    """Read one message; returns ``(header, payload)``.

    ``deadline`` is a ``time.monotonic()`` value: past it :class:`TimeoutError` is
    raised. ``poll`` (optional) is called about every 0.1 s while waiting and may
    raise to abandon the read. EOF raises :class:`EOFError`; malformed data
    raises :class:`WireError`.
    """
    (length,) = _LENGTH.unpack(_read_exactly(fd, _LENGTH.size, deadline, poll))
    if length > max_bytes:
        raise WireError(f"message of {length} bytes is larger than allowed")
    try:
        header = json.loads(_read_exactly(fd, length, deadline, poll))
        sizes = header.pop("buffers")
        if not isinstance(header, dict) or not all(isinstance(s, int) and s >= 0 for s in sizes):
            raise ValueError("bad buffer sizes")
    except (ValueError, KeyError, TypeError, AttributeError) as exc:
        raise WireError(f"bad header: {exc}") from None
    if length + sum(sizes) > max_bytes:
        raise WireError("message larger than allowed")
    buffers = [_read_exactly(fd, size, deadline, poll) for size in sizes]
    payload = decode(header.pop("payload", None), buffers)
    return header, payload


def _read_exactly(fd: int, size: int, deadline: float | None, poll) -> bytes:
    chunks, missing = [], size
    while missing:
        wait = 0.1 if deadline is None else max(0.0, min(0.1, deadline - time.monotonic()))
        ready, _, _ = select.select([fd], [], [], wait)
        if not ready:
            if poll is not None:
                poll()
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError
            continue
        chunk = os.read(fd, min(missing, 1 << 20))
        if not chunk:
            raise EOFError
        chunks.append(chunk)
        missing -= len(chunk)
    return b"".join(chunks)


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
        cap(resource.RLIMIT_FSIZE, FILE_SIZE_LIMIT)
        cap(resource.RLIMIT_CORE, 0)
        # A write past RLIMIT_FSIZE then fails with an OSError instead of killing us.
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)

    def _load(self, sources: list[str], cells: list[int]) -> dict:
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
            filename = f"<cell {cell + 1}>" if cells else "<submission>"
            linecache.cache[filename] = (len(source), None, source.splitlines(True), filename)
            try:
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    exec(compile(source, filename, "exec"), self.namespace)
            except BaseException as exc:  # SystemExit/KeyboardInterrupt in a cell too
                errors.append({"cell": cell, "type": type(exc).__name__,
                               "message": str(exc)[:500]})
        functions = sorted(k for k, v in self.namespace.items()
                           if callable(v) and not k.startswith("__") and k not in
                           ("get_ipython", "display"))
        return {"op": "loaded", "functions": functions, "errors": errors}

    def _call(self, function: str, args: tuple) -> CallResult:
        target = self.namespace.get(function)
        if not callable(target):
            return CallResult(failure="missing", detail=f"{function} is not defined")
        # Output goes to fd 1/2 (the capture file), where the parent bounds it.
        result = call_function(target, args, name=function, forbidden=self.forbidden,
                               timeout=self.call_seconds, capture_output=False)
        if result.raised is not None and "MemoryError" in result.raised.bases:
            return replace(result, raised=None, failure="memory")
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
        send(self.response_fd, self._load(payload["sources"], payload["cells"]))
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
                    failure="crash", detail=f"its result could not be passed to the checker "
                                            f"({type(exc).__name__})"))


def _flush() -> None:
    for stream in (sys.stdout, sys.stderr, sys.__stdout__, sys.__stderr__):
        try:
            stream.flush()
        except Exception:
            pass


def main(argv: list[str]) -> None:
    _Worker(int(argv[1]), int(argv[2])).serve()


if __name__ == "__main__":
    main(sys.argv)
