"""A student's install outside the repository: the kit from its wheel alone, in a fresh venv
(the Gradescope bundle's, tests/conftest.py), used from a directory of the student's own --
also where the jail cannot be built. (The release notebook run from that install:
tests/test_notebook_runs.py.)"""

import os
import shutil
import subprocess
from pathlib import Path

import pytest
from helpers import TITLES

from kmeans_kit.adapters.notebook import ISOLATION_NOTE, NO_TIMER_NOTE

pytestmark = pytest.mark.e2e

SUBMISSIONS = Path(__file__).parent / "submissions"
#: What Windows lacks, made missing in the student's interpreter (a sitecustomize module).
NOT_POSIX = """
import signal, sys
sys.modules["resource"] = None   # `import resource` raises ImportError
sys.modules["fcntl"] = None
del signal.setitimer
"""
JAIL_TOOLS = {"bwrap", "setpriv", "prlimit", "cgexec", "cgcreate", "cgset", "cgdelete"}


@pytest.fixture
def student(tmp_path, request):
    """(the wheel venv's python, the student's directory holding correct.py, an environment
    without the checkout on any path)."""
    python = request.getfixturevalue("autograder")[0] / "venv" / "bin" / "python"
    home = tmp_path / "student"
    home.mkdir()
    shutil.copy(SUBMISSIONS / "correct.py", home / "correct.py")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    return python, home, env


def test_check_works_where_there_is_no_resource_fcntl_or_timer(student):
    """Windows: check() runs in the student's own interpreter, unjailed as always, and says
    so, and that nothing there can stop a function that runs too long."""
    python, home, env = student
    (home / "sitecustomize.py").write_text(NOT_POSIX)
    script = (
        "from correct import assign, update, converged\n"
        "from kmeans_kit import check\n"
        "check()\n")
    done = subprocess.run([str(python), "-c", script], cwd=home, capture_output=True, text=True,
                          env={**env, "PYTHONPATH": str(home)}, timeout=300)
    assert done.returncode == 0, done.stderr[-3000:]
    assert done.stdout.count("✓") == len(TITLES) and "✗" not in done.stdout
    assert ISOLATION_NOTE in done.stdout and NO_TIMER_NOTE in done.stdout
    # The control: the same interpreter really has none of them.
    probe = subprocess.run([str(python), "-c", "import resource"], cwd=home, capture_output=True,
                           text=True, env={**env, "PYTHONPATH": str(home)})
    assert probe.returncode == 1 and "import of resource halted" in probe.stderr


def test_pytest_submission_runs_unjailed_where_the_jail_cannot_be_built(student, tmp_path):
    """macOS, or a Linux without bubblewrap and util-linux: the self-check runs the
    submission in a plain subprocess and says so in its header."""
    python, home, env = student
    tools = tmp_path / "bin"   # the PATH, less the jail's tools
    tools.mkdir()
    for folder in env["PATH"].split(os.pathsep):
        for entry in Path(folder).glob("*") if Path(folder).is_dir() else ():
            if entry.name not in JAIL_TOOLS and not (tools / entry.name).exists():
                (tools / entry.name).symlink_to(entry)
    (home / "grader_config.py").write_text(
        "from kmeans_kit.settings import GradingSettings, Limits\n"
        "SETTINGS = GradingSettings(limits=Limits(call_seconds=2.0, load_seconds=20.0), "
        "max_examples=10)\n")
    done = subprocess.run([str(python), "-m", "pytest", "-p", "no:cacheprovider",
                           "--submission", "correct.py"], cwd=home, capture_output=True,
                          text=True, env={**env, "PATH": str(tools)}, timeout=300)
    assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-2000:]
    assert f"{len(TITLES)} passed" in done.stdout
    assert "isolation: plain subprocess, NOT jailed (prlimit, setpriv not found" in done.stdout
