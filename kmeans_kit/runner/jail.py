"""The jail for student code: bubblewrap namespaces, an unprivileged uid and rlimits.

Every process that runs a student's code -- the isolated runner's worker and
the kernel nbgrader starts for the notebook -- is started through
:meth:`Jail.command`, which wraps its command line in three well-kept tools,
``prlimit … -- bwrap … -- setpriv … -- COMMAND``:

``prlimit`` (util-linux)
    CPU time, address space, process count, file size, open files, no core.
``bwrap`` (bubblewrap)
    its own mount, pid, network, ipc, uts and cgroup namespaces (and a user
    namespace when the judge is not root); no capabilities; a session of its
    own; the system, the Python environment and the kit read-only; a private
    ``/tmp`` and ``/dev/shm`` of bounded size; one writable scratch directory;
    nothing else of the machine (the course directory, the gradebook, other
    students' work are simply not there); a clean environment; and it dies
    with its parent. Its pid 1 ends when the student's command ends, and the
    kernel then kills everything left in the namespace, daemons included.
``setpriv`` (util-linux), only when the judge runs as root
    a fresh unprivileged uid and gid, no groups, an empty capability bounding
    set and ``no_new_privs``, right before the student's command. The uid is
    leased (a lock held while the jail lives), so two graders running side by
    side never share one: ``RLIMIT_NPROC`` counts per uid.
``cgexec`` (libcgroup), where cgroups can be made
    a control group per jail (:mod:`~kmeans_kit.runner.cgroup`): memory (its RAM
    disks included), processes and CPU bounded for the jail as a whole, where the
    rlimits bound each process alone.

bubblewrap rather than ``unshare``: one process sets up every namespace and
mount from a declarative command line, maps the uid and drops capabilities
itself, and is the sandbox Flatpak relies on; ``unshare`` would need a
hand-written mount script run with capabilities inside the namespace.

Where the jail cannot be built (no bubblewrap, user namespaces switched off,
not Linux), :func:`isolation` says why, and callers degrade openly; the same for a
cgroup per jail. A jail is closed (:meth:`Jail.close`) when its process is gone: that
returns its uid and removes its cgroup.
"""

from __future__ import annotations

import fcntl
import functools
import importlib.util
import os
import shutil
import stat
import subprocess
import sys
import sysconfig
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ..settings import Limits
from . import cgroup

#: Where the scratch directory appears inside the jail (also ``$HOME`` and the cwd).
HOME = "/home/student"
#: The first words of the ImportError a hidden module raises in the worker's jail.
HIDDEN_MARKER = "Not available while your functions are graded:"
#: Unprivileged uids handed to jails when the judge runs as root (one per jail).
_UID_BASE, _UID_COUNT = 61000, 4000
#: Where the uid leases are held (a lock file per uid, locked while its jail lives).
_UID_LEASES = Path(tempfile.gettempdir()) / "kmeans-kit-uids"
#: The kit's packages, shown read-only in every jail wherever they are installed.
KIT_PACKAGES = ("kmeans_kit", "reference")
# Variables the jail keeps from the judge's environment; everything else is dropped.
_PASS_ENV = ("LANG", "LC_ALL", "TZ", "OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE", "KMEANS_KIT_PROFILE",
             "NBGRADER_EXECUTION")
# What even student code run without the jail must not see: the gradebook's URL and
# libpq's settings may carry a password (grader_config.DB_URL_ENV, docs/postgresql.md), and
# the course's salt would let student code compute a classmate's data (grader_config.SALT_ENV).
_SECRET_ENV = ("KMEANS_KIT_DB_URL", "PG", "KMEANS_KIT_DATA_SALT")


#: The isolation levels, strongest first (see :class:`Isolation`).
JAIL, UID_ONLY, NONE = "jail", "uid-only", "none"
#: Set to ``uid-only`` to use that level even where the full jail could be built (a
#: container whose policy asks for it, or to try the level out).
LEVEL_ENV = "KMEANS_KIT_ISOLATION"


