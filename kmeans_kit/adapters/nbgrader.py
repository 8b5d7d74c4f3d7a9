"""nbgrader adapter: the grading decision, made outside the student's kernel.

nbgrader scores a test cell by what its outputs say after the notebook ran in
the student's own kernel: an error (or anything on stderr) is 0, anything else
full marks. A submission can therefore patch NumPy or the checker and pass,
and a harmless warning can cost points. :class:`KitGrader` runs right after
the kernel (``Execute``) in ``c.Autograde.autograde_preprocessors`` (see
``grader_config.configure``): it runs the check engine on the submission's
code in the isolated runner and *replaces* the outputs of every graded cell
whose ``grade_id`` is a check's ``grade_id`` with the authoritative outcome --
a line on stdout when the check passed, an ``error`` output carrying the
diagnosis when it failed -- so ``SaveAutoGrades`` scores exactly the outcome.

:class:`StartKitChecks`, placed before ``Execute``, starts those checks in a
background thread so that they run while the kernel executes the notebook;
``KitGrader`` then only collects them.

:class:`SurvivingExecute` replaces nbgrader's ``Execute`` in that list. It
starts the student's kernel in the jail (and refuses to run student code
where the jail cannot be built, unless the instructor allowed it), keeps the
notebook within one time budget, kills a kernel that ignores an interrupt,
and survives a kernel that dies (``os._exit``, a segfault, the memory limit)
or whose outputs stop arriving: nbgrader would drop the whole submission;
here the cell gets an error output, the cells after a dead kernel are marked
as not run, and grading goes on -- so the crash costs only what ``KitGrader``
finds.

:class:`OmitCheckCells` (a ``generate_assignment`` step) leaves the graded cell of each
check out of the student's release, after nbgrader has recorded it in the gradebook;
:class:`AddCheckCells` (an autograde sanitize step) puts it back from the gradebook, after
the cell where the student ran ``check("<group>")``.
"""

from __future__ import annotations

import asyncio
import re
import time
from concurrent.futures import Future, ThreadPoolExecutor
from pathlib import Path

from jupyter_core.utils import ensure_async, run_sync
from nbclient.exceptions import CellTimeoutError, DeadKernelError
from nbconvert.exporters.exporter import ResourcesDict
from nbconvert.preprocessors.sanitize import SanitizeHTML
from nbformat.notebooknode import NotebookNode
from nbformat.v4 import new_code_cell, new_output
from nbgrader.preprocessors import Execute, NbGraderPreprocessor
from traitlets import Bool, Float, Unicode

from .. import cells, sanitize
from ..messages import failure_text, outcome_line
from ..protocol import GROUPS, Outcome, grade_id, kit_version
from ..runner.jail import JAIL, UID_ONLY, isolation
from ..runner.kernel_channel import (
    MAX_MESSAGE_BYTES,
    GuardedKernelClient,
    GuardedKernelManager,
    malformed,
    output_bytes,
)

#: ``ename`` of a failed check's output (shown in feedback in place of a traceback).
FAILED = "CheckFailed"
#: Where StartKitChecks leaves the running checks for KitGrader (nbconvert resources).
_PENDING = "kit_checks"
_ENABLE_JAIL = (
    "Grading refuses to run student code without the jail. On Debian/Ubuntu install it with "
    "`apt-get install bubblewrap`; where user namespaces are switched off (Ubuntu 24.04's "
    "AppArmor default), run the grader as root or allow them "
    "(sysctl kernel.apparmor_restrict_unprivileged_userns=0). To grade without the jail "
    "anyway -- student code then runs with your rights -- set ALLOW_UNJAILED_GRADING = True "
    "in grader_config.py.")


class JailUnavailable(RuntimeError):
    """Grading was asked to run student code unjailed, and the instructor has not allowed it."""


def isolation_used(jailed: bool) -> str:
    """The isolation student code ran in, as reports state it: ``jailed`` is what
    :func:`require_jail` answered."""
    described = isolation().describe()
    return described if jailed else \
        f"{described}; allowed by ALLOW_UNJAILED_GRADING in grader_config.py"


