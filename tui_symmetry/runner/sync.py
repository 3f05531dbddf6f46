"""SyncRunner: trains in the caller's thread, only when asked.

Tests and the screenshot script use it: the same steps always give the same pictures.
"""

from __future__ import annotations

import dataclasses
import threading
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Snapshot, Trainer


class SyncRunner:
    """Trains in the caller's thread, only when asked: deterministic, for tests.

    While playing, every :meth:`latest` call runs ``steps_per_poll`` steps (0 = none),
    so a test can see training advance without any clock involved.  A lock makes it
    safe to export from a worker thread while the UI thread polls.
    """

    def __init__(self, config: Config, steps_per_poll: int = 0) -> None:
        self._config = config
        self.steps_per_poll = steps_per_poll
        self._running = False
        self._lock = threading.RLock()
        self._trainer = Trainer(config)
        self._trainer_version = -1
        self._version = 0
        self._snapshot = self._fresh_snapshot()
        self.closed = False

    @property
    def config(self) -> Config:
        return self._config

    @property
    def running(self) -> bool:
        return self._running

    @property
    def pending(self) -> bool:
        return False

    @property
    def failure(self) -> str | None:
        return None

    @property
    def trainer(self) -> Trainer:
        """The Trainer itself (tests reach in to compare against the bare engine)."""
        return self._trainer

    def take_errors(self) -> list[str]:
        return []  # commands run in the caller: their errors are raised right there

    def start(self) -> None:
        """Nothing to start: training happens in :meth:`step` and :meth:`latest`."""

    def play(self) -> None:
        self._running = True

    def pause(self) -> None:
        self._running = False

    def step(self, n: int = 1) -> None:
        with self._lock:
            self._trainer.step(n)

    def reset(self, config: Config) -> None:
        with self._lock:
            self._config = config
            self._trainer = Trainer(config)
            self._trainer_version = -1

    def apply_live(self, **changes: Any) -> Config:
        new = self._config.replace_live(**changes)
        with self._lock:
            self._trainer.apply_live(**changes)
            self._config = new
        return new

    def export(self, timeout: float = 5.0) -> dict[str, Any]:
        with self._lock:
            return self._trainer.export()

    def latest(self) -> Snapshot:
        with self._lock:
            trainer = self._trainer
            if self._running and self.steps_per_poll and not trainer.diverged:
                trainer.step(self.steps_per_poll)
            if trainer.diverged:
                self._running = False
            if trainer.version != self._trainer_version:
                self._snapshot = self._fresh_snapshot()
            return self._snapshot

    def restart(self) -> None:
        self.reset(self._config)

    def close(self) -> None:
        self.closed = True

    def _fresh_snapshot(self) -> Snapshot:
        self._trainer_version = self._trainer.version
        self._version += 1
        return dataclasses.replace(self._trainer.snapshot(), version=self._version)


