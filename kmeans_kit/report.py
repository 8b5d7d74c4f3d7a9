"""The class report: what the class got wrong, and what to re-teach.

``kmeans-kit report`` (and the demo's course cycle) reads the graded outcomes of a whole
class and writes ``report.html`` with its JSON twin ``report.json``:

* per check (and per question about the student's own run), how many students passed it;
  per function, a histogram of its points;
* per misconception, how many students had it and who, its hint, and one minimal case in
  the words the students read; a bar chart of the misconceptions by frequency;
* failures that no misconception explains, per check;
* the submissions that could not be judged at all, apart, each with its reason (nothing
  handed in, nbgrader could not grade it, or one error stopped every check: the code did
  not load, or ran out of time);
* the isolation the checks ran in, and the kit's version.

It reads an nbgrader course (:func:`from_course`: the gradebook's scores, and in each
autograded notebook the kit's graded cells, which :class:`~kmeans_kit.adapters.nbgrader.
KitGrader` marks with their check and cause), or a folder of Gradescope ``results.json``
files (:func:`from_gradescope`, as ``kmeans-kit grade`` writes them). Nothing of a student's
code is shown: a case keeps its input, expected and got, and drops the lines of the
student's code.
"""

from __future__ import annotations

import base64
import io
import json
import re
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from . import answers, cells
from .checks import registry
from .checks.misconceptions import BY_NAME
from .messages import FAIL
from .protocol import GROUPS, grade_id, kit_version

#: How a Gradescope test's output names its misconception (:func:`messages.diagnosis`).
_DIAGNOSIS = re.compile(r"Diagnosis \(([\w.]+)\)")
#: Where a failure message shows the student's own lines: never copied into the report.
_STUDENT_CODE = re.compile(r"\n\n[ \t]*Where it happened in your code:\n.*?(?=\n\n|\Z)", re.DOTALL)
#: Above this many names, a list of students is folded (it must read well at 300).
FOLD_AT = 12
#: The misconception of a function still raising the release's NotImplementedError.
_UNWRITTEN = ".not_implemented"


@dataclass(frozen=True)
class Graded:
    """One check of one student: its points, and what made it fail.

    ``cause`` is the misconception's name where one explains the failure, else the failure
    message's first line (None for a pass). ``text`` is what the student read.
    """

    check_id: str
    score: float
    max_score: float
    cause: str | None = None
    text: str = ""

    @property
    def passed(self) -> bool:
        return self.score >= self.max_score

    @property
    def misconception(self) -> str | None:
        return self.cause if self.cause in BY_NAME else None


@dataclass(frozen=True)
class Student:
    """A student's graded checks; ``not_judged`` says why none could be judged."""

    student_id: str
    checks: tuple[Graded, ...] = ()
    not_judged: str | None = None

    @classmethod
    def from_checks(cls, student_id: str, graded: Sequence[Graded]) -> Student:
        """A student whose every check failed with one cause that no misconception names
        (a file not handed in, code that would not load or ran out of time) was not judged:
        the report lists them apart, with that cause as the reason."""
        causes = {g.cause for g in graded}
        if graded and not any(g.passed for g in graded) and len(causes) == 1 \
                and not graded[0].misconception:
            return cls(student_id, tuple(graded), not_judged=graded[0].cause)
        return cls(student_id, tuple(graded))


@dataclass
class Source:
    """Where the outcomes came from, and what ran them."""

    kind: str                      # "nbgrader course" or "Gradescope results"
    path: str
    isolation: str = "not recorded"
    kit_version: str = field(default_factory=kit_version)


# --------------------------------------------------------------------------- reading
def from_course(course) -> tuple[list[Student], Source]:
    """The students of an nbgrader course (a :class:`kmeans_kit.course.Course`): its
    gradebook and its autograded notebooks."""
    import nbformat
    from nbgrader.api import Gradebook, MissingEntry

    kit = set(registry.ids())
    students, isolations = [], Counter()
    with Gradebook(course.db_url, course.config.COURSE_ID) as gradebook:
        for record in sorted(gradebook.students, key=lambda s: s.id):
            try:
                submission = gradebook.find_submission_notebook(
                    course.assignment, course.assignment, record.id)
            except MissingEntry:
                students.append(Student(record.id, not_judged="nothing handed in"))
                continue
            path = course.path("autograded", record.id) / f"{course.assignment}.ipynb"
            if not path.is_file():
                students.append(Student(record.id, not_judged="nbgrader could not grade it"))
                continue
            nb = nbformat.read(path, as_version=4)
            isolations[nb.metadata.get(cells.KIT, {}).get("isolation", "not recorded")] += 1
            scores = {g.name: g for g in submission.grades}
            graded = []
            for cell in nb.cells:
                marked = cells.kit_check(cell)
                if not marked or marked["check"] not in kit:
                    continue
                grade = scores[cells.grade_id(cell)]
                graded.append(Graded(marked["check"], float(grade.score or 0.0),
                                     float(grade.max_score), _first_line(marked.get("cause")),
                                     _cell_text(cell)))
            graded += _answers(nb, scores)
            students.append(Student.from_checks(record.id, graded))
    return students, Source("nbgrader course", str(course.root), _most(isolations))


