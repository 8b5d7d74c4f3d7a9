"""A control group for each jail: memory, processes and CPU bounded for the jail as a whole.

rlimits bound each process on its own: under a 4 GB ``RLIMIT_AS`` the kernel's forked
children held 6.6 GB at once, its RAM disks were not counted at all, and busy children
starved a classmate graded at the same time. A cgroup bounds the jail as a whole:

* ``memory``: every process of the jail and the tmpfs pages they write (shared memory is
  charged to the group of the process that writes it), so the RAM disks count;
* ``pids``: processes and threads of the jail, together;
* ``cpu``: one equal weight per jail, so ten busy processes in one jail get no more of
  the machine than a single one in another.

The groups are made and entered with libcgroup's tools (``cgcreate``, ``cgset``,
``cgexec``, ``cgdelete``; Debian's ``cgroup-tools``), which speak both cgroup v1 and v2,
below the judge's own group of each controller. Where they cannot be made (no tools, no
rights, a v2 hierarchy whose controllers are not delegated), :func:`support` says why,
and the jail runs without a group: every output's isolation line says so.
"""

from __future__ import annotations

import functools
import itertools
import os
import shutil
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

CONTROLLERS = ("memory", "pids", "cpu")
#: ``$KMEANS_KIT_CGROUPS=0`` switches the groups off (said so in every isolation line):
#: to measure what they cost, or where they misbehave.
SWITCH_ENV = "KMEANS_KIT_CGROUPS"
_TOOLS = ("cgcreate", "cgset", "cgexec", "cgdelete")
_names = itertools.count()


@dataclass(frozen=True)
class Support:
    """Whether jails get cgroups here, and where they go (controller -> parent path)."""

    available: bool
    reason: str = ""
    version: int = 0
    parents: dict[str, str] = field(default_factory=dict)


def _own_groups() -> tuple[int, dict[str, str]]:
    """This process's cgroup version and its path in each controller's hierarchy."""
    v1, unified = {}, None
    for line in Path("/proc/self/cgroup").read_text().splitlines():
        number, controllers, path = line.split(":", 2)
        if number == "0" and controllers == "":
            unified = path
        for controller in controllers.split(","):
            v1[controller] = path
    if all(c in v1 for c in CONTROLLERS):
        return 1, {c: v1[c] for c in CONTROLLERS}
    if unified is not None:
        available = Path("/sys/fs/cgroup/cgroup.controllers")
        found = available.read_text().split() if available.exists() else []
        if all(c in found for c in CONTROLLERS):
            return 2, {c: unified for c in CONTROLLERS}
    return 0, {}


class JailGroup:
    """One jail's control group; :meth:`close` removes it."""

    def __init__(self, state: Support, memory_mb: int | None, processes: int | None):
        name = f"kmeans-kit-{os.getpid()}-{next(_names)}"
        self.paths = {c: f"{state.parents[c].rstrip('/')}/{name}" for c in CONTROLLERS}
        self._version = state.version
        _run(["cgcreate", *self._groups()])
        settings = []
        if self._version == 1:
            settings += [("cpu", "cpu.shares=1024")]
            if memory_mb:
                settings += [("memory", f"memory.limit_in_bytes={memory_mb}M")]
        else:
            settings += [("cpu", "cpu.weight=100")]
            if memory_mb:
                settings += [("memory", f"memory.max={memory_mb}M"),
                             ("memory", "memory.swap.max=0")]
        if processes:
            settings += [("pids", f"pids.max={processes}")]
        try:
            for controller, setting in settings:
                _run(["cgset", "-r", setting, self.paths[controller]])
        except RuntimeError:
            self.close()
            raise

    def _groups(self) -> list[str]:
        if self._version == 2:
            return ["-g", f"{','.join(CONTROLLERS)}:{self.paths['memory']}"]
        return [arg for c in CONTROLLERS for arg in ("-g", f"{c}:{self.paths[c]}")]

    def command(self) -> list[str]:
        """The prefix that starts a command inside the group."""
        return ["cgexec", *self._groups()]

    def close(self) -> None:
        """Remove the group (its processes are gone with the jail's pid namespace; any
        left, as without one, are killed first)."""
        procs = _cgroup_dir(self._version, "pids", self.paths["pids"]) / "cgroup.procs"
        for _ in range(50):   # pass after pass: one forking meanwhile does not get away
            try:
                pids = procs.read_text().split()
            except OSError:
                break
            if not pids:
                break
            for pid in pids:
                try:
                    os.kill(int(pid), 9)
                except (OSError, ValueError):
                    pass
            time.sleep(0.01)
        # One controller at a time, each retried: a group whose last process is still
        # being reaped cannot be removed yet, and one failure must not leave the others.
        controllers = [",".join(CONTROLLERS)] if self._version == 2 else list(CONTROLLERS)
        for names in controllers:
            path = self.paths[names.split(",")[0]]
            directory = _cgroup_dir(self._version, names.split(",")[0], path)
            for _ in range(100):
                subprocess.run(["cgdelete", "-g", f"{names}:{path}"], capture_output=True,
                               check=False)
                if not directory.exists():
                    break
                time.sleep(0.05)


def _remove_stale(state: Support) -> None:
    """Remove the groups a grader that is gone left behind (a group is named after the
    process that made it: one whose last process was still being reaped when its jail
    closed can outlive it)."""
    for controller in CONTROLLERS:
        parent = _cgroup_dir(state.version, controller, state.parents[controller])
        for group in parent.glob("kmeans-kit-*-*"):
            try:
                alive = Path(f"/proc/{int(group.name.split('-')[2])}").exists()
            except ValueError:
                continue
            if not alive:
                path = f"{state.parents[controller].rstrip('/')}/{group.name}"
                subprocess.run(["cgdelete", "-g", f"{controller}:{path}"],
                               capture_output=True, check=False)


def _cgroup_dir(version: int, controller: str, path: str) -> Path:
    root = Path("/sys/fs/cgroup") if version == 2 else Path("/sys/fs/cgroup") / controller
    return root / path.lstrip("/")


def _run(argv: list[str]) -> None:
    done = subprocess.run(argv, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"{' '.join(argv[:2])} failed: "
                           f"{(done.stderr.strip() or done.stdout.strip())[-300:]}")


@functools.lru_cache(maxsize=1)
def support() -> Support:
    """Whether each jail can get a cgroup here (tried once, with a real group)."""
    if os.environ.get(SWITCH_ENV) == "0":
        return Support(False, f"switched off by ${SWITCH_ENV}=0")
    missing = [tool for tool in _TOOLS if shutil.which(tool) is None]
    if missing:
        return Support(False, "libcgroup's tools are not installed (Debian/Ubuntu: "
                              "apt-get install cgroup-tools)")
    try:
        version, parents = _own_groups()
    except OSError as exc:
        return Support(False, f"cannot read this process's cgroups ({exc})")
    if not version:
        return Support(False, "the memory, pids and cpu controllers are not available")
    state = Support(True, "", version, parents)
    _remove_stale(state)
    try:
        JailGroup(state, memory_mb=64, processes=8).close()
    except (RuntimeError, OSError) as exc:
        return Support(False, f"cgroups cannot be delegated to the grader here ({exc})")
    return state


def describe() -> str:
    """The cgroup part of an isolation line."""
    state = support()
    if not state.available:
        return f"NO cgroup per jail ({state.reason})"
    return (f"a cgroup v{state.version} per jail (memory with its RAM disks, processes, an "
            f"equal CPU share)")
