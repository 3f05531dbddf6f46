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


def widths_of(job: ExperimentJob) -> tuple[int, ...]:
    """The numbers of hidden units the job repeats the experiment at (the run's own
    when it names none)."""
    return job.option("widths") or (job.config.hidden,)


def start(job: ExperimentJob) -> list[Trainer]:
    """At each width, ``pairs`` pairs of runs A and B on the same data: pair p from the
    seeds 2p and 2p + 1 of :func:`run_seeds` (the first A: the settings' own seed)."""
    config = job.config
    pairs = job.option("pairs")
    seeds = run_seeds(config, 2 * pairs)
    return [Trainer(config.replace(hidden=width), start_seed=seed)
            for width in widths_of(job) for seed in seeds]


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
    """Pairs of runs at one step and the barrier between each pair, at each width."""

    step: int
    seeds: tuple[int, ...]
    """A's and B's seeds of every pair, in turn."""
    widths: tuple[int, ...]
    lines: tuple[tuple[BarrierPair, ...], ...]
    """For each width, each pair's lines."""

    @property
    def pair(self) -> BarrierPair:
        """The first pair at the first width (the one plotted)."""
        return self.lines[0][0]

    def heights(self, index: int) -> tuple[np.ndarray, np.ndarray]:
        """Width ``index``: every pair's height before and after matching."""
        pairs = self.lines[index]
        return (np.array([p.before.height for p in pairs]),
                np.array([p.after.height for p in pairs]))

    @property
    def verdict(self) -> str:
        """One line: both heights (their means over pairs), along the widths."""
        if len(self.widths) == 1 and len(self.lines[0]) == 1:
            return f"barrier along A → B: {self.pair.words()}"
        first, last = self.heights(0), self.heights(len(self.widths) - 1)
        mean = f"mean of {len(self.lines[0])} pairs"
        if len(self.widths) == 1:
            return (f"barrier along A → B ({mean}): {height_words(first[0].mean())} "
                    f"before matching, {height_words(first[1].mean())} after")
        return (f"after matching the barrier goes {height_words(first[1].mean())} → "
                f"{height_words(last[1].mean())} from {self.widths[0]} to {self.widths[-1]} "
                f"units (before: {height_words(first[0].mean())} → "
                f"{height_words(last[0].mean())}; {mean})")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines of the report: the first pair, then each width."""
        before, after = self.pair.before, self.pair.after
        rows = [("runs", f"A from seed {self.seeds[0]}, B from seed {self.seeds[1]} "
                 "(same data)" + (f", and {_more(len(self.lines[0]) - 1)}"
                                  if len(self.lines[0]) > 1 else "")),
                ("step", f"{self.step:,}"),
                ("loss", f"A {before.losses[0]:.4g} · B {before.losses[-1]:.4g}"),
                ("highest on the line", f"{before.losses.max():.4g} before matching, "
                 f"{after.losses.max():.4g} after"),
                ("barrier", self.pair.words())]
        if len(self.widths) > 1 or len(self.lines[0]) > 1:
            for index, width in enumerate(self.widths):
                rows.append((f"{width} units", "  ·  ".join(
                    f"{when} {_spread(values)}"
                    for when, values in zip(("before", "after"), self.heights(index),
                                            strict=True))))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``experiment barrier --json`` (docs/contracts.md, "Experiments")."""
        per_width = []
        for index, width in enumerate(self.widths):
            before, after = self.heights(index)
            per_width.append({"hidden": width,
                              "before": [_number(x) for x in before],
                              "after": [_number(x) for x in after],
                              "before_mean": _number(before.mean()),
                              "after_mean": _number(after.mean())})
        return {"experiment": "barrier", "step": self.step, "seeds": list(self.seeds),
                **self.pair.to_dict(), "widths": per_width, "verdict": self.verdict}


def _more(count: int) -> str:
    return f"{count} more pair" + ("" if count == 1 else "s")


def _spread(values: np.ndarray) -> str:
    """``0.099 [0.054, 0.173]``: the mean and, for several, the least and the most."""
    text = height_words(values.mean())
    if len(values) > 1:
        text += f" [{height_words(values.min())}, {height_words(values.max())}]"
    return text


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> BarrierResult:
    """The barrier between the runs of every pair, now."""
    pairs = job.option("pairs")
    data = trainers[0].data
    lines = []
    for index, width in enumerate(widths_of(job)):
        runs = trainers[2 * pairs * index: 2 * pairs * (index + 1)]
        config = job.config.replace(hidden=width)
        lines.append(tuple(barriers(config, data.X_train, data.y_train, a.params, b.params)
                           for a, b in zip(runs[::2], runs[1::2], strict=True)))
    return BarrierResult(trainers[0].step_count, tuple(run_seeds(job.config, 2 * pairs)),
                         widths_of(job), tuple(lines))


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