@dataclass(frozen=True)
class Isolation:
    """Which isolation a run of student code had, as every adapter reports it.

    ``level`` is :data:`JAIL` (namespaces, a fresh uid, rlimits), :data:`UID_ONLY`
    (``setpriv`` to a fresh uid plus the rlimits, no namespaces: for a container where
    root cannot make namespaces, such as Gradescope's) or :data:`NONE` (a plain
    subprocess). ``jailed`` is True for the first two: student code runs wrapped by
    :meth:`Jail.command`.
    """

    jailed: bool
    reason: str = ""   # why there is no jail (or only the uid-only level)
    cgroup: str = ""   # the cgroup part of the line
    level: str = ""

    def __post_init__(self):
        if not self.level:
            object.__setattr__(self, "level", JAIL if self.jailed else NONE)

    def describe(self) -> str:
        groups = self.cgroup or cgroup.describe()
        if self.level == JAIL:
            return ("jail (bubblewrap: own uid, no capabilities, read-only system, private "
                    "scratch, own pid and network namespaces, resource limits; "
                    f"{groups})")
        if self.level == UID_ONLY:
            return ("uid-only jail (setpriv: own uid, no capabilities, resource limits; "
                    "NO namespaces, so the machine's files readable by anyone are readable, "
                    f"and forbidden helpers are only watched; {groups}) -- {self.reason}")
        return f"plain subprocess, NOT jailed ({self.reason})"


_DEFAULT = Limits()


@dataclass(frozen=True)
class JailLimits:
    """rlimits of a jailed process (``None``: leave that limit as it is); by default the
    isolated worker's (:class:`~kmeans_kit.settings.Limits`)."""

    cpu_seconds: int | None = _DEFAULT.cpu_seconds
    memory_mb: int | None = _DEFAULT.memory_mb
    processes: int | None = _DEFAULT.processes   # threads count too (OpenBLAS, the kernel's own)
    file_mb: int | None = _DEFAULT.file_mb
    open_files: int | None = _DEFAULT.open_files
    disk_mb: int = 256                # each RAM disk: /tmp, /dev/shm, and a scratch of None

    @property
    def group_memory_mb(self) -> int | None:
        """The jail's memory as a whole: its processes and the three RAM disks they can
        fill (/tmp, /dev/shm and the scratch: a RAM disk of the jail's, or the kernel's
        tmpfs, whose pages are charged to the jail that writes them)."""
        if self.memory_mb is None:
            return None
        return self.memory_mb + 3 * self.disk_mb


