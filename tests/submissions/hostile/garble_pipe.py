"""Corrupt the reply channel from inside an ordinary call.

No takeover: the real worker runs ``assign`` as usual, but ``assign`` first
writes a few bytes that are not a message straight to the worker's response
pipe (its number is sys.argv[2]), so the judge reads garbage where the reply
should start, and then returns as if nothing had happened. Loaded after
correct.py, whose ``update`` and ``converged`` are untouched.
"""

import os
import sys


def assign(X, means):
    os.write(int(sys.argv[2]), b"\0\0\0\0\0\0\0\x05junk!")
    return [0] * len(X)
