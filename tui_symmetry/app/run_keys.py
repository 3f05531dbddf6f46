"""Play, step and speed: the run keys of the app and of the compare screen, written once.

Both hosts have a :class:`~tui_symmetry.app.controller.RunController` (``controller``)
that decides, and an ``_after_command(notice)`` that says the notice and shows the
effect now; these actions only connect the two.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from tui_symmetry.app.controller import Notice, RunController


class RunKeyActions:
    """The ``space``, ``s``/``S`` and ``+``/``-`` actions of a screen or app that runs."""

    controller: RunController

    def _after_command(self, notice: Notice | None = None) -> None:
        raise NotImplementedError  # every host shows a command's effect its own way

    def action_toggle_run(self) -> None:
        """Play or pause training."""
        self._after_command(self.controller.toggle())

    def action_step(self, n: int) -> None:
        """Pause, then run exactly ``n`` steps."""
        self._after_command(self.controller.step(n))

    def action_speed(self, direction: int) -> None:
        """One step faster or slower along the speed ladder."""
        self._after_command(self.controller.change_speed(direction))
