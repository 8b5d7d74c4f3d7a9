"""Whole-algorithm properties: run Lloyd's loop built from the student's three functions.

The loop runs here, in the checking process, and calls the student's
``assign``, ``update`` and ``converged`` through the Caller at every step, the
way the notebook's loop does. Initial means come from the kit
(:func:`reference.init_means`, fixed seeds), so nothing depends on how the
student draws random numbers. Each property is judged with the reference
kernels:

* ``lloyd.terminates``: the student's ``converged`` stops the loop within ``MAX_ITER``;
* ``lloyd.fixed_point``: at the end, reassigning and recomputing change nothing;
* ``lloyd.inertia``: inertia never increases, step by step;
* ``lloyd.label_permutation``: permuting the initial means permutes the final labels alike;
* ``lloyd.recovers_blobs``: from k-means++ starts (best of several), AMI >= 0.95 on
  well-separated blobs.

The data sets and seeds are chosen so that the reference never meets an empty
cluster or an exact tie on them: a correct solution that lacks the
empty-cluster rule loses only ``update.empty_cluster``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cache

import numpy as np

from reference._lloyd import _inertia, _update, init_means

from ..messages import array_text as _fmt
from ..messages import what_came_back
from ..protocol import CallResult, Frame
from .cases import Case
from .contract import RTOL, Call, Verdict, near_minimal, readable_labels, sq_distances

#: Update steps the checks allow before calling a loop endless.
MAX_ITER = 30
#: Seeds of the random-row starts on the four-cluster data, and of the k-means++ starts.
RANDOM_SEEDS = (1, 12)
KMEANSPP_SEEDS = (0, 1, 2)
AMI_THRESHOLD = 0.95


# --------------------------------------------------------------------------- data
@cache
def four_clusters() -> Frame:
    """40 points around four grid means, like the notes' data (columns x0, x1, two decimals)."""
    rng = np.random.default_rng(398)
    centres = np.array([[2.0, 2.0], [2.0, 6.0], [6.0, 2.0], [6.0, 6.0]])
    values = np.round(np.repeat(centres, 10, axis=0) + rng.normal(0, 0.6, size=(40, 2)), 2)
    return Frame(values, ("x0", "x1"), tuple(range(40)))


@cache
def blobs() -> tuple[Frame, np.ndarray]:
    """45 points in five tight, far-apart blobs (three features), with the true clusters."""
    rng = np.random.default_rng(2024)
    centres = np.array([[0, 0, 0], [8, 0, 1], [0, 8, -1], [8, 8, 2], [4, 4, 9]], dtype=float)
    truth = np.repeat(np.arange(5), [5, 8, 9, 11, 12])
    values = np.round(centres[truth] + rng.normal(0, 0.4, size=(truth.size, 3)), 3)
    order = rng.permutation(truth.size)
    frame = Frame(values[order], ("sepal", "petal", "stem"), tuple(range(100, 100 + truth.size)))
    return frame, truth[order]


# --------------------------------------------------------------------------- the loop
@dataclass
class Run:
    """One run of the student's loop: the means and labels after every step."""

    means: list[np.ndarray] = field(default_factory=list)
    labels: list[np.ndarray] = field(default_factory=list)
    stopped: str = ""            # "converged", "max_iter", "unchanged" or "error"
    error: str = ""              # what went wrong when stopped == "error"
    culprit: str = ""            # the function that went wrong
    unchanged_at: int | None = None  # first update step after which no label changed

    @property
    def n_iter(self) -> int:
        return len(self.means) - 1


def run_loop(call: Call, frame: Frame, initial: np.ndarray,
             stop_when_unchanged: bool = False) -> Run:
    """The notebook's loop with the student's functions; ``call(case)`` gives a CallResult."""
    X = np.asarray(frame.values, dtype=np.float64)
    n, d = X.shape
    run = Run()
    means = np.asarray(initial, dtype=np.float64)
    labels = _labels(call, run, frame, means, 0)
    if labels is None:
        return run
    run.means.append(means)
    run.labels.append(labels)
    for step in range(1, MAX_ITER + 1):
        result = call(Case("update", (frame, labels, means)))
        new_means = _means(result, run, means.shape, step)
        if new_means is None:
            return run
        new_labels = _labels(call, run, frame, new_means, step)
        if new_labels is None:
            return run
        run.means.append(new_means)
        run.labels.append(new_labels)
        same = np.array_equal(labels, new_labels)
        if same and run.unchanged_at is None:
            run.unchanged_at = step
        answer = call(Case("converged", (labels, new_labels)))
        done = _answer(answer, run, step)
        if done is None:
            return run
        means, labels = new_means, new_labels
        if done:
            run.stopped = "converged"
            return run
        if stop_when_unchanged and same:
            run.stopped = "unchanged"
            return run
    run.stopped = "max_iter"
    return run


