"""The assignment built from the check registry: the source's hidden graded cells, the docs' table.

The instructor writes the narrative and the solution cells of the source
notebook; the graded cells of the kit's checks are not written by hand. In the
source each group of checks (``assign``, ``update``, ``converged``, ``lloyd``)
has one run of consecutive graded cells; :func:`build_notebook` replaces every
run with one cell per check of the registry, in registry order, with the
course's points (``grader_config.SETTINGS.points`` over the registry's
defaults). :func:`checks_table` is the table of ``docs/checks.md``.

``kmeans-kit release`` writes both, then regenerates the student release;
``tests/test_registry.py`` fails when either is stale.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import nbformat
from nbformat import NotebookNode

from . import answers, cells
from .checks import registry
from .settings import GradingSettings

NOTEBOOK = "kmeans.ipynb"
#: The lines around the generated table in ``docs/checks.md``.
TABLE_BEGIN = "<!-- BEGIN CHECKS TABLE: written by `kmeans-kit release` from the registry -->"
TABLE_END = "<!-- END CHECKS TABLE -->"


def graded_cell(check: registry.Check, points: int) -> NotebookNode:
    """The hidden graded cell of one check: nbgrader scores it from the kit's outcome."""
    return _graded(check.id, check.grade_id, check.title, points,
                   "# Decided outside your notebook; the result appears in your feedback.\n"
                   "### BEGIN HIDDEN TESTS\n"
                   "from kmeans_kit import grade\n"
                   f'grade("{check.id}")\n'
                   "### END HIDDEN TESTS")


def answer_cell(question: answers.Question) -> NotebookNode:
    """The graded cell of a question about the student's own data: it records the answer,
    which the grader judges for that student's data (:mod:`kmeans_kit.answers`)."""
    return _graded(question.id, question.grade_id, question.title, question.points,
                   "# Judged outside your notebook, for your own data; the result appears in "
                   "your feedback.\n"
                   "from kmeans_kit.answers import answer\n"
                   f'answer("{question.id}", {", ".join(question.names)})')


def _graded(what: str, grade_id: str, title: str, points: int, body: str) -> NotebookNode:
    """A locked nbgrader graded cell: a heading line naming ``what`` and its points, then
    ``body``."""
    noun = "point" if points == 1 else "points"
    cell = nbformat.v4.new_code_cell(f"# Graded: {what} ({points} {noun}) -- {title}.\n{body}",
                                     id=grade_id)
    cell.metadata["nbgrader"] = {"grade": True, "grade_id": grade_id, "locked": True,
                                 "points": points, "schema_version": 3, "solution": False,
                                 "task": False}
    return cell


def _group_of(cell: NotebookNode) -> str | None:
    """The registry group whose graded cell this is (by its grade_id), else None."""
    if not cells.is_graded_test(cell):
        return None
    grade_id = cells.grade_id(cell)
    group = grade_id.split("_", 1)[0]
    return group if group in registry.GROUPS and grade_id.startswith(group + "_") else None


def build_notebook(nb: NotebookNode, settings: GradingSettings | None = None) -> NotebookNode:
    """``nb`` with each group's run of graded cells rebuilt from the registry (a new notebook).

    Raises ValueError, saying where, when a group has no graded cell (nowhere to put
    its checks) or more than one run of them.
    """
    points = registry.points(settings)
    questions = {question.grade_id: question for question in answers.QUESTIONS}
    built = nbformat.from_dict(nb)   # a copy: the caller's notebook is left alone
    kept, seen = [], []
    for cell in built.cells:
        group = _group_of(cell)
        if cells.is_graded_test(cell) and cells.grade_id(cell) in questions:
            kept.append(answer_cell(questions[cells.grade_id(cell)]))
        elif group is None:
            kept.append(cell)
        elif not seen or seen[-1] != group:
            if group in seen:
                raise ValueError(f"the graded cells of {group!r} are split in two runs; keep "
                                 f"them together, where the student has written {group}")
            seen.append(group)
            kept += [graded_cell(check, points[check.id]) for check in registry.group(group)]
    missing = [group for group in registry.GROUPS if group not in seen]
    if missing:
        raise ValueError(f"the notebook has no graded cell for {missing}: add one (any check of "
                         f"the group) where its checks belong, and build again")
    built.cells = kept
    return built


def build_source(source: str | os.PathLike, settings: GradingSettings | None = None) -> Path:
    """Rebuild the graded cells of ``source/<assignment>/kmeans.ipynb`` in place."""
    path = next(Path(source).glob(f"*/{NOTEBOOK}"), None)
    if path is None:
        raise FileNotFoundError(f"no {NOTEBOOK} in an assignment directory under {source}")
    nb = nbformat.read(str(path), as_version=4)
    nbformat.write(build_notebook(nb, settings), str(path))
    return path


def checks_table(settings: GradingSettings | None = None) -> str:
    """The Markdown table of every check: id, points, what it asks."""
    points = registry.points(settings)
    rows = ["| check | points | what it asks |", "| --- | ---: | --- |"]
    rows += [f"| `{check.id}` | {points[check.id]} | {check.title} |"
             for check in registry.CHECKS]
    rows += [f"| `{question.id}` | {question.points} | {question.title} (for the student's "
             f"own data) |" for question in answers.QUESTIONS]
    return "\n".join(rows)


def build_docs(text: str, settings: GradingSettings | None = None) -> str:
    """``text`` (``docs/checks.md``) with the table between its markers rebuilt."""
    pattern = re.compile(re.escape(TABLE_BEGIN) + r".*?" + re.escape(TABLE_END), re.S)
    if not pattern.search(text):
        raise ValueError(f"the checks page has no table markers: put {TABLE_BEGIN!r} and "
                         f"{TABLE_END!r} where the table goes")
    return pattern.sub(lambda _: f"{TABLE_BEGIN}\n{checks_table(settings)}\n{TABLE_END}", text)


def write_docs(path: str | os.PathLike, settings: GradingSettings | None = None) -> Path:
    path = Path(path)
    path.write_text(build_docs(path.read_text(encoding="utf-8"), settings), encoding="utf-8")
    return path


__all__ = ["answer_cell", "build_docs", "build_notebook", "build_source", "checks_table",
           "graded_cell", "write_docs"]
