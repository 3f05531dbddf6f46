"""The datasets: seeded toys (2-D binary classification, 1-D regression) and tables.

Toys are drawn here; tables (the shipped digits, wine and iris, or a CSV file) are read
by core/tables.py, which this module imports only when a table is asked for, so a toy
run never loads it.  :func:`describe` says what a config's data is (D inputs, C
outputs, the loss, the class names) and :func:`make_dataset` builds its arrays.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # config.py reads the registry below: no import at run time
    from tui_symmetry.core.config import Config
    from tui_symmetry.core.network import Params
    from tui_symmetry.core.tables import Table

DATA_FIELDS = ("dataset", "samples", "noise", "test_fraction", "seed", "data", "data_sha256",
               "target", "task", "teacher_units")
"""The settings that define a run's data: equal on these, two configs have the same arrays."""

DEFAULT_SAMPLES = 200
"""A toy's points unless told otherwise (Config's default); a table uses all its rows."""

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
    """Train and test arrays: X is (N, D) float64; y is (N, 1) float64 (0/1 labels or
    regression targets) for a one-output network, or (N,) int64 class indices 0 … C − 1
    for softmax (C ≥ 3 classes)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    mean: np.ndarray | None = None
    """A table's standardization (docs/maths.md, "Data"): X = (rows − mean) / scale, both
    (D,); None for a toy, which is drawn at its scale."""
    scale: np.ndarray | None = None
    teacher: Params | None = None
    """The ``teacher`` dataset's network, in the units of its standardized targets: as
    a student of its own width it computes y_train exactly (without noise); None for
    every other dataset."""


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
    """One dataset: a toy (its class points or its regression target) or a table."""

    name: str
    regression: bool
    points: Callable[..., np.ndarray] | None
    """Toy classification: (label, n, rng) → the class's (n, 2) points before noise; toy
    regression: x → the target before noise; None for a table."""
    kind: str = "toy"
    """``toy`` (drawn here), ``teacher`` (a random network's outputs, drawn here:
    :func:`_teacher_dataset`) or ``table`` (read by core/tables.py; ``regression`` is
    then decided by the table: a CSV file's task)."""
    pictures: bool = False
    """Whether each row is a square picture (a conv net's input), known without reading
    the table: a config of a conv net is checked when it is made, a scene's at import."""


CSV = "csv"
"""The dataset of a run on the user's own CSV file (the ``data`` setting names it)."""
TEACHER = "teacher"
"""The dataset a random teacher network computes (its width: ``teacher_units``)."""
DEFAULT_TEACHER_UNITS = 3
TEACHER_SCALES = (1.5, 0.5, 1.0)
"""The teacher's draws: incoming weights N(0, 1.5²), biases N(0, 0.5²), outgoing N(0, 1)
(large enough that its tanh units bend over the inputs N(0, I₂))."""

DATASETS: dict[str, DatasetSpec] = {
    spec.name: spec for spec in (
        DatasetSpec("xor", False, _xor),
        DatasetSpec("moons", False, _moons),
        DatasetSpec("circles", False, _circles),
        DatasetSpec("spiral", False, _spiral),
        DatasetSpec("blobs", False, _blobs),
        DatasetSpec("sine", True, _sine),
        DatasetSpec("linear", True, _linear),
        DatasetSpec(TEACHER, True, None, "teacher"),
        DatasetSpec("digits", False, None, "table", pictures=True),
        DatasetSpec("wine", False, None, "table"),
        DatasetSpec("iris", False, None, "table"),
        DatasetSpec(CSV, False, None, "table"),
    )
}
"""Every dataset by name, in the order the command line and the app list them."""

TOY_DATASETS = tuple(name for name, spec in DATASETS.items() if spec.kind == "toy")
TABLE_DATASETS = tuple(name for name, spec in DATASETS.items() if spec.kind == "table")


def is_table(dataset: str) -> bool:
    """True for a dataset read from a table (shipped or CSV), False for a drawn toy."""
    return DATASETS[dataset].kind == "table"


@dataclass(frozen=True)
class DataShape:
    """What a config's data is, before any array is drawn: the network's D inputs and C
    outputs, its loss (a ``network.LOSSES`` name), the class names (``()`` for a
    regression), the feature names, a picture's (rows, columns) when the features are
    an image's pixels, and a table's rows (None for a toy: it draws any number)."""

    inputs: int
    outputs: int
    loss: str
    task: str
    """``binary`` (one logit), ``classes`` (softmax) or ``regression``, as a Table's."""
    classes: tuple[str, ...]
    features: tuple[str, ...]
    image: tuple[int, int] | None = None
    rows: int | None = None

    @property
    def regression(self) -> bool:
        """True when the network fits a number (MSE), not classes."""
        return self.loss == "mse"


_TOY_BINARY = DataShape(2, 1, "bce", "binary", ("0", "1"), ("x0", "x1"))
_TOY_REGRESSION = DataShape(1, 1, "mse", "regression", (), ("x",))
_TEACHER_SHAPE = DataShape(2, 1, "mse", "regression", (), ("x0", "x1"))

_LOSS_OF_TASK = {"binary": "bce", "classes": "softmax", "regression": "mse"}
"""A table's task → the network's loss: two classes are one logit (BCE), three or more a
softmax over C outputs, a number MSE (docs/maths.md, "Many classes")."""

_KEPT: dict[tuple, tuple[DataShape, Dataset]] = {}
_SHAPES: dict[tuple, DataShape] = {}
_SHAPES_KEPT = 16


def keep_dataset(config: Config, shape: DataShape, dataset: Dataset) -> None:
    """Keep ``dataset`` as the data of every config with ``config``'s data settings, so
    the run an export holds replays with its CSV file gone (settings.read_settings_file
    keeps an export's arrays here, exactly as they were trained on)."""
    _KEPT[data_key(config)] = (shape, dataset)


def default_samples(config: Config) -> int:
    """How many rows a run of ``config``'s dataset takes unless told: all of a table's
    (read the first time), :data:`DEFAULT_SAMPLES` points of a toy."""
    rows = describe(config).rows
    return DEFAULT_SAMPLES if rows is None else rows


def table_of(config: Config) -> Table:
    """The table a table dataset reads (core/tables.py; read once, then kept there).

    TableError (one line naming the file, line and column) when it cannot be read."""
    from tui_symmetry.core import tables  # a toy run never loads the table reader

    if config.dataset == CSV:
        return tables.load_csv(config.data, config.target, config.task, config.data_sha256)
    return tables.load_shipped(config.dataset)


def describe(config: Config) -> DataShape:
    """What ``config``'s data is (D, C, loss, names); a table is read the first time.

    TableError when a table cannot be read."""
    if config.dataset == TEACHER:
        return _TEACHER_SHAPE
    if not is_table(config.dataset):
        return _TOY_REGRESSION if DATASETS[config.dataset].regression else _TOY_BINARY
    kept = _KEPT.get(data_key(config))
    if kept is not None:
        return kept[0]
    # Asked for at every snapshot: a CSV file of a known sha256 (the front ends fill it
    # in) is read and hashed once, not each time.  A file that changes later is caught
    # where its rows are read (make_dataset checks its sha256 against the config's).
    if config.dataset == CSV and not config.data_sha256:
        return _describe_table(table_of(config))
    key = (config.dataset, config.data, config.target, config.task, config.data_sha256)
    shape = _SHAPES.get(key)
    if shape is None:
        if len(_SHAPES) >= _SHAPES_KEPT:
            _SHAPES.clear()
        shape = _SHAPES[key] = _describe_table(table_of(config))
    return shape


def _describe_table(table: Table) -> DataShape:
    return shape_of(table.inputs, table.task, table.classes, table.features, table.image,
                    table.rows)


def shape_of(inputs: int, task: str, classes: tuple[str, ...], features: tuple[str, ...],
             image: tuple[int, int] | None = None, rows: int | None = None) -> DataShape:
    """The DataShape of a table of ``task`` (its outputs and loss follow from it)."""
    outputs = len(classes) if task == "classes" else 1
    return DataShape(inputs, outputs, _LOSS_OF_TASK[task], task, classes, features, image,
                     rows)


def _class_points(name: str, label: int, n: int, noise: float, rng: np.random.Generator):
    X = DATASETS[name].points(label, n, rng)
    return X + noise * rng.standard_normal(X.shape)


def make_dataset(config: Config) -> Dataset:
    """Build the dataset of ``config``: same config, same arrays, byte for byte.

    Binary tasks are exactly balanced in the training split (a stratified split), so
    an untrained network sits at loss ln 2 with a zero bias gradient.  A table is split
    and standardized by core/tables.py (:func:`_table_dataset`).
    """
    if is_table(config.dataset):
        return _table_dataset(config)
    if config.dataset == TEACHER:
        return _teacher_dataset(config)
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


def _table_dataset(config: Config) -> Dataset:
    """A table's rows for ``config``: a stratified split by seed of ``samples`` rows,
    standardized by the training split (docs/maths.md, "Data"); the labels as class
    indices (N,) for softmax, as (N, 1) floats for one logit or a regression."""
    kept = _KEPT.get(data_key(config))
    if kept is not None:
        return kept[1]
    from tui_symmetry.core import tables

    table = table_of(config)
    X_train, y_train, X_test, y_test = tables.split_table(
        table, config.seed, config.test_fraction, config.samples)
    X_train, X_test, mean, scale = tables.standardize(X_train, X_test, table.pixel_scale)
    if table.task == "classes":
        y_train, y_test = y_train.astype(np.int64), y_test.astype(np.int64)
    else:
        y_train = y_train.astype(np.float64)[:, None]
        y_test = y_test.astype(np.float64)[:, None]
    return Dataset(np.ascontiguousarray(X_train), y_train, np.ascontiguousarray(X_test),
                   y_test, mean, scale)


def _teacher_dataset(config: Config) -> Dataset:
    """``teacher_units`` tanh units, drawn from the data stream (TEACHER_SCALES), compute
    y at inputs x ~ N(0, I₂); noise·N(0, 1) is added (none at noise 0); the first
    round(samples · test_fraction) points are the test split.  The targets are
    standardized by the training split's mean and standard deviation, and the teacher's
    outgoing weights and bias with them, so the teacher computes y_train exactly."""
    from tui_symmetry.core.network import Params

    rng = rng_for(config.seed, STREAM_DATA)
    r, (sw, sb, sv) = config.teacher_units, TEACHER_SCALES
    W1, b1 = rng.normal(0.0, sw, size=(r, 2)), rng.normal(0.0, sb, size=r)
    W2 = rng.normal(0.0, sv, size=(1, r))
    X = rng.standard_normal((config.samples, 2))
    y = np.tanh(X @ W1.T + b1) @ W2.T
    y = y + config.noise * rng.standard_normal(y.shape)
    n_test = config.n_test
    mean = float(y[n_test:].mean())
    std = float(y[n_test:].std())
    std = std if std > 0.0 else 1.0
    y = (y - mean) / std
    teacher = Params(W1, b1, W2 / std, np.array([-mean / std]))
    return Dataset(np.ascontiguousarray(X[n_test:]), y[n_test:], np.ascontiguousarray(
        X[:n_test]), y[:n_test], teacher=teacher)
