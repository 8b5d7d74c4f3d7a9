"""Test-suite wide setup: the kit picks the Hypothesis profile, not Hypothesis's CI detection.

It also grades the demo course of tests/test_course.py and the red team's course of
tests/test_red_team.py in the background (see tests/demo_course.py) when either file is
selected, and runs those files' tests last.
"""

import os

# scikit-learn runs its array-API estimator check only with this set, and only if
# it is set before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import shutil  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import tempfile  # noqa: E402
import zipfile  # noqa: E402
from pathlib import Path  # noqa: E402

import matplotlib  # noqa: E402
import pytest  # noqa: E402
from helpers import ROOT  # noqa: E402

from kmeans_kit.checks.profiles import load_profile  # noqa: E402
from kmeans_kit.runner import jail  # noqa: E402
from kmeans_kit.runner.jail import isolation  # noqa: E402

matplotlib.use("Agg")
load_profile()

COURSE_TESTS = ("test_course.py", "test_red_team.py")


def pytest_collection_modifyitems(items):
    """The course tests last: their courses are graded while the other tests run."""
    course = [item for item in items if item.path.name in COURSE_TESTS]
    if course:
        items[:] = [item for item in items if item.path.name not in COURSE_TESTS] + course


@pytest.fixture(scope="session")
def demo_course(tmp_path_factory):
    """The demo course, graded by a background process (tests/demo_course.py)."""
    from demo_course import DemoCourse

    course = DemoCourse(tmp_path_factory.mktemp("e2e") / "course",
                        tmp_path_factory.mktemp("jupyter_config"))
    yield course
    course.stop()


@pytest.fixture(scope="session", autouse=True)
def demo_course_if_selected(request):
    """The demo course, started with the session's first test, if a course test file is
    selected; else None (tests/test_release.py then makes a release of its own)."""
    if any(item.path.name in COURSE_TESTS for item in request.session.items):
        return request.getfixturevalue("demo_course")
    return None


@pytest.fixture
def uid_only():
    """The uid-only level, asked for through $KMEANS_KIT_ISOLATION, with the interpreter
    reachable by an unprivileged uid: a container's Python is; this machine's may lie under
    a private /root, which gets o+x (no listing) for the test only."""
    opened = []
    for root in {Path(sys.base_prefix).resolve(), Path(sys.prefix).resolve(), ROOT}:
        for folder in [root, *root.parents]:
            mode = folder.stat().st_mode
            if not mode & 0o001:
                folder.chmod(mode | 0o001)
                opened.append((folder, mode))
    os.environ[jail.LEVEL_ENV] = jail.UID_ONLY
    isolation.cache_clear()
    try:
        yield isolation()
    finally:
        del os.environ[jail.LEVEL_ENV]
        isolation.cache_clear()
        for folder, mode in opened:
            folder.chmod(mode)


# --------------------------------------------------------------------------- the kit as a wheel
# The Gradescope bundle, built and installed as on Gradescope (tests/test_gradescope_bundle.py):
# its venv is also the student's install from the wheel, outside the checkout.
# The root lies under the checkout (``.pytest-tmp/``), not under /tmp: the jail gives student
# code a /tmp of its own, and the jail's uid must be able to reach the venv.
@pytest.fixture(scope="session")
def bundle_workdir():
    base = ROOT / ".pytest-tmp"
    base.mkdir(exist_ok=True)
    work = Path(tempfile.mkdtemp(prefix="bundle-", dir=base))
    work.chmod(0o755)   # the jail's uid runs the venv below it
    yield work
    shutil.rmtree(work, ignore_errors=True)


@pytest.fixture(scope="session")
def bundle(bundle_workdir):
    """The zip, built by the command an instructor runs (the wheelhouse from pip's index
    or cache), for this interpreter's Python."""
    kit = Path(sys.executable).parent / "kmeans-kit"
    done = subprocess.run([str(kit), "gradescope-bundle", "autograder.zip"], cwd=bundle_workdir,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "MB" in done.stdout and f"Python {sys.version.split()[0]}" in done.stdout
    return bundle_workdir / "autograder.zip"


def _offline(argv: list[str]) -> list[str]:
    """``argv`` without a network, where this machine can make a network namespace."""
    probe = subprocess.run(["unshare", "--net", "true"], capture_output=True)
    return ["unshare", "--net", *argv] if probe.returncode == 0 else argv


@pytest.fixture(scope="session")
def autograder(bundle, bundle_workdir):
    """``/autograder`` as Gradescope lays it out: the zip unpacked into source/ with its
    modes, setup.sh run (its apt part skipped: this machine's Python instead), and
    run_autograder copied to the root."""
    root = bundle_workdir / "autograder"
    source = root / "source"
    with zipfile.ZipFile(bundle) as archive:
        for info in archive.infolist():
            archive.extract(info, source)
            (source / info.filename).chmod(info.external_attr >> 16 & 0o777)
    python = Path(sys.base_prefix) / "bin" / f"python{sys.version_info[0]}.{sys.version_info[1]}"
    env = {**os.environ, "AUTOGRADER_ROOT": str(root),
           "KMEANS_KIT_PYTHON": str(python)}
    done = subprocess.run(_offline([str(source / "setup.sh")]), env=env, capture_output=True,
                          text=True, timeout=600)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    shutil.copy(source / "run_autograder", root / "run_autograder")
    (root / "results").mkdir()
    return root, done.stdout


