"""Plain-data conversions shared by every caller (in-process and the isolated worker).

The engine speaks only plain data (:mod:`kmeans_kit.protocol`): a caller
turns the engine's arguments into real objects for the student's function
(:func:`decode_args`), and turns what the function did back into plain data
(:func:`encode_args`, :func:`to_returned`, :func:`to_raised`). Keeping these in
one module means the in-process caller and the worker process cannot drift.
"""

from __future__ import annotations

import contextlib
import copy
import importlib.util
import os
import sys
import sysconfig
import traceback
from typing import Any

import numpy as np

from ..protocol import Frame, Raised, Returned, SameAs

#: Longest repr kept in :attr:`Returned.text` and exception messages.
TEXT_LIMIT = 400
#: At most this many elements are kept as strings for a non-numeric return value.
STRINGS_LIMIT = 2000


# --------------------------------------------------------------------------- arguments
def decode_args(args: tuple) -> tuple:
    """Real objects for the student's function: fresh copies, ``SameAs`` resolved.

    Every argument is a new object, so nothing the student keeps or changes can
    leak into the engine's own data.
    """
    decoded: list[Any] = []
    for arg in args:
        if isinstance(arg, SameAs):
            decoded.append(decoded[arg.position])
        elif isinstance(arg, Frame):
            decoded.append(arg.to_pandas())
        else:
            decoded.append(copy.deepcopy(arg))
    return tuple(decoded)


def encode_value(value: Any) -> Any:
    """One argument as plain data again (DataFrame -> Frame, arrays copied)."""
    import pandas as pd

    if isinstance(value, pd.DataFrame):
        frame = Frame.from_pandas(value)
        if frame.values.dtype.kind not in "biufc":
            # A student added a text column: keep the change visible, as plain strings.
            frame = Frame(frame.values.astype(str), frame.columns, frame.index)
        return Frame(frame.values, tuple(_plain(c) for c in frame.columns),
                     tuple(_plain(i) for i in frame.index))
    if isinstance(value, pd.Series):
        return np.asarray(value.to_numpy(copy=True))
    if isinstance(value, np.ndarray):
        return value.copy() if value.dtype.kind in "biufcUS" else value.astype(str)
    if isinstance(value, (list, tuple)):
        return type(value)(encode_value(item) for item in value)
    if value is None or isinstance(value, (bool, int, float, str, np.generic)):
        return value
    return repr(value)[:TEXT_LIMIT]


def encode_args(args: tuple) -> tuple:
    """The arguments as they are after the call, in the encoding they were passed in."""
    return tuple(encode_value(arg) for arg in args)


def _plain(label: Any) -> Any:
    """A column/index label as a builtin scalar (numpy scalars become int/float/str)."""
    return label.item() if isinstance(label, np.generic) else label


# --------------------------------------------------------------------------- return values
def type_name(value: Any) -> str:
    """``"numpy.ndarray"``, ``"pandas.Series"``, ``"list"``, ``"numpy.bool"``..."""
    cls = type(value)
    module = cls.__module__ or ""
    if module == "builtins":
        return cls.__qualname__
    top = module.split(".", 1)[0]
    if top in ("numpy", "pandas"):
        return f"{top}.{cls.__qualname__}"
    return f"{module}.{cls.__qualname__}"


def short_repr(value: Any, limit: int = TEXT_LIMIT) -> str:
    try:
        with np.printoptions(threshold=20, edgeitems=3, linewidth=100), _pandas_display():
            text = repr(value)
    except Exception as exc:  # noqa: BLE001 - a student's object whose repr breaks
        text = f"<{type_name(value)}: repr failed ({type(exc).__name__})>"
    return text if len(text) <= limit else text[:limit - 3] + "..."


def _pandas_display():
    """Short pandas reprs (a few rows) when pandas is in use; a no-op otherwise."""
    pd = sys.modules.get("pandas")
    if pd is None:
        return contextlib.nullcontext()
    return pd.option_context("display.max_rows", 8, "display.min_rows", 6,
                             "display.max_columns", 8, "display.width", 100)


