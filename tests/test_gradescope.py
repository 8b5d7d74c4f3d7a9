"""``kmeans-kit grade``: one submission, in the jail, to Gradescope's ``results.json``."""

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from kmeans_kit.checks import registry

pytestmark = pytest.mark.e2e

SUBMISSIONS = ROOT / "tests" / "submissions"
KIT = Path(sys.executable).parent / "kmeans-kit"
TEST_FIELDS = {"name", "number", "score", "max_score", "status", "output", "visibility"}


def _grade(submission: Path, results: Path) -> dict:
    """Run the console script as an engine would: from another directory."""
    done = subprocess.run([str(KIT), "grade", str(submission), "--results", str(results)],
                          cwd=results.parent, capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    return json.loads(results.read_text())


def _valid(document: dict) -> None:
    assert {"score", "execution_time", "output", "stdout_visibility", "tests"} <= set(document)
    assert document["stdout_visibility"] == "hidden"
    assert [t["name"] for t in document["tests"]] == list(registry.ids())
    for number, test in enumerate(document["tests"], start=1):
        assert set(test) == TEST_FIELDS and test["number"] == str(number)
        assert test["status"] == ("passed" if test["score"] >= test["max_score"] else "failed")
        assert test["max_score"] == registry.points()[test["name"]]
    assert document["score"] == pytest.approx(sum(t["score"] for t in document["tests"]))


def test_a_correct_submission_gets_every_point(tmp_path):
    document = _grade(SUBMISSIONS / "correct.py", tmp_path / "results.json")
    _valid(document)
    assert document["score"] == sum(registry.points().values())
    assert "assign: 10/10 points" in document["output"]


def test_a_buggy_submission_is_told_why_and_grading_again_changes_nothing(tmp_path):
    first = _grade(SUBMISSIONS / "argmax.py", tmp_path / "first.json")
    again = _grade(SUBMISSIONS / "argmax.py", tmp_path / "again.json")
    _valid(first)
    nearest = next(t for t in first["tests"] if t["name"] == "assign.nearest")
    assert nearest["score"] == 0 and "Diagnosis (assign.argmax)" in nearest["output"]
    first.pop("execution_time"), again.pop("execution_time")
    assert first == again


@pytest.mark.parametrize("name", ["kmeans.ipynb", "kmeans.pdf"])
def test_a_missing_or_wrong_file_gets_zero_and_a_message_not_a_crash(tmp_path, name):
    wrong = tmp_path / name
    if name.endswith(".pdf"):
        wrong.write_bytes(b"%PDF-1.4")
    document = _grade(wrong, tmp_path / "results.json")
    _valid(document)
    assert document["score"] == 0
    assert "hand in" in document["output"] and "kmeans.ipynb" in document["output"]
    assert all(t["output"] == document["output"] for t in document["tests"])
