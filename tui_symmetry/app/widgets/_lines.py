"""A Line API base for the heatmap panels: keyed, cached strips; partial refreshes.

Each panel describes its content as one *key* per terminal line -- small tuples of
quantized integers and short strings -- plus a function that builds the line's
segments.  A line is rebuilt (and repainted, and sent to the terminal) only when its
key changes, so a converged run, whose quantized picture no longer moves, costs nothing.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from rich.segment import Segment
from rich.style import Style
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget

from tui_symmetry.app.widgets._palette import ColorMode, StyleCache, detect_color_mode
from tui_symmetry.app.widgets._throttle import Schedule, Throttle, timer_schedule

DEFAULT_TEXT_INTERVAL = 0.25
"""Seconds between updates of printed numbers in a live terminal (4 per second)."""

LineSpec = tuple[Any, Callable[[], list[Segment]]]
"""(key, build): ``build()`` is called only when ``key`` differs from the cached one."""


class NumberGate:
    """Whether printed numbers may change now: one answer for all the panels of a screen.

    Each panel throttling its numbers on its own clock drew numbers of different
    snapshots side by side (the status line said "distinct 3/8", the Similarity panel
    still "2/8").  A screen that owns a gate opens it while it hands out the snapshot
    whose numbers are to be drawn, and closes it otherwise; a panel given the gate asks
    it instead of its own clock, and the screen's trailing update calls the panels'
    :meth:`LinePanel.flush_text` with the gate open.
    """

    def __init__(self) -> None:
        self.open = False


class LinePanel(Widget):
    """Base class: a widget drawn line by line from cached, keyed strips.

    Subclasses implement :meth:`_layout_lines` and call :meth:`_redraw` whenever
    their input changes.  ``strips_built`` counts line rebuilds (useful in tests and
    benchmarks: a repeated identical snapshot must not increase it).

    Printed numbers change with every training step while quantized colours mostly do
    not, so over a slow link the numbers would dominate the bytes sent.  They are
    therefore refreshed at most every ``text_interval`` seconds (with a trailing update,
    so the last values always show); 0 refreshes them on every snapshot.  The default,
    None, means DEFAULT_TEXT_INTERVAL in a terminal and 0 in a headless app (tests,
    screenshots), where output must not depend on timing.

    Time is read from ``clock`` (``time.monotonic`` unless a test injects a fake one);
    the trailing update is scheduled by ``schedule`` (a Textual timer unless a test
    injects its own), its delay computed from that clock, and :meth:`flush_text` is
    what it calls, so a test can also call it directly.
    """

    # Textual type selectors match subclasses too: one rule sizes both heatmap panels.
    DEFAULT_CSS = """
    LinePanel {
        width: 1fr;
        height: 1fr;
        min-width: 1;
        min-height: 1;
    }
    """

    def __init__(
        self,
        *,
        color_mode: ColorMode | None = None,
        text_interval: float | None = None,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self._forced_mode = color_mode
        self._styles = StyleCache()
        self._strips: list[Strip] = []
        self._keys: list[Any] = []
        self._width = 0
        self.strips_built = 0
        self.text_interval = text_interval
        self._text_throttle = Throttle.every(lambda: self.effective_text_interval, clock)
        self._schedule = schedule or timer_schedule(self)
        self.numbers_gate: NumberGate | None = None
        """The screen's gate: when set, it (not ``text_interval``) says when the printed
        numbers change, so that they change together with every other panel's."""

    # -- to implement ----------------------------------------------------------------------

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        """One (key, build) pair per line of the content region, top to bottom."""
        raise NotImplementedError

    def _empty_spec(self) -> LineSpec:
        """The single line shown before the first snapshot."""
        return ("empty",), lambda: text_segments("no data yet", self._styles.text(dim=True))

    @property
    def effective_text_interval(self) -> float:
        """The interval in force: ``text_interval``, or its automatic default."""
        return live_default(self, self.text_interval, DEFAULT_TEXT_INTERVAL)

    def _text_due(self) -> bool:
        """May the printed numbers change now?  Schedules a trailing update if not
        (with a gate, the gate's owner does)."""
        if self.numbers_gate is not None:
            return self.numbers_gate.open
        throttle = self._text_throttle
        if throttle.due():
            throttle.spend()
            throttle.cancel()
            return True
        if self.is_attached:
            throttle.hold(self.flush_text, self._schedule)
        return False

    def flush_text(self) -> None:
        """Bring held-back printed numbers up to date now (the trailing update)."""
        self._text_throttle.cancel()
        self._text_throttle.spend()
        if self._catch_up_text():
            self._redraw()

    def _catch_up_text(self) -> bool:
        """Bring the printed numbers up to date; True if anything changed."""
        return False

    # -- machinery -------------------------------------------------------------------------

    @property
    def color_mode(self) -> ColorMode:
        """The colour mode in use (forced by the constructor, else detected)."""
        return self._forced_mode or detect_color_mode(self)

    def on_mount(self) -> None:
        # A theme change alters the base style every cached strip was built on.
        self.app.theme_changed_signal.subscribe(self, lambda _theme: self._redraw())

    def on_resize(self, event: Resize) -> None:
        self._redraw()

    def _redraw(self) -> None:
        """Recompute line keys; rebuild and repaint only the lines whose key changed."""
        if not self.is_attached:
            return
        width, height = self.size.width, self.size.height
        if width <= 0 or height <= 0:
            # Hidden (Textual gives a hidden panel no size): keep the cached lines, so
            # that when it is shown again at its old size the frame answering the key
            # draws them at once instead of blank lines and a rebuild a frame later.
            return
        base = self.rich_style
        styles_changed = self._styles.reset_if_changed(base, self.color_mode)
        specs = list(self._layout_lines(width, height))[:height]
        full = styles_changed or width != self._width or len(specs) != len(self._keys)
        strips: list[Strip] = []
        keys: list[Any] = []
        dirty: list[int] = []
        for y, (key, build) in enumerate(specs):
            if not full and self._keys[y] == key:
                strips.append(self._strips[y])
            else:
                strips.append(Strip(build()).adjust_cell_length(width, base))
                self.strips_built += 1
                dirty.append(y)
            keys.append(key)
        self._strips, self._keys, self._width = strips, keys, width
        if full:
            self.refresh()
        else:
            for y in dirty:
                self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        """The cached strip for line ``y`` (Line API)."""
        width = self.size.width
        if 0 <= y < len(self._strips):
            strip = self._strips[y]
            if strip.cell_length == width:
                return strip
            return strip.adjust_cell_length(width, self.rich_style)
        return Strip.blank(width, self.rich_style)


