"""pytest adapter: ``pytest --submission PATH`` checks a student's notebook or ``.py`` file.

Registered as a ``pytest11`` entry point, so it is active in every pytest run,
but it adds nothing unless ``--submission`` is given (the regular suite then
checks the reference). With ``--submission PATH``:

* the submission becomes the collection target: one test per check id
  (``PATH::assign.nearest``...), and nothing else is collected unless other
  paths are named on the command line too;
* every check is computed once, in the isolated runner (the submission's code
  runs in a separate process, in the jail where this machine can build one;
  nothing of it is imported here), then reported per test; the header says
  which isolation was active;
* a failing check fails its test with the diagnosis as the message (no
  traceback from the kit), so pytest exits non-zero.

    pytest --submission student.ipynb
    pytest --submission student.md      # MyST, as jupytext --to myst writes it
    pytest --submission student.py -q
"""

from __future__ import annotations

from pathlib import Path

import pytest

_OPTION = "submission"


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("kmeans-kit", "K-means teaching kit")
    group.addoption("--submission", dest=_OPTION, metavar="PATH", default=None,
                    help="check a student's notebook (.ipynb, MyST .md) or .py file against the "
                         "assignment contract, one test per check, in an isolated process")


def _submission_path(config: pytest.Config) -> Path | None:
    value = config.getoption(_OPTION, default=None)
    return None if value is None else Path(value).resolve()


def pytest_configure(config: pytest.Config) -> None:
    path = _submission_path(config)
    if path is None:
        return
    from ..submission import SUFFIXES

    if not path.is_file() or path.suffix not in SUFFIXES:
        raise pytest.UsageError(f"--submission {config.getoption(_OPTION)}: no such .py, "
                                ".ipynb or .md file.")
    # Collect the submission instead of the configured test paths; explicitly named
    # paths are kept (and the submission checked besides them).
    if config.args_source == pytest.Config.ArgsSource.ARGS:
        config.args.append(str(path))
    else:
        config.args[:] = [str(path)]


def pytest_report_header(config: pytest.Config) -> str | None:
    path = _submission_path(config)
    if path is None:
        return None
    from ..runner.jail import isolation

    return [f"submission: {path} (checked in a separate process)",
            f"isolation: {isolation().describe()}"]


@pytest.hookimpl(wrapper=True)
def pytest_collect_file(file_path: Path, parent: pytest.Collector):
    collected = yield
    path = _submission_path(parent.config)
    if path is not None and file_path.resolve() == path:
        # Only our collector: even a submission named test_*.py must never be imported here.
        return [SubmissionFile.from_parent(parent, path=file_path)]
    return collected


class SubmissionFile(pytest.File):
    """The submission as a collector: one :class:`CheckItem` per check of the catalogue."""

    _outcomes: dict | None = None
    _error: str | None = None

    def collect(self):
        from ..checks import registry

        for check_id in registry.ids():
            yield CheckItem.from_parent(self, name=check_id)

    def outcomes(self) -> dict:
        """Every check's outcome by id, computed once for the whole session."""
        if self._outcomes is None and self._error is None:
            try:
                from ..grading import check_submission

                self._outcomes = {o.check_id: o for o in check_submission(self.path)}
            except Exception as exc:  # noqa: BLE001 - a kit failure, reported as such
                self._error = (f"The checker itself failed ({type(exc).__name__}: {exc}); this is "
                               "not the submission's fault. Please report it.")
        if self._error is not None:
            pytest.fail(self._error, pytrace=False)
        return self._outcomes


class CheckItem(pytest.Item):
    """One check of the submission; fails with the diagnosis."""

    def runtest(self) -> None:
        from ..messages import pytest_text

        outcome = self.parent.outcomes().get(self.name)
        if outcome is None:
            pytest.fail(f"The checker produced no result for {self.name}; please report it.",
                        pytrace=False)
        if not outcome.passed:
            pytest.fail(pytest_text(outcome), pytrace=False)
