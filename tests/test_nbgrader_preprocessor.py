"""The kit's nbgrader steps in isolation: starting the checks early, writing their outcome."""

from __future__ import annotations

import os
import sys
import threading
from concurrent.futures import Future
from pathlib import Path

import nbformat
import pytest
from helpers import SOURCE
from traitlets.config import Config

import grader_config
from kmeans_kit import cells
from kmeans_kit.adapters import nbgrader as kit
from kmeans_kit.checks import registry
from kmeans_kit.protocol import Outcome


def _notebook() -> nbformat.NotebookNode:
    solution = nbformat.v4.new_code_cell(
        "def assign(X, means):\n    return [0] * len(X)\n",
        metadata={"nbgrader": {"grade": False, "solution": True, "locked": False,
                               "grade_id": "assign_solution", "schema_version": 3}})
    graded = nbformat.v4.new_code_cell(
        'grade("assign.output")',
        metadata={"nbgrader": {"grade": True, "solution": False, "locked": True, "points": 2,
                               "grade_id": "assign_output", "schema_version": 3}})
    graded.outputs = [nbformat.v4.new_output("stream", name="stderr", text="a warning\n")]
    return nbformat.v4.new_notebook(cells=[solution, graded])


def _done(outcomes: list[Outcome]) -> Future:
    future: Future = Future()
    future.set_result(outcomes)
    return future


def test_start_kit_checks_runs_the_checks_in_the_background(monkeypatch):
    seen = {}

    def fake_check_submission(submission, groups, settings, jail=None):
        seen.update(thread=threading.current_thread().name, groups=groups,
                    code="".join(submission.sources))
        return [Outcome("assign.output", "title", True)]

    monkeypatch.setattr("kmeans_kit.grading.check_submission", fake_check_submission)
    nb, resources = kit.StartKitChecks().preprocess(_notebook(), {})
    assert [o.check_id for o in resources[kit._PENDING].result(timeout=30)] == ["assign.output"]
    assert seen["thread"].startswith("kit-checks") and seen["groups"] == ("assign",)
    assert "def assign" in seen["code"] and "grade(" not in seen["code"]


def test_kit_grader_writes_the_started_outcome_and_starts_nothing(monkeypatch):
    def must_not_start(self, nb):
        raise AssertionError("KitGrader started its own checks although some were running")

    monkeypatch.setattr(kit._KitChecks, "_start", must_not_start)
    resources = {kit._PENDING: _done([Outcome("assign.output", "title", True)])}
    nb, resources = kit.KitGrader().preprocess(_notebook(), resources)
    (output,) = nb.cells[1].outputs   # the student's stderr is gone: it must not cost points
    assert output.output_type == "stream" and output.name == "stdout"
    assert output.text.startswith("✓ assign.output")
    assert kit._PENDING not in resources


def test_kit_grader_turns_a_failure_into_an_error_output():
    failed = Outcome("assign.output", "title", False, "assign.labels_column", "labels are (n, 1)")
    nb, _ = kit.KitGrader().preprocess(_notebook(), {kit._PENDING: _done([failed])})
    (output,) = nb.cells[1].outputs
    assert output.output_type == "error" and output.ename == kit.FAILED
    assert "labels are (n, 1)" in "\n".join(output.traceback)


def test_a_check_the_engine_did_not_report_earns_nothing():
    nb, _ = kit.KitGrader().preprocess(_notebook(), {kit._PENDING: _done([])})
    (output,) = nb.cells[1].outputs
    assert output.output_type == "error"
    assert "could not run this check" in "\n".join(output.traceback)


def test_the_pipeline_starts_the_checks_before_the_kernel_and_scores_after(tmp_path):
    c = Config()
    grader_config.configure(c, tmp_path)
    names = [step.__name__ for step in c.Autograde.autograde_preprocessors]
    order = ["StartKitChecks", "SurvivingExecute", "KitGrader", "ClearHiddenTests",
             "SaveAutoGrades"]
    assert [name for name in names if name in order] == order
    assert c.CourseDirectory.db_url == f"sqlite:///{tmp_path.resolve() / 'gradebook.db'}"


