"""The command line's one progress bar: on stderr, transient, never on stdout, redrawn
only when told (no refresh thread: it would compete with training for the GIL)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TextIO

from tui_symmetry.experiments.headless import Chunk

PROGRESS_AFTER_SECONDS = 0.5
"""Runs expected to finish sooner than this get no progress bar: it would only flash."""


class Bar:
    """A rich progress bar on ``stream`` with one task, redrawn after each update."""

    def __init__(self, stream: TextIO, columns: tuple[Any, ...], **task: Any) -> None:
        from rich.console import Console
        from rich.progress import Progress

        self._progress = Progress(*columns, console=Console(file=stream),
                                  auto_refresh=False, transient=True)
        self._task = self._progress.add_task("", **task)
        self._progress.start()

    @classmethod
    def training(cls, stream: TextIO, total: int, completed: int) -> Bar:
        """``training ━━━━ 1,200/5,000 9,800 steps/s loss 0.1234 0:00:03``."""
        from rich.progress import (
            BarColumn,
            MofNCompleteColumn,
            TextColumn,
            TimeRemainingColumn,
        )

        return cls(stream, (TextColumn("training"), BarColumn(), MofNCompleteColumn(),
                            TextColumn("{task.fields[rate]} steps/s"),
                            TextColumn("loss {task.fields[loss]}"), TimeRemainingColumn()),
                   total=total, completed=completed, rate="…", loss="…")

    @classmethod
    def runs(cls, stream: TextIO, total: int) -> Bar:
        """``runs ━━━━ 3/12 0:00:41``, drawn at once (a sweep's first run takes a while)."""
        from rich.progress import BarColumn, MofNCompleteColumn, TextColumn, TimeElapsedColumn

        bar = cls(stream, (TextColumn("runs"), BarColumn(), MofNCompleteColumn(),
                           TimeElapsedColumn()), total=total)
        bar._progress.refresh()
        return bar

    def update(self, **fields: Any) -> None:
        """Set the task's fields (``completed``, ``rate``, ...) and redraw."""
        self._progress.update(self._task, **fields)
        self._progress.refresh()

    def advance(self) -> None:
        """One more done, redrawn."""
        self.update(advance=1)

    def stop(self) -> None:
        """Take the bar off the terminal."""
        self._progress.stop()


class ChunkProgress:
    """A training bar that follows the headless loop's rounds (its per-chunk callback),
    shown once the rest of the run looks longer than PROGRESS_AFTER_SECONDS; a context
    manager that takes it off at the end.  ``stream`` None shows nothing.

    ``loss_words`` says the loss of the runs at a round (``0.1234``).
    """

    def __init__(self, stream: TextIO | None, loss_words: Callable[[Chunk], str]) -> None:
        self._stream = stream
        self._loss_words = loss_words
        self._bar: Bar | None = None

    def __call__(self, chunk: Chunk) -> None:
        if self._stream is None:
            return
        per_step = chunk.seconds_per_step
        if self._bar is None:
            if (chunk.steps - chunk.done) * per_step < PROGRESS_AFTER_SECONDS:
                return
            self._bar = Bar.training(self._stream, chunk.steps, chunk.done)
        rate = 1.0 / per_step if per_step > 0 else 0.0
        self._bar.update(completed=chunk.done, rate=f"{rate:,.0f}",
                         loss=self._loss_words(chunk))

    def __enter__(self) -> ChunkProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        if self._bar is not None:
            self._bar.stop()