@dataclass
class Jail:
    """One jail: where its scratch is, what it may see, which limits it has.

    Parameters
    ----------
    scratch : Path or None
        The only writable place (besides a private ``/tmp``); appears at :data:`HOME`.
        None: a RAM disk of ``limits.disk_mb`` there instead (nothing comes back out).
    limits : JailLimits
        rlimits for every process in the jail.
    kit_view : Path, optional
        A directory to show read-only in place of the ``kmeans_kit`` package
        (the worker sees only the data generator and its own plumbing); by
        default the package itself.
    hide : tuple of (Path, Path)
        Packages (or modules) of the environment that must not be importable, each
        with the stub that covers it: a module that raises ImportError (see
        :func:`hidden_stub`).
    shared : tuple of Path
        Directories shown read-write at the same path (the kernel's ipc sockets).
    grouped : bool
        Give the jail a cgroup of its own where one can be made (False: only for
        measuring what the group adds).
    namespaces : bool
        The full jail (True), or the uid-only level: ``setpriv`` to the jail's uid and
        the limits, in ``scratch`` (which must then be a directory), with no namespaces.
    """

    scratch: Path | None
    limits: JailLimits = field(default_factory=JailLimits)
    kit_view: Path | None = None
    hide: tuple[tuple[Path, Path], ...] = ()   # (path to cover, stub file)
    shared: tuple[Path, ...] = ()
    uid: int | None = None
    grouped: bool = True
    namespaces: bool = True
    _lease: int | None = field(default=None, repr=False)
    _group: cgroup.JailGroup | None = field(default=None, repr=False)

    def __post_init__(self):
        if self.uid is None and os.geteuid() == 0:
            self.uid, self._lease = _lease_uid()
        if self.grouped and cgroup.support().available:
            self._group = cgroup.JailGroup(cgroup.support(), self.limits.group_memory_mb,
                                           self.limits.processes)

    def close(self) -> None:
        """Give back the jail's uid and remove its cgroup (once its processes are gone).

        Without namespaces nothing ends the jail's processes with it: its cgroup's are
        killed, and, without one, every process of its (leased) uid."""
        group, self._group = self._group, None
        if group is not None:
            group.close()
        elif not self.namespaces and self.uid is not None:
            _kill_uid(self.uid)
        lease, self._lease = self._lease, None
        if lease is not None:
            os.close(lease)   # closing the file releases its lock

    def __del__(self):
        try:
            self.close()
        except Exception:  # noqa: BLE001 - a forgotten jail must not stop the judge
            pass

    def prepare(self) -> None:
        """Make the scratch (and shared) directories the jailed uid's own.

        They are opened to others (bubblewrap, without capabilities, enters them
        before dropping to the jail's uid), so each should lie in a directory
        private to the judge.
        """
        if self.uid is None:
            return
        for root in (*filter(None, [self.scratch]), *self.shared):
            for path in [root, *root.rglob("*")]:
                os.lchown(path, self.uid, self.uid)
            root.chmod(0o755)

    def command(self, argv: list[str], env: dict[str, str] | None = None) -> list[str]:
        """``argv`` wrapped so that it runs inside this jail."""
        limits = self.limits
        wrapped = (self._group.command() if self._group is not None else []) + \
            ["prlimit", "--core=0"]
        for flag, value in (("--cpu", limits.cpu_seconds),
                            ("--as", limits.memory_mb and limits.memory_mb * 2**20),
                            # RLIMIT_NPROC counts every process of the uid: only a
                            # jail uid of its own can be limited without harm.
                            ("--nproc", self.uid is not None and limits.processes),
                            ("--fsize", limits.file_mb and limits.file_mb * 2**20),
                            ("--nofile", limits.open_files)):
            if value:
                wrapped.append(f"{flag}={int(value)}")
        wrapped.append("--")
        if not self.namespaces:
            return wrapped + self._uid_only(argv, env)
        if self.uid is None:
            # An unprivileged judge: bubblewrap maps its uid in a user namespace of its own.
            wrapped += ["bwrap", "--unshare-all", "--cap-drop", "ALL"]
        else:
            # A root judge: bubblewrap builds the namespaces with root's rights (it can bind
            # an interpreter under /root) and keeps only the rights to change uid and drop
            # capabilities, which setpriv, the last step before the student's command, uses
            # to become the jail's own uid with nothing left.
            wrapped += ["bwrap", "--unshare-ipc", "--unshare-pid", "--unshare-net",
                        "--unshare-uts", "--unshare-cgroup-try", "--cap-drop", "ALL",
                        "--cap-add", "CAP_SETUID", "--cap-add", "CAP_SETGID",
                        "--cap-add", "CAP_SETPCAP"]
        # A session of its own: no signal to the judge's process group reaches it, and
        # no terminal can be fed keystrokes (TIOCSTI) from inside.
        wrapped += ["--die-with-parent", "--new-session", "--hostname", "jail", "--clearenv"]
        system = _system_mounts(limits.disk_mb * 2**20)
        mounts = _python_mounts()
        for name in KIT_PACKAGES:
            package = package_dir(name)
            shown = self.kit_view if self.kit_view is not None and name == "kmeans_kit" else package
            mounts += ["--ro-bind", str(shown), str(package)]
        for covered, stub in self.hide:
            if covered.is_dir():
                mounts += ["--tmpfs", str(covered), "--ro-bind", str(stub),
                           str(covered / "__init__.py")]
            else:
                mounts += ["--ro-bind", str(stub), str(covered)]
        if self.scratch is None:
            mounts += ["--size", str(limits.disk_mb * 2**20), "--perms", "0777",
                       "--tmpfs", HOME]
        else:
            mounts += ["--bind", str(self.scratch), HOME]
        for path in self.shared:
            mounts += ["--bind", str(path), str(path)]
        wrapped += system + _parents(mounts, system) + mounts + ["--chdir", HOME]
        environment = _environment(env, HOME, "/tmp")
        for name, value in environment.items():
            wrapped += ["--setenv", name, value]
        wrapped.append("--")
        if self.uid is not None:
            wrapped += ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                        "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--"]
        return wrapped + list(argv)


    def _uid_only(self, argv: list[str], env: dict[str, str] | None) -> list[str]:
        """``setpriv`` to the jail's uid, a clean environment, in the scratch directory."""
        if self.uid is None or self.scratch is None:
            raise RuntimeError("the uid-only level needs a root judge and a scratch directory")
        home = str(self.scratch)
        environment = dict(_environment(env, home, home), PWD=home)
        return ["setpriv", f"--reuid={self.uid}", f"--regid={self.uid}", "--clear-groups",
                "--inh-caps=-all", "--bounding-set=-all", "--no-new-privs", "--",
                "env", "-i", "-C", home, *(f"{k}={v}" for k, v in environment.items()),
                *argv]


