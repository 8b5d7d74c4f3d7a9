"""The demo course that tests/test_course.py checks, built by a process of its own.

``kmeans_kit.course.demo`` (release, ``nbgrader autograde`` of the demo students two at a
time, feedback, CSV and Gradescope exports) keeps both cores busy for a minute and a half,
while most of the other tests use one. So when tests/test_course.py is selected,
tests/conftest.py starts this file as a script at the beginning of the session, and runs
tests/test_course.py last: the course is graded while the other tests run, and its tests
then read the finished course (:meth:`DemoCourse.result`). Run on its own,
tests/test_course.py just waits for it.

The same process then grades the red team's course (tests/red_team_course.py), hostile
submissions beside a correct classmate, for tests/test_red_team.py.

The course is graded with the course's config (``grader_config.py``) and one test setting,
a shorter cell timeout (:data:`CELL_TIMEOUT`). Once the demo is done, the process keeps what
the first grading gave and grades the students in :data:`REGRADED` a second time (``nbgrader
autograde``, then ``generate_feedback``) for the test that grading twice changes nothing.
"""

from __future__ import annotations

import atexit
import dataclasses
import json
import os
import signal
import subprocess
import sys
import threading
import time
import traceback
from pathlib import Path

#: The demo students tests/test_course.py needs (the demo grades just these).
STUDENTS = ("solution", "unmodified", "notes_no_empty_rule", "plain_loops", "tamper_numpy",
            "tamper_checker", "hanging_assign", "exits_in_update", "attacks_the_course")
#: Students graded at once (the CLI's default).
JOBS = 2
#: Graded a second time, alone, once the demo is done.
REGRADED = ("notes_no_empty_rule",)
#: Seconds a notebook cell may run while autograding the demo (grader_config.CELL_TIMEOUT
#: is 15 s). hanging_assign waits this long in each of the six cells that run its
#: ``assign``: with 15 s it alone took 85 s. Its scores come from the kit's isolated
#: checks, which keep the course's limits. The slowest honest cell (the imports, with
#: ``%matplotlib inline``) takes 3-4 s with two students graded at a time on two cores,
#: and up to 6 s with the other tests running beside them.
CELL_TIMEOUT = 10
#: How long a test waits for the course before giving up on it.
WAIT_SECONDS = 1200


def nbgrader_config(timeout: float = CELL_TIMEOUT) -> str:
    """A Jupyter-path ``nbgrader_config.py`` with the test setting.

    nbgrader reads ``nbgrader_config.py`` from every directory on the Jupyter config path
    besides the course's own; ``SurvivingExecute.timeout`` is more specific than the
    course's ``Execute.timeout``, so it wins for the step that runs the notebook.
    """
    return f"c.SurvivingExecute.timeout = {timeout!r}\n"


