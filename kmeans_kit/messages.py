"""Every word a student reads about a check, written here once.

Two halves:

* **composing a failure's message** (used by the engine): the one array
  formatter :func:`array_text`, ``Expected:``/``Got:`` lines, the input shown
  as small tables, what a call that never finished did, a diagnosis paragraph;
* **rendering outcomes** (used by every adapter: notebook, pytest, nbgrader):
  a line per check, the full failure text, a summary per function.

>>> from kmeans_kit.protocol import Outcome
>>> print(outcome_line(Outcome("assign.nearest", "every point goes to its nearest mean", True)))
✓ assign.nearest — every point goes to its nearest mean
"""

from __future__ import annotations

import textwrap
from collections.abc import Iterable, Mapping, Sequence

import numpy as np

from .protocol import GROUPS, CallResult, FailureKind, Frame, Outcome, SameAs

PASS, FAIL = "✓", "✗"
_INDENT = "    "
#: Columns a check's text fills before it wraps: a notebook's output and the feedback page
#: both show about 100 without scrolling sideways.
WIDTH = 100
#: Rows of X a message shows at most.
MAX_SHOWN = 5

#: What a function did when a call never finished, by failure kind.
FAILURE_WORDS = {
    FailureKind.TIMEOUT: "did not finish in time: an endless loop, or far too slow",
    FailureKind.CRASH: "crashed the process running your code",
    FailureKind.EXIT: "tried to end the program (sys.exit / os._exit / exit())",
    FailureKind.MEMORY: "ran out of memory",
    FailureKind.OUTPUT: "printed far too much output",
    FailureKind.MISSING: "is not defined",
}


# --------------------------------------------------------------------------- values
def array_text(array) -> str:
    """An array as a message shows it: comma-separated, at most 40 values, 8 digits."""
    with np.printoptions(threshold=40, edgeitems=4, linewidth=90, precision=8):
        return np.array2string(np.asarray(array), separator=", ")


def what_came_back(result: CallResult) -> str:
    """A short description of what the call did, for the 'got' side of a message."""
    if result.failure:
        return result.detail or result.failure
    if result.raised is not None:
        return f"{result.raised.type_name}: {result.raised.message}"
    returned = result.returned
    shape = f", shape {returned.shape}" if returned.shape not in (None, ()) else ""
    return f"{returned.text}   ({returned.type_name}{shape})"


def expected_got(expected: str, got: str) -> str:
    """``Expected:``/``Got:`` lines; a multi-line value (a Series' repr) goes on indented lines."""
    lines = []
    for name, text in (("Expected:", expected), ("Got:     ", got)):
        if "\n" in text:
            lines.append(name.strip() + "\n" + textwrap.indent(text, _INDENT))
        else:
            lines.append(f"{name} {text}")
    return "\n".join(lines)


def show_input(function: str, args: tuple, rows: Sequence[int] = ()) -> str:
    """A call's input as small tables: X (at most :data:`MAX_SHOWN` rows, those in ``rows``
    first), labels, means; or old and new labels."""
    if function == "converged":
        old = args[0]
        new = "old_labels itself (the very same object)" if isinstance(args[1], SameAs) \
            else array_text(args[1])
        return f"  old_labels = {array_text(old)}\n  new_labels = {new}"
    frame: Frame = args[0]
    n = len(frame.index)
    keep = list(range(n)) if n <= MAX_SHOWN else \
        (sorted(rows)[:MAX_SHOWN] if rows else list(range(MAX_SHOWN)))
    table = frame.to_pandas().iloc[keep]
    lines = [f"  X ({n} row{'s' if n != 1 else ''}, columns "
             f"{', '.join(repr(c) for c in frame.columns)}"
             f"{'' if n <= MAX_SHOWN else f'; showing rows {keep}'}):"]
    lines += ["    " + line for line in table.to_string().splitlines()]
    if function == "update":
        labels = np.asarray(args[1])
        lines.append(f"  labels = {array_text(labels if n <= MAX_SHOWN else labels[keep])}"
                     f"{'' if n <= MAX_SHOWN else ' (for the rows shown)'}")
    means = np.asarray(args[-1])
    lines.append(f"  means (k = {means.shape[0]}):")
    lines += ["    " + line for line in array_text(means).splitlines()]
    return "\n".join(lines)


# --------------------------------------------------------------------------- failure messages
def missing_function(function: str, signature: str) -> str:
    return f"There is no function `{function}` in your code. Define {signature}."


def never_finished(function: str, result: CallResult, label: str, args: tuple) -> str:
    """The message of every check of a function whose call hung, crashed, exited..."""
    words = FAILURE_WORDS.get(result.failure, result.failure)
    detail = f" ({result.detail})" if result.detail else ""
    return (f"`{function}` {words}{detail}.\n\nInput ({label}):\n{show_input(function, args)}"
            f"\n\nNone of the checks of `{function}` can be judged; the other functions are "
            f"still checked.")


def diagnosis(name: str, title: str, explanation: str, hint: str, *, via: str = "") -> str:
    """The named misconception behind a failure; ``via``: the function it lies in, when the
    failure is the loop's."""
    if via:
        return (f"Diagnosis ({name}): this follows from a mistake in `{via}` -- {title}. "
                f"{explanation}\nHint: {hint}")
    return f"Diagnosis ({name}): {title}. {explanation}\nHint: {hint}"


