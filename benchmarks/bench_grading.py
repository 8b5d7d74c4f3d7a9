"""Time to autograde one submission with the kit, against the floor.

* **kit**: ``nbgrader autograde`` as configured by ``grader_config.py``: while
  the student's kernel runs the notebook, ``StartKitChecks`` runs the check
  engine on the submission in the isolated runner; ``KitGrader`` then writes
  the graded cells.
* **floor**: bare ``nbgrader autograde`` of the same notebook with the graded
  cells emptied and nbgrader's default preprocessors (no kit step) -- what
  running the notebook under nbgrader costs anyway.
* **grade**: ``kmeans-kit grade`` of the same notebook to Gradescope's
  ``results.json`` -- the kit's checks alone, in the jail, without running the
  notebook (the unit of work of Gradescope or a Kubernetes Indexed Job).

Usage: ``python benchmarks/bench_grading.py [--runs 3] [--student solution]``.
Prints the median of each and their ratio (target: kit <= 1.3x floor). Run it once more
with ``KMEANS_KIT_CGROUPS=0`` to see what the cgroups per jail cost.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import nbformat

from kmeans_kit.course import Course, DemoStudent

#: The floor's course config: the kit's settings, then nbgrader's own steps.
FLOOR_CONFIG = """\
load_subconfig(__import__("grader_config").__file__)
from nbgrader.converters.autograde import Autograde
from nbgrader.converters.generate_assignment import GenerateAssignment
for _steps in ("sanitize_preprocessors", "autograde_preprocessors"):
    setattr(c.Autograde, _steps, Autograde.class_traits()[_steps].default())
# nbgrader's own release too: it keeps the (emptied) graded cells its autograde expects.
c.GenerateAssignment.preprocessors = GenerateAssignment.class_traits()["preprocessors"].default()
"""

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"
DEMO_CLASS = ASSIGNMENTS / "demo_class"


def _empty_graded_cells(source: Path, target: Path) -> None:
    shutil.copytree(source, target)
    for path in target.rglob("*.ipynb"):
        nb = nbformat.read(str(path), as_version=4)
        for cell in nb.cells:
            meta = cell.metadata.get("nbgrader", {})
            if meta.get("grade") and not meta.get("solution") and cell.cell_type == "code":
                cell.source = ""
        nbformat.write(nb, str(path))


def _course(root: Path, student: DemoStudent, floor: bool) -> Course:
    source = ASSIGNMENTS / "source"
    if floor:
        _empty_graded_cells(source, root.parent / "floor-source")
        source = root.parent / "floor-source"
    course = Course.create(root, source=source)
    if floor:
        (course.root / "nbgrader_config.py").write_text(FLOOR_CONFIG)
    release = nbformat.read(str(course.release()), as_version=4)
    course.submit(student.student_id, student.fill(release))
    course.add_students([student.student_id])
    return course


def _time(course: Course, student: str) -> float:
    start = time.perf_counter()
    course.autograde([student], jobs=1, progress=False)
    return time.perf_counter() - start


def _time_grade(notebook: Path, results: Path) -> float:
    start = time.perf_counter()
    subprocess.run([str(Path(sys.executable).parent / "kmeans-kit"), "grade", str(notebook),
                    "--results", str(results)], check=True, capture_output=True)
    return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--student", default="solution",
                        help="a file stem in assignments/demo_class")
    args = parser.parse_args(argv)
    student = DemoStudent.from_file(DEMO_CLASS / f"{args.student}.py")
    with tempfile.TemporaryDirectory() as tmp:
        kit = _course(Path(tmp) / "kit" / "course", student, floor=False)
        floor = _course(Path(tmp) / "floor" / "course", student, floor=True)
        submitted = kit.path("submitted", student.student_id) / f"{kit.assignment}.ipynb"
        times = {"kit": [], "floor": [], "grade": []}
        for _ in range(args.runs):  # interleaved, so machine load hits all alike
            times["floor"].append(_time(floor, student.student_id))
            times["kit"].append(_time(kit, student.student_id))
            times["grade"].append(_time_grade(submitted, Path(tmp) / "results.json"))
    kit_s, floor_s = statistics.median(times["kit"]), statistics.median(times["floor"])
    grade_s = statistics.median(times["grade"])
    print(f"autograde one submission ({args.student}), median of {args.runs} runs:")
    print(f"  floor (bare nbgrader, graded cells emptied): {floor_s:6.1f} s  "
          f"{[round(t, 1) for t in times['floor']]}")
    print(f"  kit   (isolated checks, KitGrader):          {kit_s:6.1f} s  "
          f"{[round(t, 1) for t in times['kit']]}")
    print(f"  kmeans-kit grade (checks only, no notebook): {grade_s:6.1f} s  "
          f"{[round(t, 1) for t in times['grade']]}")
    print(f"  ratio kit / floor: {kit_s / floor_s:.2f}x (target <= 1.3x)")
    print(f"  ratio grade / kit: {grade_s / kit_s:.2f}x")
    return {"kit": kit_s, "floor": floor_s, "grade": grade_s, "ratio": kit_s / floor_s}


if __name__ == "__main__":
    main()
