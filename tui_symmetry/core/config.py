"""The run configuration: one plain, validated, immutable record.

Every control in the app and every command-line flag is one field here, described
once in :data:`FIELDS`.  The command line, the app's panels and the export all read
that table, so a new knob is added in exactly one place.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from tui_symmetry.core.conv import KERNEL_SIZES, pooled_cells
from tui_symmetry.core.data import (
    CSV,
    DEFAULT_SAMPLES,
    DEFAULT_TEACHER_UNITS,
    TEACHER,
    DataShape,
    describe,
    is_table,
)
from tui_symmetry.core.data import DATASETS as _DATASET_REGISTRY
from tui_symmetry.core.init import INIT_SCHEMES as _INIT_REGISTRY
from tui_symmetry.core.network import ACTIVATIONS as _ACTIVATION_REGISTRY
from tui_symmetry.core.optim import OPTIMIZERS as _OPTIMIZER_REGISTRY

DATASETS = tuple(_DATASET_REGISTRY)
REGRESSION_DATASETS = tuple(name for name, spec in _DATASET_REGISTRY.items() if spec.regression)
ACTIVATIONS: tuple[str, ...] = tuple(_ACTIVATION_REGISTRY)
"""The activation names, from the registry in network.py (their one home)."""
INITS = tuple(_INIT_REGISTRY)
OPTIMIZERS = tuple(_OPTIMIZER_REGISTRY)

TASKS = ("auto", "classify", "regress")
"""How a CSV file's target is read (core/tables.py, docs/contracts.md "Tables")."""

MAX_HIDDEN = 256
MAX_FILTERS = 32
ARCHS = ("mlp", "conv")
"""The networks: one hidden layer of H units, or K conv filters on images (core/conv.py)."""
MAX_SEED = 2**32 - 1
MAX_TEXT = 4096
"""The longest text setting (a file path, a column name)."""


def unit_word(settings: Mapping[str, Any]) -> tuple[str, int]:
    """What a network's units are called and how many it has: ("filter", K) for a conv
    net, ("unit", H) otherwise; ``settings`` is a Config's to_dict() (or the ``config``
    of a summary or an export)."""
    if settings.get("arch") == "conv":
        return "filter", int(settings["filters"])
    return "unit", int(settings["hidden"])


class ConfigError(ValueError):
    """A configuration value is out of range, of the wrong type or unknown."""


@dataclass(frozen=True)
class FieldSpec:
    """How one configuration field is typed, bounded, explained and applied.

    ``live`` fields change a running network in place (learning rate, penalties);
    the others change what is being trained, so the network is rebuilt.
    """

    name: str
    kind: type
    help: str
    group: str
    choices: tuple[str, ...] = ()
    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    live: bool = False

    @property
    def flag(self) -> str:
        return "--" + self.name.replace("_", "-")

    def describe_range(self) -> str:
        """The valid values in words, for error messages and help."""
        if self.kind is str and not self.choices:
            return "a text of one line"
        if self.choices:
            return "one of " + ", ".join(self.choices)
        left = "(" if self.low_open else "["
        right = ")" if self.high_open else "]"
        kind = "an integer" if self.kind is int else "a number"
        return f"{kind} in {left}{_fmt(self.low)}, {_fmt(self.high)}{right}"

    def coerce(self, value: Any) -> Any:
        """Turn ``value`` (possibly a string from a flag or a text box) into a valid value.

        Raises ConfigError with one line naming the field and the valid range.
        """
        label = self.name.replace("_", "-")
        if self.kind is str and not self.choices:
            return _as_text(value, label)
        if self.choices:
            text = str(value).strip().lower().replace("-", "_")
            if text not in self.choices:
                raise ConfigError(f"{label}: {_show(value)} is not {self.describe_range()}")
            return text
        if self.kind is int:
            number = _as_int(value, label, self.describe_range())
        else:
            number = _as_float(value, label, self.describe_range())
        if not self._in_range(number):
            raise ConfigError(
                f"{label}: {_show(value)} is out of range; use {self.describe_range()}"
            )
        return number

    def _in_range(self, number: float) -> bool:
        if self.low is not None and (number <= self.low if self.low_open else number < self.low):
            return False
        return not (
            self.high is not None
            and (number >= self.high if self.high_open else number > self.high)
        )


