"""The status line: step, loss, symmetry, rate, speed cap and what the run is doing.

:func:`format_status` is plain text in, plain text out (tested without an app);
:class:`StatusBar` is the one-line widget that owns it and re-fits it when its width
changes.
"""

from __future__ import annotations

import math

from textual.events import Resize
from textual.widgets import Static

from tui_symmetry.app.controller import RunState
from tui_symmetry.core.trainer import Snapshot
from tui_symmetry.options import format_speed

STATE_TEXT: dict[RunState, str] = {
    "running": "running",
    "paused": "paused",
    "diverged": "diverged — press r to reset",
    "halted": "stopped — press r to retry",
}
"""The words at the end of the status line for each run state."""


def format_rate(steps_per_s: float, show_rate: bool = True) -> str:
    """The training rate as the status line shows it: ``9,800``, or ``—`` when it is
    unknown or not to be shown (deterministic screenshots)."""
    if not show_rate or steps_per_s <= 0:
        return "—"
    if steps_per_s >= 1000:
        return f"{round(steps_per_s, -2):,.0f}"  # hundreds: the last digits are only noise
    return f"{steps_per_s:,.0f}"


def format_status(
    snapshot: Snapshot,
    state: RunState,
    *,
    speed: float | None = None,
    show_rate: bool = True,
    width: int | None = None,
) -> str:
    """``step 12,400 · loss 0.2615 · symmetry 1.000 · distinct 1/8 · 9,800 steps/s ·
    running``; with a speed cap ``10 steps/s (cap 10)``, or ``10 steps/s cap`` before the
    state once the rate no longer fits.

    The rate is ``—`` when unknown or when ``show_rate`` is False (deterministic
    screenshots).  When the line is wider than ``width`` the rate goes first, then
    "symmetry" shrinks to "sym", then "distinct", the symmetry and the loss go, so the
    speed cap and the state at the end (running, paused, diverged) stay on screen.
    """
    loss = snapshot.loss
    if not math.isfinite(loss):
        loss_text = "inf" if loss > 0 else "nan"
    elif loss != 0 and abs(loss) < 1e-3:
        loss_text = f"{loss:.2e}"
    else:
        loss_text = f"{loss:.4f}"
    rate_text = format_rate(snapshot.steps_per_s, show_rate)
    step = f"step {snapshot.step:,}"
    head = f"{step} · loss {loss_text}"
    # Undefined (NaN) with fewer than two live units: a dash, never a number.
    index = snapshot.symmetry_index
    symmetry = f"{index:.3f}" if math.isfinite(index) else "—"
    distinct = f"distinct {snapshot.distinct_units}/{snapshot.config.hidden}"
    rate_part = f"{rate_text} steps/s"
    tail = STATE_TEXT[state]
    if speed is not None:
        rate_part += f" (cap {speed:,g})"
        tail = f"{format_speed(speed)} cap · {tail}"
    candidates = (
        f"{head} · symmetry {symmetry} · {distinct} · {rate_part} · {STATE_TEXT[state]}",
        f"{head} · symmetry {symmetry} · {distinct} · {tail}",
        f"{head} · sym {symmetry} · {distinct} · {tail}",
        f"{head} · sym {symmetry} · {tail}",
        f"{head} · {tail}",
        f"{step} · {tail}",
    )
    for text in candidates:
        if width is None or len(text) <= width:
            return text
    return tail


class StatusBar(Static):
    """One line at the bottom: :func:`format_status` fitted to the bar's width."""

    DEFAULT_CSS = """
    StatusBar {
        height: 1;
        padding: 0 1;
        background: $panel;
        color: $text;
    }
    StatusBar.-diverged {
        background: $error 40%;
        text-style: bold;
    }
    """

    def __init__(self, *, show_rate: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_rate = show_rate
        self._inputs: tuple[Snapshot, RunState, float | None] | None = None
        self.text = ""
        """The line as last drawn."""

    def show(self, snapshot: Snapshot, state: RunState, speed: float | None) -> None:
        """Draw the line for ``snapshot`` in ``state`` (no repaint if the text is the same)."""
        self._inputs = (snapshot, state, speed)
        self._draw()

    def on_resize(self, event: Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        if self._inputs is None:
            return
        snapshot, state, speed = self._inputs
        width = self.content_size.width or max(1, self.app.size.width - 2)
        text = format_status(snapshot, state, speed=speed, show_rate=self.show_rate,
                             width=width)
        if text != self.text:  # unchanged text: no repaint, no bytes sent
            self.text = text
            # layout=False: the bar is one fixed line.  A layout pass over the whole
            # screen on every frame cost ~25 ms of the UI's time at 120×40.
            self.update(text, layout=False)
        self.set_class(state in ("diverged", "halted"), "-diverged")
