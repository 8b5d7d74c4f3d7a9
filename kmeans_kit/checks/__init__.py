"""The check engine: contract checks that know K-means, and the misconceptions behind failures.

:mod:`.registry` holds every check's id, title, hint and points; :mod:`.engine`
runs them against any :class:`~kmeans_kit.protocol.Caller`.
"""
