"""The pictures: palette, storyboard, GIF, inertia plot, data scatter."""

import colorsys

import numpy as np
import pandas as pd
import pytest
from matplotlib.colors import to_rgba
from PIL import Image

from kmeans_kit.data import EMPTY_CLUSTER_SEED, notes_blobs, notes_initial_means
from kmeans_kit.notes import notes_lloyd
from kmeans_kit.plots import (
    animate,
    data_scatter,
    embed_gif,
    inertia_plot,
    paired_palette,
    storyboard,
)
from reference import Step, init_means, lloyd


@pytest.fixture(scope="module")
def run398():
    blobs = notes_blobs()
    return blobs, lloyd(blobs.X, notes_initial_means(blobs))


def _lightness(rgb):
    return colorsys.rgb_to_hls(*rgb[:3])[1]


# --------------------------------------------------------------------------- palette
def test_palette_pairs_are_bold_and_pale_of_the_same_hue():
    bold, pale = paired_palette(10)
    assert len(bold) == len(pale) == 10 and len(set(bold)) == 10
    for b, p in zip(bold, pale):
        assert _lightness(p) > _lightness(b) + 0.1
    # tab20 order: even entries bold, odd entries pale.
    assert bold[0] == pytest.approx((0.1216, 0.4667, 0.7059), abs=1e-3)   # tab:blue
    assert pale[0] == pytest.approx((0.6824, 0.7804, 0.9098), abs=1e-3)


def test_palette_cycles_after_ten_clusters():
    bold, pale = paired_palette(12)
    assert bold[10] == bold[0] and pale[11] == pale[1]


def test_palette_rejects_bad_k():
    with pytest.raises(ValueError, match="positive integer"):
        paired_palette(0)


# --------------------------------------------------------------------------- storyboard
def test_storyboard_has_one_titled_panel_per_step(run398, tmp_path):
    blobs, result = run398
    path = tmp_path / "story.png"
    fig = storyboard(blobs.X, result.history, path=path)
    assert len(fig.axes) == len(result.history) == 4
    for i, (ax, step) in enumerate(zip(fig.axes, result.history)):
        assert ax.get_title().startswith(f"iteration {i}\n")
        assert f"{step.inertia:.4g}" in ax.get_title()
    with Image.open(path) as image:
        # 3 panels of 3 inches per row, 2 rows plus the title strip, at 100 dpi.
        assert image.size == (900, 640)


def test_storyboard_points_pale_means_bold(run398):
    blobs, result = run398
    fig = storyboard(blobs.X, result.history)
    bold, pale = paired_palette(4)
    for ax, step in zip(fig.axes, result.history):
        points, means = ax.collections
        np.testing.assert_allclose(points.get_facecolors()[:, :3],
                                   np.asarray(pale)[step.labels], atol=1e-6)
        np.testing.assert_allclose(means.get_facecolors()[:, :3], bold, atol=1e-6)
        np.testing.assert_allclose(means.get_offsets(), step.means)


def test_storyboard_selected_iterations_and_columns(run398):
    blobs, result = run398
    fig = storyboard(blobs.X, result, iterations=[0, 3], ncols=2)
    assert [ax.get_title().split("\n")[0] for ax in fig.axes] == ["iteration 0", "iteration 3"]
    with pytest.raises(ValueError, match="iterations"):
        storyboard(blobs.X, result.history, iterations=[7])


def test_storyboard_many_features_and_clusters():
    blobs = notes_blobs(C=12, D=3, N=240, seed=0)
    result = lloyd(blobs.X, init_means(blobs.X, 12, random_state=0), max_iter=3)
    fig = storyboard(blobs.X, result.history)
    assert len(fig.axes) == len(result.history)
    assert "first 2 of 3 features" in fig.get_suptitle()
    assert fig.axes[0].get_ylabel() == "x1" and fig.axes[1].get_ylabel() == ""
    assert fig.axes[-1].get_xlabel() == "x0"
    assert len(fig.axes[0].collections[1].get_offsets()) == 12


def test_storyboard_of_the_notes_run_with_an_empty_cluster():
    blobs = notes_blobs(seed=EMPTY_CLUSTER_SEED)
    run = notes_lloyd(blobs.df, blobs.data_cols, notes_initial_means(blobs))
    fig = storyboard(blobs.X, run.history(blobs.X))
    assert [len(ax.collections[1].get_offsets()) for ax in fig.axes] == [4, 4, 3, 3]


# --------------------------------------------------------------------------- animation
def test_gif_has_every_frame_including_the_last(run398, tmp_path):
    blobs, result = run398
    path = animate(blobs.X, result.history, tmp_path / "run.gif", fps=2)
    with Image.open(path) as image:
        assert image.n_frames == len(result.history)
        assert image.size == (400, 400)
        image.seek(image.n_frames - 1)
        last = np.asarray(image.convert("RGB"))
        image.seek(image.n_frames - 2)
        before_last = np.asarray(image.convert("RGB"))
    assert not np.array_equal(last, before_last)


