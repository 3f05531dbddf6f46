"""Condensation: each unit's input-weight direction over time and the number of distinct
directions (core/condense.py), against the bound 2p where it applies.  An experiment of
experiments/registry.py; the ``small-init-condenses`` scene runs it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.condense import (
    DIRECTION_THRESHOLD,
    angles,
    count_directions,
    direction_bound,
)
from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.registry import ExperimentJob

MAX_RECORDS = 512
"""Directions kept at most: past it every other record goes and the spacing doubles."""


class TracedTrainer(Trainer):
    """A Trainer that records its units' directions every ``every`` steps, at the same
    steps however its steps are chunked (0, every, 2·every, …)."""

    def __init__(self, config: Config, every: int) -> None:
        super().__init__(config)
        self.every = every
        self.records: list[tuple[int, float, int, np.ndarray | None]] = []
        self._record_directions()

    def step(self, n: int = 1) -> int:
        """Train ``n`` steps (fewer if it diverges), recording at every multiple."""
        ran = 0
        while ran < n and not self.diverged:
            to_next = self.every - self.step_count % self.every
            done = super().step(min(n - ran, to_next))
            ran += done
            if done == 0:
                break
            if self.step_count % self.every == 0:
                self._record_directions()
        return ran

    def _record_directions(self) -> None:
        params = self.params
        turned = angles(params) if params.W1.shape[1] == 2 else None
        self.records.append((self.step_count, self.train_loss(), count_directions(params),
                             turned))
        if len(self.records) > MAX_RECORDS:
            self.records = self.records[::2]
            self.every *= 2


def start(job: ExperimentJob) -> list[Trainer]:
    """The run itself, recording its directions every ``every`` steps."""
    return [TracedTrainer(job.config, job.option("every"))]


@dataclass(frozen=True, eq=False)
class CondenseResult:
    """The run's directions so far: per record its step, loss, count and (two inputs)
    each unit's angle in degrees."""

    activation: str
    steps: np.ndarray
    losses: np.ndarray
    counts: np.ndarray
    angles: np.ndarray | None
    """(records, H) degrees in (−180, 180], or None for more than two inputs."""
    hidden: int

    @property
    def bound(self) -> int | None:
        """2p (Zhou et al. 2022) for this activation, or None where it does not apply."""
        return direction_bound(self.activation)

    @property
    def fewest(self) -> tuple[int, int]:
        """(fewest directions, the first step with that few)."""
        index = int(np.argmin(self.counts))
        return int(self.counts[index]), int(self.steps[index])

    @property
    def verdict(self) -> str:
        """One line: the fewest directions and when, the bound, the count now."""
        fewest, at = self.fewest
        bound = ("no bound applies to " + self.activation if self.bound is None
                 else f"the bound for {self.activation} is {self.bound}")
        return (f"fewest directions {fewest} of {self.hidden} units (step {at:,}); {bound}; "
                f"now {int(self.counts[-1])} at step {int(self.steps[-1]):,}")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines of the report: the count every few records."""
        rows = [("directions", f"input weights (bias left out), the same when cos ≥ "
                 f"{DIRECTION_THRESHOLD:g}; d and −d are two")]
        pick = np.unique(np.linspace(0, len(self.steps) - 1, min(12, len(self.steps)))
                         .round().astype(int))
        rows += [(f"step {int(self.steps[k]):,}", f"{int(self.counts[k])} directions · "
                  f"loss {self.losses[k]:.4g}") for k in pick]
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``experiment condense --json`` (docs/contracts.md, "Experiments")."""
        fewest, at = self.fewest
        return {"experiment": "condense", "step": int(self.steps[-1]),
                "threshold": DIRECTION_THRESHOLD, "bound": self.bound,
                "steps": self.steps.tolist(), "losses": self.losses.tolist(),
                "counts": self.counts.tolist(),
                "angles": None if self.angles is None else self.angles.round(6).tolist(),
                "fewest": fewest, "fewest_step": at, "verdict": self.verdict}


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> CondenseResult:
    """The directions recorded so far."""
    (run,) = trainers
    records = run.records  # type: ignore[attr-defined]
    steps = np.array([r[0] for r in records])
    losses = np.array([r[1] for r in records])
    counts = np.array([r[2] for r in records])
    turned = (None if records[0][3] is None
              else np.degrees(np.array([r[3] for r in records])))
    return CondenseResult(job.config.activation, steps, losses, counts, turned,
                          job.config.hidden)
