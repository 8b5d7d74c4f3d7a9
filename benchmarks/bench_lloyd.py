"""Benchmark one Lloyd iteration: the reference, scikit-learn and the notes' pandas idioms.

Run from the repository root::

    python benchmarks/bench_lloyd.py            # all sizes, a few minutes
    python benchmarks/bench_lloyd.py --quick    # fewer repeats

Every method starts from the same initial means on the same data:

* ``reference``: :func:`reference.lloyd` (``record_history=False``), the kit's
  NumPy kernels;
* ``sklearn``: ``sklearn.cluster.KMeans(algorithm="lloyd", n_init=1, tol=0,
  max_iter=M, init=means)``;
* ``pandas``: the course notes' idioms, written out below -- a column of
  squared distances per mean, ``idxmin(axis=1)``, and ``groupby(labels).mean()``.

At the course's sizes (N <= 1000) each method runs to convergence (no label
changes) and the whole fit is timed; at the large sizes a fixed number of
iterations runs. "s/iter" is the fit time divided by the iterations the method
reports. Times are the minimum (and median) over repeats, wall clock, with the
machine's default thread settings. Peak memory is measured in a fresh
subprocess per method and size: "peak MB" is the tracemalloc peak of
NumPy/pandas allocations during one fit, "rss MB" the growth of the peak
resident set size over the fit (Linux: VmHWM after resetting it), which also
sees memory tracemalloc does not, such as BLAS and OpenMP buffers.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
import tracemalloc

import numpy as np
import pandas as pd
import sklearn
from sklearn.cluster import KMeans as SklearnKMeans
from threadpoolctl import threadpool_info

from reference import lloyd

# (N, D, K, iterations at the large sizes or None to run to convergence)
SIZES = [(200, 2, 4, None), (1_000, 2, 4, None), (1_000_000, 2, 8, 5), (200_000, 64, 32, 5)]
# The pandas idiom takes seconds per iteration at the large sizes: one iteration, one repeat.
PANDAS_LARGE_ITERATIONS = 1
METHODS = ("reference", "sklearn", "pandas")


# --------------------------------------------------------------------------- the notes' idioms
def pandas_assign(df: pd.DataFrame, means: np.ndarray) -> pd.Series:
    """The notes' assignment: one column of squared distances per mean, then idxmin."""
    return pd.concat([((df - m) ** 2).sum(axis=1) for m in means], axis=1).idxmin(axis=1)


def pandas_update(df: pd.DataFrame, labels: pd.Series) -> np.ndarray:
    """The notes' update: the mean of each label's rows (empty clusters vanish)."""
    return df.groupby(labels).mean().to_numpy()


def pandas_fit(df: pd.DataFrame, means: np.ndarray, n_iter: int) -> int:
    labels = pandas_assign(df, means)
    for _ in range(n_iter):
        means = pandas_update(df, labels)
        labels = pandas_assign(df, means)
    return n_iter


# --------------------------------------------------------------------------- one fit
def make_data(n: int, d: int, k: int) -> tuple[np.ndarray, np.ndarray]:
    """Gaussian blobs around k random centres (so small sizes converge), and k rows as means."""
    rng = np.random.default_rng(n + d + k)
    centres = rng.uniform(-10, 10, size=(k, d))
    X = centres[rng.integers(k, size=n)] + rng.normal(scale=3.0, size=(n, d))
    return X, X[rng.choice(n, size=k, replace=False)].copy()


def fit_once(method: str, X: np.ndarray, df: pd.DataFrame, means: np.ndarray,
             max_iter: int, pandas_iter: int) -> int:
    """Run one fit; return the number of iterations the method reports."""
    if method == "reference":
        return lloyd(X, means, max_iter=max_iter, record_history=False).n_iter
    if method == "sklearn":
        km = SklearnKMeans(len(means), init=means, n_init=1, tol=0, max_iter=max_iter,
                           algorithm="lloyd")
        return int(km.fit(X).n_iter_)
    return pandas_fit(df, means, pandas_iter)


def plan(n: int, d: int, k: int, iterations: int | None) -> tuple[int, int]:
    """(max_iter for reference/sklearn, iterations for pandas)."""
    if iterations is not None:
        return iterations, PANDAS_LARGE_ITERATIONS
    X, means = make_data(n, d, k)
    return 300, lloyd(X, means, record_history=False).n_iter


def time_fits(n, d, k, iterations, repeat: int) -> dict[str, dict]:
    X, means = make_data(n, d, k)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
    max_iter, pandas_iter = plan(n, d, k, iterations)
    small = iterations is None
    times: dict[str, list[float]] = {m: [] for m in METHODS}
    iters: dict[str, int] = {}
    for method in METHODS:  # warm-up: imports, caches, thread pools
        if small:
            fit_once(method, X, df, means, max_iter, pandas_iter)
    for round_ in range(repeat):  # interleaved, so drifting machine load hits all methods alike
        for method in METHODS:
            if method == "pandas" and not small and round_ > 0:
                continue
            start = time.perf_counter()
            iters[method] = fit_once(method, X, df, means, max_iter, pandas_iter)
            times[method].append(time.perf_counter() - start)
    return {m: {"fit_min": min(times[m]), "fit_median": statistics.median(times[m]),
                "iters": iters[m], "repeats": len(times[m])} for m in METHODS}


