"""Leave a daemon behind that outlives the grading.

The test puts a cell before this file defining TOKEN (a unique word) and
MARKER (an absolute path in the test's temporary directory). While loading,
the submission forks twice with a setsid() in between -- the classic way to
leave the parent's process group and session, so that killing the worker's
group misses it -- and the grandchild becomes a fresh Python process whose
command line holds TOKEN. It closes the inherited pipes, ignores SIGTERM and
SIGHUP, sleeps 3 s (long after the runner has been closed) and then writes a
marker file both at MARKER and in its own working directory.
"""

import os
import sys

_LATER = """
import os, signal, sys, time
signal.signal(signal.SIGTERM, signal.SIG_IGN)
signal.signal(signal.SIGHUP, signal.SIG_IGN)
time.sleep(3)
for path in sys.argv[2:]:
    try:
        with open(path, "w") as f:
            f.write("the daemon outlived the grading")
    except OSError:
        pass
"""

if os.fork() == 0:
    os.setsid()
    if os.fork() == 0:
        os.closerange(3, 1024)
        os.execv(sys.executable, [sys.executable, "-c", _LATER, TOKEN, MARKER,
                                  os.path.join(os.getcwd(), "daemon-marker")])
    os._exit(0)
os.wait()


def converged(old_labels, new_labels):
    return True