def from_gradescope(folder: str | Path) -> tuple[list[Student], Source]:
    """The students of a folder of Gradescope results: ``<student>/results.json`` (as the
    demo exports them) or ``<student>.json`` (a Kubernetes Indexed Job's)."""
    folder = Path(folder)
    found = {path.parent.name: path for path in folder.glob("*/results.json")}
    found.update({path.stem: path for path in folder.glob("*.json")})
    if not found:
        raise FileNotFoundError(f"no results in {folder}: expected <student>/results.json or "
                                f"<student>.json files, as kmeans-kit grade writes them")
    # kmeans-kit grade names a test by its check id; the course's export by its grade_id.
    kit = {**{cid: cid for cid in registry.ids()}, **{grade_id(cid): cid for cid in registry.ids()}}
    students, isolations = [], Counter()
    for student_id, path in sorted(found.items()):
        try:
            document = json.loads(path.read_text(encoding="utf-8"))
        except ValueError as exc:
            raise ValueError(f"{path} is not a Gradescope results.json ({exc}); remove it or "
                             f"grade that submission again") from None
        recorded = (document.get("extra_data") or {}).get("kit") or {}
        isolations[recorded.get("isolation", "not recorded")] += 1
        causes = recorded.get("causes") or {}
        graded = []
        for test in document.get("tests", []):
            if test.get("name") not in kit:
                continue
            output = test.get("output", "")
            passed = float(test["score"]) >= float(test["max_score"])
            named = [n for n in _DIAGNOSIS.findall(output) if n in BY_NAME]
            # The cause as the grader recorded it; else read from the words (another
            # writer's file, or the course's export).
            message = output.split("\n", 1)[-1] if output.startswith(FAIL) else output
            cause = None if passed else _first_line(causes.get(kit[test["name"]])) or (
                named[0] if named else _first_line(message))
            graded.append(Graded(kit[test["name"]], float(test["score"]),
                                 float(test["max_score"]), cause, output))
        students.append(Student.from_checks(student_id, graded))
    return students, Source("Gradescope results", str(folder), _most(isolations))


def _answers(nb, scores: dict) -> list[Graded]:
    """The questions about the student's own run, as graded checks: their judge's line is
    the cause of a wrong answer."""
    found = []
    texts = {cells.grade_id(cell): _cell_text(cell) for cell in nb.cells}
    for question in answers.QUESTIONS:
        grade = scores.get(question.grade_id)
        if grade is None:
            continue
        score, text = float(grade.score or 0.0), texts.get(question.grade_id, "")
        cause = None if score >= grade.max_score else (
            "no answer recorded" if answers.NO_ANSWER in text else
            "an answer that is not what the student's own data give")
        found.append(Graded(question.id, score, float(grade.max_score), cause, text))
    return found


def _first_line(cause: str | None) -> str | None:
    if cause is None:
        return None
    lines = [line.strip() for line in str(cause).splitlines() if line.strip()]
    return lines[0] if lines else "failed"


def _cell_text(cell) -> str:
    parts = []
    for output in cell.get("outputs", []):
        if output.get("output_type") == "stream":
            parts.append(output.get("text", ""))
        elif output.get("output_type") == "error":
            parts.append("\n".join(output.get("traceback", [])))
    return "".join(parts).strip()


def _most(counts: Counter) -> str:
    if not counts:
        return "not recorded"
    (value, _), *others = counts.most_common()
    return value if not others else f"{value} (and {len(others)} other setting(s))"


# --------------------------------------------------------------------------- summarising
def summarise(students: Sequence[Student], source: Source) -> dict:
    """The report as plain data (``report.json``): every count the page shows."""
    judged = [s for s in students if s.not_judged is None]
    checks = []
    for check in (*registry.CHECKS, *answers.QUESTIONS):
        results = [g for s in judged for g in s.checks if g.check_id == check.id]
        if results or check in registry.CHECKS:   # a question only where it was asked
            checks.append({"check": check.id, "title": check.title, "graded": len(results),
                           "passed": sum(g.passed for g in results)})
    functions = {}
    for group in GROUPS:
        worth = sum(p for cid, p in registry.points().items() if cid.startswith(group + "."))
        scores = [sum(g.score for g in s.checks if g.check_id.startswith(group + "."))
                  for s in judged]
        functions[group] = {"max": worth, "scores": sorted(scores)}
    misconceptions, unwritten = [], {}
    for name, who in _by_cause(judged, named=True):
        known = BY_NAME[name]
        if name.endswith(_UNWRITTEN):   # not a wrong idea: work not done
            unwritten[known.function] = who
            continue
        misconceptions.append({
            "misconception": name, "title": known.title, "hint": known.hint,
            "checks": sorted({g.check_id for s in judged for g in s.checks if g.cause == name}),
            "students": who, "count": len(who), "case": _case(judged, name)})
    unexplained = []
    for cause, who in _by_cause(judged, named=False):
        first = next(g for s in judged for g in s.checks if g.cause == cause)
        unexplained.append({"check": first.check_id, "failure": cause, "students": who,
                            "count": len(who)})
    return {
        "source": asdict(source), "students": len(students), "judged": len(judged),
        "not_judged": [{"student": s.student_id, "reason": s.not_judged}
                       for s in students if s.not_judged is not None],
        "checks": checks, "functions": functions, "misconceptions": misconceptions,
        "not_written": unwritten, "unexplained": unexplained,
    }


