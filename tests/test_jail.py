"""The jail around student code, attacked with real hostile submissions (no mocks).

Every submission in ``tests/submissions/hostile`` tries one kind of attack on
the grading machine; each test runs it through the jailed runner
(``jail=True``, or ``check_submission`` after asserting that this machine
jails by default) and checks, from the outside, that the attack achieved
nothing: the files, the processes, the network and the verdicts are as they
would be without it. Where it is cheap, the same attack is also run with
``jail=False`` and seen to succeed, which shows that the test can fail.

The hostile files read absolute paths, pids and ports from a first cell the
test writes (:func:`hostile`), as a submission could have them baked in.
"""

from __future__ import annotations

import dataclasses
import os
import socket
import subprocess
import sys
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from helpers import GROUPS, jailed_run

import reference
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.grading import check_submission
from kmeans_kit.protocol import Frame
from kmeans_kit.runner import cgroup
from kmeans_kit.runner import jail as jail_module
from kmeans_kit.runner.isolated import SubmissionRunner
from kmeans_kit.runner.jail import JailLimits, isolation
from kmeans_kit.settings import GradingSettings, Limits
from kmeans_kit.submission import Submission

TESTS = Path(__file__).parent
SUBMISSIONS = TESTS / "submissions"
HOSTILE = SUBMISSIONS / "hostile"
CORRECT = (SUBMISSIONS / "correct.py").read_text()
KIT = TESTS.parent
VENV = Path(sys.prefix)
SITE_PACKAGES = Path(next(p for p in sys.path if p.endswith("site-packages")))
FAST = GradingSettings(limits=Limits(call_seconds=2.0, load_seconds=10.0, memory_mb=1024,
                                     output_bytes=20_000), max_examples=5)

# Real bubblewrap jails around hostile code, most tests with an unjailed contrast run:
# process-level and slow as a whole (30 s), so they run with the end-to-end tests.
pytestmark = pytest.mark.e2e

DF = pd.DataFrame({"height": [0.0, 1.0, 9.0, 10.0], "width": [0.0, 1.0, 9.0, 10.0]},
                  index=[10, 11, 12, 13])
MEANS = np.array([[0.0, 0.0], [10.0, 10.0]])
GRADED = ("assign", "update", "converged")
WORDS_OF_BLAME = ("submission", "broke the connection")


def hostile(name: str, *, after_correct: bool = False, **constants) -> Submission:
    """The hostile file ``name``, after a cell defining ``constants`` (and correct.py)."""
    header = "".join(f"{key} = {value!r}\n" for key, value in constants.items())
    sources = [header, *([CORRECT] if after_correct else []), (HOSTILE / name).read_text()]
    return Submission(tuple(sources), name, tuple(range(len(sources))))


def strings(result) -> list[str]:
    """The list of text a hostile function returned."""
    assert result.failure is None and result.raised is None, result
    return list(result.returned.strings or ())


def text(result) -> str:
    assert result.failure is None and result.raised is None, result
    return result.returned.text.strip("'\"")


def assert_jailed_by_default() -> None:
    """check_submission has no jail switch: it jails whenever the machine can."""
    assert isolation().jailed, f"this machine cannot build the jail: {isolation().reason}"


def assert_correct_assign(runner) -> None:
    result = runner("assign", Frame.from_pandas(DF), MEANS)
    assert result.failure is None and result.raised is None, result
    np.testing.assert_array_equal(result.returned.array, reference.assign(DF, MEANS))


# --------------------------------------------------------------------------- 1. file system
SECRET = f"instructor-secret-{uuid.uuid4().hex}"


@pytest.fixture
def course(tmp_path):
    """An nbgrader course directory whose every file holds a secret."""
    root = tmp_path / "course"
    files = {"source/kmeans/kmeans.ipynb": f'{{"cells": [{{"source": "{SECRET} solution"}}]}}',
             "submitted/bob/kmeans/kmeans.ipynb": f'{{"cells": [{{"source": "bob {SECRET}"}}]}}',
             "gradebook.db": f"SQLite format 3\0 grades {SECRET}"}
    for relative, content in files.items():
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        (root / relative).write_text(content)
    return root


