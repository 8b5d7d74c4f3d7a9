"""The one place for grading settings (kit and nbgrader).

The kit reads it through :mod:`kmeans_kit.settings` (never at import time):
``SETTINGS`` (limits for student code, the Hypothesis budget, forbidden helpers,
points), the course's names, and nbgrader's configuration. Every setting has a
default in the kit; write here only what this course does differently.

Loaded by nbgrader as a config file it also fills nbgrader's ``c``. nbgrader
0.9.6 ignores ``--config``; it reads ``nbgrader_config.py`` from the current
directory and from the course root, so a course directory holds the few lines
written by :func:`course_config_line`, which load this file -- or stop nbgrader::

    try:
        load_subconfig(__import__("grader_config").__file__)
    except Exception as exc:
        raise SystemExit(...) from exc

(traitlets logs an error in a config file and goes on with the defaults: nbgrader would
then grade with its own steps, the student's kernel unjailed and its word taken for the
grade.)

(``--NbGrader.config_file=/path/to/grader_config`` -- without ``.py`` -- works
too.) The course root is the directory nbgrader runs in, or
``$KMEANS_COURSE_DIR`` when set. The gradebook is ``<root>/gradebook.db`` (SQLite), or
the database named by ``$KMEANS_KIT_DB_URL`` when set (see :func:`db_url` and
docs/postgresql.md).
"""

from __future__ import annotations

import os
from pathlib import Path

from kmeans_kit.settings import GradingSettings, Limits

# --------------------------------------------------------------------------- the course
COURSE_ID = "kmeans-kit"
ASSIGNMENT = "kmeans"
COURSE_DIR_ENV = "KMEANS_COURSE_DIR"
#: The gradebook's SQLAlchemy URL, e.g. ``postgresql:///kmeans`` (a local socket, peer
#: authentication). Read from the environment so that a password, if the server needs one,
#: never sits in a file of the course (libpq's ``PGPASSFILE`` or ``~/.pgpass`` keep it out
#: of the URL too). Unset: the course's SQLite file, ``<root>/gradebook.db``.
DB_URL_ENV = "KMEANS_KIT_DB_URL"

# --------------------------------------------------------------------------- grading the code
#: The defaults are in kmeans_kit/settings.py (Limits, GradingSettings) and, for each
#: check's points, in kmeans_kit/checks/registry.py. For example
#: ``GradingSettings(limits=Limits(call_seconds=20), points={"assign.ties": 2})``
#: gives every call 20 s and makes the tie rule worth 2 points; ``kmeans-kit release``
#: then writes the points into the notebook. The manually graded cells (the dict
#: pitfall's fix and answer) carry their points in the source notebook, as nbgrader's do.
SETTINGS = GradingSettings(
    limits=Limits(),
    points={},
)

# --------------------------------------------------------------------------- running the notebook
#: Seconds one notebook cell may run during autograding before the kernel is
#: interrupted; a hanging student function then costs one cell, not the class.
CELL_TIMEOUT = 15
# The whole notebook's budget, the grace an interrupted kernel gets and the kernel's
# limits are traits with defaults (kmeans_kit/adapters/nbgrader.py, runner/jailed_kernel.py);
# set them in configure() below, e.g. c.SurvivingExecute.notebook_seconds = 600 or
# c.JailedKernelManager.memory_mb = 8192.

# --------------------------------------------------------------------------- each student's data
#: The environment variable that holds the course's salt (kept out of student code).
SALT_ENV = "KMEANS_KIT_DATA_SALT"
#: The course's salt: each student's blobs and initial means come from a seed derived from
#: their id and this (HMAC-SHA256; kmeans_kit/student_data.py), and the questions about
#: "your run" are judged for that student's data. None (the default): everyone gets the
#: course notes' data (seed 398). Read from the environment, so the secret is in no file a
#: student is given (this file ships in the kit's wheel); to let students reproduce their
#: own data at home, write it here instead (docs/course.md, "Each student's own data").
STUDENT_DATA_SALT = os.environ.get(SALT_ENV) or None

