"""End to end against hostile submissions: each class of attack costs only its author.

The red team's course (tests/red_team_course.py) is graded with real nbgrader, in the
jail, beside a correct classmate, by the background process tests/conftest.py starts.
Pages are opened in headless Chromium, formgrader's by a logged-in instructor against a
real ``jupyter server`` on the loopback interface.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import time
from pathlib import Path

import nbformat
import pytest
from browser import Formgrader, rendered_dom
from helpers import jailed_run
from red_team_course import VICTIM

from kmeans_kit import answers
from kmeans_kit.checks import registry
from kmeans_kit.course import Course
from kmeans_kit.runner import cgroup
from kmeans_kit.runner.jail import JailLimits

pytestmark = pytest.mark.e2e

#: Every autograded point: the checks and the questions about the student's own run.
FULL = float(sum(registry.points().values()) + sum(q.points for q in answers.QUESTIONS))
#: What the red team's scripts leave in a page where they ran.
PWNED = re.compile(r"data-pwned-([\w-]+)=")


@pytest.fixture(scope="module")
def red_team(demo_course):
    result = demo_course.red_team()
    return Course(demo_course.red_team_root), result, demo_course.env


def _feedback(course: Course, student: str):
    return course.root / "feedback" / student / course.assignment / f"{course.assignment}.html"


def test_every_red_team_submission_is_graded_in_one_run_for_the_class(red_team):
    """No notebook stops nbgrader's run: a newer schema_version, a copied cell..."""
    _, result, _ = red_team
    assert result["failed"] == {}
    assert set(result["rows"]) >= {VICTIM, "copies_a_cell", "newer_schema"}


def test_a_copied_cell_is_graded_on_the_function_the_notebook_defines(red_team):
    course, result, _ = red_team
    assert result["rows"]["copies_a_cell"]["update"] == result["rows"][VICTIM]["update"]
    feedback = _feedback(course, "copies_a_cell").read_text()
    assert "is a copy of the graded cell" in feedback


def test_an_unreadable_notebook_is_graded_zero_and_told_why(red_team):
    course, result, _ = red_team
    assert result["rows"]["unreadable"]["total"] == [0.0, FULL]
    feedback = _feedback(course, "unreadable").read_text()
    assert "could not be read, so it could not be graded" in feedback
    kept = course.path("submitted", "unreadable") / f"{course.assignment}.ipynb.unreadable"
    assert kept.read_bytes().startswith(b'{"cells": [{"cell_type": "code", "metadata": []')


def test_newer_nbgrader_metadata_costs_nothing(red_team):
    _, result, _ = red_team
    assert result["rows"]["newer_schema"] == result["rows"][VICTIM]


def test_the_correct_classmate_keeps_full_marks(red_team):
    _, result, _ = red_team
    assert result["rows"][VICTIM]["total"] == [FULL, FULL]


def test_scripts_in_the_submission_would_run_in_an_unsanitised_page(red_team, tmp_path):
    """The control: the payloads and their detection work (the submitted notebook, as
    nbconvert renders it by default)."""
    from nbconvert import HTMLExporter

    course, _, _ = red_team
    submitted = course.path("submitted", "scripts_in_pages") / f"{course.assignment}.ipynb"
    html, _ = HTMLExporter().from_notebook_node(nbformat.read(str(submitted), as_version=4))
    page = tmp_path / "plain.html"
    page.write_text(html)
    assert {"markdown-script", "markdown-onerror"} & set(PWNED.findall(
        rendered_dom(page.as_uri())))


def test_no_script_runs_in_the_feedback_page(red_team):
    course, _, _ = red_team
    dom = rendered_dom(_feedback(course, "scripts_in_pages").as_uri())
    assert PWNED.findall(dom) == []
    assert "<script>document" not in dom
    # What the student legitimately shows still shows: a picture and a table.
    assert re.search(r"<img [^>]*src=\"data:image/png;base64,", dom)
    assert 'class="dataframe"' in dom