def test_gif_keeps_identical_consecutive_steps(tmp_path):
    rng = np.random.default_rng(0)
    X = pd.DataFrame(rng.normal(size=(60, 2)), index=np.arange(100, 160), columns=["p", "q"])
    result = lloyd(X, init_means(X, 5, random_state=1), max_iter=3)
    history = result.history + [result.history[-1]] * 2   # identical pictures but the title
    path = animate(X, history, tmp_path / "long.gif", fps=5, figsize=(3, 2), dpi=50)
    with Image.open(path) as image:
        assert image.n_frames == len(history)
        assert image.size == (150, 100)


def test_gif_path_and_fps_are_checked(run398, tmp_path):
    blobs, result = run398
    with pytest.raises(ValueError, match=r"\.gif"):
        animate(blobs.X, result.history, tmp_path / "run.mp4")
    with pytest.raises(ValueError, match="fps"):
        animate(blobs.X, result.history, tmp_path / "run.gif", fps=0)


# --------------------------------------------------------------------------- inertia, data
def test_inertia_plot_draws_every_step(run398, tmp_path):
    _, result = run398
    fig = inertia_plot(result.history, path=tmp_path / "inertia.png")
    (line,) = fig.axes[0].lines
    np.testing.assert_allclose(line.get_ydata(), [s.inertia for s in result.history])
    np.testing.assert_array_equal(line.get_xdata(), np.arange(len(result.history)))
    assert (tmp_path / "inertia.png").stat().st_size > 0


def test_data_scatter_gray_and_by_true_cluster(run398, tmp_path):
    blobs, _ = run398
    gray = data_scatter(blobs.X, path=tmp_path / "gray.png")
    (points,) = gray.axes[0].collections
    assert np.allclose(points.get_facecolors()[0], to_rgba("lightgray"))
    coloured = data_scatter(blobs.X, blobs.df["true_cluster"])
    ax = coloured.axes[0]
    assert len(ax.collections) == 4
    assert [t.get_text() for t in ax.get_legend().get_texts()] == ["A", "B", "C", "D"]
    assert sum(len(c.get_offsets()) for c in ax.collections) == len(blobs.df)
    with Image.open(tmp_path / "gray.png") as image:
        assert image.size[0] > 300 and image.size[1] > 300


# --------------------------------------------------------------------------- bad input
def test_empty_history_is_explained(run398):
    blobs, _ = run398
    for draw in (lambda h: storyboard(blobs.X, h), inertia_plot):
        with pytest.raises(ValueError, match="empty|non-empty"):
            draw([])
    no_history = lloyd(blobs.X, blobs.true_means, record_history=False)
    with pytest.raises(ValueError, match="record_history=True"):
        storyboard(blobs.X, no_history)


def test_one_feature_is_explained(run398, tmp_path):
    X = pd.DataFrame({"x0": [1.0, 2.0, 3.0]})
    result = lloyd(X, [[1.0], [3.0]])
    with pytest.raises(ValueError, match="at least 2"):
        storyboard(X, result.history)
    with pytest.raises(ValueError, match="at least 2"):
        animate(X, result.history, tmp_path / "x.gif")
    with pytest.raises(ValueError, match="at least 2"):
        data_scatter(X)


def test_history_from_other_data_is_explained(run398):
    blobs, result = run398
    with pytest.raises(ValueError, match="X has 50 rows"):
        storyboard(blobs.X.iloc[:50], result.history)
    with pytest.raises(TypeError, match="list of Step"):
        storyboard(blobs.X, "history")
    float_labels = [Step(s.means, s.labels.astype(float), s.inertia) for s in result.history]
    with pytest.raises(TypeError, match="integer indices"):
        storyboard(blobs.X, float_labels)
    with pytest.raises(ValueError, match="one label per row"):
        data_scatter(blobs.X, ["A", "B"])


def test_a_long_run_storyboard_is_capped_with_its_first_and_last_steps(run398):
    blobs, result = run398
    # A run that never converges: 51 steps (the argmax mutant's), from the real history.
    long = [result.history[i % len(result.history)] for i in range(51)]
    fig = storyboard(blobs.X, long)
    titles = [ax.get_title() for ax in fig.axes]
    assert len(fig.axes) == 12
    assert titles[0].startswith("iteration 0\n") and titles[-1].startswith("iteration 50\n")
    assert "(12 of 51 steps shown)" in fig._suptitle.get_text()
    # Every step when asked, and the cap itself is checked.
    assert len(storyboard(blobs.X, long, max_panels=60).axes) == 51
    with pytest.raises(ValueError, match="max_panels"):
        storyboard(blobs.X, long, max_panels=1)


def test_the_gif_is_embedded_as_an_img_with_its_bytes(run398, tmp_path):
    import base64

    blobs, result = run398
    path = animate(blobs.X, result.history, tmp_path / "run.gif")
    shown = embed_gif(path)._repr_html_()
    assert shown.startswith('<img src="data:image/gif;base64,')
    encoded = shown.split("base64,", 1)[1].split('"', 1)[0]
    assert base64.b64decode(encoded) == path.read_bytes()
    not_a_gif = tmp_path / "fake.gif"
    not_a_gif.write_bytes(b"<script>alert(1)</script>")
    with pytest.raises(ValueError, match="not a GIF"):
        embed_gif(not_a_gif)