def function_failure(function: str, problem: str, label: str, args: tuple, rows: Sequence[int],
                     expected: str, got: str, traceback_tail: str, explained: str) -> str:
    """A failed function check: the problem, the input, expected/got, where it raised, and
    ``explained`` (a :func:`diagnosis` or ``Hint: ...``)."""
    parts = [problem, f"Input ({label}):\n{show_input(function, args, rows)}"]
    if expected or got:
        parts.append(expected_got(expected, got))
    if traceback_tail:
        parts.append(f"Where it happened in your code:\n{traceback_tail}")
    parts.append(explained)
    return "\n\n".join(parts)


def same_error(function: str, type_name: str, message: str, shown_under: str,
               misconception=None) -> str:
    """A check that failed with the error an earlier check showed in full: one line back
    to it, and the diagnosis in short (or the error's own hint)."""
    text = (f"{function} raised the same error here -- {type_name}: {message} -- as under "
            f"{shown_under}, where it is shown with its input and the line of your code.")
    if misconception is not None:
        text += (f"\n\nDiagnosis ({misconception.name}): {misconception.title}."
                 f"\nHint: {misconception.hint}")
    return text


def loop_failure(problem: str, expected: str, got: str, explained: str) -> str:
    """A failed loop check: the problem, expected/got, and the cause or a hint."""
    message = problem
    if expected or got:
        message += "\n\n" + expected_got(expected, got)
    return f"{message}\n\n{explained}"


# --------------------------------------------------------------------------- outcomes
def outcome_line(outcome: Outcome) -> str:
    """One line (wrapped past :data:`WIDTH`): mark, check id and what it checks."""
    line = f"{PASS if outcome.passed else FAIL} {outcome.check_id} — {outcome.title}"
    return textwrap.fill(line, WIDTH, subsequent_indent=_INDENT, break_long_words=False,
                         break_on_hyphens=False) if len(line) > WIDTH else line


def failure_text(outcome: Outcome) -> str:
    """What went wrong in one check, in full: the line, then the diagnosis.

    Used as the pytest failure message and the nbgrader cell output/feedback.
    For a passed check it is just :func:`outcome_line`.
    """
    line = outcome_line(outcome)
    if outcome.passed or not outcome.message.strip():
        return line
    wrapped = wrap(outcome.message.rstrip(), WIDTH - len(_INDENT))
    return f"{line}\n{textwrap.indent(wrapped, _INDENT)}"


def wrap(text: str, width: int = WIDTH) -> str:
    """``text`` with every line longer than ``width`` wrapped at spaces; a continuation
    keeps its line's indentation (and steps past a ``- `` bullet)."""
    lines = []
    for line in text.splitlines():
        if len(line) <= width:
            lines.append(line)
            continue
        body = line.lstrip(" ")
        indent = " " * (len(line) - len(body))
        hanging = indent + ("  " if body.startswith(("- ", "* ")) else "")
        lines += textwrap.wrap(body, width, initial_indent=indent, subsequent_indent=hanging,
                               break_long_words=False, break_on_hyphens=False) or [line]
    return "\n".join(lines)


def pytest_text(outcome: Outcome) -> str:
    """The failure message of a check's pytest test: the diagnosis alone (pytest already
    shows the check id as the test id)."""
    return outcome.message.rstrip() or f"{outcome.title}: not satisfied"


def _groups(outcomes: Iterable[Outcome]) -> dict[str, list[Outcome]]:
    groups: dict[str, list[Outcome]] = {}
    for outcome in outcomes:
        groups.setdefault(outcome.function, []).append(outcome)
    order = {name: i for i, name in enumerate(GROUPS)}
    return dict(sorted(groups.items(), key=lambda item: order.get(item[0], len(order))))


def summary(outcomes: Iterable[Outcome], points: Mapping[str, float] | None = None) -> str:
    """One line per function: ``assign: 4/5 checks passed``; with each check's ``points``,
    what they are worth: ``assign: 7/10 points (4 of 5 checks passed)``."""
    lines = []
    for function, group in _groups(outcomes).items():
        passed = sum(o.passed for o in group)
        checks = f"{len(group)} check{'s' if len(group) != 1 else ''}"
        if points is None:
            lines.append(f"{function}: {passed}/{checks} passed")
            continue
        earned = sum(points.get(o.check_id, 0) for o in group if o.passed)
        worth = sum(points.get(o.check_id, 0) for o in group)
        lines.append(f"{function}: {earned:g}/{worth:g} points ({passed} of {checks} passed)")
    return "\n".join(lines)


def render(outcomes: Iterable[Outcome], points: Mapping[str, float] | None = None) -> str:
    """The block a notebook cell prints: a line per check, failures with their diagnosis,
    then the summary (in points, when each check's ``points`` are given)."""
    outcomes = list(outcomes)
    if not outcomes:
        return "No checks were run."
    body = [failure_text(o) for o in outcomes]
    return "\n".join(body) + "\n\n" + summary(outcomes, points)
