"""Correct solutions in every style students write pass all 17 checks."""

import pytest

from reference.checks.engine import CATALOGUE, run_checks
from reference.checks.inprocess import InProcessCaller
from reference.checks.settings import GradingSettings
from tests.mutants.correct import STYLES

SETTINGS = GradingSettings(max_examples=30)


@pytest.mark.parametrize("style", sorted(STYLES))
def test_correct_style_passes_every_check(style):
    outcomes = run_checks(InProcessCaller(STYLES[style], timeout=10), settings=SETTINGS)
    assert [o.check_id for o in outcomes] == list(CATALOGUE)
    failed = {o.check_id: o.message for o in outcomes if not o.passed}
    assert not failed, failed


def test_the_notes_idioms_without_the_empty_cluster_rule_lose_only_that_check():
    from tests.mutants.correct import assign_pandas, converged_pandas, submission
    from tests.mutants.variants import update_notes_groupby

    namespace = submission(assign_pandas, update_notes_groupby, converged_pandas)
    outcomes = run_checks(InProcessCaller(namespace, timeout=10), settings=SETTINGS)
    failed = {o.check_id: o.misconception for o in outcomes if not o.passed}
    assert failed == {"update.empty_cluster": "update.drops_empty_cluster"}
