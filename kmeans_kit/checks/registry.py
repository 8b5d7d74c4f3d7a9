"""The one registry of checks: each check's id, title, hint, points and judge, written once.

Everything else reads it: the engine (what to run, in which order, the words of
a failure), the notebook, pytest and nbgrader adapters (ids, titles), the build
step that writes the source notebook's hidden graded cells and the checks table
in ``docs/checks.md`` (:mod:`kmeans_kit.build`), and the course's grade table.

Points here are the kit's defaults; a course changes any of them in
``grader_config.py`` (``SETTINGS = GradingSettings(points={"assign.ties": 2})``),
and :func:`points` gives the course's.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ..protocol import GROUPS, grade_id
from ..settings import GradingSettings, load_settings
from .algorithm import LloydChecks
from .contract import judge_assign, judge_converged, judge_update

#: What each function must be; a message that says it is missing quotes this.
SIGNATURES = {
    "assign": "assign(X, means) -- the index of the nearest mean for every row of X",
    "update": "update(X, labels, means) -- the (k, d) array of new means",
    "converged": "converged(old_labels, new_labels) -- True when no label changed",
}


@dataclass(frozen=True)
class Check:
    """One check.

    ``id`` is ``"<group>.<name>"`` and stable across releases (nbgrader's grade_id is
    derived from it). ``title`` says what it asks, in one line; ``hint`` what to do
    when it fails and no misconception explains the failure. ``judge`` decides it: a
    function's contract judge (one call of the function -> a verdict per check of that
    function) or a property of :class:`~kmeans_kit.checks.algorithm.LloydChecks`.
    """

    id: str
    title: str
    hint: str
    points: int
    judge: Callable

    @property
    def group(self) -> str:
        return self.id.split(".", 1)[0]

    @property
    def grade_id(self) -> str:
        return grade_id(self.id)


CHECKS: tuple[Check, ...] = (
    Check("assign.output", "one 1-D integer label per row, each in 0..k-1",
          "Return one integer per row of X, e.g. the argmin over the means of an (n, k) table "
          "of squared distances.", 2, judge_assign),
    Check("assign.nearest", "every point goes to its nearest mean (agrees with the reference)",
          "For each point compute the squared distance to every row of `means` and take the "
          "position of the smallest.", 3, judge_assign),
    Check("assign.ties", "an exact tie goes to the lowest index",
          "argmin / idxmin return the first of equal values; keep that order.", 1, judge_assign),
    Check("assign.pure", "uses only its arguments (the means passed in, any column names) and "
                         "changes neither",
          "Do not change X or means; build new objects for intermediate results.", 2,
          judge_assign),
    Check("assign.own_work", "computes the assignment itself (no scikit-learn / kit reference)",
          "Write the distance computation and the argmin yourself.", 2, judge_assign),
    Check("update.output", "a (k, d) float array",
          "Return a float array of shape (k, d): one row per cluster.", 2, judge_update),
    Check("update.means", "row j is the average of the rows labelled j",
          "Row j is the average of the rows of X whose label is j: "
          "`X[labels == j].mean(axis=0)`.", 3, judge_update),
    Check("update.empty_cluster", "a cluster with no points keeps its current mean",
          "Start from `means.copy()` and replace only rows of clusters that have points.", 2,
          judge_update),
    Check("update.pure", "uses only its arguments and changes none of them",
          "Do not change X, labels or means; start from copies.", 2, judge_update),
    Check("update.own_work", "computes the means itself",
          "Average each cluster's rows yourself.", 1, judge_update),
    Check("converged.unchanged", "True when no label changed",
          "Return True exactly when every label is as before.", 2, judge_converged),
    Check("converged.changed", "False when at least one label changed",
          "Return False as soon as any label differs.", 1, judge_converged),
    Check("converged.own_work", "compares the labels itself (no kit reference)",
          "Compare the two label arrays yourself, e.g. `np.array_equal(old, new)`.", 1,
          judge_converged),
    Check("lloyd.terminates", "the loop built from your three functions stops within max_iter",
          "converged must return True once an assign step changes no label.", 1,
          LloydChecks.terminates),
    Check("lloyd.fixed_point", "at the end, reassigning and recomputing change nothing",
          "Stop only when no label changes; check converged and update.", 1,
          LloydChecks.fixed_point),
    Check("lloyd.inertia", "inertia never increases from one iteration to the next",
          "assign must pick the nearest mean and update the exact average; then inertia "
          "cannot go up.", 1, LloydChecks.inertia),
    Check("lloyd.label_permutation", "permuting the initial means permutes the labels the "
                                     "same way",
          "Keep row j of the means for cluster j throughout; never sort or reorder the means.",
          1, LloydChecks.label_permutation),
    Check("lloyd.recovers_blobs", "AMI >= 0.95 against the true clusters on well-separated "
                                  "blobs (k-means++ starts)",
          "Check the single-function results above: a correct assign, update and converged "
          "find these blobs.", 2, LloydChecks.recovers_blobs),
)


def _index() -> dict[str, Check]:
    return {check.id: check for check in CHECKS}


def get(check_id: str) -> Check:
    """The check ``check_id`` (``"assign.nearest"``); KeyError naming the known ids."""
    try:
        return _index()[check_id]
    except KeyError:
        raise KeyError(f"there is no check {check_id!r}; the checks are "
                       f"{', '.join(_index())}") from None


def group(name: str) -> tuple[Check, ...]:
    """The checks of one group (``"assign"``...``"lloyd"``), in registry order."""
    return tuple(check for check in CHECKS if check.group == name)


def ids() -> tuple[str, ...]:
    return tuple(check.id for check in CHECKS)


def grade_ids() -> dict[str, str]:
    """nbgrader grade_id -> check id, for every check."""
    return {check.grade_id: check.id for check in CHECKS}


def points(settings: GradingSettings | None = None) -> dict[str, int]:
    """Every check's points in this course: the defaults, with ``settings.points`` applied.

    Raises ValueError (naming the setting to fix) for an unknown check id or a
    negative or non-integer number of points.
    """
    settings = settings if settings is not None else load_settings()
    result = {check.id: check.points for check in CHECKS}
    for check_id, value in settings.points.items():
        if check_id not in result:
            raise ValueError(f"grader_config.SETTINGS.points names {check_id!r}, which is not a "
                             f"check; the checks are {', '.join(result)}")
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            raise ValueError(f"grader_config.SETTINGS.points[{check_id!r}] is {value!r}; points "
                             f"are whole numbers >= 0")
        result[check_id] = value
    return result


__all__ = ["CHECKS", "Check", "GROUPS", "SIGNATURES", "get", "grade_ids", "group", "ids",
           "points"]
