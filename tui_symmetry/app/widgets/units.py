"""The Units gallery: what every hidden unit computes, one small picture per unit.

2-D datasets: each unit's activation a_i(x) = φ(W1[i]·x + b1[i]) over the input plane
as a half-block image (``▀``: foreground = upper pixel, background = lower pixel), all
on one shared colour scale, the legend's.  The first, bigger tile is the network's
output p(class 1) over the plane with the training points (○ ●) and the test points
(◇ ◆) on it, hollow for class 0 and filled for class 1, and the decision boundary (the
pixels where the logit changes sign) in white.  1-D datasets (sine, linear): each
unit's activation curve in braille on one shared scale, and the network's fit over the
data points (• training, ◆ test).

Tiles follow ``snapshot.order`` (alike units side by side), so copies of one unit show
as runs of identical pictures: identical parameters give bit-identical maps
(core/unit_maps.py), hence identical tiles.  Tiles never shrink below MIN_TILE_WIDTH ×
MIN_TILE_HEIGHT cells; when not every unit fits, the gallery shows the page that holds
the selected unit and the bottom line says which page it is.

Cost on the wire: images are quantized to nine levels (runs of equal neighbours merge
into one escape sequence; a cell whose two pixels agree is a blank on a background) and
drawn line by line with keys (LinePanel), so a line is sent only when its pictures
change.  Each column of tiles is its own widget (a GalleryStrip): Textual re-sends a
changed line from the left edge of the widget it belongs to, so a changing tile costs
its own column, not the panel's width.  Pictures that keep changing still cost bytes,
so in a terminal they follow the snapshots at most at ``byte_rate`` bytes per second
(a token bucket over the estimated size of the repainted lines, with a trailing
update): a quiet run updates at every snapshot; while every picture changes all the
time, at 120×40 they update every second or two (benchmarks/bench_units.py measures
it).  The first picture of a run, a resize, a new page or selection are drawn at once
and not charged.  Without colour (``NO_COLOR``) or with 16 colours, one cell is one
pixel and the level is a glyph: ``#=:·`` below the middle of the scale, ``░▒▓█``
above, ``*`` the boundary.
"""

from __future__ import annotations

import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style
from textual.app import ComposeResult
from textual.containers import Horizontal
from textual.events import Resize
from textual.widget import Widget

from tui_symmetry.app.numbers import format_compact, format_fit, format_scale, unit_name
from tui_symmetry.app.widgets._heatmap import longest_fitting, merged_segments
from tui_symmetry.app.widgets._lines import (
    LinePanel,
    LineSpec,
    NumberGate,
    TextLine,
    live_default,
    paint_line,
)
from tui_symmetry.app.widgets._palette import (
    ANSI16_NEGATIVE,
    ANSI16_NEUTRAL,
    ANSI16_POSITIVE,
    DIVERGING_FULL,
    DIVERGING_LEVELS,
    DIVERGING_MID,
    ZERO_LEVEL,
    ColorMode,
    StableScale,
    quantize_diverging,
    uses_glyphs,
)
from tui_symmetry.app.widgets._pixels import PixelLegend, PixelLine, paint_pixels
from tui_symmetry.app.widgets._throttle import Schedule, Throttle, timer_schedule
from tui_symmetry.app.widgets.classes import paint_class_bars
from tui_symmetry.app.widgets.confusion import confusion_split, paint_confusion
from tui_symmetry.app.widgets.table_units import (
    BIG_GAP,
    BarPart,
    BigPart,
    MatrixPart,
    PixelPart,
    TableFrame,
    TableLayout,
    TablePart,
    bar_extent,
    table_frame,
    table_layout,
)
from tui_symmetry.core.network import ACTIVATIONS
from tui_symmetry.core.unit_maps import activation_range

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot
    from tui_symmetry.core.unit_maps import UnitMaps

MIN_TILE_WIDTH = 10
MIN_TILE_HEIGHT = 5
"""The smallest tile: a label line and four image lines (10 × 8 pixels in half-blocks)."""
OUTPUT_SHARE = 0.4
"""Most of the panel's width the output tile takes."""
MAX_OUTPUT_LINES = 20
MAX_TILE_LINES = 10
"""The biggest pictures: 40 × 40 pixels for the output, 20 × 20 for a unit.  Bigger
ones would show nothing new and cost bytes on every change."""
TILE_GAP = 1
"""Columns between tiles (two between the output tile and the units)."""
DEFAULT_BYTE_RATE = 20_000.0
"""Bytes per second the pictures may cost in a terminal (the app's whole budget is
40 KB/s at 120×40; the status line and the numbers need the rest)."""
BURST_SECONDS = 1.0
"""The token bucket holds this many seconds of ``byte_rate``: a picture that changes
once in a while is drawn at once."""

# Glyph modes (16 colours, mono): one signed level per cell.  Below the middle of the
# scale dots and bars, above it the shading blocks, so the two sides never look alike.
SIGNED_GLYPHS = ("#", "=", ":", "·", " ", "░", "▒", "▓", "█")
BOUNDARY = DIVERGING_LEVELS
"""The level of a decision-boundary pixel on the output map."""
BOUNDARY_FULL = "#ffffff"
BOUNDARY_GLYPH = "*"
# The output map is drawn in the diverging palette darkened, so the points (drawn in
# the palette's light ends) and the white boundary stand out on it.
OUTPUT_DIM = 0.5

# Point glyphs: circles are training points, diamonds test points; hollow is class 0,
# filled class 1 (2-D).  1-D targets have no class: • training, ◆ test.
_NO_POINT, _TRAIN0, _TRAIN1, _TEST0, _TEST1 = range(5)
POINT_GLYPHS = {_TRAIN0: "○", _TRAIN1: "●", _TEST0: "◇", _TEST1: "◆"}
CURVE_POINT_GLYPHS = {_TRAIN0: "•", _TEST0: "◆"}
CLASS_FULL = (DIVERGING_FULL[0], DIVERGING_FULL[-1])  # class 0 blue, class 1 orange
CLASS_ANSI16 = (ANSI16_NEGATIVE, ANSI16_POSITIVE)

FIT_SAMPLE = "⣀"
"""The legend's sample of the fit's braille line."""
AXIS_GLYPH = "┈"
"""The y = 0 line of a curve tile, drawn dim where the curve is not."""

_BRAILLE_BITS = np.array([[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]])
"""The bit of each dot of a braille cell (4 rows × 2 columns), from U+2800."""


def next_unit(order: np.ndarray, current: int, delta: int) -> int:
    """The unit ``delta`` places after ``current`` along ``order``, wrapping around
    (from the first place when ``current`` is not in it; ``current`` if none)."""
    if len(order) == 0:
        return current
    where = np.flatnonzero(np.asarray(order) == current)
    position = int(where[0]) if where.size else 0
    return int(order[(position + delta) % len(order)])


