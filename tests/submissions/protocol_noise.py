# Appended to correct.py by the tests: output that looks like protocol traffic, from
# Python and straight to the file descriptors, plus an object that would run code if
# anyone unpickled it.
import os
import struct


class Trap:
    def __reduce__(self):
        return (os.system, ("touch " + os.environ.get("KIT_TRAP_FILE", "/nonexistent/x"),))

    def __repr__(self):
        return "Trap()"


def assign(X, means):
    os.write(1, struct.pack("!Q", 12) + b'{"op": "x"}')
    os.write(2, b"\x00\xff garbage on stderr\n")
    print('{"op": "result", "buffers": []}')
    import numpy as np
    points = X.to_numpy(dtype=float)
    return ((points[:, None, :] - np.asarray(means)[None]) ** 2).sum(axis=2).argmin(axis=1)


def update(X, labels, means):
    import numpy as np
    return np.array([Trap()] * len(means), dtype=object)
