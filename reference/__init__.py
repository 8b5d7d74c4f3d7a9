"""The K-means teaching kit's reference implementation: what "correct" means.

The three functions of the assignment contract (:func:`assign`, :func:`update`,
:func:`converged`), inertia, initialisation, the Lloyd loop with its history and
a scikit-learn-compatible :class:`KMeans`. The kit (data, checks, grading) is
:mod:`kmeans_kit`; students may not call this package while graded.
"""

from ._lloyd import LloydResult, Step, assign, converged, inertia, init_means, lloyd, update


def __getattr__(name: str):
    # KMeans pulls in scikit-learn (1.5 s); loading it lazily keeps `import reference` light.
    if name == "KMeans":
        from .estimator import KMeans

        return KMeans
    raise AttributeError(f"module 'reference' has no attribute {name!r}")


__all__ = [
    "KMeans",
    "LloydResult",
    "Step",
    "assign",
    "converged",
    "inertia",
    "init_means",
    "lloyd",
    "update",
]
