"""The Loss panel: training / test loss and the symmetry index over steps.

Two textual-plotext plots side by side -- the loss (log scale on a toggle) and the
symmetry index on a fixed 0..1 axis with its chance level -- so the moment units split
(symmetry falls) can be read against the loss; when units that started alike split, that
step is marked on both plots.  When the panel is narrow the plots stack; when it is small
too, one plot carries both (symmetry on the right-hand axis).

Plotting is the expensive part of a frame (plotext rebuilds the whole picture, ~10 ms),
so the panel redraws at most once every ``min_interval`` seconds however often
:meth:`LossPanel.show` is called, always ending on the newest snapshot (a trailing
timer), and not at all while the history does not change.  Of a redrawn plot only the
lines that differ from the last frame are repainted and sent to the terminal.
"""

from __future__ import annotations

import math
import time
from typing import TYPE_CHECKING, Any, Literal

import numpy as np
from rich.segment import Segment
from rich.text import Text
from textual.app import ComposeResult, RenderResult
from textual.events import Resize
from textual.geometry import Region
from textual.strip import Strip
from textual.timer import Timer
from textual.widget import Widget
from textual_plotext import PlotextPlot

from tui_symmetry.app.widgets._palette import nice_ceil

if TYPE_CHECKING:
    from tui_symmetry.core.trainer import Snapshot

Arrangement = Literal["side", "stacked", "combined"]

# Okabe-Ito colours: distinguishable with every common colour-vision deficiency.
TRAIN_COLOR = (86, 180, 233)  # sky blue
TEST_COLOR = (230, 159, 0)  # orange
SYMMETRY_COLOR = (0, 158, 115)  # bluish green
CHANCE_COLOR = (150, 150, 150)
SPLIT_COLOR = (204, 121, 167)  # reddish purple: the step at which units split
SPLIT_THRESHOLD = 0.99
LEGEND_HEADROOM = 0.3  # share of the data's range left free above it for the legend

