"""The K-means teaching kit's reference implementation: what "correct" means.

The three functions of the assignment contract (:func:`assign`, :func:`update`,
:func:`converged`), inertia, initialisation, the Lloyd loop with its history, a
scikit-learn-compatible :class:`KMeans`, the course notes' data and pictures.
"""

from ._lloyd import LloydResult, Step, assign, converged, inertia, init_means, lloyd, update
from .data import (EMPTY_CLUSTER_SEED, NOTES_SEED, STUCK_SEED, Blobs, load_iris_frame,
                   notes_blobs, notes_initial_means)
from .notes import NotesRun, notes_lloyd

__all__ = [
    "Blobs",
    "EMPTY_CLUSTER_SEED",
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
