"""What the units view shows for a table: pictures, class means, the confusion matrix.

For image data (the 8 × 8 digits: D = 64 features, pixel (r, c) is feature r·w + c) a
hidden unit's incoming weights ``W1[i]`` *are* a picture: the pattern the unit responds
to.  All units share one symmetric colour scale, ±(the largest |w| of any unit), so
pictures compare (a unit with half the weights reads half as strong) and zero is its
middle; exact zeros (L1 makes them) are kept apart from small weights, so they can be
drawn as zeros.  Values stay float64: a weight of 1e−50 is not a zero (float32 would
round it to one).

For every table: the mean activation of unit i over the training rows of class c
(``class_means``, (H, C)), and the confusion matrix of a split (``confusion_matrix``,
(C, C) counts, rows = true class, columns = predicted class).

Copies stay copies here too: the class means are one ``einsum`` without BLAS
(``optimize=False``), which computes every output element by the same loop over rows
in the same order, so units with bit-identical activations get bit-identical means
(a blocked matrix product may round rows at different places differently).

Plain numpy; the app draws these records (app/widgets/_pixels.py, confusion.py) and
computes nothing itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot


@dataclass(frozen=True)
class UnitImages:
    """Every unit's incoming weights as an h × w picture, on one shared scale."""

    values: np.ndarray
    """(H, h, w) float64, read-only: ``values[i].ravel() == W1[i]``."""
    scale: float
    """The largest finite |w| over every unit's pixels (0.0 when there is none): the
    colours span −scale … +scale for every picture alike, zero in the middle."""

    @property
    def shape(self) -> tuple[int, int]:
        """(h, w) of one picture."""
        return int(self.values.shape[1]), int(self.values.shape[2])

    @property
    def exact_zeros(self) -> np.ndarray:
        """(H, h, w) bool: the pixels whose weight is exactly 0 (not merely small)."""
        return self.values == 0


@dataclass(frozen=True)
class UnitPictures:
    """What the units view shows for a table dataset (D > 2)."""

    images: UnitImages | None
    """The incoming weights as pictures (image data only, else None)."""
    class_means: np.ndarray
    """(H, C) float64: the mean activation of unit i on the training rows of class c
    (NaN for a class with no training row)."""
    class_counts: np.ndarray
    """(C,) int64: the training rows of each class."""


def unit_images(W1: np.ndarray, shape: tuple[int, int]) -> UnitImages:
    """The units' incoming weights ``W1`` (H, D) as (H, h, w) pictures, ``h·w == D``.

    Raises:
        ValueError: when ``W1`` is not (H, D) or ``shape`` does not hold exactly D pixels.
    """
    W1 = np.asarray(W1, dtype=np.float64)
    if W1.ndim != 2:
        raise ValueError(f"incoming weights must be one row per unit (H, D), not {W1.shape}")
    h, w = (int(n) for n in shape)
    if h <= 0 or w <= 0 or h * w != W1.shape[1]:
        raise ValueError(f"{W1.shape[1]} incoming weights cannot be a picture of "
                         f"{shape[0]} × {shape[1]} pixels")
    values = W1.reshape(W1.shape[0], h, w).copy()
    values.flags.writeable = False
    return UnitImages(values, _largest_size(values))


def _check_labels(labels: np.ndarray, classes: int, what: str = "labels") -> np.ndarray:
    """``labels`` as int64 class numbers, or a one-line ValueError naming the first
    value that is not one of 0 … classes − 1."""
    array = np.asarray(labels)
    with np.errstate(invalid="ignore"):  # NaN and inf cast to garbage, caught just below
        as_int = array.astype(np.int64)
    bad = (as_int != array) | (as_int < 0) | (as_int >= classes)
    if np.any(bad):
        first = array.ravel()[int(np.flatnonzero(bad.ravel())[0])]
        shown = int(first) if float(first).is_integer() else float(first)
        raise ValueError(f"{what} must be class numbers 0..{classes - 1}, not {shown}")
    return as_int.ravel()


def class_counts(labels: np.ndarray, classes: int) -> np.ndarray:
    """(C,) int64: how many of ``labels`` (N,) are each class."""
    return np.bincount(_check_labels(labels, classes), minlength=classes).astype(np.int64)