def _formgrade_page(course: Course, env: dict, student: str) -> tuple[str, str]:
    """The DOM of formgrader's page for ``student``, opened by the logged-in instructor."""
    from nbgrader.api import Gradebook

    with Gradebook(course.db_url, course.config.COURSE_ID) as gb:
        submission = gb.find_submission_notebook(course.assignment, course.assignment,
                                                 student).id
    with Formgrader(course.root, env) as server:
        dom = rendered_dom(server.url(f"/formgrader/submissions/{submission}/"))
        return dom, server.log()


def test_scripts_in_the_submission_would_run_in_plain_formgrader(red_team, tmp_path):
    """The control: plain nbgrader (no kit config), the submitted notebook as it came."""
    course, _, env = red_team
    plain = Course(shutil.copytree(course.root, tmp_path / "course"))
    shutil.copy(plain.path("submitted", "scripts_in_pages") / f"{plain.assignment}.ipynb",
                plain.path("autograded", "scripts_in_pages") / f"{plain.assignment}.ipynb")
    (plain.root / "nbgrader_config.py").write_text(
        f"c.CourseDirectory.root = {str(plain.root)!r}\n"
        f"c.CourseDirectory.course_id = {plain.config.COURSE_ID!r}\n"
        f"c.CourseDirectory.db_url = {plain.db_url!r}\n")
    dom, log = _formgrade_page(plain, env, "scripts_in_pages")
    assert {"markdown-script", "markdown-onerror"} <= set(PWNED.findall(dom)), log


def test_no_script_runs_in_formgrader_for_the_logged_in_instructor(red_team):
    course, _, env = red_team
    dom, log = _formgrade_page(course, env, "scripts_in_pages")
    assert "The dict holds the true means" in dom, log
    assert PWNED.findall(dom) == []
    assert list(course.root.glob("pwned-*")) == []
    assert re.search(r"<img [^>]*src=\"data:image/png;base64,", dom)
    assert 'class="dataframe"' in dom


def _cell_text(course: Course, student: str, grade_id: str = "assign_solution") -> str:
    nb = nbformat.read(str(course.path("autograded", student) / f"{course.assignment}.ipynb"),
                       as_version=4)
    cell = next(c for c in nb.cells if c.metadata.get("nbgrader", {}).get("grade_id") == grade_id)
    return "\n".join(out.get("text") or out.get("evalue") or "" for out in cell.outputs)


#: The stated bound on the judge's (``nbgrader autograde``'s) peak resident memory over
#: the red team's class, one of whom floods it with 340 MB of output; grading a correct
#: notebook takes ~0.45 GB.
JUDGE_PEAK_MB = 700


def test_an_output_flood_is_cut_as_it_arrives(red_team):
    course, result, _ = red_team
    assert "The grader dropped" in _cell_text(course, "floods_outputs")
    notebook = course.path("autograded", "floods_outputs") / f"{course.assignment}.ipynb"
    assert notebook.stat().st_size < 40 * 2**20        # a notebook keeps 32 MB of outputs
    assert _feedback(course, "floods_outputs").stat().st_size < 40 * 2**20
    assert result["judge_peak_mb"] < JUDGE_PEAK_MB


def test_forged_kernel_messages_are_dropped_and_named_in_their_cell(red_team):
    course, result, _ = red_team
    text = _cell_text(course, "forges_messages")
    assert "malformed message" in text and "transient" in text
    assert "forges_messages" in result["rows"]


