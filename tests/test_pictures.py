"""Tests of core/pictures.py: units' incoming weights as images, the mean activation of
each unit per class, and the confusion matrix.  Every number is checked a second way
(a plain loop, a mask per class), on more than one seed."""

from __future__ import annotations

import numpy as np
import pytest

from tui_symmetry.core.pictures import (
    UnitPictures,
    accuracy_of,
    class_counts,
    class_means,
    confusion_matrix,
    outgoing_norms,
    top_classes,
    unit_images,
    unit_pictures,
)

DIGITS_SHAPE = (8, 8)


def _table(seed: int, hidden: int = 13, rows: int = 300, classes: int = 10):
    """A synthetic image table: W1 (H, 64), hidden activations (H, N), labels (N,)."""
    rng = np.random.default_rng(seed)
    W1 = rng.normal(size=(hidden, 64))
    X = rng.normal(size=(rows, 64))
    labels = rng.integers(0, classes, size=rows)
    return W1, np.tanh(W1 @ X.T), labels


# -- images ----------------------------------------------------------------------------------


def test_images_are_the_incoming_weights_row_by_row_on_one_shared_scale():
    W1 = np.arange(2 * 6, dtype=float).reshape(2, 6) - 5.0  # 2 units, 3×2 pictures
    W1[1] *= 0.5
    images = unit_images(W1, (3, 2))
    assert images.shape == (3, 2) and images.values.shape == (2, 3, 2)
    assert images.values[0, 1, 0] == W1[0, 2]  # row-major: pixel (r, c) is feature r·w + c
    assert np.array_equal(images.values.reshape(2, 6), W1)
    # One scale for every unit (the largest |w| of any), so unit 1's half-size weights
    # read lighter than unit 0's: the pictures compare.
    assert images.scale == np.abs(W1).max() == 5.0
    assert not images.values.flags.writeable


def test_exact_zeros_are_kept_as_zeros_and_tiny_weights_are_not_rounded_to_them():
    # L1 makes exact zeros; a weight of 1e-50 is not one (float32 would say it is).
    W1 = np.array([[0.0, 1e-50, -2.0, 0.5]])
    images = unit_images(W1, (2, 2))
    assert images.exact_zeros.tolist() == [[[True, False], [False, False]]]
    assert images.values[0, 0, 1] == 1e-50


def test_the_scale_ignores_non_finite_weights_and_is_zero_for_all_zeros():
    assert unit_images(np.zeros((3, 4)), (2, 2)).scale == 0.0
    W1 = np.array([[np.nan, 1.0, -3.0, np.inf]])
    assert unit_images(W1, (2, 2)).scale == 3.0


@pytest.mark.parametrize("shape", [(8, 7), (0, 8), (-8, -8)])
def test_a_shape_that_does_not_hold_the_features_is_refused_in_one_line(shape):
    with pytest.raises(ValueError, match=r"^64 incoming weights cannot be a picture of "):
        unit_images(np.zeros((2, 64)), shape)


# -- mean activation per class ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_class_means_match_a_mask_per_class(seed: int):
    _, hidden, labels = _table(seed)
    means = class_means(hidden, labels, 10)
    assert means.shape == (13, 10)
    for c in range(10):
        expected = hidden[:, labels == c].mean(axis=1)
        np.testing.assert_allclose(means[:, c], expected, rtol=1e-12, atol=1e-15)
    assert class_counts(labels, 10).tolist() == [int((labels == c).sum()) for c in range(10)]


def test_copies_get_bit_identical_class_means():
    _, hidden, labels = _table(3, hidden=13, rows=1797)
    hidden[[4, 7, 12]] = hidden[0]  # units 4, 7 and 12 are copies of unit 0
    means = class_means(hidden, labels, 10)
    for copy in (4, 7, 12):
        assert means[copy].tobytes() == means[0].tobytes()


def test_a_class_without_rows_has_no_mean_rather_than_a_made_up_one():
    hidden = np.array([[1.0, 3.0, 5.0]])
    means = class_means(hidden, np.array([0, 0, 2]), 3)
    assert means[0, 0] == 2.0 and np.isnan(means[0, 1]) and means[0, 2] == 5.0