def snapshot(root: Path, *, recursive: bool = True, contents: bool = True) -> dict:
    """Every entry below ``root``: type, size, mtime and (for files) bytes."""
    state = {}
    entries = sorted(root.rglob("*") if recursive else root.iterdir())
    for path in [root, *entries]:
        if "__pycache__" in path.parts:   # the test process's own byte code
            continue
        info = path.lstat()
        data = path.read_bytes() if contents and path.is_file() and not path.is_symlink() else None
        mtime = info.st_mtime_ns if not path.is_dir() or contents else None
        state[str(path.relative_to(root))] = (info.st_mode, info.st_size if data is not None
                                              else None, mtime, data)
    return state


def machine_state(course: Path) -> dict:
    return {"course": snapshot(course),
            "kit package": snapshot(KIT / "reference"),
            "kit checkout": snapshot(KIT, recursive=False, contents=False),
            "venv": snapshot(VENV, recursive=False, contents=False),
            "venv bin": snapshot(VENV / "bin", recursive=False, contents=False),
            "site-packages": snapshot(SITE_PACKAGES, recursive=False, contents=False)}


def test_the_course_the_kit_and_the_venv_are_out_of_reach(course):
    planted = [KIT / "reference" / "kmeans_jail_test.py",
               KIT / "reference" / "checks" / "kmeans_jail_test.py",
               KIT / "kmeans_jail_test.txt",
               SITE_PACKAGES / "zz_kmeans_jail_test.pth",
               VENV / "bin" / "kmeans-jail-test",
               VENV / "kmeans_jail_test.txt"]
    course_files = [course / "source" / "kmeans" / "kmeans.ipynb",
                    course / "submitted" / "bob" / "kmeans" / "kmeans.ipynb",
                    course / "gradebook.db",
                    course / "submitted" / "mallory" / "kmeans" / "kmeans.ipynb"]
    reference_lines = [line for line in (KIT / "reference" / "_lloyd.py").read_text().splitlines()
                       if len(line.strip()) > 30]
    assert not any(path.exists() for path in planted)
    before = machine_state(course)
    submission = hostile("filesystem.py", COURSE=str(course), KIT=str(KIT),
                         TARGETS=[str(p) for p in course_files + planted])
    try:
        with SubmissionRunner(submission, FAST, jail=True) as runner:
            stolen = strings(runner("steal"))
            vandal = strings(runner("vandal"))
        after = machine_state(course)
    finally:   # a hole must not leave a .pth behind that every Python start would run
        for path in planted:
            if path.exists():
                path.unlink()
    leaked = "\n".join(stolen)
    assert stolen and SECRET not in leaked, leaked[:3000]
    assert not any(line in leaked for line in reference_lines), "the reference solution leaked"
    assert "distances.argmin(axis=1)" not in leaked, "another submission leaked"
    assert len(vandal) == len(course_files) + len(planted)
    for name in before:
        assert after[name] == before[name], f"the jailed submission changed the {name}"
    assert not any(path.exists() for path in planted)

    # Without the jail the same code reads the secrets and changes the course files:
    # the assertions above can fail.
    contrast = hostile("filesystem.py", COURSE=str(course), KIT=str(KIT),
                       TARGETS=[str(p) for p in course_files])
    with SubmissionRunner(contrast, FAST, jail=False) as runner:
        assert SECRET in "\n".join(strings(runner("steal")))
        strings(runner("vandal"))
    assert snapshot(course) != before["course"]


# --------------------------------------------------------------------------- 2. processes
@pytest.fixture
def bystanders():
    """Two harmless processes of the test's own, for submissions to try to kill."""
    started = [subprocess.Popen(["sleep", "120"]) for _ in range(2)]
    yield started
    for process in started:
        process.kill()
        process.wait()


