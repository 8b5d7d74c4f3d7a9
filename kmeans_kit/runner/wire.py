"""The plain-data wire format the runner and its worker speak, imported by both ends.

A message is a length-prefixed JSON header followed by raw buffers, each an
``.npy`` image written and read with ``allow_pickle=False``. Only the types
below can cross the wire (anything else is rejected on decode), so the
checking process rebuilds plain data and never unpickles or executes anything
a student made:

    None, bool, int, float, str, list, tuple, dict, numpy arrays (no object
    dtype) and scalars, and the protocol's Frame, SameAs, Returned, Raised,
    CallResult.
"""

from __future__ import annotations

import io
import json
import os
import select
import struct
import time
from dataclasses import fields, is_dataclass

import numpy as np

from ..protocol import CallResult, Frame, Raised, Returned, SameAs

_LENGTH = struct.Struct("!Q")
#: The largest message the parent accepts from a worker (header and buffers together).
MAX_MESSAGE_BYTES = 64 * 1024 * 1024
_DATACLASSES = {cls.__name__: cls for cls in (CallResult, Frame, Raised, Returned, SameAs)}


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
    return encode(safe_repr(value), buffers)


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


def safe_repr(value, limit: int = 300) -> str:
    try:
        text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a student's __repr__ may raise anything
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


