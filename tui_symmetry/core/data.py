"""Seeded toy datasets: 2-D binary classification and 1-D regression."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # config.py reads the registry below: no import at run time
    from tui_symmetry.core.config import Config

DATA_FIELDS = ("dataset", "samples", "noise", "test_fraction", "seed")
"""The settings that define a run's data: equal on these, two configs have the same arrays."""

# Independent random streams, so that changing e.g. dropout does not change the data.
STREAM_DATA, STREAM_INIT, STREAM_BATCH, STREAM_NOISE = range(4)


def data_key(config: Config) -> tuple:
    """The values of ``config``'s :data:`DATA_FIELDS`: a key for anything built from its data."""
    return tuple(getattr(config, name) for name in DATA_FIELDS)


def rng_for(seed: int, stream: int) -> np.random.Generator:
    """The random generator of one stream of a run."""
    return np.random.default_rng([seed, stream])


@dataclass(frozen=True)
class Dataset:
    """Train and test arrays: X is (N, D), y is (N, 1) float64 (0/1 labels or targets)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray


def _xor(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    # Label 1: quadrants where x1 and x2 share a sign; kept off the axes so the
    # labels are clean before noise.
    sign1 = np.where(rng.random(n) < 0.5, -1.0, 1.0)
    sign2 = sign1 if label else -sign1
    return np.column_stack([sign1, sign2]) * rng.uniform(0.1, 1.0, size=(n, 2))


def _moons(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0, np.pi, n)
    if label == 0:
        X = np.column_stack([np.cos(t), np.sin(t)])
    else:
        X = np.column_stack([1 - np.cos(t), 0.5 - np.sin(t)])
    return (X - [0.5, 0.25]) * [0.8, 1.2]


def _circles(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    t = rng.uniform(0, 2 * np.pi, n)
    radius = 1.0 if label == 0 else 0.45
    return radius * np.column_stack([np.cos(t), np.sin(t)])


def _spiral(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    r = rng.uniform(0.1, 1.0, n)
    t = 3.0 * np.pi * r + label * np.pi
    return r[:, None] * np.column_stack([np.cos(t), np.sin(t)])


def _blobs(label: int, n: int, rng: np.random.Generator) -> np.ndarray:
    centre = np.array([0.6, 0.6]) if label else np.array([-0.6, -0.6])
    return centre + 0.25 * rng.standard_normal((n, 2))


def _sine(x: np.ndarray) -> np.ndarray:
    return np.sin(np.pi * x)


def _linear(x: np.ndarray) -> np.ndarray:
    return 0.8 * x - 0.2


@dataclass(frozen=True)
class DatasetSpec:
    """One toy task: a classification's class points, or a regression's target."""

    name: str
    regression: bool
    points: Callable[..., np.ndarray]
    """Classification: (label, n, rng) → the class's (n, 2) points before noise;
    regression: x → the target before noise."""


DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (
        DatasetSpec("xor", False, _xor),
        DatasetSpec("moons", False, _moons),
        DatasetSpec("circles", False, _circles),
        DatasetSpec("spiral", False, _spiral),
        DatasetSpec("blobs", False, _blobs),
        DatasetSpec("sine", True, _sine),
        DatasetSpec("linear", True, _linear),
    )
}
"""Every dataset by name, in the order the command line and the app list them."""


def _class_points(name: str, label: int, n: int, noise: float, rng: np.random.Generator):
    X = DATASETS[name].points(label, n, rng)
    return X + noise * rng.standard_normal(X.shape)


def make_dataset(config: Config) -> Dataset:
    """Build the dataset of ``config``: same config, same arrays, byte for byte.

    Binary tasks are exactly balanced in the training split (a stratified split), so
    an untrained network sits at loss ln 2 with a zero bias gradient.
    """
    rng = rng_for(config.seed, STREAM_DATA)
    n, n_test = config.samples, config.n_test
    if config.is_regression:
        x = rng.uniform(-1.0, 1.0, n)
        y = DATASETS[config.dataset].points(x)
        y = y + config.noise * rng.standard_normal(n)
        order = rng.permutation(n)
        X, Y = x[order, None], y[order, None]
        return Dataset(X[n_test:], Y[n_test:], X[:n_test], Y[:n_test])

    n1 = n // 2
    n0 = n - n1
    test1 = n_test // 2
    test0 = n_test - test1
    X0 = _class_points(config.dataset, 0, n0, config.noise, rng)
    X1 = _class_points(config.dataset, 1, n1, config.noise, rng)
    train = np.concatenate([X0[test0:], X1[test1:]])
    y_train = np.concatenate([np.zeros(n0 - test0), np.ones(n1 - test1)])
    test = np.concatenate([X0[:test0], X1[:test1]])
    y_test = np.concatenate([np.zeros(test0), np.ones(test1)])
    p_train = rng.permutation(len(train))
    p_test = rng.permutation(len(test))
    return Dataset(
        np.ascontiguousarray(train[p_train]),
        y_train[p_train, None],
        np.ascontiguousarray(test[p_test]).reshape(-1, 2),
        y_test[p_test, None],
    )