def _show(value: Any) -> str:
    """A value as an error message quotes it: repr, cut short if huge."""
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(value: float | None) -> str:
    if value is None:
        return "inf"
    if float(value).is_integer():
        return str(int(value))
    return repr(value)


def _as_text(value: Any, label: str) -> str:
    if not isinstance(value, str):
        raise ConfigError(f"{label}: {_show(value)} is not a text")
    if len(value) > MAX_TEXT or not value.isprintable():
        raise ConfigError(f"{label}: {_show(value)} is not a text of one line of at most "
                          f"{MAX_TEXT} characters")
    return value


def _as_int(value: Any, label: str, valid: str) -> int:
    if isinstance(value, bool):
        raise ConfigError(f"{label}: {_show(value)} is not {valid}")
    if isinstance(value, numbers.Integral):  # int, numpy integers
        return int(value)
    if isinstance(value, numbers.Real) and math.isfinite(value) and float(value).is_integer():
        return int(value)
    if isinstance(value, str):
        try:
            return int(value.strip().replace("_", "").replace(",", ""))
        except ValueError:
            pass
    raise ConfigError(f"{label}: {_show(value)} is not {valid}")


def _as_float(value: Any, label: str, valid: str) -> float:
    if isinstance(value, bool):
        raise ConfigError(f"{label}: {_show(value)} is not {valid}")
    try:
        number = float(value.strip() if isinstance(value, str) else value)
    except (TypeError, ValueError, OverflowError):
        raise ConfigError(f"{label}: {_show(value)} is not {valid}") from None
    if not math.isfinite(number):
        raise ConfigError(f"{label}: {_show(value)} is not finite; use {valid}")
    return number


FIELDS: tuple[FieldSpec, ...] = (
    FieldSpec("dataset", str, "task to learn: a toy, a shipped table or csv (--data)",
              "training", choices=DATASETS),
    FieldSpec("samples", int, "number of data points (a table: rows drawn, by default all)",
              "training", low=4, high=100_000),
    FieldSpec("noise", float, "label / input noise of the dataset", "training", low=0, high=2),
    FieldSpec(
        "test_fraction", float, "share of points held out for the test loss", "training",
        low=0, high=0.9,
    ),
    FieldSpec("arch", str, "network: mlp (one hidden layer) or conv (filters on images)",
              "network", choices=ARCHS),
    FieldSpec("hidden", int, "hidden units H", "training", low=1, high=MAX_HIDDEN),
    FieldSpec("filters", int, "conv filters K (arch conv)", "network", low=1,
              high=MAX_FILTERS),
    FieldSpec("kernel", int, "conv filter size k: 3 or 5 (arch conv)", "network", low=3,
              high=5),
    FieldSpec("activation", str, "hidden activation", "training", choices=ACTIVATIONS),
    FieldSpec("init", str, "initialization scheme", "init", choices=INITS),
    FieldSpec("init_scale", float, "multiplies every init scheme", "init", low=0, high=10),
    FieldSpec("epsilon", float, "std of N(0, eps^2) added to every parameter", "init",
              low=0, high=10),
    FieldSpec("optimizer", str, "update rule", "training", choices=OPTIMIZERS),
    FieldSpec("lr", float, "learning rate", "training", low=0, high=100, low_open=True,
              live=True),
    FieldSpec("momentum", float, "momentum factor (optimizer momentum)", "training",
              low=0, high=1, high_open=True, live=True),
    FieldSpec("batch_size", int, "minibatch size, 0 = full batch", "training",
              low=0, high=100_000, live=True),
    FieldSpec("l1", float, "L1 strength (proximal: exact zeros)", "regularization",
              low=0, high=10, live=True),
    FieldSpec("l2", float, "L2 strength (weight decay on W1, W2)", "regularization",
              low=0, high=10, live=True),
    FieldSpec("dropout", float, "hidden dropout probability", "regularization",
              low=0, high=0.95, live=True),
    FieldSpec("grad_noise", float, "std of per-entry gradient noise", "regularization",
              low=0, high=10, live=True),
    FieldSpec("tie", float, "pull every unit toward the mean unit", "regularization",
              low=0, high=100, live=True),
    FieldSpec("seed", int, "seed for data, init and every random draw", "training",
              low=0, high=MAX_SEED),
    FieldSpec("data", str, "a CSV file to learn (sets dataset csv)", "data"),
    FieldSpec("target", str, "the CSV column to learn (default: the last)", "data"),
    FieldSpec("task", str, "classes or a number: auto decides from the target column",
              "data", choices=TASKS),
    FieldSpec("data_sha256", str, "the CSV file's sha256 when the run was made (set by "
              "the program; a changed file is refused)", "data"),
    FieldSpec("teacher_units", int, "hidden units of the random teacher network whose "
              "outputs dataset teacher learns", "data", low=1, high=16),
)