@dataclass(frozen=True)
class BlankLine:
    """A line with nothing on it (``kind`` tells apart the blanks a panel draws)."""

    kind: str = "blank"


@dataclass(frozen=True)
class TextLine:
    """A line of one text in one style."""

    text: str
    bold: bool = False
    dim: bool = False


def paint_line(line: object, styles: StyleCache) -> list[Segment]:
    """The segments of the records every panel may draw (BlankLine, TextLine)."""
    if isinstance(line, TextLine):
        return text_segments(line.text, styles.text(bold=line.bold, dim=line.dim))
    if isinstance(line, BlankLine):
        return []
    raise TypeError(f"no painter for {line!r}")


def records_text(records: Sequence[Any], paint: Callable[[Any, StyleCache], list[Segment]],
                 mode: ColorMode) -> list[str]:
    """The text of a panel's line records as ``paint`` draws them in colour ``mode``:
    what the panel shows, read without mounting anything (lines are not padded)."""
    styles = StyleCache()
    styles.reset_if_changed(Style(), mode)
    return ["".join(segment.text for segment in paint(record, styles)) for record in records]


def live_default(widget: Widget, value: float | None, default: float) -> float:
    """``value`` when given; else ``default`` in a live terminal and 0 in a headless app
    (tests, screenshots), whose output must not depend on timing."""
    if value is not None:
        return value
    try:
        headless = widget.app.is_headless
    except Exception:  # no app yet
        headless = False
    return 0.0 if headless else default


def text_segments(text: str, style: Style) -> list[Segment]:
    """A one-segment line."""
    return [Segment(text, style)]
