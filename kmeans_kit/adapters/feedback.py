"""The feedback page: what a student reads after grading, at a glance and in full once.

Two steps of nbgrader's ``generate_feedback`` (``c.GenerateFeedback.preprocessors``, after
nbgrader's ``GetGrades``), and the kit's template (``kmeans_kit/templates/feedback/``)
that shows what they prepare:

* :class:`FeedbackSummary` adds up the gradebook's scores per function (``assign: 7/10``)
  and per check, says which hand-graded answers still await a grader (their 0 is not a
  score yet), and marks each later failure that has the same cause as an earlier one
  (one misconception, or one crash under every check), so the page shows it once and
  points back.
* :class:`StudentTracebacks` keeps, in the tracebacks of the notebook's own cells, the
  frames of the student's code: a run of library or kit frames becomes one line naming
  the library, and the same error met again in a later cell is shown once.

Everything here reads the autograded notebook, where the kit's cells were written by the
grader (``KitGrader``) and the rest by the student's kernel; it is all rendered escaped.
"""

from __future__ import annotations

import re

from nbconvert.exporters.exporter import ResourcesDict
from nbformat.notebooknode import NotebookNode
from nbgrader.preprocessors import NbGraderPreprocessor

from .. import cells

#: Where FeedbackSummary leaves the summary for the template.
SUMMARY = "kit_summary"
_ANSI = re.compile(r"\x1b\[[0-9;]*[A-Za-z]")
#: A frame of a cell's code in IPython's traceback: ``Cell In[14], line 2, in assign(X, means)``.
_CELL_FRAME = re.compile(r"^Cell In\[(\d+)\], line (\d+)(?:, in (\S+?)\()?", re.M)
#: A frame of a file: ``File /path/to/site-packages/pandas/core/frame.py:10135, in ...``.
_FILE_FRAME = re.compile(r"^File (\S+?):\d+", re.M)


def plain(text: str) -> str:
    """``text`` without its terminal colours."""
    return _ANSI.sub("", text)


class FeedbackSummary(NbGraderPreprocessor):
    """Points per function and per check, answers awaiting a grader, each mistake once."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from nbgrader.api import Gradebook

        from ..checks import registry

        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            awaiting = {grade.name for grade in gradebook.find_submission_notebook(
                info["notebook"], info["assignment"], info["student"]).grades
                if grade.needs_manual_grade}
        groups: dict[str, dict] = {}
        manual = []
        first_with: dict[str, dict] = {}   # cause -> the check it is shown under
        for cell in nb.cells:
            meta = cells.nbgrader(cell)
            if not meta.get("grade"):
                continue
            score, points = float(meta.get("score") or 0), float(meta.get("points") or 0)
            kit = cells.kit_check(cell)
            if kit and kit["check"] in registry.ids():
                check = registry.get(kit["check"])
                group = groups.setdefault(check.group, {"name": check.group, "earned": 0.0,
                                                        "worth": 0.0, "checks": []})
                group["earned"] += score
                group["worth"] += points
                group["checks"].append({"id": check.id, "anchor": check.grade_id,
                                        "title": check.title, "score": score,
                                        "points": points})
                # What the template shows for the cell: one line, and the diagnosis once.
                kit.update(title=check.title, anchor=check.grade_id, score=score,
                           points=points, passed=score >= points, diagnosis="")
                cause = kit.get("cause")
                if kit["passed"]:
                    continue
                if cause and cause in first_with:
                    kit["same_as"] = first_with[cause]
                else:
                    first_with[cause or check.id] = {"id": check.id, "anchor": check.grade_id}
                    kit["diagnosis"] = _diagnosis(cell)
            else:
                meta["awaiting"] = meta["grade_id"] in awaiting
                manual.append({"anchor": meta["grade_id"], "points": points, "score": score,
                               "awaiting": meta["awaiting"], "label": _label(cell)})
        order = {name: i for i, name in enumerate(registry.GROUPS)}
        summary = {"groups": sorted(groups.values(), key=lambda g: order.get(g["name"], 99)),
                   "manual": manual}
        summary["auto_earned"] = sum(g["earned"] for g in summary["groups"]) + sum(
            m["score"] for m in manual if not m["awaiting"])
        summary["auto_worth"] = sum(g["worth"] for g in summary["groups"]) + sum(
            m["points"] for m in manual if not m["awaiting"])
        summary["awaiting"] = sum(m["points"] for m in manual if m["awaiting"])
        resources[SUMMARY] = summary
        return nb, resources


def _diagnosis(cell: NotebookNode) -> str:
    """The failure the grader wrote in a kit check's cell, below its first line."""
    for output in cell.get("outputs", []):
        if output.get("output_type") == "error":
            return "\n".join(str(line) for line in output.get("traceback", [])[1:])
    return ""


