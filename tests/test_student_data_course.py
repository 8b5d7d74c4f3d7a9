"""Each student's own data, end to end with real nbgrader: a course of three students whose
config sets a salt (grader_config.SALT_ENV).

* ``ada`` answers from her own run (the solution's ``len(history) - 1``...);
* ``ben`` writes ada's numbers into his answer;
* ``cy`` writes the numbers of her own data, by hand, rounded to one decimal.

All three have the instructor's functions. Grading runs ``nbgrader autograde`` with the
kit's preprocessors: the kernel gets each student's seed, the grader judges the answers for
the seed it derives itself.
"""

import re

import nbformat
import pytest
from helpers import DEMO_CLASS, RELEASE, SOURCE

import grader_config
from kmeans_kit import answers
from kmeans_kit.checks import registry
from kmeans_kit.course import Course, DemoStudent
from kmeans_kit.student_data import derive_seed, student_run

pytestmark = pytest.mark.e2e

SALT = "a salt for the test course"
STUDENTS = ("ada", "ben", "cy")
QUESTION = answers.get("answer.your_run")
CHECKS = {check.grade_id for check in registry.CHECKS}


def _numbers(run) -> str:
    return f"my_iterations = {run.iterations}\nmy_inertia = {run.inertia:.1f}\n"


@pytest.fixture(scope="module")
def course(tmp_path_factory):
    """The course, graded once, then ada and ben graded again: (course, first grades,
    second grades, each student's expected run)."""
    mp = pytest.MonkeyPatch()
    mp.setenv(grader_config.SALT_ENV, SALT)   # what nbgrader's config reads
    try:
        root = tmp_path_factory.mktemp("student-data") / "course"
        course = Course.create(root, SOURCE.parent.parent)
        course.release()
        expected = {s: student_run(derive_seed(s, SALT)) for s in STUDENTS}
        solution = DemoStudent.from_file(DEMO_CLASS / "solution.py")
        release = nbformat.read(str(RELEASE), as_version=4)
        answered = {"ada": solution.cells["your_run_solution"],
                    "ben": _numbers(expected["ada"]), "cy": _numbers(expected["cy"])}
        for student in STUDENTS:
            filled = DemoStudent(student, "", {**solution.cells,
                                               "your_run_solution": answered[student]})
            course.submit(student, filled.fill(release))
        course.add_students(STUDENTS)
        course.autograde(list(STUDENTS), jobs=2, progress=False)
        first = {s: course.grades(s) for s in STUDENTS}
        course.autograde(["ada", "ben"], jobs=2, progress=False)
        second = {s: course.grades(s) for s in ("ada", "ben")}
        yield course, first, second, expected
    finally:
        mp.undo()


def _autograded(course, student) -> str:
    nb = nbformat.read(str(course.path("autograded", student) / "kmeans.ipynb"), as_version=4)
    return "\n".join(out.get("text", "") + str(out.get("data", {}).get("text/plain", ""))
                     for cell in nb.cells for out in cell.get("outputs", []))


def test_two_students_get_different_data(course):
    course_, _, _, expected = course
    shown = {s: _autograded(course_, s) for s in STUDENTS}
    for student in STUDENTS:
        seed = int(re.search(r"your data's seed: (\d+)", shown[student]).group(1))
        assert seed == expected[student].seed == derive_seed(student, SALT)
        assert f"stopped after {expected[student].iterations} updates" in shown[student]
    assert len({expected[s].seed for s in STUDENTS}) == 3
    # the data themselves: df.head() differs
    heads = [re.search(r"x0 +x1 +true_cluster\n0 .*", shown[s]).group(0) for s in STUDENTS]
    assert len(set(heads)) == 3


def test_an_answer_for_one_s_own_data_earns_the_points_a_copied_one_does_not(course):
    _, first, _, expected = course
    assert round(expected["ada"].inertia, 1) != round(expected["ben"].inertia, 1)
    scores = {s: first[s][QUESTION.grade_id].score for s in STUDENTS}
    assert scores == {"ada": QUESTION.points, "ben": 0, "cy": QUESTION.points}
    assert "is not what your data give" in first["ben"][QUESTION.grade_id].output


def test_the_functions_are_graded_as_before(course):
    _, first, _, _ = course
    for student in STUDENTS:
        lost = {gid for gid, g in first[student].items() if gid in CHECKS and
                g.score != g.max_score}
        assert lost == set(), student


def test_regrading_gives_identical_scores_and_messages(course):
    _, first, second, _ = course
    for student in ("ada", "ben"):
        assert {gid: (g.score, g.output) for gid, g in first[student].items()
                if gid in CHECKS or gid == QUESTION.grade_id} == \
            {gid: (g.score, g.output) for gid, g in second[student].items()
             if gid in CHECKS or gid == QUESTION.grade_id}


def test_the_checks_run_the_setup_cells_on_the_notes_data(monkeypatch):
    """The isolated checks run the notebook's setup cells too: on the notes' data, whoever
    the student, so a function that (wrongly) reads the notebook's globals is judged the
    same for everyone."""
    from kmeans_kit.grading import check_submission
    from kmeans_kit.submission import Submission

    monkeypatch.setenv(grader_config.SALT_ENV, SALT)
    monkeypatch.setenv("KMEANS_KIT_STUDENT", "ada")
    solution = DemoStudent.from_file(DEMO_CLASS / "solution.py")
    reads_globals = solution.cells["assign_solution"].replace(
        '    """Index', '    assert seed == 398 and len(df) == 200, seed\n    """Index', 1)
    assert reads_globals != solution.cells["assign_solution"]
    nb = DemoStudent("g", "", {"assign_solution": reads_globals}).fill(
        nbformat.read(str(RELEASE), as_version=4))
    outcomes = check_submission(Submission.from_notebook(nb), groups=("assign",))
    assert [o.check_id for o in outcomes if not o.passed] == []
