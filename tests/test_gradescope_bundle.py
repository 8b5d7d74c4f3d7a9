"""``kmeans-kit gradescope-bundle``: the zip built, unpacked into a root laid out like
Gradescope's ``/autograder``, installed offline from the zip alone, and run on submissions
(e2e); and the builder's answers to bad input (fast).

The fixtures ``bundle`` and ``autograder`` are in tests/conftest.py: the student's install
(tests/test_notebook_runs.py, tests/test_student_install.py) uses the same venv.
"""

import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest
from helpers import ROOT
from test_gradescope import SUBMISSIONS, _valid

from kmeans_kit import cli
from kmeans_kit.adapters.gradescope_bundle import bundle_config, manylinux_platforms, python_tag
from kmeans_kit.checks import registry

FULL_MARKS = sum(registry.points().values())
SCRIPTS = {"setup.sh", "run_autograder", "grade_indexed"}


# --------------------------------------------------------------------------- bad input, fast
def test_the_python_version_is_checked_before_anything_is_built(tmp_path, capsys):
    assert python_tag("3.12.4") == ("3.12.4", "cp312")
    with pytest.raises(ValueError, match="major, minor and patch"):
        python_tag("3.11")
    with pytest.raises(SystemExit):
        cli.main(["gradescope-bundle", str(tmp_path / "a.zip"), "--python-version", "3.10.12"])
    assert "the kit needs Python 3.11 or newer" in capsys.readouterr().err
    assert not (tmp_path / "a.zip").exists()


def test_the_platforms_are_every_manylinux_tag_the_glibc_runs():
    tags = manylinux_platforms("2.35")
    assert tags[0] == "manylinux_2_35_x86_64" and "manylinux_2_17_x86_64" in tags
    assert "manylinux2014_x86_64" in tags and "manylinux_2_36_x86_64" not in tags
    with pytest.raises(ValueError, match="Ubuntu 22.04: 2.35"):
        manylinux_platforms("235")


def test_the_bundles_config_is_the_courses_with_the_uid_only_jail_allowed():
    import grader_config

    config = bundle_config((ROOT / "grader_config.py").read_text())
    namespace = {"__name__": "grader_config_bundled"}
    exec(compile(config, "grader_config.py", "exec"), namespace)
    assert namespace["ALLOW_UID_ONLY_GRADING"] is True
    assert namespace["ALLOW_UNJAILED_GRADING"] is False
    assert namespace["CELL_TIMEOUT"] == grader_config.CELL_TIMEOUT
    with pytest.raises(ValueError, match="ALLOW_UID_ONLY_GRADING"):
        bundle_config("SETTINGS = None\n")


# --------------------------------------------------------------------------- the round trip, e2e
def _run_autograder(root: Path, files: dict[str, Path | bytes]) -> dict:
    """Hand in ``files`` (name -> a file to copy, or bytes), run run_autograder as Gradescope
    does (in the root) and read results.json."""
    submission = root / "submission"
    shutil.rmtree(submission, ignore_errors=True)
    submission.mkdir()
    for name, content in files.items():
        target = submission / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            shutil.copy(content, target)
    results = root / "results" / "results.json"
    results.unlink(missing_ok=True)
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}
    done = subprocess.run([str(root / "run_autograder")], cwd=root, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-3000:]
    document = json.loads(results.read_text())
    _valid(document)
    return document


@pytest.mark.e2e
def test_the_zip_has_the_scripts_at_its_root_and_a_wheel_for_every_pin(bundle):
    with zipfile.ZipFile(bundle) as archive:
        infos = {info.filename: info for info in archive.infolist()}
    assert SCRIPTS | {"grader_config.py", "constraints.txt"} <= set(infos)
    for name in SCRIPTS:
        assert stat.S_IMODE(infos[name].external_attr >> 16) == 0o755, name
    wheels = {name.removeprefix("wheelhouse/") for name in infos if name.endswith(".whl")}
    assert set(infos) - SCRIPTS - {"grader_config.py", "constraints.txt"} == \
        {f"wheelhouse/{name}" for name in wheels}
    assert any(name.startswith("kmeans_teaching_kit-") for name in wheels)
    assert any(name.startswith("numpy-") and "cp311" in name and "manylinux" in name
               for name in wheels)
    with zipfile.ZipFile(bundle) as archive:
        config = archive.read("grader_config.py").decode()
        setup = archive.read("setup.sh").decode()
    assert "\nALLOW_UID_ONLY_GRADING = True" in config and "Gradescope" in config
    assert "ALLOW_UNJAILED_GRADING = False" in config
    assert f"WANT={sys.version.split()[0]}\n" in setup and "deadsnakes" in setup