# --------------------------------------------------------------------------- the jail
#: Student code (the isolated checks and the notebook's kernel) runs in the jail
#: (bubblewrap namespaces, an unprivileged uid, rlimits; see kmeans_kit/runner/jail.py).
#: Where the jail cannot be built, grading refuses to start -- unless this is True,
#: and then student code runs with the grader's rights, in a plain subprocess.
ALLOW_UNJAILED_GRADING = False
#: Where only the uid-only jail can be built (root cannot make namespaces, as in
#: Gradescope's containers): student code runs as a fresh uid with the resource limits and
#: cgroups, but sees the machine's world-readable files, and forbidden helpers are only
#: watched. Grading refuses it unless this is True.
ALLOW_UID_ONLY_GRADING = False


def course_config_line() -> str:
    """The ``nbgrader_config.py`` of a course directory: load this file, or stop."""
    return ("# The course's grading settings: grader_config.py. If it cannot be loaded, stop:\n"
            "# nbgrader would grade with its defaults (student code unjailed, the verdict\n"
            "# taken from the student's own kernel).\n"
            "try:\n"
            '    load_subconfig(__import__("grader_config").__file__)\n'
            "except Exception as exc:\n"
            '    raise SystemExit(f"grader_config.py could not be loaded ({exc!r}); refusing '
            'to grade with nbgrader\'s defaults. Fix it, or run nbgrader from the kit\'s '
            'environment.") from exc\n')


def db_url(root: str | os.PathLike) -> str:
    """The gradebook's URL for the course rooted at ``root``.

    Parameters
    ----------
    root : str or os.PathLike
        The course directory; its ``gradebook.db`` is the default (SQLite).

    Returns
    -------
    str
        ``$KMEANS_KIT_DB_URL`` when set, else ``sqlite:///<root>/gradebook.db``.

    Raises
    ------
    ValueError
        If ``$KMEANS_KIT_DB_URL`` is not an ``sqlite://`` or ``postgresql://`` URL; the
        message says what to set (and never shows a password).
    """
    url = os.environ.get(DB_URL_ENV, "").strip()
    if not url:
        return f"sqlite:///{Path(root).resolve() / 'gradebook.db'}"
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    fix = (f"Set {DB_URL_ENV} to postgresql:///DATABASE (the local socket, as your user), "
           f"postgresql://USER@HOST:PORT/DATABASE (the password in ~/.pgpass or $PGPASSFILE) "
           f"or sqlite:////path/to/gradebook.db; or unset it for the course's own "
           f"gradebook.db (docs/postgresql.md).")
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ValueError(f"{DB_URL_ENV} is not a database URL. {fix}") from None
    backend = parsed.get_backend_name()
    if backend not in ("sqlite", "postgresql"):
        hint = " (SQLAlchemy spells it postgresql://)" if backend == "postgres" else ""
        raise ValueError(f"{DB_URL_ENV}={parsed.render_as_string(hide_password=True)} names "
                         f"a {backend!r} database{hint}; the gradebook is SQLite or "
                         f"PostgreSQL. {fix}")
    if not parsed.database:
        raise ValueError(f"{DB_URL_ENV}={parsed.render_as_string(hide_password=True)} names "
                         f"no database. {fix}")
    return url