def test_the_judges_processes_are_invisible_and_unkillable(bystanders):
    victim = bystanders[0]
    submission = hostile("processes.py", after_correct=True, JUDGE_PID=os.getpid(),
                         VICTIM_PID=victim.pid)
    with SubmissionRunner(submission, FAST, jail=True) as runner:
        seen = runner("pids").returned.array.tolist()
        load_time = strings(runner("load_time_kills"))
        report = strings(runner("kill_everyone"))
        assert_correct_assign(runner)          # the grading goes on
        seen_after = runner("pids").returned.array.tolist()
    assert os.getpid() not in seen and os.getppid() not in seen, seen
    assert victim.pid not in seen and len(seen) <= 4, seen
    assert len(seen_after) <= 4, seen_after
    assert load_time == [f"{os.getpid()}: ProcessLookupError", f"{victim.pid}: ProcessLookupError"]
    assert "1: PermissionError" in report and not any(line.endswith("killed") for line in report)
    assert victim.poll() is None, "the jailed submission killed a process of the judge's"

    # Without the jail the same load-time code finds and kills its victims.
    contrast = hostile("processes.py", after_correct=True, JUDGE_PID=bystanders[1].pid,
                       VICTIM_PID=victim.pid)
    with SubmissionRunner(contrast, FAST, jail=False) as runner:
        assert os.getpid() in runner("pids").returned.array.tolist()
        assert strings(runner("load_time_kills")) == [f"{bystanders[1].pid}: killed",
                                                       f"{victim.pid}: killed"]
    assert victim.wait(timeout=5) == -9


def processes_with(token: str) -> list[int]:
    """Pids of the machine's processes whose command line holds ``token``."""
    found = []
    for entry in os.listdir("/proc"):
        if entry.isdigit() and int(entry) != os.getpid():
            try:
                if token.encode() in Path(f"/proc/{entry}/cmdline").read_bytes():
                    found.append(int(entry))
            except OSError:
                pass
    return found


def wait_for(condition, seconds: float) -> bool:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        if condition():
            return True
        time.sleep(0.05)
    return condition()


def test_a_daemon_dies_with_the_jail(tmp_path):
    runs = {}
    for jail in (True, False):
        token = f"kmeans-jail-daemon-{uuid.uuid4().hex}"
        marker = tmp_path / f"marker-{'jailed' if jail else 'unjailed'}"
        runner = SubmissionRunner(hostile("daemon.py", TOKEN=token, MARKER=str(marker)), FAST,
                                  jail=jail)
        runner.__enter__()
        runs[jail] = (runner, token, marker, Path(runner._tmp) / "scratch")
    try:
        for jail, (runner, token, _, _) in runs.items():
            assert runner.load_errors == []
            assert runner("converged", np.array([0]), np.array([0])).failure is None
            # The daemon got going (inside the jail's pid namespace, seen from here).
            assert wait_for(lambda token=token: processes_with(token), 5), \
                f"no daemon (jail={jail})"
            runner.close()
        time.sleep(4)   # longer than the daemon sleeps before writing
        runner, token, marker, scratch = runs[True]
        assert processes_with(token) == [], "the jailed daemon outlived the grading"
        assert not marker.exists() and not scratch.exists()
        # Without the jail, setsid takes the daemon out of the group the runner kills.
        _, token, marker, _ = runs[False]
        assert marker.exists(), "the unjailed daemon should have written its marker"
    finally:
        for runner, token, _, _ in runs.values():
            runner.close()
            for pid in processes_with(token):   # only the test's own daemons
                try:
                    os.kill(pid, 9)
                except ProcessLookupError:
                    pass


