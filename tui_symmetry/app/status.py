"""The status line: step, loss, symmetry, rate, speed cap and what the run is doing.

:func:`format_status` is plain text in, plain text out (tested without an app);
:class:`StatusBar` is the one-line widget that owns it and re-fits it when its width
changes.
"""

from __future__ import annotations

import math
from typing import TYPE_CHECKING

from textual.events import Resize
from textual.widgets import Static

from tui_symmetry.app.controller import RunState
from tui_symmetry.app.numbers import format_fixed, format_loss
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.settings import format_speed

if TYPE_CHECKING:
    from tui_symmetry.app.timeline import Timeline

STATE_TEXT: dict[RunState, str] = {
    "running": "running",
    "paused": "paused",
    "diverged": "diverged — press r to reset",
    "halted": "stopped — press r to retry",
    "stalled": "stalled",
}
"""The words at the end of the status line for each run state."""


def state_text(state: RunState, stalled_s: float | None = None) -> str:
    """The state's words; a stall says how long no step has come: ``stalled: no new step
    for 3 s``."""
    if state == "stalled" and stalled_s is not None:
        return f"stalled: no new step for {stalled_s:,.0f} s"
    return STATE_TEXT[state]


def timeline_text(timeline: Timeline, live: Snapshot) -> str | None:
    """``timeline: step 200 of 300 — space returns to live`` while ``[`` shows a recorded
    state; None on the live run (``live`` is its newest snapshot)."""
    if timeline.position is None:
        return None
    shown = timeline.snapshots[timeline.position]
    return f"timeline: step {shown.step:,} of {live.step:,} — space returns to live"


def format_rate(steps_per_s: float, show_rate: bool = True) -> str:
    """The training rate as the status line shows it: ``9,800``, ``120``, ``0.5``, or
    ``—`` when it is unknown or not to be shown (deterministic screenshots)."""
    if not show_rate or steps_per_s <= 0:
        return "—"
    if steps_per_s >= 1000:
        steps_per_s = round(steps_per_s, -2)  # hundreds: the last digits are only noise
    elif steps_per_s < 1:
        steps_per_s = float(f"{steps_per_s:.2g}")  # 1, not 0.998499, under a cap of 1
    return format_speed(steps_per_s).split()[0]


def rate_words(steps_per_s: float, show_rate: bool = True) -> str:
    """The rate with its unit: ``9,800 steps/s``, ``1 step/s``, ``— steps/s``."""
    number = format_rate(steps_per_s, show_rate)
    return f"{number} {'step' if number == '1' else 'steps'}/s"


def accuracy_words(snapshot: Snapshot) -> str:
    """``train accuracy 93.1 % (10 classes)`` for a table's classes (the snapshot's
    accuracy is on the training split); "" for the toys and for a regression."""
    if not snapshot.config.is_table or snapshot.accuracy is None or not snapshot.classes:
        return ""
    value = snapshot.accuracy
    pct = f"{format_fixed(100 * value, 1)} %" if math.isfinite(value) else "—"
    return f"train accuracy {pct} ({len(snapshot.classes)} classes)"


def format_status(
    snapshot: Snapshot,
    state: RunState,
    *,
    speed: float | None = None,
    show_rate: bool = True,
    width: int | None = None,
    stalled_s: float | None = None,
) -> str:
    """``step 12,400 · loss 0.2615 · symmetry 1.000 · distinct 1/8 · 9,800 steps/s ·
    running``; with a speed cap ``10 steps/s (cap 10)``, or ``10 steps/s cap`` before the
    state once the rate no longer fits.

    The rate is shown only while training runs (paused, stopped or stalled there is no
    rate to speak of: the last one measured would be a number about the past); it is
    ``—`` when unknown or when ``show_rate`` is False (deterministic screenshots).  A
    stall says for how long no new step has come (``stalled_s``).  Numbers are written
    by :mod:`tui_symmetry.app.numbers`.  When the line is wider than ``width`` the rate
    goes first, then "symmetry" shrinks to "sym", then "distinct", the symmetry and the
    loss go, so the speed cap and the state at the end stay on screen.
    """
    step = f"step {snapshot.step:,}"
    head = f"{step} · loss {format_loss(snapshot.loss)}"
    # Undefined (NaN) with fewer than two live units: a dash, never a number.
    index = snapshot.symmetry_index
    symmetry = format_fixed(index, 3) if math.isfinite(index) else "—"
    distinct = f"distinct {snapshot.distinct_units}/{snapshot.config.units}"
    words = state_text(state, stalled_s)
    tail = words if speed is None else f"{format_speed(speed)} cap · {words}"
    candidates = [
        f"{head} · symmetry {symmetry} · {distinct} · {tail}",
        f"{head} · sym {symmetry} · {distinct} · {tail}",
        f"{head} · sym {symmetry} · {tail}",
        f"{head} · {tail}",
        f"{step} · {tail}",
    ]
    if state == "running":
        rate = rate_words(snapshot.steps_per_s, show_rate)
        if speed is not None:
            rate += f" (cap {speed:,g})"
        candidates.insert(0, f"{head} · symmetry {symmetry} · {distinct} · {rate} · {words}")
    accuracy = accuracy_words(snapshot)
    if accuracy:  # a table's classes: said while there is room, before the symmetry goes
        short = accuracy.replace("train accuracy", "train acc")
        candidates = ([text.replace(head, f"{head} · {accuracy}", 1)
                       for text in candidates[:-3]]
                      + [text.replace(head, f"{head} · {short}", 1)
                         for text in candidates[-4:-1]] + candidates)
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
    StatusBar.-stalled {
        background: $warning 40%;
        text-style: bold;
    }
    """

    def __init__(self, *, show_rate: bool = True, id: str | None = None) -> None:
        super().__init__(id=id)
        self.show_rate = show_rate
        self._inputs: tuple[Snapshot, RunState, float | None, float | None] | None = None
        self.text = ""
        """The line as last drawn."""

    def show(self, snapshot: Snapshot, state: RunState, speed: float | None,
             stalled_s: float | None = None) -> None:
        """Draw the line for ``snapshot`` in ``state`` (no repaint if the text is the same)."""
        self._inputs = (snapshot, state, speed, stalled_s)
        self._draw()

    def show_numbers(self, snapshot: Snapshot) -> None:
        """Draw ``snapshot``'s numbers, in the state last shown (the screen calls this
        when the numbers of every panel change)."""
        if self._inputs is not None:
            self._inputs = (snapshot, *self._inputs[1:])
            self._draw()

    def on_resize(self, event: Resize) -> None:
        self._draw()

    def _draw(self) -> None:
        if self._inputs is None:
            return
        snapshot, state, speed, stalled_s = self._inputs
        width = self.content_size.width or max(1, self.app.size.width - 2)
        text = format_status(snapshot, state, speed=speed, show_rate=self.show_rate,
                             width=width, stalled_s=stalled_s)
        if text != self.text:  # unchanged text: no repaint, no bytes sent
            self.text = text
            # layout=False: the bar is one fixed line.  A layout pass over the whole
            # screen on every frame cost ~25 ms of the UI's time at 120×40.
            self.update(text, layout=False)
        self.set_class(state in ("diverged", "halted"), "-diverged")
        self.set_class(state == "stalled", "-stalled")
