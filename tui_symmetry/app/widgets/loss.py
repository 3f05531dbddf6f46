"""The Loss panel: training / test loss and the symmetry index over steps.

Two textual-plotext plots side by side -- the loss (log scale on a toggle) and the
symmetry index on a fixed 0..1 axis with its chance level -- so the moment units split
(symmetry falls) can be read against the loss; when units that started alike split, that
step is marked on both plots.  When the panel is narrow the plots stack; when it is small
too, one plot carries both (symmetry on the right-hand axis).

A run that diverged keeps its axes and its last finite values, and the loss plot's title
says at which step the loss ran away.  The loss axis never stretches past a few times the
starting loss (decades, on the log scale): values above are drawn on the top edge, so
one exploding value cannot flatten the whole curve into the axis.

Colours alone do not survive a 16-colour terminal or NO_COLOR, so the curves also differ
in their marks: the training loss and the symmetry index are braille lines, the test loss
(in 16 colours and mono) is dots, and the chance level is a dashed line; the legend, a
line of its own above each plot, shows each mark.

What the panel draws is decided before plotext is called: :func:`loss_figures`, a pure
function of the snapshot, the view (:class:`LossView`) and the plots' widths, builds one
:class:`Figure` per plot (title wordings, legend, y axes, step range, and the curves and
split marks in drawing order), and :meth:`SafePlot.draw` only replays a figure into
plotext; tests read the words from the figures without mounting anything.

Plotting is the expensive part of a frame (plotext rebuilds the whole picture, ~10 ms),
so the panel redraws at most once every ``min_interval`` seconds however often
:meth:`LossPanel.show` is called, always ending on the newest snapshot (a trailing
timer), and not at all while the history does not change.  Of a redrawn plot only the
lines that differ from the last frame are repainted and sent to the terminal.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
import plotext._utility as plotext_utility
from rich.color import Color
from rich.console import Console
from rich.segment import Segment
from rich.style import Style
from rich.text import Text
from textual.app import ComposeResult
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.widget import Widget
from textual_plotext import PlotextPlot

from tui_symmetry.app.numbers import format_compact
from tui_symmetry.app.widgets._palette import (
    ColorMode,
    detect_color_mode,
    nice_ceil,
)
from tui_symmetry.app.widgets._throttle import Schedule, Throttle, timer_schedule

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

Arrangement = Literal["side", "stacked", "combined"]
RGB = tuple[int, int, int]


@dataclass(frozen=True)
class CurveStyle:
    """How one curve is drawn: its colour and its mark (a plotext marker)."""

    color: RGB
    marker: str


@dataclass(frozen=True)
class CurveStyles:
    """The four curves' styles in one colour mode."""

    train: CurveStyle
    test: CurveStyle
    symmetry: CurveStyle
    chance: CurveStyle
    split: RGB
    one_unit: CurveStyle
    spread: CurveStyle


DASH = "╌"
"""The chance level's mark: a dashed line in every colour mode."""

CURVE_STYLES: dict[ColorMode, CurveStyles] = {
    # Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
    "full": CurveStyles(
        train=CurveStyle((86, 180, 233), "braille"),  # sky blue
        test=CurveStyle((230, 159, 0), "braille"),  # orange
        symmetry=CurveStyle((0, 158, 115), "braille"),  # bluish green
        chance=CurveStyle((150, 150, 150), DASH),
        split=(204, 121, 167),  # reddish purple: the step at which units split
        one_unit=CurveStyle((213, 94, 0), DASH),  # vermillion
        # Braille, not dots: the spread's straight line on its log axis is the point,
        # and one dot per cell drew a staircase.  Colour tells it from the symmetry.
        spread=CurveStyle((240, 228, 66), "braille"),  # yellow
    ),
    # Exact RGB of Rich's standard palette (the downgrade to 16 colours is exact), and
    # marks that differ where the colours might not (terminal themes remap them).
    "ansi16": CurveStyles(
        train=CurveStyle((85, 255, 255), "braille"),  # bright cyan
        test=CurveStyle((255, 255, 85), "dot"),  # bright yellow
        symmetry=CurveStyle((85, 255, 85), "braille"),  # bright green
        chance=CurveStyle((170, 170, 170), DASH),  # white (light grey)
        split=(255, 85, 255),  # bright magenta
        one_unit=CurveStyle((255, 85, 85), DASH),  # bright red
        spread=CurveStyle((255, 255, 85), "dot"),  # bright yellow
    ),
    # Colours are stripped: only the marks tell the curves apart.
    "mono": CurveStyles(
        train=CurveStyle((255, 255, 255), "braille"),
        test=CurveStyle((255, 255, 255), "dot"),
        symmetry=CurveStyle((255, 255, 255), "braille"),
        chance=CurveStyle((255, 255, 255), DASH),
        split=(255, 255, 255),
        one_unit=CurveStyle((255, 255, 255), DASH),
        spread=CurveStyle((255, 255, 255), "dot"),
    ),
}

UNIT_TICKS = (0.0, 0.5, 1.0)
"""Ticks of the symmetry axis (0..1)."""
CLIP_FACTOR = 10.0
"""Linear loss axis: at most this many times the first recorded loss."""
CLIP_DECADES = 4
"""Log loss axis: at most this many decades above the first recorded loss."""

LegendItem = tuple[str, str, RGB]
"""(label, plotext marker, colour) of one curve in a plot's legend line."""