# --------------------------------------------------------------------------- 3. network
def test_no_connection_reaches_the_machines_services():
    tcp = socket.create_server(("127.0.0.1", 0))
    unix = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    name = f"kmeans-jail-test-{uuid.uuid4().hex}"
    unix.bind("\0" + name)
    unix.listen()
    port = tcp.getsockname()[1]
    try:
        for listener in (tcp, unix):
            listener.settimeout(0.3)
        with SubmissionRunner(hostile("network.py"), FAST, jail=True) as runner:
            start = time.monotonic()
            over_tcp, over_unix = text(runner("tcp", port)), text(runner("unix", name))
            assert time.monotonic() - start < 2 * FAST.limits.call_seconds + 2
        assert over_tcp.startswith("failed") and over_unix.startswith("failed"), (over_tcp,
                                                                                 over_unix)
        for listener in (tcp, unix):
            with pytest.raises(socket.timeout):
                listener.accept()
        # Without the jail both connections go through.
        with SubmissionRunner(hostile("network.py"), FAST, jail=False) as runner:
            assert text(runner("tcp", port)) == "connected"
            assert text(runner("unix", name)) == "connected"
        for listener in (tcp, unix):
            listener.accept()[0].close()
    finally:
        tcp.close()
        unix.close()


# --------------------------------------------------------------------------- 4. identity
def status_fields(lines: list[str]) -> dict[str, str]:
    return {key.strip(): value.strip() for key, value in (line.split(":", 1) for line in lines)}


def test_the_code_runs_as_a_nobody_without_capabilities():
    with SubmissionRunner(hostile("identity.py"), FAST, jail=True) as runner:
        jailed = status_fields(strings(runner("who")))
    assert jailed["uid"] == jailed["euid"] == jailed["gid"]
    assert 61000 <= int(jailed["uid"]) < 65000, jailed
    for capabilities in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(jailed[capabilities], 16) == 0, jailed
    assert jailed["NoNewPrivs"] == "1" and jailed["groups"] in ("[]", f"[{jailed['gid']}]")
    if os.geteuid() == 0:   # without the jail the submission would have been root
        with SubmissionRunner(hostile("identity.py"), FAST, jail=False) as runner:
            plain = status_fields(strings(runner("who")))
        assert plain["uid"] == "0" and int(plain["CapEff"], 16) != 0


# --------------------------------------------------------------------------- 5. delegation
def test_blinding_the_delegation_watcher_earns_nothing():
    with SubmissionRunner(hostile("self_report.py"), FAST, jail=True) as runner:
        outcomes = {o.check_id: o for o in run_checks(runner, groups=("assign", "update"),
                                                      settings=FAST)}
    for check in ("assign.own_work", "assign.nearest", "update.own_work", "update.means"):
        assert not outcomes[check].passed, check
    assert "Not available" in outcomes["assign.nearest"].message or \
        "ImportError" in outcomes["assign.nearest"].message
    # Without the jail the blinded watcher sees nothing and the kit's own reference
    # answers: the same submission passes everything, own_work included.
    with SubmissionRunner(hostile("self_report.py"), FAST, jail=False) as runner:
        plain = run_checks(runner, groups=("assign",), settings=FAST)
    assert all(o.passed for o in plain), [o.check_id for o in plain if not o.passed]


def test_a_forbidden_helper_imported_at_the_top_costs_only_the_function_that_uses_it():
    """scipy's cdist (a distance table) in assign; KMeans and euclidean_distances imported
    but never used: the submission loads, assign loses, update and converged keep all."""
    with SubmissionRunner(hostile("forbidden_at_top.py"), FAST, jail=True) as runner:
        outcomes = {o.check_id: o for o in run_checks(runner, groups=GRADED, settings=FAST)}
        assert runner.load_errors == []
    assert not outcomes["assign.own_work"].passed
    assert "scipy.spatial.distance.cdist" in outcomes["assign.own_work"].message
    lost = {check for check, o in outcomes.items() if not o.passed}
    assert lost and all(check.startswith("assign.") for check in lost), lost
    # Unjailed, cdist answers and the watcher alone sees it: own_work is lost all the same.
    with SubmissionRunner(hostile("forbidden_at_top.py"), FAST, jail=False) as runner:
        plain = {o.check_id: o for o in run_checks(runner, groups=("assign",), settings=FAST)}
    assert plain["assign.nearest"].passed and not plain["assign.own_work"].passed


