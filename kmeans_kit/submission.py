"""A student's submission as the code to execute: a ``.py`` file or a notebook's code cells.

Loading never runs anything; it only decides *which* code the isolated runner
will execute. For a notebook that is

* the cells the instructor tagged ``kit-setup`` (imports, data) and the
  student's nbgrader ``solution`` cells, when the notebook has any of those --
  so grading does not re-run plotting or GIF cells;
* otherwise every code cell;

and never an nbgrader graded test cell (``grade: true`` without
``solution: true``): those hold the hidden tests, which are decided outside
the student's code.

IPython syntax (``%matplotlib inline``, ``!pip install ...``, ``%%time``) is
turned into plain Python with IPython's own input transformer; the worker
provides a ``get_ipython()`` stub whose magics do nothing (cell magics such as
``%%time`` still run their body), so a magic line neither breaks loading nor
has side effects.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path

from .cells import is_graded_test, is_solution

#: The tag an instructor puts on notebook cells that grading must execute
#: besides the solution cells (imports, data generation).
SETUP_TAG = "kit-setup"

# Lines IPython would treat specially: magics, shell escapes, help (`x?`).
_IPYTHON_SYNTAX = re.compile(r"^\s*([%!]|.*\?\s*$)", re.MULTILINE)


@dataclass(frozen=True)
class Submission:
    """The code of one submission, in execution order.

    Attributes
    ----------
    sources : tuple of str
        Plain Python sources (one per notebook cell, or the whole ``.py`` file).
    origin : str
        Where it came from (a path, or ``"<notebook>"``), for messages.
    cells : tuple of int
        For a notebook, the index (from 0, counting every cell) of the cell each
        source came from.
    names : tuple of str
        For a notebook, what messages call each of those cells: its prompt once the
        notebook has run from top to bottom (``In [14]``), as in the feedback page and
        after Restart & Run All. Empty cells never run and take no number.
    """

    sources: tuple[str, ...]
    origin: str = "<submission>"
    cells: tuple[int, ...] = ()
    names: tuple[str, ...] = ()

    @classmethod
    def from_source(cls, source: str, origin: str = "<submission>") -> Submission:
        """A submission made of one piece of Python code."""
        return cls((source,), origin)

    @classmethod
    def from_path(cls, path: str | Path) -> Submission:
        """Load a ``.py`` file (the whole file) or a ``.ipynb`` notebook (its code cells).

        Raises
        ------
        FileNotFoundError
            When ``path`` does not exist.
        ValueError
            When the file is neither ``.py`` nor ``.ipynb``, or the notebook is not valid JSON.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No submission at {str(path)!r}: give the path of a .py file "
                                    "or a .ipynb notebook.")
        if path.suffix == ".py":
            return cls.from_source(path.read_text(encoding="utf-8"), str(path))
        if path.suffix == ".ipynb":
            # Plain JSON rather than nbformat.read: importing nbformat's validator costs
            # seconds, and selecting cells needs only the v4 structure.
            try:
                nb = json.loads(path.read_text(encoding="utf-8"))
                if nb.get("nbformat") != 4 or not isinstance(nb.get("cells"), list):
                    raise ValueError("not an nbformat 4 notebook")
            except (ValueError, AttributeError) as exc:
                raise ValueError(f"{str(path)!r} is not a readable notebook ({exc}). "
                                 "Save it from Jupyter (nbformat 4) and try again.") from None
            return cls.from_notebook(nb, str(path))
        raise ValueError(f"Cannot load {str(path)!r}: a submission is a .py file or a .ipynb "
                         "notebook.")

    @classmethod
    def from_notebook(cls, nb, origin: str = "<notebook>") -> Submission:
        """The code cells of a notebook that grading must execute (see the module doc).

        ``nb`` is an nbformat ``NotebookNode`` or the same structure as plain dicts
        (nbformat 4); cell indexes count every cell, as Jupyter shows them.
        """
        code = [(i, cell) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"]
        selected = [(i, cell) for i, cell in code if is_solution(cell) or _is_setup(cell)]
        if not selected:
            selected = [(i, cell) for i, cell in code if not is_graded_test(cell)]
        prompts = {}
        for index, cell in code:
            if _text(cell["source"]).strip():
                prompts[index] = f"In [{len(prompts) + 1}]"
        return cls(tuple(_plain_python(_text(cell["source"])) for _, cell in selected), origin,
                   tuple(i for i, _ in selected),
                   tuple(prompts.get(i, f"cell {i + 1}") for i, _ in selected))

    def name(self, cell: int) -> str:
        """What messages call the notebook cell ``cell`` (an index from :attr:`cells`)."""
        return dict(zip(self.cells, self.names)).get(cell, f"cell {cell + 1}")


def _text(source) -> str:
    return source if isinstance(source, str) else "".join(source)  # JSON keeps a list of lines


def _is_setup(cell) -> bool:
    return SETUP_TAG in (cell.get("metadata", {}).get("tags", []) or [])


def _plain_python(source: str) -> str:
    """``source`` with IPython-only syntax rewritten as calls on ``get_ipython()``."""
    if not _IPYTHON_SYNTAX.search(source):
        return source           # the common case: no IPython import needed
    from IPython.core.inputtransformer2 import TransformerManager

    try:
        return TransformerManager().transform_cell(source)
    except Exception:  # noqa: BLE001 - IPython cannot parse it either: let Python report it
        return source