MAX_POINTS = 400  # per series: two braille dots per character of a 200-wide plot
SIDE_MIN_WIDTH = 60
STACK_MIN_HEIGHT = 16
TITLE_MIN_HEIGHT = 10
NOTE_MIN_HEIGHT = 6
"""A title that carries news (divergence, clipping) is kept down to this height."""
LEGEND_MIN_HEIGHT = 5
"""A plot this high or higher has a legend line (below, the curves need every row)."""
LEGEND_TWO_LINES_HEIGHT = 14
"""A plot this high may give its legend a second line rather than drop a curve from it."""

@dataclass(frozen=True)
class ValueAxis:
    """A y axis whose top and ticks are chosen at draw time, for the height drawn.

    ``low`` and ``high`` bound the data (log10 of it when ``log``) and ``bottom`` is
    the axis' lower end; the top leaves a little room above the data.
    ``ceiling`` is set when values were clipped to it (its tick then reads "≥...");
    ``ticks`` fixes the ticks (else round numbers are chosen for the height).
    """

    bottom: float
    low: float
    high: float
    log: bool = False
    ceiling: float | None = None
    ticks: tuple[float, ...] = ()


PlotextColors = tuple[Any, Any, Any]
"""A plotext cell's (foreground, style, background), as its matrix stores them."""

_STYLE_CONSOLE = Console(color_system="truecolor", width=1)
"""Only decodes plotext's colour codes into Rich styles (it never prints)."""


@functools.cache
def _cell_style(colors: PlotextColors) -> Style | None:
    """The Rich style of a plotext cell: its ANSI codes as plotext writes them, decoded
    as Rich decodes them (so the picture is the one the ANSI route drew)."""
    codes = plotext_utility.colors_to_ansi(*colors)
    if not codes:
        return None
    decoded = Text.from_ansi(codes + "x" + plotext_utility.ansi_end)
    return decoded.get_style_at_offset(_STYLE_CONSOLE, 0)


def matrix_strips(matrix: Any, base: Style) -> list[Strip]:
    """One strip per line of a built plotext matrix, top line first.

    Cells of the same colours are joined into one segment; every segment gets ``base``
    under its own style (Textual's NO_COLOR filter cannot handle a segment without one).
    """
    strips = []
    markers, foregrounds, styles, backgrounds = (
        matrix.marker, matrix.fullground, matrix.style, matrix.background)
    for row in reversed(range(matrix.rows)):
        segments = []
        line_markers = markers[row]
        keys = list(zip(foregrounds[row], styles[row], backgrounds[row], strict=True))
        start = 0
        for col in range(1, len(keys) + 1):
            if col == len(keys) or keys[col] != keys[start]:
                style = _cell_style(keys[start])
                segments.append(Segment("".join(line_markers[start:col]),
                                        base if style is None else base + style))
                start = col
        strips.append(Strip(segments))
    return strips


