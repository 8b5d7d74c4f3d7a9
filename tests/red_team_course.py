"""The red team's course: hostile submissions graded beside a correct classmate.

Each file in tests/red_team/ is one hostile student, in the demo class's format (see
:class:`kmeans_kit.course.DemoStudent`); ``solution`` is the demo's correct student. They
are graded together, two at a time, with plain ``nbgrader`` commands and the course's own
``grader_config.py``, as an instructor would grade them. tests/demo_course.py runs
:func:`grade_red_team` in its background process, after the demo; tests/test_red_team.py
reads what it returns.
"""

from __future__ import annotations

import threading
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

    Returns ``{"rows": {student: {part: [score, max]}}, "failed": {student: error},
    "judge_peak_mb": {student: MB}}``; a student whose grading failed has no row. The
    judge's peak is the peak resident memory (VmHWM) of the ``nbgrader autograde``
    process that graded the student, the process that receives the kernel's outputs.
    """
    course = Course.create(root, ASSIGNMENTS / "source")
    release = nbformat.read(str(course.release()), as_version=4)
    class_ = students()
    for student in class_:
        course.submit(student.student_id, student.fill(release))
    ids = [student.student_id for student in class_]
    course.add_students(ids)
    failed, peaks, done = {}, {}, threading.Event()
    watcher = threading.Thread(target=_watch_judges, args=(ids, peaks, done), daemon=True)
    watcher.start()
    try:
        course.autograde(ids, jobs=2, progress=False)
    except GradingFailed as exc:
        failed = exc.failed
    finally:
        done.set()
        watcher.join()
    course.generate_feedback()
    return {"rows": {s: part_scores(course.grades(s)) for s in ids if s not in failed},
            "failed": failed, "judge_peak_mb": peaks}


def _watch_judges(ids: list[str], peaks: dict[str, float], done: threading.Event) -> None:
    """Record each student's ``nbgrader autograde`` process's VmHWM until ``done``."""
    while not done.wait(0.1):
        for proc in Path("/proc").iterdir():
            try:
                argv = (proc / "cmdline").read_bytes().split(b"\0")
                if b"autograde" not in argv:
                    continue
                student = next((a.decode().removeprefix("--student=") for a in argv
                                if a.startswith(b"--student=")), None)
                status = (proc / "status").read_text()
            except OSError:
                continue
            if student in ids:
                kb = next(int(line.split()[1]) for line in status.splitlines()
                          if line.startswith("VmHWM:"))
                peaks[student] = max(peaks.get(student, 0.0), kb / 1024)
