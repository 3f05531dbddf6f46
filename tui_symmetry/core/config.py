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

MAX_HIDDEN = 256
MAX_SEED = 2**32 - 1


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
    FieldSpec("dataset", str, "toy task to learn", "training", choices=DATASETS),
    FieldSpec("samples", int, "number of data points", "training", low=4, high=100_000),
    FieldSpec("noise", float, "label / input noise of the dataset", "training", low=0, high=2),
    FieldSpec(
        "test_fraction", float, "share of points held out for the test loss", "training",
        low=0, high=0.9,
    ),
    FieldSpec("hidden", int, "hidden units H", "training", low=1, high=MAX_HIDDEN),
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
)

FIELD_BY_NAME: dict[str, FieldSpec] = {spec.name: spec for spec in FIELDS}
LIVE_FIELDS: frozenset[str] = frozenset(spec.name for spec in FIELDS if spec.live)


@dataclass(frozen=True)
class Config:
    """Everything that defines a run.  Plain data: round-trips through dict/JSON/TOML.

    The defaults tell the whole story in a few seconds: every unit starts as the same
    copy plus a 1e-4 nudge; while the units stay alike the loss follows what one unit can
    do, the saddle makes the nudge grow, the units split and the loss drops below that.
    """

    dataset: str = "xor"
    samples: int = 200
    noise: float = 0.1
    test_fraction: float = 0.2
    hidden: int = 8
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

    def __post_init__(self) -> None:
        for spec in FIELDS:
            value = spec.coerce(getattr(self, spec.name))
            object.__setattr__(self, spec.name, value)
        n_train = self.n_train
        if n_train < 2:
            raise ConfigError(
                f"samples: {self.samples} with test-fraction {self.test_fraction} "
                f"leaves {n_train} training points; need at least 2"
            )

    @property
    def is_regression(self) -> bool:
        return _DATASET_REGISTRY[self.dataset].regression

    @property
    def input_dim(self) -> int:
        return 1 if self.is_regression else 2

    @property
    def loss(self) -> str:
        """The name of the data loss (network.LOSSES): MSE for regression, BCE otherwise."""
        return "mse" if self.is_regression else "bce"

    @property
    def output_dim(self) -> int:
        """C, the network's outputs: 1 (a binary logit or a regression) for every toy."""
        return 1

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
