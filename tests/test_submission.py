"""Loading a submission: which code grading executes, and IPython syntax made harmless."""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from kmeans_kit.protocol import Frame
from kmeans_kit.runner.isolated import SubmissionRunner
from kmeans_kit.settings import GradingSettings, Limits
from kmeans_kit.submission import SETUP_TAG, Submission

SUBMISSIONS = Path(__file__).parent / "submissions"


def test_a_python_file_is_one_source():
    path = SUBMISSIONS / "correct.py"
    submission = Submission.from_path(path)
    assert submission.sources == (path.read_text(),)
    assert submission.origin == str(path) and submission.cells == ()
    with pytest.raises(dataclasses.FrozenInstanceError):
        submission.sources = ()


def test_nbgrader_notebook_runs_setup_and_solution_cells_only():
    submission = Submission.from_path(SUBMISSIONS / "correct.ipynb")
    # 0 markdown, 1 kit-setup, 2 plotting, 3-5 solutions, 6 check(), 7 hidden test
    assert submission.cells == (1, 3, 4, 5)
    # named by their prompts after Run All: every non-empty code cell takes a number
    assert submission.names == ("In [1]", "In [3]", "In [4]", "In [5]")
    assert submission.name(4) == "In [4]"
    code = "\n".join(submission.sources)
    assert "def assign" in code and "def update" in code and "def converged" in code
    assert "plotting cell" not in code and "hidden test cell" not in code
    assert "check('assign')" not in code


def test_ipython_syntax_becomes_calls_on_get_ipython():
    setup, *_, converged = Submission.from_path(SUBMISSIONS / "correct.ipynb").sources
    assert "get_ipython().run_line_magic('matplotlib', 'inline')" in setup
    assert "get_ipython().system(" in setup
    assert not any(line.lstrip().startswith(("%", "!")) for line in setup.splitlines())
    assert converged.startswith("get_ipython().run_cell_magic('time'")


def test_without_nbgrader_metadata_the_functions_and_definitions_run():
    submission = Submission.from_path(SUBMISSIONS / "plain.ipynb")
    # 0 magic and import, 1 converged, 2 update then a crash, 3 plotting, 4 assign
    assert submission.cells == (0, 1, 2, 4)
    # a notebook that defines none of the three runs whole: its checks then say so
    other = Submission.from_notebook(_notebook(("x = 1", {}), ("def helper():\n    pass", {})))
    assert other.cells == (0, 1)


def test_text_notebooks_are_read_through_jupytext(tmp_path):
    import jupytext
    import nbformat

    nb = nbformat.read(SUBMISSIONS / "correct.ipynb", as_version=4)
    expected = Submission.from_path(SUBMISSIONS / "correct.ipynb")
    for name, fmt in (("kmeans.md", "md:myst"), ("kmeans.py", "py:percent")):
        jupytext.write(nb, tmp_path / name, fmt=fmt)
        read = Submission.from_path(tmp_path / name)
        assert (read.cells, read.names, read.sources) == \
            (expected.cells, expected.names, expected.sources), name
    # Without the metadata, the cells are found by the functions they define.
    for cell in nb.cells:
        cell.metadata = {}
    jupytext.write(nb, tmp_path / "bare.md", fmt="md:myst")
    bare = Submission.from_path(tmp_path / "bare.md")
    assert bare.cells == (3, 4, 5)
    assert "def assign" in bare.sources[0] and bare.sources[2].startswith("get_ipython()")
    # A .py without cell markers stays one piece of code.
    script = tmp_path / "script.py"
    script.write_text("def assign(X, means):\n    return 0\n")
    assert Submission.from_path(script).sources == (script.read_text(),)


def _notebook(*cells) -> dict:
    return {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [
        {"cell_type": "code", "source": source, "metadata": metadata, "outputs": [],
         "execution_count": None} for source, metadata in cells]}


def test_graded_test_cells_never_run_and_setup_tag_alone_selects():
    test_cell = {"nbgrader": {"grade": True, "solution": False, "grade_id": "t"}}
    answer_cell = {"nbgrader": {"grade": True, "solution": True, "grade_id": "a"}}
    everything = Submission.from_notebook(_notebook(("x = 1", {}), ("assert x", test_cell)))
    assert everything.cells == (0,)
    tagged = Submission.from_notebook(_notebook(("a = 1", {"tags": [SETUP_TAG]}), ("b = 2", {}),
                                                ("c = 3", answer_cell)))
    assert tagged.cells == (0, 2)
    assert tagged.names == ("In [1]", "In [3]")
    gaps = Submission.from_notebook(_notebook(("", {}), ("x = 1", {}), ("  \n", {}), ("y", {})))
    assert gaps.names == ("cell 1", "In [1]", "cell 3", "In [2]")  # an empty cell takes no number
    # JSON may keep a cell's source as a list of lines.
    lines = Submission.from_notebook(_notebook((["a = 1\n", "b = 2"], {})))
    assert lines.sources == ("a = 1\nb = 2",)


def test_loading_errors_are_clear(tmp_path):
    with pytest.raises(FileNotFoundError, match="No submission at"):
        Submission.from_path(tmp_path / "missing.ipynb")
    (tmp_path / "notes.txt").write_text("x")
    with pytest.raises(ValueError, match="a .py file, or a .ipynb or MyST .md notebook"):
        Submission.from_path(tmp_path / "notes.txt")
    (tmp_path / "broken.md").write_text("---\njupytext: [unclosed\n---\n")
    with pytest.raises(ValueError, match="not a notebook jupytext can read.*--to myst"):
        Submission.from_path(tmp_path / "broken.md")
    (tmp_path / "broken.ipynb").write_text("{not json")
    with pytest.raises(ValueError, match="not a readable notebook"):
        Submission.from_path(tmp_path / "broken.ipynb")
    (tmp_path / "old.ipynb").write_text(json.dumps({"nbformat": 3, "worksheets": []}))
    with pytest.raises(ValueError, match="nbformat 4"):
        Submission.from_path(tmp_path / "old.ipynb")


@pytest.mark.e2e   # starts the isolated worker
def test_magics_and_a_broken_cell_do_not_stop_loading():
    settings = GradingSettings(limits=Limits(call_seconds=2.0, load_seconds=20.0))
    df = pd.DataFrame({"a": [1.0, 2.0]})
    with SubmissionRunner(SUBMISSIONS / "plain.ipynb", settings) as runner:
        errors = runner.load_errors
        result = runner("assign", Frame.from_pandas(df), np.zeros((1, 1)))
    assert [(e["cell"], e["type"]) for e in errors] == [(2, "ValueError")]  # and not cell 3
    np.testing.assert_array_equal(result.returned.array, [0, 0])