class DemoCourse:
    """The demo course at ``root``, being built by a background process."""

    def __init__(self, root: Path, config_dir: Path):
        self.root = Path(root)
        (config_dir / "nbgrader_config.py").write_text(nbgrader_config())
        #: The environment the course is graded in.
        self.env = dict(os.environ, JUPYTER_CONFIG_PATH=os.pathsep.join(
            filter(None, [str(config_dir), os.environ.get("JUPYTER_CONFIG_PATH")])))
        work = self.root.parent
        self._first, self._second = work / "first-grading.json", work / "second-grading.json"
        #: The red team's course (tests/red_team_course.py), graded after the demo.
        self.red_team_root = work / "red-team"
        self._red_team = work / "red-team.json"
        self._stdout, self._stderr = work / "demo-stdout.txt", work / "demo-stderr.txt"
        with open(self._stdout, "wb") as stdout, open(self._stderr, "wb") as stderr:
            self._process = subprocess.Popen(
                [sys.executable, __file__, str(self.root), str(self._first), str(self._second),
                 str(self.red_team_root), str(self._red_team)],
                stdin=subprocess.DEVNULL, stdout=stdout, stderr=stderr, env=self.env,
                start_new_session=True)   # its own group: stop() ends nbgrader's runs too
        atexit.register(self.stop)   # e.g. after Ctrl-C, when fixtures are not torn down

    def _wait(self) -> None:
        try:
            code = self._process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.stop()
            raise RuntimeError(f"the demo course was not ready after {WAIT_SECONDS} s:\n"
                               f"{self._tail()}") from None
        if code != 0:
            raise RuntimeError(f"building the demo course failed ({code}):\n{self._tail()}")

    def result(self) -> tuple[dict, dict, str]:
        """Wait for the course: ``demo``'s rows (student -> part -> (score, max)), every
        student's grades (grade_id -> Grade) from the first grading, and ``demo``'s output."""
        from kmeans_kit.course import Grade

        self._wait()
        first = json.loads(self._first.read_text())
        rows = {student: {part: tuple(score) for part, score in parts.items()}
                for student, parts in first["rows"].items()}
        grades = {student: {gid: Grade(**grade) for gid, grade in cells.items()}
                  for student, cells in first["grades"].items()}
        return rows, grades, self._stdout.read_text()

    def release(self) -> Path:
        """The course's release notebook, once its ``nbgrader generate_assignment`` is done."""
        from kmeans_kit.course import Course

        end = time.monotonic() + WAIT_SECONDS
        # demo prints "released: <path>" once the release is written; at the latest, the
        # release is there when the process is done.
        while "released: " not in self._stdout.read_text(errors="replace"):
            code = self._process.poll()
            if code not in (None, 0) or time.monotonic() > end:
                raise RuntimeError(f"the demo course was not released:\n{self._tail()}")
            if code == 0:
                break
            time.sleep(0.2)
        course = Course(self.root)
        return course.path("release") / f"{course.assignment}.ipynb"

    def first_feedback(self, student: str) -> str:
        """The feedback HTML of a student in REGRADED, as the first grading left it."""
        return json.loads(self._first.read_text())["feedback"][student]

    def red_team(self) -> dict:
        """The red team's course, graded: see :func:`red_team_course.grade_red_team`."""
        self._wait()
        return json.loads(self._red_team.read_text())

    def second_grading(self) -> dict:
        """``{"seconds": {student: seconds}}`` of grading REGRADED again, or ``{"error": ...}``."""
        return json.loads(self._second.read_text())

    def stop(self) -> None:
        """End the background process (and the nbgrader runs it started) if still running."""
        if self._process.poll() is None:
            try:
                os.killpg(self._process.pid, signal.SIGKILL)
            except ProcessLookupError:
                pass
            self._process.wait()

    def _tail(self) -> str:
        return (self._stdout.read_text(errors="replace")[-3000:] +
                self._stderr.read_text(errors="replace")[-3000:])


def feedback_html(course, student: str) -> str:
    return (course.root / "feedback" / student / course.assignment /
            f"{course.assignment}.html").read_text()


def _end_with(parent: int) -> None:
    """End this process group (this process and its nbgrader runs) once ``parent`` is gone."""
    while os.getppid() == parent:
        time.sleep(1.0)
    os.killpg(os.getpgrp(), signal.SIGKILL)


def main(root: str, first_file: str, second_file: str, red_team_root: str,
         red_team_file: str) -> None:
    from helpers import ASSIGNMENTS
    from red_team_course import grade_red_team

    from kmeans_kit.course import Course, demo

    threading.Thread(target=_end_with, args=(os.getppid(),), daemon=True).start()
    rows = demo(Path(root), ASSIGNMENTS, jobs=JOBS, progress=False, only=STUDENTS)
    course = Course(root)
    Path(first_file).write_text(json.dumps({
        "rows": rows,
        "grades": {student: {gid: dataclasses.asdict(grade)
                             for gid, grade in course.grades(student).items()}
                   for student in rows},
        "feedback": {student: feedback_html(course, student) for student in REGRADED},
    }))
    Path(red_team_file).write_text(json.dumps(grade_red_team(Path(red_team_root))))
    try:   # a failure here is the grading-twice test's, not every test's
        second = {"seconds": course.autograde(list(REGRADED), jobs=1, progress=False)}
        course.generate_feedback()
    except Exception:  # noqa: BLE001
        second = {"error": traceback.format_exc()}
    Path(second_file).write_text(json.dumps(second))


if __name__ == "__main__":
    main(*sys.argv[1:])
