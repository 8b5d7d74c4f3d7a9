"""Test-suite wide setup: the kit picks the Hypothesis profile, not Hypothesis's CI detection."""

import os

# scikit-learn runs its array-API estimator check only with this set, and only if
# it is set before scipy is first imported.
os.environ.setdefault("SCIPY_ARRAY_API", "1")

import matplotlib  # noqa: E402

from reference.checks.profiles import load_profile  # noqa: E402

matplotlib.use("Agg")
load_profile()
