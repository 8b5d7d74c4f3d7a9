"""What the jail costs: the same work with student code jailed and in a plain subprocess.

* **checks**: every check of one demo submission in the isolated runner
  (``check_submission``: worker start, loading, all calls) -- what
  ``pytest --submission`` and grading do;
* **first call**: starting a worker and answering one ``assign`` call -- the
  latency a student waits for at least;
* **kernel**: executing the filled-in student notebook in a kernel, as
  nbgrader's execution step does (``JailedKernelManager`` against
  jupyter_client's ``AsyncKernelManager``).

Each runs three ways: in the jail with a cgroup per jail, in the jail without cgroups
(``$KMEANS_KIT_CGROUPS=0``), and in a plain subprocess.

Usage: ``python benchmarks/bench_jail.py [--runs 5] [--student solution]``.
Prints the median of each, side by side, and the ratios jail / plain and
jail / jail without cgroups (what the cgroups cost).
"""

from __future__ import annotations

import argparse
import contextlib
import os
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
from kmeans_kit.runner import cgroup
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
    print(f"{args.student}: median of {args.runs} runs; jail with a cgroup per jail, jail "
          "without cgroups, plain subprocess")
    print(f"  {'':<12}{'jail s':>9}{'no cg s':>9}{'plain s':>9}{'jail/plain':>12}"
          f"{'jail/no cg':>12}")
    for name, (jailed, plain) in work.items():
        times = {"jail": [], "no cgroup": [], "plain": []}
        for _ in range(args.runs):   # interleaved, so machine load hits all alike
            times["plain"].append(plain())
            with _cgroups(False):
                times["no cgroup"].append(jailed())
            with _cgroups(True):
                times["jail"].append(jailed())
        j, n, p = (statistics.median(times[k]) for k in ("jail", "no cgroup", "plain"))
        results[name] = {"jail": j, "no cgroup": n, "plain": p, "ratio": j / p,
                         "cgroup ratio": j / n}
        print(f"  {name:<12}{j:9.2f}{n:9.2f}{p:9.2f}{j / p:11.2f}x{j / n:11.2f}x")
    return results


@contextlib.contextmanager
def _cgroups(on: bool):
    """Jails made inside get a cgroup each (where they can) or none."""
    before = os.environ.get(cgroup.SWITCH_ENV)
    if on:
        os.environ.pop(cgroup.SWITCH_ENV, None)
    else:
        os.environ[cgroup.SWITCH_ENV] = "0"
    cgroup.support.cache_clear()
    try:
        yield
    finally:
        if before is None:
            os.environ.pop(cgroup.SWITCH_ENV, None)
        else:
            os.environ[cgroup.SWITCH_ENV] = before
        cgroup.support.cache_clear()


if __name__ == "__main__":
    main()