def require_jail(allow_unjailed: bool, allow_uid_only: bool = False) -> bool:
    """Whether to jail student code: True, or False only when the instructor allowed it.

    The full jail is always accepted; the uid-only level (no namespaces) only when
    ``allow_uid_only``. Raises :class:`JailUnavailable` (saying why and how to fix it)
    otherwise, unless unjailed grading is allowed, when student code runs unjailed.
    """
    state = isolation()
    if state.level == JAIL or (state.level == UID_ONLY and allow_uid_only):
        return True
    if allow_unjailed:
        return False
    if state.level == UID_ONLY:
        raise JailUnavailable(
            f"Only the uid-only jail can be built here ({state.reason}): student code would "
            "run as a fresh uid with resource limits but without namespaces, so it could read "
            "every file on this machine that anyone may read, and forbidden helpers would "
            "only be watched. To grade with it -- in a container that holds nothing else, "
            "such as Gradescope's -- set ALLOW_UID_ONLY_GRADING = True in grader_config.py. "
            f"{_ENABLE_JAIL}")
    raise JailUnavailable(f"The jail for student code cannot be built here: {state.reason}. "
                          f"{_ENABLE_JAIL}")


class _KitChecks(NbGraderPreprocessor):
    """What the kit's two grading steps share: which checks to run, and starting them."""

    settings_module = Unicode(
        "grader_config",
        help="Module whose SETTINGS (limits, Hypothesis budget, forbidden helpers) grading uses.",
    ).tag(config=True)
    allow_unjailed = Bool(
        False, help="Grade with student code in a plain subprocess when the jail cannot be built.",
    ).tag(config=True)
    allow_uid_only = Bool(
        False, help="Accept the uid-only jail (no namespaces) when the full one cannot be built.",
    ).tag(config=True)

    def _start(self, nb: NotebookNode) -> Future:
        """Run the isolated checks for ``nb``'s graded cells in a background thread."""
        # Imported here: loading the config must not pull in the engine.
        from ..grading import check_submission
        from ..settings import load_settings
        from ..submission import Submission

        groups = tuple(dict.fromkeys(check_id.split(".", 1)[0] for check_id in _wanted(nb)))
        jailed = require_jail(self.allow_unjailed, self.allow_uid_only)
        pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kit-checks")
        if groups:
            # The submission is read now; Execute changes outputs only, never sources.
            future = pool.submit(check_submission, Submission.from_notebook(nb), groups=groups,
                                 settings=load_settings(self.settings_module), jail=jailed)
        else:
            future = pool.submit(list)
        pool.shutdown(wait=False)
        return future


class StartKitChecks(_KitChecks):
    """Start the isolated checks before the student's kernel runs, so the two overlap.

    The checks need only the submission's code, not the kernel's outputs; on a
    grading machine with two or more cores the kit's work then hides behind
    nbgrader's own execution of the notebook.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        resources[_PENDING] = self._start(nb)
        return nb, resources


class KitGrader(_KitChecks):
    """Write the isolated check engine's outcome into the kit's graded cells."""

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        graded = {cells.grade_id(cell): cell for cell in nb.cells
                  if cell.cell_type == "code" and cells.is_graded_test(cell)}
        pending = resources.pop(_PENDING, None) or self._start(nb)
        outcomes = self._outcomes(nb, pending)
        for cell in nb.cells:  # what a submission wrote there is not the grader's word
            cell.metadata.pop(cells.KIT, None)
        # What graded it, for the class report (kmeans_kit/report.py).
        nb.metadata[cells.KIT] = {"isolation": isolation().describe(), "version": kit_version()}
        self._judge_answers(graded, resources)
        for cell_id, cell in graded.items():
            if cell_id in outcomes:
                outcome = outcomes[cell_id]
                cell.outputs = [_output(outcome)]
                cell.metadata[cells.KIT] = {"check": outcome.check_id, "cause": outcome.cause}
        for cell in nb.cells:
            note = cell.metadata.pop(_REPAIRED, None)
            if note and cell.cell_type == "code":
                cell.outputs.append(new_output("stream", name="stdout", text=f"[{note}]\n"))
            elif note:
                cell.source = f"{cell.source}\n\n*[{note}]*"
        return nb, resources

    def _judge_answers(self, graded: dict[str, NotebookNode], resources: ResourcesDict) -> None:
        """Judge the answers about the student's own run against the reference's, for the
        seed derived here from nbgrader's student id (never from what the kernel says)."""
        from .. import answers
        from ..student_data import course_salt, notebook_seed, student_environment, student_run

        questions = [q for q in answers.QUESTIONS if q.grade_id in graded]
        if not questions:
            return
        student = resources.get("nbgrader", {}).get("student")
        seed = notebook_seed(student_environment(student, course_salt(self.settings_module)))
        expected = student_run(seed)
        for question in questions:
            cell = graded[question.grade_id]
            text = "".join(out.get("text", "") for out in cell.get("outputs", [])
                           if out.get("output_type") == "stream" and out.get("name") == "stdout")
            passed, message = answers.judge(question, answers.read_answer(question, text),
                                            expected)
            cell.outputs = [_output(Outcome(question.id, question.title, passed,
                                            message=message))]

    def _outcomes(self, nb: NotebookNode, pending: Future) -> dict[str, Outcome]:
        try:
            results = pending.result()
            self.log.info("The kit's checks ran the student's code in: %s",
                          isolation().describe())
        except Exception as exc:  # noqa: BLE001 - the kit's fault, not the student's: say so
            self.log.error("The check engine failed on this submission: %r", exc)
            results = []
        outcomes = {o.grade_id: o for o in results}
        for check_id in _wanted(nb):  # a check the engine did not report earns nothing
            outcomes.setdefault(grade_id(check_id), Outcome(
                check_id, check_id, False,
                message="The grader could not run this check; ask your instructor to regrade."))
        return outcomes


