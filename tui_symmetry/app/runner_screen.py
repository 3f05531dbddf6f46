"""What a modal screen over a runner of its own does around its pictures (Compare, an
experiment): listen to the runner, poll it, report its state, close it on leaving."""

from __future__ import annotations

from typing import TYPE_CHECKING

from textual.message import Message

from tui_symmetry.app.controller import Notice, RunController

if TYPE_CHECKING:
    from tui_symmetry.app.notices import NoticeLine
    from tui_symmetry.runner import Runner


class RunnerAnswered(Message):
    """Posted from the runner's thread when a new picture is there."""


class WatchesRunner:
    """A mixin of a Screen whose ``runner`` (closed on leaving) its ``controller``
    drives; the screen defines ``poll`` (show the newest picture) and ``fps``."""

    runner: Runner
    controller: RunController
    notice_line: NoticeLine
    fps: float

    def poll(self) -> None:
        raise NotImplementedError

    def start_watching(self, timer_name: str) -> None:
        """Listen to the runner, start it, show its first picture and poll at ``fps``."""
        screen = self  # a Screen: it posts messages and sets intervals
        self.runner.set_listener(lambda: screen.post_message(RunnerAnswered()))  # type: ignore[attr-defined]
        self.controller.start()
        self.poll()
        screen.set_interval(1.0 / self.fps, self.poll, name=timer_name)  # type: ignore[attr-defined]

    def on_unmount(self) -> None:
        self.runner.set_listener(None)
        self.runner.close()

    def on_runner_answered(self) -> None:
        self.poll()

    def say_runner_state(self) -> None:
        """Say what the controller sees of the runner (a stall, an end) and its errors."""
        self._say(self.controller.check_runner())
        for error in self.runner.take_errors():
            self._say(Notice(error, "error"))

    def _say(self, notice: Notice | None) -> None:
        if notice is not None:
            self.notice_line.say(notice.text, notice.severity)
