"""nbgrader's cell metadata, read one way by every part of the kit."""

from __future__ import annotations

from collections.abc import Mapping


def nbgrader(cell: Mapping) -> dict:
    """The cell's ``metadata.nbgrader`` ({} for a cell nbgrader does not know)."""
    return cell.get("metadata", {}).get("nbgrader", {}) or {}


def grade_id(cell: Mapping) -> str | None:
    return nbgrader(cell).get("grade_id")


def is_solution(cell: Mapping) -> bool:
    """A cell the student writes (code or a written answer)."""
    return bool(nbgrader(cell).get("solution", False))


def is_graded_test(cell: Mapping) -> bool:
    """A graded cell that the student does not write: an autograded test."""
    meta = nbgrader(cell)
    return bool(meta.get("grade", False)) and not meta.get("solution", False) \
        and "grade_id" in meta


def is_graded(cell: Mapping) -> bool:
    """Any cell that carries points (an autograded test or a manually graded answer)."""
    return bool(nbgrader(cell).get("grade", False))


def duplicated_grade_ids(cells) -> dict[str, list[int]]:
    """grade_id -> the indexes of its cells, for every grade_id on more than one cell
    (a cell copied and pasted in Jupyter keeps its nbgrader metadata)."""
    where: dict[str, list[int]] = {}
    for index, cell in enumerate(cells):
        gid = grade_id(cell) if isinstance(nbgrader(cell), dict) else None
        if gid is not None:
            where.setdefault(gid, []).append(index)
    return {gid: indexes for gid, indexes in where.items() if len(indexes) > 1}


#: Cell metadata the grader (KitGrader) writes on the graded cell of each of the kit's
#: checks: ``{"check": check id, "cause": what made it fail, or None}``. Failures with the
#: same cause (a misconception, or the very same message) are one mistake, shown once.
KIT = "kmeans_kit"


def kit_check(cell: Mapping) -> dict:
    """What the grader wrote on a kit check's graded cell ({} on any other cell)."""
    meta = cell.get("metadata", {}).get(KIT)
    return meta if isinstance(meta, dict) and isinstance(meta.get("check"), str) else {}
