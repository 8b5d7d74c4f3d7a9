"""The red team's course: hostile submissions graded beside a correct classmate.

Each file in tests/red_team/ is one hostile student, in the demo class's format (see
:class:`kmeans_kit.course.DemoStudent`); ``solution`` is the demo's correct student. They
are graded together, two at a time, with plain ``nbgrader`` commands and the course's own
``grader_config.py``, as an instructor would grade them. tests/demo_course.py runs
:func:`grade_red_team` in its background process, after the demo; tests/test_red_team.py
reads what it returns.
"""

from __future__ import annotations

import copy
import threading
from pathlib import Path

import nbformat
from helpers import ASSIGNMENTS, DEMO_CLASS

from kmeans_kit.course import Course, DemoStudent, load_demo_class, part_scores

RED_TEAM = Path(__file__).resolve().parent / "red_team"
#: The correct classmate graded beside the red team.
VICTIM = "solution"


def students() -> list[DemoStudent]:
    return [DemoStudent.from_file(DEMO_CLASS / f"{VICTIM}.py"), *load_demo_class(RED_TEAM)]


def _cell(nb, grade_id: str) -> int:
    return next(i for i, cell in enumerate(nb.cells)
                if cell.metadata.get("nbgrader", {}).get("grade_id") == grade_id)


def copies_a_cell(nb):
    """An honest copy and paste in Jupyter: the pasted cell (a new id, the same metadata,
    nbgrader's included) below ``update_solution`` holds the working ``update``; the
    first attempt above it is left wrong. Run top to bottom, the notebook defines the
    working one."""
    index = _cell(nb, "update_solution")
    original = nb.cells[index]
    pasted = nbformat.from_dict(copy.deepcopy(dict(original)))
    pasted.id = "pasted-update"
    original.source = "def update(X, labels, means):\n    return means   # my first try\n"
    nb.cells.insert(index + 1, pasted)
    return nb


def newer_schema(nb):
    """nbgrader metadata from a newer nbgrader: nbgrader aborted the whole class's run."""
    nb.cells[_cell(nb, "converged_solution")].metadata["nbgrader"]["schema_version"] = 99
    return nb


#: Red-team students made by editing the victim's notebook (what a .py file cannot say).
NOTEBOOK_EDITS = {"copies_a_cell": copies_a_cell, "newer_schema": newer_schema}
#: Red-team students whose file is not a notebook nbformat can read: its bytes.
UNREADABLE = {"unreadable": b'{"cells": [{"cell_type": "code", "metadata": [], "source": 5'}


def grade_red_team(root: Path) -> dict:
    """Release, submit, autograde and generate feedback for the red team and the victim.

    The class is graded as an instructor grades it, with one ``nbgrader autograde``
    run over every submission: a notebook that stops that run stops the whole class.
    Returns ``{"rows": {student: {part: [score, max]}}, "failed": {student: why},
    "judge_peak_mb": MB}``; a student whose grading failed has no row. The judge's peak
    is the peak resident memory (VmHWM) of that ``nbgrader autograde`` process, which
    receives every kernel's outputs.
    """
    course = Course.create(root, ASSIGNMENTS / "source")
    release = nbformat.read(str(course.release()), as_version=4)
    class_ = students()
    for student in class_:
        course.submit(student.student_id, student.fill(release))
    victim = class_[0].fill(release)
    for name, edit in NOTEBOOK_EDITS.items():
        course.submit(name, edit(copy.deepcopy(victim)))
    for name, data in UNREADABLE.items():
        target = course.path("submitted", name) / f"{course.assignment}.ipynb"
        target.parent.mkdir(parents=True)
        target.write_bytes(data)
    ids = [student.student_id for student in class_] + list(NOTEBOOK_EDITS) + list(UNREADABLE)
    course.add_students(ids)
    peak, done = [0.0], threading.Event()
    watcher = threading.Thread(target=_watch_judge, args=(peak, done), daemon=True)
    watcher.start()
    try:
        run = course.nbgrader("autograde", course.assignment, "--force", check=False)
    finally:
        done.set()
        watcher.join()
    graded = {s for s in ids
              if (course.path("autograded", s) / f"{course.assignment}.ipynb").exists()}
    failed = {s: (run.stdout + run.stderr)[-3000:] for s in ids if s not in graded}
    course.generate_feedback()
    return {"rows": {s: part_scores(course.grades(s)) for s in ids if s in graded},
            "failed": failed, "judge_peak_mb": peak[0]}


def _watch_judge(peak: list[float], done: threading.Event) -> None:
    """Keep the VmHWM of the running ``nbgrader autograde`` process in ``peak[0]``."""
    while not done.wait(0.1):
        for proc in Path("/proc").iterdir():
            try:
                if b"autograde" not in (proc / "cmdline").read_bytes().split(b"\0"):
                    continue
                status = (proc / "status").read_text()
            except OSError:
                continue
            kb = next(int(line.split()[1]) for line in status.splitlines()
                      if line.startswith("VmHWM:"))
            peak[0] = max(peak[0], kb / 1024)
