"""End to end with real nbgrader: the main job on the demo class, in a temporary course.

One run of ``kmeans_kit.course.demo`` (release, autograde every demo submission,
feedback, CSV and Gradescope exports) is shared by all tests; each autograde starts a
real kernel, so it takes a minute and a half. It runs in a process of its own, started
with the session by tests/conftest.py, which runs this file last (tests/demo_course.py).
"""

import csv
import json
import re
import shutil
from pathlib import Path

import nbformat
import pytest
from browser import page_facts, screenshot
from demo_course import REGRADED, STUDENTS
from helpers import ASSIGNMENTS, DEMO_CLASS, ROOT

import grader_config
from kmeans_kit import answers, report
from kmeans_kit.checks import registry
from kmeans_kit.checks.misconceptions import BY_NAME
from kmeans_kit.checks.registry import GROUPS
from kmeans_kit.course import PARTS, Course, DemoStudent, load_demo_class

pytestmark = pytest.mark.e2e

CHECKS = {registry.get(cid).grade_id: pts for cid, pts in registry.points().items()}
#: The questions about the student's own run: autograded too, in the total.
ANSWERS = {question.grade_id: question.points for question in answers.QUESTIONS}
FULL = sum(CHECKS.values()) + sum(ANSWERS.values())


def _part_max(part: str) -> float:
    return sum(p for gid, p in {**CHECKS, **ANSWERS}.items() if gid.startswith(part + "_"))


@pytest.fixture(scope="module")
def run(demo_course):
    """The finished demo course (graded in the background since the session began):
    the course, demo's rows, every student's grades after the first grading, demo's output."""
    rows, grades, out = demo_course.result()
    return Course(demo_course.root), rows, grades, out


def lost(grades, student) -> set[str]:
    """The kit-graded cells where the student did not get full points."""
    return {gid for gid, g in grades[student].items() if gid in CHECKS and g.score != g.max_score}


def test_demo_class_is_at_least_eight_submissions(run):
    course, rows, _, _ = run
    assert len(load_demo_class(DEMO_CLASS)) >= 8
    assert set(rows) == set(STUDENTS)
    assert len(list((course.root / "submitted").iterdir())) == len(rows)


@pytest.mark.parametrize("student", ["solution", "plain_loops"])
def test_correct_solutions_in_any_style_get_full_marks(run, student):
    _, rows, grades, _ = run
    assert lost(grades, student) == set()
    assert rows[student]["total"] == (FULL, FULL)


def test_prints_and_warnings_cost_nothing(run):
    course, _, grades, _ = run
    nb = nbformat.read(str(course.path("autograded", "plain_loops") / "kmeans.ipynb"), 4)
    stderr = [out for cell in nb.cells for out in cell.get("outputs", [])
              if out.output_type == "stream" and out.name == "stderr"]
    assert stderr, "the noisy submission should have written warnings in its own kernel"
    assert lost(grades, "plain_loops") == set()


def test_unmodified_release_gets_zero(run):
    _, rows, grades, _ = run
    assert rows["unmodified"]["total"] == (0.0, FULL)
    for grade in grades["unmodified"].values():
        if grade.grade_id in CHECKS:
            assert "CheckFailed" in grade.output or "✗" in grade.output


def test_notes_idioms_without_the_rule_lose_only_the_empty_cluster_check(run):
    _, _, grades, _ = run
    assert lost(grades, "notes_no_empty_rule") == {"update_empty_cluster"}


@pytest.mark.parametrize("student, broken", [("hanging_assign", "assign"),
                                             ("exits_in_update", "update")])
def test_hang_or_exit_costs_only_that_function_and_lloyd(run, student, broken):
    _, rows, grades, _ = run
    assert rows[student][broken] == (0.0, _part_max(broken))
    assert rows[student]["lloyd"] == (0.0, _part_max("lloyd"))  # the loop needs all three
    for part in set(GROUPS) - {broken, "lloyd"}:
        assert rows[student][part] == (_part_max(part), _part_max(part)), part


def _filled(name: str, drop: str | None = None) -> nbformat.NotebookNode:
    release = nbformat.read(str(ASSIGNMENTS / "release" / "kmeans" / "kmeans.ipynb"), 4)
    student = DemoStudent.from_file(DEMO_CLASS / f"{name}.py")
    if drop:
        student = DemoStudent(name, "", {gid: re.sub(drop, "", src, flags=re.M)
                                         for gid, src in student.cells.items()})
    return student.fill(release)


