"""The notebook's kernel in the jail, as nbgrader's execution step starts it: real kernels.

A fake course directory lies around the submission (the instructor's source
with a secret, a classmate's notebook, the gradebook); the notebook's cells
attack it, the judge and the network, and a cell that ignores interrupts or
the notebook's budget is stopped in bounded time.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import nbformat
import pytest

from kmeans_kit.adapters.nbgrader import SurvivingExecute

# Real (jailed) kernels; the last test starts a fresh interpreter that imports nbgrader.
pytestmark = pytest.mark.e2e

SECRET = "instructor-only-7c1f"


@pytest.fixture
def course(tmp_path):
    """A course directory, and the autograded directory of one student inside it."""
    (tmp_path / "source" / "kmeans").mkdir(parents=True)
    (tmp_path / "source" / "kmeans" / "kmeans.ipynb").write_text(SECRET)
    (tmp_path / "submitted" / "bob" / "kmeans").mkdir(parents=True)
    (tmp_path / "submitted" / "bob" / "kmeans" / "kmeans.ipynb").write_text("bob's work")
    (tmp_path / "gradebook.db").write_bytes(b"SQLite format 3\x00 grades")
    work = tmp_path / "autograded" / "eve" / "kmeans"
    work.mkdir(parents=True)
    return tmp_path, work


def _run(cells: list[str], work: Path, **traits) -> list[str]:
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in cells])
    SurvivingExecute(**traits).preprocess(nb, {"metadata": {"path": str(work)}})
    return ["".join(o.get("text") or f"{o.get('ename')}: {o.get('evalue')}" for o in cell.outputs)
            for cell in nb.cells]


def _snapshot(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in root.rglob("*") if p.is_file()}


def test_the_kernel_sees_nothing_of_the_course_and_cannot_touch_it(course):
    root, work = course
    before = _snapshot(root)
    listener = socket.create_server(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    listener.settimeout(0.5)
    readable = [str(root / "source/kmeans/kmeans.ipynb"), str(root / "gradebook.db")]
    writable = [str(root / "gradebook.db"), str(root / "submitted/bob/kmeans/kmeans.ipynb"),
                str(root / "nbgrader_config.py")]
    outputs = _run([
        "import os, signal, socket\nprint('uid', os.getuid(), 'pids', len([p for p in "
        "os.listdir('/proc') if p.isdigit()]))",
        f"for p in {readable!r}:\n"
        "    try:\n        print('READ', open(p).read())\n"
        "    except OSError as e:\n        print('no', e.strerror)",
        f"for p in {writable!r}:\n"
        "    try:\n        open(p, 'a').write('x')\n        print('WROTE', p)\n"
        "    except OSError as e:\n        print('no', e.strerror)",
        f"try:\n    os.kill({os.getpid()}, signal.SIGKILL)\n    print('KILLED')\n"
        "except OSError as e:\n    print('no', e.strerror)",
        f"try:\n    socket.create_connection(('127.0.0.1', {port}), timeout=2)\n"
        "    print('CONNECTED')\nexcept OSError as e:\n    print('no network', e.strerror)",
        "open('kmeans.gif', 'wb').write(b'GIF89a picture')\nos.symlink('/etc/passwd', 'link')\n"
        "print('drawn')",
    ], work, timeout=30)
    with pytest.raises(socket.timeout):
        listener.accept()
    listener.close()
    uid, pids = outputs[0].split()[1], int(outputs[0].split()[3])
    assert uid != "0" and pids < 10, outputs[0]
    assert "READ" not in outputs[1] and SECRET not in "".join(outputs), outputs[1]
    assert "WROTE" not in outputs[2] and outputs[2].count("no") == 3, outputs[2]
    assert "KILLED" not in outputs[3], outputs[3]
    assert "no network" in outputs[4], outputs[4]
    assert outputs[5].strip() == "drawn"
    # Its picture is next to the notebook; its link is not; the course is as it was.
    assert (work / "kmeans.gif").read_bytes() == b"GIF89a picture"
    assert not (work / "link").exists() and not (work / "link").is_symlink()
    after = _snapshot(root)
    assert {k: v for k, v in after.items() if "autograded" not in k} == before


def test_a_daemon_started_in_a_cell_dies_with_the_kernel(course, tmp_path):
    _, work = course
    token = f"kit-daemon-{os.getpid()}-{time.monotonic_ns()}"
    outputs = _run([
        "import subprocess, sys\n"
        f"subprocess.Popen([sys.executable, '-c', 'import time; time.sleep(60)', {token!r}],\n"
        "                 start_new_session=True)\nprint('started')",
    ], work, timeout=30)
    assert outputs == ["started\n"]
    time.sleep(1)
    alive = [p for p in Path("/proc").iterdir() if p.name.isdigit()
             and token.encode() in _cmdline(p)]
    assert alive == []


def _cmdline(proc: Path) -> bytes:
    try:
        return (proc / "cmdline").read_bytes()
    except OSError:
        return b""


def test_a_kernel_that_ignores_interrupts_is_killed_and_the_rest_not_run(course):
    _, work = course
    start = time.monotonic()
    outputs = _run([
        "import time\nwhile True:\n    time.sleep(0.1)",
        "print('after the interrupt')",
        "import signal, time\nsignal.signal(signal.SIGINT, signal.SIG_IGN)\nwhile True:\n"
        "    time.sleep(0.1)",
        "print('never')",
    ], work, timeout=2, interrupt_grace=2, notebook_seconds=120)
    took = time.monotonic() - start
    assert outputs[0].startswith("KeyboardInterrupt")       # an ordinary loop is interrupted
    assert outputs[1] == "after the interrupt\n"
    assert "did not stop within 2 s of being interrupted" in outputs[2]
    assert outputs[3].startswith("Not run:")
    assert took < 2 + 2 + 2 + 20, took


def test_the_notebook_budget_stops_a_slow_notebook(course):
    _, work = course
    start = time.monotonic()
    # The kernel's start counts against the budget: the first cell must still fit on a busy
    # machine, and a few cells later the budget runs out.
    outputs = _run(["import time\ntime.sleep(1)\nprint('one')"] * 10, work, timeout=30,
                   notebook_seconds=5)
    took = time.monotonic() - start
    assert outputs[0] == "one\n"
    assert any("used up its 5 s" in out for out in outputs), outputs
    assert outputs[-1].startswith("Not run:")
    assert took < 5 + 20, took


def test_grading_refuses_to_run_without_the_jail_unless_allowed(tmp_path):
    # A real process on a machine without bubblewrap: a PATH with util-linux's tools only.
    for tool in ("prlimit", "setpriv", "cgexec", "cgcreate", "cgset", "cgdelete", "env", "rm"):
        if shutil.which(tool):
            (tmp_path / tool).symlink_to(shutil.which(tool))
    script = ("from kmeans_kit.adapters.nbgrader import require_jail, JailUnavailable\n"
              "try:\n    require_jail(False)\nexcept JailUnavailable as exc:\n"
              "    print('REFUSED', exc)\n"
              "print('ALLOWED', require_jail(True))\n")
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True,
                          env={**os.environ, "PATH": str(tmp_path)}, timeout=120)
    assert "REFUSED" in done.stdout and "bubblewrap is not installed" in done.stdout, done
    assert "apt-get install bubblewrap" in done.stdout and "ALLOW_UNJAILED_GRADING" in done.stdout
    assert "ALLOWED False" in done.stdout


def test_the_kernel_runs_at_the_uid_only_level_when_that_is_all_there_is(course, uid_only):
    from kmeans_kit.runner.jail import UID_ONLY

    assert uid_only.level == UID_ONLY
    _, work = course
    outputs = _run([
        "import os\nprint('uid', os.getuid())",
        f"import os, signal\ntry:\n    os.kill({os.getpid()}, signal.SIGKILL)\n"
        "    print('KILLED')\nexcept OSError as e:\n    print('no', e.strerror)",
        "open('kmeans.gif', 'wb').write(b'GIF89a picture')\nprint('drawn')",
    ], work, timeout=30, allow_uid_only=True)
    assert int(outputs[0].split()[1]) >= 61000, outputs[0]
    assert "KILLED" not in outputs[1], outputs[1]
    assert outputs[2].strip() == "drawn"
    assert (work / "kmeans.gif").read_bytes() == b"GIF89a picture"


def test_a_kernel_that_dies_leaves_no_scratch_behind(course):
    """nbclient cleans up a dead kernel with cleanup_resources, not shutdown_kernel: the
    kernel's tmpfs scratch and private directory must go then too."""
    from kmeans_kit.runner.jailed_kernel import JailedKernelManager

    made = []

    class Recording(JailedKernelManager):
        async def _async_pre_start_kernel(self, **kw):
            started = await super()._async_pre_start_kernel(**kw)
            made.append(self._private)
            return started

    _, work = course
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in (
        "print('alive')", "import os\nos._exit(1)", "print('never')")])
    SurvivingExecute(timeout=30, kernel_manager_class=Recording).preprocess(
        nb, {"metadata": {"path": str(work)}})
    assert "The kernel died" in nb.cells[1].outputs[-1]["evalue"]
    assert made and not os.path.ismount(made[0] / "work") and not made[0].exists()


def test_an_unjailed_kernel_never_sees_the_gradebook_password(tmp_path, monkeypatch):
    """With ALLOW_UNJAILED_GRADING the student's kernel is a plain one: it still gets the
    judge's environment without the gradebook's URL and libpq's variables."""
    from kmeans_kit.runner.kernel_channel import GuardedKernelManager

    monkeypatch.setenv("KMEANS_KIT_DB_URL", "postgresql://grader:s3cret@db/kmeans")
    monkeypatch.setenv("PGPASSWORD", "s3cret")
    monkeypatch.setenv("KMEANS_KIT_CONTROL", "s3cret")
    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(
        "import os\nprint(sorted(k for k, v in os.environ.items() if 's3cret' in v))")])
    SurvivingExecute(timeout=30, kernel_manager_class=GuardedKernelManager).preprocess(
        nb, {"metadata": {"path": str(tmp_path)}})
    assert nb.cells[0].outputs[0]["text"] == "['KMEANS_KIT_CONTROL']\n"
