"""The in-notebook adapter: ``check("assign")`` for instant feedback, ``grade(id)`` for nbgrader.

``check`` runs the engine against the functions defined in the notebook, inside
the student's own kernel (there a student can only fool themselves; grading
always uses the isolated runner). Each call of a student function has a time
limit, and a function that keeps hanging is not called again, so a cell
always finishes. It prints a line per check, and the diagnosis of each
failure -- never a traceback from inside the kit.

``grade`` belongs in the instructor's hidden test cells. While nbgrader
autogrades (``NBGRADER_EXECUTION=autograde``) it does nothing: the result is
decided outside the student's kernel and written into the cell by the kit's
nbgrader preprocessor. Elsewhere (validate, the instructor's own runs) it runs
that one check in the kernel and raises ``AssertionError`` with the diagnosis.
"""

from __future__ import annotations

import os
import signal
import sys
from collections.abc import Mapping
from contextlib import contextmanager

from ..protocol import GROUPS, Outcome
from ..settings import GradingSettings

#: Seconds one call of a student function may take in the notebook.
CALL_SECONDS = 5.0
#: The isolation line under every check() report: it runs in the student's own kernel.
ISOLATION_NOTE = ("(Checked here, in your own kernel: not isolated, so only you can be fooled. "
                  "Grading reruns these checks in the jail.)")
#: Said where the system has no interval timer (Windows): a call cannot be cut short there.
NO_TIMER_NOTE = ("(This system cannot stop a function that runs too long: if a check does not "
                 "finish, interrupt the kernel and look for a loop that never ends.)")
_WORKER_ENV = "KMEANS_KIT_WORKER"
_SORRY = ("Sorry: the checker itself failed ({error}). This is not your fault. Please tell "
          "your instructor, quoting this line and the cell you ran ({call}).")


def check(function: str = "all") -> None:
    """Check your ``assign``, ``update``, ``converged`` (or ``"lloyd"``: the whole loop).

    Parameters
    ----------
    function : {"all", "assign", "update", "converged", "lloyd"}
        What to check; ``"all"`` checks everything.
    """
    if os.environ.get(_WORKER_ENV):
        return   # the grader is loading this notebook: its checks run elsewhere
    if _autograding():
        print(f"check({function!r}) is not run while grading: the graded results, decided "
              f"outside your notebook, are in your feedback, below this cell.")
        return
    call = f"check({function!r})"
    try:
        groups = _groups(function)
        if groups is None:
            print(f"check() does not know {function!r}: use one of "
                  f"{', '.join(repr(g) for g in ('all', *GROUPS))}.")
            return
        from ..checks import registry
        from ..messages import render
        from ..settings import load_settings

        namespace = _user_namespace()
        warning = _copied_cells_warning(namespace)
        settings = load_settings()
        outcomes = _run(namespace, groups, settings)
        text = f"{warning}{render(outcomes, registry.points(settings))}\n{ISOLATION_NOTE}"
        if not hasattr(signal, "setitimer"):
            text += f"\n{NO_TIMER_NOTE}"
    except KeyboardInterrupt:
        print(f"{call} was interrupted.")
        return
    except Exception as exc:  # noqa: BLE001 - a kit bug must not look like the student's
        print(_SORRY.format(error=f"{type(exc).__name__}: {exc}", call=call))
        return
    print(text)


def grade(check_id: str) -> None:
    """Run one check (``"assign.nearest"``...) for an nbgrader test cell.

    Raises
    ------
    AssertionError
        With the diagnosis, when the check fails (outside autograding).
    """
    if _autograding() or os.environ.get(_WORKER_ENV):
        print(f"{check_id}: graded outside your notebook; the result appears in your feedback.")
        return
    from ..messages import failure_text

    try:
        outcomes = _run(_user_namespace(), (check_id.split(".", 1)[0],))
    except Exception as exc:  # noqa: BLE001
        raise AssertionError(_SORRY.format(error=f"{type(exc).__name__}: {exc}",
                                           call=f"grade({check_id!r})")) from None
    found = [o for o in outcomes if o.check_id == check_id]
    if not found:
        raise AssertionError(f"grade(): there is no check {check_id!r}; the checks are "
                             f"{', '.join(o.check_id for o in outcomes)}.")
    if not found[0].passed:
        raise AssertionError(failure_text(found[0]))
    print(failure_text(found[0]))


def _autograding() -> bool:
    return os.environ.get("NBGRADER_EXECUTION") == "autograde"


@contextmanager
def _exit_is_an_error():
    """Turn ``os._exit`` into ``SystemExit`` while checking, so it cannot kill the kernel."""
    real_exit = os._exit

    def refuse(status: int = 0) -> None:
        raise SystemExit(f"os._exit({status}) was called")

    os._exit = refuse
    try:
        yield
    finally:
        os._exit = real_exit


def _copied_cells_warning(namespace: Mapping) -> str:
    """A warning when the saved notebook has copies of a graded cell ("" otherwise).

    Jupyter copies a cell's nbgrader metadata with it; the grader then grades only the
    last copy. The notebook's path comes from Jupyter's kernel environment
    (``JPY_SESSION_NAME``) or VS Code's ``__vsc_ipynb_file__``; without one, nothing is
    said.
    """
    import json

    from .. import cells

    path = os.environ.get("JPY_SESSION_NAME") or namespace.get("__vsc_ipynb_file__") or ""
    if not str(path).endswith(".ipynb"):
        return ""
    try:
        with open(path, encoding="utf-8") as file:
            found = cells.duplicated_grade_ids(json.load(file).get("cells", []))
    except (OSError, ValueError, AttributeError, TypeError):
        return ""
    return "".join(
        f"Warning: in your saved notebook, cells {', '.join(str(i + 1) for i in indexes)} are "
        f"copies of one graded cell ({gid!r}): Jupyter copied its grading information with "
        f"it. The grader grades the last one (cell {indexes[-1] + 1}) and runs the others as "
        f"plain code. Delete the copy you do not need, then save.\n"
        for gid, indexes in found.items())


def _groups(function: str) -> tuple[str, ...] | None:
    if function == "all":
        return GROUPS
    return (function,) if function in GROUPS else None


def _user_namespace() -> Mapping:
    """The notebook's globals: IPython's user namespace, else ``__main__``'s."""
    try:
        from IPython import get_ipython

        shell = get_ipython()
    except ImportError:
        shell = None
    if shell is not None and getattr(shell, "user_ns", None) is not None:
        return shell.user_ns
    return sys.modules["__main__"].__dict__


def _run(namespace: Mapping, groups: tuple[str, ...],
         settings: GradingSettings | None = None) -> list[Outcome]:
    from ..checks.engine import run_checks
    from ..runner.calling import FailureBudget
    from ..runner.inprocess import InProcessCaller
    from ..settings import load_settings

    settings = settings if settings is not None else load_settings()
    caller = FailureBudget(InProcessCaller(namespace, timeout=CALL_SECONDS,
                                           forbidden=settings.forbidden))
    with _exit_is_an_error():
        return run_checks(caller, groups=groups, settings=settings)
