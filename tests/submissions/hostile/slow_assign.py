"""Spend the whole submission's time budget one legal call at a time.

``assign`` is correct but sleeps SLEEP seconds (the test sets it just under
the per-call limit) before answering, on every call. No single call is too
slow, yet a check that makes dozens of calls would keep the grader busy for
minutes; only a budget for the whole submission stops it. Loaded after
correct.py, whose ``update`` and ``converged`` are untouched.
"""

import time

_correct_assign = assign  # noqa: F821 - defined by correct.py, loaded first


def assign(X, means):
    time.sleep(SLEEP)  # noqa: F821 - set by the test
    return _correct_assign(X, means)
