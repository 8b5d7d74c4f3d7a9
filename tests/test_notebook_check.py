"""The in-notebook adapter: check() prints a pass line or a diagnosis; grade() for nbgrader."""

from __future__ import annotations

import contextlib
import io
import sys
import time
import types
from pathlib import Path

import pytest
from helpers import GROUPS
from helpers import TITLES as CATALOGUE

from kmeans_kit.adapters import notebook
from kmeans_kit.adapters.notebook import ISOLATION_NOTE
from kmeans_kit.settings import GradingSettings

SUBMISSIONS = Path(__file__).parent / "submissions"
SMALL = GradingSettings(max_examples=10)


def student(monkeypatch, *files: str, extra: str = "") -> dict:
    """Make ``__main__`` look like a notebook that ran ``files`` (then ``extra``)."""
    module = types.ModuleType("student_notebook")   # so `if __name__ == "__main__"` stays off
    with contextlib.redirect_stdout(io.StringIO()):   # what the cells printed
        for name in files:
            exec(compile((SUBMISSIONS / name).read_text(), name, "exec"), module.__dict__)
        exec(extra, module.__dict__)
    monkeypatch.setitem(sys.modules, "__main__", module)
    monkeypatch.setattr("kmeans_kit.settings.load_settings", lambda *a: SMALL)
    monkeypatch.delenv("NBGRADER_EXECUTION", raising=False)
    monkeypatch.delenv("KMEANS_KIT_WORKER", raising=False)
    monkeypatch.delenv("JPY_SESSION_NAME", raising=False)
    return module.__dict__


def test_check_prints_a_line_per_check_and_the_summary(monkeypatch, capsys):
    student(monkeypatch, "correct.py")
    notebook.check("assign")
    out = capsys.readouterr().out
    assert out.splitlines()[0] == f"✓ assign.output — {CATALOGUE['assign.output']}"
    assert all(f"✓ {check_id} — " in out for check_id in GROUPS["assign"])
    assert out.rstrip().endswith("assign: 10/10 points (5 of 5 checks passed)\n"
                                 + ISOLATION_NOTE)
    assert "update" not in out


def test_check_warns_about_a_copied_graded_cell_in_the_saved_notebook(monkeypatch, capsys,
                                                                     tmp_path):
    import nbformat
    from helpers import RELEASE
    from nbformat.v4 import new_code_cell

    release = nbformat.read(str(RELEASE), as_version=4)
    index = next(i for i, c in enumerate(release.cells)
                 if c.metadata.get("nbgrader", {}).get("grade_id") == "update_solution")
    pasted = new_code_cell(release.cells[index].source,
                           metadata=dict(release.cells[index].metadata))
    release.cells.insert(index + 1, pasted)
    saved = tmp_path / "kmeans.ipynb"
    nbformat.write(release, str(saved))
    student(monkeypatch, "correct.py")
    monkeypatch.setenv("JPY_SESSION_NAME", str(saved))
    notebook.check("converged")
    first = capsys.readouterr().out.splitlines()[0]
    assert first.startswith(f"Warning: in your saved notebook, cells {index + 1}, {index + 2} "
                            "are copies of one graded cell ('update_solution')")
    # The release as it is: nothing to say.
    monkeypatch.setenv("JPY_SESSION_NAME", str(RELEASE))
    notebook.check("converged")
    assert not capsys.readouterr().out.startswith("Warning")


def test_check_all_and_lloyd(monkeypatch, capsys):
    student(monkeypatch, "correct.py")
    notebook.check()
    out = capsys.readouterr().out
    assert all(f"✓ {check_id} — " in out for check_id in CATALOGUE)
    notebook.check("lloyd")
    assert capsys.readouterr().out.rstrip().endswith(
        "lloyd: 6/6 points (5 of 5 checks passed)\n" + ISOLATION_NOTE)