@pytest.mark.e2e
def test_a_course_whose_grader_config_cannot_load_refuses_to_grade(tmp_path):
    """traitlets logs an error in a config file and goes on with nbgrader's defaults,
    which would grade with the student's kernel unjailed: the course's config stops it."""
    import os
    import subprocess
    import sys

    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "grader_config.py").write_text("raise RuntimeError('a typo in the settings')\n")
    course = tmp_path / "course"
    course.mkdir()
    (course / "nbgrader_config.py").write_text(grader_config.course_config_line())
    # nbgrader runs alembic (the gradebook's migrations) from PATH.
    path = os.pathsep.join([os.path.dirname(sys.executable), os.environ.get("PATH", "")])
    env = {**os.environ, "PATH": path, "PYTHONPATH": str(broken)}
    done = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "list"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode != 0
    assert "grader_config.py could not be loaded" in done.stdout + done.stderr
    assert "a typo in the settings" in done.stdout + done.stderr
    # The control: with the kit's own grader_config the same command works.
    env.pop("PYTHONPATH")
    done = subprocess.run([sys.executable, "-m", "nbgrader", "db", "student", "list"],
                          cwd=course, env=env, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr[-2000:]


def test_an_unreadable_submission_is_kept_aside_and_replaced_by_the_release_with_a_note(
        tmp_path):
    release = tmp_path / "release" / "kmeans" / "kmeans.ipynb"
    release.parent.mkdir(parents=True)
    nbformat.write(_notebook(), str(release))
    broken = tmp_path / "submitted" / "eve" / "kmeans" / "kmeans.ipynb"
    fine = tmp_path / "submitted" / "bob" / "kmeans" / "kmeans.ipynb"
    for path in (broken, fine):
        path.parent.mkdir(parents=True)
    broken.write_bytes(b'{"cells": [{"metadata": [], "source": 5')
    nbformat.write(_notebook(), str(fine))
    before = fine.read_bytes()
    kit.replace_unreadable(assignment="kmeans", student="*", notebooks=[str(broken), str(fine)])
    assert fine.read_bytes() == before
    assert (broken.parent / "kmeans.ipynb.unreadable").read_bytes().startswith(b'{"cells"')
    replaced = nbformat.read(str(broken), as_version=4)
    assert "could not be read, so it could not be graded" in replaced.cells[0].source
    assert [c.source for c in replaced.cells[1:]] == [c.source for c in _notebook().cells]


def _kit_cells(nb) -> list[str]:
    ids = registry.grade_ids()
    return [cells.grade_id(c) for c in nb.cells if cells.grade_id(c) in ids]


def test_the_release_leaves_out_every_check_cell_and_nothing_else():
    source = nbformat.read(str(SOURCE), as_version=4)
    assert len(_kit_cells(source)) == len(registry.CHECKS)
    nb, _ = kit.OmitCheckCells().preprocess(nbformat.from_dict(source), {})
    assert _kit_cells(nb) == []
    assert len(nb.cells) == len(source.cells) - len(registry.CHECKS)
    assert {"pitfall_fix", "pitfall_answer"} <= {cells.grade_id(c) for c in nb.cells}


def _gradebook(tmp_path, source, monkeypatch) -> str:
    """A gradebook that knows the source notebook's graded cells, as generate_assignment
    leaves it."""
    from nbgrader.api import Gradebook

    # nbgrader creates the database with alembic's command, installed beside this Python.
    monkeypatch.setenv("PATH", f"{Path(sys.executable).parent}{os.pathsep}{os.environ['PATH']}")

    url = f"sqlite:///{tmp_path / 'gradebook.db'}"
    with Gradebook(url) as gradebook:
        gradebook.add_assignment("kmeans")
        gradebook.add_notebook("kmeans", "kmeans")
        for cell in source.cells:
            meta = cells.nbgrader(cell)
            if meta.get("grade"):
                gradebook.add_grade_cell(meta["grade_id"], "kmeans", "kmeans",
                                         max_score=meta["points"], cell_type=cell.cell_type)
            if meta.get("grade_id"):
                gradebook.add_source_cell(meta["grade_id"], "kmeans", "kmeans",
                                          cell_type=cell.cell_type, source=cell.source,
                                          locked=bool(meta.get("locked")),
                                          checksum=f"sum-{meta['grade_id']}")
    return url


def test_grading_puts_each_check_cell_back_after_the_check_the_student_ran(tmp_path,
                                                                          monkeypatch):
    source = nbformat.read(str(SOURCE), as_version=4)
    url = _gradebook(tmp_path, source, monkeypatch)
    resources = {"nbgrader": {"db_url": url, "notebook": "kmeans",
                              "assignment": "kmeans"}}
    release, _ = kit.OmitCheckCells().preprocess(nbformat.from_dict(source), {})
    nb, _ = kit.AddCheckCells().preprocess(release, resources)
    assert _kit_cells(nb) == [check.grade_id for check in registry.CHECKS]
    for group in registry.GROUPS:
        at = next(i for i, c in enumerate(nb.cells) if c.source.strip() == f'check("{group}")')
        ids = [cells.grade_id(c) for c in nb.cells[at + 1:at + 1 + len(registry.group(group))]]
        assert ids == [check.grade_id for check in registry.group(group)], group
    added = next(c for c in nb.cells if cells.grade_id(c) == "assign_ties")
    original = next(c for c in source.cells if cells.grade_id(c) == "assign_ties")
    assert added.source == original.source and added.id == "assign_ties"
    assert cells.nbgrader(added)["points"] == cells.nbgrader(original)["points"]
    assert cells.nbgrader(added)["checksum"] == "sum-assign_ties"
    again, _ = kit.AddCheckCells().preprocess(nbformat.from_dict(nb), resources)
    assert again.cells == nb.cells   # a cell already there stays as it is
