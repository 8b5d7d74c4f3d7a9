"""The class report (kmeans_kit/report.py): its counts from the students' outcomes, what it
never shows, and the same report from Gradescope's results as from the outcomes themselves.
(On the demo class, from nbgrader's gradebook and opened in Chromium: tests/test_course.py.)"""

from __future__ import annotations

import json
import re

import pytest

from kmeans_kit import report
from kmeans_kit.adapters import gradescope
from kmeans_kit.checks import registry
from kmeans_kit.checks.misconceptions import BY_NAME
from kmeans_kit.messages import failure_text
from kmeans_kit.protocol import Outcome
from kmeans_kit.report import Graded, Source, Student

POINTS = registry.points()
CODE = "Where it happened in your code:\n  File \"In [14]\", line 3, in assign\n    secret_line()"


def _outcomes(failures: dict[str, tuple[str | None, str]]) -> list[Outcome]:
    """Every check passed but ``failures``: check id -> (misconception or None, message)."""
    return [Outcome(cid, registry.get(cid).title, cid not in failures,
                    *failures.get(cid, (None, ""))) for cid in POINTS]


def _graded(outcome: Outcome) -> Graded:
    """What KitGrader leaves of an outcome: points, the cause's first line, the words."""
    worth = POINTS[outcome.check_id]
    return Graded(outcome.check_id, worth if outcome.passed else 0.0, worth,
                  outcome.cause and outcome.cause.splitlines()[0], failure_text(outcome))


def _student(student_id: str, failures: dict[str, tuple[str | None, str]]) -> Student:
    return Student.from_checks(student_id, [_graded(o) for o in _outcomes(failures)])


ARGMAX = ("assign.argmax", f"Input (two points):\n  X = [[0, 0]]\n\n{CODE}\n\n"
          "Diagnosis (assign.argmax): the farthest mean.\nHint: argmin.")
FAILURES = {
    "ada": {},
    "bob": {"assign.nearest": ARGMAX, "lloyd.fixed_point": ARGMAX},
    "cy": {"assign.nearest": ARGMAX,
           "update.empty_cluster": ("update.drops_empty_cluster", "Input (x)\nrow lost")},
    "dee": {"converged.changed": (None, "converged returned 'yes'\nmore")},
    # every check stopped by one error that names no misconception: not judged
    "eve": {cid: (None, "`assign` did not finish in time\n...") for cid in POINTS},
    "fay": {cid: ("assign.not_implemented", "Input (y)\nNotImplementedError")
            for cid in POINTS if cid.startswith("assign.")},
}
CLASS = [_student(student, failures) for student, failures in FAILURES.items()]


def test_the_counts_are_the_students_outcomes():
    data = report.summarise(CLASS, Source("test", "here"))
    assert (data["students"], data["judged"]) == (6, 5)
    assert data["not_judged"] == [{"student": "eve", "reason": "`assign` did not finish in time"}]
    named = {m["misconception"]: m for m in data["misconceptions"]}
    assert [m["misconception"] for m in data["misconceptions"]] == \
        ["assign.argmax", "update.drops_empty_cluster"]     # the most common first
    # bob failed two checks for it, and counts once
    assert named["assign.argmax"]["students"] == ["bob", "cy"]
    assert named["assign.argmax"]["checks"] == ["assign.nearest", "lloyd.fixed_point"]
    assert named["assign.argmax"]["hint"] == BY_NAME["assign.argmax"].hint
    assert data["not_written"] == {"assign": ["fay"]}   # unfinished work, not a wrong idea
    assert data["unexplained"] == [{"check": "converged.changed",
                                    "failure": "converged returned 'yes'", "students": ["dee"],
                                    "count": 1}]
    passed = {c["check"]: (c["passed"], c["graded"]) for c in data["checks"]}
    assert passed["assign.nearest"] == (2, 5) and passed["update.output"] == (5, 5)
    assert passed["assign.output"] == (4, 5)          # fay's
    worth = data["functions"]["assign"]["max"]
    assert data["functions"]["assign"]["scores"] == sorted(
        [worth, worth - POINTS["assign.nearest"], worth - POINTS["assign.nearest"], worth, 0])
    assert report.top(data, 1) == [f"assign.argmax: 2 students -- "
                                   f"{named['assign.argmax']['title']}"]