def unjailed_environment() -> dict[str, str]:
    """The judge's environment without its secrets, for student code that runs without
    the jail (allowed by ``ALLOW_UNJAILED_GRADING``); a jail passes only ``_PASS_ENV``."""
    return {name: value for name, value in os.environ.items()
            if not name.startswith(_SECRET_ENV)}


def remove_tree(path: str | os.PathLike) -> None:
    """Remove a scratch tree of any depth, never crossing into a mount below it.

    coreutils' ``rm`` walks a tree of any depth; Python's ``shutil.rmtree`` recurses, and a
    chain of directories deeper than the recursion limit made it fail and leave the scratch
    behind.
    """
    if shutil.which("rm") is None:   # Windows: no coreutils, and no mounts to cross
        shutil.rmtree(path, ignore_errors=True)
        return
    subprocess.run(["rm", "-rf", "--one-file-system", "--", str(path)], capture_output=True,
                   check=False)


def _environment(env: dict[str, str] | None, home: str, tmp: str) -> dict[str, str]:
    """A jailed process's whole environment: what the jail keeps from the judge's, the
    caller's ``env``, and its own home, temporary directory and PATH."""
    environment = {name: os.environ[name] for name in _PASS_ENV if name in os.environ}
    environment.update(env or {})
    environment.update(HOME=home, TMPDIR=tmp,
                       PATH=f"{Path(sys.executable).parent}:/usr/local/bin:/usr/bin:/bin")
    return environment


def _kill_uid(uid: int) -> None:
    """Kill every process of ``uid`` (a leased jail uid: no one else's), pass after pass,
    so that one forking while the first pass runs does not get away."""
    for _ in range(50):
        found = False
        for entry in Path("/proc").iterdir():
            try:
                if entry.name.isdigit() and entry.stat().st_uid == uid:
                    os.kill(int(entry.name), 9)
                    found = True
            except OSError:
                pass
        if not found:
            return


def _lease_uid() -> tuple[int, int]:
    """A uid no other jail on this machine holds, and the lock file descriptor that holds it."""
    _UID_LEASES.mkdir(mode=0o700, exist_ok=True)
    info = os.lstat(_UID_LEASES)
    if not stat.S_ISDIR(info.st_mode) or info.st_uid != os.geteuid() or info.st_mode & 0o077:
        raise RuntimeError(f"{_UID_LEASES} is not a directory private to the grader; remove it")
    start = int.from_bytes(os.urandom(2), "big")
    for step in range(_UID_COUNT):
        uid = _UID_BASE + (start + step) % _UID_COUNT
        fd = os.open(_UID_LEASES / str(uid),
                     os.O_CREAT | os.O_RDWR | os.O_CLOEXEC | os.O_NOFOLLOW, 0o600)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            continue
        return uid, fd
    raise RuntimeError(f"all {_UID_COUNT} jail uids are in use")