def _dim(color: str, factor: float) -> str:
    r, g, b = (int(color[i : i + 2], 16) for i in (1, 3, 5))
    return "#{:02x}{:02x}{:02x}".format(*(round(c * factor) for c in (r, g, b)))


OUTPUT_FULL = (*(_dim(c, OUTPUT_DIM) for c in DIVERGING_FULL), BOUNDARY_FULL)
"""The output map's colours per level, then the boundary's."""


@dataclass(frozen=True)
class GalleryLayout:
    """Where the tiles go in the gallery's body (cells and lines)."""

    out_width: int  # 0: no output tile
    out_lines: int  # image lines of the output tile
    tile_width: int
    tile_lines: int  # image lines of a unit tile
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def strip_widths(self) -> tuple[int, ...]:
        """The width of each column strip: the output tile's, then the tiles'."""
        widths = [self.out_width + 2 * TILE_GAP] if self.out_width else []
        return (*widths, *[self.tile_width + TILE_GAP] * self.columns)


def gallery_layout(width: int, body: int, hidden: int) -> GalleryLayout:
    """The layout of a ``width`` × ``body`` area that shows every unit with the biggest
    tiles, or pages at the smallest.

    Tiles are as wide as two image lines are tall (square pictures: a cell is about
    twice as tall as wide), never smaller than MIN_TILE_WIDTH × MIN_TILE_HEIGHT, never
    bigger than the output tile.
    """
    min_lines = max(1, min(MIN_TILE_HEIGHT - 1, body - 1))
    out_lines = min(body - 1, int(width * OUTPUT_SHARE) // 2, MAX_OUTPUT_LINES)
    out_width = 2 * out_lines
    if out_lines < min_lines or width - out_width - 2 * TILE_GAP < MIN_TILE_WIDTH:
        out_width = out_lines = 0
    room = max(width - (out_width + 2 * TILE_GAP if out_width else 0), 0)
    biggest = max(min_lines, min(body - 1, room // 2, out_lines or body, MAX_TILE_LINES))
    chosen = (min_lines, MIN_TILE_WIDTH, 0, 0)
    for lines in range(biggest, min_lines - 1, -1):
        tile_width = max(MIN_TILE_WIDTH, 2 * lines)
        columns = (room + TILE_GAP) // (tile_width + TILE_GAP)
        rows = body // (lines + 1)
        chosen = (lines, tile_width, columns, rows)
        if columns * rows >= hidden:
            break
    lines, tile_width, columns, rows = chosen
    return GalleryLayout(out_width, out_lines, tile_width, lines, max(columns, 0),
                         max(rows, 0))


# -- picture maths (numpy; cached per snapshot and layout) ------------------------------------


def _sample_axis(n_grid: int, n_pixels: int, flip: bool) -> tuple[np.ndarray, np.ndarray,
                                                                  np.ndarray]:
    """Bilinear sampling of a grid axis at pixel centres: (lower index, upper, weight)."""
    t = (np.arange(n_pixels) + 0.5) / n_pixels
    if flip:  # image rows run from the top of the plane (high x1) down
        t = 1.0 - t
    g = t * (n_grid - 1)
    lo = np.minimum(np.floor(g).astype(np.intp), n_grid - 1)
    hi = np.minimum(lo + 1, n_grid - 1)
    return lo, hi, (g - lo).astype(np.float32)


def resample(maps: np.ndarray, rows: int, cols: int) -> np.ndarray:
    """(..., S, S) maps resampled bilinearly to (..., rows, cols) pixels, top row = high x1.

    The same weights for every map, elementwise: equal maps stay bit-equal.
    """
    r0, r1, fr = _sample_axis(maps.shape[-2], rows, flip=True)
    c0, c1, fc = _sample_axis(maps.shape[-1], cols, flip=False)
    fr = fr[:, None]
    by_row = maps[..., r0, :] * (1 - fr) + maps[..., r1, :] * fr
    return by_row[..., c0] * (1 - fc) + by_row[..., c1] * fc


def signed_levels(values: np.ndarray, centre: float, half: float) -> np.ndarray:
    """Diverging levels 0..8 of ``values`` around ``centre`` (±``half`` are the ends)."""
    with np.errstate(invalid="ignore", over="ignore"):
        levels = quantize_diverging(np.asarray(values, dtype=float) - centre, half)
    levels[levels == ZERO_LEVEL] = DIVERGING_MID  # an exact centre is just the centre
    return levels


def boundary_mask(logits: np.ndarray) -> np.ndarray:
    """Pixels whose logit sign differs from the right or lower neighbour's: a 1-pixel line."""
    positive = logits > 0
    mask = np.zeros(positive.shape, dtype=bool)
    mask[:, :-1] |= positive[:, :-1] != positive[:, 1:]
    mask[:-1, :] |= positive[:-1, :] != positive[1:, :]
    return mask


def point_cells(X: np.ndarray, lo: float, hi: float, lines: int, width: int,
                y_lo: float | None = None, y_hi: float | None = None,
                y: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(line, column) cell of each drawable point, and which points those are (a mask).

    2-D points are placed by (x0, x1), 1-D ones by (x, target ``y``); non-finite ones
    are left out.
    """
    span = hi - lo if hi > lo else 1.0
    cols = np.floor((X[:, 0] - lo) / span * width)
    if y is None:
        rows = np.floor((hi - X[:, 1]) / span * lines)
    else:
        y_span = (y_hi - y_lo) if y_hi > y_lo else 1.0
        rows = np.floor((y_hi - y) / y_span * lines)
    keep = np.isfinite(cols) & np.isfinite(rows)
    cols = np.clip(cols[keep], 0, width - 1).astype(np.intp)
    rows = np.clip(rows[keep], 0, lines - 1).astype(np.intp)
    return rows, cols, keep


def braille_rows(values: np.ndarray, x: np.ndarray, lo: float, hi: float, y_lo: float,
                 y_hi: float, lines: int, width: int) -> np.ndarray:
    """Braille code points (n, lines, width) of the curves ``values`` (n, G) at ``x``.

    Each dot column samples the curve; consecutive samples are joined by a vertical run
    of dots, so steep parts stay connected.  Non-finite samples draw nothing.
    """
    n = values.shape[0]
    dot_x = lo + (np.arange(2 * width) + 0.5) / (2 * width) * (hi - lo)
    # np.interp per curve, through shared indices and weights (equal curves stay equal).
    k = np.clip(np.searchsorted(x, dot_x) - 1, 0, len(x) - 2)
    f = ((dot_x - x[k]) / (x[k + 1] - x[k])).astype(np.float32)
    samples = values[:, k] * (1 - f) + values[:, k + 1] * f
    rows_total = 4 * lines
    span = (y_hi - y_lo) if y_hi > y_lo else 1.0
    with np.errstate(invalid="ignore", over="ignore"):
        pos = (y_hi - samples.astype(float)) / span * rows_total
    finite = np.isfinite(pos)
    row = np.clip(np.floor(np.where(finite, pos, 0.0)), 0, rows_total - 1).astype(np.intp)
    prev = np.concatenate([row[:, :1], row[:, :-1]], axis=1)
    prev_finite = np.concatenate([finite[:, :1], finite[:, :-1]], axis=1)
    prev = np.where(prev_finite, prev, row)
    top, bottom = np.minimum(row, prev), np.maximum(row, prev)
    dot_rows = np.arange(rows_total)[None, :, None]
    dots = (dot_rows >= top[:, None, :]) & (dot_rows <= bottom[:, None, :]) & finite[:, None, :]
    cells = dots.reshape(n, lines, 4, width, 2)
    return 0x2800 + np.einsum("nlrwc,rc->nlw", cells.astype(np.int32), _BRAILLE_BITS)


# -- the widgets -----------------------------------------------------------------------------


# -- line records: a tile's line, the legend, the footer; the frames they are cut from ------


@dataclass(frozen=True)
class GapPart:
    """Blank cells where no tile is."""

    width: int


@dataclass(frozen=True)
class TitlePart:
    """The output tile's title."""

    title: str
    width: int


@dataclass(frozen=True)
class LabelPart:
    """A tile's first line: the unit's name, marked when selected, † with no weights."""

    name: str
    selected: bool
    dead: bool
    width: int


@dataclass(frozen=True)
class ImagePart:
    """A line of a unit's picture: levels of the upper (and lower, half-block) row."""

    top: bytes
    bottom: bytes
    width: int


@dataclass(frozen=True)
class OutputPart:
    """A line of the output map: its drawn levels, the levels under the points, the points."""

    top: bytes
    bottom: bytes
    under: bytes
    points: bytes


@dataclass(frozen=True)
class CurvePart:
    """A line of a unit's curve (braille), with the y = 0 axis when it is on this line."""

    text: str
    axis: bool
    width: int


@dataclass(frozen=True)
class FitPart:
    """A line of the network's fit (braille) with the data points over it."""

    text: str
    points: bytes
    axis: bool


TilePart = (GapPart | TitlePart | LabelPart | ImagePart | OutputPart | CurvePart | FitPart
            | TablePart)


@dataclass(frozen=True)
class GalleryLegend:
    """The legend line: the activation scale's ends and the extras that fit."""

    scale: tuple[str, str]
    per_level: int
    extras: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class GalleryFooter:
    """The footer: the selected unit's name and numbers, the page."""

    head: str
    body: str
    page_text: str
    width: int


@dataclass(frozen=True)
class PlaneFrame:
    """The quantized pictures of a page of 2-D units (computed once per snapshot)."""

    range: tuple[float, float]
    tiles: dict[int, np.ndarray]  # unit -> signed levels (lines × width)
    out_levels: np.ndarray | None = None  # the output map's levels (no output tile: None)
    out_drawn: np.ndarray | None = None  # the same with the decision boundary drawn
    points: np.ndarray | None = None  # point codes over the output map


@dataclass(frozen=True)
class CurveFrame:
    """The braille curves of a page of 1-D units (computed once per snapshot)."""

    range: tuple[float, float]
    tiles: dict[int, list[str]]  # unit -> braille lines
    axis: int  # the tiles' line holding y = 0 (-1: off the scale)
    fit: list[str] | None = None  # the fit tile's braille lines (no output tile: None)
    fit_points: np.ndarray | None = None
    fit_axis: int = -1


class UnitsGallery(Widget):
    """One tile per hidden unit showing what it computes, plus the network's output.

    A legend line on top, the tiles in columns (one GalleryStrip per column), the
    selected unit's numbers at the bottom.

    Args:
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"``; ``None`` detects the
            terminal.
        text_interval: minimum seconds between updates of the printed numbers (the
            selected unit's weights and gradient norm); as for the other panels.
        byte_rate: bytes per second the pictures may cost; 0 draws every snapshot;
            None (default): DEFAULT_BYTE_RATE in a terminal, 0 in a headless app
            (tests, screenshots), whose output must not depend on timing.
        by_similarity: tiles in similarity order (default) or unit order.
        clock: the time source of both throttles (tests inject a fake one).
        schedule: how their trailing updates are scheduled (tests inject fake timers).
        name, id, classes, disabled: as for any Textual widget.
    """

    DEFAULT_CSS = """
    UnitsGallery {
        layout: vertical;
        width: 1fr;
        height: 1fr;
    }
    UnitsGallery > .gallery-line {
        height: 1;
    }
    UnitsGallery > Horizontal {
        height: 1fr;
    }
    UnitsGallery > Horizontal > GalleryStrip {
        height: 1fr;
    }
    """

    def __init__(
        self,
        *,
        color_mode: ColorMode | None = None,
        text_interval: float | None = None,
        byte_rate: float | None = None,
        by_similarity: bool = True,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(name=name, id=id, classes=classes, disabled=disabled)
        self.color_mode = color_mode
        self.text_interval = text_interval
        self.byte_rate = byte_rate
        self._clock = clock
        self._by_similarity = by_similarity
        self._snapshot: Snapshot | None = None  # the newest
        self._shown: Snapshot | None = None  # the one the pictures show (byte budget)
        self._printed: Snapshot | None = None  # the one the numbers show (text throttle)
        self._key: tuple | None = None
        self._selected = 0
        self._scale = StableScale()
        self.image_budget = Throttle.budget(lambda: self.effective_byte_rate, BURST_SECONDS,
                                            clock)
        """The byte budget of the pictures (its ``tokens``: bytes that may go now)."""
        self._schedule = schedule or timer_schedule(self)
        self._spent = 0  # estimated bytes of the picture lines rebuilt by this redraw
        self._layout: GalleryLayout | TableLayout | None = None
        self._frame_key: tuple | None = None
        self._frame: PlaneFrame | CurveFrame | None = None
        self._legend = GalleryStrip(self, "legend", classes="gallery-line")
        self._footer = GalleryStrip(self, "footer", classes="gallery-line")
        self._body = Horizontal()
        self._columns: list[GalleryStrip] = []
        self.bytes_estimated = 0
        """Estimated bytes of the picture lines built so far (bench_units.py compares it
        with what the terminal received)."""

    def compose(self) -> ComposeResult:
        yield self._legend
        yield self._body
        yield self._footer

    @property
    def numbers_gate(self) -> NumberGate | None:
        """The screen's gate for printed numbers (see :class:`_lines.NumberGate`)."""
        return self._footer.numbers_gate

    @numbers_gate.setter
    def numbers_gate(self, gate: NumberGate | None) -> None:
        self._footer.numbers_gate = gate

    def flush_text(self) -> None:
        """Bring held-back printed numbers up to date now (the trailing update)."""
        self._footer.flush_text()

    # -- public API --------------------------------------------------------------------------

    @property
    def selected_unit(self) -> int:
        """Index of the selected hidden unit (0-based; 0 before any snapshot)."""
        return self._selected

    @property
    def by_similarity(self) -> bool:
        """True when tiles follow the similarity order, False for unit order."""
        return self._by_similarity

    @property
    def columns(self) -> int:
        """Tiles per row at the current size (up/down move the selection by this much)."""
        return max(self._layout.columns, 1) if self._layout else 1

    @property
    def page(self) -> tuple[int, int]:
        """(page shown, number of pages), both counted from 1."""
        hidden = self._hidden()
        per_page = self._layout.per_page if self._layout else 0
        if hidden == 0 or per_page <= 0:
            return 1, 1
        return self._position(self._selected) // per_page + 1, math.ceil(hidden / per_page)

    @property
    def effective_byte_rate(self) -> float:
        """The byte budget in force (0: unlimited)."""
        return live_default(self, self.byte_rate, DEFAULT_BYTE_RATE)

    def select(self, unit: int) -> None:
        """Select hidden unit ``unit`` (its index, as the other panels count)."""
        hidden = self._hidden()
        if hidden == 0:
            return
        self._selected = min(max(int(unit), 0), hidden - 1)
        self._printed = self._snapshot  # a key press shows current numbers at once
        self._redraw_all(charge=False)

    def toggle_order(self) -> None:
        """Switch between similarity order and unit order."""
        self._by_similarity = not self._by_similarity
        self._redraw_all(charge=False)

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot``; a cheap no-op when its version and step are unchanged."""
        key = (snapshot.version, snapshot.step, snapshot.config)
        if key == self._key:
            return
        restarted = (self._key is None or snapshot.config != self._key[2]
                     or snapshot.step < self._key[1])
        if restarted:
            self._scale.reset()  # a new network: let the scale start afresh
        self._key = key
        self._snapshot = snapshot
        self._selected = min(self._selected, max(self._hidden() - 1, 0))
        if self._printed is None or restarted or self._footer._text_due():
            self._printed = snapshot
        if restarted or self._images_due():
            charge = not restarted and self._shown is not None
            self._shown = snapshot
            self._sync_layout()
            self._redraw_all(charge=charge)
        else:  # the pictures wait for the budget: only the numbers may change
            self._footer._redraw()

    def flush_images(self) -> None:
        """The trailing update of the budget: draw the newest snapshot's pictures once the
        budget allows it (else wait on, with a new timer)."""
        self.image_budget.cancel()
        if self._shown is not self._snapshot and self._images_due():
            self._shown = self._snapshot
            self._redraw_all(charge=True)

    def rendered_lines(self) -> list[str]:
        """The text on screen, line by line (the columns of tiles joined)."""
        lines = [self._legend.render_line(0).text] if self._legend.size.height else []
        height = self._body.size.height
        for y in range(height):
            lines.append("".join(column.render_line(y).text for column in self._columns
                                 if column.size.height))
        if self._footer.size.height:
            lines.append(self._footer.render_line(0).text)
        return lines

    # -- the byte budget -----------------------------------------------------------------------

    def _images_due(self) -> bool:
        """May the pictures change now?  Schedules a trailing update if not."""
        budget = self.image_budget
        if budget.due():
            budget.cancel()
            return True
        if self.is_attached:
            budget.hold(self.flush_images, self._schedule)
        return False

    def _redraw_all(self, charge: bool) -> None:
        """Redraw every strip; ``charge`` bills the rebuilt picture lines to the budget."""
        self._spent = 0
        for strip in (self._legend, *self._columns, self._footer):
            strip._redraw()
        self.bytes_estimated += self._spent
        if charge and self._spent:
            self.image_budget.spend(self._spent)  # nothing to pay without a budget

    def _counted(self, build: Callable[[], list[Segment]]) -> Callable[[], list[Segment]]:
        """``build``, adding an estimate of the bytes its line costs on the wire."""

        def counted() -> list[Segment]:
            segments = build()
            self._spent += wire_bytes(segments)
            return segments

        return counted

    # -- layout --------------------------------------------------------------------------------

    def on_resize(self, event: Resize) -> None:
        before = self._layout
        self._sync_layout()
        if self._layout != before and self._shown is not None:
            # The legend and the footer keep their size, so nothing else redraws them:
            # without this the footer kept saying no page while units no longer fit
            # (a scene paused at its point brings no new snapshot to redraw it).
            self._redraw_all(charge=False)

    def _sync_layout(self) -> None:
        """Fit the layout to the size; mount the column strips it needs."""
        if self._snapshot is None or not self.is_attached:
            return
        if not (self.size.width and self.size.height):
            return  # hidden: keep the columns (remounting them made showing it slow)
        width, body = self.size.width, max(self.size.height - 2, 0)
        snap = self._snapshot
        layout: GalleryLayout | TableLayout
        if snap.pictures is not None:  # a table: pictures of weights or class bars
            layout = table_layout(width, body, self._hidden(), snap.config.shape.image,
                                  snap.classes, self._legend.color_mode)
        else:
            layout = gallery_layout(width, body, self._hidden())
        self._layout = layout
        widths = layout.strip_widths
        if tuple(column.styles.width.value for column in self._columns) == widths:
            return
        self._body.remove_children()
        self._columns = [GalleryStrip(self, "column", index) for index in range(len(widths))]
        for column, column_width in zip(self._columns, widths, strict=True):
            column.styles.width = column_width
        self._body.mount_all(self._columns)

    def _hidden(self) -> int:
        return 0 if self._snapshot is None else int(self._snapshot.params.b1.shape[0])

    def _order(self) -> np.ndarray:
        """The display order: the pictures' snapshot's (tiles move with their pictures)."""
        hidden = self._hidden()
        snap = self._shown or self._snapshot
        if self._by_similarity and snap is not None and len(snap.order) == hidden:
            return np.asarray(snap.order)
        return np.arange(hidden)

    def _position(self, unit: int) -> int:
        where = np.flatnonzero(self._order() == unit)
        return int(where[0]) if where.size else 0

    def _page_units(self, layout: GalleryLayout | TableLayout) -> list[int]:
        order = self._order()
        per_page = layout.per_page
        if per_page <= 0:
            return []
        first = (self._position(self._selected) // per_page) * per_page
        return [int(unit) for unit in order[first : first + per_page]]

    # -- what each strip shows -----------------------------------------------------------------

    def _strip_specs(self, strip: GalleryStrip, width: int, height: int) -> list[LineSpec]:
        snap, layout = self._shown, self._layout
        if snap is None or layout is None:
            return [strip._empty_spec()] if strip.role == "legend" else []
        if snap.pictures is not None and isinstance(layout, TableLayout):
            return self._table_specs(strip, snap, layout, width, height)
        maps = snap.unit_maps
        if maps is None or not isinstance(layout, GalleryLayout):
            if strip.role != "legend":
                return []
            nomaps = TextLine("no unit maps in this snapshot", dim=True)
            return [(nomaps, lambda: paint_line(nomaps, strip._styles))]
        page_units = self._page_units(layout)
        mode = strip._styles.mode
        frame = self._frame_for(snap, maps, layout, page_units, mode)
        newest = self._snapshot
        dead = tuple(bool(d) for d in newest.dead) if newest is not None else ()
        view = GalleryView(self._selected, tuple(page_units), layout, mode, self.page, dead)
        records = gallery_lines(snap, self._printed or newest, frame, view, strip.role,
                                strip.index, width, height)
        return [self._spec(strip, record) for record in records]

    def _table_specs(self, strip: GalleryStrip, snap: Snapshot, layout: TableLayout,
                     width: int, height: int) -> list[LineSpec]:
        """A table's strip: the legend, a column of tiles (or the big tile), the footer."""
        page_units = self._page_units(layout)
        mode = strip._styles.mode
        frame = self._table_frame_for(snap, layout, page_units, mode)
        newest = self._snapshot
        dead = tuple(bool(d) for d in newest.dead) if newest is not None else ()
        view = GalleryView(self._selected, tuple(page_units), layout, mode, self.page, dead)
        if strip.role == "legend":
            records: list[GalleryLine] = [_table_legend(frame, snap, width)]
        elif strip.role == "footer":
            records = [_footer_record(self._printed or newest, view, width)]
        else:
            records = [_table_column_record(y, strip.index, view, frame)
                       for y in range(height)]
        return [self._spec(strip, record) for record in records]

    def _table_frame_for(self, snap: Snapshot, layout: TableLayout, page_units: list[int],
                         mode: ColorMode) -> TableFrame:
        """The page's table records, built once per snapshot, layout and selection."""
        key = (snap.version, snap.step, snap.config, layout, tuple(page_units), mode,
               self._selected)
        if key == self._frame_key and isinstance(self._frame, TableFrame):
            return self._frame
        pictures = snap.pictures
        assert pictures is not None
        act_range = activation_range(ACTIVATIONS[snap.config.activation])
        means = pictures.class_means[np.isfinite(pictures.class_means)]
        fallback = self._scale.update(float(np.abs(means).max()) if means.size else 0.0)
        extent = bar_extent(pictures, act_range, fallback)
        frame = table_frame(pictures, snap.classes, page_units, layout,
                            min(self._selected, len(pictures.class_means) - 1), mode,
                            snap.config.activation, act_range[0] < 0, extent,
                            snap.confusion, confusion_split(snap))
        self._frame, self._frame_key = frame, key
        return frame

    def _spec(self, strip: GalleryStrip, record: GalleryLine) -> LineSpec:
        """A record and how to build its line (picture lines count their bytes)."""
        if isinstance(record, GalleryLegend):
            return record, lambda: strip.legend_segments(record)
        if isinstance(record, GalleryFooter):
            return record, lambda: strip.footer_segments(record)
        if isinstance(record, TableLegend):
            return record, lambda: strip.table_legend_segments(record)

        def build() -> list[Segment]:
            return [*strip.part_segments(record.part),
                    Segment(" " * record.gap, strip._styles.text())]

        if isinstance(record.part, (ImagePart, CurvePart, OutputPart, FitPart, PixelPart,
                                    BigPart)):
            return record, self._counted(build)
        return record, build

    def _catch_up_text(self) -> bool:
        if self._printed is self._snapshot:
            return False
        self._printed = self._snapshot
        return True

    # -- the pictures of one frame --------------------------------------------------------------

    def _colour_range(self, maps: UnitMaps) -> tuple[float, float]:
        """(lo, hi) of the shared activation scale: φ's range where it is bounded, else
        a round number that follows the largest |a| without flickering."""
        lo, hi = maps.activation_range
        if math.isfinite(lo) and math.isfinite(hi):
            return lo, hi
        values = maps.hidden[np.isfinite(maps.hidden)]
        scale = self._scale.update(float(np.abs(values).max()) if values.size else 0.0)
        return (lo if math.isfinite(lo) else -scale), (hi if math.isfinite(hi) else scale)

    def _frame_for(self, snap: Snapshot, maps: UnitMaps, layout: GalleryLayout,
                   page_units: list[int], mode: ColorMode) -> PlaneFrame | CurveFrame:
        """The quantized pictures of the page, computed once per snapshot and layout."""
        key = (snap.version, snap.step, snap.config, layout, tuple(page_units), mode)
        if key == self._frame_key and self._frame is not None:
            return self._frame
        lo, hi = self._colour_range(maps)
        frame = (plane_frame(maps, layout, page_units, uses_glyphs(mode), lo, hi)
                 if maps.is_plane else curve_frame(maps, layout, page_units, lo, hi))
        self._frame, self._frame_key = frame, key
        return frame


class GalleryStrip(LinePanel):
    """One piece of a UnitsGallery -- its legend line, a column of tiles, or its footer --
    drawn from the gallery's state with this widget's own styles."""

    def __init__(self, gallery: UnitsGallery, role: str, index: int = 0,
                 classes: str | None = None) -> None:
        super().__init__(color_mode=gallery.color_mode, text_interval=gallery.text_interval,
                         clock=gallery._clock, schedule=gallery._schedule,
                         classes=classes)
        self.gallery, self.role, self.index = gallery, role, index

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        return self.gallery._strip_specs(self, width, height)

    def _catch_up_text(self) -> bool:
        return self.role == "footer" and self.gallery._catch_up_text()

    # -- segments ------------------------------------------------------------------------------

    def part_segments(self, part: TilePart) -> list[Segment]:
        """The segments of one tile's line (``part`` is its line's record)."""
        styles = self._styles
        match part:
            case GapPart():
                return [Segment(" " * part.width, styles.text())]
            case TitlePart():
                return [Segment(part.title[: part.width].ljust(part.width),
                                styles.text(bold=True))]
            case LabelPart():
                text = ("▸" if part.selected else " ") + part.name + ("†" if part.dead else "")
                style = styles.text(bold=part.selected, reverse=part.selected,
                                    dim=not part.selected)
                return [Segment(text[: part.width].ljust(part.width), style)]
            case ImagePart():
                return merged_segments(self._pixel_cells(part.top, part.bottom, output=False))
            case OutputPart():
                return merged_segments(self._output_cells(part.top, part.bottom, part.under,
                                                          part.points))
            case CurvePart():
                return merged_segments(self._curve_cells(part.text.ljust(part.width),
                                                         part.axis))
            case FitPart():
                return merged_segments(self._fit_cells(part.text, part.points, part.axis))
            case PixelPart() | BarPart() | BigPart() | MatrixPart():
                return self.table_part_segments(part)
        raise AssertionError(part)

    def table_part_segments(self, part: TablePart) -> list[Segment]:
        """The segments of a line of a table's tile or big tile, ``part.width`` wide."""
        styles = self._styles
        match part:
            case PixelPart():
                segs = paint_pixels(part.line, styles)
            case BarPart():
                segs = paint_class_bars(part.line, styles)
            case MatrixPart():
                segs = paint_confusion(part.line, styles)
            case BigPart():
                segs = (paint_pixels(part.pixel, styles) if part.pixel is not None else [])
                segs = [*Segment.adjust_line_length(segs, part.pixel_width + BIG_GAP,
                                                    styles.text())]
                if part.bar is not None:
                    segs += paint_class_bars(part.bar, styles)
        return list(Segment.adjust_line_length(segs, part.width, styles.text()))

    def table_legend_segments(self, legend: TableLegend) -> list[Segment]:
        """A table gallery's legend: the weights' colour scale, then its words."""
        segs = [] if legend.pixels is None else paint_pixels(legend.pixels, self._styles)
        return [*segs, Segment(legend.text, self._styles.text(dim=legend.pixels is not None))]

    def legend_segments(self, legend: GalleryLegend) -> list[Segment]:
        """The legend line: the activation scale, then what fits of the extras."""
        scale, per_level, extras = legend.scale, legend.per_level, legend.extras
        styles = self._styles
        segs = [Segment(scale[0], styles.text(bold=True))]
        segs += self._legend_scale(per_level, output=False)
        segs.append(Segment(scale[1], styles.text()))
        for kind, text in extras:
            if kind == "output":
                segs.append(Segment(text, styles.text(bold=True)))
                segs += self._legend_scale(per_level, output=True)
                segs.append(Segment(" 1", styles.text()))
            elif kind == "boundary":
                segs.append(Segment("  ", styles.text()))
                segs.append(self._boundary_sample())
                segs.append(Segment(text, styles.text(dim=True)))
            else:
                segs.append(Segment(text, styles.text(dim=True)))
        return segs

    def footer_segments(self, footer: GalleryFooter) -> list[Segment]:
        """The footer: the selected unit's numbers, and the page when there are more."""
        head, body, page_text, width = footer.head, footer.body, footer.page_text, footer.width
        styles = self._styles
        segs = [Segment(head, styles.text(bold=True, reverse=True)),
                Segment(" " + body, styles.text())]
        used = len(head) + 1 + len(body)
        if page_text:
            segs.append(Segment(" " * max(width - used - len(page_text), 0), styles.text()))
            segs.append(Segment(page_text, styles.text(dim=True)))
        return segs

    # -- cells ---------------------------------------------------------------------------------

    def _pixel_cells(self, top: bytes, bottom: bytes, output: bool):
        """(text, style) per cell of an image line: a half-block or a signed glyph."""
        if uses_glyphs(self._styles.mode):
            for level in top:
                yield self._glyph_cell(level)
            return
        for upper, lower in zip(top, bottom, strict=True):
            if upper == lower:  # a background-only blank is about half the bytes
                yield " ", self._half_style(upper, upper, output)
            else:
                yield "▀", self._half_style(upper, lower, output)

    def _output_cells(self, top: bytes, bottom: bytes, under: bytes, points: bytes):
        glyphs = uses_glyphs(self._styles.mode)
        for x, cell in enumerate(self._pixel_cells(top, bottom, output=True)):
            code = points[x]
            if code == _NO_POINT:
                yield cell
            else:
                yield POINT_GLYPHS[code], self._point_style(code, None if glyphs else under[x])

    def _curve_cells(self, text: str, axis: bool, bold: bool = False):
        """A curve's line: braille cells, and the y = 0 axis (dim) where it is empty."""
        for char in text:
            if char != " ":
                yield char, self._styles.text(bold=bold)
            elif axis:
                yield AXIS_GLYPH, self._styles.text(dim=True)
            else:
                yield " ", self._styles.text()

    def _fit_cells(self, text: str, points: bytes, axis: bool):
        """The fit's line: the curve first, then the points, then the axis."""
        for (char, style), code in zip(self._curve_cells(text, axis, bold=True), points,
                                       strict=True):
            if code != _NO_POINT and char in (" ", AXIS_GLYPH):
                yield CURVE_POINT_GLYPHS[code], self._point_style(code, None, curve=True)
            else:
                yield char, style

    def _glyph_cell(self, level: int) -> tuple[str, Style]:
        mode = self._styles.mode
        if level == BOUNDARY:
            glyph, color = BOUNDARY_GLYPH, ANSI16_NEUTRAL
        else:
            glyph = SIGNED_GLYPHS[level]
            color = ANSI16_NEGATIVE if level < DIVERGING_MID else ANSI16_POSITIVE
        if mode == "mono":
            return glyph, self._styles.text(bold=level == BOUNDARY)
        return glyph, self._styles.get(("glyph", level), lambda: Style(color=color))

    def _half_style(self, upper: int, lower: int, output: bool) -> Style:
        palette = OUTPUT_FULL if output else DIVERGING_FULL
        if upper == lower:
            return self._styles.get(("whole", output, upper),
                                    lambda: Style(bgcolor=palette[upper]))
        return self._styles.get(("half", output, upper, lower),
                                lambda: Style(color=palette[upper], bgcolor=palette[lower]))

    def _point_style(self, code: int, under: int | None, curve: bool = False) -> Style:
        """A point glyph in its colour: its class (2-D) or training / test (1-D, ``curve``),
        in full colour on the output map's colour under it."""
        mode = self._styles.mode
        if mode == "mono":
            return self._styles.text(bold=True)
        second = code == _TEST0 if curve else code in (_TRAIN1, _TEST1)
        colors = CLASS_ANSI16 if mode == "ansi16" else CLASS_FULL
        bg = None if under is None else OUTPUT_FULL[under]
        return self._styles.get(("point", code, under, curve),
                                lambda: Style(color=colors[second], bgcolor=bg, bold=True))

    def _legend_scale(self, per_level: int, output: bool) -> list[Segment]:
        palette = OUTPUT_FULL if output else DIVERGING_FULL
        cells = []
        for level in range(DIVERGING_LEVELS):
            if uses_glyphs(self._styles.mode):
                cell = self._glyph_cell(level)
            else:
                cell = (" ", self._styles.get(("legend", output, level),
                                              lambda level=level: Style(bgcolor=palette[level])))
            cells += [cell] * per_level
        return merged_segments(cells)

    def _boundary_sample(self) -> Segment:
        if uses_glyphs(self._styles.mode):
            return Segment(*self._glyph_cell(BOUNDARY))
        return Segment("▀", self._styles.get(("bsample",), lambda: Style(color=BOUNDARY_FULL)))


# -- the text: records of (snapshots, frame, view state) -------------------------------------


@dataclass(frozen=True)
class TileLine:
    """One line of a column of tiles (or of the output tile) and the gap after it."""

    part: TilePart
    gap: int


@dataclass(frozen=True)
class TableLegend:
    """A table gallery's legend: the pictures' colour scale (image data), then words."""

    pixels: PixelLegend | None
    text: str


GalleryLine = TileLine | GalleryLegend | GalleryFooter | TableLegend


@dataclass(frozen=True)
class GalleryView:
    """What the gallery shows besides the snapshots and their frame: the view state."""

    selected: int
    page_units: tuple[int, ...]  # the units of the page shown, in display order
    layout: GalleryLayout | TableLayout
    mode: ColorMode
    page: tuple[int, int]  # (page shown, pages), both from 1
    dead: tuple[bool, ...]  # the newest snapshot's units with no weights


def gallery_lines(shown: Snapshot, printed: Snapshot | None, frame: PlaneFrame | CurveFrame,
                  view: GalleryView, role: str, index: int, width: int, height: int
                  ) -> list[GalleryLine]:
    """The lines of one strip of the gallery (``role``: legend, footer or column number
    ``index``): pictures from ``frame`` (of ``shown``), numbers of ``printed``."""
    if role == "legend":
        assert shown.unit_maps is not None
        return [_legend_record(width, shown.unit_maps.activation, frame)]
    if role == "footer":
        return [_footer_record(printed, view, width)]
    return [_column_record(y, index, view, frame) for y in range(height)]


def _column_record(y: int, index: int, view: GalleryView, frame: PlaneFrame | CurveFrame
                   ) -> TileLine:
    layout = view.layout
    assert isinstance(layout, GalleryLayout)
    if layout.out_width:
        if index == 0:
            return TileLine(_output_part(y, layout, frame, view.mode), 2 * TILE_GAP)
        index -= 1
    tile_height = layout.tile_lines + 1
    row, sub = divmod(y, tile_height)
    position = row * layout.columns + index
    if row >= layout.rows or position >= len(view.page_units):
        return TileLine(GapPart(layout.tile_width), TILE_GAP)
    unit = view.page_units[position]
    if sub == 0:
        dead = view.dead[unit] if unit < len(view.dead) else False
        part: TilePart = LabelPart(unit_name(unit), unit == view.selected, dead,
                                   layout.tile_width)
    elif isinstance(frame, PlaneFrame):
        part = _tile_part(frame.tiles[unit], sub - 1, layout.tile_width,
                          uses_glyphs(view.mode))
    else:
        part = CurvePart(frame.tiles[unit][sub - 1], sub - 1 == frame.axis, layout.tile_width)
    return TileLine(part, TILE_GAP)


def _table_legend(frame: TableFrame, snap: Snapshot, width: int) -> TableLegend:
    """The weights' scale and what a tile's label says, or the bars' scale."""
    activation = snap.config.activation
    if frame.legend is not None:
        used = len(frame.legend.low) + len(frame.legend.high) + DIVERGING_LEVELS + 8
        words = longest_fitting(width - used, [
            "  tiles: incoming weights · ↑ the class a unit is most active on", "  ↑ top class",
            ""])
        return TableLegend(frame.legend, words)
    reach = ("±" if frame.signed else "") + format_scale(frame.extent)
    text = longest_fitting(width, [
        f"bars: each unit's mean {activation} per class, to {reach}",
        f"mean {activation} per class, to {reach}", ""])
    return TableLegend(None, text)


def _table_column_record(y: int, index: int, view: GalleryView, frame: TableFrame
                         ) -> TileLine:
    """Line ``y`` of column ``index`` of a table's gallery (column 0: the big tile)."""
    layout = view.layout
    assert isinstance(layout, TableLayout)
    if layout.big_width:
        if index == 0:
            return TileLine(_big_part(y, layout, frame), BIG_GAP)
        index -= 1
    row, sub = divmod(y, layout.tile_lines + 1)
    position = row * layout.columns + index
    if row >= layout.rows or position >= len(view.page_units):
        return TileLine(GapPart(layout.tile_width), 1)
    unit = view.page_units[position]
    if sub == 0:
        dead = view.dead[unit] if unit < len(view.dead) else False
        return TileLine(LabelPart(frame.labels[unit], unit == view.selected, dead,
                                  layout.tile_width), 1)
    lines = frame.tiles[unit]
    if sub - 1 >= len(lines):
        return TileLine(GapPart(layout.tile_width), 1)
    line = lines[sub - 1]
    part: TilePart = (PixelPart(line, layout.tile_width) if isinstance(line, PixelLine)
                      else BarPart(line, layout.tile_width))
    return TileLine(part, 1)


def _big_part(y: int, layout: TableLayout, frame: TableFrame) -> TilePart:
    """Line ``y`` of the big tile: its title, then its lines (the matrix has its own)."""
    if frame.big_title:
        if y == 0:
            return TitlePart(frame.big_title, layout.big_width)
        y -= 1
    return frame.big[y] if y < len(frame.big) else GapPart(layout.big_width)


def _output_part(y: int, layout: GalleryLayout, frame: PlaneFrame | CurveFrame,
                 mode: ColorMode) -> TilePart:
    width = layout.out_width
    plane = isinstance(frame, PlaneFrame)
    if y == 0:
        return TitlePart("network output p(class 1)" if plane else "network fit", width)
    line = y - 1
    if line >= layout.out_lines:
        return GapPart(width)
    if isinstance(frame, CurveFrame):
        assert frame.fit is not None and frame.fit_points is not None
        return FitPart(frame.fit[line], frame.fit_points[line].tobytes(),
                       line == frame.fit_axis)
    drawn, levels, points = frame.out_drawn, frame.out_levels, frame.points
    assert drawn is not None and levels is not None and points is not None
    if uses_glyphs(mode):
        return OutputPart(drawn[line].tobytes(), b"", levels[line].tobytes(),
                          points[line].tobytes())
    return OutputPart(drawn[2 * line].tobytes(), drawn[2 * line + 1].tobytes(),
                      levels[2 * line].tobytes(), points[line].tobytes())


def _legend_record(width: int, activation: str, frame: PlaneFrame | CurveFrame
                   ) -> GalleryLegend:
    lo, hi = frame.range
    per_level = 2 if width >= 100 else 1
    scale = (f"{activation} {format_scale(lo)} ", f" {format_scale(hi)}")
    wanted: list[tuple[str, str]] = []
    if isinstance(frame, PlaneFrame):
        wanted.append(("output", "  p(1) 0 "))
        wanted.append(("points", "  ○● train ◇◆ test"))
        wanted.append(("boundary", "  boundary"))
    else:
        wanted.append(("fit", f"  {FIT_SAMPLE} fit • train ◆ test"))
    room = width - len(scale[0]) - len(scale[1]) - per_level * DIVERGING_LEVELS
    extras: list[tuple[str, str]] = []
    for kind, text in wanted:
        need = len(text) + (DIVERGING_LEVELS * per_level + 2 if kind == "output" else 0)
        need += 2 if kind == "boundary" else 0
        if need <= room:
            extras.append((kind, text))
            room -= need
    return GalleryLegend(scale, per_level, tuple(extras))


def _footer_record(snap: Snapshot | None, view: GalleryView, width: int) -> GalleryFooter:
    unit = view.selected
    page, pages = view.page
    page_text = f"  page {page}/{pages}" if pages > 1 else ""
    head = "▸" + unit_name(unit)
    room = width - len(head) - 1 - len(page_text)
    body = ""
    if snap is not None and unit < len(snap.params.b1):
        body = longest_fitting(room, unit_numbers(snap, unit))
    return GalleryFooter(head, body, page_text, width)


def unit_numbers(snap: Snapshot, unit: int) -> list[str]:
    """The selected unit's numbers, longest wording first (a table's weights are in its
    picture and the Weights panel: here its bias and gradient)."""
    p = snap.params
    if p.W1.shape[1] > 2 or p.W2.shape[0] > 1:
        return _table_unit_numbers(snap, unit)
    w = p.W1[unit].tolist()
    b, v = float(p.b1[unit]), float(p.W2[0, unit])
    norm = None if snap.grad_norms is None else float(snap.grad_norms[unit])
    wordings = []
    for digits, sep in ((7, "  "), (6, " "), (5, " ")):
        weights = " ".join(format_fit(x, digits) for x in w)
        text = f"w {weights}{sep}b {format_fit(b, digits)}{sep}out {format_fit(v, digits)}"
        if norm is not None:
            text += f"{sep}|grad| {format_compact(norm, 2)}"
        wordings.append(text)
    if norm is not None:
        wordings.append(f"|grad| {format_compact(norm, 2)}")
    wordings.append("")
    return wordings


def _table_unit_numbers(snap: Snapshot, unit: int) -> list[str]:
    b = float(snap.params.b1[unit])
    norm = None if snap.grad_norms is None else float(snap.grad_norms[unit])
    grad = "" if norm is None else f"|grad| {format_compact(norm, 2)}"
    return [f"b {format_fit(b, 7)}  {grad}".rstrip(), grad, ""]


# -- pictures of one frame (numpy) -------------------------------------------------------------


def _tile_part(levels: np.ndarray, line: int, width: int, glyphs: bool) -> ImagePart:
    if glyphs:
        return ImagePart(levels[line].tobytes(), b"", width)
    return ImagePart(levels[2 * line].tobytes(), levels[2 * line + 1].tobytes(), width)


def plane_frame(maps: UnitMaps, layout: GalleryLayout, page_units: list[int], glyphs: bool,
                lo: float, hi: float) -> PlaneFrame:
    """Quantized images of the page's units and of the output, with its points."""
    per_line = 1 if glyphs else 2
    tiles: dict[int, np.ndarray] = {}
    if page_units and layout.tile_lines > 0:
        pixels = resample(maps.hidden[page_units], layout.tile_lines * per_line,
                          layout.tile_width)
        levels = signed_levels(pixels, (lo + hi) / 2, (hi - lo) / 2)
        tiles = {unit: levels[i] for i, unit in enumerate(page_units)}
    if not layout.out_width:
        return PlaneFrame((lo, hi), tiles)
    logits = resample(maps.output, layout.out_lines * per_line,
                      layout.out_width).astype(float)
    with np.errstate(over="ignore", invalid="ignore"):
        levels = signed_levels(np.tanh(logits / 2), 0.0, 1.0)  # 2·p(1) − 1
    drawn = np.where(boundary_mask(logits), BOUNDARY, levels).astype(np.int8)
    return PlaneFrame((lo, hi), tiles, levels, drawn, _plane_points(maps, layout))


def _plane_points(maps: UnitMaps, layout: GalleryLayout) -> np.ndarray:
    """(lines, width) point codes of the output tile: training first, test on top."""
    lines, width = layout.out_lines, layout.out_width
    codes = np.full((lines, width), _NO_POINT, dtype=np.int8)
    lo, hi = maps.extent
    for X, y, base in ((maps.train_X, maps.train_y, _TRAIN0),
                       (maps.test_X, maps.test_y, _TEST0)):
        rows, cols, keep = point_cells(X, lo, hi, lines, width)
        codes[rows, cols] = base + (np.asarray(y)[keep] > 0.5)
    return codes


def curve_frame(maps: UnitMaps, layout: GalleryLayout, page_units: list[int], lo: float,
                hi: float) -> CurveFrame:
    """Braille curves of the page's units and of the fit, with the data points."""
    x = maps.x0.astype(float)
    x_lo, x_hi = maps.extent
    tiles: dict[int, list[str]] = {}
    if page_units and layout.tile_lines > 0:
        codes = braille_rows(maps.hidden[page_units], x, x_lo, x_hi, lo, hi,
                             layout.tile_lines, layout.tile_width)
        tiles = {unit: _braille_text(codes[i]) for i, unit in enumerate(page_units)}
    axis = _axis_line(lo, hi, layout.tile_lines)
    if not layout.out_width:
        return CurveFrame((lo, hi), tiles, axis)
    lines, width = layout.out_lines, layout.out_width
    targets = np.concatenate([maps.train_y, maps.test_y]).astype(float)
    targets = targets[np.isfinite(targets)]
    t_lo, t_hi = (float(targets.min()), float(targets.max())) if targets.size else (-1, 1)
    pad = 0.1 * max(t_hi - t_lo, 1e-6)
    y_lo, y_hi = t_lo - pad, t_hi + pad
    curve = braille_rows(maps.output[None, :], x, x_lo, x_hi, y_lo, y_hi, lines, width)[0]
    points = np.full((lines, width), _NO_POINT, dtype=np.int8)
    for X, y, code in ((maps.train_X, maps.train_y, _TRAIN0),
                       (maps.test_X, maps.test_y, _TEST0)):
        rows, cols, _ = point_cells(X, x_lo, x_hi, lines, width, y_lo, y_hi,
                                    np.asarray(y, dtype=float))
        points[rows, cols] = code
    return CurveFrame((lo, hi), tiles, axis, _braille_text(curve), points,
                      _axis_line(y_lo, y_hi, lines))


def _braille_text(codes: np.ndarray) -> list[str]:
    """One string per line of braille code points; an empty cell is a plain space."""
    return ["".join(" " if c == 0x2800 else chr(c) for c in row.tolist()) for row in codes]


def _axis_line(lo: float, hi: float, lines: int) -> int:
    """The line of a curve tile that holds y = 0, or -1 when 0 is off the scale."""
    if not lo <= 0.0 <= hi or hi <= lo or lines <= 0:
        return -1
    return min(int((hi - 0.0) / (hi - lo) * lines), lines - 1)


def wire_bytes(segments: list[Segment]) -> int:
    """About how many bytes a line of ``segments`` costs in a 24-bit terminal.

    Textual sends each segment as ``ESC[<attributes>m<text>ESC[0m``: a 24-bit colour is
    about 17 bytes of attributes (``38;2;145;217;255;``), bold, dim or reverse 2, the
    framing 7; each line starts with a cursor move (about 8).
    """
    total = 8
    for segment in segments:
        style = segment.style
        total += len(segment.text.encode()) + 7
        if style is not None:
            total += 17 * ((style.color is not None) + (style.bgcolor is not None))
            total += 2 * (bool(style.bold) + bool(style.dim) + bool(style.reverse))
    return total