def test_patching_numpy_gains_nothing(run):
    """The tampering submission scores exactly what its code scores without the patches."""
    from kmeans_kit.grading import check_submission
    from kmeans_kit.submission import Submission

    _, _, grades, _ = run
    honest = _filled("tamper_numpy", drop=r"^numpy\..*=.*$")
    assert "numpy.array_equal" not in json.dumps(honest)
    expected = {o.grade_id: o.passed for o in
                check_submission(Submission.from_notebook(honest),
                                 settings=grader_config.SETTINGS)}
    got = {gid: g.score == g.max_score for gid, g in grades["tamper_numpy"].items()
           if gid in CHECKS}
    assert got == expected
    assert not got["assign_nearest"] and not got["update_means"]


def test_patching_the_checker_gains_nothing(run):
    _, _, grades, _ = run
    assert {gid: g.score for gid, g in grades["tamper_checker"].items() if gid in CHECKS} == \
        {gid: g.score for gid, g in grades["unmodified"].items() if gid in CHECKS}


def test_an_attack_on_the_course_gains_nothing_and_harms_no_one(run):
    """Graded in the same batch as its classmates, the hostile submission reaches nothing."""
    course, rows, grades, out = run
    assert rows["attacks_the_course"]["total"] == (0, FULL)
    assert rows["solution"]["total"] == rows["plain_loops"]["total"] == (FULL, FULL)
    assert (course.root / "nbgrader_config.py").read_text() == grader_config.course_config_line()
    release = nbformat.read(str(course.path("release") / "kmeans.ipynb"), as_version=4)
    for student in load_demo_class(DEMO_CLASS):
        if student.student_id in STUDENTS and student.student_id != "attacks_the_course":
            submitted = course.path("submitted", student.student_id) / "kmeans.ipynb"
            assert [c.source for c in nbformat.read(str(submitted), 4).cells] == \
                [c.source for c in student.fill(release).cells], student.student_id
    assert not list(course.root.rglob("stolen.ipynb"))
    assert "# owned" not in (course.root / "gradebook.db").read_bytes().decode("latin-1")
    daemons = [p for p in Path("/proc").glob("[0-9]*/cmdline")
               if b"demo-daemon" in _read(p)]
    assert daemons == []
    assert "student code ran in: jail (bubblewrap" in out


def _read(path: Path) -> bytes:
    try:
        return path.read_bytes()
    except OSError:
        return b""


def test_grading_twice_gives_identical_scores_and_feedback(run, demo_course):
    """Once the demo is done, the course's process grades REGRADED again (autograde, then
    generate_feedback; tests/demo_course.py), after keeping the first grades and feedback."""
    course, _, grades, _ = run
    second = demo_course.second_grading()
    assert set(second.get("seconds", ())) == set(REGRADED), second.get("error")
    for student in REGRADED:
        html = demo_course.first_feedback(student)
        again = course.grades(student)
        assert again == grades[student]
        html_again = (course.root / "feedback" / student / "kmeans" / "kmeans.html").read_text()
        assert _graded_text(html_again) == _graded_text(html)


def _graded_text(html: str) -> list[str]:
    return re.findall(r"(?:✓|✗) [a-z_]+\.[a-z_]+ — .*", html)


def test_feedback_shows_diagnosis_never_hidden_tests(run):
    course, rows, grades, _ = run
    for student in rows:
        html = (course.root / "feedback" / student / "kmeans" / "kmeans.html").read_text()
        assert "BEGIN HIDDEN TESTS" not in html and "grade(&quot;" not in html \
            and 'grade("' not in html, student
    html = (course.root / "feedback" / "tamper_numpy" / "kmeans" / "kmeans.html").read_text()
    first = next(g for gid, g in grades["tamper_numpy"].items()
                 if gid in CHECKS and g.score < g.max_score).output.splitlines()
    assert 'class="kit-check failed"' in html            # a failed check, shown as failed
    assert len(first) > 2 and all(line in html for line in first[:4])  # with its diagnosis


def _page(course, student: str) -> Path:
    return course.root / "feedback" / student / "kmeans" / "kmeans.html"