def _system_mounts(ram_disk: int) -> list[str]:
    """The jail's base: /proc, /dev, private /tmp and /dev/shm of ``ram_disk`` bytes each (a
    RAM disk is memory the address-space limit does not see), /usr and /etc read-only."""
    args = ["--proc", "/proc", "--dev", "/dev"]
    for disk in ("/dev/shm", "/tmp"):
        args += ["--size", str(ram_disk), "--perms", "1777", "--tmpfs", disk]
    for top in ("/bin", "/sbin", "/lib", "/lib32", "/lib64", "/libx32"):
        if os.path.islink(top):
            args += ["--symlink", os.readlink(top), top]
        elif os.path.isdir(top):
            args += ["--ro-bind", top, top]
    return args + ["--ro-bind", "/usr", "/usr", "--ro-bind", "/etc", "/etc"]


def _python_mounts() -> list[str]:
    """Read-only binds of the interpreter and the environment, where they are not in /usr."""
    args = []
    roots = {Path(p).resolve() for p in (sys.prefix, sys.base_prefix, sys.exec_prefix,
                                         sysconfig.get_paths()["purelib"])}
    for root in sorted(roots):
        if not str(root).startswith(("/usr/", "/etc/")) and root.is_dir():
            args += ["--ro-bind", str(root), str(root)]
    return args


def _parents(mounts: list[str], made: list[str]) -> list[str]:
    """``--dir`` for every parent of a mount point, open to all: bubblewrap would make
    them private to root, and the jail's uid could not reach /root/.pyenv or the venv.
    Directories that ``made`` (the mounts before these) already holds are left alone."""
    def targets(args):
        return [Path(args[i + 1] if arg in ("--tmpfs", "--proc", "--dev") else args[i + 2])
                for i, arg in enumerate(args)
                if arg in ("--ro-bind", "--bind", "--tmpfs", "--symlink", "--proc", "--dev")]

    existing = set(targets(made))
    parents = sorted({p for t in targets(mounts) for p in t.parents
                      if p != Path("/") and p not in existing},
                     key=lambda p: len(p.parts))
    args = []
    for parent in parents:
        args += ["--perms", "0755", "--dir", str(parent)]
    return args


@functools.cache
def package_dir(name: str) -> Path:
    """Where the installed package ``name`` lives (an editable install: the checkout)."""
    spec = importlib.util.find_spec(name)
    if spec is None or not spec.submodule_search_locations:
        raise ModuleNotFoundError(f"the kit's package {name!r} is not installed: "
                                  "run `bash bin/setup`")
    return Path(next(iter(spec.submodule_search_locations))).resolve()


_STUB = '''"""{dotted} stands in for the real package while your functions are graded."""
import importlib.abc as _abc
import importlib.machinery as _machinery
import sys as _sys
import types as _types

_PREFIX, _MESSAGE = {dotted!r}, {message!r}
__all__ = {names!r}


class ForbiddenHelperError(ImportError):
    """A helper that does the graded step for you was used."""


def _refuse(name):
    raise ForbiddenHelperError(_MESSAGE.replace({dotted!r}, name, 1))


class _Helper:
    """Anything taken from here: importing it works, using it raises."""

    __slots__ = ("_name",)

    def __init__(self, name):
        object.__setattr__(self, "_name", name)

    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Helper(self._name + "." + attr)

    def __repr__(self):
        return "<not available while graded: " + self._name + ">"

    def __call__(self, *args, **kwargs):
        _refuse(self._name)

    def __getitem__(self, key):
        _refuse(self._name)

    def __iter__(self):
        _refuse(self._name)

    def __mro_entries__(self, bases):
        _refuse(self._name)


class _Module(_types.ModuleType):
    def __getattr__(self, attr):
        if attr.startswith("__"):
            raise AttributeError(attr)
        return _Helper(self.__name__ + "." + attr)


class _Finder(_abc.MetaPathFinder, _abc.Loader):
    """Every module below the hidden one is a stand-in too."""

    def find_spec(self, name, path=None, target=None):
        if name.startswith(_PREFIX + "."):
            return _machinery.ModuleSpec(name, self, is_package=True)
        return None

    def create_module(self, spec):
        return _Module(spec.name)

    def exec_module(self, module):
        module.__path__ = []


_sys.meta_path.insert(0, _Finder())
_sys.modules[__name__].__class__ = _Module
__path__ = []
'''


