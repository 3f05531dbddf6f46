"""A comparison of two runs: A and B (one setting changed) trained step for step from
the same data and seed, B's units matched to A's against the trained baseline, and the
words both front ends say about it (the verdict, the matching's numbers).

`tui-symmetry compare` prints it; the app's compare screen shows it live (a runner
training a :class:`~tui_symmetry.experiments.lockstep.Lockstep`).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.matching import Matching
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.experiments.barrier import NO_BARRIER, BarrierPair, barrier_reason, barriers
from tui_symmetry.experiments.baseline import BASELINE_STARTS
from tui_symmetry.experiments.headless import ChunkCallback, run_lockstep
from tui_symmetry.experiments.lockstep import Lockstep, PairConfig

SIDES = ("a", "b")


@dataclass(frozen=True)
class Comparison:
    """The outcome of a compare: each run's final snapshot and B's units matched to A's."""

    a: Snapshot
    b: Snapshot
    matching: Matching
    barrier: BarrierPair | None = None
    """The loss along the line from A to B, before and after matching (None: no line)."""
    barrier_reason: str | None = None
    """Why there is no barrier (different units, data or activations), else None."""

    def to_dict(self) -> dict[str, Any]:
        """What ``compare --json`` prints (docs/contracts.md)."""
        barrier = NO_BARRIER if self.barrier is None else self.barrier.to_dict()
        return {"a": self.a.summary(), "b": self.b.summary(),
                "matching": self.matching.to_dict(), **barrier,
                "barrier_reason": self.barrier_reason}


def compare(config_a: Config, config_b: Config, steps: int,
            on_chunk: ChunkCallback | None = None,
            baseline_runs: int = BASELINE_STARTS) -> Comparison:
    """Train both runs ``steps`` steps in lockstep, then match their units.

    The trained baseline's extra runs (experiments/baseline.py; ``baseline_runs`` more starts
    of each configuration) train in the same lockstep.
    """
    # As in train: a diverging run overflows on purpose, the summary says so.
    with np.errstate(all="ignore"):
        lockstep = Lockstep(PairConfig(config_a, config_b), baseline_runs)
        timing_a, timing_b, *_ = run_lockstep(lockstep.all_trainers, steps, on_chunk)
        lockstep.learn_one_unit_loss()  # as in train
        pair = lockstep.snapshot(steps_per_s=(timing_a.steps_per_s, timing_b.steps_per_s))
        reason = barrier_reason(config_a, config_b)
        line = None
        if reason is None:
            data = lockstep.trainers[0].data
            line = barriers(config_a, data.X_train, data.y_train, pair.a.params,
                            pair.b.params)
    return Comparison(pair.a, pair.b, pair.matching, line, reason)


@dataclass(frozen=True)
class MatchingWords:
    """The pieces both front ends say about a matching, each number already written;
    the labels around them stay each front end's own."""

    reason: str | None
    """Why nothing was matched (the runs are not comparable), else None."""
    mean: str
    trained: str | None
    """``mean ± std`` between runs of A's and B's settings trained apart; None when no
    pair of the trained baseline was measured."""
    trained_pairs: int
    chance: str
    """``mean ± std`` between untrained random starts."""


def matching_words(matching: Matching, number: Callable[[float], str]) -> MatchingWords:
    """``matching``'s numbers, each written by ``number`` (the command line:
    ``f"{x:.3f}"``; the app: ``format_fixed(x, 3)``)."""
    trained = None
    if matching.trained_pairs:
        trained = f"{number(matching.trained)} ± {number(matching.trained_std)}"
    return MatchingWords(matching.reason, number(matching.mean), trained,
                         matching.trained_pairs,
                         f"{number(matching.chance)} ± {number(matching.chance_std)}")


def verdict(summary_a: Mapping[str, Any], summary_b: Mapping[str, Any]) -> str:
    """One line: ``A: 1 distinct unit, loss 0.508 · B: 6 distinct, loss 0.002``."""
    return f"A: {_side_verdict(summary_a, 'unit')} · B: {_side_verdict(summary_b, '')}"


def _side_verdict(summary: Mapping[str, Any], noun: str) -> str:
    distinct = summary["distinct_units"]
    if noun:
        noun = " " + noun + ("" if distinct == 1 else "s")
    loss = summary["loss"]
    text = f"{distinct} distinct{noun}, loss {'not finite' if loss is None else _short(loss)}"
    if summary["diverged"]:
        text += f", diverged at step {summary['step']:,}"
    return text


def _short(value: float) -> str:
    """Three decimals while they say something, else three significant digits."""
    return f"{value:.3f}" if 0.001 <= abs(value) < 1000 else f"{value:.3g}"
