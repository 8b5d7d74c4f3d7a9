"""The feedback page's own steps, on notebooks built here; the demo class's real pages,
opened in Chromium, are tested in tests/test_course.py."""

import nbformat
import pytest
from browser import page_facts
from nbformat.v4 import new_code_cell, new_notebook, new_output

from kmeans_kit import cells
from kmeans_kit.adapters.feedback import StudentTracebacks, plain

RED = "\x1b[0;31m"
HEADER = f"{RED}---------------------------------------------------------------------------\x1b[0m"
CELL = f"Cell {RED}In[14], line 2{RED}, in {RED}assign{RED}(X, means)\n----> 2 while True:\n"
PANDAS = ("File /work/main/.venv/lib/python3.11/site-packages/pandas/core/frame.py:10135, in "
          "DataFrame._arith_method(self, other, op)\n  10131 \n")
KIT = "File /work/main/reference/_validation.py:246, in check_labels(labels)\n--> 246 raise\n"


def _error(ename, evalue, *frames):
    return new_output("error", ename=ename, evalue=evalue,
                      traceback=[HEADER, f"{ename}    Traceback (most recent call last)",
                                 *frames, f"{ename}: {evalue}"])


def _run(*outputs_per_cell):
    nb = new_notebook(cells=[new_code_cell("x", outputs=list(outs), execution_count=n)
                             for n, outs in enumerate(outputs_per_cell, start=30)])
    nb, _ = StudentTracebacks().preprocess(nb, {})
    return ["\n".join(plain(line) for line in o["traceback"]) for c in nb.cells
            for o in c.outputs]


def test_library_frames_fold_into_one_line_that_names_the_library_never_a_path():
    shown, = _run([_error("ValueError", "bad", CELL, PANDAS, PANDAS, KIT)])
    assert "Cell In[14], line 2, in assign" in shown and "ValueError: bad" in shown
    assert "3 frames inside pandas, the kit's reference" in shown
    assert "/work/" not in shown and "site-packages" not in shown


def test_the_same_error_again_is_shown_once_and_pointed_back_to():
    first, again, other = _run([_error("KeyboardInterrupt", "", CELL)],
                               [_error("KeyboardInterrupt", "", CELL)],
                               [_error("NameError", "name 'history' is not defined")])
    assert "Traceback" in first and "Traceback" in other
    assert "Traceback" not in again and "the same error as in In [30] above" in again


def test_the_graders_own_cells_are_left_as_the_grader_wrote_them():
    nb = new_notebook(cells=[new_code_cell("", outputs=[_error("CheckFailed", "x", PANDAS)])])
    nb.cells[0].metadata[cells.KIT] = {"check": "assign.output", "cause": None}
    before = nbformat.from_dict(nb)
    after, _ = StudentTracebacks().preprocess(nb, {})
    assert after.cells[0].outputs == before.cells[0].outputs


@pytest.mark.parametrize("overflow", ["auto", "visible"])
def test_a_line_wider_than_the_page_is_seen(tmp_path, overflow):
    """The measure the feedback test relies on finds a long line, scrolled or spilling."""
    page = tmp_path / "page.html"
    page.write_text(f"<!DOCTYPE html><html><body><pre style='overflow-x:{overflow}'>"
                    f"{'x' * 600}</pre><p>short</p></body></html>")
    facts = page_facts(page, width=800)
    assert facts["wide"] and facts["wide"][0].startswith("PRE")
    page.write_text("<!DOCTYPE html><html><body><pre style='white-space:pre-wrap;"
                    f"overflow-wrap:anywhere'>{'x' * 600}</pre></body></html>")
    assert page_facts(page, width=800)["wide"] == []
