"""A student's submission as the code to execute: a ``.py`` file or a notebook's code cells.

A notebook is a Jupyter ``.ipynb``, or a text notebook read through jupytext: MyST
Markdown (``.md``, as ``jupytext --to myst`` writes it) or a percent-format script (a
``.py`` with ``# %%`` cell markers). Any other ``.py`` is one piece of code, run whole.

Loading never runs anything; it only decides *which* code the isolated runner
will execute. For a notebook that is

* the cells the instructor tagged ``kit-setup`` (imports, data) and the
  student's nbgrader ``solution`` cells, when the notebook has any of those --
  so grading does not re-run plotting or GIF cells;
* otherwise, where that metadata did not survive (a text notebook converted without
  it, a notebook started from scratch), the cells that define ``assign``, ``update``
  or ``converged``, and the cells that hold nothing but imports and definitions (the
  imports and helpers those functions use);
* and in a notebook that defines none of the three, every code cell;

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

import ast
import json
import re
from dataclasses import dataclass
from pathlib import Path

from .cells import is_graded_test, is_solution
from .protocol import FUNCTIONS

#: The tag an instructor puts on notebook cells that grading must execute
#: besides the solution cells (imports, data generation).
SETUP_TAG = "kit-setup"

# Lines IPython would treat specially: magics, shell escapes, help (`x?`).
_IPYTHON_SYNTAX = re.compile(r"^\s*([%!]|.*\?\s*$)", re.MULTILINE)
# A top-level definition of one of the graded functions; a regular expression, not ast,
# so that a cell with a syntax error is still selected and the student sees that error.
_DEFINES_GRADED = re.compile(rf"^(async\s+)?def\s+({'|'.join(FUNCTIONS)})\s*\(", re.MULTILINE)
# A percent-format script (VS Code, Spyder, PyCharm, ``jupytext --to py:percent``).
_PERCENT_CELL = re.compile(r"^# %%", re.MULTILINE)

#: What a submission may be.
SUFFIXES = (".ipynb", ".md", ".py")


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
        """Load a ``.py`` file, a ``.ipynb`` notebook or a MyST ``.md`` notebook.

        Raises
        ------
        FileNotFoundError
            When ``path`` does not exist.
        ValueError
            When the file is not one of :data:`SUFFIXES`, or the notebook cannot be read.
        """
        path = Path(path)
        if not path.is_file():
            raise FileNotFoundError(f"No submission at {str(path)!r}: give the path of a .py file "
                                    "or a .ipynb or .md notebook.")
        if path.suffix in (".py", ".md"):
            text = path.read_text(encoding="utf-8")
            if path.suffix == ".py" and not _PERCENT_CELL.search(text):
                return cls.from_source(text, str(path))
            return cls.from_notebook(_read_text_notebook(text, path), str(path))
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
        raise ValueError(f"Cannot load {str(path)!r}: a submission is a .py file, or a .ipynb "
                         "or MyST .md notebook.")

    @classmethod
    def from_notebook(cls, nb, origin: str = "<notebook>") -> Submission:
        """The code cells of a notebook that grading must execute (see the module doc).

        ``nb`` is an nbformat ``NotebookNode`` or the same structure as plain dicts
        (nbformat 4); cell indexes count every cell, as Jupyter shows them.
        """
        code = [(i, cell) for i, cell in enumerate(nb["cells"]) if cell["cell_type"] == "code"
                and not is_graded_test(cell)]
        selected = [(i, cell) for i, cell in code if is_solution(cell) or _is_setup(cell)]
        if not selected and any(_DEFINES_GRADED.search(_text(cell["source"])) for _, cell in code):
            selected = [(i, cell) for i, cell in code if _DEFINES_GRADED.search(
                _text(cell["source"])) or _only_definitions(_text(cell["source"]))]
        if not selected:
            selected = code
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


def _read_text_notebook(text: str, path: Path):
    """A MyST or percent-format notebook, read by jupytext."""
    import jupytext

    try:
        return jupytext.reads(text, fmt=path.suffix.lstrip("."))
    except Exception as exc:  # noqa: BLE001 - jupytext raises many kinds; say which file
        why = " ".join(str(exc).split())  # YAML errors span lines
        raise ValueError(f"{str(path)!r} is not a notebook jupytext can read ({why[:200]}). "
                         "Save it with `jupytext --to myst` (.md) or `--to py:percent` (.py).") \
            from None


def _only_definitions(source: str) -> bool:
    """True for a cell of imports, ``def`` and ``class`` statements (and magics) only."""
    try:
        tree = ast.parse(_plain_python(source))
    except SyntaxError:
        return False
    return bool(tree.body) and all(
        isinstance(node, (ast.Import, ast.ImportFrom, ast.FunctionDef, ast.AsyncFunctionDef,
                          ast.ClassDef)) or _is_magic(node) for node in tree.body)


def _is_magic(node: ast.stmt) -> bool:
    """``get_ipython().run_line_magic(...)``, which a magic line becomes."""
    return isinstance(node, ast.Expr) and isinstance(node.value, ast.Call) \
        and "get_ipython()" in ast.unparse(node.value.func)


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