def test_a_case_never_shows_the_students_code():
    data = report.summarise(CLASS, Source("test", "here"))
    case = next(m["case"] for m in data["misconceptions"] if m["misconception"] == "assign.argmax")
    assert "Input (two points)" in case and "Diagnosis (assign.argmax)" in case
    assert "secret_line" not in case and "Where it happened" not in case


def test_the_page_escapes_what_it_shows_and_runs_no_script(tmp_path):
    hostile = _student("<script>alert(1)</script>",
                       {"assign.nearest": ("assign.argmax",
                                           "Input (<img src=x onerror=alert(2)>)\nboom")})
    page, _ = report.write([*CLASS, hostile], Source("test", "<b>here</b>"), tmp_path)
    html = page.read_text()
    assert "<script>alert(1)" not in html and "&lt;script&gt;alert(1)" in html
    assert "<img src=x" not in html and "<b>here" not in html
    assert "default-src 'none'; img-src data:" in html
    assert len(re.findall(r'<img alt="[^"]*" src="data:image/png;base64,', html)) == 5
    data = json.loads((tmp_path / "report.json").read_text())
    assert data["misconceptions"][0]["students"] == ["<script>alert(1)</script>", "bob", "cy"]


def test_gradescope_results_give_the_same_report(tmp_path):
    """results.json as kmeans-kit grade writes them (one file per student, or a folder per
    student), read back: the same counts as the outcomes they were written from."""
    for student, failures in FAILURES.items():
        document = gradescope.from_outcomes(_outcomes(failures), POINTS, 1.0, "a jail")
        (tmp_path / f"{student}.json").write_text(json.dumps(document))
    students, source = report.from_gradescope(tmp_path)
    expected = report.summarise(CLASS, Source("test", "here"))
    got = report.summarise(students, source)
    for key in ("checks", "functions", "not_judged", "not_written", "unexplained"):
        assert got[key] == expected[key], key
    assert got["misconceptions"] == expected["misconceptions"]
    assert got["source"]["isolation"] == "a jail"
    with pytest.raises(FileNotFoundError, match="expected <student>/results.json"):
        report.from_gradescope(tmp_path / "nowhere")


def test_the_command_writes_the_page_and_names_the_most_common(tmp_path, capsys):
    from kmeans_kit import cli

    for student, failures in FAILURES.items():
        document = gradescope.from_outcomes(_outcomes(failures), POINTS, 1.0, "a jail")
        (tmp_path / student).mkdir()
        (tmp_path / student / "results.json").write_text(json.dumps(document))
    assert cli.main(["report", "--gradescope", str(tmp_path)]) == 0
    said = capsys.readouterr().out
    assert f"wrote {tmp_path / 'report' / 'report.html'} (5 of 6 students judged)" in said
    assert said.splitlines()[1].strip().startswith("assign.argmax: 2 students")
    (tmp_path / "broken.json").write_text("{not json")
    with pytest.raises(ValueError, match="broken.json is not a Gradescope results.json"):
        report.from_gradescope(tmp_path)


def test_three_hundred_students_read_as_a_summary(tmp_path):
    """At 300 students, the lists of names fold and the page stays small: one case per
    misconception, never one per student."""
    many = [_student(f"s{i:03d}", {"assign.nearest": ARGMAX} if i % 3 else {})
            for i in range(300)]
    page, _ = report.write(many, Source("test", "here"), tmp_path)
    html = page.read_text()
    assert "and 188 more</summary>" in html          # 200 names: 12 shown, the rest folded
    assert html.count("Diagnosis (assign.argmax)") == 1
    assert page.stat().st_size < 400_000
