"""Take over the worker's side of the protocol and answer for it.

The worker is ``python -m kmeans_kit.runner.worker REQUEST_FD RESPONSE_FD``
and the submission runs inside it, so it can read the pipe numbers from
sys.argv and speak the wire format with the worker's own ``send`` and
``receive``. While loading, this file answers the judge's "load" request
itself with a forged "loaded" message (or, with LOADED = "bad", one whose
function list is not a list of names), and then never returns: it serves
every call with a forged reply and the real worker never gets a word in.

The test puts a cell before this file defining ON_EOF (what to do when the
judge hangs up: "exit" at once as the real worker does, or "linger" until it
is killed) and FORGERY, which says how to answer each function (see
``_forge``): correct-looking replies in exactly
the worker's shapes, replies the judge must refuse (a string where a
Returned belongs, a bare dict, a wrong number of arguments, an array of
text or complex numbers, a negative shape, returned and raised both set),
broken framing (bytes that are no message, a length of a terabyte, JSON
nested past the recursion limit, the wrong op), a forged "crash" whose
detail blames the checker, and well-formed replies whose arguments are
built to trip the judge's comparisons (an array as a column label, a
structured array as the means).
"""

import os
import struct
import sys
import time

import numpy as np

from kmeans_kit.runner import wire
from kmeans_kit.protocol import CallResult, Frame, Raised, Returned

REQUEST, RESPONSE = int(sys.argv[1]), int(sys.argv[2])
BLAME = ("the grading kit itself failed on this call (an internal error of the checker, not "
         "of your code); the instructor will award full marks for it")


def _answer(function, args):
    """What a correct-looking answer of ``function`` would be: zeros of the right shape."""
    if function == "assign":
        n = len(args[0].index)
        return np.zeros(n, dtype=np.int64)
    if function == "update":
        return np.zeros(np.shape(args[2]), dtype=float)
    return np.array(True)


def _returned(value):
    return Returned("numpy.ndarray", value, repr(value), shape=tuple(value.shape))


def _forge(style, function, args):
    value = _answer(function, args)
    well_formed = CallResult(returned=_returned(value), args_after=tuple(args))
    if style == "zeros":
        wire.send(RESPONSE, {"op": "result"}, well_formed)
    elif style == "string_returned":
        wire.send(RESPONSE, {"op": "result"},
                     CallResult(returned=repr(value), args_after=tuple(args)))
    elif style == "dict_payload":
        wire.send(RESPONSE, {"op": "result"},
                     {"returned": repr(value), "failure": None, "detail": "all correct"})
    elif style == "extra_argument":
        wire.send(RESPONSE, {"op": "result"},
                     CallResult(returned=_returned(value), args_after=(*args, 1)))
    elif style == "text_array":
        wire.send(RESPONSE, {"op": "result"},
                     CallResult(returned=_returned(value.astype(str)), args_after=tuple(args)))
    elif style == "complex_array":
        wire.send(RESPONSE, {"op": "result"},
                     CallResult(returned=_returned(value.astype(complex)), args_after=tuple(args)))
    elif style == "negative_shape":
        wire.send(RESPONSE, {"op": "result"}, CallResult(
            returned=Returned("numpy.ndarray", value, "array()", shape=(-1,)),
            args_after=tuple(args)))
    elif style == "returned_and_raised":
        wire.send(RESPONSE, {"op": "result"}, CallResult(
            returned=_returned(value), raised=Raised("ValueError", ("ValueError",), "no"),
            args_after=tuple(args)))
    elif style == "garbage":
        os.write(RESPONSE, struct.pack("!Q", 16) + b"\xffnot json at all")
    elif style == "huge":
        os.write(RESPONSE, struct.pack("!Q", 2**40) + b"{")
    elif style == "deep_json":
        nested = b"[" * 100_000 + b"]" * 100_000
        head = b'{"op": "result", "buffers": [], "payload": ' + nested + b"}"
        os.write(RESPONSE, struct.pack("!Q", len(head)) + head)
    elif style == "wrong_op":
        wire.send(RESPONSE, {"op": "loaded", "functions": ["assign"], "errors": []})
    elif style == "blame_checker":
        wire.send(RESPONSE, {"op": "result"}, CallResult(failure="crash", detail=BLAME))
    elif style == "array_column":
        frame = args[0]
        columns = (np.array([1, 2]), *frame.columns[1:])
        after = (Frame(frame.values, columns, frame.index), *args[1:])
        wire.send(RESPONSE, {"op": "result"}, CallResult(returned=_returned(value),
                                                            args_after=after))
    elif style == "structured_means":
        means = np.zeros(np.shape(args[-1]), dtype=[("x", "f8"), ("y", "f8")])
        after = (*args[:-1], means)
        wire.send(RESPONSE, {"op": "result"}, CallResult(returned=_returned(value),
                                                            args_after=after))
    else:
        raise ValueError(style)


if LOADED == "bad":
    wire.send(RESPONSE, {"op": "loaded", "functions": [1, None], "errors": "none"})
else:
    wire.send(RESPONSE, {"op": "loaded", "functions": ["assign", "update", "converged"],
                            "errors": []})
while True:
    try:
        header, arguments = wire.receive(REQUEST)
    except EOFError:   # the judge hung up
        if ON_EOF == "exit":
            os._exit(0)    # as the real worker would
        time.sleep(600)    # or play dead until it kills us
    _forge(FORGERY.get(header.get("function"), "zeros"), header.get("function"), arguments)