MAX_POINTS = 400  # per series: two braille dots per character of a 200-wide plot
SIDE_MIN_WIDTH = 60
STACK_MIN_HEIGHT = 16
TITLE_MIN_HEIGHT = 10


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
        self.title = ""
        self.step_range: tuple[float, float] | None = None
        self._strips: list[Strip] = []
        self._strip_size = (0, 0)
        self.lines_repainted = 0
        """Lines repainted so far (diagnostics: unchanged lines are not re-sent)."""

    def render(self) -> RenderResult:
        width, height = self.size.width, self.size.height
        if width < 4 or height < 3:
            return Text("")
        # Size-dependent decorations are applied here, at the size actually drawn.
        self.plt.title(self.title if height >= TITLE_MIN_HEIGHT else "")
        if self.step_range is not None:
            _set_step_ticks(self.plt, self.step_range, width)
        try:
            return super().render()
        except Exception:  # plotext has edge cases (degenerate ranges); keep running
            return Text("")

    def rebuild(self) -> None:
        """Draw the plot's current data into cached strips; repaint changed lines."""
        if not self.is_attached:
            return
        width, height = self.size.width, self.size.height
        base = self.rich_style
        rendered = self.render()
        text = rendered if isinstance(rendered, Text) else Text(str(rendered))
        console = self.app.console
        strips = []
        for line in text.split("\n", allow_blank=True)[:height]:
            # Every segment gets a style: Textual's NO_COLOR (Monochrome) filter
            # cannot handle a segment whose style is None.
            segments = list(Segment.apply_style(line.render(console), base))
            strips.append(Strip(segments).adjust_cell_length(width, base))
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
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.min_interval = min_interval
        self._log_scale = log_scale
        self._arrangement: Arrangement = "side"
        self._snapshot: Snapshot | None = None
        self._drawn_key: tuple | None = None
        self._last_draw = -math.inf
        self._timer: Timer | None = None
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
        wait = self._last_draw + self.min_interval - time.monotonic()
        if self.min_interval <= 0 or wait <= 0:
            self._draw_now()
        elif self._timer is None and self.is_attached:
            # Trailing edge: whatever arrives meanwhile, the newest snapshot is drawn.
            self._timer = self.set_timer(wait, self._on_timer)

    # -- drawing -------------------------------------------------------------------------------

    def on_mount(self) -> None:
        self._update_arrangement()
        if self._snapshot is not None:
            self._draw_now()

    def on_resize(self, event: Resize) -> None:
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

    def _on_timer(self) -> None:
        self._timer = None
        if self._content_key() != self._drawn_key:
            self._draw_now()

    def _content_key(self) -> tuple | None:
        snap = self._snapshot
        if snap is None:
            return None
        steps = snap.history["step"]
        last = int(steps[-1]) if len(steps) else -1
        return (snap.version, snap.step, last, len(steps), snap.config, self._log_scale,
                self._arrangement)

    def _draw_now(self) -> None:
        """Rebuild both plots from the newest snapshot and repaint them."""
        if self._timer is not None:
            self._timer.stop()
            self._timer = None
        snap = self._snapshot
        if snap is None or not self.is_mounted:
            return
        try:
            loss_plot, sym_plot = self.loss_plot, self.symmetry_plot
        except Exception:  # children not composed yet; on_mount draws later
            return
        self._drawn_key = self._content_key()
        self._last_draw = time.monotonic()
        self.draws += 1
        history = snap.history
        steps = np.asarray(history["step"], dtype=float)
        combined = self._arrangement == "combined"
        split = split_step(steps, np.asarray(history["symmetry_index"], dtype=float))
        self._plot_loss(loss_plot, steps, history, split, with_symmetry=combined)
        loss_plot.rebuild()
        if not combined:
            self._plot_symmetry(sym_plot, steps, history, snap, split)
            sym_plot.rebuild()

    def _plot_loss(
        self,
        widget: SafePlot,
        steps: np.ndarray,
        history: dict,
        split: float | None,
        with_symmetry: bool,
    ) -> None:
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        scale = "log" if self._log_scale else "linear"
        points = min(MAX_POINTS, 2 * max(widget.size.width, 8))
        widget.title = f"loss ({scale})"
        # Log scale is done here (log10 of the data, ticks labelled in loss units)
        # rather than by plotext, whose log axis also rescales a right-hand axis.
        log = self._log_scale
        lows, highs = [], []
        # Test first, so the training loss is drawn on top where the two coincide (on
        # the symmetric plateau they do, and the curve the run optimizes should show).
        for name, color in (("test", TEST_COLOR), ("train", TRAIN_COLOR)):
            key = "loss" if name == "train" else "test_loss"
            x, y = _finite(steps, np.asarray(history[key], dtype=float), log, points)
            if len(x):
                if log:
                    y = np.log10(y)
                lows.append(float(y.min()))
                highs.append(float(y.max()))
                plt.plot(x.tolist(), y.tolist(), label=name, color=color, marker="braille")
        any_points = bool(lows)
        if any_points:
            # Headroom above the data: the legend sits in the top rows, and the curve
            # starts at its highest point (the top left), which it would otherwise hide.
            low, high = min(lows), max(highs)
            span = high - low or abs(high) * 0.1 or 1.0
            bottom = low - 0.02 * span
            if not log and low >= 0.0:
                bottom = max(bottom, 0.0)  # a loss is never negative: no "-0.01" tick
            plt.ylim(bottom, high + LEGEND_HEADROOM * span)
        if log and any_points:
            ticks = _log_ticks(min(lows), max(highs))
            plt.yticks(ticks, [_compact(10.0**t) for t in ticks])
        if with_symmetry:
            x, y = _finite(
                steps, np.asarray(history["symmetry_index"], dtype=float), False, points
            )
            if len(x):
                plt.plot(x.tolist(), y.tolist(), label="sym", color=SYMMETRY_COLOR,
                         marker="braille", yside="right")
                plt.ylim(0, 1 + LEGEND_HEADROOM, yside="right")
            if split is not None:
                widget.title += f" · split at {_compact(split)}"
        if split is not None:
            plt.vline(split, color=SPLIT_COLOR)
        widget.step_range = _range(steps)
        if not any_points:
            widget.title = "loss: no data yet"

    def _plot_symmetry(
        self, widget: SafePlot, steps: np.ndarray, history: dict, snap: Any, split: float | None
    ) -> None:
        plt = widget.plt
        plt.clear_data()
        plt.clear_figure()
        widget.title = "symmetry index"
        if split is not None:
            # plotext drops a title wider than the plot: take the longest that fits.
            at = _compact(split)
            candidates = (f"symmetry index · split at {at}", f"symmetry · split at {at}",
                          f"split at {at}")
            room = widget.size.width - 2
            widget.title = next((t for t in candidates if len(t) <= room), candidates[-1])
            plt.vline(split, color=SPLIT_COLOR)
        points = min(MAX_POINTS, 2 * max(widget.size.width, 8))
        x, y = _finite(steps, np.asarray(history["symmetry_index"], dtype=float), False, points)
        chance = float(snap.chance_level)
        if len(x) > 1 and math.isfinite(chance):
            # The chance level first, so the symmetry line is drawn over it.
            plt.plot([float(x[0]), float(x[-1])], [chance, chance], label="chance",
                     color=CHANCE_COLOR, marker="braille")
        if len(x):
            plt.plot(x.tolist(), y.tolist(), label="symmetry", color=SYMMETRY_COLOR,
                     marker="braille")
        # Room above 1.0 for the legend: symmetric runs sit exactly at 1.0.
        plt.ylim(0, 1 + LEGEND_HEADROOM)
        plt.yticks([0, 0.5, 1], ["0", "0.5", "1"])
        widget.step_range = _range(steps)


