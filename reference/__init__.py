"""The K-means teaching kit's reference implementation: what "correct" means.

The three functions of the assignment contract (:func:`assign`, :func:`update`,
:func:`converged`), inertia, initialisation, the Lloyd loop with its history, a
scikit-learn-compatible :class:`KMeans`, the course notes' data and pictures.
"""

from ._lloyd import LloydResult, Step, assign, converged, inertia, init_means, lloyd, update

__all__ = [
    "LloydResult",
    "Step",
    "assign",
    "converged",
    "inertia",
    "init_means",
    "lloyd",
    "update",
]
