"""Pictures of a K-means run: the data, a storyboard grid, a GIF, inertia per iteration.

Only matplotlib is used, through :class:`matplotlib.figure.Figure` rather than
``pyplot``: nothing is registered globally, so the functions work on a headless
machine (Agg), leak no open figures in tests or grading, and show once -- not
twice -- when a notebook cell returns them.

Colours follow the course notes: the ``tab20`` palette comes in pairs (a bold
colour, then a pale version of it), so cluster ``j`` draws its points in the
pale half and its mean in the bold half of pair ``j``. There are 10 pairs; for
more clusters the pairs repeat.

Data with more than two features are drawn on their first two features (the
titles say so). Every function that takes a ``path`` saves there as well.
"""

from __future__ import annotations

import base64
import html
import math
from collections.abc import Sequence
from os import PathLike
from pathlib import Path

import matplotlib
import numpy as np
import pandas as pd
from matplotlib.animation import FuncAnimation, PillowWriter
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from reference._lloyd import LloydResult, Step
from reference._validation import check_X

__all__ = ["EmbeddedImage", "animate", "data_scatter", "embed_gif", "inertia_plot",
           "paired_palette", "storyboard"]

_N_PAIRS = 10
#: A storyboard shows at most this many steps by default (a run that never converges
#: has 51; its storyboard was 5000 pixels high).
MAX_PANELS = 12
_POINT_SIZE = 18
_MEAN_SIZE = 140
_UNLABELLED = "lightgray"


# --------------------------------------------------------------------------- palette
def paired_palette(k: int) -> tuple[list[tuple], list[tuple]]:
    """Bold and pale colours for ``k`` clusters, from matplotlib's ``tab20``.

    Returns
    -------
    bold, pale : list of RGB tuples, each of length ``k``
        ``bold[j]`` (even entries of tab20) for mean ``j``, ``pale[j]`` (odd
        entries) for its points; after 10 clusters the pairs repeat.
    """
    if isinstance(k, bool) or not isinstance(k, (int, np.integer)) or k < 1:
        raise ValueError(f"k must be a positive integer number of clusters, got {k!r}.")
    colors = matplotlib.colormaps["tab20"].colors
    bold = [tuple(colors[2 * (j % _N_PAIRS)]) for j in range(k)]
    pale = [tuple(colors[2 * (j % _N_PAIRS) + 1]) for j in range(k)]
    return bold, pale


# --------------------------------------------------------------------------- validation
def _check_points(X) -> tuple[np.ndarray, tuple[str, str], str]:
    """The first two features to draw, their axis names, and a note if more were dropped."""
    array = check_X(X)
    d = array.shape[1]
    if d < 2:
        raise ValueError(
            f"X has {d} feature; a scatter plot needs at least 2. Add a second feature "
            f"column, or plot the single feature against the labels yourself."
        )
    names = [str(c) for c in X.columns[:2]] if isinstance(X, pd.DataFrame) \
        else ["feature 0", "feature 1"]
    note = f" (first 2 of {d} features)" if d > 2 else ""
    return array, (names[0], names[1]), note


def _check_history(history, n: int, d: int) -> list[Step]:
    """Accept a LloydResult or a non-empty sequence of steps that fit X."""
    if isinstance(history, LloydResult):
        history = history.history
    if not isinstance(history, Sequence) or isinstance(history, (str, bytes)):
        raise TypeError(f"history must be a list of Step objects (reference.lloyd(X, means)"
                        f".history), got {type(history).__name__}.")
    if len(history) == 0:
        raise ValueError("history is empty: there is nothing to draw. Run "
                         "reference.lloyd(X, means, record_history=True) and pass its .history.")
    for i, step in enumerate(history):
        if not all(hasattr(step, a) for a in ("means", "labels", "inertia")):
            raise TypeError(f"history[{i}] is a {type(step).__name__}, not a Step with "
                            f".means, .labels and .inertia.")
        means, labels = np.asarray(step.means), np.asarray(step.labels)
        if means.ndim != 2 or means.shape[1] != d:
            raise ValueError(f"history[{i}].means has shape {means.shape}, but X has {d} "
                             f"features; the history must come from a run on this X.")
        if labels.shape != (n,):
            raise ValueError(f"history[{i}].labels has shape {labels.shape}, but X has {n} "
                             f"rows; the history must come from a run on this X.")
        if labels.dtype.kind not in "iu":
            raise TypeError(f"history[{i}].labels must be integer indices of the means, "
                            f"got dtype {labels.dtype}.")
        if labels.size and (labels.min() < 0 or labels.max() >= len(means)):
            raise ValueError(f"history[{i}].labels must index its {len(means)} means "
                             f"(0..{len(means) - 1}).")
    return list(history)


def _save(fig: Figure, path) -> None:
    if path is not None:
        fig.savefig(Path(path))  # constrained layout already fits the labels


def _new_figure(figsize) -> Figure:
    fig = Figure(figsize=figsize, layout="constrained")
    FigureCanvasAgg(fig)  # attach a raster canvas so saving never needs pyplot
    return fig


