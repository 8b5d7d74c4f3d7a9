"""Each student's own data: a seed from the student's id and the course's salt.

Every student's notebook draws its blobs and initial means from a seed of its own,
so two students' runs -- and the numbers they report about them -- differ, while
the three functions are still graded on inputs the kit generates itself.

* :func:`derive_seed` maps ``(student id, salt)`` to a legacy seed with HMAC-SHA256.
  Not every seed suits the notebook's narrative ("the means move to the centres of
  the clouds"): some get stuck in a poor local optimum, some empty a cluster. So the
  HMAC is a stream of candidates, and the seed is the first candidate whose run
  (the reference Lloyd loop from the notes' initial means) finds the four groups
  (AMI >= :data:`MIN_AMI`), never empties a cluster and stops within the notebook's
  :data:`MAX_UPDATES`. About three seeds in four
  qualify, so the first or second candidate nearly always does.
* :func:`notebook_seed` is what the notebook's setup cell calls. During grading the
  grader puts the student's seed in the kernel's environment (:data:`SEED_ENV`) --
  never the salt, so student code cannot compute a classmate's data. Working on
  their own, a student's seed is derived from their id (:data:`STUDENT_ENV`, else
  ``JUPYTERHUB_USER``, else the login) and the salt, when the course publishes it.
  Without a salt or an id the seed is the notes' :data:`~kmeans_kit.data.NOTES_SEED`
  (398), so the release and the docs keep the notes' numbers.
* :func:`student_run` is the judge's answer for a seed, computed with the reference,
  outside the student's kernel.
"""

from __future__ import annotations

import getpass
import hashlib
import hmac
import os
from collections.abc import Mapping
from dataclasses import dataclass

import numpy as np

from .data import NOTES_SEED, notes_blobs, notes_initial_means
from .settings import load_config

__all__ = ["MAX_UPDATES", "MIN_AMI", "SALT_SETTING", "SEED_ENV", "STUDENT_ENV", "StudentRun",
           "course_salt", "derive_seed", "notebook_seed", "student_environment", "student_id",
           "student_run"]

#: The student's id, set by the grader in the jailed kernel (or by hand, to try one out).
STUDENT_ENV = "KMEANS_KIT_STUDENT"
#: The student's own seed, set by the grader in the jailed kernel (or by a hub, per user).
SEED_ENV = "KMEANS_KIT_DATA_SEED"
#: The name in ``grader_config.py`` that holds the course's salt (None: per-student data off).
SALT_SETTING = "STUDENT_DATA_SALT"
#: A derived seed's run must recover the true groups at least this well.
MIN_AMI = 0.95
#: The notebook's ``run_kmeans`` stops after this many updates at most.
MAX_UPDATES = 30
#: Candidates tried before giving up (about one seed in four fails; 64 never all do).
_CANDIDATES = 64


@dataclass(frozen=True)
class StudentRun:
    """The Lloyd run on one seed's data, from its initial means, as the reference makes it.

    Attributes
    ----------
    seed : int
        The legacy seed of :func:`~kmeans_kit.data.notes_blobs`.
    iterations : int
        Updates until no label changed (the notebook's ``len(history) - 1``).
    inertia : float
        The final inertia (``history[-1].inertia``).
    ami : float
        Adjusted mutual information of the final labels with the true groups.
    emptied : bool
        Whether some mean had no points at some step.
    """

    seed: int
    iterations: int
    inertia: float
    ami: float
    emptied: bool

    @property
    def suits_narrative(self) -> bool:
        """Whether the notebook's prose holds for this run: it finds the groups, no cluster
        empties."""
        return self.ami >= MIN_AMI and not self.emptied and self.iterations <= MAX_UPDATES


