"""One registry: each check's id, wording and points are written once, and everything follows.

The committed source notebook's graded cells and the checks table of docs/checks.md are
what the build makes of the registry; a change of points (grader_config) or of wording
(registry.py) reaches the notebook, the docs, the release and every adapter.
"""

from __future__ import annotations

import contextlib
import dataclasses
import io
import shutil
import sys
import types
from concurrent.futures import Future
from pathlib import Path

import nbformat
import pytest
from helpers import ASSIGNMENTS, ROOT, SOURCE
from mutants.correct import submission
from nbgrader.api import Gradebook

from kmeans_kit import answers, build, messages
from kmeans_kit.adapters import nbgrader as nbgrader_adapter
from kmeans_kit.adapters import notebook
from kmeans_kit.checks import registry
from kmeans_kit.checks.engine import run_checks
from kmeans_kit.course import Course
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.settings import GradingSettings

DOCS = ROOT / "docs" / "checks.md"
SMALL = GradingSettings(max_examples=10)
NEW_TITLE = "row j of the result averages exactly the rows labelled j"


def _cells(nb) -> list:
    return [(c.cell_type, c.get("id"), c.source, c.metadata) for c in nb.cells]


def _graded(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: c for c in nb.cells
            if c.metadata.get("nbgrader", {}).get("grade")}


@pytest.fixture
def changed(monkeypatch) -> GradingSettings:
    """update.means reworded in the registry, assign.ties worth 5 points in the course."""
    checks = tuple(dataclasses.replace(c, title=NEW_TITLE) if c.id == "update.means" else c
                   for c in registry.CHECKS)
    monkeypatch.setattr(registry, "CHECKS", checks)
    return GradingSettings(max_examples=10, points={"assign.ties": 5})


# --------------------------------------------------------------------------- the registry
def test_every_check_is_registered_once_in_group_order():
    ids = registry.ids()
    assert len(set(ids)) == len(ids) == 18
    groups = [check.group for check in registry.CHECKS]
    assert sorted(groups, key=registry.GROUPS.index) == groups   # grouped, in order
    assert set(groups) == set(registry.GROUPS)
    assert all(callable(check.judge) and check.title and check.hint for check in registry.CHECKS)
    assert registry.grade_ids()["assign_own_work"] == "assign.own_work"
    with pytest.raises(KeyError, match="assign.nearest"):
        registry.get("assign.closest")


def test_points_are_the_defaults_with_the_course_overrides():
    default = registry.points(GradingSettings())
    assert sum(default.values()) == 30
    course = registry.points(GradingSettings(points={"assign.ties": 5}))
    assert course["assign.ties"] == 5 and \
        {k: v for k, v in course.items() if k != "assign.ties"} == \
        {k: v for k, v in default.items() if k != "assign.ties"}
    with pytest.raises(ValueError, match="'assign.tie'.*not a check"):
        registry.points(GradingSettings(points={"assign.tie": 1}))
    for bad in (-1, 1.5, True):
        with pytest.raises(ValueError, match="whole numbers"):
            registry.points(GradingSettings(points={"assign.ties": bad}))


# --------------------------------------------------------------------------- built from it
def test_the_committed_source_has_the_graded_cells_the_registry_builds():
    committed = nbformat.read(str(SOURCE), as_version=4)
    assert _cells(build.build_notebook(committed, GradingSettings())) == _cells(committed), \
        "assignments/source is stale: run `kmeans-kit release` and commit it"


def test_the_committed_docs_table_is_the_one_the_registry_builds():
    text = DOCS.read_text(encoding="utf-8")
    assert build.build_docs(text, GradingSettings()) == text, \
        "docs/checks.md is stale: run `kmeans-kit release` and commit it"
    assert all(f"| `{check_id}` |" in text for check_id in registry.ids())


def test_a_group_without_graded_cells_is_a_clear_error():
    nb = nbformat.read(str(SOURCE), as_version=4)
    nb.cells = [c for c in nb.cells
                if not c.metadata.get("nbgrader", {}).get("grade_id", "").startswith("lloyd_")]
    with pytest.raises(ValueError, match=r"no graded cell for \['lloyd'\]"):
        build.build_notebook(nb)


# --------------------------------------------------------------------------- one change reaches all
def test_a_change_reaches_the_notebook_and_the_docs(changed):
    nb = build.build_notebook(nbformat.read(str(SOURCE), as_version=4), changed)
    graded = _graded(nb)
    assert graded["assign_ties"].metadata["nbgrader"]["points"] == 5
    assert graded["assign_ties"].source.startswith("# Graded: assign.ties (5 points) --")
    assert NEW_TITLE in graded["update_means"].source
    table = build.checks_table(changed)
    assert "| `assign.ties` | 5 |" in table and f"| `update.means` | 3 | {NEW_TITLE} |" in table


def test_a_change_reaches_every_adapter(changed, monkeypatch, capsys):
    outcomes = run_checks(InProcessCaller(submission()), ["update"], settings=SMALL)
    means = next(o for o in outcomes if o.check_id == "update.means")
    assert means.title == NEW_TITLE and NEW_TITLE in messages.render(outcomes)
    # the notebook's check()
    module = types.ModuleType("student_notebook")
    module.__dict__.update(submission())
    monkeypatch.setitem(sys.modules, "__main__", module)
    monkeypatch.setattr("kmeans_kit.settings.load_settings", lambda *a: SMALL)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    notebook.check("update")
    assert f"✓ update.means — {NEW_TITLE}" in capsys.readouterr().out
    # nbgrader: the graded cells it fills are the registry's, by grade_id
    nb = build.build_notebook(nbformat.read(str(SOURCE), as_version=4), changed)
    future: Future = Future()
    future.set_result(outcomes)
    graded, _ = nbgrader_adapter.KitGrader().preprocess(nb, {nbgrader_adapter._PENDING: future})
    shown = _graded(graded)["update_means"].outputs[0].text
    assert shown.startswith(f"✓ update.means — {NEW_TITLE}")
    # pytest --submission: one test per registered check
    monkeypatch.setattr(registry, "CHECKS", registry.CHECKS[:-1])
    with contextlib.redirect_stdout(io.StringIO()) as out:
        pytest.main(["--collect-only", "-q", "-p", "no:cacheprovider", "--submission",
                     str(Path(__file__).parent / "submissions" / "correct.py")])
    collected = [line.split("::")[1] for line in out.getvalue().splitlines() if "::" in line]
    assert collected == list(registry.ids()) and "lloyd.recovers_blobs" not in collected


@pytest.mark.e2e
def test_a_change_reaches_the_release(changed, tmp_path):
    source = tmp_path / "source"
    shutil.copytree(ASSIGNMENTS / "source", source)
    build.build_source(source, changed)
    course = Course.create(tmp_path / "course", source)
    released = nbformat.read(str(course.release()), 4)
    # The student's release has no cell per check (the grader adds them from the gradebook);
    # the gradebook holds each with the course's points and the registry's words.
    # (The questions about the student's own run stay: the student fills them in.)
    assert set(_graded(released)) == {"pitfall_fix", "pitfall_answer",
                                      *(q.grade_id for q in answers.QUESTIONS)}
    with Gradebook(course.db_url) as gradebook:
        assert gradebook.find_graded_cell("assign_ties", "kmeans", "kmeans").max_score == 5
        assert NEW_TITLE in gradebook.find_source_cell("update_means", "kmeans", "kmeans").source