def test_the_feedback_page_reads_at_a_glance(run, tmp_path):
    """What Chromium shows: points per function (the gradebook's), what awaits a grader,
    every picture loaded, no line wider than the page, each mistake in full once, no hidden
    test, no path of the grader's."""
    course, _, grades, _ = run
    awaiting = sum(g.max_score for gid, g in grades["solution"].items()
                   if gid not in CHECKS and gid not in ANSWERS)
    pages = {student: page_facts(_page(course, student))
             for student in ("solution", "tamper_numpy", "hanging_assign")}
    assert f"{FULL:g} / {FULL:g} autograded, {awaiting:g} points awaiting a grader" in \
        pages["solution"]["text"]
    assert "awaiting grading" in pages["solution"]["text"]
    for student, facts in pages.items():
        for part in GROUPS:
            earned = sum(g.score for gid, g in grades[student].items()
                         if gid in CHECKS and gid.startswith(part + "_"))
            assert re.search(rf"\b{part}\s+{earned:g} / {_part_max(part):g}\b",
                             facts["text"]), (student, part)
        assert facts["wide"] == [] and facts["scroll_width"] <= facts["width"], student
        assert "BEGIN HIDDEN TESTS" not in facts["text"] and 'grade("' not in facts["text"]
        assert "site-packages" not in facts["text"] and str(ROOT) not in facts["text"], student
    assert len(pages["solution"]["images"]) >= 5
    assert all(image["loaded"] for image in pages["solution"]["images"])
    hanging = pages["hanging_assign"]["text"]
    # the hang stops all five checks of assign (and the loop's): shown once, pointed back to
    assert hanging.count("The same mistake as assign.output above") == 4
    assert hanging.count("None of the checks of `assign` can be judged") <= 2
    assert hanging.count("KeyboardInterrupt                         Traceback") == 1
    assert "the same error as in In [" in hanging
    # and on screen, the summary at the top marks the failed checks in red
    top = screenshot(_page(course, "hanging_assign"), tmp_path / "top.png", height=700)
    assert _colours(top)["red"] > 200


def test_a_grader_s_score_replaces_awaiting_grading(run, tmp_path):
    """Once a grader has scored the hand-graded answers (here through nbgrader's API, as
    formgrader does), the page shows their points and the total is a plain score."""
    from nbgrader.api import Gradebook

    course, _, grades, _ = run
    copy = Course(shutil.copytree(course.root, tmp_path / "course", symlinks=True))
    manual = {gid: g for gid, g in grades["solution"].items()
              if gid not in CHECKS and gid not in ANSWERS}
    with Gradebook(copy.db_url) as gradebook:
        for gid, grade in manual.items():   # what formgrader's grade API does
            scored = gradebook.find_grade(gid, "kmeans", "kmeans", "solution")
            scored.manual_score, scored.needs_manual_grade = grade.max_score - 1, False
        gradebook.db.commit()
    copy.nbgrader("generate_feedback", "kmeans", "--force", "--student=solution")
    text = page_facts(_page(copy, "solution"))["text"]
    worth = FULL + sum(g.max_score for g in manual.values())
    assert "awaiting" not in text
    assert f"score {worth - len(manual):g} / {worth:g}" in text
    # Canvas gets the final score now (blank before: test_exports_canvas_gradebook_csv).
    canvas = _canvas(copy.export_canvas(tmp_path / "canvas.csv"))
    assert canvas["solution"]["kmeans"] == f"{worth - len(manual):g}"
    png = screenshot(_page(copy, "solution"), tmp_path / "top.png", height=700)
    colours = _colours(png)
    assert colours["green"] > 200 and colours["red"] == 0   # ✓ marks, and no ✗


def _colours(png: Path) -> dict[str, int]:
    """How many pixels of the summary's pass (green) and fail (red) colour a picture has."""
    from PIL import Image

    pixels = Image.open(png).convert("RGB").get_flattened_data()
    near = lambda rgb, ref: all(abs(a - b) < 20 for a, b in zip(rgb, ref))  # noqa: E731
    return {"green": sum(near(p, (43, 122, 43)) for p in pixels),
            "red": sum(near(p, (192, 57, 43)) for p in pixels)}


def test_feedback_shows_the_notebooks_pictures(run):
    """The scatter plots, the storyboard and the inertia plot as PNGs, and the animation as
    an <img> with its GIF's bytes: what the student's kernel drew reaches the page."""
    course, _, _, _ = run
    html = (course.root / "feedback" / "solution" / "kmeans" / "kmeans.html").read_text()
    assert len(re.findall(r'<img [^>]*src="data:image/png;base64,', html)) >= 5
    assert re.search(r'<img [^>]*src="data:image/gif;base64,R0lGOD', html)
    assert "&lt;Figure size" not in html and "<Figure size" not in html


def test_exports_csv_and_gradescope(run):
    course, rows, grades, out = run
    with open(course.root / "exports" / "grades.csv", newline="") as handle:
        csv_rows = {row["student_id"]: row for row in csv.DictReader(handle)}
    assert set(csv_rows) == set(rows)
    for student, parts in rows.items():
        assert float(csv_rows[student]["raw_score"]) == pytest.approx(parts["total"][0])
        result = json.loads((course.root / "exports" / "gradescope" / student /
                             "results.json").read_text())
        assert result["score"] == pytest.approx(sum(t["score"] for t in result["tests"]))
        assert {t["name"] for t in result["tests"]} == set(CHECKS) | set(ANSWERS)
        assert all({"name", "score", "max_score", "output"} <= set(t) for t in result["tests"])


