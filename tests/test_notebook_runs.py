"""The student release, with the solution filled in, runs top to bottom in a real kernel:
in the checkout's environment, and as a student runs it with only the kit's wheel installed,
in a directory of their own."""

import json
import os
import re
import subprocess
from pathlib import Path

import nbformat
import pytest
from helpers import ASSIGNMENTS, DEMO_CLASS, ROOT
from nbclient import NotebookClient
from PIL import Image

from kmeans_kit.course import DemoStudent

pytestmark = pytest.mark.e2e

RELEASE = ASSIGNMENTS / "release" / "kmeans" / "kmeans.ipynb"


def _text(cell) -> str:
    return "".join(out.get("text", "") for out in cell.get("outputs", [])
                   if out.output_type == "stream")


#: Run by the wheel's venv, in the student's directory: the release, executed in place.
_EXECUTE = """
import nbformat, nbclient
nb = nbformat.read("kmeans.ipynb", as_version=4)
nbclient.NotebookClient(nb, timeout=120, kernel_name="python3",
                        resources={"metadata": {"path": "."}}).execute()
nbformat.write(nb, "kmeans.ipynb")
"""
#: The last cell of the run: which kit, and which interpreter, the notebook used.
WHERE = "import sys, kmeans_kit\nprint(kmeans_kit.__file__)\nprint(sys.executable)"