def test_a_forbidden_helper_loaded_from_its_compiled_file_earns_nothing():
    # scipy.cluster.vq is covered by a stub, but its compiled core is still in the
    # read-only environment and can be loaded under another name.
    # The jail covers the whole package that holds a forbidden module, compiled files and
    # cached bytecode included, so the file is not there to load.
    with SubmissionRunner(hostile("compiled_helper.py"), FAST, jail=True) as runner:
        outcomes = {o.check_id: o for o in run_checks(runner, groups=("assign",),
                                                      settings=FAST)}
        assert [e["type"] for e in runner.load_errors] == ["IndexError"], runner.load_errors
    assert not any(o.passed for o in outcomes.values()), \
        "assign is one call of scipy.cluster's compiled _vq.vq, and earns points"
    # Unjailed, the same file loads and assign earns own_work: the test can fail.
    with SubmissionRunner(hostile("compiled_helper.py"), FAST, jail=False) as runner:
        plain = {o.check_id: o for o in run_checks(runner, groups=("assign",), settings=FAST)}
    assert plain["assign.own_work"].passed and plain["assign.nearest"].passed


# --------------------------------------------------------------------------- 6. forgery
MALFORMED = {   # run: how to answer assign, how to answer update
    "not-a-returned": ("string_returned", "dict_payload"),
    "arguments": ("extra_argument", "returned_and_raised"),
    "not-numbers": ("text_array", "complex_array"),
    "bytes": ("garbage", "huge"),
    "deep": ("deep_json", "negative_shape"),
    "out-of-turn": ("wrong_op", "wrong_op"),
}


def forger(forgery: dict, *, loaded: str = "good", on_eof: str = "linger") -> Submission:
    return hostile("impersonate.py", FORGERY=forgery, LOADED=loaded, ON_EOF=on_eof)


def assert_broke_the_connection(outcome, name="") -> None:
    assert not outcome.passed, (name, outcome.check_id)
    assert "broke the connection" in outcome.message and \
        "the submission's doing" in outcome.message, (name, outcome.check_id, outcome.message)


def test_forged_malformed_replies_are_the_submissions_fault():
    assert_jailed_by_default()
    runs = {name: forger({"assign": first, "update": second})
            for name, (first, second) in MALFORMED.items()}
    runs["bad-loaded"] = forger({}, loaded="bad")
    # In parallel: every refused reply costs the judge a 2 s wait before its kill.
    with ThreadPoolExecutor(len(runs)) as pool:
        futures = {name: pool.submit(check_submission, submission, ("assign", "update"), FAST)
                   for name, submission in runs.items()}
        results = {name: future.result() for name, future in futures.items()}   # no raise
    for name, outcomes in results.items():
        assert [o.check_id for o in outcomes] == GROUPS["assign"] + GROUPS["update"]
        for outcome in outcomes:
            assert_broke_the_connection(outcome, name)


@pytest.mark.parametrize("submission", [
    pytest.param(lambda: forger({"assign": "string_returned", "update": "garbage"},
                                on_eof="exit"), id="forger-exits-on-hang-up"),
    pytest.param(lambda: hostile("garble_pipe.py", after_correct=True), id="garbage-in-a-call"),
])
def test_a_garbled_reply_is_reported_as_such_when_the_worker_then_exits(submission):
    """The worker ends by itself once the judge hangs up; the reply was still garbled."""
    assert_jailed_by_default()
    outcomes = check_submission(submission(), ("assign",), FAST)
    for outcome in outcomes:
        assert_broke_the_connection(outcome)


