"""What the jail costs: the same work with student code jailed and in a plain subprocess.

* **checks**: every check of one demo submission in the isolated runner
  (``check_submission``: worker start, loading, all calls) -- what
  ``pytest --submission`` and grading do;
* **first call**: starting a worker and answering one ``assign`` call -- the
  latency a student waits for at least;
* **kernel**: executing the filled-in student notebook in a kernel, as
  nbgrader's execution step does (``JailedKernelManager`` against
  jupyter_client's ``AsyncKernelManager``).

Usage: ``python benchmarks/bench_jail.py [--runs 5] [--student solution]``.
Prints the median of each, side by side, and the ratio jail / plain.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

import nbformat
import pandas as pd
from jupyter_client.manager import AsyncKernelManager
from nbclient import NotebookClient

from kmeans_kit.course import DemoStudent
from kmeans_kit.grading import check_submission, prepare_judge
from kmeans_kit.protocol import Frame
from kmeans_kit.runner.isolated import SubmissionRunner
from kmeans_kit.runner.jailed_kernel import JailedKernelManager
from kmeans_kit.settings import load_settings
from kmeans_kit.submission import Submission

ASSIGNMENTS = Path(__file__).resolve().parents[1] / "assignments"
DEMO_CLASS = ASSIGNMENTS / "demo_class"


def _checks(submission: Submission, jail: bool) -> float:
    start = time.perf_counter()
    check_submission(submission, settings=load_settings(), jail=jail)
    return time.perf_counter() - start


def _first_call(submission: Submission, jail: bool) -> float:
    X = Frame.from_pandas(pd.DataFrame({"x0": [0.0, 1.0], "x1": [0.0, 1.0]}))
    means = pd.DataFrame({"x0": [0.0], "x1": [0.0]}).to_numpy()
    start = time.perf_counter()
    with SubmissionRunner(submission, load_settings(), jail=jail) as runner:
        runner("assign", X, means)
    return time.perf_counter() - start


def _kernel(nb: nbformat.NotebookNode, manager) -> float:
    with tempfile.TemporaryDirectory() as work:
        copy = nbformat.from_dict(nb)
        start = time.perf_counter()
        NotebookClient(copy, timeout=120, kernel_name="python3", kernel_manager_class=manager,
                       resources={"metadata": {"path": work}}).execute()
        return time.perf_counter() - start


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--student", default="solution",
                        help="a file stem in assignments/demo_class")
    args = parser.parse_args(argv)
    student = DemoStudent.from_file(DEMO_CLASS / f"{args.student}.py")
    release = nbformat.read(str(ASSIGNMENTS / "release" / "kmeans" / "kmeans.ipynb"), 4)
    nb = student.fill(release)
    submission = Submission.from_notebook(nb)
    prepare_judge()
    work = {
        "checks": (lambda: _checks(submission, True), lambda: _checks(submission, False)),
        "first call": (lambda: _first_call(submission, True),
                       lambda: _first_call(submission, False)),
        "kernel": (lambda: _kernel(nb, JailedKernelManager),
                   lambda: _kernel(nb, AsyncKernelManager)),
    }
    results = {}
    print(f"{args.student}: median of {args.runs} runs, jail against plain subprocess")
    print(f"  {'':<12}{'jail s':>9}{'plain s':>9}{'ratio':>8}")
    for name, (jailed, plain) in work.items():
        times = {"jail": [], "plain": []}
        for _ in range(args.runs):   # interleaved, so machine load hits both alike
            times["plain"].append(plain())
            times["jail"].append(jailed())
        j, p = statistics.median(times["jail"]), statistics.median(times["plain"])
        results[name] = {"jail": j, "plain": p, "ratio": j / p}
        print(f"  {name:<12}{j:9.2f}{p:9.2f}{j / p:8.2f}x")
    return results


if __name__ == "__main__":
    main()
