"""SyncRunner: trains in the caller's thread, only when asked.

Tests and the screenshot script use it: the same steps always give the same pictures.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.lockstep import Lockstep
from tui_symmetry.export import run_document
from tui_symmetry.runner.protocol import Job, Picture, TrainerFactory, UpdateListener


class SyncRunner:
    """Trains in the caller's thread, only when asked: deterministic, for tests.

    While playing, every :meth:`latest` call runs ``steps_per_poll`` steps (0 = none;
    never past the step ``play(until=...)`` holds at), so a test can see training
    advance without any clock involved; the speed cap is stored (and reported by
    :attr:`speed`) but no clock enforces it.  A lock makes it
    safe to export from a worker thread while the UI thread polls.

    Every snapshot carries a version this runner keeps counting across resets.
    ``make_trainer`` builds what is trained from the config (Lockstep for a pair).
    """

    def __init__(self, config: Job, steps_per_poll: int = 0,
                 make_trainer: TrainerFactory = Trainer) -> None:
        self._config = config
        self._make_trainer = make_trainer
        self.steps_per_poll = steps_per_poll
        self._playing = False
        self._until: int | None = None  # the step to hold at while playing
        self.speed: float | None = None
        """The speed cap last set (None: full speed)."""
        self._listener: UpdateListener | None = None
        self._image_index = 0  # the filters view's image: it holds across resets
        self._lock = threading.RLock()
        self._trainer = self._new_trainer(config)
        self._version = 0
        self._seen_changes = -1
        self._snapshot = self._take_snapshot()
        self.closed = False

    @property
    def config(self) -> Job:
        return self._config

    @property
    def pending(self) -> bool:
        return False

    @property
    def failure(self) -> str | None:
        return None

    @property
    def trainer(self) -> Trainer | Lockstep:
        """The Trainer itself (tests reach in to compare against the bare engine)."""
        return self._trainer

    def set_listener(self, listener: UpdateListener | None) -> None:
        # Kept for the protocol; every command is done when it returns, so there is
        # never an answer to announce later.
        self._listener = listener

    def take_errors(self) -> list[str]:
        return []  # commands run in the caller: their errors are raised right there

    def start(self) -> None:
        """Nothing to start: training happens in :meth:`step` and :meth:`latest`."""

    def play(self, until: int | None = None) -> None:
        self._playing = True
        self._until = until

    def pause(self) -> None:
        self._playing = False

    def step(self, n: int = 1) -> None:
        with self._lock:
            self._trainer.step(n)

    def set_speed(self, steps_per_s: float | None) -> None:
        self.speed = steps_per_s

    def reset(self, config: Job) -> None:
        with self._lock:
            self._config = config
            self._trainer = self._new_trainer(config)
            self._seen_changes = -1

    def apply_live(self, **changes: Any) -> Config:
        if not isinstance(self._config, Config):
            raise TypeError("a pair of runs takes no live changes")
        new = self._config.replace_live(**changes)
        with self._lock:
            self._trainer.apply_live(**changes)
            self._config = new
        return new

    def permute(self, perm: Sequence[int]) -> None:
        with self._lock:
            self._trainer.permute_units(np.asarray(perm))

    def select_image(self, index: int) -> None:
        with self._lock:
            self._image_index = int(index)
            self._seen_changes = -1  # the next look takes a picture on that image

    def export(self, timeout: float = 5.0) -> dict[str, Any]:
        with self._lock:
            return run_document(self._trainer)

    def latest(self) -> Picture:
        with self._lock:
            trainer = self._trainer
            if self._playing and self.steps_per_poll and not trainer.diverged:
                n = self.steps_per_poll
                if self._until is not None:
                    n = min(n, self._until - trainer.step_count)
                trainer.step(n)  # nothing when n <= 0
            if trainer.diverged:
                self._playing = False  # the one thing a runner decides by itself
            if trainer.changes != self._seen_changes:
                self._snapshot = self._take_snapshot()
            return self._snapshot

    def restart(self) -> None:
        self.reset(self._config)

    def sibling(self, config: Job, make_trainer: TrainerFactory) -> SyncRunner:
        """A synchronous runner for another job, training as many steps per poll."""
        return SyncRunner(config, self.steps_per_poll, make_trainer)

    def close(self) -> None:
        self.closed = True

    def _new_trainer(self, config: Job) -> Trainer | Lockstep:
        """A Trainer for ``config``, its one-unit optimum known from the first picture.

        The process runner computes the optimum in the background; here it is computed
        at once (cached per dataset and activation), so every picture is the same
        whatever the timing.
        """
        trainer = self._make_trainer(config)
        trainer.learn_one_unit_loss()
        return trainer

    def _take_snapshot(self) -> Picture:
        """A snapshot of the trainer stamped with the next runner-wide version."""
        self._seen_changes = self._trainer.changes
        self._version += 1
        if isinstance(self._trainer, Trainer):
            return self._trainer.snapshot(version=self._version, image_index=self._image_index)
        return self._trainer.snapshot(version=self._version)
