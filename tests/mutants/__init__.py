"""Submissions for testing the check engine: correct styles and one mutant per misconception.

Each submission is a namespace (a dict of the functions ``assign``, ``update``,
``converged`` and whatever globals the student's notebook would hold), as
:class:`kmeans_kit.runner.inprocess.InProcessCaller` expects. A mutant gets
exactly one function wrong; the other two are correct.
"""
