"""The K-means teaching kit's reference implementation: what "correct" means.

The three functions of the assignment contract (:func:`assign`, :func:`update`,
:func:`converged`), inertia, initialisation, the Lloyd loop with its history, a
scikit-learn-compatible :class:`KMeans`, the course notes' data and pictures.
"""

from ._lloyd import LloydResult, Step, assign, converged, inertia, init_means, lloyd, update
from .data import (EMPTY_CLUSTER_SEED, NOTES_SEED, STUCK_SEED, Blobs, load_iris_frame,
                   notes_blobs, notes_initial_means)
from .notes import NotesRun, notes_lloyd



def __getattr__(name: str):
    # KMeans pulls in scikit-learn; loading it lazily keeps `import reference`
    # (and so the grading worker's start-up) light.
    if name == "KMeans":
        from .estimator import KMeans

        return KMeans
    raise AttributeError(f"module 'reference' has no attribute {name!r}")


__all__ = [
    "Blobs",
    "EMPTY_CLUSTER_SEED",
    "KMeans",
    "NOTES_SEED",
    "NotesRun",
    "STUCK_SEED",
    "load_iris_frame",
    "notes_blobs",
    "notes_initial_means",
    "notes_lloyd",
    "LloydResult",
    "Step",
    "assign",
    "converged",
    "inertia",
    "init_means",
    "lloyd",
    "update",
]