def _fail(run: Run, culprit: str, text: str) -> None:
    run.stopped, run.culprit, run.error = "error", culprit, text


def _labels(call: Call, run: Run, frame: Frame, means: np.ndarray, step: int) -> np.ndarray | None:
    result = call(Case("assign", (frame, means)))
    labels = readable_labels(result, len(frame.index), means.shape[0])
    if labels is None:
        _fail(run, "assign", f"at step {step}, assign gave something the loop cannot use as "
                             f"labels: {what_came_back(result)}")
    return labels


def _means(result: CallResult, run: Run, shape: tuple, step: int) -> np.ndarray | None:
    array = None if result.returned is None else result.returned.array
    if array is None or array.ndim != 2 or array.shape[1] != shape[1] or array.shape[0] < 1 \
            or array.dtype.kind not in "iuf" or not np.isfinite(array).all():
        _fail(run, "update", f"at step {step}, update gave something the loop cannot use as "
                             f"means: {what_came_back(result)}")
        return None
    return array.astype(np.float64)


def _answer(result: CallResult, run: Run, step: int) -> bool | None:
    array = None if result.returned is None else result.returned.array
    if array is None or array.shape != ():
        _fail(run, "converged", f"at step {step}, the loop's `if converged(...)` cannot decide: "
                                f"{what_came_back(result)}")
        return None
    return bool(array)