def student_run(seed: int) -> StudentRun:
    """Run the reference Lloyd loop on the data and initial means of legacy ``seed``.

    Parameters
    ----------
    seed : int
        A legacy seed (0 <= seed < 2**32).

    Returns
    -------
    StudentRun
    """
    from sklearn.metrics import adjusted_mutual_info_score

    from reference import lloyd

    blobs = notes_blobs(seed=seed)
    mu0 = notes_initial_means(blobs)
    run = lloyd(blobs.X.to_numpy(), mu0)
    k = len(mu0)
    emptied = any(len(np.unique(step.labels)) < k for step in run.history)
    ami = float(adjusted_mutual_info_score(blobs.df["true_cluster"], run.labels))
    return StudentRun(int(seed), int(run.n_iter), float(run.inertia), ami, emptied)


def derive_seed(student: str, salt: str) -> int:
    """The seed of ``student``'s data in the course whose salt is ``salt``.

    The i-th candidate is the first four bytes of HMAC-SHA256(salt, f"{student}\\0{i}");
    the seed is the first candidate whose run :meth:`~StudentRun.suits_narrative`.

    Parameters
    ----------
    student : str
        The student's id, as nbgrader knows it (non-empty).
    salt : str
        The course's secret (non-empty).

    Returns
    -------
    int
        A legacy seed, below 2**32.
    """
    if not isinstance(student, str) or not student:
        raise ValueError(f"student must be a non-empty string, got {student!r}")
    if not isinstance(salt, str) or not salt:
        raise ValueError("the course's salt must be a non-empty string")
    key = salt.encode()
    for index in range(_CANDIDATES):
        digest = hmac.new(key, f"{student}\0{index}".encode(), hashlib.sha256).digest()
        seed = int.from_bytes(digest[:4], "big")
        if student_run(seed).suits_narrative:
            return seed
    raise RuntimeError(f"no seed of {_CANDIDATES} candidates suits the notebook for {student!r}")


def course_salt(module: str | None = None) -> str | None:
    """The course's salt, ``grader_config.STUDENT_DATA_SALT``; None when unset or empty."""
    config = load_config() if module is None else load_config(module)
    salt = getattr(config, SALT_SETTING, None)
    return salt if isinstance(salt, str) and salt else None


def student_id(environ: Mapping[str, str] | None = None) -> str | None:
    """Who is running the notebook: :data:`STUDENT_ENV`, else ``JUPYTERHUB_USER``, else the
    login; None when none is known (an empty :data:`STUDENT_ENV` means "nobody")."""
    environ = os.environ if environ is None else environ
    for name in (STUDENT_ENV, "JUPYTERHUB_USER"):
        if name in environ:
            return environ[name].strip() or None
    try:
        return getpass.getuser() or None
    except (KeyError, OSError):   # a uid without a name, as in the jail
        return None


def notebook_seed(environ: Mapping[str, str] | None = None, salt: str | None = None) -> int:
    """The seed of the notebook's data for whoever runs it.

    In order: the seed the grader (or a hub) put in :data:`SEED_ENV`; the seed derived
    from :func:`student_id` and the course's salt (``salt``, else :func:`course_salt`);
    else the notes' seed, 398.
    """
    environ = os.environ if environ is None else environ
    given = environ.get(SEED_ENV, "").strip()
    if given:
        if not given.isdigit() or int(given) >= 2**32:
            raise ValueError(f"{SEED_ENV}={given!r} is not a seed (a whole number below 2**32)")
        return int(given)
    salt = salt if salt is not None else course_salt()
    student = student_id(environ)
    if salt and student:
        return derive_seed(student, salt)
    return NOTES_SEED


def student_environment(student: str | None, salt: str | None) -> dict[str, str]:
    """What the grader puts in a student's kernel: their id and their own seed, not the salt.

    With no salt, or no student, the kernel is told "nobody": it draws the notes' data.
    """
    if not (student and salt):
        return {STUDENT_ENV: "", SEED_ENV: str(NOTES_SEED)}
    return {STUDENT_ENV: student, SEED_ENV: str(derive_seed(student, salt))}