FIELD_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
CONTROL_FIELDS: tuple[FieldSpec, ...] = tuple(spec for spec in FIELDS if spec.group != "data")
"""The settings the app edits (its panels and its palette); a CSV file and its columns
are chosen on the command line or in a --config file."""
SET_BY_PROGRAM = frozenset({"data_sha256"})
"""Settings the program fills in (a CSV file's digest, when it reads the file): exports
carry them; a saved command line or TOML file does not, so it re-reads the file as it
is then."""
LIVE_FIELDS: frozenset[str] = frozenset(spec.name for spec in FIELDS if spec.live)


@dataclass(frozen=True)
class Config:
    """Everything that defines a run.  Plain data: round-trips through dict/JSON/TOML.

    The defaults tell the whole story in a few seconds: every unit starts as the same
    copy plus a 1e-4 nudge; while the units stay alike the loss follows what one unit can
    do, the saddle makes the nudge grow, the units split and the loss drops below that.
    """

    dataset: str = "xor"
    samples: int = DEFAULT_SAMPLES
    noise: float = 0.1
    test_fraction: float = 0.2
    arch: str = "mlp"
    hidden: int = 8
    filters: int = 8
    kernel: int = 3
    activation: str = "tanh"
    init: str = "symmetric"
    init_scale: float = 1.0
    epsilon: float = 1e-4
    optimizer: str = "sgd"
    lr: float = 0.2
    momentum: float = 0.9
    batch_size: int = 0
    l1: float = 0.0
    l2: float = 0.0
    dropout: float = 0.0
    grad_noise: float = 0.0
    tie: float = 0.0
    seed: int = 0
    data: str = ""
    target: str = ""
    task: str = "auto"
    data_sha256: str = ""
    teacher_units: int = DEFAULT_TEACHER_UNITS

    def __post_init__(self) -> None:
        for spec in FIELDS:
            value = spec.coerce(getattr(self, spec.name))
            object.__setattr__(self, spec.name, value)
        self._check_data()
        self._check_arch()
        n_train = self.n_train
        if n_train < 2:
            raise ConfigError(
                f"samples: {self.samples} with test-fraction {self.test_fraction} "
                f"leaves {n_train} training points; need at least 2"
            )

    def _check_data(self) -> None:
        """The CSV settings belong to dataset csv: it needs a file, and another dataset
        clears them (so switching datasets in the app leaves no stale file behind).
        Values only: the file is read by data.describe, never here."""
        if self.dataset != TEACHER:  # as the CSV settings: no stale teacher
            object.__setattr__(self, "teacher_units", DEFAULT_TEACHER_UNITS)
        if self.dataset != CSV:
            for name in ("data", "target", "data_sha256"):
                object.__setattr__(self, name, "")
            object.__setattr__(self, "task", "auto")
        elif not self.data.strip():
            raise ConfigError("dataset csv needs a CSV file: data FILE (--data FILE)")

    def _check_arch(self) -> None:
        """A conv net reads images, has odd square filters and no hidden units to drop."""
        if self.kernel not in KERNEL_SIZES:
            raise ConfigError(f"kernel: {self.kernel} is not one of "
                              + ", ".join(map(str, KERNEL_SIZES)))
        if self.arch != "conv":
            return
        if not _DATASET_REGISTRY[self.dataset].pictures:
            raise ConfigError(f"arch: conv needs image data (digits), not {self.dataset}")
        if self.dropout > 0:
            raise ConfigError("dropout: applies to an mlp's hidden units; arch conv has none")

    @property
    def is_conv(self) -> bool:
        """True for K conv filters on images (core/conv.py), False for the MLP."""
        return self.arch == "conv"

    @property
    def units(self) -> int:
        """The units of the network: H hidden units, or K filters."""
        return self.filters if self.is_conv else self.hidden

    @property
    def unit_inputs(self) -> int:
        """The incoming weights of one unit: D, or a filter's k² kernel entries."""
        return self.kernel * self.kernel if self.is_conv else self.input_dim

    @property
    def positions(self) -> int:
        """P, the outgoing weights of a unit per output: 1, or a filter's pooled cells."""
        if not self.is_conv:
            return 1
        return pooled_cells(self.shape.image[0], self.kernel)

    @property
    def shape(self) -> DataShape:
        """What the data is (D, C, loss, names): a table is read the first time it is
        asked for (core/data.py ``describe``; TableError when it cannot be)."""
        return describe(self)

    @property
    def is_table(self) -> bool:
        """True for a table dataset (digits, wine, iris, csv), False for a toy."""
        return is_table(self.dataset)

    @property
    def is_regression(self) -> bool:
        if not self.is_table:  # toys need no table reading
            return _DATASET_REGISTRY[self.dataset].regression
        return self.shape.regression

    @property
    def input_dim(self) -> int:
        """D, the network's inputs: 2 (1 for a regression) for a toy, a table's features."""
        return self.shape.inputs

    @property
    def output_dim(self) -> int:
        """C, the network's outputs: 1 (a binary logit or a regression), or one per class
        for a table of three or more classes (softmax)."""
        return self.shape.outputs

    @property
    def loss(self) -> str:
        """The data loss's name (network.LOSSES): bce for two classes, softmax for more,
        mse for a regression."""
        return self.shape.loss

    @property
    def n_test(self) -> int:
        return round(self.samples * self.test_fraction)

    @property
    def n_train(self) -> int:
        return self.samples - self.n_test

    def replace(self, **changes: Any) -> Config:
        """A validated copy with ``changes`` applied (values may be strings)."""
        unknown = set(changes) - set(FIELD_BY_NAME)
        if unknown:
            raise ConfigError(f"unknown setting {sorted(unknown)[0]!r}")
        return dataclasses.replace(self, **changes)

    def replace_live(self, **changes: Any) -> Config:
        """A validated copy with live ``changes`` applied: the one check for mid-run edits.

        ConfigError for a bad value, or for a field that cannot change mid-run (it
        changes what is trained, so it needs a reset).
        """
        not_live = sorted(set(changes) - LIVE_FIELDS)
        if not_live:
            raise ConfigError(f"{not_live[0]} cannot change mid-run; it needs a reset")
        return self.replace(**changes)

    def to_dict(self) -> dict[str, Any]:
        return {spec.name: getattr(self, spec.name) for spec in FIELDS}

    @classmethod
    def from_dict(cls, values: Mapping[str, Any]) -> Config:
        """Build from a mapping (JSON, TOML); unknown keys are an error, missing ones default."""
        unknown = set(values) - set(FIELD_BY_NAME)
        if unknown:
            raise ConfigError(f"unknown setting {sorted(unknown)[0]!r}")
        return cls(**dict(values))
