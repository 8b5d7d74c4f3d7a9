"""Outcomes as text: the one rendering every adapter shows (notebook, pytest, nbgrader).

>>> from reference.checks.protocol import Outcome
>>> print(outcome_line(Outcome("assign.nearest", "every point goes to its nearest mean", True)))
✓ assign.nearest — every point goes to its nearest mean
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable

from .protocol import FUNCTIONS, Outcome

PASS, FAIL = "✓", "✗"
_INDENT = "    "


def outcome_line(outcome: Outcome) -> str:
    """One line: mark, check id and what it checks."""
    return f"{PASS if outcome.passed else FAIL} {outcome.check_id} — {outcome.title}"


def failure_text(outcome: Outcome) -> str:
    """What went wrong in one check, in full: the line, then the diagnosis.

    Used as the pytest failure message and the nbgrader cell output/feedback.
    For a passed check it is just :func:`outcome_line`.
    """
    line = outcome_line(outcome)
    if outcome.passed or not outcome.message.strip():
        return line
    return f"{line}\n{textwrap.indent(outcome.message.rstrip(), _INDENT)}"


def pytest_text(outcome: Outcome) -> str:
    """The failure message of a check's pytest test: the diagnosis alone (pytest already
    shows the check id as the test id)."""
    return outcome.message.rstrip() or f"{outcome.title}: not satisfied"


def _groups(outcomes: Iterable[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.function, []).append(outcome)
    order = {name: i for i, name in enumerate((*FUNCTIONS, "lloyd"))}
    return dict(sorted(groups.items(), key=lambda item: order.get(item[0], len(order))))


def summary(outcomes: Iterable[Outcome]) -> str:
    """One line per function: ``assign: 4/5 checks passed``."""
    lines = []
    for function, group in _groups(outcomes).items():
        passed = sum(o.passed for o in group)
        lines.append(f"{function}: {passed}/{len(group)} check{'s' if len(group) != 1 else ''} "
                     "passed")
    return "\n".join(lines)


def render(outcomes: Iterable[Outcome]) -> str:
    """The block a notebook cell prints: a line per check, failures with their diagnosis,
    then the summary."""
    outcomes = list(outcomes)
    if not outcomes:
        return "No checks were run."
    body = [failure_text(o) for o in outcomes]
    return "\n".join(body) + "\n\n" + summary(outcomes)