def test_well_formed_forgeries_earn_what_honest_code_would():
    """A forger gains nothing over code that returns the same values honestly."""
    assert_jailed_by_default()
    forged = check_submission(forger({}), GRADED, FAST)
    honest = check_submission(Submission.from_source(
        "import numpy as np\n"
        "def assign(X, means):\n    return np.zeros(len(X.index), dtype=np.int64)\n"
        "def update(X, labels, means):\n    return np.zeros(np.shape(means))\n"
        "def converged(old_labels, new_labels):\n    return np.array(True)\n"), GRADED, FAST)
    assert forged == honest
    passed = {o.check_id for o in forged if o.passed}
    assert not passed & {"assign.nearest", "update.means", "converged.changed"}, passed


def test_a_forged_crash_cannot_blame_the_checker():
    assert_jailed_by_default()
    blame = "the grading kit itself failed on this call"
    outcomes = check_submission(forger({"assign": "blame_checker", "update": "blame_checker"}),
                                ("assign", "update"), FAST)
    for outcome in outcomes:
        assert not outcome.passed
        assert blame not in outcome.message, (
            f"{outcome.check_id}: the worker's own words reach the report as the reason of a "
            f"crash: {outcome.message[:300]}")
        assert any(words in outcome.message for words in WORDS_OF_BLAME), outcome.message


@pytest.mark.parametrize("forgery", ["array_column", "structured_means"])
def test_arguments_built_to_trip_the_judge_do_not_crash_it(forgery):
    assert_jailed_by_default()
    try:
        outcomes = check_submission(forger({"assign": forgery, "update": forgery}),
                                    ("assign", "update"), FAST)
    except Exception as exc:   # noqa: BLE001 - the point of the test
        pytest.fail(f"a forged reply made check_submission raise {exc!r}")
    assert not any(o.passed for o in outcomes if o.check_id.endswith(".pure"))


def test_an_array_as_column_label_does_not_crash_the_judge():
    """No forgery at all: an honest worker reports a renamed column the judge cannot compare."""
    assert_jailed_by_default()
    try:
        outcomes = check_submission(hostile("array_label.py", after_correct=True), ("assign",),
                                    FAST)
    except Exception as exc:   # noqa: BLE001 - the point of the test
        pytest.fail(f"renaming a column to an array made check_submission raise {exc!r}")
    pure = next(o for o in outcomes if o.check_id == "assign.pure")
    assert not pure.passed and "column" in pure.message


# --------------------------------------------------------------------------- 7. time
def test_a_slow_submission_is_stopped_by_its_whole_budget():
    assert_jailed_by_default()
    total = 4.0   # two legal calls fit, not the dozens a check makes; the test waits it out
    settings = FAST.with_(limits=Limits(call_seconds=3.0, load_seconds=10.0, memory_mb=1024,
                                        output_bytes=20_000, total_seconds=total))
    start = time.monotonic()
    outcomes = check_submission(hostile("slow_assign.py", after_correct=True, SLEEP=1.2),
                                ("assign",), settings)
    elapsed = time.monotonic() - start
    assert elapsed < total + 25, elapsed
    assert [o.check_id for o in outcomes] == GROUPS["assign"]
    for outcome in outcomes:
        assert not outcome.passed
        assert f"the {total:g} s that all the checks of one submission may take together" in \
            outcome.message, outcome.message


# --------------------------------------------------------------------------- 8. neighbours
def test_a_hostile_neighbour_changes_nothing_for_an_honest_submission():
    assert_jailed_by_default()
    planted = [Path(place, name) for place in ("/tmp", "/dev/shm")
               for name in ("numpy.py", "sitecustomize.py", "kmeans-kit-output")]
    assert not any(path.exists() for path in planted)
    alone = check_submission(SUBMISSIONS / "correct.py", settings=FAST)
    assert alone and all(o.passed for o in alone), [o.check_id for o in alone if not o.passed]
    # Every call of the neighbour's runs out of time (its threads burn the CPU it is given):
    # 6 calls before its functions are not run again. A shorter per-call limit for it
    # alone makes that 6 s instead of 12 s; it still outlives the honest grading.
    restless = FAST.with_(limits=dataclasses.replace(FAST.limits, call_seconds=1.0))
    with ThreadPoolExecutor(2) as pool:
        neighbour = pool.submit(check_submission, hostile("neighbour.py"), settings=restless)
        time.sleep(1.0)   # the neighbour has loaded and is attacking by now
        together = pool.submit(check_submission, SUBMISSIONS / "correct.py", settings=FAST)
        together = together.result()
        assert not neighbour.done(), "the neighbour stopped before the honest grading ended"
        neighbour = neighbour.result()
    assert together == alone
    assert [(o.passed, o.message) for o in together] == [(o.passed, o.message) for o in alone]
    assert not any(o.passed for o in neighbour if o.check_id in ("assign.output",
                                                                  "converged.unchanged"))
    assert not any(path.exists() for path in planted)