def _by_cause(students: Iterable[Student], named: bool) -> list[tuple[str, list[str]]]:
    """(cause, its students) for every cause, the most common first; a student counts once
    per cause however many checks it failed."""
    who: dict[str, set[str]] = {}
    for student in students:
        for graded in student.checks:
            if graded.cause is not None and (graded.misconception is not None) == named:
                who.setdefault(graded.cause, set()).add(student.student_id)
    return sorted(((cause, sorted(ids)) for cause, ids in who.items()),
                  key=lambda item: (-len(item[1]), item[0]))


def _case(students: Sequence[Student], name: str) -> str:
    """The shortest full message naming ``name`` (a message that points back to an earlier
    check is not a case), without the student's own lines."""
    texts = [_STUDENT_CODE.sub("", g.text) for s in students for g in s.checks
             if g.cause == name and g.text]
    cases = [t for t in texts if "Input (" in t] or texts
    return min(cases, key=lambda t: (len(t), t)) if cases else ""


# --------------------------------------------------------------------------- pictures
def _png(figure: Figure) -> str:
    buffer = io.BytesIO()
    FigureCanvasAgg(figure).print_png(buffer)
    return base64.b64encode(buffer.getvalue()).decode("ascii")


def bar_chart(misconceptions: Sequence[dict], students: int) -> str | None:
    """The misconceptions by how many students had them (base64 PNG), the most common on
    top; None when there are none."""
    if not misconceptions:
        return None
    shown = list(reversed(misconceptions[:20]))
    figure = Figure(figsize=(7.5, 0.8 + 0.32 * len(shown)), layout="constrained")
    axes = figure.add_subplot()
    counts = [m["count"] for m in shown]
    bars = axes.barh([m["misconception"] for m in shown], counts, color="#c0392b")
    axes.bar_label(bars, [f"{c}" for c in counts], padding=3, fontsize=9)
    axes.set_xlabel(f"students (of {students} judged)")
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.set_xlim(0, max(counts) * 1.15)
    axes.tick_params(axis="y", labelsize=9)
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


def histogram(scores: Sequence[float], worth: float, title: str) -> str:
    """How many students got each number of points for one function (base64 PNG)."""
    figure = Figure(figsize=(3.2, 2.2), layout="constrained")
    axes = figure.add_subplot()
    values = Counter(round(s, 2) for s in scores)
    xs = sorted(set(values) | {0.0, float(worth)})
    axes.bar(xs, [values.get(x, 0) for x in xs], width=0.8, color="#2b7a2b")
    axes.set_title(title, fontsize=10)
    axes.set_xlabel("points", fontsize=9)
    axes.set_ylabel("students", fontsize=9)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.spines[["top", "right"]].set_visible(False)
    return _png(figure)


# --------------------------------------------------------------------------- writing
def write(students: Sequence[Student], source: Source,
          directory: str | Path) -> tuple[Path, dict]:
    """Write ``report.html`` and ``report.json`` into ``directory``; return the page and
    the summary (:func:`summarise`) it shows."""
    from jinja2 import Environment, PackageLoader, select_autoescape

    data = summarise(students, source)
    directory = Path(directory)
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "report.json").write_text(json.dumps(data, indent=2, ensure_ascii=False) + "\n",
                                           encoding="utf-8")
    environment = Environment(loader=PackageLoader("kmeans_kit", "templates/report"),
                              autoescape=select_autoescape(default=True))
    pictures = {"bars": bar_chart(data["misconceptions"], data["judged"]),
                "histograms": {g: histogram(f["scores"], f["max"], g)
                               for g, f in data["functions"].items()}}
    page = environment.get_template("report.html.j2").render(
        report=data, pictures=pictures, fold_at=FOLD_AT)
    (directory / "report.html").write_text(page, encoding="utf-8")
    return directory / "report.html", data


def top(data: dict, n: int = 3) -> list[str]:
    """The ``n`` most common misconceptions, as a line each: ``assign.argmax: 3 students``."""
    return [f"{m['misconception']}: {m['count']} student{'s' if m['count'] != 1 else ''} -- "
            f"{m['title']}" for m in data["misconceptions"][:n]]


__all__ = ["Graded", "Source", "Student", "bar_chart", "from_course", "from_gradescope",
           "histogram", "summarise", "top", "write"]