def to_returned(value: Any) -> Returned:
    """What a function returned, as plain data.

    ``array`` is ``np.asarray(value)`` when that is numeric or boolean (a Series
    loses its index on purpose: only positions count). Otherwise ``strings``
    keeps ``str()`` of each element for array-likes of text (class letters),
    so a diagnosis can read them without unpickling anything.
    """
    array, strings = None, None
    try:
        converted = np.asarray(value)
    except Exception:  # noqa: BLE001
        converted = None
    if converted is not None and converted.dtype.kind in "biuf" and converted.dtype.kind != "V":
        array = np.array(converted, copy=True)
    elif converted is not None and converted.dtype.kind in "OUS" and 0 < converted.ndim \
            and converted.size <= STRINGS_LIMIT:
        strings = tuple(str(item) for item in converted.ravel().tolist())
        if converted.dtype.kind == "O":
            # An object array may still hold plain numbers (e.g. a list of Python ints).
            try:
                numeric = converted.astype(np.float64)
            except (TypeError, ValueError):
                numeric = None
            if numeric is not None and all(isinstance(item, (int, float, np.number))
                                           and not isinstance(item, bool)
                                           for item in converted.ravel().tolist()):
                array, strings = numeric, None
    parts = None
    if array is None and strings is None and isinstance(value, (list, tuple)) and value:
        parts = tuple(_part(item) for item in value[:PARTS_SHOWN]) + \
            (("...",) if len(value) > PARTS_SHOWN else ())
    return Returned(type_name(value), array, short_repr(value), shape=_shape(converted),
                    strings=strings, parts=parts)


#: How many items of a ragged list a message describes.
PARTS_SHOWN = 4


def _part(item: Any) -> str:
    """What one item of a list is, in a message's words."""
    if isinstance(item, (bool, int, float, np.number)):
        return f"a number ({item!r})"[:60]
    try:
        shape = np.shape(item)
    except Exception:  # noqa: BLE001 - a ragged item in turn
        return f"a {type_name(item)}"
    return f"a {type_name(item)} of shape {tuple(int(s) for s in shape)}"


def _shape(converted: np.ndarray | None) -> tuple[int, ...] | None:
    return None if converted is None else tuple(int(s) for s in converted.shape)


# --------------------------------------------------------------------------- exceptions
_LIBRARY_DIRS = tuple(
    os.path.realpath(path) for path in {sysconfig.get_paths()["stdlib"],
                                        sysconfig.get_paths()["purelib"],
                                        sysconfig.get_paths()["platlib"]} if path)
# The kit's own packages, wherever they are installed (found, not imported: in the
# grading jail ``reference`` is hidden).
_KIT_DIRS = tuple(os.path.realpath(location) + os.sep
                  for spec in map(importlib.util.find_spec, ("kmeans_kit", "reference")) if spec
                  for location in spec.submodule_search_locations or ())


def is_student_file(filename: str) -> bool:
    """True for code the student wrote (a notebook cell, their .py), not a library or the kit."""
    if filename.startswith("<frozen"):
        return False
    real = os.path.realpath(filename)
    return not real.startswith(_LIBRARY_DIRS) and not real.startswith(_KIT_DIRS)


def to_raised(exc: BaseException, frames: int = 3) -> Raised:
    """An exception as plain data, with the last frames of the student's own code only."""
    tail = [entry for entry in traceback.extract_tb(exc.__traceback__)
            if is_student_file(entry.filename)][-frames:]
    message = str(exc)
    if len(message) > TEXT_LIMIT:
        message = message[:TEXT_LIMIT - 3] + "..."
    return Raised(
        type_name=type(exc).__name__,
        bases=tuple(cls.__name__ for cls in type(exc).__mro__),
        message=message,
        traceback_tail="".join(traceback.format_list(tail)).rstrip(),
    )


__all__ = ["decode_args", "encode_args", "encode_value", "is_student_file", "short_repr",
           "to_raised", "to_returned", "type_name"]