def configure(c, root: str | os.PathLike) -> None:
    """Fill an nbgrader ``Config`` for the course rooted at ``root``."""
    # Imported here so that ``import grader_config`` stays light.
    from nbconvert.preprocessors import ClearMetadataPreprocessor, CSSHTMLHeaderPreprocessor
    from nbgrader.converters import GenerateAssignment
    from nbgrader.preprocessors import (
        AssignLatePenalties,
        CheckCellMetadata,
        ClearHiddenTests,
        ClearOutput,
        DeduplicateIds,
        GetGrades,
        IgnorePattern,
        LimitOutput,
        OverwriteCells,
        OverwriteKernelspec,
        SaveAutoGrades,
    )

    from kmeans_kit import sanitize
    from kmeans_kit.adapters.feedback import FeedbackSummary, StudentTracebacks
    from kmeans_kit.adapters.nbgrader import (
        AddCheckCells,
        KitGrader,
        OmitCheckCells,
        RepairSubmission,
        SanitizeStudentHTML,
        StartKitChecks,
        SurvivingExecute,
    )

    root = Path(root).resolve()
    c.CourseDirectory.root = str(root)
    c.CourseDirectory.course_id = COURSE_ID
    c.CourseDirectory.db_url = db_url(root)
    # The student's release has no cell per check: they come from the gradebook when
    # grading, after the cell where the student ran check() (AddCheckCells, below).
    c.GenerateAssignment.preprocessors = [
        *GenerateAssignment.class_traits()["preprocessors"].default(), OmitCheckCells]
    # A graded cell the student deleted comes back (and is graded like the others).
    c.OverwriteCells.add_missing_cells = True
    # Every page nbgrader renders (feedback, formgrader's formgrade page) sanitises the
    # student's HTML, Markdown cells included (formgrader's template renders those itself,
    # through the markdown2html filter): kmeans_kit/sanitize.py.
    c.HTMLExporter.sanitize_html = True
    c.HTMLExporter.filters = {"markdown2html": "kmeans_kit.sanitize.markdown2html",
                              "clean_html": "kmeans_kit.sanitize.clean_html"}
    # The feedback page runs no script at all: the kit's templates (before nbgrader's) put
    # a Content-Security-Policy in its <head> (kmeans_kit/templates/feedback/).
    c.HTMLExporter.extra_template_basedirs = [str(sanitize.TEMPLATES),
                                              str(sanitize.nbgrader_templates())]
    # The feedback page is the kit's (kmeans_kit/templates/feedback/index.html.j2): points
    # per function and per check, what awaits a grader, each mistake once, the student's
    # own frames in tracebacks (kmeans_kit/adapters/feedback.py).
    c.GenerateFeedback.preprocessors = [GetGrades, FeedbackSummary, StudentTracebacks,
                                        CSSHTMLHeaderPreprocessor]
    c.Execute.timeout = CELL_TIMEOUT         # SurvivingExecute reads Execute's settings
    c.Execute.interrupt_on_timeout = True
    # nbclient waits only 4 s for a cell's last outputs, then nbgrader fails the
    # whole submission; on a busy grading machine that is not enough.
    c.Execute.iopub_timeout = 60
    c.SurvivingExecute.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.StartKitChecks.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.KitGrader.allow_unjailed = ALLOW_UNJAILED_GRADING
    c.SurvivingExecute.allow_uid_only = ALLOW_UID_ONLY_GRADING
    c.StartKitChecks.allow_uid_only = ALLOW_UID_ONLY_GRADING
    c.KitGrader.allow_uid_only = ALLOW_UID_ONLY_GRADING
    # nbgrader's steps that prepare a submission, after the kit's repair of the student's
    # copy of nbgrader's metadata (a too-new schema_version or a copied cell stopped the
    # whole class's run; see RepairSubmission).
    # A notebook nbformat cannot read at all is kept aside and graded as the release,
    # with a note that says why: the student gets 0 and feedback, not silence.
    c.Autograde.pre_convert_hook = "kmeans_kit.adapters.nbgrader.replace_unreadable"
    c.Autograde.sanitize_preprocessors = [
        RepairSubmission,
        ClearOutput,
        DeduplicateIds,
        AddCheckCells,
        OverwriteKernelspec,
        OverwriteCells,
        CheckCellMetadata,
    ]
    # nbgrader's default list with Execute made to survive a dying kernel and the
    # kit's steps around it: StartKitChecks starts the isolated checks so they run
    # while the student's kernel executes the notebook (they need only its code);
    # KitGrader writes the authoritative outcome of every check (before
    # ClearMetadataPreprocessor could drop the kit-setup tags, and before
    # SaveAutoGrades scores the cells); ClearHiddenTests then removes the hidden
    # test source that OverwriteCells put back, so feedback HTML never shows it;
    # SanitizeStudentHTML cleans the student's HTML in the notebook that is stored.
    c.Autograde.autograde_preprocessors = [
        StartKitChecks,
        SurvivingExecute,
        KitGrader,
        ClearHiddenTests,
        SanitizeStudentHTML,
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
