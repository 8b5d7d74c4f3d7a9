"""The shared strategies keep the promises their docstrings make."""

import re

import numpy as np
import pandas as pd
import pytest
from hypothesis import Phase, find, given, settings
from hypothesis import strategies as st
from hypothesis.errors import InvalidArgument

from kmeans_kit.checks import strategies as ks

BOUND = 10.0 * 10.0 ** ks.SCALE_EXPONENTS[1]
# `find` searches for an example; give it room without depending on the profile.
# "Such an example exists" needs no shrinking; the explain phase only annotates
# failure reports. Both would multiply the time.
FIND = settings(max_examples=500, database=None, derandomize=True, phases=[Phase.generate])
SHRINK = settings(FIND, phases=[Phase.generate, Phase.shrink])


def assert_well_formed(frame: pd.DataFrame, min_rows=1, max_rows=60, min_cols=1, max_cols=6):
    assert isinstance(frame, pd.DataFrame)
    assert min_rows <= frame.shape[0] <= max_rows
    assert min_cols <= frame.shape[1] <= max_cols
    assert all(dtype == np.float64 for dtype in frame.dtypes)
    values = frame.to_numpy()
    assert np.isfinite(values).all()
    assert np.abs(values).max(initial=0.0) <= BOUND
    assert frame.columns.is_unique and frame.index.is_unique
    assert not frame.index.equals(pd.RangeIndex(len(frame))) or len(frame) == 0
    for name in frame.columns:
        assert not (isinstance(name, str) and re.fullmatch(r"x\d+", name))
    if all(isinstance(name, (int, np.integer)) for name in frame.columns):
        assert list(frame.columns) != list(range(frame.shape[1]))


@given(ks.feature_frames())
def test_feature_frames_are_finite_bounded_and_oddly_labelled(frame):
    assert_well_formed(frame)


@given(ks.feature_frames(min_rows=0, max_rows=3, min_cols=2, max_cols=2))
def test_feature_frames_respect_the_bounds(frame):
    assert_well_formed(frame, min_rows=0, max_rows=3, min_cols=2, max_cols=2)


@given(ks.feature_frames(integer_valued=True))
def test_integer_valued_frames_hold_small_whole_numbers(frame):
    values = frame.to_numpy()
    assert np.array_equal(values, np.round(values))
    assert np.abs(values).max() <= 6


@given(st.integers(1, 20).flatmap(lambda n: st.tuples(st.just(n), ks.column_names(n))))
def test_column_names_are_unique_and_homogeneous(n_and_names):
    n, names = n_and_names
    assert len(names) == n == len(set(names))
    assert all(isinstance(x, str) for x in names) or all(isinstance(x, int) for x in names)


def test_frames_can_hold_unicode_and_spaces_in_names_and_string_indexes():
    found = find(ks.feature_frames(max_rows=3),
                 lambda df: any(isinstance(c, str) and (" " in c or not c.isascii())
                                for c in df.columns) and df.index.dtype != np.int64,
                 settings=FIND)
    assert_well_formed(found, max_rows=3)


def test_float_frames_span_several_magnitudes():
    small = find(ks.feature_frames(max_rows=3, integer_valued=False),
                 lambda df: 0 < np.abs(df.to_numpy()).max() < 0.1, settings=FIND)
    large = find(ks.feature_frames(max_rows=3, integer_valued=False),
                 lambda df: np.abs(df.to_numpy()).max() > 1000, settings=FIND)
    assert_well_formed(small, max_rows=3)
    assert_well_formed(large, max_rows=3)


def test_failing_examples_shrink_to_a_few_rows():
    # A property "fails" as soon as there are two distinct rows: the shrunk
    # example must be exactly that small, not a 60-row frame.
    found = find(ks.feature_frames(), lambda df: len(df.drop_duplicates()) >= 2,
                 settings=SHRINK)
    assert found.shape == (2, 1)


@given(ks.frames_and_means(max_k=5))
def test_frames_and_means_shapes(frame_means):
    frame, means = frame_means
    assert_well_formed(frame)
    assert isinstance(means, np.ndarray) and means.dtype == np.float64
    assert means.ndim == 2 and 1 <= means.shape[0] <= 5 and means.shape[1] == frame.shape[1]
    assert np.isfinite(means).all() and np.abs(means).max() <= BOUND


@given(ks.frames_and_means(from_rows=True))
def test_means_from_rows_are_rows(frame_means):
    frame, means = frame_means
    rows = {tuple(row) for row in frame.to_numpy()}
    assert all(tuple(mean) in rows for mean in means)


def test_exact_ties_occur_with_integer_data():
    def has_tie(frame_means):
        frame, means = frame_means
        dist = ((frame.to_numpy()[:, None, :] - means[None]) ** 2).sum(axis=2)
        best = dist.min(axis=1, keepdims=True)
        return ((dist == best).sum(axis=1) > 1).any() and len(np.unique(means, axis=0)) > 1

    frame, means = find(ks.frames_and_means(integer_valued=True), has_tie, settings=FIND)
    assert has_tie((frame, means))


@given(ks.frames_labels_means(max_k=6))
def test_labels_are_in_range(frame_labels_means):
    frame, labels, means = frame_labels_means
    assert_well_formed(frame)
    assert labels.dtype == np.intp and labels.shape == (len(frame),)
    assert means.shape[1] == frame.shape[1] and 1 <= means.shape[0] <= 6
    assert labels.min() >= 0 and labels.max() < means.shape[0]


@given(ks.frames_labels_means(max_k=6, allow_empty=False))
def test_no_empty_cluster_when_not_allowed(frame_labels_means):
    frame, labels, means = frame_labels_means
    assert np.array_equal(np.unique(labels), np.arange(means.shape[0]))


def test_empty_clusters_are_generated_when_allowed():
    frame, labels, means = find(
        ks.frames_labels_means(max_k=4, max_rows=8),
        lambda flm: len(np.unique(flm[1])) < flm[2].shape[0] <= len(flm[0]), settings=FIND)
    assert np.bincount(labels, minlength=len(means)).min() == 0


@given(ks.blobs())
def test_blobs_are_well_separated(blob):
    frame, truth, k = blob
    assert_well_formed(frame, min_rows=k, max_rows=12 * k, max_cols=4)
    assert truth.shape == (len(frame),) and set(np.unique(truth)) == set(range(k))
    values = frame.to_numpy()
    dist = np.sqrt(((values[:, None] - values[None]) ** 2).sum(axis=2))
    same = truth[:, None] == truth[None]
    # Every point is closer to all of its own cluster than to any other cluster.
    widest = np.where(same, dist, 0).max()
    nearest_other = np.where(same, np.inf, dist).min(initial=np.inf)
    assert widest * 2 < nearest_other


def test_bad_bounds_are_rejected():
    with pytest.raises(InvalidArgument, match="max_k"):
        find(ks.frames_and_means(max_k=0), bool, settings=FIND)
    with pytest.raises(InvalidArgument, match="spread"):
        find(ks.blobs(spread=0.3), bool, settings=FIND)


@given(ks.frames_labels_means(max_k=4, allow_empty=False, min_k=3, min_rows=1, max_rows=5))
def test_min_k_raises_the_row_count_when_clusters_must_be_filled(frame_labels_means):
    frame, labels, means = frame_labels_means
    assert 3 <= len(means) <= len(frame) <= 5
    assert np.array_equal(np.unique(labels), np.arange(len(means)))


@given(ks.frames_and_means(min_k=2, max_k=2))
def test_frames_and_means_honour_min_k(frame_means):
    assert frame_means[1].shape[0] == 2