def _peak_rss_reset() -> bool:
    """Reset the kernel's peak-RSS mark of this process (Linux >= 4.0); False if impossible."""
    try:
        with open("/proc/self/clear_refs", "w") as f:
            f.write("5")
        return True
    except OSError:
        return False


def _peak_rss() -> int:
    """Peak resident set size in bytes since the last reset (VmHWM), else ru_maxrss."""
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmHWM:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def _rss() -> int:
    try:
        with open("/proc/self/status") as f:
            for line in f:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1]) * 1024
    except OSError:
        pass
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024


def memory_of_one_fit(method: str, n: int, d: int, k: int, iterations) -> dict:
    """Run in a fresh process: tracemalloc peak and peak-RSS growth during one fit."""
    X, means = make_data(n, d, k)
    df = pd.DataFrame(X, columns=[f"x{i}" for i in range(d)])
    max_iter, pandas_iter = plan(n, d, k, iterations)
    fit_once(method, X[:2 * k], df.iloc[:2 * k], means, 1, 1)  # load the code paths first
    # Without a reset, the peak of making the data would hide the fit's own.
    reset = _peak_rss_reset()
    before = _rss() if reset else _peak_rss()
    tracemalloc.start()
    fit_once(method, X, df, means, max_iter, pandas_iter)
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return {"peak": peak, "rss": max(_peak_rss() - before, 0)}


def measure_memory(method: str, n: int, d: int, k: int, iterations) -> dict:
    """:func:`memory_of_one_fit` in a fresh interpreter, so earlier runs do not interfere."""
    here = os.path.dirname(os.path.abspath(__file__))
    code = (f"import json, sys; sys.path.insert(0, {here!r}); import bench_lloyd as b; "
            f"print(json.dumps(b.memory_of_one_fit({method!r}, {n}, {d}, {k}, {iterations!r})))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return json.loads(out.stdout.strip().splitlines()[-1])


# --------------------------------------------------------------------------- report
def describe_machine() -> str:
    pools = ", ".join(f"{p['internal_api']} {p.get('version') or ''} x{p['num_threads']}"
                      .replace("  ", " ") for p in threadpool_info())
    blas_env = {key: os.environ[key] for key in ("OPENBLAS_CORETYPE", "OPENBLAS_L2_SIZE",
                                                  "OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS")
                if key in os.environ}
    return (f"{platform.processor() or platform.machine()}, {os.cpu_count()} CPUs, load average "
            f"{os.getloadavg()[0]:.2f}; Python {platform.python_version()}, numpy "
            f"{np.__version__}, pandas {pd.__version__}, scikit-learn {sklearn.__version__}\n"
            f"thread pools: {pools}; BLAS env: {blas_env or 'none set'}")


def main(argv=None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="timing repeats (default 5)")
    parser.add_argument("--quick", action="store_true", help="2 repeats, no memory subprocesses")
    args = parser.parse_args(argv)
    repeat = 2 if args.quick else args.repeat

    print(describe_machine())
    header = (f"{'N':>9} {'D':>3} {'K':>3}  {'method':<9} {'iters':>5} {'s/iter':>10} "
              f"{'(median)':>10} {'fit s':>9} {'x sklearn':>9} {'fit x skl':>9} "
              f"{'peak MB':>8} {'rss MB':>7}")
    print(header)
    print("-" * len(header))
    for n, d, k, iterations in SIZES:
        result = time_fits(n, d, k, iterations, repeat)
        sk_iter = result["sklearn"]["fit_min"] / result["sklearn"]["iters"]
        for method in METHODS:
            r = result[method]
            per_iter = r["fit_min"] / max(r["iters"], 1)
            med_iter = r["fit_median"] / max(r["iters"], 1)
            fit = f"{r['fit_min']:9.4f}" if iterations is None else f"{'-':>9}"
            fit_ratio = (f"{r['fit_min'] / result['sklearn']['fit_min']:9.2f}"
                         if iterations is None else f"{'-':>9}")
            if args.quick:
                mem = f"{'-':>8} {'-':>7}"
            else:
                m = measure_memory(method, n, d, k, iterations)
                mem = f"{m['peak'] / 1e6:8.1f} {m['rss'] / 1e6:7.1f}"
            print(f"{n:>9} {d:>3} {k:>3}  {method:<9} {r['iters']:>5} {per_iter:10.2e} "
                  f"{med_iter:10.2e} {fit} {per_iter / sk_iter:9.2f} {fit_ratio} {mem}",
                  flush=True)
    print(f"\nLarge sizes: reference and sklearn run {SIZES[-1][3]} iterations "
          f"(max_iter, no convergence); pandas runs {PANDAS_LARGE_ITERATIONS} iteration once "
          f"(it takes seconds per iteration there). Small sizes: all run to convergence "
          f"(pandas for the reference's number of iterations). 'x sklearn' = s/iter ratio, "
          f"'fit x skl' = whole-fit ratio; below 1 is faster than scikit-learn.")


if __name__ == "__main__":
    main()