# --------------------------------------------------------------------------- 9. storage
def test_files_in_the_jails_ram_disks_count_against_the_memory_limit():
    # /tmp and /dev/shm of the jail are tmpfs: RAM that RLIMIT_AS does not see.
    settings = FAST.with_(limits=Limits(call_seconds=20.0, load_seconds=10.0, memory_mb=512,
                                        output_bytes=20_000))
    wanted = settings.limits.memory_mb + 256
    with SubmissionRunner(hostile("hoard.py"), settings, jail=True) as runner:
        stored = runner("hoard", wanted)
        assert stored.failure is None and stored.raised is None, stored
    assert int(stored.returned.array) <= settings.limits.memory_mb, (
        f"the submission kept {int(stored.returned.array)} MB in the jail's tmpfs with a "
        f"memory limit of {settings.limits.memory_mb} MB")


# ----------------------------------------------------------------------- 10. the jail as a whole
#: Four children, each holding 110 MB (under a 256 MB RLIMIT_AS of its own) and writing
#: 12 MB into /dev/shm; each reports on stdout once its memory is really in use.
_HOARDERS = """
import os, sys, time
children = []
for n in range(4):
    pid = os.fork()
    if pid == 0:
        block = bytearray(110 * 2**20)
        for i in range(0, len(block), 4096):
            block[i] = 1
        with open(f"/dev/shm/hoard{n}", "wb") as f:
            f.write(b"x" * (12 * 2**20))
        open(f"/dev/shm/ready{n}", "w").close()
        # Hold until all four hold at once (or 10 s): on a loaded machine the first could
        # otherwise be gone before the last has started.
        end = time.monotonic() + 10
        while time.monotonic() < end and \
                sum(os.path.exists(f"/dev/shm/ready{i}") for i in range(4)) < 4:
            time.sleep(0.05)
        os._exit(0)
    children.append(pid)
for pid in children:   # a child the memory limit killed may have held for a while first
    _, status = os.waitpid(pid, 0)
    print("held" if os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0 else "killed",
          flush=True)
"""
def test_the_jail_is_bounded_as_a_whole_not_per_process(tmp_path):
    """Forked children each within their own RLIMIT_AS, plus their RAM disk, held more than
    the jail's memory: its cgroup counts them together (the tmpfs pages too)."""
    assert cgroup.support().available, cgroup.support().reason
    limits = JailLimits(cpu_seconds=30, memory_mb=256, processes=32, disk_mb=64)
    assert limits.group_memory_mb == 448
    bounded = jailed_run(tmp_path, _HOARDERS, limits, True, "grouped")
    # 4 x (110 + 12) MB = 488 MB wanted, 448 MB allowed for the jail with its disks.
    assert bounded.stdout.count("held") < 4, bounded
    free = jailed_run(tmp_path, _HOARDERS, limits, False, "ungrouped")
    assert free.stdout.count("held") == 4, free   # the control: rlimits alone allow it


# ------------------------------------------------------------------------ 11. the uid-only level
_REACH = """
import os


def reach(paths, judge):
    found = []
    for path in paths:
        try:
            with open(path, "a") as f:
                f.write("owned")
            found.append("wrote " + path)
        except OSError:
            pass
    try:
        os.kill(judge, 9)
        found.append("killed the judge")
    except OSError:
        pass
    return found
"""


