"""Correct solutions in every style students write pass all 18 checks."""

import pytest
from helpers import TITLES as CATALOGUE
from mutants.correct import STYLES

from kmeans_kit.checks.engine import run_checks
from kmeans_kit.runner.inprocess import InProcessCaller
from kmeans_kit.settings import GradingSettings

SETTINGS = GradingSettings(max_examples=30)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_correct_style_passes_every_check(style):
    outcomes = run_checks(InProcessCaller(STYLES[style], timeout=10), settings=SETTINGS)
    assert [o.check_id for o in outcomes] == list(CATALOGUE)
    failed = {o.check_id: o.message for o in outcomes if not o.passed}
    assert not failed, failed


def test_the_notes_idioms_without_the_empty_cluster_rule_lose_only_that_check():
    from mutants.correct import assign_pandas, converged_pandas, submission
    from mutants.variants import update_notes_groupby

    namespace = submission(assign_pandas, update_notes_groupby, converged_pandas)
    outcomes = run_checks(InProcessCaller(namespace, timeout=10), settings=SETTINGS)
    failed = {o.check_id: o.misconception for o in outcomes if not o.passed}
    assert failed == {"update.empty_cluster": "update.drops_empty_cluster"}
