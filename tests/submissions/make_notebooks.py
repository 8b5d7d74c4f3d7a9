"""Rebuild the fixture notebooks: ``python tests/submissions/make_notebooks.py``.

``correct.ipynb`` looks like a student's copy of the nbgrader assignment: a
``kit-setup`` cell with IPython magics, a plotting cell and a ``check()`` cell
grading must not run, solution cells, and a hidden graded test cell.
``plain.ipynb`` has no nbgrader metadata, so the cells that define the three functions
and those of imports and definitions only run: a broken cell among them does not stop
the next ones, and the plotting cell does not run.
"""

from pathlib import Path

import nbformat
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

HERE = Path(__file__).parent


def _solution(source: str, grade_id: str):
    return new_code_cell(source, metadata={"nbgrader": {
        "solution": True, "grade": False, "locked": False, "grade_id": grade_id,
        "schema_version": 3}})


def correct() -> nbformat.NotebookNode:
    functions = (HERE / "correct.py").read_text().split("\n\n\nif __name__")[0]
    assign, update, converged = functions.split("\n\n\ndef ")[1:4]
    return new_notebook(cells=[
        new_markdown_cell("# K-means\nImplement `assign`, `update` and `converged`."),
        new_code_cell("%matplotlib inline\n!pip install --quiet nothing-at-all\n"
                      "import numpy as np\nimport pandas as pd\n"
                      "df = pd.DataFrame({'x0': [0.0, 1.0, 9.0], 'x1': [0.0, 1.0, 9.0]})",
                      metadata={"tags": ["kit-setup"]}),
        new_code_cell("raise RuntimeError('a plotting cell: grading must not run it')"),
        _solution("def " + assign, "assign"),
        _solution("def " + update, "update"),
        _solution("%%time\ndef " + converged, "converged"),
        new_code_cell("from kmeans_kit.adapters.notebook import check\ncheck('assign')"),
        new_code_cell("raise AssertionError('a hidden test cell: grading must not run it')",
                      metadata={"nbgrader": {"grade": True, "solution": False, "points": 1,
                                             "grade_id": "assign_nearest", "locked": True,
                                             "schema_version": 3}}),
    ])


def plain() -> nbformat.NotebookNode:
    return new_notebook(cells=[
        new_code_cell("%matplotlib inline\nimport numpy as np"),
        new_code_cell("def converged(old_labels, new_labels):\n"
                      "    return bool(np.array_equal(old_labels, new_labels))"),
        new_code_cell("def update(X, labels, means):\n    return means\n\n"
                      "raise ValueError('a broken cell does not stop the next ones')"),
        new_code_cell("raise RuntimeError('a plotting cell: grading must not run it')"),
        new_code_cell("def assign(X, means):\n    return np.zeros(len(X), dtype=int)"),
    ])


if __name__ == "__main__":
    nbformat.write(correct(), HERE / "correct.ipynb")
    nbformat.write(plain(), HERE / "plain.ipynb")
