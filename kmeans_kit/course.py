"""The instructor cycle on a demo class: ``kmeans-kit demo`` (see :mod:`kmeans_kit.cli`).

Builds an nbgrader course directory from ``assignments/source``, releases the
assignment, makes a demo class of submissions by filling the release
notebook's solution cells with the code in ``assignments/demo_class/*.py``,
autogrades them (in parallel, with a progress bar), writes feedback HTML,
exports the grades to CSV (nbgrader's, and Canvas's gradebook import) and to
Gradescope's ``results.json`` format and
prints a per-student, per-function grade table.

Every nbgrader step is the plain ``nbgrader`` command an instructor would
type, run in the course directory, where a short ``nbgrader_config.py``
loads ``grader_config.py`` (see :func:`grader_config.course_config_line`),
read here through :func:`kmeans_kit.settings.load_config`.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from dataclasses import dataclass
from pathlib import Path

import nbformat

from . import answers, cells
from .checks import registry
from .settings import course_config

_SECTION = re.compile(r"^# %% (\[markdown\] )?(\w+)[ \t]*\n", re.MULTILINE)
_ANSI = re.compile(r"\x1b\[[0-9;]*m")


# --------------------------------------------------------------------------- demo class
@dataclass(frozen=True)
class DemoStudent:
    """One demo submission: what goes into which solution cell.

    ``cells`` maps a solution cell's ``grade_id`` to its new source; cells not
    named keep the release's stub. In the ``.py`` file a cell starts with
    ``# %% <grade_id>`` (code) or ``# %% [markdown] <grade_id>`` (its lines
    commented with ``# ``); the comment lines before the first cell describe
    the student.
    """

    student_id: str
    description: str
    cells: dict[str, str]

    @classmethod
    def from_file(cls, path: Path) -> DemoStudent:
        text = path.read_text(encoding="utf-8")
        parts = _SECTION.split(text)
        header, cells = parts[0], {}
        for markdown, grade_id, body in zip(parts[1::3], parts[2::3], parts[3::3]):
            body = body.strip("\n")
            if markdown:
                body = "\n".join(line[2:] if line.startswith("# ") else line.lstrip("#")
                                 for line in body.splitlines())
            cells[grade_id] = body + "\n" if not markdown else body
        description = " ".join(line.lstrip("# ").strip() for line in header.splitlines()
                               if line.startswith("#")).removeprefix("Demo student: ")
        return cls(path.stem, description, cells)

    def fill(self, release: nbformat.NotebookNode) -> nbformat.NotebookNode:
        """The release notebook with this student's answers in its solution cells."""
        nb = nbformat.from_dict(json.loads(json.dumps(release)))  # deep copy
        solutions = {cells.grade_id(cell): cell for cell in nb.cells if cells.is_solution(cell)}
        unknown = set(self.cells) - set(solutions)
        if unknown:
            raise ValueError(f"demo student {self.student_id!r} fills cells {sorted(unknown)} "
                             f"that the release does not have; solution cells are "
                             f"{sorted(solutions)}.")
        for grade_id, source in self.cells.items():
            solutions[grade_id].source = source
        return nb


def load_demo_class(directory: Path) -> list[DemoStudent]:
    """Every demo student, in file-name order."""
    students = [DemoStudent.from_file(path) for path in sorted(Path(directory).glob("*.py"))]
    if not students:
        raise FileNotFoundError(f"No demo submissions (*.py) in {directory}.")
    return students


# --------------------------------------------------------------------------- the course
@dataclass(frozen=True)
class Grade:
    grade_id: str
    score: float | None       # None while a manually graded cell waits for a grader
    max_score: float
    output: str               # what the autograded cell showed (the diagnosis)


class GradingFailed(RuntimeError):
    """nbgrader could not grade some students (``failed``: id -> nbgrader's output)."""

    def __init__(self, failed: dict[str, str], seconds: dict[str, float]):
        super().__init__(f"nbgrader autograde failed for {sorted(failed)}")
        self.failed, self.seconds = failed, seconds