@pytest.mark.parametrize("labels, message", [
    (np.array([0, 3]), r"^labels must be class numbers 0\.\.2, not 3$"),
    (np.array([0, -1]), r"^labels must be class numbers 0\.\.2, not -1$"),
    (np.array([0.5, 1.0]), r"^labels must be class numbers 0\.\.2, not 0\.5$"),
    (np.array([0.0, np.nan]), r"^labels must be class numbers 0\.\.2, not nan$"),
])
def test_labels_outside_the_classes_are_refused_in_one_line(labels, message):
    with pytest.raises(ValueError, match=message):
        class_means(np.ones((2, 2)), labels, 3)


def test_top_classes_name_each_units_strongest_class_and_skip_empty_ones():
    means = np.array([[0.1, 0.9, np.nan], [-0.8, 0.2, np.nan], [np.nan, np.nan, np.nan]])
    best, value = top_classes(means)
    assert best.tolist() == [1, 1, -1]
    assert value[:2].tolist() == [0.9, 0.2] and np.isnan(value[2])


# -- confusion matrix ------------------------------------------------------------------------


def _confusion_by_loop(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    counts = np.zeros((classes, classes), dtype=np.int64)
    for true, guess in zip(labels.tolist(), predicted.tolist(), strict=True):
        counts[true, guess] += 1
    return counts


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_confusion_counts_match_a_loop_rows_true_columns_predicted(seed: int):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, 10, size=360)
    predicted = np.where(rng.random(360) < 0.8, labels, rng.integers(0, 10, size=360))
    confusion = confusion_matrix(labels, predicted, 10)
    assert confusion.dtype == np.int64 and confusion.shape == (10, 10)
    assert np.array_equal(confusion, _confusion_by_loop(labels, predicted, 10))
    assert confusion.sum(axis=1).tolist() == class_counts(labels, 10).tolist()
    assert accuracy_of(confusion) == float(np.mean(labels == predicted))


def test_confusion_is_not_symmetric_by_accident():
    # Two 0s predicted as 1, none the other way: the row is the true class.
    confusion = confusion_matrix(np.array([0, 0, 1]), np.array([1, 1, 1]), 2)
    assert confusion.tolist() == [[0, 2], [0, 1]]


def test_an_empty_split_has_no_accuracy():
    confusion = confusion_matrix(np.array([], dtype=int), np.array([], dtype=int), 3)
    assert confusion.tolist() == [[0] * 3] * 3 and accuracy_of(confusion) is None


def test_activations_and_labels_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"^3 activations per unit but 2 labels$"):
        class_means(np.ones((2, 3)), np.array([0, 1]), 2)


def test_weights_that_are_not_one_row_per_unit_are_refused():
    with pytest.raises(ValueError, match=r"^incoming weights must be one row per unit"):
        unit_images(np.zeros(64), (8, 8))


def test_labels_and_predictions_of_different_lengths_are_refused():
    with pytest.raises(ValueError, match=r"^3 labels but 2 predictions$"):
        confusion_matrix(np.array([0, 1, 1]), np.array([0, 1]), 2)


# -- the record ------------------------------------------------------------------------------


def test_unit_pictures_gathers_images_means_and_counts():
    W1, hidden, labels = _table(5)
    pictures = unit_pictures(W1, hidden, labels, 10, DIGITS_SHAPE)
    assert isinstance(pictures, UnitPictures)
    assert pictures.images is not None and pictures.images.values.shape == (13, 8, 8)
    assert np.array_equal(pictures.class_means, class_means(hidden, labels, 10))
    assert pictures.class_counts.tolist() == class_counts(labels, 10).tolist()
    # A table whose rows are not images (wine, iris, a CSV) has no pictures.
    assert unit_pictures(W1, hidden, labels, 10).images is None


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_outgoing_norms_are_the_length_of_each_units_vector_centred_under_softmax(seed: int):
    rng = np.random.default_rng(seed)
    W2 = rng.standard_normal((4, 6))  # C = 4 outputs, H = 6 units
    for centred in (False, True):
        expected = []
        for i in range(6):  # a second way: unit by unit, written out
            v = [float(W2[c, i]) for c in range(4)]
            mean = sum(v) / 4 if centred else 0.0
            expected.append(sum((x - mean) ** 2 for x in v) ** 0.5)
        np.testing.assert_allclose(outgoing_norms(W2, centred), expected, rtol=1e-12)
    # softmax cannot see v + α·1: neither can the centred length
    shifted = W2 + rng.standard_normal(6)[None, :]
    np.testing.assert_allclose(outgoing_norms(shifted, True), outgoing_norms(W2, True),
                               rtol=1e-12)
