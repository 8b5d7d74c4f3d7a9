"""Questions about the student's own data, graded against the reference's answer for it.

A question is written once, in :data:`QUESTIONS`: its id, its wording, its points and
the values it asks for. :mod:`kmeans_kit.build` writes its graded cell into the source
notebook and its row into docs/checks.md's table; in the notebook that cell calls
:func:`answer`, which prints the student's values on one line; the grader
(:class:`~kmeans_kit.adapters.nbgrader.KitGrader`) reads that line back -- the
student's answer is by definition what their notebook says -- and judges it with
:func:`judge` against :func:`~kmeans_kit.student_data.student_run` for the seed it
derived itself from the student's id, outside the kernel.
"""

from __future__ import annotations

import json
import math
from collections.abc import Mapping
from dataclasses import dataclass

from .protocol import grade_id as _grade_id
from .student_data import StudentRun

__all__ = ["MARKER", "QUESTIONS", "Question", "answer", "get", "judge", "read_answer"]

#: The start of the line :func:`answer` prints and the grader reads.
MARKER = "kmeans-kit answer "
#: The first words of the judge's line when the notebook recorded no answer.
NO_ANSWER = "No answer was recorded"
#: How far a reported inertia may be from the reference's (rounding to one decimal is fine).
INERTIA_TOLERANCE = 0.05


@dataclass(frozen=True)
class Question:
    """One question about the student's own run.

    ``names`` are the notebook's variables the student fills in, ``fields`` the
    :class:`~kmeans_kit.student_data.StudentRun` attributes they must equal, in order.
    """

    id: str
    title: str
    points: int
    names: tuple[str, ...]
    fields: tuple[str, ...]

    @property
    def grade_id(self) -> str:
        return _grade_id(self.id)


QUESTIONS: tuple[Question, ...] = (
    Question("answer.your_run",
             "on your data, from your initial means: the number of updates until Lloyd's loop "
             "stops, and the final inertia", 2,
             ("my_iterations", "my_inertia"), ("iterations", "inertia")),
)


def get(question_id: str) -> Question:
    """The question ``question_id``; KeyError naming the known ids."""
    for question in QUESTIONS:
        if question.id == question_id:
            return question
    raise KeyError(f"there is no question {question_id!r}; the questions are "
                   f"{', '.join(q.id for q in QUESTIONS)}")


def answer(question_id: str, *values) -> None:
    """Record the student's answer to a question: print it on one line for the grader."""
    question = get(question_id)
    if len(values) != len(question.names):
        raise TypeError(f"{question_id} takes {len(question.names)} values: "
                        f"{', '.join(question.names)}")
    shown = {}
    for name, value in zip(question.names, values):
        try:
            shown[name] = float(value)
        except (TypeError, ValueError):
            raise TypeError(f"{name} must be a number, got {value!r}: fill it in above.") \
                from None
    print(MARKER + json.dumps({"id": question_id, **shown}))
    print("Recorded. The grader checks it against the run on your own data; the result "
          "appears in your feedback.")


def read_answer(question: Question, text: str) -> dict[str, float] | None:
    """The values the last marker line of ``text`` (a cell's stdout) gives, or None."""
    for line in reversed(text[-20_000:].splitlines()):   # bounded: the student's output
        if not line.startswith(MARKER):
            continue
        try:
            data = json.loads(line[len(MARKER):])
            if data.get("id") != question.id:
                continue
            values = {name: float(data[name]) for name in question.names}
        except (ValueError, TypeError, KeyError, AttributeError):
            return None
        return values if all(math.isfinite(v) for v in values.values()) else None
    return None


def judge(question: Question, values: Mapping[str, float] | None,
          expected: StudentRun) -> tuple[bool, str]:
    """Whether ``values`` answer ``question`` for the run ``expected``, and a line saying so.

    The number of updates must be exact; the inertia within :data:`INERTIA_TOLERANCE`.
    """
    if values is None:
        return False, (f"{NO_ANSWER}: fill in {' and '.join(question.names)} and "
                       f"run the cell of {question.id}.")
    wrong = []
    for name, field in zip(question.names, question.fields):
        want, got = getattr(expected, field), values[name]
        right = abs(got - want) <= INERTIA_TOLERANCE if isinstance(want, float) else got == want
        if not right:
            wrong.append(f"{name} = {got:g} is not what your data give")
    if wrong:
        return False, ("; ".join(wrong) + ". Run Lloyd's loop on your own data (section 6) and "
                       "read the numbers off your run.")
    return True, f"{question.id}: right for your data."
