"""The notebook's kernel, started in the jail: a jupyter_client kernel manager.

nbgrader executes a submitted notebook in a kernel that would otherwise run
with the grader's rights. :class:`JailedKernelManager` starts that kernel
through :class:`~kmeans_kit.runner.jail.Jail` instead:

* the kernel talks to nbgrader over zmq ``ipc`` sockets in a directory of its
  own, the only place besides its scratch that it shares with the judge (it has
  no network at all, not even loopback);
* its working directory is a scratch *copy* of the submission's directory, so
  cells can write pictures (``kmeans.gif``) next to the notebook. When the judge
  runs as root the scratch is a tmpfs of its own, bounded in bytes
  (:attr:`scratch_mb`) and in files (:attr:`scratch_files`), so a notebook cannot
  fill the grader's disk, and it is unmounted afterwards, however deep its tree;
* when the kernel is gone, the regular files it made or changed are copied back
  (never a link, a notebook or Python code), within :attr:`copy_back_mb`,
  :attr:`copy_back_files` and :data:`COPY_BACK_DEPTH`, walking the tree without
  recursion;
* it keeps scikit-learn and the kit (the narrative's comparison cells use
  them): the kernel decides no grade, the isolated checks do.

The kernel is interrupted with a message on its control channel (it then
signals itself): a signal from outside would reach bubblewrap, not the kernel,
as the jail is a session of its own. Whether it answers is
:class:`~kmeans_kit.adapters.nbgrader.SurvivingExecute`'s business.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import tempfile
from collections import deque
from pathlib import Path

from traitlets import Float, Integer

from ..student_data import SEED_ENV, STUDENT_ENV
from .jail import JAIL, Jail, JailLimits, isolation, remove_tree
from .kernel_channel import GuardedKernelManager


class JailedKernelManager(GuardedKernelManager):
    """A kernel manager whose kernel runs in the jail (and whose client checks what the
    kernel sends: :mod:`~kmeans_kit.runner.kernel_channel`)."""

    memory_mb = Integer(4096, help="Address-space limit of the kernel, in MB.").tag(config=True)
    cpu_seconds = Integer(600, help="CPU-time limit of the kernel, in seconds.").tag(config=True)
    processes = Integer(128, help="Process (and thread) limit of the kernel's uid.").tag(
        config=True)
    copy_back_mb = Float(64.0, help="At most this many MB of the kernel's files are copied "
                                    "back next to the notebook.").tag(config=True)
    copy_back_files = Integer(200, help="At most this many of the kernel's files are copied "
                                        "back next to the notebook.").tag(config=True)
    scratch_mb = Integer(256, help="Size of the kernel's scratch (its working directory), a "
                                   "tmpfs when the grader runs as root.").tag(config=True)
    scratch_files = Integer(10000, help="Files and directories the kernel's scratch may "
                                        "hold (its tmpfs's inodes).").tag(config=True)

    _private: Path | None = None
    _origin: Path | None = None
    _jail: Jail | None = None

    @property
    def kernel_spec(self):
        spec = super().kernel_spec
        if spec is not None:
            spec.interrupt_mode = "message"
        return spec

    async def _async_pre_start_kernel(self, **kw):
        self._release()
        # A short private path: a unix socket's path has at most 107 bytes.
        self._private = Path(tempfile.mkdtemp(prefix="kk-", dir="/tmp"))
        ipc, scratch = self._private / "ipc", self._private / "work"
        ipc.mkdir()
        scratch.mkdir()
        if os.geteuid() == 0:
            _mount_tmpfs(scratch, self.scratch_mb, self.scratch_files)
        self._origin = Path(kw.get("cwd") or os.getcwd())
        _copy_regular_files(self._origin, scratch, skip=(), max_files=self.copy_back_files,
                            max_bytes=int(self.copy_back_mb * 2**20))
        self.transport, self.ip = "ipc", str(ipc / "kernel")
        self.connection_file = str(ipc / "kernel.json")
        namespaces = isolation().level == JAIL
        if not namespaces:   # the uid-only level: its uid must pass through to ipc/ and work/
            self._private.chmod(0o711)
        self._jail = jail = Jail(scratch, JailLimits(
            cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb, processes=self.processes,
            disk_mb=self.scratch_mb), shared=(ipc,), namespaces=namespaces)
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        jail.prepare()   # after the connection file is written: the kernel must read it
        env = kw.get("env") or {}
        # The student's id and own seed (never the course's salt: kmeans_kit/student_data.py).
        keep = {name: env[name] for name in ("NBGRADER_EXECUTION", "KMEANS_KIT_PROFILE",
                                             "MPLBACKEND", STUDENT_ENV, SEED_ENV) if name in env}
        # Caches go to the jail's private /tmp, not next to the notebook. joblib (under
        # scikit-learn's KMeans) would look for lscpu to count cores, which the jail has
        # not, and warn in the student's feedback; the jail's processes are bounded anyway.
        keep.update(IPYTHONDIR="/tmp/ipython", MPLCONFIGDIR="/tmp/matplotlib",
                    LOKY_MAX_CPU_COUNT="1")
        keep.setdefault("MPLBACKEND", "Agg")
        return jail.command(cmd, keep), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        try:
            await super()._async_cleanup_resources(restart=restart)
        finally:
            if not restart:
                self._release()

    # AsyncKernelManager binds ``cleanup_resources`` to the base class's coroutine, and
    # nbclient calls it, not shutdown_kernel, for a kernel that is already dead: without
    # this, a kernel that died (os._exit, the memory limit) left its scratch mounted.
    cleanup_resources = _async_cleanup_resources

    def _release(self) -> None:
        """Copy the kernel's new files next to the notebook, then remove the jail's files."""
        if self._private is None:
            return
        private, self._private = self._private, None
        jail, self._jail = self._jail, None
        if jail is not None:   # the kernel is gone: its uid back, its cgroup gone
            jail.close()
        try:
            if self._origin is not None:
                _copy_regular_files(private / "work", self._origin, skip=_NOT_COPIED_BACK,
                                    max_bytes=int(self.copy_back_mb * 2**20),
                                    max_files=self.copy_back_files)
        finally:
            _remove(private)


#: Kinds of file the kernel may not leave next to the notebook: the notebook itself is
#: nbgrader's, and code there could be imported by a later step run in that directory.
_NOT_COPIED_BACK = (".ipynb", ".py", ".pyc", ".pth", ".so")


#: How deep below the notebook's directory files are copied back.
COPY_BACK_DEPTH = 8


def _mount_tmpfs(path: Path, megabytes: int, inodes: int) -> None:
    """Mount a tmpfs of ``megabytes`` and ``inodes`` at ``path`` (util-linux's mount)."""
    subprocess.run(["mount", "-t", "tmpfs", "-o",
                    f"size={int(megabytes)}m,nr_inodes={int(inodes)},mode=0700,nosuid,nodev",
                    "kmeans-kit-scratch", str(path)], check=True, capture_output=True)


def _remove(private: Path) -> None:
    """Remove the kernel's private directory, unmounting its scratch first if mounted."""
    scratch = private / "work"
    if os.path.ismount(scratch):
        subprocess.run(["umount", "--lazy", str(scratch)], check=False, capture_output=True)
    remove_tree(private)


def _copy_regular_files(source: Path, target: Path, *, skip: tuple[str, ...],
                        max_bytes: int | None = None, max_files: int | None = None,
                        max_depth: int = COPY_BACK_DEPTH) -> None:
    """Copy the regular files below ``source`` that are new or changed into ``target``.

    Links, devices and sockets are skipped at both ends, so a student cannot make
    the judge read or write anything outside the two trees. The walk is breadth
    first with a queue (no recursion), goes at most ``max_depth`` directories down and
    stops at ``max_files`` files and directories or ``max_bytes`` bytes copied, whichever
    comes first.
    """
    queue, copied_bytes, copied_files = deque([(source, target, 0)]), 0, 0
    while queue:
        folder, destination, depth = queue.popleft()
        if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
            continue
        destination.mkdir(parents=True, exist_ok=True)
        with os.scandir(folder) as entries:
            for entry in entries:
                origin, copy = Path(entry.path), destination / entry.name
                if entry.is_dir(follow_symlinks=False):
                    copied_files += 1
                    if max_files is not None and copied_files > max_files:
                        return
                    if depth < max_depth:
                        queue.append((origin, copy, depth + 1))
                    continue
                if entry.name.endswith(skip) or not entry.is_file(follow_symlinks=False) \
                        or copy.is_symlink():
                    continue
                size = entry.stat(follow_symlinks=False).st_size
                if copy.exists() and copy.stat().st_size == size \
                        and copy.read_bytes() == origin.read_bytes():
                    continue
                copied_bytes, copied_files = copied_bytes + size, copied_files + 1
                if (max_bytes is not None and copied_bytes > max_bytes) or \
                        (max_files is not None and copied_files > max_files):
                    return
                with open(os.open(origin, os.O_RDONLY | os.O_NOFOLLOW), "rb") as src, \
                        open(copy, "wb") as dst:
                    shutil.copyfileobj(src, dst)
