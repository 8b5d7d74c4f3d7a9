"""The committed student release is what ``nbgrader generate_assignment`` makes of the source,
and the source's nbgrader metadata is valid (its graded cells: tests/test_registry.py)."""

import json

import nbformat
import pytest
from helpers import ASSIGNMENTS, DEMO_CLASS, RELEASE, SOURCE

from kmeans_kit import answers
from kmeans_kit.course import Course, DemoStudent, release_as_myst

SECRETS = ("BEGIN SOLUTION", "END SOLUTION", "BEGIN HIDDEN TESTS", "END HIDDEN TESTS", "grade(")


def _normalised(nb) -> list:
    """What matters in a release: every cell's type, source and metadata (ids and outputs aside)."""
    return [{"cell_type": c.cell_type, "source": c.source, "metadata": c.metadata}
            for c in nb.cells]


def _nbgrader(nb) -> dict:
    return {c.metadata["nbgrader"]["grade_id"]: (c, c.metadata["nbgrader"]) for c in nb.cells
            if "nbgrader" in c.metadata}


@pytest.fixture(scope="module")
def regenerated(demo_course_if_selected, tmp_path_factory):
    """What ``nbgrader generate_assignment`` makes of the source, in a fresh course: the
    demo course's release when this session grades that course (tests/demo_course.py)."""
    if demo_course_if_selected is not None:
        return nbformat.read(str(demo_course_if_selected.release()), as_version=4)
    course = Course.create(tmp_path_factory.mktemp("course") / "course", ASSIGNMENTS / "source")
    return nbformat.read(str(course.release()), as_version=4)


@pytest.mark.e2e
def test_committed_release_is_up_to_date(regenerated):
    committed = nbformat.read(str(RELEASE), as_version=4)
    assert json.dumps(_normalised(committed), sort_keys=True) == \
        json.dumps(_normalised(regenerated), sort_keys=True), \
        "assignments/release is stale: run `kmeans-kit release` and commit it"
    assert RELEASE.with_suffix(".md").read_text() == release_as_myst(regenerated), \
        "assignments/release/kmeans/kmeans.md is stale: run `kmeans-kit release` and commit it"


@pytest.mark.parametrize("shipped", [RELEASE, RELEASE.with_suffix(".md")], ids=["ipynb", "md"])
def test_release_holds_no_solution_and_no_hidden_test(shipped):
    text = shipped.read_text()
    assert not [s for s in SECRETS if s in text]
    solution = DemoStudent.from_file(DEMO_CLASS / "solution.py")
    body_lines = [line.strip() for source in solution.cells.values()
                  for line in source.splitlines()[1:] if len(line.strip()) > 25]
    leaked = [line for line in body_lines if line in text]
    assert leaked == []


def test_the_release_shows_check_cells_not_a_placeholder_per_check():
    """The grader adds each check's graded cell from the gradebook (AddCheckCells); the
    student sees the check cells they run; only the hand-graded answers and the questions
    about their own run (kmeans_kit/answers.py) carry points."""
    nb = nbformat.read(str(RELEASE), as_version=4)
    assert set(_nbgrader(nb)) >= {"pitfall_fix", "pitfall_answer"}
    assert {gid for gid, (_, meta) in _nbgrader(nb).items() if meta.get("grade")} == \
        {"pitfall_fix", "pitfall_answer", *(q.grade_id for q in answers.QUESTIONS)}
    calls = [c.source.strip() for c in nb.cells if c.source.strip().startswith("check(")]
    assert calls == ['check("assign")', 'check("update")', 'check("converged")',
                     'check("lloyd")']


def test_nbgrader_metadata_is_valid_schema_3():
    from nbgrader.nbgraderformat import MetadataValidator

    nb = nbformat.read(str(SOURCE), as_version=4)
    MetadataValidator().validate_nb(nb)
    cells = _nbgrader(nb)
    assert len(cells) == sum("nbgrader" in c.metadata for c in nb.cells)  # grade_ids unique
    for gid, (_, meta) in cells.items():
        assert meta["schema_version"] == 3
        if meta["grade"] and not meta["solution"]:
            assert gid.split("_", 1)[0] in ("assign", "update", "converged", "lloyd") or \
                gid in {q.grade_id for q in answers.QUESTIONS}
    manual = {gid for gid, (cell, meta) in cells.items() if meta["grade"] and meta["solution"]}
    assert manual == {"pitfall_fix", "pitfall_answer"}
    assert cells["pitfall_answer"][0].cell_type == "markdown"


def test_grading_reads_only_setup_and_solution_cells():
    from kmeans_kit.submission import Submission

    nb = nbformat.read(str(RELEASE), as_version=4)
    submission = Submission.from_notebook(nb)
    chosen = [nb.cells[i] for i in submission.cells]
    setup = [c for c in chosen if "kit-setup" in c.metadata.get("tags", [])]
    assert len(setup) == 2  # imports and data: cheap, no plotting
    assert not any("plots" in c.source or "sklearn" in c.source for c in setup)


def test_source_solutions_are_the_demo_solution():
    """The master's solution regions are the `solution` demo student's code, so the
    submission graded full marks in tests/test_course.py is the instructor's solution."""
    import re

    solution = DemoStudent.from_file(DEMO_CLASS / "solution.py")
    nb = nbformat.read(str(SOURCE), as_version=4)
    regions = {meta["grade_id"]: re.search(r"### BEGIN SOLUTION\n(.*?)\n\s*### END SOLUTION",
                                           cell.source, re.S)
               for cell, meta in _nbgrader(nb).values()
               if meta["solution"] and cell.cell_type == "code"}
    assert set(regions) == {gid for gid in solution.cells if gid != "pitfall_answer"}
    for gid, region in regions.items():
        assert region and region.group(1) in solution.cells[gid], gid
