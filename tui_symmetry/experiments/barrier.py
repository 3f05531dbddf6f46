"""The barrier between two runs from different seeds on the same data, before and after
B's units are matched to A's (core/barrier.py).  An experiment of
experiments/registry.py; compare reports the same two heights for its runs A and B."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.barrier import Barrier, align, barrier, data_loss
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import data_key
from tui_symmetry.core.matching import comparable
from tui_symmetry.core.network import Params
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.baseline import run_seeds
from tui_symmetry.experiments.registry import ExperimentJob


def start(job: ExperimentJob) -> list[Trainer]:
    """Run A (the settings' own seed) and run B (the next seed), on the same data."""
    config = job.config
    return [Trainer(config, start_seed=seed) for seed in run_seeds(config, 2)]


@dataclass(frozen=True, eq=False)
class BarrierPair:
    """The line from A to B and from A to B matched to A."""

    before: Barrier
    after: Barrier

    def to_dict(self) -> dict[str, Any]:
        """The barrier keys of ``compare --json`` and ``experiment barrier --json``."""
        return {"barrier_t": self.before.t.tolist(),
                "barrier_before": _number(self.before.height),
                "barrier_after": _number(self.after.height),
                "barrier_losses_before": [_number(x) for x in self.before.losses],
                "barrier_losses_after": [_number(x) for x in self.after.losses]}

    def words(self) -> str:
        """``0.641 before matching, 0.005 after``."""
        return (f"{height_words(self.before.height)} before matching, "
                f"{height_words(self.after.height)} after")


def barriers(config: Config, X: np.ndarray, y: np.ndarray, params_a: Params,
             params_b: Params) -> BarrierPair:
    """The loss on (X, y) along A → B and along A → B matched to A."""
    loss_of = data_loss(X, y, config.activation, config.loss)
    return BarrierPair(barrier(loss_of, params_a, params_b),
                       barrier(loss_of, params_a, align(params_a, params_b, config.activation)))


@dataclass(frozen=True, eq=False)
class BarrierResult:
    """Two runs at one step and the barrier between them."""

    step: int
    seeds: tuple[int, int]
    pair: BarrierPair

    @property
    def verdict(self) -> str:
        """One line: both heights, and what matching did to the barrier."""
        return f"barrier along A → B: {self.pair.words()}"

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines of the report."""
        before, after = self.pair.before, self.pair.after
        return [("runs", f"A from seed {self.seeds[0]}, B from seed {self.seeds[1]} "
                 "(same data)"),
                ("step", f"{self.step:,}"),
                ("loss", f"A {before.losses[0]:.4g} · B {before.losses[-1]:.4g}"),
                ("highest on the line", f"{before.losses.max():.4g} before matching, "
                 f"{after.losses.max():.4g} after"),
                ("barrier", self.pair.words())]

    def to_dict(self) -> dict[str, Any]:
        """``experiment barrier --json`` (docs/contracts.md, "Experiments")."""
        return {"experiment": "barrier", "step": self.step, "seeds": list(self.seeds),
                **self.pair.to_dict(), "verdict": self.verdict}


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> BarrierResult:
    """The barrier between the two runs, now."""
    a, b = trainers
    data = a.data
    pair = barriers(job.config, data.X_train, data.y_train, a.params, b.params)
    seed_a, seed_b = run_seeds(job.config, 2)
    return BarrierResult(a.step_count, (seed_a, seed_b), pair)


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def height_words(value: float) -> str:
    """A barrier's height as every report writes it: three decimals, or two significant
    digits below 0.001 (matching often leaves 1e-7)."""
    return f"{value:.3f}" if abs(value) >= 0.001 else f"{value:.2g}"


NO_BARRIER = dict.fromkeys(("barrier_t", "barrier_before", "barrier_after",
                            "barrier_losses_before", "barrier_losses_after"))
"""The barrier keys of ``compare --json`` when no line joins A and B."""


def barrier_reason(config_a: Config, config_b: Config) -> str | None:
    """None when a straight line joins runs of the two configurations on common data
    (same units, same data, same activation), else why not."""
    reason = comparable(config_a, config_b)
    if reason is not None:
        return reason
    if config_a.hidden != config_b.hidden:
        return (f"A and B have different numbers of units ({config_a.hidden}, "
                f"{config_b.hidden}): no straight line joins them")
    if data_key(config_a) != data_key(config_b):
        return "A and B learn different data: no one loss is read along a line between them"
    return None