def test_check_shows_the_diagnosis_not_a_traceback(monkeypatch, capsys):
    student(monkeypatch, "argmax.py")
    notebook.check("assign")
    out = capsys.readouterr().out
    assert "✗ assign.nearest" in out and "Diagnosis (assign.argmax)" in out
    # argmax loses assign.nearest, worth 3 of assign's 10 points: the summary says so.
    assert "assign: 7/10 points (4 of 5 checks passed)" in out and "Traceback" not in out


def test_a_hanging_function_does_not_hang_the_cell(monkeypatch, capsys):
    student(monkeypatch, "correct.py", "hang_assign.py")
    monkeypatch.setattr(notebook, "CALL_SECONDS", 0.3)
    start = time.monotonic()
    notebook.check("assign")
    assert time.monotonic() - start < 5
    out = capsys.readouterr().out
    assert "✗ assign.nearest" in out and "did not finish in time" in out


def test_unknown_name_and_kit_errors_are_one_friendly_line(monkeypatch, capsys):
    student(monkeypatch, "correct.py")
    notebook.check("assing")
    assert capsys.readouterr().out == ("check() does not know 'assing': use one of 'all', "
                                       "'assign', 'update', 'converged', 'lloyd'.\n")

    def broken(*args, **kwargs):
        raise RuntimeError("engine exploded")

    monkeypatch.setattr("kmeans_kit.checks.engine.run_checks", broken)
    notebook.check("update")
    out = capsys.readouterr().out
    assert out.startswith("Sorry: the checker itself failed (RuntimeError: engine exploded)")
    assert out.count("\n") == 1 and "check('update')" in out


def test_check_does_nothing_while_the_grader_loads_the_notebook(monkeypatch, capsys):
    student(monkeypatch, "argmax.py")
    monkeypatch.setenv("KMEANS_KIT_WORKER", "1")
    notebook.check("assign")
    assert capsys.readouterr().out == ""


def test_check_is_skipped_while_autograding(monkeypatch, capsys):
    student(monkeypatch, "argmax.py")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    notebook.check("assign")
    out = capsys.readouterr().out
    assert "is not run while grading" in out and "assign.argmax" not in out


def test_os_exit_in_a_student_function_does_not_kill_the_kernel(monkeypatch, capsys):
    import os

    real_exit = os._exit
    student(monkeypatch, "correct.py", "os_exit_update.py")
    notebook.check("update")   # without the guard this process would end here
    out = capsys.readouterr().out
    assert "✗ update.means" in out and "os._exit" in out
    assert os._exit is real_exit


def test_grade_raises_the_diagnosis_outside_autograding(monkeypatch, capsys):
    student(monkeypatch, "argmax.py")
    notebook.grade("update.means")
    assert capsys.readouterr().out.startswith("✓ update.means")
    with pytest.raises(AssertionError, match=r"(?s)✗ assign\.nearest.*assign\.argmax"):
        notebook.grade("assign.nearest")
    with pytest.raises(AssertionError, match="there is no check 'assign.nearst'"):
        notebook.grade("assign.nearst")


def test_grade_defers_to_the_grader_when_autograding(monkeypatch, capsys):
    student(monkeypatch, "argmax.py")
    monkeypatch.setenv("NBGRADER_EXECUTION", "autograde")
    notebook.grade("assign.nearest")   # would fail in-kernel; the grader decides instead
    assert "graded outside your notebook" in capsys.readouterr().out