def _canvas(path: Path) -> dict[str, dict[str, str]]:
    """A Canvas gradebook CSV, by SIS Login ID (the Points Possible row by its name)."""
    with open(path, newline="") as handle:
        rows = list(csv.DictReader(handle))
    return {row["SIS Login ID"] or row["Student"]: row for row in rows}


def test_exports_canvas_gradebook_csv(run):
    """Canvas's import wants one of its id columns and one column per assignment; while the
    hand-graded answers await a grader, the score is blank, so Canvas keeps its own. (An
    answer left as released needs no grader: nbgrader scores it 0.)"""
    course, rows, grades, _ = run
    path = course.root / "exports" / "canvas.csv"
    with open(path, newline="") as handle:
        header = next(csv.reader(handle))
    assert header == ["Student", "ID", "SIS User ID", "SIS Login ID", "Section", "kmeans"]
    canvas = _canvas(path)
    assert set(canvas) == {*rows, "Points Possible"}
    worth = float(canvas.pop("Points Possible")["kmeans"])
    assert worth > FULL     # the autograded checks and the hand-graded answers
    waiting = {s for s, cells in grades.items() if any(g.score is None for g in cells.values())}
    assert "solution" in waiting and "unmodified" not in waiting
    for student, parts in rows.items():
        assert canvas[student]["SIS Login ID"] == student
        assert canvas[student]["kmeans"] == ("" if student in waiting else
                                             f"{parts['total'][0]:g}"), student
    course.nbgrader("export", "--exporter=kmeans_kit.adapters.canvas.CanvasExportPlugin",
                    f"--CanvasExportPlugin.to={course.root / 'exports' / 'partial.csv'}",
                    "--CanvasExportPlugin.awaiting_grader=partial")
    partial = _canvas(course.root / "exports" / "partial.csv")
    for student, parts in rows.items():
        assert float(partial[student]["kmeans"]) == pytest.approx(parts["total"][0])


def test_the_class_report_counts_what_the_gradebook_holds(run):
    """The demo writes the class report; its counts are the students' own outcomes, read
    here from the gradebook and the autograded notebooks, and it prints the three most
    common misconceptions."""
    from kmeans_kit import cells

    course, rows, grades, out = run
    data = json.loads((course.root / "exports" / "report" / "report.json").read_text())
    assert data["students"] == len(rows)
    had: dict[str, set[str]] = {}
    for student in rows:
        nb = nbformat.read(course.path("autograded", student) / "kmeans.ipynb", as_version=4)
        assert nb.metadata["kmeans_kit"]["isolation"].startswith(("jail", "uid-only"))
        for cell in nb.cells:
            cause = cells.kit_check(cell).get("cause")
            if cause in BY_NAME and not cause.endswith(".not_implemented"):
                had.setdefault(cause, set()).add(student)
    assert {m["misconception"]: set(m["students"]) for m in data["misconceptions"]} == had
    counts = [m["count"] for m in data["misconceptions"]]
    assert counts == sorted(counts, reverse=True)
    judged = {s for s in rows} - {s["student"] for s in data["not_judged"]}
    for check in (c for c in data["checks"] if c["check"] in registry.ids()):
        gid = registry.get(check["check"]).grade_id
        assert check["passed"] == sum(grades[s][gid].score == grades[s][gid].max_score
                                      for s in judged), check
    for question in answers.QUESTIONS:   # the question on the student's own run, too
        row = next(c for c in data["checks"] if c["check"] == question.id)
        assert row["passed"] == sum(grades[s][question.grade_id].score == question.points
                                    for s in judged), row
    assert data["source"]["isolation"].startswith(("jail", "uid-only"))
    shown = out.split("the class's most common misconceptions:\n", 1)[1].splitlines()[:3]
    assert [line.strip() for line in shown] == report.top(data)


def test_the_class_report_reads_at_a_glance(run):
    """In Chromium: the bar chart and the four histograms load as images, and no line is
    wider than the page."""
    course, _, _, _ = run
    facts = page_facts(course.root / "exports" / "report" / "report.html")
    assert len(facts["images"]) == 5 and all(i["loaded"] for i in facts["images"])
    assert facts["wide"] == []
    for heading in ("Misconceptions, most common first", "Checks, the least passed first",
                    "Points per function"):
        assert heading in facts["text"]


def test_main_job_prints_the_grade_table(run):
    _, rows, _, out = run
    header = next(line for line in out.splitlines() if line.startswith("student"))
    assert header.split() == ["student", *PARTS, "total"]
    for student, parts in rows.items():
        line = next(line for line in out.splitlines() if line.startswith(student + " "))
        assert line.split()[-1] == f"{parts['total'][0]:g}/{parts['total'][1]:g}"
    for where in ("feedback HTML:", "grades CSV:", "Canvas CSV:", "Gradescope:",
                  "class report:"):
        assert where in out
