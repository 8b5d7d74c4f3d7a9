"""The notebook's kernel, started in the jail: a jupyter_client kernel manager.

nbgrader executes a submitted notebook in a kernel that would otherwise run
with the grader's rights. :class:`JailedKernelManager` starts that kernel
through :class:`~kmeans_kit.runner.jail.Jail` instead:

* the kernel talks to nbgrader over zmq ``ipc`` sockets in a directory of its
  own, the only place besides its scratch that it shares with the judge (it has
  no network at all, not even loopback);
* its working directory is a scratch *copy* of the submission's directory, so
  cells can write pictures (``kmeans.gif``) next to the notebook; when the
  kernel is gone, the regular files it made or changed are copied back (never
  a link, a notebook or Python code, never more than :attr:`copy_back_mb`);
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
import stat
import tempfile
from pathlib import Path

from jupyter_client.manager import AsyncKernelManager
from traitlets import Float, Integer

from .jail import Jail, JailLimits


class JailedKernelManager(AsyncKernelManager):
    """An ``AsyncKernelManager`` whose kernel runs in the jail."""

    memory_mb = Integer(4096, help="Address-space limit of the kernel, in MB.").tag(config=True)
    cpu_seconds = Integer(600, help="CPU-time limit of the kernel, in seconds.").tag(config=True)
    processes = Integer(128, help="Process (and thread) limit of the kernel's uid.").tag(
        config=True)
    copy_back_mb = Float(64.0, help="At most this many MB of the kernel's files are copied "
                                    "back next to the notebook.").tag(config=True)

    _private: Path | None = None
    _origin: Path | None = None

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
        self._origin = Path(kw.get("cwd") or os.getcwd())
        _copy_regular_files(self._origin, scratch, limit=None, skip=())
        scratch.mkdir(exist_ok=True)
        self.transport, self.ip = "ipc", str(ipc / "kernel")
        self.connection_file = str(ipc / "kernel.json")
        jail = Jail(scratch, JailLimits(cpu_seconds=self.cpu_seconds, memory_mb=self.memory_mb,
                                        processes=self.processes),
                    shared=(ipc,))
        cmd, kw = await super()._async_pre_start_kernel(**kw)
        jail.prepare()   # after the connection file is written: the kernel must read it
        env = kw.get("env") or {}
        keep = {name: env[name] for name in ("NBGRADER_EXECUTION", "KMEANS_KIT_PROFILE",
                                             "MPLBACKEND") if name in env}
        # Caches go to the jail's private /tmp, not next to the notebook.
        keep.update(IPYTHONDIR="/tmp/ipython", MPLCONFIGDIR="/tmp/matplotlib")
        keep.setdefault("MPLBACKEND", "Agg")
        return jail.command(cmd, keep), kw

    async def _async_cleanup_resources(self, restart: bool = False) -> None:
        await super()._async_cleanup_resources(restart=restart)
        if not restart:
            self._release()

    def _release(self) -> None:
        """Copy the kernel's new files next to the notebook, then remove the jail's files."""
        if self._private is None:
            return
        private, self._private = self._private, None
        try:
            if self._origin is not None:
                _copy_regular_files(private / "work", self._origin,
                                    limit=int(self.copy_back_mb * 2**20), skip=_NOT_COPIED_BACK)
        finally:
            shutil.rmtree(private, ignore_errors=True)


#: Kinds of file the kernel may not leave next to the notebook: the notebook itself is
#: nbgrader's, and code there could be imported by a later step run in that directory.
_NOT_COPIED_BACK = (".ipynb", ".py", ".pyc", ".pth", ".so")


def _copy_regular_files(source: Path, target: Path, *, limit: int | None,
                        skip: tuple[str, ...]) -> None:
    """Copy the regular files below ``source`` that are new or changed into ``target``.

    Links, devices and sockets are skipped at both ends, so a student cannot make
    the judge read or write anything outside the two trees.
    """
    copied = 0
    for folder, dirs, files in os.walk(source, followlinks=False):
        relative = Path(folder).relative_to(source)
        destination = target / relative
        if destination.is_symlink() or (destination.exists() and not destination.is_dir()):
            dirs[:] = []
            continue
        destination.mkdir(parents=True, exist_ok=True)
        for name in files:
            origin, copy = Path(folder) / name, destination / name
            if name.endswith(skip):
                continue
            info = origin.lstat()
            if not stat.S_ISREG(info.st_mode) or copy.is_symlink():
                continue
            if copy.exists() and copy.stat().st_size == info.st_size \
                    and copy.read_bytes() == origin.read_bytes():
                continue
            copied += info.st_size
            if limit is not None and copied > limit:
                return
            with open(os.open(origin, os.O_RDONLY | os.O_NOFOLLOW), "rb") as src, \
                    open(copy, "wb") as dst:
                shutil.copyfileobj(src, dst)