class SafePlot(PlotextPlot):
    """A PlotextPlot that draws through cached lines and never raises while drawing.

    Why not plain PlotextPlot: it rebuilds on every refresh and repaints all of its
    lines; here :meth:`rebuild` is called only when the data changed, the frame is
    turned into strips once, and only lines that differ from the previous frame are
    repainted (the frame, the axes and the labels rarely change: fewer bytes over SSH).
    A plot that cannot be drawn (tiny size, plotext edge case) shows nothing instead of
    taking the app down.
    """

    DEFAULT_CSS = """
    SafePlot {
        min-width: 1;
        min-height: 1;
    }
    """

    def __init__(
        self,
        *,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.titles: tuple[str, ...] = ("",)
        """Title wordings, longest first: the longest that fits the width is drawn."""
        self.title_is_news = False
        """True when the title says something the curves alone do not (kept when short)."""
        self.step_range: tuple[float, float] | None = None
        self.value_axes: dict[str, ValueAxis] = {}
        """The y axes by side ("left", "right")."""
        self.legend: list[LegendItem] = []
        """The curves' names and marks, drawn on a line of their own above the frame."""
        self._strips: list[Strip] = []
        self._strip_size = (0, 0)
        self.lines_repainted = 0
        """Lines repainted so far (diagnostics: unchanged lines are not re-sent)."""

    @property
    def title(self) -> str:
        """The longest title wording (the one drawn when the plot is wide enough)."""
        return self.titles[0]

    def _draw_strips(self) -> list[Strip]:
        """Plot the current data at the current size: one strip per line, or none when
        the plot cannot be drawn (too small, or a plotext edge case).

        The title and the legend are lines of their own above the frame: a legend in
        the canvas hid the start of the curves (which begin at their highest point, top
        left) and took rows from a plot only a few rows high.
        """
        width, height = self.size.width, self.size.height
        if width < 4 or height < 3:
            return []
        header = self._header(width, height)
        plot_height = height - len(header)
        if self.step_range is not None:
            _set_step_ticks(self.plt, self.step_range, width)
        # The canvas is the plot's height less the frame and the step labels.
        canvas = plot_height - 3
        for side, axis in self.value_axes.items():
            # A right-hand axis tops out one row lower, so its curve (symmetry 1.0) and
            # the left one's top (a clipped loss) do not hide each other.
            _set_value_axis(self.plt, axis, side, canvas, int(side == "right"))
        plt = self.plt
        plt.title("")
        # As PlotextPlot.render sets it up (its comment: both size calls are needed).
        plt.plotsize(width, plot_height)
        plt._set_size(width, plot_height)
        plt.theme(self._get_plotext_theme_name(self.app.theme))
        try:
            # plotext's build() less its last step: the character matrix is read here
            # instead of being written out as ANSI text for Rich to parse back (that
            # round trip was half of a 30 ms redraw, on the UI thread).
            plt._set_sizes()
            plt._build_matrix()
            return header + matrix_strips(plt.monitor.matrix, self.rich_style)
        except Exception:  # plotext has edge cases (degenerate ranges); keep running
            return []

    def _header(self, width: int, height: int) -> list[Strip]:
        """The title and the legend, on one line when both fit, else one above the other
        while the plot is tall enough.  A legend too wide for its line shortens its
        labels, then takes a second line in a tall plot, then drops its last curves."""
        min_height = NOTE_MIN_HEIGHT if self.title_is_news else TITLE_MIN_HEIGHT
        titles = [t for t in self.titles if t] if height >= min_height else []
        legend = _fit_legend(self.legend if height >= LEGEND_MIN_HEIGHT else [], width,
                             2 if height >= LEGEND_TWO_LINES_HEIGHT else 1)
        if len(legend) == 1:
            for title in titles:
                if len(title) + 3 + _legend_width(legend[0]) <= width:
                    return [self._header_line(width, title, legend[0])]
        lines = []
        title = next((t for t in titles if len(t) <= width), "")
        if title:
            lines.append(self._header_line(width, title, []))
        for items in legend:
            if height - len(lines) >= LEGEND_MIN_HEIGHT:
                lines.append(self._header_line(width, "", items))
        return lines

    def _header_line(self, width: int, title: str, items: list[LegendItem]) -> Strip:
        """``title`` and the legend ``items`` (each mark in its curve's colour), centred."""
        base = self.rich_style
        length = len(title) + (3 if title and items else 0) + _legend_width(items)
        segments = [Segment(" " * max(0, (width - length) // 2), base)]
        if title:
            segments.append(Segment(title + ("   " if items else ""), base))
        for index, (label, marker, color) in enumerate(items):
            mark = _legend_mark(marker)
            segments.append(Segment(mark, base + Style(color=Color.from_rgb(*color))))
            segments.append(Segment(f" {label}" + ("  " if index < len(items) - 1 else ""),
                                    base))
        return Strip(segments)

    def draw(self, figure: Figure) -> None:
        """Show ``figure``: its marks go to plotext in their order, its words and axes
        to the header and the axes, and the plot is rebuilt."""
        plt = self.plt
        plt.clear_data()
        plt.clear_figure()
        for mark in figure.marks:
            if isinstance(mark, VLine):
                plt.vline(mark.step, color=mark.color)
            else:
                plt.plot(mark.x.tolist(), mark.y.tolist(), color=mark.color,
                         marker=mark.marker, yside=mark.yside)
        self.titles, self.title_is_news = figure.titles, figure.title_is_news
        self.legend = list(figure.legend)
        self.value_axes = dict(figure.value_axes)
        self.step_range = figure.step_range
        self.rebuild()

    def rebuild(self) -> None:
        """Draw the plot's current data into cached strips; repaint changed lines."""
        width, height = self.size.width, self.size.height
        if not (self.is_attached and width and height):
            return  # hidden: the cached lines stay for when it is shown again
        base = self.rich_style
        strips = [strip.adjust_cell_length(width, base) for strip in self._draw_strips()]
        del strips[height:]
        while len(strips) < height:
            strips.append(Strip.blank(width, base))
        old, self._strips = self._strips, strips
        if self._strip_size != (width, height) or len(old) != len(strips):
            self._strip_size = (width, height)
            self.lines_repainted += height
            self.refresh()
            return
        for y, (before, after) in enumerate(zip(old, strips, strict=True)):
            if before != after:
                self.lines_repainted += 1
                self.refresh(Region(0, y, width, 1))

    def render_line(self, y: int) -> Strip:
        """The cached line ``y`` of the last :meth:`rebuild` (Line API)."""
        width = self.size.width
        if 0 <= y < len(self._strips):
            strip = self._strips[y]
            if strip.cell_length != width:
                strip = strip.adjust_cell_length(width, self.rich_style)
            return strip
        return Strip.blank(width, self.rich_style)

    def on_resize(self, event: Resize) -> None:
        # Hidden, a plot gets a size of zero; shown again, the size it had.  Its cached
        # lines are still right then: a rebuild would only delay the frame that answers
        # the view key (and drawing on from an emptied cache showed blank plots).
        width, height = event.size.width, event.size.height
        if width and height and (width, height) != self._strip_size:
            self.rebuild()

    def _register_theme(self, app_theme_name: str) -> None:
        # The plot's colours follow the app's theme: redraw the cached lines with it.
        super()._register_theme(app_theme_name)
        self.rebuild()

    def plain_text(self) -> str:
        """The plot as plain text, as last drawn (for tests and debugging)."""
        return "\n".join(strip.text for strip in self._strips)


class LossPanel(Widget):
    """Loss curves and the symmetry index over training steps.

    Args:
        min_interval: minimum seconds between plot redraws (0 = redraw on every
            changed snapshot, for deterministic tests).
        log_scale: start with a logarithmic loss axis.
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"`` (how the curves are
            told apart); ``None`` detects the terminal.
        clock: the time source of the redraw throttle (tests inject a fake one).
        schedule: how its trailing redraw is scheduled (tests inject fake timers).
        name, id, classes, disabled: as for any Textual widget.
    """

    DEFAULT_CSS = """
    LossPanel {
        layout: horizontal;
        width: 1fr;
        height: 1fr;
        min-width: 1;
        min-height: 1;
    }
    LossPanel > SafePlot {
        height: 1fr;
    }
    LossPanel > #loss-plot {
        width: 2fr;
    }
    LossPanel > #symmetry-plot {
        width: 1fr;
    }
    LossPanel.-stacked {
        layout: vertical;
    }
    LossPanel.-stacked > SafePlot {
        width: 1fr;
    }
    LossPanel.-combined > #loss-plot {
        width: 1fr;
    }
    LossPanel.-combined > #symmetry-plot {
        display: none;
    }
    """

    def __init__(
        self,
        *,
        min_interval: float = 0.5,
        log_scale: bool = False,
        color_mode: ColorMode | None = None,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.min_interval = min_interval
        self._log_scale = log_scale
        self._forced_mode = color_mode
        self._throttle = Throttle.every(lambda: self.min_interval, clock)
        self._schedule = schedule or timer_schedule(self)
        self._arrangement: Arrangement = "side"
        self._snapshot: Snapshot | None = None
        self._drawn_key: tuple | None = None
        self.draws = 0
        """How many times the plots were redrawn (diagnostics for tests and benchmarks)."""

    def compose(self) -> ComposeResult:
        yield SafePlot(id="loss-plot")
        yield SafePlot(id="symmetry-plot")

    # -- public API --------------------------------------------------------------------------

    @property
    def log_scale(self) -> bool:
        """True when the loss axis is logarithmic."""
        return self._log_scale

    @property
    def arrangement(self) -> Arrangement:
        """How the two plots are laid out for the current size."""
        return self._arrangement

    @property
    def color_mode(self) -> ColorMode:
        """The colour mode in use (forced by the constructor, else detected)."""
        return self._forced_mode or detect_color_mode(self)

    @property
    def loss_plot(self) -> SafePlot:
        """The loss plot widget."""
        return self.query_one("#loss-plot", SafePlot)

    @property
    def symmetry_plot(self) -> SafePlot:
        """The symmetry-index plot widget (hidden in the combined arrangement)."""
        return self.query_one("#symmetry-plot", SafePlot)

    def toggle_log_scale(self) -> None:
        """Switch the loss axis between linear and logarithmic (redraws at once)."""
        self._log_scale = not self._log_scale
        self._draw_now()

    def show(self, snapshot: Snapshot) -> None:
        """Take a new snapshot; the plots follow at most every ``min_interval`` seconds."""
        self._snapshot = snapshot
        if self._content_key() == self._drawn_key:
            return
        if self._throttle.due():
            self._draw_now()
        elif self.is_attached:
            # Trailing edge: whatever arrives meanwhile, the newest snapshot is drawn.
            self._throttle.hold(self.flush, self._schedule)

    def flush(self) -> None:
        """Draw the newest snapshot now if it is not drawn yet (the trailing redraw)."""
        if self._content_key() != self._drawn_key:
            self._draw_now()
        else:
            self._throttle.cancel()

    # -- drawing -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._update_arrangement()
        if self._snapshot is not None:
            self._draw_now()

    def on_resize(self, event: Resize) -> None:
        if not (event.size.width and event.size.height):
            return  # hidden: keep the arrangement it is drawn in (see SafePlot.on_resize)
        if self._update_arrangement():
            self._draw_now()

    def _update_arrangement(self) -> bool:
        width, height = self.size.width, self.size.height
        if width >= SIDE_MIN_WIDTH:
            new: Arrangement = "side"
        elif height >= STACK_MIN_HEIGHT:
            new = "stacked"
        else:
            new = "combined"
        if new == self._arrangement and self.has_class(f"-{new}") == (new != "side"):
            return False
        self._arrangement = new
        self.set_class(new == "stacked", "-stacked")
        self.set_class(new == "combined", "-combined")
        return True

    def _content_key(self) -> tuple | None:
        snap = self._snapshot
        if snap is None:
            return None
        steps = snap.history["step"]
        last = int(steps[-1]) if len(steps) else -1
        return (snap.version, snap.step, last, len(steps), snap.config, snap.diverged,
                self._log_scale, self._arrangement, self.color_mode)

    def _draw_now(self) -> None:
        """Rebuild both plots from the newest snapshot and repaint them."""
        self._throttle.cancel()
        snap = self._snapshot
        if snap is None or not self.is_mounted or not self.size.area:
            return  # nothing yet, or hidden: the next show() after it is shown draws
        try:
            loss_plot, sym_plot = self.loss_plot, self.symmetry_plot
        except Exception:  # children not composed yet; on_mount draws later
            return
        self._drawn_key = self._content_key()
        self._throttle.spend()  # forced draws (log scale, resize) count too
        self.draws += 1
        view = LossView(self._log_scale, self._arrangement, self.color_mode)
        figures = loss_figures(snap, view, (loss_plot.size.width, sym_plot.size.width))
        loss_plot.draw(figures.loss)
        if figures.symmetry is not None:  # combined: the symmetry plot is hidden
            sym_plot.draw(figures.symmetry)


@dataclass(frozen=True)
class LossView:
    """What the loss panel's figures depend on besides the snapshot."""

    log_scale: bool = False
    arrangement: Arrangement = "side"
    mode: ColorMode = "full"


@dataclass(frozen=True, eq=False)  # arrays: compared by identity, never elementwise
class Series:
    """One curve as plotext gets it: its points, colour, mark and y axis (None: left)."""

    x: np.ndarray
    y: np.ndarray
    color: RGB
    marker: str
    yside: Literal["right"] | None = None


@dataclass(frozen=True)
class VLine:
    """A vertical mark across the plot at ``step`` (a lasting split)."""

    step: float
    color: RGB


VLINE_MARKER = "│"
"""The character plotext draws a :class:`VLine` with (its legend shows two of them)."""


@dataclass(frozen=True, eq=False)
class Figure:
    """Everything one plot of the loss panel shows, before plotext draws it.

    ``marks`` are drawn in their order (a later one over an earlier one where they
    meet); ``titles`` are the title's wordings, longest first (the longest that fits is
    drawn), and ``title_is_news`` keeps a short one in a low plot; ``legend`` names the
    curves in the order shown; ``value_axes`` are the y axes by side, their ticks chosen
    when the height is known; ``step_range`` is the x axis (None without a point).
    """

    marks: tuple[Series | VLine, ...]
    titles: tuple[str, ...]
    title_is_news: bool
    legend: tuple[LegendItem, ...]
    value_axes: tuple[tuple[str, ValueAxis], ...]
    step_range: tuple[float, float] | None

    @property
    def series(self) -> tuple[Series, ...]:
        """The curves, in drawing order."""
        return tuple(mark for mark in self.marks if isinstance(mark, Series))

    @property
    def vlines(self) -> tuple[VLine, ...]:
        """The vertical marks, in drawing order."""
        return tuple(mark for mark in self.marks if isinstance(mark, VLine))


@dataclass(frozen=True)
class LossFigures:
    """The loss plot and the symmetry plot (None when the loss plot carries both)."""

    loss: Figure
    symmetry: Figure | None


def loss_figures(snap: Snapshot, view: LossView, widths: tuple[int, int]) -> LossFigures:
    """The loss panel's two figures for ``snap``: every word, axis and curve it draws.

    ``widths`` are the columns of the loss plot and of the symmetry plot: a curve gets
    two points per column (braille), at most :data:`MAX_POINTS`.
    """
    styles = CURVE_STYLES[view.mode]
    steps = np.asarray(snap.history["step"], dtype=float)
    # Every lasting split at its exact step (core/lasting.py), not a guess from the
    # history; a split still inside its window is named, not marked.
    splits = sorted({float(split[0]) for split in snap.splits})
    pending = next((float(change[0]) for change in snap.not_yet_lasting
                    if change[2] > change[1]), None)
    combined = view.arrangement == "combined"
    loss = _loss_figure(snap, steps, view.log_scale, (splits, pending), styles, combined,
                        _points(widths[0]))
    if combined:
        return LossFigures(loss, None)
    return LossFigures(loss, _symmetry_figure(snap, steps, (splits, pending), styles,
                                              _points(widths[1])))


def _points(width: int) -> int:
    """Points per curve in a plot ``width`` columns wide."""
    return min(MAX_POINTS, 2 * max(width, 8))


def _loss_figure(snap: Snapshot, steps: np.ndarray, log: bool,
                 marks: tuple[list[float], float | None], styles: CurveStyles,
                 with_symmetry: bool, points: int) -> Figure:
    """The loss plot: test and training loss, the one-unit line, the split marks, and in
    the combined arrangement the symmetry index on the right-hand axis."""
    history = snap.history
    ceiling = _loss_ceiling(history, log)
    curves, lows, highs, clipped, legend = _loss_curves(steps, history, styles, log, points,
                                                       ceiling)
    x_range = _range(steps)
    one_unit = _one_unit_line(snap, log, ceiling, x_range, points, styles) if lows else None
    if one_unit is not None:
        curves.append(one_unit)
        lows.append(float(one_unit.y[0]))
        highs.append(float(one_unit.y[0]))
        legend.append((one_unit_label(snap), styles.one_unit.marker, styles.one_unit.color))
    axes: dict[str, ValueAxis] = {}
    if lows:
        axes["left"] = _loss_axis(lows, highs, log, ceiling if clipped else None)
    if with_symmetry:
        x, y = _finite(steps, np.asarray(history["symmetry_index"], dtype=float), False,
                       points)
        if len(x):
            curves.append(Series(x, y, styles.symmetry.color, styles.symmetry.marker,
                                 "right"))
            axes["right"] = ValueAxis(0.0, 0.0, 1.0, ticks=UNIT_TICKS)
            legend.append(("sym", styles.symmetry.marker, styles.symmetry.color))
    titles, news = _loss_titles(
        "log" if log else "linear", bool(lows), snap.step if snap.diverged else None,
        ceiling if clipped else None, _split_words(*marks) if with_symmetry else None,
        overfitting(history),
    )
    vlines = tuple(VLine(split, styles.split) for split in marks[0])
    return Figure((*curves, *vlines), titles, news, tuple(legend), tuple(axes.items()),
                  x_range)


def _one_unit_line(snap: Snapshot, log: bool, ceiling: float | None,
                   x_range: tuple[float, float] | None, points: int, styles: CurveStyles
                   ) -> Series | None:
    """The best loss of identical units (core/one_unit.py) across the steps drawn: a
    symmetric run ends on it, a split one goes below.  None while it is unknown or
    cannot be drawn (not positive on a log axis, above the clipped axis)."""
    one_unit = snap.one_unit_loss
    if (one_unit is None or not math.isfinite(one_unit) or x_range is None
            or (one_unit <= 0 and log) or (ceiling is not None and one_unit > ceiling)):
        return None
    # One point per half column: a dashed line.
    xs = np.linspace(x_range[0], x_range[1], points)
    level = math.log10(one_unit) if log else one_unit
    return Series(xs, np.full(len(xs), level), styles.one_unit.color,
                  styles.one_unit.marker)


def _loss_axis(lows: list[float], highs: list[float], log: bool, ceiling: float | None
               ) -> ValueAxis:
    """The loss axis over the drawn values (``ceiling``: where they were clipped)."""
    low, high = min(lows), max(highs)
    span = high - low or abs(high) * 0.1 or 1.0
    bottom = low - 0.02 * span
    if not log and low >= 0.0:
        bottom = max(bottom, 0.0)  # a loss is never negative: no "-0.01" tick
    return ValueAxis(bottom, max(low, bottom), high, log, ceiling)


def _symmetry_figure(snap: Snapshot, steps: np.ndarray,
                     marks: tuple[list[float], float | None], styles: CurveStyles,
                     points: int) -> Figure:
    """The symmetry plot: the split marks, the chance level, the symmetry index, and
    the spread of the units on a log axis (right)."""
    titles: tuple[str, ...] = ("symmetry index",)
    words = _split_words(*marks)
    if words is not None:
        titles = (f"symmetry index · {words[0]}", f"symmetry · {words[0]}", *words)
    drawn: list[Series | VLine] = [VLine(split, styles.split) for split in marks[0]]
    history = snap.history
    x, y = _finite(steps, np.asarray(history["symmetry_index"], dtype=float), False, points)
    chance = float(snap.chance_level)
    legend: list[LegendItem] = []
    if len(x) > 1 and math.isfinite(chance):
        # The chance level first, so the symmetry line is drawn over it; one point
        # per half column, so the dashes cover the whole width.
        xs = np.linspace(float(x[0]), float(x[-1]), points)
        drawn.append(Series(xs, np.full(len(xs), chance), styles.chance.color,
                            styles.chance.marker))
        legend.append(("chance", styles.chance.marker, styles.chance.color))
    if len(x):
        drawn.append(Series(x, y, styles.symmetry.color, styles.symmetry.marker))
        legend.insert(0, ("symmetry", styles.symmetry.marker, styles.symmetry.color))
    # Symmetric runs sit exactly at 1.0: the top leaves a little room above it.
    axes = [("left", ValueAxis(0.0, 0.0, 1.0, ticks=UNIT_TICKS))]
    spread = _spread_series(steps, history, styles, points)
    if spread is not None:
        drawn.append(spread)
        low, high = float(spread.y.min()), float(spread.y.max())
        if high - low < 1.0:  # at least a decade: no ticks crowding a flat line
            low, high = (low + high) / 2 - 0.5, (low + high) / 2 + 0.5
        axes.append(("right", ValueAxis(low, low, high, log=True)))
        legend.append(("spread", styles.spread.marker, styles.spread.color))
    return Figure(tuple(drawn), titles, False, tuple(legend), tuple(axes), _range(steps))


def _spread_series(steps: np.ndarray, history: dict, styles: CurveStyles, points: int
                   ) -> Series | None:
    """The spread ‖U − ū‖ as log10, for the right-hand axis: near the saddle a straight
    line whose slope is the growth rate the saddle readout states."""
    spread = history.get("spread")
    if spread is None:
        return None
    xs, ys = _finite(steps, np.asarray(spread, dtype=float), True, points)
    if not len(xs):
        return None
    return Series(xs, np.log10(ys), styles.spread.color, styles.spread.marker, "right")


def _split_words(splits: list[float], pending: float | None) -> tuple[str, ...] | None:
    """The first lasting split in words, longest first, or the first split still
    pending; None without either."""
    if splits:
        return f"split at {splits[0]:,.0f}", f"split {format_compact(splits[0])}"
    if pending is not None:
        return (f"split at {pending:,.0f} not yet lasting", f"split at {pending:,.0f}?",
                f"split {format_compact(pending)}?")
    return None


def _loss_titles(
    scale: str,
    any_points: bool,
    ran_away: int | None,
    ceiling: float | None,
    split: tuple[str, ...] | None,
    overfit: bool = False,
) -> tuple[tuple[str, ...], bool]:
    """The loss plot's title wordings (longest first) and whether they carry news."""
    if not any_points:
        return ("loss: no data yet",), False
    base = f"loss ({scale})"
    if ran_away is not None:
        at = f"{ran_away:,}"
        return (
            f"{base} · ran away at step {at} — showing the last finite values",
            f"{base} · ran away at step {at}",
            f"loss ran away at step {at}",
            f"ran away at step {at}",
            f"ran away at {format_compact(ran_away)}",
        ), True
    titles = [base]
    if ceiling is not None:
        titles = [f"{base} · clipped above {format_compact(ceiling)}", f"{base} · clipped",
                  base]
    if split is not None:
        titles = [f"{t} · {split[0]}" for t in titles] + titles
    if overfit:
        # News: the curves show it, but not everyone reads a rising test curve as such.
        titles = ([f"{t} · {OVERFIT_NOTE}" for t in titles] + [f"{base} · overfitting"]
                  + [OVERFIT_NOTE, "overfitting"])
    return tuple(titles), ceiling is not None or overfit


OVERFIT_NOTE = "test loss rising: overfitting"
OVERFIT_RISE = 0.02
"""The test loss must have risen this share above its lowest value to count."""
OVERFIT_POINTS = 3
"""... over at least this many recorded points since that lowest value."""


def one_unit_label(snap: Snapshot) -> str:
    """The legend of the dashed one-unit line: "one unit", and "as weights grow" where
    that best is only approached as the weights grow (core/one_unit.py), so a run of
    copies is seen to creep towards it rather than reach it; "one unit ≤" where the line
    is only an upper bound on that best (many inputs or classes: a search, not a proof)."""
    if snap.one_unit_bound == "upper":
        return "one unit ≤"
    return "one unit, as weights grow" if snap.one_unit_weights_grow else "one unit"


def overfitting(history: dict) -> bool:
    """True when the test loss has risen since its lowest point while the training
    loss kept falling: the network is fitting the training points' noise."""
    test = np.asarray(history.get("test_loss", ()), dtype=float)
    train = np.asarray(history.get("loss", ()), dtype=float)
    n = min(len(test), len(train))
    keep = np.isfinite(test[:n]) & np.isfinite(train[:n])
    test, train = test[:n][keep], train[:n][keep]
    if len(test) < OVERFIT_POINTS + 1:
        return False
    lowest = int(np.argmin(test))
    return bool(
        len(test) - 1 - lowest >= OVERFIT_POINTS
        and test[-1] > test[lowest] * (1 + OVERFIT_RISE)
        and train[-1] < train[lowest]
    )


def _loss_ceiling(history: dict, log: bool) -> float | None:
    """The loss axis' top: from the first recorded training loss (the test loss when
    there is no training point), so the axis does not move as a run explodes."""
    first = _first_positive(np.asarray(history["loss"], dtype=float))
    if first is None:
        first = _first_positive(np.asarray(history["test_loss"], dtype=float))
    if first is None:
        return None
    return first * (10.0**CLIP_DECADES if log else CLIP_FACTOR)


def _loss_curves(steps: np.ndarray, history: dict, styles: CurveStyles, log: bool,
                 points: int, ceiling: float | None
                 ) -> tuple[list[Series | VLine], list[float], list[float], bool,
                            list[LegendItem]]:
    """The test and training losses: (curves, lows, highs, clipped, legend)."""
    curves: list[Series | VLine] = []
    lows, highs = [], []
    clipped = False
    legend: list[LegendItem] = []
    # Test first, so the training loss is drawn on top where the two coincide (on the
    # symmetric plateau they do, and the curve the run optimizes should show).
    for name, key, style in (("test", "test_loss", styles.test),
                             ("train", "loss", styles.train)):
        x, y = _finite(steps, np.asarray(history[key], dtype=float), log, points)
        if not len(x):
            continue
        if ceiling is not None and y.max() > ceiling:
            clipped = True
            y = np.minimum(y, ceiling)
        # Log scale is done here (log10 of the data, ticks labelled in loss units)
        # rather than by plotext, whose log axis also rescales a right-hand axis.
        if log:
            y = np.log10(y)
        lows.append(float(y.min()))
        highs.append(float(y.max()))
        curves.append(Series(x, y, style.color, style.marker))
        legend.insert(0, (name, style.marker, style.color))  # "train" first
    return curves, lows, highs, clipped, legend



def _legend_mark(marker: str) -> str:
    """How a curve's marker is shown in the legend: two of its marks."""
    return {"braille": "⢕⢕", "dot": "••"}.get(marker, marker * 2)


SHORT_LABELS = {"symmetry": "sym"}
"""Shorter names for a legend that does not fit its line."""


def _fit_legend(items: list[LegendItem], width: int, max_lines: int) -> list[list[LegendItem]]:
    """``items`` on at most ``max_lines`` lines of ``width``: full names on one line,
    else short names, else split over the lines, else without the last curves."""
    if not items:
        return []
    short = [(SHORT_LABELS.get(label, label), marker, color) for label, marker, color in items]
    for candidate in (items, short):
        if _legend_width(candidate) <= width:
            return [candidate]
    lines: list[list[LegendItem]] = [[]]
    for item in short:
        if lines[-1] and _legend_width([*lines[-1], item]) > width:
            if len(lines) == max_lines:
                break
            lines.append([])
        if _legend_width([*lines[-1], item]) <= width:
            lines[-1].append(item)
    return [line for line in lines if line]


def _legend_width(items: list[LegendItem]) -> int:
    """Columns of a legend line: "⢕⢕ train  ⢕⢕ test  ╌╌ one unit"."""
    return sum(len(_legend_mark(marker)) + 1 + len(label) for label, marker, _ in items) + (
        2 * max(0, len(items) - 1))


def _first_positive(values: np.ndarray) -> float | None:
    """The first finite, positive value (a usable reference for the loss axis)."""
    ok = np.flatnonzero(np.isfinite(values) & (values > 0))
    return float(values[ok[0]]) if len(ok) else None


def _range(steps: np.ndarray) -> tuple[float, float] | None:
    """(first, last) step; both the same for a single point; None without a point."""
    if len(steps) < 1 or not np.isfinite(steps).all():
        return None
    return float(steps.min()), float(steps.max())


def _finite(
    x: np.ndarray, y: np.ndarray, positive: bool, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Drop NaN (no test split), inf (divergence) and, on a log axis, values <= 0.

    Also thins the series to about ``max_points`` (a braille plot shows two points per
    character; plotext's cost grows with the number of points, not the width), keeping
    the lowest and the highest point of each stretch so a spike is never thinned away.
    """
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = np.isfinite(y) & np.isfinite(x)
    if positive:
        keep &= y > 0
    x, y = x[keep], y[keep]
    n = len(x)
    if n > max_points:
        # Stretches of equal length (the last one padded): their argmin and argmax.
        size = math.ceil(n / max(max_points // 2, 1))
        stretches = math.ceil(n / size)
        padded = np.full(stretches * size, np.nan)
        padded[:n] = y
        table = padded.reshape(stretches, size)
        starts = np.arange(stretches) * size
        filled = np.where(np.isnan(table), np.inf, table)
        lows = starts + filled.argmin(axis=1)
        highs = starts + np.where(np.isnan(table), -np.inf, table).argmax(axis=1)
        idx = np.unique(np.concatenate([lows, highs, [n - 1]]))
        x, y = x[idx], y[idx]
    return x, y


def _log_ticks(lo: float, hi: float, count: int = 6) -> list[float]:
    """log10 positions of 1-2-5 ticks covering [10**lo, 10**hi] (at most ``count``)."""
    first, last = math.floor(lo), math.ceil(hi)
    ticks: list[float] = []
    for mantissas in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [
            math.log10(m) + e
            for e in range(first, last + 1)
            for m in mantissas
            if lo - 1e-9 <= math.log10(m) + e <= hi + 1e-9
        ]
        if len(ticks) <= count:
            break
    if len(ticks) > count:
        # Many decades: every k-th power of ten.
        stride = math.ceil(len(ticks) / count)
        ticks = ticks[::stride]
    if len(ticks) < 2:
        # Less than one 1-2-5 step in range: label the ends too.
        ticks = sorted({lo, hi, *ticks})
    return ticks


def _linear_ticks(lo: float, hi: float, count: int) -> list[float]:
    """Round-numbered ticks covering [lo, hi], about ``count`` of them."""
    if not hi > lo:
        return [lo]
    step = nice_ceil((hi - lo) / max(count - 1, 1))
    first = math.ceil(lo / step - 1e-9) * step
    ticks = []
    tick = first
    while tick <= hi * (1 + 1e-12) + 1e-12 and len(ticks) <= 2 * count:
        ticks.append(float(f"{tick:.12g}"))
        tick += step
    return ticks or [lo]


def _set_value_axis(plt: Any, axis: ValueAxis, side: str, canvas: int, free_rows: int
                    ) -> int:
    """Limits and ticks of one y axis for a canvas ``canvas`` lines high.

    The top is raised so the data stays below the top ``free_rows`` (a right-hand axis
    keeps one, so its curve and the left one's top do not hide each other).
    Ticks are labelled compactly ('1e290', '1e-4'); the top tick of a clipped axis says
    the values go beyond it.  Returns the widest label's length (the columns the axis
    takes from the plot beside it).
    """
    share = min(0.6, max(0.15, (free_rows + 0.5) / max(canvas, 1)))
    span = axis.high - axis.bottom or 1.0
    plt.ylim(axis.bottom, axis.high + span * share / (1 - share), yside=side)
    if axis.ticks:
        labels = [format_compact(t) for t in axis.ticks]
        plt.yticks(list(axis.ticks), labels, yside=side)
        return max(map(len, labels), default=0)
    count = max(2, min(6, canvas // 2))
    if axis.log:
        ticks = _log_ticks(axis.low, axis.high, count)
        labels = [format_compact(10.0**t, 2) for t in ticks]
    else:
        ticks = _linear_ticks(axis.low, axis.high, count)
        labels = [format_compact(t) for t in ticks]
    if axis.ceiling is not None:
        top = math.log10(axis.ceiling) if axis.log else axis.ceiling
        # A tick within a row of the top would land on the ceiling's row, and which of
        # the two labels plotext keeps there is not ours to decide: leave it out.
        row = (axis.high - axis.bottom) / max(canvas, 1)
        ticks = [t for t in ticks if t < top - max(row, 1e-9 * max(abs(top), 1.0))]
        labels = labels[: len(ticks)]
        ticks.append(top)
        labels.append("≥" + format_compact(axis.ceiling, 2))
    plt.yticks(ticks, labels, yside=side)
    return max(map(len, labels), default=0)


def _set_step_ticks(plt: Any, step_range: tuple[float, float], width: int) -> None:
    """Whole-number step ticks (plotext's own are floats like 7.5), labelled 5k, 1.2M."""
    lo, hi = step_range
    if hi <= lo:
        # A single point: plotext centres it in [lo - 1, lo + 1]; label just that step.
        plt.xlim(lo - 1, lo + 1)
        plt.xticks([lo], [format_compact(lo)])
        return
    count = max(2, min(6, width // 12))
    step = max(1.0, nice_ceil((hi - lo) / count))
    first = math.ceil(lo / step) * step
    ticks = [first + i * step for i in range(int((hi - first) // step) + 1)]
    if ticks:
        plt.xticks(ticks, [format_compact(t) for t in ticks])
