"""``pytest --submission PATH``: one test per check, run in a subprocess like a student would."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import TITLES as CATALOGUE

from kmeans_kit.runner.jail import isolation

pytest_plugins = ["pytester"]

SUBMISSIONS = Path(__file__).parent / "submissions"
# A small, fast budget for these runs: the plugin reads grader_config from the working directory.
GRADER_CONFIG = """\
from kmeans_kit.settings import GradingSettings, Limits
SETTINGS = GradingSettings(limits=Limits(call_seconds=2.0, load_seconds=20.0), max_examples=10)
"""


def run_pytest(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    (cwd / "grader_config.py").write_text(GRADER_CONFIG)
    return subprocess.run([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                          cwd=cwd, capture_output=True, text=True, timeout=300,
                          env={**os.environ, **(env or {})})


@pytest.mark.e2e  # a whole pytest run in a fresh process
def test_correct_notebook_passes_every_check(tmp_path):
    shutil.copy(SUBMISSIONS / "correct.ipynb", tmp_path / "student.ipynb")
    run = run_pytest(tmp_path, "--submission", "student.ipynb", "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    for check_id in CATALOGUE:
        assert f"student.ipynb::{check_id} PASSED" in run.stdout
    assert f"{len(CATALOGUE)} passed" in run.stdout
    assert "submission: " in run.stdout


@pytest.mark.e2e  # a whole pytest run in a fresh process
def test_buggy_python_file_fails_with_the_diagnosis_and_is_never_imported(tmp_path):
    # Named like a test module: pytest must still not import it in its own process.
    shutil.copy(SUBMISSIONS / "argmax.py", tmp_path / "test_student.py")
    where = tmp_path / "where.txt"
    args = ("--submission", "test_student.py")
    process = subprocess.Popen([sys.executable, "-m", "pytest", "-p", "no:cacheprovider", *args],
                               cwd=tmp_path, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True, env={**os.environ, "KIT_WHERE_FILE": str(where)})
    (tmp_path / "grader_config.py").write_text(GRADER_CONFIG)
    out, err = process.communicate(timeout=300)
    assert process.returncode == 1, out + err
    assert "FAILED test_student.py::assign.nearest" in out
    assert "FAILED test_student.py::update" not in out and "FAILED test_student.py::converged" \
        not in out
    assert "Diagnosis (assign.argmax)" in out and "Hint:" in out
    # The diagnosis is the message: no traceback from the kit or from pytest.
    assert "Traceback" not in out and "kmeans_kit/" not in out and "def runtest" not in out
    # Only pytest's own process could write there: the jail sees neither the variable
    # nor the directory. Unjailed, the worker (another process) writes it.
    runs = [line.split() for line in where.read_text().splitlines()] if where.exists() else []
    assert all(int(pid) != process.pid for pid, _ in runs)
    assert bool(runs) != isolation().jailed
    assert f"isolation: {isolation().describe()}" in out


def test_without_submission_the_plugin_adds_nothing(pytester):
    pytester.makepyfile(test_one="def test_one():\n    assert 1 + 1 == 2\n")
    shutil.copy(SUBMISSIONS / "correct.py", pytester.path / "student.py")
    plain = pytester.runpytest_inprocess("--collect-only", "-q")
    assert plain.ret == 0
    assert plain.outlines[0] == "test_one.py::test_one"
    assert "assign.nearest" not in plain.stdout.str()
    # Named paths are kept, and the submission is checked besides them.
    both = pytester.runpytest_inprocess("--collect-only", "-q", "test_one.py",
                                        "--submission", "student.py")
    collected = [line for line in both.outlines if "::" in line]
    assert collected == ["test_one.py::test_one", *(f"student.py::{c}" for c in CATALOGUE)]


def test_a_wrong_submission_path_is_a_usage_error(pytester):
    run = pytester.runpytest_inprocess("--submission", "missing.ipynb")
    assert run.ret == pytest.ExitCode.USAGE_ERROR
    assert "no such .py, .ipynb or .md file" in run.stderr.str()