class KernelKilled(DeadKernelError):
    """The kernel was killed by the grader: it ignored an interrupt, or the budget ran out."""


class SurvivingExecute(Execute):
    """nbgrader's ``Execute`` in the jail, within a budget, surviving a dead kernel.

    * The kernel runs in the jail (:class:`~kmeans_kit.runner.jailed_kernel.JailedKernelManager`);
      grading refuses to start when it cannot be built, unless ``allow_unjailed``.
    * A dead kernel fails a cell, not the submission: the cells after it are marked as
      not run, and grading goes on.
    * A cell that passes ``timeout`` is interrupted; a kernel that does not answer the
      interrupt within ``interrupt_grace`` seconds is killed.
    * The whole notebook has ``notebook_seconds``; when they run out the kernel is
      killed and the remaining cells are marked as not run.
    * Outputs are bounded as they arrive: a cell keeps at most ``cell_output_mb`` and the
      notebook ``notebook_output_mb`` of them; the rest is dropped, with a note in the cell.
    * A malformed message from the kernel (see
      :mod:`~kmeans_kit.runner.kernel_channel`) is dropped, and the cell it came in gets
      an error output that says so: it is the notebook's doing.
    """

    settings_module = Unicode(
        "grader_config", help="Module whose STUDENT_DATA_SALT gives each student's seed.",
    ).tag(config=True)
    notebook_seconds = Float(300.0, help="Wall-clock budget for running one notebook.").tag(
        config=True)
    interrupt_grace = Float(5.0, help="Seconds an interrupted kernel has to answer before it is "
                                      "killed.").tag(config=True)
    allow_unjailed = Bool(False, help="Run the kernel unjailed when the jail cannot be built.").tag(
        config=True)
    allow_uid_only = Bool(False, help="Accept the uid-only jail (no namespaces) for the kernel "
                                      "when the full one cannot be built.").tag(config=True)
    cell_output_mb = Float(4.0, help="Megabytes (of characters) of output one cell keeps; the "
                                     "rest is dropped as it arrives.").tag(config=True)
    notebook_output_mb = Float(32.0, help="Megabytes (of characters) of output the whole "
                                          "notebook keeps.").tag(config=True)

    def __init__(self, *args, **kwargs):
        from ..runner.jailed_kernel import JailedKernelManager

        # nbgrader's Execute sets AsyncKernelManager the same way, overriding any default.
        kwargs.setdefault("kernel_manager_class", JailedKernelManager)
        super().__init__(*args, **kwargs)

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict = None, km=None):
        if not require_jail(self.allow_unjailed, self.allow_uid_only):
            self.kernel_manager_class = GuardedKernelManager
        self._student_env = _student_env((resources or {}).get("nbgrader", {}).get("student"),
                                         self.settings_module)
        self._died_in = self._skip_why = None
        self._notebook_output = 0
        self._ends_at = time.monotonic() + self.notebook_seconds
        self._iopub_seconds = self.iopub_timeout
        return super().preprocess(nb, resources, km)

    async def async_start_new_kernel(self, **kwargs):
        # The student's id and own seed reach the kernel; the rest of the environment is
        # what it always gets (the jail keeps a short allow-list of it).
        from ..runner.jail import unjailed_environment

        env = kwargs.get("env") or unjailed_environment()
        kwargs["env"] = {**env, **getattr(self, "_student_env", {})}
        return await super().async_start_new_kernel(**kwargs)

    start_new_kernel = run_sync(async_start_new_kernel)

    def _remaining(self) -> float:
        return self._ends_at - time.monotonic()

    def _get_timeout(self, cell):
        timeout = super()._get_timeout(cell)
        remaining = max(1, int(self._remaining()))
        return remaining if timeout is None else min(timeout, remaining)

    async def _async_handle_timeout(self, timeout, cell=None):
        # Interrupt once, then give the kernel interrupt_grace seconds to answer (its
        # reply then arrives as a KeyboardInterrupt error); after that, kill it.
        now = time.monotonic()
        if self._interrupted_at is None:
            self._interrupted_at = now
            self.log.error("Cell timed out after %s s: interrupting the kernel", timeout)
            await ensure_async(self.km.interrupt_kernel())
        elif now - self._interrupted_at > self.interrupt_grace or self._remaining() <= 0:
            await ensure_async(self.km.shutdown_kernel(now=True))
            raise KernelKilled(
                f"it did not stop within {self.interrupt_grace:g} s of being interrupted "
                f"(after {timeout} s)" if self._remaining() > 0 else
                f"the notebook used up its {self.notebook_seconds:g} s")
        await asyncio.sleep(0.1)
        return None

    def preprocess_cell(self, cell: NotebookNode, resources: ResourcesDict, index: int):
        if cell.cell_type != "code":
            return cell, resources
        if self._died_in is None and self._remaining() <= 0:
            self._died_in, self._skip_why = "", (
                f"the notebook used up its {self.notebook_seconds:g} s before this cell")
        if self._died_in is not None:
            where = f" (see {self._died_in})" if self._died_in else ""
            cell.outputs = [new_output("stream", name="stdout", text=(
                f"Not run: {self._skip_why}{where}.\n"))]
            return cell, resources
        self._interrupted_at = None
        self.iopub_timeout = max(1, min(self._iopub_seconds, int(self._remaining())))
        self._cell_output, self._cut, self._bad = 0, 0, []
        rejected_before = self._rejected_count()
        try:
            cell, resources = super().preprocess_cell(cell, resources, index)
            why = None if self._interrupted_at is None else (
                f"The grader interrupted this cell: it ran for more than {self.timeout} s, "
                "the limit for one cell (a loop that never ends, or far too slow).")
        except KernelKilled as exc:
            self._died_in, self._skip_why = _prompt(cell, index), \
                "the kernel was stopped in an earlier cell"
            why = (f"The grader stopped the kernel in this cell: {exc}. The cells below were "
                   "not run.")
        except DeadKernelError:
            self._died_in, self._skip_why = _prompt(cell, index), \
                "the kernel died in an earlier cell"
            why = ("The kernel died while running this cell: the code ended its own process "
                   "(os._exit, sys.exit in a thread...), crashed, or ran out of memory. The "
                   "cells below were not run.")
        except CellTimeoutError as exc:  # the reply came but its outputs did not
            why = (f"This cell's output did not arrive in time ({str(exc).splitlines()[0]}); "
                   f"an output bigger than {MAX_MESSAGE_BYTES // 2**20} MB never arrives.")
        self._mark(cell, index, why, self._rejected_count() - rejected_before)
        return cell, resources

    def _rejected_count(self) -> int:
        return getattr(self.kc, "rejected_count", 0)

    def _mark(self, cell: NotebookNode, index: int, why: str | None, rejected: int) -> None:
        """Tell the student, in the cell, what the grader did to it and why."""
        if self._cut:
            note = (f"[The grader dropped {self._cut} more output(s) of this cell: a cell keeps "
                    f"{self.cell_output_mb:g} MB of output and a notebook "
                    f"{self.notebook_output_mb:g} MB.]\n")
            cell.outputs.append(new_output("stream", name="stdout", text=note))
        if rejected or self._bad:
            seen = self.kc.rejected() if hasattr(self.kc, "rejected") else []
            reasons = list(dict.fromkeys([*self._bad, *seen]))[:3]
            bad = (f"The kernel sent {rejected + len(self._bad)} malformed message(s) while "
                   f"running this cell, which the grader dropped ({'; '.join(reasons)}). "
                   "That is this notebook's doing: only a cell's own code can send them.")
            self.log.error("Cell %d: %s", index, bad)
            cell.outputs.append(new_output("error", ename="MalformedMessage", evalue=bad,
                                           traceback=[bad]))
        if why:
            self.log.error("Cell %d: %s", index, why)
            cell.outputs.append(new_output("error", ename="KernelError", evalue=why,
                                           traceback=[why]))

    def process_message(self, msg: dict, cell: NotebookNode, cell_index: int):
        # A guarded client's channels checked every message already; a kernel manager
        # passed in from outside may have another client.
        reason = None if isinstance(self.kc, GuardedKernelClient) else malformed(msg)
        if reason is not None:
            self._bad.append(reason)
            return None
        size = output_bytes(msg)
        if size:
            if self._cut or self._cell_output + size > self.cell_output_mb * 2**20 or \
                    self._notebook_output + size > self.notebook_output_mb * 2**20:
                self._cut += 1
                return None
            self._cell_output += size
            self._notebook_output += size
        try:
            return super().process_message(msg, cell, cell_index)
        except (KeyError, IndexError, TypeError, AttributeError, ValueError) as exc:
            # e.g. an update_display_data for an output that is gone: still the kernel's doing
            self._bad.append(f"a {msg['msg_type']} message nbclient could not use "
                             f"({type(exc).__name__})")
            return None


