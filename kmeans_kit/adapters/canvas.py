"""Canvas's gradebook import: an nbgrader export plugin.

::

    nbgrader export --exporter=kmeans_kit.adapters.canvas.CanvasExportPlugin \\
        --CanvasExportPlugin.to=canvas.csv

writes a CSV that Canvas's Gradebook > Import takes: the columns ``Student``, ``ID``,
``SIS User ID``, ``SIS Login ID`` and ``Section`` (Canvas matches a row to a student by
one of the three ids), a ``Points Possible`` row, then one column per assignment, named
as in nbgrader (Canvas creates the assignment on import, or updates the one of that name).

A submission whose hand-graded answers still await a grader is left blank by default:
Canvas then keeps what it has, instead of taking a partial score for a final one.
"""

from __future__ import annotations

import csv

from nbgrader.api import Gradebook, MissingEntry
from nbgrader.plugins import ExportPlugin
from traitlets import Enum

#: Canvas's identity columns, in the order of its own gradebook export.
IDENTITY = ("Student", "ID", "SIS User ID", "SIS Login ID", "Section")


class CanvasExportPlugin(ExportPlugin):
    """One row per student, one column per assignment, as Canvas imports them."""

    id_column = Enum(list(IDENTITY[1:4]), default_value="SIS Login ID", help=(
        "The Canvas column that holds nbgrader's student id: 'SIS Login ID' where students "
        "log in to JupyterHub with their university login, 'SIS User ID' for a student "
        "number, 'ID' for Canvas's own user id.")).tag(config=True)

    awaiting_grader = Enum(["blank", "partial"], default_value="blank", help=(
        "What a submission whose hand-graded answers are not graded yet gets: 'blank' "
        "(Canvas keeps its current value) or 'partial' (the points so far).")).tag(config=True)

    def export(self, gradebook: Gradebook) -> None:
        dest = self.to or "canvas.csv"
        assignments = [a for a in gradebook.assignments
                       if not self.assignment or a.name in map(str, self.assignment)]
        students = [s for s in gradebook.students
                    if not self.student or s.id in map(str, self.student)]
        waiting = 0
        with open(dest, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow([*IDENTITY, *(a.name for a in assignments)])
            writer.writerow(["Points Possible", "", "", "", "",
                             *(f"{a.max_score:g}" for a in assignments)])
            for student in students:
                row = dict.fromkeys(IDENTITY, "")
                row["Student"] = ", ".join(n for n in (student.last_name, student.first_name)
                                           if n) or student.id
                row[self.id_column] = student.id
                scores = [self._score(gradebook, a.name, student.id) for a in assignments]
                waiting += scores.count("")
                writer.writerow([*row.values(), *scores])
        self.log.info("Exported %d students to %s for Canvas", len(students), dest)
        if waiting:
            self.log.warning("%d submissions await a grader for their hand-graded answers: "
                             "left blank (CanvasExportPlugin.awaiting_grader = 'partial' "
                             "exports the points so far)", waiting)

    def _score(self, gradebook: Gradebook, assignment: str, student: str) -> str:
        try:
            submission = gradebook.find_submission(assignment, student)
        except MissingEntry:
            return "0"          # nothing handed in, as nbgrader's own CSV export counts it
        if submission.needs_manual_grade and self.awaiting_grader == "blank":
            return ""
        return f"{max(0.0, submission.score - submission.late_submission_penalty):g}"