class Course:
    """An nbgrader course directory driven with plain ``nbgrader`` commands."""

    def __init__(self, root: str | os.PathLike, assignment: str | None = None):
        self.root = Path(root).resolve()
        self.config = course_config()
        self.assignment = assignment or self.config.ASSIGNMENT

    # ---- setup
    @classmethod
    def create(cls, root: str | os.PathLike, source: str | os.PathLike) -> Course:
        """A fresh course directory: the ``source`` assignments and the course config."""
        course = cls(root)
        course.root.mkdir(parents=True, exist_ok=True)
        target = course.root / "source"
        if target.exists():
            shutil.rmtree(target)
        shutil.copytree(source, target, ignore=shutil.ignore_patterns(
            ".ipynb_checkpoints", "kmeans.gif", "kmeans_storyboard.png"))  # run outputs
        (course.root / "nbgrader_config.py").write_text(course.config.course_config_line())
        return course

    def nbgrader(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        """Run ``nbgrader <args>`` in the course directory (this interpreter's nbgrader)."""
        env = dict(os.environ, **{self.config.COURSE_DIR_ENV: str(self.root)})
        # nbgrader runs ``alembic`` (gradebook migrations) and the kernel from PATH.
        env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
        proc = subprocess.run([sys.executable, "-m", "nbgrader", *args], cwd=self.root, env=env,
                              capture_output=True, text=True)
        if check and proc.returncode != 0:
            raise RuntimeError(f"nbgrader {' '.join(args)} failed ({proc.returncode}):\n"
                               f"{proc.stdout[-3000:]}{proc.stderr[-3000:]}")
        return proc

    @property
    def db_url(self) -> str:
        """The gradebook's URL, as nbgrader gets it: ``grader_config.db_url`` (the course's
        ``gradebook.db``, or ``$KMEANS_KIT_DB_URL``; its ``nbgrader`` runs inherit it)."""
        return self.config.db_url(self.root)

    def path(self, step: str, student: str | None = None) -> Path:
        """``<root>/<step>[/<student>]/<assignment>``, nbgrader's layout."""
        parts = [step] + ([student] if student else []) + [self.assignment]
        return self.root.joinpath(*parts)

    # ---- the cycle
    def release(self) -> Path:
        """``nbgrader generate_assignment``: the student notebook, in ``release/``."""
        self.nbgrader("generate_assignment", self.assignment, "--force")
        return self.path("release") / f"{self.assignment}.ipynb"

    def submit(self, student_id: str, nb: nbformat.NotebookNode) -> Path:
        """Put a notebook where ``nbgrader collect`` would: ``submitted/<student>/``."""
        target = self.path("submitted", student_id) / f"{self.assignment}.ipynb"
        target.parent.mkdir(parents=True, exist_ok=True)
        nbformat.write(nb, str(target))
        return target

    def add_students(self, student_ids) -> None:
        from nbgrader.api import Gradebook

        with Gradebook(self.db_url, self.config.COURSE_ID) as gb:
            for student_id in student_ids:
                gb.update_or_create_student(student_id)

    def autograde(self, student_ids, jobs: int = 2, progress: bool = True) -> dict[str, float]:
        """``nbgrader autograde --student=<id>`` for every student; seconds per student.

        Students are graded ``jobs`` at a time, each in its own nbgrader process
        (the SQLite gradebook serialises their short writes). A student whose
        grading fails is retried once; if it fails again the others are still
        graded and :class:`GradingFailed` lists who failed and why.
        """
        from tqdm import tqdm

        def one(student_id: str) -> tuple[str, float, str]:
            start, error = time.perf_counter(), ""
            for _attempt in range(2):
                try:
                    self.nbgrader("autograde", self.assignment, f"--student={student_id}",
                                  "--force")
                    error = ""
                    break
                except RuntimeError as exc:
                    error = str(exc)
            return student_id, time.perf_counter() - start, error

        seconds, failed = {}, {}
        with ThreadPoolExecutor(max_workers=max(1, jobs)) as pool, \
                tqdm(total=len(student_ids), desc="autograding", unit="student",
                     disable=not progress, file=sys.stdout) as bar:
            for future in as_completed([pool.submit(one, s) for s in student_ids]):
                student_id, took, error = future.result()
                seconds[student_id] = took
                if error:
                    failed[student_id] = error
                bar.set_postfix_str(f"{student_id} {took:.0f}s")
                bar.update()
        if failed:
            raise GradingFailed(failed, seconds)
        return seconds

    def generate_feedback(self) -> Path:
        self.nbgrader("generate_feedback", self.assignment, "--force")
        return self.root / "feedback"

    def export_csv(self, path: Path | None = None) -> Path:
        """``nbgrader export``: one row per student and assignment."""
        path = Path(path or self.root / "exports" / "grades.csv")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.nbgrader("export", f"--CsvExportPlugin.to={path}")
        return path

    def export_canvas(self, path: Path | None = None) -> Path:
        """``nbgrader export`` with the kit's Canvas plugin: Canvas's gradebook import CSV."""
        path = Path(path or self.root / "exports" / "canvas.csv")
        path.parent.mkdir(parents=True, exist_ok=True)
        self.nbgrader("export", "--exporter=kmeans_kit.adapters.canvas.CanvasExportPlugin",
                      f"--CanvasExportPlugin.to={path}")
        return path

    # ---- reading the results
    def grades(self, student_id: str) -> dict[str, Grade]:
        """Every graded cell of a student's notebook: score (from the gradebook) and output."""
        from nbgrader.api import Gradebook

        nb = nbformat.read(str(self.path("autograded", student_id)
                               / f"{self.assignment}.ipynb"), as_version=4)
        shown = {cells.grade_id(cell): _cell_text(cell) for cell in nb.cells
                 if cells.is_graded(cell)}
        with Gradebook(self.db_url, self.config.COURSE_ID) as gb:
            submission = gb.find_submission_notebook(self.assignment, self.assignment, student_id)
            return {g.name: Grade(g.name, g.score if not g.needs_manual_grade else None,
                                  float(g.max_score), shown.get(g.name, ""))
                    for g in submission.grades}

    def export_gradescope(self, student_ids, directory: Path | None = None) -> Path:
        """One Gradescope ``results.json`` per student: ``<dir>/<student>/results.json``."""
        directory = Path(directory or self.root / "exports" / "gradescope")
        for student_id in student_ids:
            target = directory / student_id / "results.json"
            target.parent.mkdir(parents=True, exist_ok=True)
            target.write_text(json.dumps(gradescope_results(self.grades(student_id)), indent=2))
        return directory


def _cell_text(cell) -> str:
    if cell.cell_type != "code":
        return cell.source
    text = []
    for output in cell.get("outputs", []):
        if output.output_type == "stream":
            text.append(output.text)
        elif output.output_type == "error":
            text.append("\n".join(_ANSI.sub("", line) for line in output.traceback))
        elif "text/plain" in output.get("data", {}):
            text.append(output.data["text/plain"])
    return "\n".join(t.rstrip("\n") for t in text)


#: The part of the grade table that holds the questions about the student's own run.
ANSWER_PART = "answer"
#: The grade table's parts, in order (``total`` last).
PARTS = (*registry.GROUPS, ANSWER_PART)


def _is_manual(grade: Grade) -> bool:
    """Graded by hand: every graded cell that is not one of the kit's checks or questions."""
    return grade.grade_id not in registry.grade_ids() and \
        grade.grade_id not in {question.grade_id for question in answers.QUESTIONS}


def gradescope_results(grades: dict[str, Grade]) -> dict:
    """Gradescope's autograder ``results.json``: the autograded cells as tests.

    Manually graded cells are left out (a grader adds them on Gradescope or in
    nbgrader's formgrader); the top-level ``output`` says how many points.
    """
    from .adapters import gradescope

    auto = [g for g in grades.values() if not _is_manual(g)]
    manual = sum(g.max_score for g in grades.values() if _is_manual(g))
    tests = [gradescope.test_entry(number, g.grade_id, g.score or 0.0, g.max_score, g.output)
             for number, g in enumerate(auto, start=1)]
    return gradescope.results(tests, f"Autograded by the K-means teaching kit; {manual:g} more "
                                     f"point(s) are graded by hand.")


def part_scores(grades: dict[str, Grade]) -> dict[str, tuple[float, float]]:
    """(score, max) of the autograded cells per group of checks, of the questions about the
    student's own run (``answer``), and in ``total``."""
    parts = {part: [0.0, 0.0] for part in (*PARTS, "total")}
    for grade in grades.values():
        part = grade.grade_id.split("_", 1)[0]
        if _is_manual(grade) or part not in parts:
            continue
        for key in (part, "total"):
            parts[key][0] += grade.score or 0.0
            parts[key][1] += grade.max_score
    return {part: (score, top) for part, (score, top) in parts.items()}


def grade_table(rows: dict[str, dict[str, tuple[float, float]]]) -> str:
    """A plain-text table: one row per student, one column per part."""
    cols = (*PARTS, "total")
    width = max(len("student"), *(len(s) for s in rows))
    head = f"{'student':<{width}}  " + "  ".join(f"{c:>9}" for c in cols)
    lines = [head, "-" * len(head)]
    for student, parts in rows.items():
        cells = [f"{parts[c][0]:g}/{parts[c][1]:g}" for c in cols]
        lines.append(f"{student:<{width}}  " + "  ".join(f"{c:>9}" for c in cells))
    return "\n".join(lines)


# --------------------------------------------------------------------------- main job
def demo(course_dir: Path, assignments: Path, jobs: int = 2, progress: bool = True,
         only: tuple[str, ...] | None = None) -> dict:
    """The whole instructor cycle on the demo class (or the students in ``only``).

    ``assignments`` holds ``source/`` (the instructor's master) and ``demo_class/``.
    Returns the grade table's rows: student -> part -> (score, max).
    """
    assignments = Path(assignments)
    students = [s for s in load_demo_class(assignments / "demo_class")
                if only is None or s.student_id in only]
    course_dir = Path(course_dir)
    if course_dir.exists():
        shutil.rmtree(course_dir)  # a demo always starts from scratch
    course = Course.create(course_dir, assignments / "source")
    print(f"course directory: {course.root}")
    release = course.release()
    print(f"released: {release}")
    release_nb = nbformat.read(str(release), as_version=4)
    for student in students:
        course.submit(student.student_id, student.fill(release_nb))
    ids = [s.student_id for s in students]
    course.add_students(ids)
    print(f"demo class: {len(ids)} submissions in {course.root / 'submitted'}")
    try:
        seconds = course.autograde(ids, jobs=jobs, progress=progress)
    except GradingFailed as exc:  # report, and go on with the students that were graded
        seconds = exc.seconds
        for student_id, error in exc.failed.items():
            print(f"\nGRADING FAILED for {student_id}:\n{error[-2000:]}")
        ids = [s for s in ids if s not in exc.failed]
        students = [s for s in students if s.student_id not in exc.failed]
    feedback = course.generate_feedback()
    csv_path = course.export_csv()
    canvas = course.export_canvas()
    gradescope = course.export_gradescope(ids)
    from . import report

    class_report, summary = report.write(*report.from_course(course),
                                         course.root / "exports" / "report")
    mistakes = report.top(summary)
    rows = {s: part_scores(course.grades(s)) for s in ids}
    print()
    print(grade_table(rows))
    from .adapters.nbgrader import isolation_used
    from .runner.jail import isolation

    print(f"student code ran in: {isolation_used(isolation().jailed)}")
    print()
    for student in students:
        print(f"  {student.student_id:<20} {seconds[student.student_id]:5.1f}s  "
              f"{student.description}")
    manual = sum(g.max_score for g in course.grades(ids[0]).values() if _is_manual(g)) \
        if ids else 0
    print(f"\n({manual:g} more points per student are graded by hand: the dict-pitfall fix and "
          f"answer.)")
    print(f"\nfeedback HTML: {feedback}/<student>/{course.assignment}/{course.assignment}.html")
    print(f"grades CSV:    {csv_path}")
    print(f"Canvas CSV:    {canvas} (blank where hand-graded answers await a grader)")
    print(f"Gradescope:    {gradescope}/<student>/results.json")
    print(f"class report:  {class_report}")
    print("the class's most common misconceptions:")
    for line in mistakes or ["(none)"]:
        print(f"  {line}")
    print(f"gradebook:     {_shown(course.db_url)}")
    return rows


def _shown(url: str) -> str:
    """A database URL to print: its password, if any, masked."""
    from sqlalchemy.engine import make_url

    return make_url(url).render_as_string(hide_password=True)


def release(assignments: Path, docs: Path | None = None) -> Path:
    """Regenerate ``assignments/release`` from ``assignments/source`` with
    ``nbgrader generate_assignment``, after building the source's graded cells (and the
    checks table of ``docs``, the checks page, if given) from the registry. The release
    is shipped as a MyST notebook too (:func:`release_as_myst`)."""
    import tempfile

    from .build import build_source, write_docs

    assignments = Path(assignments)
    build_source(assignments / "source")
    if docs is not None:
        write_docs(docs)
    with tempfile.TemporaryDirectory() as tmp:
        course = Course.create(Path(tmp) / "course", assignments / "source")
        released = course.release().parent
        destination = assignments / "release" / course.assignment
        if destination.exists():
            shutil.rmtree(destination)
        shutil.copytree(released, destination)
    notebook = destination / f"{course.assignment}.ipynb"
    notebook.with_suffix(".md").write_text(release_as_myst(nbformat.read(notebook, as_version=4)),
                                           encoding="utf-8")
    return notebook


def release_as_myst(nb: nbformat.NotebookNode) -> str:
    """The release as ``jupytext --to myst`` writes it: for courses that hand out and
    collect text notebooks. The nbgrader metadata stays in each cell's options, so the
    grader finds the solution cells by ``grade_id``."""
    import jupytext

    return jupytext.writes(nb, fmt="md:myst")