def _student_env(student: str | None, settings_module: str) -> dict[str, str]:
    """The student's id and own seed, for their kernel (:mod:`kmeans_kit.student_data`)."""
    from ..student_data import course_salt, student_environment

    return student_environment(student, course_salt(settings_module))


def _prompt(cell: NotebookNode, index: int) -> str:
    """How the feedback page shows a cell that ran: its prompt, ``In [14]``."""
    count = cell.get("execution_count")
    return f"In [{count}]" if isinstance(count, int) else f"cell {index + 1}"


#: Cell metadata where RepairSubmission leaves, for KitGrader, what it did to a cell.
_REPAIRED = "kmeans_kit_repaired"


class RepairSubmission(NbGraderPreprocessor):
    """Repair the student's copy of nbgrader's metadata before nbgrader's own steps read it.

    The metadata in a submitted notebook is the student's data: nbgrader takes what it
    needs from the source notebook (``OverwriteCells``), yet its sanitising steps first
    trusted it, and one notebook stopped a whole class. This step, placed first in
    ``c.Autograde.sanitize_preprocessors``:

    * drops nbgrader metadata that is not a dict, and gives every cell's metadata the schema
      version of the nbgrader that grades (a too-new ``schema_version`` aborted the
      whole ``nbgrader autograde`` run: nobody after that student was graded);
    * for a cell copied and pasted in Jupyter, which keeps its metadata, keeps the
      metadata on the last copy (the one whose definition wins when the notebook runs
      from top to bottom, as nbgrader's ``DeduplicateIds`` does) and makes the earlier
      copies plain cells -- nbgrader's own de-duplication left them with an empty
      nbgrader dict, on which ``add_missing_cells`` raised ``KeyError`` and a correct
      submission was not graded. An earlier copy of a solution cell is tagged for the
      kit's checks, so they run the cells in the order the kernel does.

    What was repaired is logged, and shown to the student in the cell (by KitGrader).
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from nbgrader.nbgraderformat import SCHEMA_VERSION

        from ..submission import SETUP_TAG

        for cell in nb.cells:
            meta = cell.get("metadata", {})
            if "nbgrader" in meta and not isinstance(meta["nbgrader"], dict):
                del meta["nbgrader"]
                self._note(cell, "its nbgrader metadata was not readable and was removed")
            elif "nbgrader" in meta and meta["nbgrader"].get("schema_version") != SCHEMA_VERSION:
                meta["nbgrader"]["schema_version"] = SCHEMA_VERSION
        for gid, indexes in cells.duplicated_grade_ids(nb.cells).items():
            for index in indexes[:-1]:
                cell = nb.cells[index]
                was_solution = cells.is_solution(cell)
                del cell.metadata["nbgrader"]
                if was_solution and cell.cell_type == "code":
                    cell.metadata.setdefault("tags", []).append(SETUP_TAG)
                self._note(cell, f"it is a copy of the graded cell {gid!r} (the last copy "
                                 f"is the one graded); delete the copy you do not need")
        return nb, resources

    def _note(self, cell: NotebookNode, what: str) -> None:
        self.log.warning("Repaired a submitted cell: %s", what)
        cell.metadata[_REPAIRED] = f"The grader repaired this cell: {what}."


#: What an unreadable submission is renamed to, beside the notebook that replaces it.
UNREADABLE_SUFFIX = ".unreadable"


def replace_unreadable(assignment: str, student: str, notebooks: list[str]) -> None:
    """nbgrader's ``pre_convert_hook``: a submitted notebook nbformat cannot read at all
    (broken JSON, a cell whose metadata is a list) fails before any step of the kit's, and
    nbgrader then leaves the student ungraded, with no feedback. Such a notebook is kept
    as ``<name>.ipynb.unreadable`` and replaced by the released notebook headed by a cell
    that says what happened and what to do, so the student is graded (0) and told why.
    """
    import logging

    import nbformat
    from nbformat.v4 import new_markdown_cell

    log = logging.getLogger("kmeans_kit")
    for name in notebooks:
        path = Path(name)
        try:
            nbformat.read(str(path), as_version=4)
            continue
        except Exception as exc:  # noqa: BLE001 - whatever it is, nbgrader cannot read it
            why = f"{type(exc).__name__}: {str(exc)[:300]}"
        # nbgrader's default layout: <course>/submitted/<student>/<assignment>/<notebook>;
        # the release is <course>/release/<assignment>/<notebook>. Elsewhere: the note alone.
        release = path.parents[3] / "release" / path.parent.name / path.name
        kept = path.with_name(path.name + UNREADABLE_SUFFIX)
        if not kept.exists():
            path.replace(kept)
        nb = nbformat.read(str(release), as_version=4) if release.is_file() else \
            nbformat.v4.new_notebook()
        nb.cells.insert(0, new_markdown_cell(
            f"**The notebook you handed in could not be read, so it could not be graded** "
            f"({why}). It was replaced by the assignment as released, which scores 0; your "
            f"file is kept beside it as `{kept.name}`. Open your notebook in Jupyter, check "
            "that it opens and saves without an error, and hand it in again."))
        nbformat.write(nb, str(path))
        log.error("%s: %s could not be read (%s); graded as the release, with a note",
                  student, path, why)


class OmitCheckCells(NbGraderPreprocessor):
    """Leave the kit's graded check cells out of the student's release.

    The source notebook has one graded cell per check (written from the registry by
    ``kmeans-kit release``), and ``generate_assignment`` records each in the gradebook
    (``SaveCells``) before this step, the last of ``c.GenerateAssignment.preprocessors``,
    takes them out: the student's notebook has the check cells they run, not a placeholder
    per check. :class:`AddCheckCells` puts them back when grading.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        kit_ids = _kit_grade_ids()
        nb.cells = [cell for cell in nb.cells
                    if not (cells.is_graded_test(cell) and cells.grade_id(cell) in kit_ids)]
        return nb, resources


