# Appended to correct.py by the tests: a wrong assign that tries to make the checker
# believe it is right by patching everything in its own process.
import builtins
import sys
import types

import numpy as np

import reference
import reference.checks


def assign(X, means):
    return np.zeros(len(X), dtype=int) + 7   # wrong for any input


np.array_equal = lambda *args, **kwargs: True
np.testing.assert_array_equal = lambda *args, **kwargs: None
builtins.print = lambda *args, **kwargs: None
reference.assign = assign
fake_engine = types.ModuleType("reference.checks.engine")
fake_engine.run_checks = lambda *args, **kwargs: []
sys.modules["reference.checks.engine"] = fake_engine
reference.checks.engine = fake_engine
sys.modules["reference"] = None
