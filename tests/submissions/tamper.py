# Appended to correct.py by the tests: a wrong assign that tries to make the checker
# believe it is right by patching everything in its own process.
import builtins
import sys
import types

import numpy as np


def assign(X, means):
    return np.zeros(len(X), dtype=int) + 7   # wrong for any input


np.array_equal = lambda *args, **kwargs: True
np.testing.assert_array_equal = lambda *args, **kwargs: None
builtins.print = lambda *args, **kwargs: None
try:   # not even importable where the checks run: the attempt must not stop the rest
    import reference
    reference.assign = assign
except ImportError:
    pass
fake_engine = types.ModuleType("kmeans_kit.checks.engine")
fake_engine.run_checks = lambda *args, **kwargs: []
sys.modules["kmeans_kit.checks.engine"] = fake_engine
sys.modules["reference"] = None