class AddCheckCells(NbGraderPreprocessor):
    """Give a submission the graded cell of each of the kit's checks, from the gradebook.

    Placed before nbgrader's ``OverwriteCells``. The release has none of them
    (:class:`OmitCheckCells`): each group's go after the cell where the student runs
    ``check("<group>")``, else after the group's solution cell, else at the end, with the
    source and points the gradebook holds -- so the feedback shows each check's result
    where the student checked the function. A cell of that ``grade_id`` already in the
    submission (an older release) is left where it is.
    """

    def preprocess(self, nb: NotebookNode, resources: ResourcesDict):
        from nbgrader.api import Gradebook
        from nbgrader.nbgraderformat import SCHEMA_VERSION

        kit_ids = _kit_grade_ids()
        present = {cells.grade_id(cell) for cell in nb.cells}
        ids = {cell.get("id") for cell in nb.cells}
        info = resources["nbgrader"]
        with Gradebook(info["db_url"]) as gradebook:
            notebook = gradebook.find_notebook(info["notebook"], info["assignment"])
            points = {cell.name: cell.max_score for cell in notebook.grade_cells}
            sources = {cell.name: cell for cell in notebook.source_cells
                       if cell.name in kit_ids and cell.name in points and
                       cell.name not in present}
            missing = [(name, sources[name].source, sources[name].checksum,
                        sources[name].locked) for name in kit_ids if name in sources]
        for group in GROUPS:
            new = []
            for name, source, checksum, locked in missing:
                if kit_ids[name].split(".", 1)[0] != group:
                    continue
                cell = new_code_cell(source, id=name if name not in ids else f"{name}-graded")
                cell.metadata.update(editable=False, deletable=False, nbgrader={
                    "grade": True, "grade_id": name, "locked": locked, "points": points[name],
                    "solution": False, "task": False, "checksum": checksum,
                    "schema_version": SCHEMA_VERSION})
                new.append(cell)
            if new:
                at = _after_check(nb, group)
                nb.cells[at:at] = new
        return nb, resources


