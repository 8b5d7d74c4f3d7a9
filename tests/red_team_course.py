"""The red team's course: hostile submissions graded beside a correct classmate.

Each file in tests/red_team/ is one hostile student, in the demo class's format (see
:class:`kmeans_kit.course.DemoStudent`); ``solution`` is the demo's correct student. They
are graded together, two at a time, with plain ``nbgrader`` commands and the course's own
``grader_config.py``, as an instructor would grade them. tests/demo_course.py runs
:func:`grade_red_team` in its background process, after the demo; tests/test_red_team.py
reads what it returns.
"""

from __future__ import annotations

from pathlib import Path

import nbformat
from helpers import ASSIGNMENTS, DEMO_CLASS

from kmeans_kit.course import Course, DemoStudent, GradingFailed, load_demo_class, part_scores

RED_TEAM = Path(__file__).resolve().parent / "red_team"
#: The correct classmate graded beside the red team.
VICTIM = "solution"


def students() -> list[DemoStudent]:
    return [DemoStudent.from_file(DEMO_CLASS / f"{VICTIM}.py"), *load_demo_class(RED_TEAM)]


def grade_red_team(root: Path) -> dict:
    """Release, submit, autograde (two at a time) and generate feedback for the red team.

    Returns ``{"rows": {student: {part: [score, max]}}, "failed": {student: error}}``;
    a student whose grading failed has no row.
    """
    course = Course.create(root, ASSIGNMENTS / "source")
    release = nbformat.read(str(course.release()), as_version=4)
    class_ = students()
    for student in class_:
        course.submit(student.student_id, student.fill(release))
    ids = [student.student_id for student in class_]
    course.add_students(ids)
    failed = {}
    try:
        course.autograde(ids, jobs=2, progress=False)
    except GradingFailed as exc:
        failed = exc.failed
    course.generate_feedback()
    return {"rows": {s: part_scores(course.grades(s)) for s in ids if s not in failed},
            "failed": failed}