def _label(cell: NotebookNode) -> str:
    """How the summary names a hand-graded cell (``pitfall_answer``: "Written answer:
    pitfall answer") or a question about the student's own run ("Your data: answer.your_run")."""
    from ..answers import QUESTIONS

    question = next((q for q in QUESTIONS if q.grade_id == cells.grade_id(cell)), None)
    if question is not None:
        return f"Your data: {question.id}"
    words = cells.grade_id(cell).replace("_", " ")
    return ("Written answer: " if cell.cell_type == "markdown" else "Code: ") + words


class StudentTracebacks(NbGraderPreprocessor):
    """The student's own frames in tracebacks; the same error again is shown once."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        seen: dict[tuple, int | None] = {}
        for cell in nb.cells:
            if cell.cell_type != "code" or cells.kit_check(cell):
                continue
            for output in cell.get("outputs", []):
                if output.get("output_type") == "error" and \
                        isinstance(output.get("traceback"), list):
                    output["traceback"] = _students_frames(output, cell, seen)
        return nb, resources


def _students_frames(output: NotebookNode, cell: NotebookNode, seen: dict) -> list[str]:
    """``output``'s traceback with library frames folded, or one line if already shown."""
    items = [str(item) for item in output["traceback"]]
    frames = [item for item in items if _CELL_FRAME.match(plain(item))]
    innermost = _CELL_FRAME.match(plain(frames[-1])) if frames else None
    key = (output.get("ename"), output.get("evalue"), innermost and innermost.group(3),
           innermost and innermost.group(3) and innermost.group(1))
    if key in seen:
        where = f"In [{seen[key]}]" if seen[key] is not None else "a cell"
        return [f"{output.get('ename')}: {output.get('evalue')}".rstrip(": "),
                f"(the same error as in {where} above; its traceback is shown there)"]
    seen[key] = cell.get("execution_count")
    kept: list[str] = []
    folded: list[str] = []
    for item in items:
        match = _FILE_FRAME.match(plain(item))
        if match:
            folded.append(_library(match.group(1)))
            continue
        if folded:
            kept.append(_folded(folded))
            folded = []
        kept.append(item)
    if folded:
        kept.append(_folded(folded))
    return kept


def _library(path: str) -> str:
    """What a file of a traceback belongs to: a package's name, never the grader's path."""
    parts = path.replace("\\", "/").split("/")
    if "site-packages" in parts:
        index = parts.index("site-packages")
        return parts[index + 1] if index + 1 < len(parts) else "a library"
    for name in ("kmeans_kit", "reference"):
        if name in parts:
            return f"the kit's {name}"
    return "Python"


def _folded(libraries: list[str]) -> str:
    names = ", ".join(dict.fromkeys(libraries))
    noun = "frame" if len(libraries) == 1 else "frames"
    return f"    ... {len(libraries)} {noun} inside {names}, called from the line above ...\n"


__all__ = ["FeedbackSummary", "StudentTracebacks", "SUMMARY", "plain"]
