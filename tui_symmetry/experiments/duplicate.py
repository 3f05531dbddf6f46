"""Duplicate a unit (core/duplicate.py) and play from there.  An experiment of
experiments/registry.py.

The network of the run's settings trains ``before`` steps (then, by default, L-BFGS
takes it to a critical point); unit ``unit`` is copied, into a new unit (``into`` 0: H
grows by one) or over unit ``into``, sharing its outgoing weight as λ : (1 − λ).  What
is measured once, at the copy: the loss along the whole line (21 values of λ in
[−0.5, 1.5]), the pair curvature at each, the app's saddle reading and how sharp the
point is.  Then the run that is trained, step for step, is the copied network plus the
settings' ε nudge: do the copies split?
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config, ConfigError
from tui_symmetry.core.data import STREAM_INIT, rng_for
from tui_symmetry.core.duplicate import (
    LAMBDAS,
    Surface,
    grow,
    largest_curvature,
    line_losses,
    pair_curvature,
    replace,
)
from tui_symmetry.core.init import nudge
from tui_symmetry.core.metrics import summarize, unit_vectors
from tui_symmetry.core.network import LOSSES, ParamLayout, Params, target_rows, with_ones
from tui_symmetry.core.polish import polish
from tui_symmetry.core.saddle import SaddleMeter, growth_rate
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.registry import ExperimentJob


@dataclass(frozen=True, eq=False)
class Copy:
    """The copied network and what was measured at it (once, before any play)."""

    unit: int  # from 0
    into: int | None  # None: a new unit (the last)
    lam: float
    before_steps: int
    polished: bool
    gradient_norm: float  # ‖∇L‖ of the network copied from
    base_loss: float  # its loss
    lambdas: np.ndarray
    losses: np.ndarray  # along the line
    smallest: np.ndarray  # pair curvature at each λ
    largest: np.ndarray
    at_lambda: tuple[float, float]  # smallest, largest at λ itself
    saddle: float | None  # the app's reading: every unit difference, at the copy
    sharpness: float  # ≥ this: the Hessian's largest eigenvalue at the copy

    @property
    def partner(self) -> int:
        """The copy's index in the copied network."""
        return self.into if self.into is not None else -1

    @property
    def spread(self) -> float:
        """max over the line of |L(λ) − L(λ₀)|, λ₀ the first point."""
        return float(np.abs(self.losses - self.losses[0]).max())


class PlayedTrainer(Trainer):
    """The run trained from the copied network; ``copy`` holds what was measured."""

    copy: Copy


def _copy_of(params: Params, unit: int, into: int | None, lam: float) -> Params:
    return grow(params, unit, lam) if into is None else replace(params, unit, into, lam)


def _measured(config: Config, small: Trainer, params: Params, options: dict[str, Any],
              gradient_norm: float) -> tuple[Copy, Params]:
    """The line, its curvatures and the readings at the copy."""
    unit, into, lam = options["unit"], options["into"], options["lambda"]
    data = small.data
    surface = Surface.of(config, data.X_train, data.y_train)
    copied = _copy_of(params, unit, into, lam)
    j = copied.W1.shape[0] - 1 if into is None else into
    curves = [pair_curvature(surface, _copy_of(params, unit, into, float(x)), unit, j,
                             float(x)) for x in LAMBDAS]
    here = pair_curvature(surface, copied, unit, j, lam)
    layout = ParamLayout(*copied.W1.shape, copied.W2.shape[0])
    meter = SaddleMeter(layout, with_ones(data.X_train),
                        target_rows(data.y_train, LOSSES[config.loss], layout.outputs),
                        config.activation, config.loss)
    b2 = float(copied.b2[0]) if layout.outputs == 1 else copied.b2
    saddle = meter.curvature(unit_vectors(copied), b2, config)
    copy = Copy(unit, into, lam, options["before"], bool(options["polish"] == "yes"),
                gradient_norm, surface.value(params), LAMBDAS.copy(),
                line_losses(surface, params, unit, LAMBDAS, into),
                np.array([c.smallest for c in curves]), np.array([c.largest for c in curves]),
                (here.smallest, here.largest), saddle,
                largest_curvature(surface, copied))
    return copy, copied


def start(job: ExperimentJob) -> list[Trainer]:
    """Train the settings' network ``before`` steps (and polish it), copy the unit, and
    return the run that plays on from the copy (plus the settings' ε nudge)."""
    config = job.config
    options = dict(job.options)
    H = config.hidden
    unit = options["unit"] - 1
    into = None if options["into"] == 0 else options["into"] - 1
    for label, index in (("unit", unit), ("into", into)):
        if index is not None and index >= H:
            raise ConfigError(f"{label}: {index + 1} is not a unit of this network (1 to {H})")
    if into == unit:
        raise ConfigError(f"into: unit {unit + 1} cannot be replaced by a copy of itself")
    options.update(unit=unit, into=into)
    small = Trainer(config)
    small.step(options["before"])
    params = small.params.copy()
    data = small.data
    if options["polish"] == "yes":
        found = polish(params, data.X_train, data.y_train, config.activation, config.loss)
        params, gradient_norm = found.params, found.gradient_norm
    else:
        gradient_norm = Surface.of(config, data.X_train, data.y_train).gradient_norm(params)
    copy, copied = _measured(config, small, params, options, gradient_norm)
    played_config = config if into is not None else config.replace(hidden=H + 1)
    start_params = (nudge(copied, config.epsilon, rng_for(config.seed, STREAM_INIT))
                    if config.epsilon > 0 else copied)
    played = PlayedTrainer(played_config, start_params=start_params, start={
        "kind": "duplicate", "unit": unit + 1, "into": options["into"] or None,
        "lambda": copy.lam, "from_step": options["before"],
        "polished": copy.polished, "epsilon": config.epsilon})
    played.copy = copy
    return [played]