def test_the_uid_only_level_is_named_and_runs_code_as_a_nobody(uid_only):
    assert uid_only.level == jail_module.UID_ONLY, uid_only
    assert "uid-only jail" in uid_only.describe() and "NO namespaces" in uid_only.describe()
    with SubmissionRunner(hostile("identity.py"), FAST, jail=True) as runner:
        jailed = status_fields(strings(runner("who")))
    assert 61000 <= int(jailed["uid"]) < 65000 and jailed["uid"] == jailed["euid"], jailed
    for capabilities in ("CapEff", "CapPrm", "CapBnd", "CapAmb"):
        assert int(jailed[capabilities], 16) == 0, jailed
    assert jailed["NoNewPrivs"] == "1"


def test_at_the_uid_only_level_the_course_and_the_judge_are_out_of_reach(uid_only, course):
    targets = [str(course / "gradebook.db"), str(course / "source" / "kmeans" / "kmeans.ipynb"),
               str(KIT / "grader_config.py")]
    stand_in = subprocess.Popen(["sleep", "60"])   # a process of the judge's, to signal
    try:
        with SubmissionRunner(Submission.from_source(_REACH), FAST, jail=True) as runner:
            assert strings(runner("reach", targets, os.getpid())) == []
            assert strings(runner("reach", [], stand_in.pid)) == []
        assert stand_in.poll() is None
        # The control: the judge's own uid reaches the course and the process.
        with SubmissionRunner(Submission.from_source(_REACH), FAST, jail=False) as runner:
            assert strings(runner("reach", targets[:1], stand_in.pid)) == [
                f"wrote {targets[0]}", "killed the judge"]
    finally:
        stand_in.kill()
        stand_in.wait()


def test_at_the_uid_only_level_grading_works_and_nothing_outlives_it(uid_only, tmp_path):
    outcomes = check_submission(SUBMISSIONS / "correct.py", settings=FAST)
    assert outcomes and all(o.passed for o in outcomes), [o.check_id for o in outcomes
                                                           if not o.passed]
    token = f"kmeans-uid-daemon-{uuid.uuid4().hex}"
    marker = tmp_path / "marker"
    with SubmissionRunner(hostile("daemon.py", TOKEN=token, MARKER=str(marker)), FAST,
                          jail=True) as runner:
        assert runner("converged", np.array([0]), np.array([0])).failure is None
        assert wait_for(lambda: processes_with(token), 5), "no daemon"
    assert wait_for(lambda: not processes_with(token), 5), "the daemon outlived the grading"


def test_nbgrader_grading_accepts_the_uid_only_level_only_when_the_course_allows_it(uid_only):
    from kmeans_kit.adapters.nbgrader import JailUnavailable, require_jail

    with pytest.raises(JailUnavailable, match="ALLOW_UID_ONLY_GRADING"):
        require_jail(allow_unjailed=False, allow_uid_only=False)
    assert require_jail(allow_unjailed=False, allow_uid_only=True) is True


def test_groups_left_by_a_grader_that_is_gone_are_removed():
    state = cgroup.support()
    assert state.available, state.reason
    gone = subprocess.Popen(["true"])
    gone.wait()   # a grader that made a group, then ended
    stale = {c: f"{state.parents[c].rstrip('/')}/kmeans-kit-{gone.pid}-0"
             for c in cgroup.CONTROLLERS}
    groups = [f"{','.join(cgroup.CONTROLLERS)}:{stale['memory']}"] if state.version == 2 \
        else [f"{c}:{stale[c]}" for c in cgroup.CONTROLLERS]
    subprocess.run(["cgcreate", *[a for g in groups for a in ("-g", g)]], check=True)
    where = [cgroup._cgroup_dir(state.version, c, stale[c]) for c in cgroup.CONTROLLERS]
    assert all(path.is_dir() for path in where)
    cgroup.support.cache_clear()
    try:
        assert cgroup.support().available
    finally:
        cgroup.support.cache_clear()
    assert not any(path.exists() for path in where)
