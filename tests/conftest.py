"""Test-suite wide setup: the kit picks the Hypothesis profile, not Hypothesis's CI detection."""

import matplotlib

from reference.checks.profiles import load_profile

matplotlib.use("Agg")
load_profile()
