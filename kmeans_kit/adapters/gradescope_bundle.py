"""``kmeans-kit gradescope-bundle``: the zip a course uploads as its Gradescope autograder.

The zip holds, at its root (Gradescope unpacks it into ``/autograder/source``):

``setup.sh``
    run once, as root, when Gradescope builds the image: Python (deadsnakes on Ubuntu
    22.04, whose own Python is 3.10), the jail's tools, then the kit installed into
    ``/autograder/venv`` from the zip's wheelhouse alone (``pip install --no-index``).
``run_autograder``
    run per submission: picks the student's file in ``/autograder/submission`` and runs
    ``kmeans-kit grade`` on it, which writes ``/autograder/results/results.json``.
``grade_indexed``
    the same for one pod of a Kubernetes Indexed Job (``JOB_COMPLETION_INDEX``).
``grader_config.py``
    the course's settings, with ``ALLOW_UID_ONLY_GRADING = True``: Gradescope's containers
    run as root without namespaces, so the uid-only jail is the one that can be built.
``constraints.txt`` and ``wheelhouse/``
    the class-wide pins, and a wheel for the kit and for each of its pinned dependencies,
    for one Python version on x86_64 manylinux.

The scripts are package data (``kmeans_kit/templates/gradescope/``); docs/gradescope.md
says what each does and why.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tempfile
import zipfile
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

#: The scripts of the bundle, from ``kmeans_kit/templates/gradescope/``.
SCRIPTS = ("setup.sh", "run_autograder", "grade_indexed")
#: What Gradescope's base image has: Ubuntu 22.04 on x86_64, glibc 2.35.
DEFAULT_GLIBC = "2.35"
#: The distribution name of the kit (what setup.sh installs).
DISTRIBUTION = "kmeans-teaching-kit"
_UID_ONLY = re.compile(r"^ALLOW_UID_ONLY_GRADING\s*=.*$", re.MULTILINE)


@dataclass(frozen=True)
class Bundle:
    """What :func:`build_bundle` wrote: the zip, its size and what its wheelhouse holds."""

    path: Path
    python_version: str
    wheels: tuple[str, ...]

    @property
    def megabytes(self) -> float:
        return self.path.stat().st_size / 2**20


def python_tag(version: str) -> tuple[str, str]:
    """``'3.11.7'`` -> ``('3.11.7', 'cp311')``: the version pip checks and the wheels' ABI.

    Raises
    ------
    ValueError
        When ``version`` is not ``3.X.Y`` with X at least 11 (the kit's ``requires-python``).
    """
    match = re.fullmatch(r"3\.(\d+)\.(\d+)", version)
    if match is None:
        raise ValueError(f"--python-version {version!r}: give major, minor and patch, e.g. "
                         f"3.11.9 (pip checks each pin's Requires-Python against the patch)")
    if int(match[1]) < 11:
        raise ValueError(f"--python-version {version}: the kit needs Python 3.11 or newer")
    return version, f"cp3{match[1]}"


def manylinux_platforms(glibc: str = DEFAULT_GLIBC) -> list[str]:
    """Every x86_64 manylinux tag a machine with this glibc runs, newest first.

    pip's ``--platform`` takes the tags one by one (it does not widen ``manylinux_2_35`` to
    the older ones), and most wheels are tagged 2_17 or 2_28.
    """
    match = re.fullmatch(r"2\.(\d+)", glibc)
    if match is None or int(match[1]) < 17:
        raise ValueError(f"--glibc {glibc!r}: give the target's glibc as 2.N, N >= 17 "
                         f"(Ubuntu 22.04: 2.35)")
    return [f"manylinux_2_{minor}_x86_64" for minor in range(int(match[1]), 4, -1)] + \
        ["manylinux2014_x86_64", "manylinux2010_x86_64", "manylinux1_x86_64"]


def project_root() -> Path:
    """The kit's checkout (an editable install): where its ``pyproject.toml`` lies.

    Raises
    ------
    FileNotFoundError
        When the kit is installed from a wheel, with no checkout to build one from.
    """
    root = Path(__file__).resolve().parents[2]
    if not (root / "pyproject.toml").is_file():
        raise FileNotFoundError(f"no pyproject.toml in {root}: build the bundle from the "
                                f"kit's checkout (pip install -e), or pass --project DIR")
    return root


def bundle_config(source: str) -> str:
    """The course's ``grader_config.py`` with the uid-only jail allowed, and why.

    Raises
    ------
    ValueError
        When the file has no ``ALLOW_UID_ONLY_GRADING = ...`` line to set.
    """
    line = ("# Set by kmeans-kit gradescope-bundle: Gradescope's containers run as root and "
            "cannot make\n# namespaces, so the uid-only jail is the one that can be built there "
            "(docs/jail.md).\nALLOW_UID_ONLY_GRADING = True")
    config, count = _UID_ONLY.subn(lambda _: line, source, count=1)
    if count == 0:
        raise ValueError("grader_config.py has no line 'ALLOW_UID_ONLY_GRADING = ...' at the "
                         "start of a line: add one (the kit's own file has it)")
    return config


def _pip(args: list[str], what: str) -> None:
    done = subprocess.run([sys.executable, "-m", "pip", *args, "--disable-pip-version-check"],
                          capture_output=True, text=True)
    if done.returncode != 0:
        raise RuntimeError(f"{what} failed (pip {' '.join(args[:1])}):\n{done.stderr[-3000:]}")


def build_wheelhouse(directory: Path, project: Path, python_version: str,
                     glibc: str = DEFAULT_GLIBC) -> list[str]:
    """Build the kit's wheel into ``directory`` and download a wheel for every pinned
    dependency, for ``python_version`` on x86_64 manylinux; return the wheels' names.

    Wheels only (``--only-binary=:all:``): the image has no compilers, and an sdist would
    build differently there. pip uses its index or its cache, on the instructor's machine.
    """
    version, abi = python_tag(version=python_version)
    platforms = manylinux_platforms(glibc)
    directory.mkdir(parents=True, exist_ok=True)
    _pip(["wheel", "--no-deps", "--quiet", "--wheel-dir", str(directory), str(project)],
         "building the kit's wheel")
    kit = sorted(directory.glob("kmeans_teaching_kit-*.whl"))
    if len(kit) != 1:
        raise RuntimeError(f"expected one kit wheel in {directory}, found {kit}")
    _pip(["download", "--quiet", "--dest", str(directory), "--only-binary=:all:",
          "--constraint", str(project / "constraints.txt"), "--python-version", version,
          "--implementation", "cp", "--abi", abi,
          *(arg for platform in platforms for arg in ("--platform", platform)), str(kit[0])],
         f"downloading the pinned dependencies' wheels for Python {version}")
    return sorted(path.name for path in directory.glob("*.whl"))


def _script(name: str, python_version: str, glibc: str) -> str:
    text = resources.files("kmeans_kit").joinpath("templates", "gradescope", name).read_text(
        encoding="utf-8")
    return text.replace("@PYTHON_VERSION@", python_version).replace("@GLIBC@", glibc)


def _add(archive: zipfile.ZipFile, name: str, data: bytes, mode: int) -> None:
    # Unix permissions travel in the upper half of external_attr: run_autograder and
    # setup.sh stay executable wherever the zip is unpacked with them.
    info = zipfile.ZipInfo(name, date_time=(2026, 1, 1, 0, 0, 0))
    info.external_attr = (0o100000 | mode) << 16
    info.compress_type = zipfile.ZIP_DEFLATED
    archive.writestr(info, data)


def build_bundle(destination: str | os.PathLike, project: str | os.PathLike | None = None,
                 python_version: str | None = None, glibc: str = DEFAULT_GLIBC,
                 wheelhouse: str | os.PathLike | None = None) -> Bundle:
    """Write the Gradescope autograder zip to ``destination``.

    Parameters
    ----------
    destination : path
        The zip to write (replaced if present).
    project : path, optional
        The kit's checkout: its ``pyproject.toml``, ``constraints.txt`` and
        ``grader_config.py``. By default the checkout this kit is installed from.
    python_version : str, optional
        The Python the wheels are for, ``3.X.Y``; setup.sh installs ``python3.X`` and
        refuses one older than this. By default this interpreter's version.
    glibc : str
        The target's glibc (Ubuntu 22.04: 2.35): the newest manylinux tag accepted.
    wheelhouse : path, optional
        A directory of wheels already built by :func:`build_wheelhouse` for the same
        Python (reused as is); by default they are built in a temporary directory.

    Returns
    -------
    Bundle
        The zip's path, the Python version and the wheels it holds.
    """
    project = Path(project) if project is not None else project_root()
    version = python_version or ".".join(map(str, sys.version_info[:3]))
    python_tag(version)
    for needed in ("pyproject.toml", "constraints.txt", "grader_config.py"):
        if not (project / needed).is_file():
            raise FileNotFoundError(f"{project / needed} does not exist: --project must be "
                                    f"the kit's checkout")
    config = bundle_config((project / "grader_config.py").read_text(encoding="utf-8"))
    destination = Path(destination)
    destination.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="kmeans-kit-bundle-") as scratch:
        wheels_dir = Path(wheelhouse) if wheelhouse is not None else Path(scratch)
        wheels = (sorted(p.name for p in wheels_dir.glob("*.whl")) if wheelhouse is not None
                  else build_wheelhouse(wheels_dir, project, version, glibc))
        if not any(name.startswith("kmeans_teaching_kit-") for name in wheels):
            raise FileNotFoundError(f"no kit wheel in {wheels_dir}")
        partial = destination.with_name(destination.name + ".partial")
        with zipfile.ZipFile(partial, "w") as archive:
            for name in SCRIPTS:
                _add(archive, name, _script(name, version, glibc).encode(), 0o755)
            _add(archive, "grader_config.py", config.encode(), 0o644)
            _add(archive, "constraints.txt", (project / "constraints.txt").read_bytes(), 0o644)
            for name in wheels:
                # A wheel is a zip already: stored, not compressed again.
                archive.write(wheels_dir / name, f"wheelhouse/{name}", zipfile.ZIP_STORED)
        partial.replace(destination)
    return Bundle(destination, version, tuple(wheels))


__all__ = ["Bundle", "DEFAULT_GLIBC", "SCRIPTS", "build_bundle", "build_wheelhouse",
           "bundle_config", "manylinux_platforms", "project_root", "python_tag"]