# --------------------------------------------------------------------------- the properties
class LloydChecks:
    """Runs the loops once and judges every property on them."""

    def __init__(self, call: Call):
        self.call = call
        self.frame = four_clusters()
        X = np.asarray(self.frame.values)
        self.starts = [init_means(X, 4, "random", random_state=s) for s in RANDOM_SEEDS]
        self.runs: list[Run] = []
        self.endless = False
        for initial in self.starts:
            run = run_loop(call, self.frame, initial, stop_when_unchanged=self.endless)
            self.runs.append(run)
            if run.stopped == "error":
                break  # every property reports it; no need to meet a hang twice
            if run.stopped == "max_iter":
                # One endless loop is enough to judge lloyd.terminates; later loops stop
                # when the labels settle, so the other properties are still judged (cheaply).
                self.endless = True

    def _broken(self) -> Verdict | None:
        for run in self.runs:
            if run.stopped == "error":
                return Verdict(f"The loop built from your functions could not go on: {run.error}.",
                               data={"culprit": run.culprit})
        return None

    def terminates(self) -> Verdict | None:
        broken = self._broken()
        if broken:
            return broken
        run = self.runs[0]
        if run.stopped != "max_iter":
            return None
        settled = f"the labels stopped changing after step {run.unchanged_at}" \
            if run.unchanged_at else "the labels never settled"
        return Verdict(f"The loop ran {MAX_ITER} steps (max_iter) without converged ever "
                       f"returning True, although {settled}.",
                       expected="converged returns True once no label changes",
                       got=f"still running after {MAX_ITER} steps",
                       data={"culprit": "converged" if run.unchanged_at else ""})

    def fixed_point(self) -> Verdict | None:
        broken = self._broken()
        if broken:
            return broken
        X = np.asarray(self.frame.values)
        for number, run in enumerate(self.runs):
            means, labels = run.means[-1], run.labels[-1]
            if means.shape[0] != 4:
                return Verdict(f"The loop ended with {means.shape[0]} means instead of 4.",
                               data={"culprit": "update"})
            ok = near_minimal(sq_distances(X, means))[np.arange(len(labels)), labels]
            recomputed = _update(X, labels, means)
            moved = np.abs(recomputed - means).max()
            if not ok.all() or moved > RTOL * (np.abs(means).max() + 1):
                what = f"{int((~ok).sum())} point(s) are not in their nearest cluster" \
                    if not ok.all() else f"recomputing the means moves them (by up to {moved:.3g})"
                return Verdict(f"Start {number + 1}: after {run.n_iter} step(s) the loop stopped, "
                               f"but it is not at a fixed point: {what}. Lloyd's algorithm is "
                               f"done only when assigning and updating again change nothing.",
                               expected="a fixed point", got=what,
                               data={"culprit": "", "run": number})
        return None

    def inertia(self) -> Verdict | None:
        broken = self._broken()
        if broken:
            return broken
        X = np.asarray(self.frame.values)
        for number, run in enumerate(self.runs):
            values, steps = [], []
            for step, (means, labels) in enumerate(zip(run.means, run.labels)):
                if step:  # the new means with the old labels: the update half-step
                    values.append(_inertia(X, means, run.labels[step - 1]))
                    steps.append(f"update {step}")
                values.append(_inertia(X, means, labels))
                steps.append(f"assign {step}")
            for i in range(1, len(values)):
                if values[i] > values[i - 1] * (1 + RTOL) + 1e-12:
                    return Verdict(f"Start {number + 1}: inertia (the sum of squared distances "
                                   f"to the cluster means) went up from {values[i - 1]:.6g} to "
                                   f"{values[i]:.6g} at the {steps[i]} step. Each assign and "
                                   f"each update of Lloyd's algorithm can only lower it.",
                                   expected="inertia never increases",
                                   got=f"{values[i - 1]:.6g} -> {values[i]:.6g} ({steps[i]})",
                                   data={"culprit": steps[i].split()[0], "run": number})
        return None

    def label_permutation(self) -> Verdict | None:
        broken = self._broken()
        if broken:
            return broken
        order = np.arange(4)[::-1]
        permuted = run_loop(self.call, self.frame, self.starts[0][order],
                            stop_when_unchanged=self.endless)
        if permuted.stopped == "error":
            return Verdict(f"With the initial means in reverse order, the loop could not go on: "
                           f"{permuted.error}.", data={"culprit": permuted.culprit})
        original, mirrored = self.runs[0].labels[-1], permuted.labels[-1]
        # Mean j of the permuted start is mean order[j] of the original start.
        expected = np.argsort(order)[original]
        if not np.array_equal(expected, mirrored):
            differ = int((expected != mirrored).sum())
            return Verdict(f"Reversing the order of the initial means should only rename the "
                           f"clusters (cluster j becomes cluster {3} - j), but {differ} point(s) "
                           f"ended up in a different cluster. Nothing in K-means should depend "
                           f"on the order of the means.",
                           expected=_fmt(expected), got=_fmt(mirrored), data={"culprit": ""})
        return None

    def recovers_blobs(self) -> Verdict | None:
        broken = self._broken()
        if broken:
            return broken
        frame, truth = blobs()
        X = np.asarray(frame.values)
        best = None
        for seed in KMEANSPP_SEEDS:
            run = run_loop(self.call, frame, init_means(X, 5, "k-means++", random_state=seed),
                           stop_when_unchanged=self.endless)
            if run.stopped == "error":
                return Verdict(f"On the five-blob data the loop could not go on: {run.error}.",
                               data={"culprit": run.culprit})
            means, labels = run.means[-1], run.labels[-1]
            score = _inertia(X, means, labels) if labels.max() < means.shape[0] else np.inf
            if best is None or score < best[0]:
                best = (score, labels)
        # Imported here: scikit-learn costs ~1.5 s to import, and only this check needs it.
        from sklearn.metrics import adjusted_mutual_info_score

        ami = adjusted_mutual_info_score(truth, best[1])
        if ami < AMI_THRESHOLD:
            return Verdict(f"On five tight, well-separated blobs, the best of "
                           f"{len(KMEANSPP_SEEDS)} k-means++ starts reached AMI {ami:.3f} against "
                           f"the true clusters; a working K-means finds them (AMI >= "
                           f"{AMI_THRESHOLD}).", expected=f"AMI >= {AMI_THRESHOLD}",
                           got=f"AMI {ami:.3f}", data={"culprit": "", "ami": float(ami)})
        return None