@pytest.mark.e2e
def test_setup_installs_the_kit_from_the_zip_alone(autograder):
    root, log = autograder
    wheelhouse = root / "source" / "wheelhouse"
    # pip looked nowhere but the wheelhouse (the machine's pip configuration names an index
    # and another folder of wheels), and took every package from it.
    assert f"Looking in links: {wheelhouse}" in log and "Looking in indexes" not in log
    assert "Downloading" not in log
    processed = [line for line in log.splitlines() if line.startswith("Processing ")]
    assert processed and all("/wheelhouse/" in line for line in processed)
    venv = root / "venv" / "bin" / "python"
    # From the root, as Gradescope runs it: the checkout is not on the path.
    frozen = subprocess.run([str(venv), "-m", "pip", "freeze", "--all", "--isolated"], cwd=root,
                            capture_output=True, text=True, check=True).stdout.split()
    pins = {line.split("==")[0].lower().replace("_", "-"): line.split("==")[1]
            for line in (root / "source" / "constraints.txt").read_text().split()}
    for line in frozen:
        name, version = line.split("==")
        name = name.lower().replace("_", "-")
        if name not in {"kmeans-teaching-kit", "pip", "setuptools"}:
            assert pins.get(name) == version, line
    where = subprocess.run([str(venv), "-c", "import kmeans_kit; print(kmeans_kit.__file__)"],
                           cwd=root, capture_output=True, text=True, check=True).stdout
    assert where.startswith(str(root / "venv"))


@pytest.mark.e2e
def test_the_solution_gets_full_marks_in_the_uid_only_jail_as_on_gradescope(autograder,
                                                                             uid_only):
    # The notebook comes first by the submission rule: the buggy .py beside it is ignored.
    # The uid-only level is accepted only because the bundle's grader_config allows it.
    document = _run_autograder(autograder[0], {"kmeans.ipynb": SUBMISSIONS / "correct.ipynb",
                                               "scratch.py": SUBMISSIONS / "argmax.py"})
    assert document["score"] == FULL_MARKS
    assert all(test["status"] == "passed" for test in document["tests"])


@pytest.mark.e2e
def test_a_buggy_submission_under_another_name_is_found_and_told_why(autograder):
    document = _run_autograder(autograder[0], {"my_kmeans.py": SUBMISSIONS / "argmax.py",
                                               ".hidden/kmeans.ipynb": b"{}"})
    assert 0 < document["score"] < FULL_MARKS
    nearest = next(t for t in document["tests"] if t["name"] == "assign.nearest")
    assert nearest["score"] == 0 and "assign.argmax" in nearest["output"]


@pytest.mark.e2e
def test_a_student_who_handed_in_nothing_gets_zero_and_a_message(autograder):
    document = _run_autograder(autograder[0], {".DS_Store": b"\0"})
    assert document["score"] == 0
    assert "No submission at kmeans.ipynb: hand in your notebook" in document["output"]


@pytest.mark.e2e
def test_the_indexed_job_entry_point_grades_the_nth_listed_submission(autograder, bundle_workdir):
    root = autograder[0]
    submissions, results = bundle_workdir / "class", bundle_workdir / "class-results"
    (submissions / "ada").mkdir(parents=True, exist_ok=True)
    (submissions / "bob").mkdir(exist_ok=True)
    (submissions / "bob" / "kmeans.pdf").write_bytes(b"%PDF-1.4")
    listing = bundle_workdir / "listing.txt"
    listing.write_text("ada\nbob\n")
    entry = root / "source" / "grade_indexed"
    env = {**os.environ, "AUTOGRADER_ROOT": str(root)}

    def run(index):
        return subprocess.run([str(entry), str(listing), str(submissions), str(results)],
                              env={**env, "JOB_COMPLETION_INDEX": index}, capture_output=True,
                              text=True, timeout=300)

    # The second line's student handed in the wrong file: told so, by name.
    done = run("1")
    assert done.returncode == 0, done.stderr[-2000:]
    document = json.loads((results / "1.json").read_text())
    _valid(document)
    assert document["score"] == 0
    assert "kmeans.pdf is not a notebook or a Python file" in document["output"]
    past, bad = run("2"), run("x")
    assert past.returncode == 2 and "has no line 3" in past.stderr and "(2)" in past.stderr
    assert bad.returncode == 2 and "not a whole number" in bad.stderr
    assert [p.name for p in results.iterdir()] == ["1.json"]