@dataclass(frozen=True, eq=False)
class DuplicateResult:
    """The copy (measured once) and the run played from it, at one step."""

    copy: Copy
    step: int
    loss: float
    start_loss: float
    gap: float  # max |w̃_i − w̃_j|: the copies' incoming weights and biases apart
    start_gap: float  # the same at step 0 (the ε nudge's, or 0)
    distinct: int
    hidden: int
    config: Config
    """The played run's settings (its rate decides the pace and the stability)."""

    @property
    def stable(self) -> bool:
        """False when lr times the sharpness exceeds 2: plain SGD leaves the point."""
        return self.config.lr * self.copy.sharpness <= 2.0

    @property
    def verdict(self) -> str:
        """One line: flat or not, the pair curvature's sign, and what the copies did."""
        copy = self.copy
        low = copy.at_lambda[0]
        rate = growth_rate(low, self.config)
        pace = ("" if rate is None or rate <= 0 or not math.isfinite(rate)
                else f", ×e every {1 / rate:,.3g} steps")
        pull = (f"the copies are pushed apart (a saddle{pace})" if low < 0
                else "the copies are held together" if low > 0
                else "no pull either way to second order")
        played = (f"after {self.step:,} steps the copies' incoming weights are "
                  f"{_g(self.gap)} apart (from {_g(self.start_gap)})")
        warning = "" if self.stable else (f" · lr {self.config.lr:g} × sharpness "
                                          f"{_g(copy.sharpness)} > 2: SGD leaves the point")
        return (f"loss along λ within {_g(copy.spread)} of {copy.losses[0]:.6g}; "
                f"pair curvature at λ = {copy.lam:g}: {_g(low)}, {pull}; {played}{warning}")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines of the report: the line, its curvature, the play."""
        copy = self.copy
        what = ("a new unit" if copy.into is None else f"unit {copy.into + 1}")
        rows = [("copied", f"unit {copy.unit + 1} into {what}, outgoing weight λ : (1 − λ), "
                 f"λ = {copy.lam:g}"),
                ("from", f"{copy.before_steps:,} steps"
                 + (", then L-BFGS" if copy.polished else "")
                 + f": loss {copy.base_loss:.6g}, |∇L| {_g(copy.gradient_norm)}"),
                ("along λ", f"loss {copy.losses[0]:.6g}, spread {_g(copy.spread)} over "
                 f"λ ∈ [{copy.lambdas[0]:g}, {copy.lambdas[-1]:g}]")]
        for lam, low, high in zip(copy.lambdas[::5], copy.smallest[::5], copy.largest[::5],
                                  strict=True):
            rows.append((f"λ = {lam:g}", f"pair curvature {_g(low)} … {_g(high)}"))
        rows += [("saddle reading", "—" if copy.saddle is None else _g(copy.saddle)),
                 ("sharpness", f"≥ {_g(copy.sharpness)} (2/lr = {2 / self.config.lr:g})"),
                 ("played", f"step {self.step:,}: loss {self.loss:.6g} (from "
                  f"{self.start_loss:.6g}), the copies' incoming weights {_g(self.gap)} "
                  f"apart (from {_g(self.start_gap)}), {self.distinct} distinct units of "
                  f"{self.hidden}")]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``experiment duplicate --json`` (docs/contracts.md, "Experiments")."""
        copy = self.copy
        return {"experiment": "duplicate", "step": self.step, "unit": copy.unit + 1,
                "into": None if copy.into is None else copy.into + 1,
                "lambda": copy.lam, "before": copy.before_steps, "polished": copy.polished,
                "gradient_norm": _number(copy.gradient_norm),
                "base_loss": _number(copy.base_loss), "lambdas": copy.lambdas.tolist(),
                "line_losses": [_number(x) for x in copy.losses],
                "line_spread": _number(copy.spread),
                "pair_smallest": [_number(x) for x in copy.smallest],
                "pair_largest": [_number(x) for x in copy.largest],
                "pair_at_lambda": [_number(x) for x in copy.at_lambda],
                "saddle": None if copy.saddle is None else _number(copy.saddle),
                "sharpness": _number(copy.sharpness), "stable": self.stable,
                "loss": _number(self.loss), "start_loss": _number(self.start_loss),
                "gap": _number(self.gap), "start_gap": _number(self.start_gap),
                "distinct_units": self.distinct,
                "verdict": self.verdict}


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> DuplicateResult:
    """The copy's readings and where the played run is now."""
    (played,) = trainers
    copy = played.copy  # type: ignore[attr-defined]
    params = played.params
    summary = summarize(params, job.config.activation)
    return DuplicateResult(copy, played.step_count, played.train_loss(),
                           float(played.history.arrays()["loss"][0]),
                           _incoming_gap(params, copy), _incoming_gap(played.initial_params, copy),
                           int(summary["distinct_units"]), params.W1.shape[0],
                           played.config)


def _incoming_gap(params: Params, copy: Copy) -> float:
    """How far apart the copies' incoming parts [w, b] are (their outgoing weights
    differ by design: λ·v and (1 − λ)·v)."""
    block = np.column_stack([params.W1, params.b1])
    return float(np.abs(block[copy.unit] - block[copy.partner]).max())


def _g(value: float) -> str:
    """A number in three digits, with the minus sign the app's numbers use."""
    return (f"{value:.3g}" if math.isfinite(value) else str(value)).replace("-", "−")


def _number(value: float) -> float | None:
    return float(value) if math.isfinite(value) else None
