"""What the app needs from a runner: the :class:`Runner` protocol.

A runner owns one Trainer away from the UI's event loop and hands back immutable
snapshots.  It executes commands; it does not decide anything.  Whether the user
wants training to run is held by the app's controller, which sends ``play`` /
``pause``; a runner stops by itself only when the run diverges (the snapshot says so).

A runner can own two runs stepped together instead
(:class:`~tui_symmetry.experiments.lockstep.Lockstep`, compare in the app): whatever its
``make_trainer`` builds from its config, it trains the same way.

Every snapshot carries a ``version`` that the runner (for a process runner, the child)
keeps counting across resets, so "is this picture new?" is one integer comparison.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, Protocol

from tui_symmetry.core.config import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.lockstep import Lockstep, PairConfig, PairSnapshot
from tui_symmetry.experiments.registry import ExperimentJob, ExperimentRun, ExperimentSnapshot

UpdateListener = Callable[[], None]
"""Called, possibly from another thread, when something new is there to read."""

Job = Config | PairConfig | ExperimentJob
"""What a runner trains: one run's settings, a pair's (A and B in lockstep), or an
experiment's (its runs in lockstep, experiments/registry.py)."""

Picture = Snapshot | PairSnapshot | ExperimentSnapshot
"""What it hands back: a run's snapshot, a pair's, or an experiment's."""

TrainerFactory = Callable[[Any], Trainer | Lockstep | ExperimentRun]
"""Builds what a runner trains from its job: ``Trainer`` (the default), ``Lockstep`` or
``ExperimentRun``.
A class at module level, so it crosses to a spawned child by name."""


class RunnerError(RuntimeError):
    """The training process is gone or did not answer."""


class Runner(Protocol):
    """The interface the app drives; :class:`~tui_symmetry.runner.SyncRunner` and
    :class:`~tui_symmetry.runner.ProcessRunner` implement it."""

    @property
    def config(self) -> Config:
        """The configuration being trained (live changes included)."""
        ...

    @property
    def pending(self) -> bool:
        """True while a command has been sent whose effect is not yet in latest()."""
        ...

    @property
    def failure(self) -> str | None:
        """Why the runner stopped working (the training process died), or None."""
        ...

    def set_listener(self, listener: UpdateListener | None) -> None:
        """Call ``listener`` whenever a new snapshot or error answers a command.

        A UI uses it to redraw at once instead of at its next frame.  It may be called
        from another thread; it must be cheap and must not call back into the runner.
        """
        ...

    def take_errors(self) -> list[str]:
        """Errors reported for single commands since the last call (each once)."""
        ...

    def start(self) -> None:
        """Get ready to train (spawn the child); idempotent."""
        ...

    def play(self, until: int | None = None) -> None:
        """Train on its own until pause() (or divergence); hold at step ``until``."""
        ...

    def pause(self) -> None:
        """Stop training on its own; step() still works."""
        ...

    def step(self, n: int = 1) -> None:
        """Run exactly ``n`` more steps."""
        ...

    def set_speed(self, steps_per_s: float | None) -> None:
        """Cap the training rate at ``steps_per_s`` while playing; None is full speed."""
        ...

    def reset(self, config: Config) -> None:
        """Throw the network away and start ``config`` from step 0 (play state kept)."""
        ...

    def apply_live(self, **changes: Any) -> Config:
        """Change live fields mid-run; ConfigError (raised here, at once) otherwise."""
        ...

    def permute(self, perm: Sequence[int]) -> None:
        """Relabel the hidden units: new unit j is old unit ``perm[j]`` (same function)."""
        ...

    def select_image(self, index: int) -> None:
        """Picture the filters' feature maps on training image ``index`` from now on (a
        conv run's filters view; it holds across resets)."""
        ...

    def export(self, timeout: float = 5.0) -> dict[str, Any]:
        """The run as the export document (docs/contracts.md, "Export")."""
        ...

    def latest(self) -> Snapshot:
        """The newest snapshot; never blocks."""
        ...

    def restart(self) -> None:
        """After a failure: start again from the current config."""
        ...

    def sibling(self, config: Job, make_trainer: TrainerFactory) -> Runner:
        """A new runner of this kind and with these options, for another job (not started).

        Compare in the app trains its pair this way: in a child process beside a
        process runner, synchronously beside a synchronous one (tests, screenshots).
        """
        ...

    def close(self) -> None:
        """Stop for good (idempotent)."""
        ...