def stub_source(dotted: str, why: str, names: tuple[str, ...] = ()) -> str:
    """The source of a stand-in for the module ``dotted``: importing it (and anything
    below it) works, so a submission that imports a forbidden helper at the top still
    loads; using anything from it raises an ``ImportError`` (``ForbiddenHelperError``)
    whose message starts with :data:`HIDDEN_MARKER` and names what was used, so only the
    function that uses it fails, and the runner counts it as delegated. ``names`` are
    the real module's public names, for ``from dotted import *``."""
    return _STUB.format(dotted=dotted, message=f"{HIDDEN_MARKER} {dotted} ({why})",
                        names=list(names))


def hidden_stub(directory: Path, dotted: str, why: str, names: tuple[str, ...] = ()) -> Path:
    """Write :func:`stub_source` for ``dotted`` into ``directory``; returns its path."""
    stub = directory / f"hidden-{dotted}.py"
    stub.write_text(stub_source(dotted, why, names), encoding="utf-8")
    stub.chmod(0o644)
    return stub


@functools.lru_cache(maxsize=1)
def isolation() -> Isolation:
    """The strongest isolation this machine allows (each level tried once, for real).

    The full jail; else, for a root judge, the uid-only level (see :class:`Isolation`);
    else none, with the reason. ``$KMEANS_KIT_ISOLATION=uid-only`` asks for the uid-only
    level even where the full jail could be built.
    """
    if not sys.platform.startswith("linux"):
        return Isolation(False, f"the jail needs Linux namespaces; this is {sys.platform}")
    missing = [tool for tool in ("prlimit", "setpriv") if shutil.which(tool) is None]
    if missing:
        return Isolation(False, f"{', '.join(missing)} not found: install util-linux")
    if os.environ.get(LEVEL_ENV) == UID_ONLY:
        why = f"the uid-only level was asked for (${LEVEL_ENV})"
    elif shutil.which("bwrap") is None:
        why = "bubblewrap is not installed (Debian/Ubuntu: apt-get install bubblewrap)"
    else:
        why = _probe(namespaces=True)
        if why is None:
            return Isolation(True, cgroup=cgroup.describe())
        why = (f"bubblewrap could not build the jail ({why}); user namespaces may be "
               "switched off, e.g. Ubuntu 24.04's AppArmor default: "
               "sysctl kernel.apparmor_restrict_unprivileged_userns=0")
    if os.geteuid() != 0:
        return Isolation(False, why)
    failed = _probe(namespaces=False)
    if failed is not None:
        return Isolation(False, f"{why}; setpriv could not switch uid either ({failed})")
    return Isolation(True, why, cgroup.describe(), UID_ONLY)


def _probe(namespaces: bool) -> str | None:
    """Run ``print('ok')`` in a jail of that kind; None when it worked, else why not."""
    with tempfile.TemporaryDirectory(prefix="kmeans-kit-probe-") as private:
        scratch = Path(private) / "scratch"
        scratch.mkdir()
        Path(private).chmod(0o711)
        jail = Jail(scratch, JailLimits(cpu_seconds=10), namespaces=namespaces)
        jail.prepare()
        try:
            done = subprocess.run(jail.command([sys.executable, "-c", "print('ok')"]),
                                  capture_output=True, text=True, timeout=60)
        except (OSError, subprocess.TimeoutExpired) as exc:
            return f"it could not start: {exc}"
        finally:
            jail.close()
    if done.returncode != 0 or done.stdout.strip() != "ok":
        return (done.stderr.strip().splitlines() or ["no message"])[-1]
    return None
