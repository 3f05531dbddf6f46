"""Many seeds on the same data: which of run 1's units recur in the other runs
(core/recurrence.py), against the matched similarity between trained runs and between
their untrained starts.  An experiment of experiments/registry.py."""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from tui_symmetry.core.network import with_ones
from tui_symmetry.core.recurrence import Recurrence, pair_means, recurrence
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.baseline import run_seeds
from tui_symmetry.experiments.registry import ExperimentJob


def start(job: ExperimentJob) -> list[Trainer]:
    """K runs of the job's settings on its data, from K different seeds (run 1: the
    settings' own seed, so it is the run ``train`` makes)."""
    config = job.config
    return [Trainer(config, start_seed=seed) for seed in run_seeds(config, job.option("runs"))]


@dataclass(frozen=True, eq=False)
class SeedsResult:
    """Run 1's units in K − 1 other runs, and the baselines, at one step."""

    step: int
    seeds: tuple[int, ...]
    space: str
    losses: tuple[float, ...]
    recurrence: Recurrence

    @property
    def others(self) -> int:
        """K − 1: the runs a unit of run 1 can recur in."""
        return len(self.seeds) - 1

    @property
    def in_all(self) -> int:
        """Units of run 1 that recur in every other run."""
        return int(np.count_nonzero(self.recurrence.recurs == self.others))

    @property
    def in_none(self) -> int:
        """Units of run 1 that recur in no other run."""
        return int(np.count_nonzero(self.recurrence.recurs == 0))

    @property
    def verdict(self) -> str:
        """One line: how many units recur everywhere and nowhere, and the baselines."""
        rec = self.recurrence
        hidden = len(rec.recurs)
        trained, untrained = rec.trained[0], rec.untrained[0]
        return (f"{self.in_all} of {hidden} units of run 1 recur in all {self.others} "
                f"other runs, {self.in_none} in none (matched ≥ {rec.threshold:g}); "
                f"trained runs match at {trained:.3f}, untrained starts at {untrained:.3f}")

    def rows(self) -> list[tuple[str, str]]:
        """(label, value) lines of the report: the runs, each unit, the baselines."""
        rec = self.recurrence
        seeds = ", ".join(str(seed) for seed in self.seeds)
        rows = [("runs", f"{len(self.seeds)} from seeds {seeds} (same data)"),
                ("step", f"{self.step:,}"),
                ("loss", f"{min(self.losses):.4g} to {max(self.losses):.4g}"),
                ("matched in", f"{self.space} space; recurs: matched ≥ {rec.threshold:g}; "
                 "each run: partner unit:similarity")]
        table = zip(rec.recurs, rec.matched, rec.partner, strict=True)
        for unit, (count, row, partners) in enumerate(table, 1):
            values = " ".join(f"{partner + 1}:{value:.2f}"
                              for value, partner in zip(row, partners, strict=True))
            rows.append((f"unit {unit}", f"recurs in {count}/{self.others}  ·  {values}"))
        for label, (mean, std) in (("trained pairs", rec.trained),
                                   ("untrained starts", rec.untrained)):
            rows.append((label, f"{mean:.3f} ± {std:.3f}  ({len(rec.pair_means)} pairs)"))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """``experiment seeds --json`` (docs/contracts.md, "Experiments")."""
        rec = self.recurrence
        return {"experiment": "seeds", "step": self.step, "seeds": list(self.seeds),
                "space": self.space, "threshold": rec.threshold,
                "losses": [_number(loss) for loss in self.losses],
                "matched": rec.matched.tolist(), "partner": rec.partner.tolist(),
                "recurs": rec.recurs.tolist(), "in_all": self.in_all,
                "in_none": self.in_none,
                "trained": _baseline(rec.pair_means), "untrained": _baseline(rec.untrained_means),
                "verdict": self.verdict}


def _number(value: float) -> float | None:
    return float(value) if np.isfinite(value) else None


def _baseline(means: np.ndarray) -> dict[str, Any]:
    return {"mean": _number(means.mean()), "std": _number(means.std()), "pairs": len(means)}


@functools.lru_cache(maxsize=8)
def _untrained_means(job: ExperimentJob) -> np.ndarray:
    """The matched means between the job's untrained starts: the same at every picture,
    so computed once per job (a picture then costs K − 1 + K(K − 1)/2 matchings, not
    K − 1 + K(K − 1))."""
    config = job.config
    starts = [Trainer(config, start_seed=seed) for seed in run_seeds(config, job.option("runs"))]
    return pair_means([start.initial_params for start in starts], config.activation,
                      job.option("space"), with_ones(starts[0].data.X_train))


def measure(job: ExperimentJob, trainers: Sequence[Trainer]) -> SeedsResult:
    """Run 1's units matched in every other run, now."""
    config = job.config
    XT1 = with_ones(trainers[0].data.X_train)
    space = job.option("space")
    rec = recurrence([t.params for t in trainers], _untrained_means(job),
                     config.activation, space, XT1)
    return SeedsResult(trainers[0].step_count, tuple(run_seeds(config, len(trainers))),
                       space, tuple(t.train_loss() for t in trainers), rec)