def test_the_kernel_cannot_fill_the_disk_and_its_files_come_back_bounded(red_team):
    from kmeans_kit.runner.jailed_kernel import COPY_BACK_DEPTH, JailedKernelManager

    course, _, _ = red_team
    kernel = JailedKernelManager()
    text = _cell_text(course, "fills_the_disk")
    written = int(re.search(r"disk stopped: (\d+) MB", text).group(1))
    assert written <= kernel.scratch_mb
    made = int(re.search(r"files stopped: (\d+)", text).group(1))
    assert made <= kernel.scratch_files
    assert int(re.search(r"depth: (\d+)", text).group(1)) > 1000   # deeper than recursion
    for step in ("autograded", "feedback"):
        copied = list(course.path(step, "fills_the_disk").rglob("*"))
        assert len(copied) <= kernel.copy_back_files + 10
        assert max(len(p.relative_to(course.path(step, "fills_the_disk")).parts)
                   for p in copied) <= COPY_BACK_DEPTH + 2


def test_the_feedback_page_runs_no_script_even_past_the_sanitiser(red_team, tmp_path):
    """The second wall: the feedback page's Content-Security-Policy. A script put into the
    page after sanitising (as if the sanitiser had missed it) does not run; the same page
    without the policy runs it."""
    from kmeans_kit.sanitize import CONTENT_SECURITY_POLICY

    course, _, _ = red_team
    page = _feedback(course, "scripts_in_pages").read_text()
    policy = re.search(r'<meta[^>]*http-equiv="Content-Security-Policy"[^>]*>', page)
    assert policy and CONTENT_SECURITY_POLICY in policy.group(0)
    assert page.index(policy.group(0)) < page.index("<body")
    missed = "<script>document.documentElement.setAttribute('data-pwned-missed','1')</script>"
    with_policy, without = tmp_path / "with.html", tmp_path / "without.html"
    with_policy.write_text(page.replace("</body>", missed + "</body>"))
    without.write_text(page.replace(policy.group(0), "").replace("</body>", missed + "</body>"))
    assert PWNED.findall(rendered_dom(with_policy.as_uri())) == []
    assert PWNED.findall(rendered_dom(without.as_uri())) == ["missed"]


# ---------------------------------------------------------------------- CPU: one jail, one share
_SPINNERS = """
import os, time
for n in range(16):
    if os.fork() == 0:
        while True:
            pass
time.sleep(60)
"""
_TIMED = """
import time
start = time.process_time()
wall = time.monotonic()
while time.process_time() - start < 1.5:
    pass
print(time.monotonic() - wall)
"""




@pytest.fixture
def no_autogroup():
    """Linux's scheduler autogroups (one per session: each jail is a session of its own)
    share the CPU out per jail on some machines, not on others (the sysctl is off on many
    servers): switched off for the test, so that only the jails' cgroups are left."""
    knob = Path("/proc/sys/kernel/sched_autogroup_enabled")
    before = knob.read_text() if knob.exists() else None
    if before is not None:
        knob.write_text("0")
    yield
    if before is not None:
        knob.write_text(before)


def test_one_jail_cannot_starve_another_of_cpu(red_team, tmp_path, no_autogroup):
    """Sixteen busy processes in one jail; a classmate's CPU-bound work in another gets its
    jail's share of the machine, where without the groups it gets two seventeenths of it.
    It runs once the courses are graded (``red_team``): its ungrouped control starves
    everything else on the machine for a while."""
    assert cgroup.support().available, cgroup.support().reason
    limits = JailLimits(cpu_seconds=120, memory_mb=512, processes=32)

    def slowdown(grouped: bool) -> float:
        hog = jailed_run(tmp_path, _SPINNERS, limits, grouped, f"hog-{grouped}",
                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        try:
            time.sleep(1.0)
            timed = jailed_run(tmp_path, _TIMED, limits, grouped, f"timed-{grouped}")
        finally:
            hog.kill()
            hog.wait()
            hog.jail.close()
        return float(timed.stdout.strip()) / 1.5

    grouped, free = slowdown(True), slowdown(False)
    print(f"slowdown with a cgroup per jail {grouped:.2f}, without {free:.2f}")
    assert grouped < 4 and free > 2 * grouped, (grouped, free)