def _limits(points: np.ndarray, history: list[Step]) -> tuple[tuple, tuple]:
    """Axis limits that hold every point and every mean of every step."""
    allpts = np.vstack([points[:, :2]] + [np.asarray(s.means)[:, :2] for s in history])
    lo, hi = allpts.min(axis=0), allpts.max(axis=0)
    pad = 0.05 * np.maximum(hi - lo, 1e-9)
    return (lo[0] - pad[0], hi[0] + pad[0]), (lo[1] - pad[1], hi[1] + pad[1])


# --------------------------------------------------------------------------- drawing
def _step_title(index: int, step: Step) -> str:
    return f"iteration {index}\ninertia {float(step.inertia):.4g}"


def _draw_step(ax, points: np.ndarray, step: Step, axis_names, limits) -> None:
    means = np.asarray(step.means)
    labels = np.asarray(step.labels)
    bold, pale = paired_palette(len(means))
    ax.scatter(points[:, 0], points[:, 1], s=_POINT_SIZE, c=np.asarray(pale)[labels],
               linewidths=0)
    ax.scatter(means[:, 0], means[:, 1], s=_MEAN_SIZE, c=bold, marker="X",
               edgecolors="black", linewidths=0.8, zorder=3)
    ax.set_xlim(limits[0])
    ax.set_ylim(limits[1])
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])


def storyboard(X, history, ncols: int = 3, panel_size: float = 3.0,
               iterations: Sequence[int] | None = None, path: str | PathLike | None = None,
               max_panels: int = MAX_PANELS) -> Figure:
    """A grid of small panels, one per iteration of a run (the notes' storyboard).

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), n_features >= 2
    history : list of Step or LloydResult
        ``reference.lloyd(X, means).history``; panel ``i`` shows ``history[i]``:
        points in the pale colour of their label, means in the bold colour.
    ncols : int, default 3
        Panels per row (the notes use 3).
    panel_size : float, default 3.0
        Width and height of each panel in inches.
    iterations : sequence of int, optional
        Which steps to show (indices into ``history``); default all of them, or, for a
        run longer than ``max_panels``, that many spread evenly from the first step to
        the last (the title says how many were left out).
    path : str or path-like, optional
        Also save the figure there.
    max_panels : int, default 12
        The most panels shown when ``iterations`` is not given.

    Returns
    -------
    Figure
    """
    points, axis_names, note = _check_points(X)
    history = _check_history(history, points.shape[0], points.shape[1])
    if isinstance(max_panels, bool) or not isinstance(max_panels, (int, np.integer)) \
            or max_panels < 2:
        raise ValueError(f"max_panels must be an integer of at least 2, got {max_panels!r}.")
    shown = _spread(len(history), max_panels) if iterations is None else list(iterations)
    if not shown or any(not isinstance(i, (int, np.integer)) or not 0 <= i < len(history)
                        for i in shown):
        raise ValueError(f"iterations must be a non-empty list of indices in "
                         f"0..{len(history) - 1}, got {iterations!r}.")
    if isinstance(ncols, bool) or not isinstance(ncols, (int, np.integer)) or ncols < 1:
        raise ValueError(f"ncols must be a positive integer, got {ncols!r}.")
    ncols = min(ncols, len(shown))
    nrows = math.ceil(len(shown) / ncols)
    fig = _new_figure((panel_size * ncols, panel_size * nrows + 0.4))
    limits = _limits(points, [history[i] for i in shown])
    for slot, index in enumerate(shown):
        ax = fig.add_subplot(nrows, ncols, slot + 1)
        _draw_step(ax, points, history[index], axis_names, limits)
        ax.set_title(_step_title(index, history[index]), fontsize="medium")
        # Label only the outer edges; a panel with an empty slot below keeps its x axis.
        if slot + ncols < len(shown):
            ax.set_xlabel("")
            ax.tick_params(labelbottom=False)
        if slot % ncols:
            ax.set_ylabel("")
            ax.tick_params(labelleft=False)
    left_out = "" if len(shown) == len(history) else \
        f" ({len(shown)} of {len(history)} steps shown)"
    fig.suptitle(f"K-means, one panel per iteration{left_out}{note}")
    _save(fig, path)
    return fig


def _spread(steps: int, most: int) -> list[int]:
    """Every step, or ``most`` of them spread evenly, the first and the last included."""
    if steps <= most:
        return list(range(steps))
    return sorted({round(i * (steps - 1) / (most - 1)) for i in range(most)})


