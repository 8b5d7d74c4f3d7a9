"""Text notebooks, as jupytext writes them from a filled-in release (MyST ``.md``, with its
metadata or without): ``kmeans-kit grade`` and ``pytest --submission`` treat them as they
treat the ``.ipynb``."""

import subprocess
import sys

import nbformat
import pytest
from helpers import DEMO_CLASS, RELEASE, TITLES
from test_gradescope import _grade, _valid
from test_pytest_plugin import run_pytest

from kmeans_kit.checks import registry
from kmeans_kit.course import DemoStudent

pytestmark = pytest.mark.e2e

JUPYTEXT = [sys.executable, "-m", "jupytext"]


@pytest.fixture(scope="module")
def handed_in(tmp_path_factory):
    """student -> {"ipynb", "md", "bare.md"}: the release filled in by two demo students,
    and that notebook as ``jupytext --to myst`` makes it, with and without cell metadata."""
    release = nbformat.read(RELEASE, as_version=4)
    files = {}
    for student in ("solution", "argmax"):
        where = tmp_path_factory.mktemp(student)
        notebook = where / "kmeans.ipynb"
        nbformat.write(DemoStudent.from_file(DEMO_CLASS / f"{student}.py").fill(release), notebook)
        for target, options in (("kmeans.md", []), ("bare.md", ["--opt",
                                                                "cell_metadata_filter=-all"])):
            subprocess.run([*JUPYTEXT, "--to", "myst", *options, "-o", str(where / target),
                            str(notebook)], check=True, capture_output=True, timeout=120)
        assert "grade_id: assign_solution" in (where / "kmeans.md").read_text()
        assert "grade_id" not in (where / "bare.md").read_text()
        files[student] = {"ipynb": notebook, "md": where / "kmeans.md",
                          "bare.md": where / "bare.md"}
    return files


def _scores(document: dict) -> dict[str, float]:
    return {test["name"]: test["score"] for test in document["tests"]}


def test_a_myst_notebook_is_graded_as_its_ipynb(handed_in, tmp_path):
    argmax = {kind: _grade(path, tmp_path / f"argmax-{kind}.json")
              for kind, path in handed_in["argmax"].items()}
    for document in argmax.values():
        _valid(document)
        document.pop("execution_time")
    # The same score and the same words, cell names included ("In [14]").
    assert argmax["md"] == argmax["ipynb"]
    # Without metadata the solution cells are found by the functions they define.
    assert _scores(argmax["bare.md"]) == _scores(argmax["ipynb"])
    assert _scores(argmax["md"])["assign.nearest"] == 0
    solution = _grade(handed_in["solution"]["bare.md"], tmp_path / "solution.json")
    assert solution["score"] == sum(registry.points().values())


def test_pytest_submission_checks_a_myst_notebook(handed_in, tmp_path):
    run = run_pytest(handed_in["solution"]["md"].parent, "--submission", "kmeans.md", "-v")
    assert run.returncode == 0, run.stdout + run.stderr
    assert f"{len(TITLES)} passed" in run.stdout
    run = run_pytest(handed_in["argmax"]["md"].parent, "--submission", "kmeans.md", "-v")
    assert run.returncode == 1 and "kmeans.md::assign.nearest FAILED" in run.stdout