@pytest.mark.e2e
def test_check_in_a_real_jupyter_kernel(tmp_path):
    import nbformat
    from nbclient import NotebookClient

    correct = (SUBMISSIONS / "correct.py").read_text().split("\n\nif __name__")[0]
    nb = nbformat.v4.new_notebook(cells=[
        nbformat.v4.new_code_cell("%matplotlib inline\n" + correct),
        nbformat.v4.new_code_cell("from kmeans_kit import check\ncheck('update')"),
        nbformat.v4.new_code_cell(
            "import kmeans_kit.adapters.notebook as kit\nkit.CALL_SECONDS = 0.5\n"
            "def assign(X, means):\n    while True:\n        pass\ncheck('assign')"),
        nbformat.v4.new_code_cell("def converged(old, new):\n    return True\ncheck('converged')"),
    ])
    # The kernel runs in tmp_path, where this small budget is the instructor's config.
    (tmp_path / "grader_config.py").write_text(
        "from kmeans_kit.settings import GradingSettings\n"
        "SETTINGS = GradingSettings(max_examples=10)\n")
    NotebookClient(nb, timeout=120, kernel_name="python3",
                   resources={"metadata": {"path": str(tmp_path)}}).execute()

    def text(cell):
        assert all(o.output_type == "stream" and o.name == "stdout" for o in cell.outputs), \
            cell.outputs
        return "".join(o.text for o in cell.outputs)

    assert text(nb.cells[1]).rstrip().endswith("update: 10/10 points (5 of 5 checks passed)\n"
                                               + ISOLATION_NOTE)
    hang = text(nb.cells[2])
    assert "✗ assign.nearest" in hang and "did not finish in time" in hang
    never = text(nb.cells[3])
    assert "✓ converged.unchanged" in never and "✗ converged.changed" in never


def test_report_renders_passes_failures_and_the_summary():
    from kmeans_kit.messages import failure_text, pytest_text, render, summary
    from kmeans_kit.protocol import Outcome

    ok = Outcome("assign.nearest", "every point goes to its nearest mean", True)
    bad = Outcome("assign.ties", "an exact tie goes to the lowest index", False,
                  misconception="assign.last_tie", message="Tie went to 1.\n\nHint: argmin.")
    loop = Outcome("lloyd.inertia", "inertia never increases", True)
    assert failure_text(ok) == "✓ assign.nearest — every point goes to its nearest mean"
    assert failure_text(bad) == ("✗ assign.ties — an exact tie goes to the lowest index\n"
                                 "    Tie went to 1.\n\n    Hint: argmin.")
    assert pytest_text(bad) == "Tie went to 1.\n\nHint: argmin."
    assert summary([loop, bad, ok]) == "assign: 1/2 checks passed\nlloyd: 1/1 check passed"
    worth = {loop.check_id: 1, bad.check_id: 3, ok.check_id: 2}
    assert summary([loop, bad, ok], worth) == ("assign: 2/5 points (1 of 2 checks passed)\n"
                                               "lloyd: 1/1 points (1 of 1 check passed)")
    assert render([ok, bad]) == (failure_text(ok) + "\n" + failure_text(bad)
                                 + "\n\nassign: 1/2 checks passed")
    assert render([]) == "No checks were run."


def test_long_diagnoses_wrap_at_a_hundred_columns_keeping_their_indentation():
    from kmeans_kit.messages import WIDTH, failure_text, wrap
    from kmeans_kit.protocol import Outcome

    sentence = ("Your assign gives every point the mean that is farthest from it, not the "
                "nearest: argmax where argmin belongs. ") * 5
    message = f"{sentence}\n  - a bullet that also runs long: {sentence}\nshort line\n[[1.0 2.0]]"
    bad = Outcome("assign.nearest", "every point goes to its nearest mean", False,
                  message=message)
    lines = failure_text(bad).splitlines()
    assert max(map(len, lines)) <= WIDTH
    assert " ".join(" ".join(lines[1:]).split()) == " ".join(message.split())
    bullet = next(i for i, line in enumerate(lines) if line.startswith("      - a bullet"))
    continuation = lines[bullet + 1]
    assert continuation.startswith(" " * 8) and not continuation.startswith(" " * 9)
    assert "    short line" in lines and "    [[1.0 2.0]]" in lines
    assert wrap("word " * 3) == "word " * 3   # short lines as they were


def test_every_real_diagnosis_fits_the_width(monkeypatch):
    from kmeans_kit.messages import WIDTH, failure_text

    student(monkeypatch, "argmax.py")
    outcomes = notebook._run(sys.modules["__main__"].__dict__, ("assign", "lloyd"))
    failed = [o for o in outcomes if not o.passed]
    assert failed
    for outcome in failed:
        assert all(len(line) <= WIDTH or " " not in line.strip()
                   for line in failure_text(outcome).splitlines()), outcome.check_id