def _after_check(nb: NotebookNode, group: str) -> int:
    """Where a group's check cells go: after ``check("<group>")``, else its solution."""
    call = re.compile(rf"^\s*check\(\s*[\"']{group}[\"']\s*\)\s*(#.*)?$", re.M)
    for index, cell in enumerate(nb.cells):
        if cell.cell_type == "code" and call.search(cell.source):
            return index + 1
    for index, cell in enumerate(nb.cells):
        if cells.grade_id(cell) == f"{group}_solution":
            return index + 1
    return len(nb.cells)


def _kit_grade_ids() -> dict[str, str]:
    """grade_id -> check id, for every check of the registry, in registry order."""
    from ..checks import registry

    return registry.grade_ids()


class SanitizeStudentHTML(SanitizeHTML):
    """Clean the student's HTML in the notebook nbgrader stores (see :mod:`kmeans_kit.sanitize`).

    nbconvert's ``SanitizeHTML`` decides what each cell and output type gets; the kit's
    allow-list decides what HTML survives. Markdown without raw HTML is left as written.
    """

    enabled = Bool(True, help="Whether to sanitise (nbconvert's preprocessors are off by "
                              "default; this one is on wherever it is listed).").tag(config=True)

    def __init__(self, **kw):
        super().__init__(**kw)
        # Pictures the notebook makes (its GIF too) are data, not markup: they stay.
        self.safe_output_keys = self.safe_output_keys | {"image/gif"}

    def preprocess_cell(self, cell, resources, cell_index):
        if cell.cell_type in ("markdown", "raw"):
            cell.source = sanitize.clean_markdown(cell.source)
            return cell, resources
        return super().preprocess_cell(cell, resources, cell_index)

    def sanitize_html_tags(self, html_str: str) -> str:
        return sanitize.clean_html(html_str)


def _wanted(nb: NotebookNode) -> list[str]:
    """The kit's check ids that have a graded cell in ``nb``, in notebook order."""
    kit_ids = _kit_grade_ids()
    return [kit_ids[cells.grade_id(cell)] for cell in nb.cells
            if cells.is_graded_test(cell) and cells.grade_id(cell) in kit_ids]


def _output(outcome: Outcome) -> NotebookNode:
    """A pass is a stdout line (full marks); a failure an error output (zero)."""
    if outcome.passed:
        return new_output("stream", name="stdout", text=outcome_line(outcome) + "\n")
    lines = failure_text(outcome).splitlines()
    return new_output("error", ename=FAILED, evalue=lines[0], traceback=lines)
