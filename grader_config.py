"""The one place for grading settings (kit and nbgrader).

Imported as a module (``import grader_config``), it gives the kit its settings:
``SETTINGS`` (limits for student code, the Hypothesis budget, forbidden
helpers), ``POINTS`` (points per check) and the course's names and places.

Loaded by nbgrader as a config file it also fills nbgrader's ``c``. nbgrader
0.9.6 ignores ``--config``; it reads ``nbgrader_config.py`` from the current
directory and from the course root, so a course directory holds the one line
written by :func:`course_config_line`::

    load_subconfig(__import__("grader_config").__file__)

(``--NbGrader.config_file=/path/to/grader_config`` -- without ``.py`` -- works
too.) The course root is the directory nbgrader runs in, or
``$KMEANS_COURSE_DIR`` when set.
"""

from __future__ import annotations

import os
from pathlib import Path

from reference.checks.settings import DEFAULT_FORBIDDEN, GradingSettings, Limits

# --------------------------------------------------------------------------- the course
COURSE_ID = "kmeans-kit"
ASSIGNMENT = "kmeans"
#: Where ``python -m reference.course demo`` builds the course (relative to the repository).
DEFAULT_COURSE_DIR = "course"
COURSE_DIR_ENV = "KMEANS_COURSE_DIR"

# --------------------------------------------------------------------------- grading the code
SETTINGS = GradingSettings(
    limits=Limits(
        call_seconds=10.0,     # one call of a student function
        load_seconds=60.0,     # executing the submission's setup and solution cells
        cpu_seconds=120,       # the whole isolated worker
        memory_mb=2048,
        output_bytes=200_000,
        total_seconds=180.0,   # every check of one submission together (the isolated checks)
        processes=64,          # processes and threads of the worker's jail
        open_files=256,
    ),
    max_examples=60,           # Hypothesis examples per generated check
    forbidden=DEFAULT_FORBIDDEN,
)

#: Points per check (check ids of ``reference.checks.engine.CATALOGUE``). The
#: hidden graded cell of a check has ``grade_id = check_id.replace(".", "_")``
#: and these points. assign 10, update 10, converged 4, lloyd 6.
POINTS = {
    "assign.output": 2, "assign.nearest": 3, "assign.ties": 1, "assign.pure": 2,
    "assign.own_work": 2,
    "update.output": 2, "update.means": 3, "update.empty_cluster": 2, "update.pure": 2,
    "update.own_work": 1,
    "converged.unchanged": 2, "converged.changed": 2,
    "lloyd.terminates": 1, "lloyd.fixed_point": 1, "lloyd.inertia": 1,
    "lloyd.label_permutation": 1, "lloyd.recovers_blobs": 2,
}
#: Manually graded cells of the dict-versus-array task.
MANUAL_POINTS = {"pitfall_fix": 2, "pitfall_answer": 2}

# --------------------------------------------------------------------------- running the notebook
#: Seconds one notebook cell may run during autograding before the kernel is
#: interrupted; a hanging student function then costs one cell, not the class.
CELL_TIMEOUT = 15
#: Seconds the whole notebook may run during autograding; when they run out the
#: kernel is killed and the remaining cells are marked as not run.
NOTEBOOK_SECONDS = 300
#: Seconds an interrupted kernel has to stop before it is killed.
INTERRUPT_GRACE = 5

# --------------------------------------------------------------------------- the jail
#: Student code (the isolated checks and the notebook's kernel) runs in the jail
#: (bubblewrap namespaces, an unprivileged uid, rlimits; see reference/checks/jail.py).
#: Where the jail cannot be built, grading refuses to start -- unless this is True,
#: and then student code runs with the grader's rights, in a plain subprocess.
ALLOW_UNJAILED_GRADING = False
#: Limits of the notebook's jailed kernel (it runs the whole narrative, pictures included).
KERNEL_MEMORY_MB = 4096
KERNEL_CPU_SECONDS = 600


def course_config_line() -> str:
    """The ``nbgrader_config.py`` of a course directory: load this file."""
    return 'load_subconfig(__import__("grader_config").__file__)\n'


def configure(c, root: str | os.PathLike) -> None:
    """Fill an nbgrader ``Config`` for the course rooted at ``root``."""
    # Imported here so that ``import grader_config`` stays light.
    from nbconvert.preprocessors import ClearMetadataPreprocessor
    from nbgrader.preprocessors import (AssignLatePenalties, CheckCellMetadata, ClearHiddenTests,
                                        IgnorePattern, LimitOutput, SaveAutoGrades)

    from reference.checks.nbgrader_preprocessor import KitGrader, StartKitChecks, SurvivingExecute

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = f"sqlite:///{root / 'gradebook.db'}"
    # A graded cell the student deleted comes back (and is graded like the others).
    c.OverwriteCells.add_missing_cells = True
    c.Execute.timeout = CELL_TIMEOUT         # SurvivingExecute reads Execute's settings
    c.Execute.interrupt_on_timeout = True
    # nbclient waits only 4 s for a cell's last outputs, then nbgrader fails the
    # whole submission; on a busy grading machine that is not enough.
    c.Execute.iopub_timeout = 60
    c.SurvivingExecute.notebook_seconds = NOTEBOOK_SECONDS
    c.SurvivingExecute.interrupt_grace = INTERRUPT_GRACE
    c.SurvivingExecute.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.StartKitChecks.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.KitGrader.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.JailedKernelManager.memory_mb = KERNEL_MEMORY_MB
    c.JailedKernelManager.cpu_seconds = KERNEL_CPU_SECONDS
    # nbgrader's default list with Execute made to survive a dying kernel and the
    # kit's steps around it: StartKitChecks starts the isolated checks so they run
    # while the student's kernel executes the notebook (they need only its code);
    # KitGrader writes the authoritative outcome of every check (before
    # ClearMetadataPreprocessor could drop the kit-setup tags, and before
    # SaveAutoGrades scores the cells); ClearHiddenTests then removes the hidden
    # test source that OverwriteCells put back, so feedback HTML never shows it.
    c.Autograde.autograde_preprocessors = [
        StartKitChecks,
        SurvivingExecute,
        KitGrader,
        ClearHiddenTests,
        IgnorePattern,
        ClearMetadataPreprocessor,
        LimitOutput,
        SaveAutoGrades,
        AssignLatePenalties,
        CheckCellMetadata,
    ]


def _course_root() -> Path:
    return Path(os.environ.get(COURSE_DIR_ENV) or os.getcwd())


if "get_config" in globals():  # executed by traitlets as an nbgrader config file
    configure(get_config(), _course_root())  # noqa: F821 (injected by traitlets)
