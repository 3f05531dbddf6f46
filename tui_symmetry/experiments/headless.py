"""The one headless training loop: runs stepped in chunks, side by side, with a say for a
callback (a progress bar) after every round.

Chunks do not change a run (``Trainer.step(a)`` then ``step(b)`` equals ``step(a + b)``):
they keep runs at the same step and let a caller follow along.  `train`, `compare` and
`sweep` on the command line all run through here.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer

# ~0.1 s per round keeps a progress bar lively while the per-chunk overhead (a loss
# evaluation, a redraw) stays far below 1 % of the time.  Read at call time: tests
# change them.
CHUNK_SECONDS = 0.1
FIRST_CHUNK = 50


@dataclass(frozen=True)
class Timing:
    """Steps one run took and the seconds spent in them."""

    ran: int
    seconds: float

    @property
    def steps_per_s(self) -> float:
        return self.ran / self.seconds if self.seconds > 0 else 0.0


@dataclass(frozen=True)
class Chunk:
    """Where a headless run stands after a round of chunks: what the callback sees."""

    trainers: Sequence[Trainer]
    """In the order given (the callback may read ``train_loss()``)."""
    done: int
    """Steps of the slowest run still training."""
    steps: int
    """Steps asked of each run."""
    seconds_per_step: float
    """One round: seconds per step, summed over the runs still training."""


ChunkCallback = Callable[[Chunk], None]


def run_lockstep(trainers: Sequence[Trainer], steps: int,
                 on_chunk: ChunkCallback | None = None) -> list[Timing]:
    """Step every trainer by the same chunk in turn until each ran ``steps`` or diverged.

    ``on_chunk`` is called after every round that leaves work (``done < steps``).  Never
    takes a snapshot: ``Trainer.snapshot`` aligns the unit order, so an extra call would
    change later pictures.
    """
    ran = [0] * len(trainers)
    seconds = [0.0] * len(trainers)
    chunk = min(steps, FIRST_CHUNK)
    while True:
        active = [i for i, trainer in enumerate(trainers)
                  if ran[i] < steps and not trainer.diverged]
        if not active:
            break
        for i in active:
            start = time.perf_counter()
            ran[i] += trainers[i].step(min(chunk, steps - ran[i]))
            seconds[i] += time.perf_counter() - start
        # One round costs a chunk of every active run: seconds per step, summed.
        per_step = sum(seconds[i] / ran[i] for i in active if ran[i])
        chunk = max(1, int(CHUNK_SECONDS / per_step)) if per_step > 0 else chunk
        done = min((ran[i] for i in active if not trainers[i].diverged), default=steps)
        if on_chunk is not None and done < steps:
            on_chunk(Chunk(trainers, done, steps, per_step))
    return [Timing(r, s) for r, s in zip(ran, seconds, strict=True)]


@dataclass(frozen=True)
class RunResult:
    """A headless run's trainer, its final snapshot and how long it took."""

    trainer: Trainer
    snapshot: Snapshot
    """Final: the one-unit loss learned, ``steps_per_s`` set."""
    timing: Timing


def train(config: Config, steps: int, on_chunk: ChunkCallback | None = None) -> RunResult:
    """One headless run as `train` reports it and `sweep` runs each grid point: the steps
    in chunks (fewer if it diverges), the one-unit optimum, the final snapshot."""
    # A diverging run overflows on purpose; numpy's RuntimeWarnings would only clutter
    # stderr (the summary says "diverged").
    with np.errstate(all="ignore"):
        trainer = Trainer(config)
        [timing] = run_lockstep([trainer], steps, on_chunk)
        trainer.learn_one_unit_loss()
        snapshot = trainer.snapshot(steps_per_s=timing.steps_per_s)
    return RunResult(trainer, snapshot, timing)
