"""Two runs trained step for step, as one thing a runner can train (compare in the app).

:class:`Lockstep` owns a Trainer for run A and one for run B and steps both by the same
count, so the two are always at the same step (a run that diverges stops there, as in
``tui-symmetry compare``, and the other trains on).  It offers what a runner uses of a
Trainer (``step``, ``step_count``, ``changes``, ``diverged``, ``snapshot``, the one-unit
optimum), so the training process and the synchronous runner train a pair the way
they train one run.  Its picture, :class:`PairSnapshot`, holds both runs' snapshots
and B's units matched to A's (core/matching.py), with the trained baseline, whose extra
runs (experiments/baseline.py) it steps with the pair.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer

if TYPE_CHECKING:
    from tui_symmetry.core.matching import Matching
    from tui_symmetry.core.one_unit import Optimizer


@dataclass(frozen=True)
class PairConfig:
    """The settings of a comparison: run A's and run B's."""

    a: Config
    b: Config

    @property
    def sides(self) -> tuple[Config, Config]:
        return (self.a, self.b)


@dataclass(frozen=True)
class PairSnapshot:
    """Runs A and B at one step, and B's units matched to A's."""

    a: Snapshot
    b: Snapshot
    matching: Matching
    version: int
    """Stamped by the runner, as a Snapshot's (both sides carry it too)."""

    @property
    def sides(self) -> tuple[Snapshot, Snapshot]:
        return (self.a, self.b)

    @property
    def step(self) -> int:
        """The step of the pair: of the run(s) still training (a diverged one stopped)."""
        return max(self.a.step, self.b.step)

    @property
    def diverged(self) -> bool:
        """Both runs diverged: nothing is left to train until a reset."""
        return self.a.diverged and self.b.diverged

    @property
    def steps_per_s(self) -> float:
        """Steps of each run per second (the pair's rate)."""
        return self.a.steps_per_s


class Lockstep:
    """Runs A and B of ``pair``, always stepped together.  Not thread-safe, like Trainer."""

    def __init__(self, pair: PairConfig, baseline_runs: int | None = None) -> None:
        """``baseline_runs``: more starts of each side for the trained baseline (None:
        BASELINE_STARTS; not a default here, which would import it with scipy)."""
        # Imported here, like matching below (experiments/baseline.py imports scipy with it).
        from tui_symmetry.experiments.baseline import BASELINE_STARTS, TrainedBaseline

        self.config = pair
        self.trainers = (Trainer(pair.a), Trainer(pair.b))
        # The trained baseline's extra runs, stepped with the pair (as compare does).
        self.baseline = TrainedBaseline(pair.a, pair.b, BASELINE_STARTS if baseline_runs is None
                                        else baseline_runs)

    @property
    def all_trainers(self) -> list[Trainer]:
        """A, B, then the baseline's extra runs: everything a round of steps steps."""
        return [*self.trainers, *self.baseline.trainers]

    @property
    def step_count(self) -> int:
        return max(trainer.step_count for trainer in self.trainers)

    @property
    def diverged(self) -> bool:
        return all(trainer.diverged for trainer in self.trainers)

    @property
    def changes(self) -> int:
        """Grows whenever either run changes (a runner's cue for a new picture)."""
        return sum(trainer.changes for trainer in self.trainers)

    @property
    def one_unit_loss(self) -> tuple[float, float] | None:
        """Both runs' one-unit optimum once both are known (else None)."""
        a, b = (trainer.one_unit_loss for trainer in self.trainers)
        return None if a is None or b is None else (a, b)

    def learn_one_unit_loss(self, find: Optimizer | None = None) -> tuple[float, float]:
        """Compute both runs' one-unit optimum (Trainer.learn_one_unit_loss)."""
        a, b = (trainer.learn_one_unit_loss(find) for trainer in self.trainers)
        return (a, b)

    def step(self, n: int = 1) -> int:
        """Run ``n`` more steps of every run that has not diverged; how many ran."""
        self.baseline.step(n)
        return max(trainer.step(n) for trainer in self.trainers)

    def snapshot(self, version: int = 0,
                 steps_per_s: float | tuple[float, float] = 0.0,
                 max_reading_age: int | None = 0) -> PairSnapshot:
        """Both runs' snapshots, stamped alike, and B's units matched to A's
        (``steps_per_s``: one rate for both, or A's and B's; ``max_reading_age``: as
        Trainer.snapshot's, for both)."""
        rates = steps_per_s if isinstance(steps_per_s, tuple) else (steps_per_s,) * 2
        with np.errstate(all="ignore"):  # a diverged side may hold huge weights
            a, b = (trainer.snapshot(version, rate, max_reading_age)
                    for trainer, rate in zip(self.trainers, rates, strict=True))
            matching = self.match(a, b)
        return PairSnapshot(a, b, matching, version)

    def match(self, a: Snapshot, b: Snapshot) -> Matching:
        """B's units matched to A's, read against the trained baseline."""
        # Imported here, like metrics' linkage: scipy.optimize costs 0.3 s, and the app
        # imports this module (through the runner) before its first frame.
        from tui_symmetry.core.matching import match_runs

        return match_runs(a.config, a.params, b.config, b.params).with_trained(
            self.baseline.measure(a.params, b.params))