def animate(X, history, path: str | PathLike, fps: float = 1.0, figsize=(5.0, 5.0),
            dpi: int = 80) -> Path:
    """Write the run as a GIF, one frame per step, the last one included.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), n_features >= 2
    history : list of Step or LloydResult
    path : str or path-like
        Where to write; must end in ``.gif``.
    fps : float, default 1.0
        Frames per second.
    figsize : (float, float), default (5, 5)
        Frame size in inches; pixels are ``figsize * dpi``.
    dpi : int, default 80

    Returns
    -------
    Path
        ``path``; the file holds exactly ``len(history)`` frames.
    """
    points, axis_names, note = _check_points(X)
    history = _check_history(history, points.shape[0], points.shape[1])
    path = Path(path)
    if path.suffix.lower() != ".gif":
        raise ValueError(f"path must end in .gif (a Pillow GIF is written), got {str(path)!r}.")
    if isinstance(fps, bool) or not isinstance(fps, (int, float)) or not fps > 0:
        raise ValueError(f"fps must be a positive number of frames per second, got {fps!r}.")

    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    limits = _limits(points, history)

    def draw(index: int):
        ax.clear()
        _draw_step(ax, points, history[index], axis_names, limits)
        # The title differs on every frame, so Pillow never merges two frames
        # as duplicates and the frame count stays len(history).
        ax.set_title(_step_title(index, history[index]).replace("\n", ", ") + note)
        return []

    anim = FuncAnimation(fig, draw, frames=len(history), init_func=lambda: [], blit=False,
                         repeat=False, cache_frame_data=False)
    anim.save(path, writer=PillowWriter(fps=fps), dpi=dpi)
    _check_frames(path, len(history))
    return path


class EmbeddedImage:
    """A picture file carried inside the notebook as an HTML ``<img>`` with its bytes.

    Jupyter shows it, and so does nbconvert's HTML (feedback pages included), which
    drops an ``image/gif`` output: a GIF shown with ``IPython.display.Image`` is lost
    there.
    """

    def __init__(self, data: bytes, mime: str, alt: str):
        self.data, self.mime, self.alt = data, mime, alt

    def _repr_html_(self) -> str:
        encoded = base64.b64encode(self.data).decode("ascii")
        alt = html.escape(self.alt, quote=True)
        return f'<img src="data:{self.mime};base64,{encoded}" alt="{alt}">'


def embed_gif(path: str | PathLike, alt: str = "K-means, one frame per step") -> EmbeddedImage:
    """The GIF at ``path`` (``animate``'s) as a picture a notebook and its HTML both show."""
    path = Path(path)
    data = path.read_bytes()
    if not data.startswith((b"GIF87a", b"GIF89a")):
        raise ValueError(f"{str(path)!r} is not a GIF file; write one with plots.animate().")
    return EmbeddedImage(data, "image/gif", alt)


def _check_frames(path: Path, expected: int) -> None:
    """Fail loudly if the writer dropped or repeated a frame."""
    from PIL import Image

    with Image.open(path) as image:
        found = getattr(image, "n_frames", 1)
    if found != expected:
        raise RuntimeError(f"{path} has {found} frames but the history has {expected} steps; "
                           f"the GIF writer dropped or repeated frames.")


def inertia_plot(history, path: str | PathLike | None = None, figsize=(5.0, 3.5)) -> Figure:
    """Inertia after each step; Lloyd's algorithm never lets it increase.

    Parameters
    ----------
    history : list of Step or LloydResult
    path : str or path-like, optional
    figsize : (float, float)

    Returns
    -------
    Figure
    """
    if isinstance(history, LloydResult):
        history = history.history
    if not isinstance(history, Sequence) or len(history) == 0:
        raise ValueError("history must be a non-empty list of Step objects "
                         "(reference.lloyd(X, means).history).")
    values = [float(step.inertia) for step in history]
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    ax.plot(range(len(values)), values, marker="o")
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_xlabel("iteration")
    ax.set_ylabel("inertia (sum of squared distances)")
    ax.set_title("Inertia per iteration")
    _save(fig, path)
    return fig


def data_scatter(X, labels=None, path: str | PathLike | None = None,
                 figsize=(5.0, 4.5)) -> Figure:
    """The raw data, in gray as K-means sees it, or coloured by the true classes.

    Parameters
    ----------
    X : array-like of shape (n_samples, n_features), n_features >= 2
    labels : array-like of shape (n_samples,), optional
        E.g. ``df['true_cluster']``; each distinct value gets a bold colour
        and a legend entry. Without it every point is light gray.
    path : str or path-like, optional
    figsize : (float, float)

    Returns
    -------
    Figure
    """
    points, axis_names, note = _check_points(X)
    fig = _new_figure(figsize)
    ax = fig.add_subplot()
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=_POINT_SIZE, c=_UNLABELLED)
        ax.set_title("The data, unlabelled as K-means sees it" + note)
    else:
        labels = np.asarray(labels)
        if labels.shape != (points.shape[0],):
            raise ValueError(f"labels has shape {labels.shape} but X has {points.shape[0]} "
                             f"rows; pass one label per row, e.g. df['true_cluster'].")
        classes = sorted(pd.unique(labels).tolist(), key=str)
        bold, _ = paired_palette(len(classes))
        for colour, cls in zip(bold, classes):
            mask = labels == cls
            ax.scatter(points[mask, 0], points[mask, 1], s=_POINT_SIZE, color=colour,
                       label=str(cls))
        ax.legend(title="true cluster", fontsize="small")
        ax.set_title("The data coloured by true cluster" + note)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    _save(fig, path)
    return fig