def split_step(steps: np.ndarray, symmetry: np.ndarray, threshold: float = SPLIT_THRESHOLD
               ) -> float | None:
    """The first recorded step at which units that started alike stopped being alike.

    "Alike" is the distinct-units threshold of docs/contracts.md (S >= 0.99); runs that start
    split (Xavier, He, ...) have no such moment and give None.
    """
    n = min(len(steps), len(symmetry))
    if n < 2 or not symmetry[0] >= threshold:
        return None
    below = np.flatnonzero(symmetry[:n] < threshold)
    return float(steps[below[0]]) if len(below) else None


def _range(steps: np.ndarray) -> tuple[float, float] | None:
    """(first, last) step when there is a span to put ticks on."""
    if len(steps) < 2 or not np.isfinite(steps).all():
        return None
    lo, hi = float(steps.min()), float(steps.max())
    return (lo, hi) if hi > lo else None


def _finite(
    x: np.ndarray, y: np.ndarray, positive: bool, max_points: int = MAX_POINTS
) -> tuple[np.ndarray, np.ndarray]:
    """Drop NaN (no test split), inf (divergence) and, on a log axis, values <= 0.

    Also thins the series to ``max_points`` (a braille plot shows two points per
    character; plotext's cost grows with the number of points, not the width).
    """
    n = min(len(x), len(y))
    x, y = x[:n], y[:n]
    keep = np.isfinite(y) & np.isfinite(x)
    if positive:
        keep &= y > 0
    x, y = x[keep], y[keep]
    if len(x) > max_points:
        idx = np.unique(np.linspace(0, len(x) - 1, max_points).round().astype(int))
        x, y = x[idx], y[idx]
    return x, y


def _log_ticks(lo: float, hi: float) -> list[float]:
    """log10 positions of 1-2-5 ticks covering [10**lo, 10**hi] (at most ~6 of them)."""
    first, last = math.floor(lo), math.ceil(hi)
    for mantissas in ((1.0, 2.0, 5.0), (1.0,)):
        ticks = [
            math.log10(m) + e
            for e in range(first, last + 1)
            for m in mantissas
            if lo - 1e-9 <= math.log10(m) + e <= hi + 1e-9
        ]
        if len(ticks) <= 6:
            break
    if len(ticks) < 2:
        # Less than one 1-2-5 step in range: label the ends too.
        ticks = sorted({lo, hi, *ticks})
    return ticks


def _set_step_ticks(plt: Any, step_range: tuple[float, float], width: int) -> None:
    """Whole-number step ticks (plotext's own are floats like 7.5), labelled 5k, 1.2M."""
    lo, hi = step_range
    count = max(2, min(6, width // 12))
    step = max(1.0, nice_ceil((hi - lo) / count))
    first = math.ceil(lo / step) * step
    ticks = [first + i * step for i in range(int((hi - first) // step) + 1)]
    if ticks:
        plt.xticks(ticks, [_compact(t) for t in ticks])


def _compact(value: float) -> str:
    """12000 -> '12k', 1500000 -> '1.5M'."""
    for threshold, suffix in ((1e6, "M"), (1e3, "k")):
        if abs(value) >= threshold:
            return f"{value / threshold:.3g}{suffix}"
    return f"{value:.3g}"
