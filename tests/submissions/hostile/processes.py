"""Look for the judge's processes and kill them (and anything else in sight).

The test puts a cell before this file defining JUDGE_PID (the pid of the
process running the checks) and VICTIM_PID (a bystander process the test
started); correct.py comes before it too, so its functions are there to be
checked after the attacks.

While loading it sends SIGKILL to both pids, so the grading would stop before
it starts. ``pids`` lists the numeric entries of /proc, telling the student
which processes could be attacked. ``kill_everyone`` then sends SIGKILL to its
parent, to pid 1 and to every process it can see, and reports the outcome of
each attempt.
"""

import os
import signal

LOAD_TIME_KILLS = {}
for _pid in (JUDGE_PID, VICTIM_PID):
    try:
        os.kill(_pid, signal.SIGKILL)
        LOAD_TIME_KILLS[_pid] = "killed"
    except Exception as exc:
        LOAD_TIME_KILLS[_pid] = type(exc).__name__


def pids():
    return sorted(int(entry) for entry in os.listdir("/proc") if entry.isdigit())


def load_time_kills():
    return [f"{pid}: {how}" for pid, how in LOAD_TIME_KILLS.items()]


def kill_everyone():
    report = []
    targets = [os.getppid(), 1, JUDGE_PID, VICTIM_PID, *pids()]
    for pid in dict.fromkeys(targets):
        if pid == os.getpid():
            continue
        try:
            os.kill(pid, signal.SIGKILL)
            report.append(f"{pid}: killed")
        except Exception as exc:
            report.append(f"{pid}: {type(exc).__name__}")
    return report