@pytest.fixture(scope="module", params=["checkout", "wheel"])
def executed(request, tmp_path_factory):
    """The executed notebook and its directory: run from the checkout's environment, or
    from a fresh venv with the kit installed from its wheel alone (the Gradescope
    bundle's, tests/conftest.py), in a directory outside the checkout."""
    workdir = tmp_path_factory.mktemp(f"notebook-{request.param}")
    solution = DemoStudent.from_file(DEMO_CLASS / "solution.py")
    nb = solution.fill(nbformat.read(str(RELEASE), as_version=4))
    nb.cells.append(nbformat.v4.new_code_cell(WHERE))
    if request.param == "checkout":
        NotebookClient(nb, timeout=120, kernel_name="python3",
                       resources={"metadata": {"path": str(workdir)}}).execute()
        return nb, workdir
    venv = request.getfixturevalue("autograder")[0] / "venv"
    nbformat.write(nb, workdir / "kmeans.ipynb")
    env = {k: v for k, v in os.environ.items() if k not in ("PYTHONPATH", "VIRTUAL_ENV")}
    done = subprocess.run([str(venv / "bin" / "python"), "-c", _EXECUTE], cwd=workdir, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    return nbformat.read(workdir / "kmeans.ipynb", as_version=4), workdir


def test_the_kit_and_the_kernel_are_the_environment_s_own(executed, request):
    """From the wheel, nothing reaches for the checkout: the kernel is the venv's, and the
    kit its installed copy."""
    nb, _ = executed
    kit, python = map(Path, _text(nb.cells[-1]).split())
    if request.node.callspec.params["executed"] == "wheel":
        venv = request.getfixturevalue("autograder")[0] / "venv"
        assert python.parent == venv / "bin" and "site-packages" in kit.parts
        assert kit.is_relative_to(venv)
    else:
        assert kit == ROOT / "kmeans_kit" / "__init__.py"


def test_every_cell_runs_without_error(executed):
    nb, _ = executed
    errors = [(i, out.ename, out.evalue) for i, cell in enumerate(nb.cells)
              if cell.cell_type == "code" for out in cell.outputs if out.output_type == "error"]
    assert errors == []


def test_the_checks_pass_for_the_solution(executed):
    nb, _ = executed
    shown = [_text(cell) for cell in nb.cells if cell.cell_type == "code"
             and re.fullmatch(r'check\("\w+"\)', cell.source.strip())]
    assert len(shown) == 4   # assign, update, converged and the whole loop (lloyd)
    for text in shown:
        assert "✓" in text and "✗" not in text, text


def test_pictures_are_written(executed):
    nb, workdir = executed
    assert (workdir / "kmeans_storyboard.png").stat().st_size > 10_000
    with Image.open(workdir / "kmeans.gif") as gif:
        frames = gif.n_frames
    updates = int(re.search(r"stopped after (\d+) updates", "".join(map(_text, nb.cells))).group(1))
    assert frames == updates + 1  # the start and one frame per update


def test_evaluation_matches_the_notes(executed):
    nb, _ = executed
    text = "".join(map(_text, nb.cells))
    scores = dict(re.findall(r"^(your K-means|scikit-learn|itself|renamed|random)\s+(-?[\d.e-]+)$",
                             text, re.MULTILINE))
    blobs, iris = re.findall(r"^your K-means\s+([\d.]+)$", text, re.MULTILINE)
    assert float(scores["itself"]) == 1.0 and float(scores["renamed"]) == 1.0
    assert abs(float(scores["random"])) < 0.1
    assert float(blobs) == pytest.approx(1.0)          # the notes' seed recovers the blobs
    assert 0.6 < float(iris) < 0.85                     # species overlap: about 0.75


def test_without_a_student_id_the_notebook_shows_the_notes_numbers(executed):
    """No salt in the course's config (the kit's default), so no student id makes a seed:
    the notes' seed 398, their initial means, three updates -- and the answer recorded for
    the question about one's own run is that run's."""
    nb, _ = executed
    text = "".join(map(_text, nb.cells))
    assert "your data's seed: 398" in text
    mu0 = next(cell for cell in nb.cells if cell.source.startswith("mu0 = "))
    assert "[[5.56, 5.79],\n       [5.3 , 5.64],\n       [2.26, 1.42],\n       [6.35, 5.63]]" \
        in mu0.outputs[0]["data"]["text/plain"]
    assert "stopped after 3 updates" in text
    recorded = json.loads(re.search(r"^kmeans-kit answer (.*)$", text, re.M).group(1))
    assert recorded["my_iterations"] == 3 and round(recorded["my_inertia"], 2) == 106.31


def test_every_picture_shows_as_an_image(executed):
    """Each plotting cell shows a PNG (never the text ``<Figure size ...>``), and the
    animation an ``<img>`` with its GIF's bytes, which nbconvert's HTML keeps."""
    nb, _ = executed
    plotting = [cell for cell in nb.cells if cell.cell_type == "code" and "plots." in cell.source]
    assert len(plotting) >= 6
    for cell in plotting:
        bundles = [out.get("data", {}) for out in cell.outputs]
        assert any("image/png" in b or "<img" in b.get("text/html", "") for b in bundles), \
            (cell.source, [list(b) for b in bundles])
        assert not any(b.get("text/plain", "").startswith("<Figure size") and "image/png" not in b
                       for b in bundles), cell.source
    animation = next(cell for cell in plotting if "plots.animate" in cell.source)
    shown = "".join(out.get("data", {}).get("text/html", "") for out in animation.outputs)
    assert '<img src="data:image/gif;base64,R0lGOD' in shown


def test_the_loop_gives_up_where_the_checks_do():
    """The notebook's run_kmeans and lloyd.terminates stop at the same max_iter, so a
    student never sees the loop run longer than the check allows (or the reverse)."""
    from kmeans_kit.checks.algorithm import MAX_ITER

    source = "".join(cell.source for cell in nbformat.read(str(RELEASE), as_version=4).cells)
    assert re.search(r"def run_kmeans\(X, initial_means, max_iter=(\d+)\)", source).group(1) \
        == str(MAX_ITER)


def test_the_silhouette_ranks_the_four_blobs_first(executed):
    nb, _ = executed
    text = "".join(map(_text, nb.cells))
    scores = {int(k): float(v) for k, v in re.findall(r"^K=(\d+): silhouette ([\d.-]+)$", text,
                                                       re.MULTILINE)}
    assert sorted(scores) == [2, 3, 4, 5, 6]
    assert max(scores, key=scores.get) == 4, scores