def class_means(hidden: np.ndarray, labels: np.ndarray, classes: int) -> np.ndarray:
    """(H, C) float64: unit i's mean activation over the rows of class c.

    ``hidden`` is (H, N), the units' activations on the N rows whose classes are
    ``labels`` (N,).  A class with no row has no mean: NaN, never 0 (which would read as
    "this unit is silent on that class").
    """
    hidden = np.asarray(hidden, dtype=np.float64)
    codes = _check_labels(labels, classes)
    if hidden.shape[1] != codes.size:
        raise ValueError(f"{hidden.shape[1]} activations per unit but {codes.size} labels")
    one_hot = np.zeros((codes.size, classes))
    one_hot[np.arange(codes.size), codes] = 1.0
    sums = np.einsum("hn,nc->hc", hidden, one_hot, optimize=False)
    counts = np.bincount(codes, minlength=classes)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, sums / counts, np.nan)


def top_classes(means: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(best class, its mean) per unit of ``means`` (H, C): the class a unit is most
    active on, as a tile's label says it (``u7 ↑3 .82``); -1 and NaN where no class has
    a mean."""
    means = np.asarray(means, dtype=np.float64)
    known = ~np.isnan(means)
    filled = np.where(known, means, -np.inf)
    best = np.argmax(filled, axis=1)
    any_known = known.any(axis=1)
    value = np.where(any_known, filled[np.arange(len(best)), best], np.nan)
    return np.where(any_known, best, -1), value


def confusion_matrix(labels: np.ndarray, predicted: np.ndarray, classes: int) -> np.ndarray:
    """(C, C) int64 counts: row = the true class, column = the predicted class."""
    true = _check_labels(labels, classes)
    guess = _check_labels(predicted, classes, "predictions")
    if true.size != guess.size:
        raise ValueError(f"{true.size} labels but {guess.size} predictions")
    counts = np.zeros((classes, classes), dtype=np.int64)
    np.add.at(counts, (true, guess), 1)
    return counts


def accuracy_of(confusion: np.ndarray) -> float | None:
    """The share of rows on the diagonal of ``confusion``; None for an empty split."""
    total = int(np.sum(confusion))
    return float(np.trace(confusion)) / total if total else None


def unit_pictures(W1: np.ndarray, hidden: np.ndarray, labels: np.ndarray, classes: int,
                  image_shape: tuple[int, int] | None = None) -> UnitPictures:
    """The record of what the units view shows: ``W1`` (H, D) as pictures when the rows
    are images of ``image_shape``, and the class means of ``hidden`` (H, N) over the
    training ``labels`` (N,)."""
    images = None if image_shape is None else unit_images(W1, image_shape)
    return UnitPictures(images, class_means(hidden, labels, classes),
                        class_counts(labels, classes))


def outgoing_norms(W2: np.ndarray, centred: bool, units: int | None = None) -> np.ndarray:
    """(H,) the length of each unit's outgoing vector, the column i of ``W2`` (C, H), or
    of a conv filter's block of P columns ``W2[:, kP:(k+1)P]`` (``units`` = K filters);
    ``centred``: less its mean over the outputs, column by column (softmax sees v and
    v + α·1 alike, per pooled cell for a filter, so only the centred part is the unit's)."""
    W2 = np.asarray(W2, dtype=np.float64)
    if centred:
        W2 = W2 - W2.mean(axis=0, keepdims=True)
    squares = np.einsum("ch,ch->h", W2, W2)
    if units is not None and units != squares.size:
        # One fixed sum per block, the same operations for every filter: copies of a
        # filter get bit-identical lengths.
        squares = squares.reshape(units, -1).sum(axis=1)
    return np.sqrt(squares)


def unit_picture(snapshot: Snapshot) -> tuple[int, int] | None:
    """(h, w) of the picture a unit's incoming weights make: an image (an MLP's unit on
    the digits: 8 × 8) or a conv filter's kernel (k × k); None when they are no picture."""
    pictures = snapshot.pictures
    if pictures is None or pictures.images is None:
        return None
    return pictures.images.shape


@dataclass(frozen=True)
class FilterPictures:
    """What the filters view shows for a conv run: every filter's kernel, its feature map
    on one chosen training image, and that image with the network's answer.

    Kernels share one symmetric scale and the maps another (each ±(its largest finite
    size)), so filters compare with one another; identical filters have bit-identical
    kernels, maps and outgoing lengths, so they draw as identical tiles.
    """

    kernels: np.ndarray
    """(K, k, k) float64, read-only: filter k's kernel (its bias is not a pixel)."""
    kernel_scale: float
    """The largest finite |w| over every kernel (0.0 when there is none)."""
    maps: np.ndarray
    """(K, S, S) float64, read-only: φ(z) of each filter at each position of the image."""
    map_scale: float
    """The largest finite |φ(z)| over every map (0.0 when there is none)."""
    outgoing: np.ndarray
    """(K,) the length of each filter's outgoing block (centred for softmax:
    :func:`outgoing_norms`), the ``‖v‖`` of a tile's label."""
    image: np.ndarray
    """(h, w) float64, read-only: the chosen image as the network sees it."""
    image_index: int
    """Which training image (0-based) it is."""
    images: int
    """How many training images there are to choose from."""
    label: int
    """Its class."""
    predicted: int
    """The class the network gives it (the largest output)."""
    confidence: float
    """The network's probability of that class (softmax of the outputs)."""


def filter_pictures(kernels: np.ndarray, maps: np.ndarray, outgoing: np.ndarray,
                    image: np.ndarray, image_index: int, images: int, label: int,
                    predicted: int, confidence: float) -> FilterPictures:
    """The filters view's record from the engine's arrays: ``kernels`` (K, k, k), the
    feature ``maps`` (K, S, S) on ``image`` (h, w), training image ``image_index`` of
    ``images``, of class ``label``, which the network gives class ``predicted`` with
    probability ``confidence``.

    Raises:
        ValueError: when the shapes disagree or the index is out of range.
    """
    kernels = _frozen_array(kernels)
    maps = _frozen_array(maps)
    outgoing = _frozen_array(outgoing)
    image = _frozen_array(image)
    count = kernels.shape[0] if kernels.ndim == 3 else -1
    if (kernels.ndim != 3 or kernels.shape[1] != kernels.shape[2] or maps.ndim != 3
            or maps.shape[0] != count or maps.shape[1] != maps.shape[2]
            or outgoing.shape != (count,) or image.ndim != 2):
        raise ValueError(f"filters need kernels (K, k, k), maps (K, S, S) and K outgoing "
                         f"lengths, not {kernels.shape}, {maps.shape}, {outgoing.shape}")
    if not 0 <= image_index < images:
        raise ValueError(f"image {image_index} is not one of the {images} training images")
    return FilterPictures(kernels, _largest_size(kernels), maps, _largest_size(maps),
                          outgoing, image, int(image_index), int(images), int(label),
                          int(predicted), float(confidence))


def filters_of(snapshot: Snapshot) -> FilterPictures | None:
    """The filters view's record of ``snapshot`` (None unless it is of a conv run): its
    kernels (the units' pictures), the feature maps on its chosen training image, the
    length of each filter's outgoing block (centred per pooled cell under softmax)."""
    pictures, maps = snapshot.pictures, snapshot.feature_maps
    if (pictures is None or pictures.images is None or maps is None
            or snapshot.image is None or snapshot.image_index is None
            or snapshot.image_label is None or snapshot.image_prediction is None
            or snapshot.image_confidence is None):
        return None
    params = snapshot.params
    outgoing = outgoing_norms(params.W2, snapshot.config.loss == "softmax",
                              int(params.b1.shape[0]))
    return filter_pictures(pictures.images.values, maps, outgoing, snapshot.image,
                           snapshot.image_index, int(pictures.class_counts.sum()),
                           snapshot.image_label, snapshot.image_prediction,
                           snapshot.image_confidence)


def _frozen_array(values: np.ndarray) -> np.ndarray:
    """A read-only float64 copy of ``values``."""
    array = np.array(values, dtype=np.float64)
    array.flags.writeable = False
    return array


def _largest_size(values: np.ndarray) -> float:
    """The largest finite |value| (0.0 when there is none): a picture's shared scale."""
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size else 0.0
