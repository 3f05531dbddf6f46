"""The Weights panel: every hidden unit's incoming weights, bias and outgoing weight.

One row per unit ``u_i = [W1[i, :], b1[i], W2[0, i]]`` (docs/maths.md) on a quantized
diverging colour scale; identical units therefore show as identical rows at a glance.
The selected unit's exact values are printed (in its row when the cells are wide enough,
and on the bottom line).  Units with no weights (every weight in and out exactly zero;
the bias may be anything) are dimmed and marked with a dagger, which the legend names.

Layout, top to bottom (cells are coloured; shown here as in NO_COLOR mode)::

    w -2 -█-▓-▒-░  +░+▒+▓+█ +2  · = 0  † no weights  <- legend: the colour range
            x0      x1      b      out       <- column headers
    ▸u1   +1.234  -0.456  +0.010  -1.873     <- the selected unit: its values in place
     u2  -▓▓▓▓▓▓ +░░░░░░    ·    +██████     <- one row per unit; "·" is an exact 0
     u3†    ·       ·    +░░░░░░    ·        <- no weights in or out, only a bias
    ▸u1  x0 +1.234  x1 -0.456  b +0.010  out -1.873   <- the selected unit in full

Big panels give each unit up to three lines; small ones pack two units per line with
half-blocks (full colour only: the 16-colour and mono modes draw glyphs, one unit per
line), and when even that does not fit (H up to 256) the rows scroll with the selection
and the legend line says which units are shown.
"""

from __future__ import annotations

import functools
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import MINUS, format_fit, format_scale, unit_name
from tui_symmetry.app.widgets._lines import (
    BlankLine,
    LinePanel,
    LineSpec,
    TextLine,
    paint_line,
)
from tui_symmetry.app.widgets._palette import (
    DIVERGING_LEVELS,
    ZERO_DOT_FULL,
    ZERO_LEVEL,
    ColorMode,
    StableScale,
    StyleCache,
    diverging_color,
    diverging_glyphs,
    diverging_text_color,
    quantize_diverging,
    uses_glyphs,
)
from tui_symmetry.app.widgets._pixels import (
    PixelLine,
    largest_zoom,
    paint_pixels,
    picture_size,
    pixel_lines,
)
from tui_symmetry.app.widgets._throttle import Schedule
from tui_symmetry.app.widgets.classes import short_names
from tui_symmetry.core import metrics
from tui_symmetry.core.pictures import outgoing_norms, unit_picture

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

_FULL, _HALF = "full", "half"
MAX_ROW_HEIGHT = 3
MAX_CELL_WIDTH = 12
MIN_NUMBER_WIDTH = 4
"""Narrowest printed weight: "+.05", "−1.2" (format_fit)."""
MIN_SCROLL_CELL = 4
"""A feature's cell when not every feature fits and they scroll: its name cut to four
("alco") and the selected unit's number ("+.05") fit."""
MIN_FEATURES_SHOWN = 3
"""Fewer features beside one column per class than this, and the classes become one
‖out‖ column."""
MAX_CLASS_COLUMNS = 12
"""More classes than this are always one ‖out‖ column."""
OUT_NORM = "‖v‖"
"""The outgoing vector's length (centred over the classes under softmax)."""
LISTED_LINES = 3
"""Lines a table's selected unit may list its numbers on, by feature name."""
PICTURE_MIN_WIDTH = 56
"""From this width the Weights panel of image data shows the selected unit's picture (the
Weights view at 120×40 is 56 wide: six features beside it and the picture, 16 × 8)."""
PICTURE_ZOOM = 2
"""The picture beside the rows: 16 × 8 cells for the 8 × 8 digits."""
PICTURE_GAP = 2
NO_WEIGHTS = "no weights"
"""What the dagger means: every weight in and out is exactly 0 (the bias may not be)."""


class WeightsPanel(LinePanel):
    """Heatmap of the hidden units' weights: one row per unit, one column per weight.

    Args:
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"``; ``None`` detects the
            terminal (``NO_COLOR`` gives mono, glyph-shaded cells).
        text_interval: minimum seconds between updates of the printed numbers (the
            colours follow every snapshot); 0 updates them every time; None (default):
            0.25 s in a terminal, 0 in a headless app (tests, screenshots).
        clock: the time source of that throttle (tests inject a fake one).
        schedule: how its trailing update is scheduled (tests inject fake timers).
        name, id, classes, disabled: as for any Textual widget.
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
        super().__init__(
            color_mode=color_mode,
            text_interval=text_interval,
            clock=clock,
            schedule=schedule,
            name=name,
            id=id,
            classes=classes,
            disabled=disabled,
        )
        self._snapshot: Snapshot | None = None
        self._printed: Snapshot | None = None  # the snapshot the numbers show (throttled)
        self._key: tuple | None = None
        self._selected = 0
        self._top = 0  # first unit shown when the rows scroll
        self._column_offset = 0  # first feature shown when the features scroll
        self._inputs_shape: tuple[int, ...] = ()
        self._scale = StableScale()
        self._level_scale = 1.0  # the range the colours of the shown snapshot are on

    # -- public API --------------------------------------------------------------------------

    @property
    def selected_unit(self) -> int:
        """Index of the selected hidden unit (0 before any snapshot)."""
        return self._selected

    @property
    def scale(self) -> float | None:
        """The current colour range: cells span -scale .. +scale (None before data)."""
        return self._scale.value

    def select(self, unit: int) -> None:
        """Select hidden unit ``unit`` (0-based): its row and its numbers are marked."""
        hidden = _hidden(self._snapshot)
        if hidden == 0:
            return
        self._selected = min(max(int(unit), 0), hidden - 1)
        self._printed = self._snapshot  # a key press shows current numbers at once
        self._redraw()

    @property
    def column_offset(self) -> int:
        """The first feature column shown (0-based) when not every feature fits."""
        return self._column_offset

    def scroll_columns(self, pages: int) -> str:
        """Move the feature columns ``pages`` screens right (negative: left), the bias
        and the outgoing columns staying put; the words that say which are shown."""
        snapshot = self._snapshot
        if snapshot is None:
            return "no weights yet"
        width, height = self.size.width, self.size.height
        columns = feature_window(snapshot, _hidden(snapshot),
                                 rows_width(snapshot, width, height, self._styles.mode),
                                 self._column_offset)
        if columns.count >= columns.inputs:
            return f"every feature is shown ({columns.inputs})"
        last = columns.inputs - columns.count
        offset = min(max(columns.first + pages * columns.count, 0), last)
        edge = "" if offset != columns.first else (
            " (the first)" if pages < 0 else " (the last)")
        self._column_offset = offset
        self._redraw()
        return f"weights: features {offset + 1}-{offset + columns.count} of {columns.inputs}{edge}"

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot``; a cheap no-op when its version and step are unchanged."""
        key = (snapshot.version, snapshot.step, snapshot.config)
        if key == self._key:
            return
        values = unit_vectors(snapshot)
        hidden = len(values)
        before = _hidden(self._snapshot)
        if self._key is not None and (snapshot.step < self._key[1] or hidden != before):
            self._scale.reset()  # a reset network: let the colour range start afresh
        self._key = key
        self._snapshot = snapshot
        if hidden != before or snapshot.params.W1.shape != self._inputs_shape:
            self._top = 0
            self._column_offset = 0  # other features: start at the first
        self._inputs_shape = snapshot.params.W1.shape
        self._selected = min(self._selected, max(hidden - 1, 0))
        finite = values[np.isfinite(values)]
        self._level_scale = self._scale.update(float(np.abs(finite).max()) if finite.size
                                               else 0.0)
        printed = self._printed
        if (self._text_due() or printed is None
                or unit_vectors(printed).shape != values.shape):
            self._printed = snapshot
        self._redraw()

    def _catch_up_text(self) -> bool:
        if self._printed is self._snapshot:
            return False
        self._printed = self._snapshot
        return True

    # -- layout --------------------------------------------------------------------------------

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        if self._snapshot is None or self._printed is None:
            return [self._empty_spec()]
        view = WeightsView(self._selected, self._top, self._level_scale, self._styles.mode,
                           self._column_offset)
        records, self._top = weights_lines(self._snapshot, self._printed, view, width, height)
        styles = self._styles
        return [(record, functools.partial(paint_weights, record, styles))
                for record in records]


# -- the text: records of (snapshot, view state) -------------------------------------------


@dataclass(frozen=True)
class WeightsView:
    """What the Weights panel shows besides the snapshots: the view state."""

    selected: int
    """The selected unit (0-based)."""
    scroll_top: int
    """The first unit shown when the rows scroll (kept if the selection stays in view)."""
    scale: float
    """The colour range: cells span -scale .. +scale (the panel's StableScale)."""
    mode: ColorMode
    column_offset: int = 0
    """The first feature column shown when the features do not all fit (``left`` /
    ``right`` move it); kept inside the features by :func:`feature_window`."""


@dataclass(frozen=True)
class LegendLine:
    """The colour scale, which units are shown, and what † and · mean."""

    text: str
    per_level: int
    notes: tuple[str, ...]
    mode: ColorMode


@dataclass(frozen=True)
class HeaderLine:
    """The column names over the cells."""

    label_w: int
    cell_w: int
    gap: int
    names: tuple[str, ...]


@dataclass(frozen=True)
class RowLine:
    """One line of a unit's row (a tall row's first, middle or ``half`` last line)."""

    unit: int
    selected: bool
    dead: bool
    levels: tuple[int, ...]
    numbers: tuple[str, ...]
    label_w: int
    cell_w: int
    gap: int
    labelled: bool
    part: str


@dataclass(frozen=True)
class HalfRowLine:
    """Two units on one line: the upper one's colours over the lower one's."""

    label_unit: int
    upper_levels: tuple[int, ...]
    lower_levels: tuple[int, ...]
    selected: bool
    dead: bool
    label_w: int
    cell_w: int
    gap: int


@dataclass(frozen=True)
class SelectedLine:
    """The selected unit's values in full on the bottom line (a table's may go on over
    two more lines: ``first`` is False on those, which have no label)."""

    unit: int
    parts: tuple[tuple[str, str], ...]
    dead: bool
    first: bool = True


@dataclass(frozen=True)
class BesideLine:
    """A line of the panel with a line of the selected unit's picture at its right
    (image data on a wide panel): ``inner`` drawn in ``inner_w`` cells, then ``right``."""

    inner: WeightsLine
    inner_w: int
    right: PixelLine | TextLine | None


WeightsLine = (LegendLine | HeaderLine | RowLine | HalfRowLine | SelectedLine | BesideLine
               | BlankLine)


@dataclass(frozen=True)
class _Units:
    """The arrays the lines are made of (what the snapshots say, quantized): the
    columns shown (a window of the features, the bias, the outgoing columns)."""

    levels: np.ndarray  # (H, shown columns) colour levels of the shown snapshot
    dead: np.ndarray  # (H,) units with no weights
    printed: np.ndarray  # (H, shown columns) the values the numbers show
    names: tuple[str, ...]  # the column names: features, b, outgoing (out or classes)
    outgoing: int = 1  # the last columns that are outgoing
    listed: tuple[str, ...] = ()  # the selected line's names (features from the window on)
    listed_values: np.ndarray | None = None  # (H, len(listed)) their values

    def is_constant(self, unit: int) -> bool:
        """A unit with no weights in but an outgoing weight (metrics.CONSTANT)."""
        return unit < len(self.printed) and bool(
            np.any(self.printed[unit][-self.outgoing:] != 0.0))


@dataclass(frozen=True)
class _Geometry:
    """Which lines fit and how wide a cell is."""

    rows: int
    show_legend: bool
    show_header: bool
    show_selected: bool
    label_w: int
    cell_w: int
    gap: int
    number_w: int
    selected_lines: int = 1


def unit_vectors(snapshot: Snapshot) -> np.ndarray:
    """Each hidden unit's ``[W1[i, :], b1[i], W2[:, i]]`` (H, D + 1 + C), or a conv
    filter's kernel, bias and outgoing block (core/metrics.py), as drawn."""
    return metrics.unit_vectors(snapshot.params)


def _hidden(snapshot: Snapshot | None) -> int:
    return 0 if snapshot is None else int(snapshot.params.b1.shape[0])


def weights_lines(shown: Snapshot, printed: Snapshot, view: WeightsView, width: int,
                  height: int) -> tuple[list[WeightsLine], int]:
    """The panel's lines, top to bottom, and the scroll top that keeps the selection in
    view: colours from ``shown``, numbers from ``printed`` (which lags it when throttled).

    Image data on a panel of :data:`PICTURE_MIN_WIDTH` columns and more: the selected
    unit's picture sits at the right edge, beside the lines of the rest of the width.
    """
    image = unit_picture(shown)
    inner_w = rows_width(shown, width, height, view.mode)
    if inner_w == width or image is None:
        return _weight_lines(shown, printed, view, width, height)
    picture = width - inner_w - PICTURE_GAP
    lines, top = _weight_lines(shown, printed, view, inner_w, height)
    right = _picture_lines(shown, view, image, picture, height)
    return [BesideLine(line, inner_w, right[i] if i < len(right) else None)
            for i, line in enumerate(lines)], top


def _weight_lines(shown: Snapshot, printed: Snapshot, view: WeightsView, width: int,
                  height: int) -> tuple[list[WeightsLine], int]:
    """The lines of the rows, legend, headers and the selected unit in ``width``."""
    hidden = int(shown.params.b1.shape[0])
    columns = feature_window(shown, hidden, width, view.column_offset)
    units = _units(shown, printed, view, columns)
    geometry = _fit_lines(hidden, columns, width, height)
    rows = geometry.rows
    row_h = 1  # lines per unit: taller rows when a big panel has the room
    if hidden <= rows or uses_glyphs(view.mode):
        mode, per_line = _FULL, 1
        row_h = max(1, min(MAX_ROW_HEIGHT, rows // hidden))
    else:
        mode, per_line = _HALF, 2
    visible = min(hidden, (rows // row_h) * per_line)
    top = scroll_top(view.selected, view.scroll_top, hidden, visible, per_line)
    last = min(top + visible, hidden) - 1
    window = "" if visible >= hidden else f"u{top + 1}-{last + 1} of {hidden}"
    short_window = window
    if columns.count < columns.inputs:
        first, shown = columns.first + 1, columns.first + columns.count
        short_window = f"{first}-{shown}/{columns.inputs} ←→" + (
            f" u{top + 1}-{last + 1}" if window else "")
        window = (f"features {first}-{shown} of {columns.inputs} ←→"
                  + (f"  {window}" if window else ""))
    lines: list[WeightsLine] = []
    if geometry.show_legend:
        lines.append(_legend_line(units, view, width, window,
                                  bool(units.dead[top : last + 1].any()), short_window))
    if geometry.show_header:
        lines.append(HeaderLine(geometry.label_w, geometry.cell_w, geometry.gap,
                                _header_names(units.names, units.outgoing, geometry.cell_w)))
    number_w = (geometry.number_w if mode == _FULL and geometry.number_w >= MIN_NUMBER_WIDTH
                else 0)
    for line in range(rows):
        first_unit = top + (line // row_h) * per_line
        if first_unit >= top + visible:
            lines.append(BlankLine("blank"))
        elif mode == _FULL:
            # A tall row: label and numbers on its first line; its last line is
            # drawn in upper half-blocks, leaving a half-line gap between units.
            sub = line % row_h
            part = "half" if row_h > 1 and sub == row_h - 1 else "full"
            lines.append(_row_line(units, view.selected, first_unit, geometry, number_w,
                                   sub == 0, part))
        else:
            lines.append(_half_row_line(units, view.selected, first_unit, geometry))
    if geometry.show_selected:
        lines += _selected_lines(units, view.selected, width, geometry.selected_lines)
    return lines, top


@dataclass(frozen=True)
class Columns:
    """Which weights are the panel's columns: features ``first`` … ``first + count − 1``
    of ``inputs``, then the bias, then the outgoing part: one column per output
    (``per_class``) or one ‖out‖ column, the length of the outgoing vector."""

    first: int
    count: int
    inputs: int
    per_class: bool
    cell_w: int
    gap: int


def feature_window(snapshot: Snapshot, hidden: int, width: int, offset: int) -> Columns:
    """The columns that fit ``width``: every weight when cells of MIN_SCROLL_CELL fit
    (always for the toys), else as many features as fit from ``offset`` on, the bias
    and the outgoing columns pinned at the right (one per class while they leave room
    for MIN_FEATURES_SHOWN features and number at most MAX_CLASS_COLUMNS)."""
    # A conv filter's outgoing weights are a block of C·P: one ‖out‖ column, its length.
    block = metrics.positions_of(snapshot.params) > 1
    inputs = snapshot.params.W1.shape[1]
    outputs = 1 if block else snapshot.params.W2.shape[0]
    room = width - _label_width(hidden)
    cell_w, gap = _cell_geometry(room, inputs + 1 + outputs)
    if cell_w >= MIN_SCROLL_CELL or inputs <= 2:
        return Columns(0, inputs, inputs, not block, cell_w, gap)
    cell_w, gap = MIN_SCROLL_CELL, 1
    fit = (room + gap) // (cell_w + gap)
    per_class = not block and (outputs == 1 or (outputs <= MAX_CLASS_COLUMNS
                                                and fit - 1 - outputs >= MIN_FEATURES_SHOWN))
    count = max(1, min(inputs, fit - 1 - (outputs if per_class else 1)))
    first = min(max(int(offset), 0), inputs - count)
    return Columns(first, count, inputs, per_class, cell_w, gap)


def _units(shown: Snapshot, printed: Snapshot, view: WeightsView, columns: Columns) -> _Units:
    """The shown columns of both snapshots, quantized and printed, and the names."""
    config = shown.config
    data = config.shape
    inputs = columns.inputs
    features = (data.features if len(data.features) == inputs else
                tuple(["x"] if inputs == 1 else [f"x{i}" for i in range(inputs)]))
    outputs = int(shown.params.W2.shape[0])
    centred = config.loss == "softmax"  # softmax sees v and v + α·1 alike
    classes = (tuple(data.classes) if len(data.classes) == outputs
               else tuple(str(c) for c in range(outputs)))
    out_names = (("out",) if outputs == 1 else classes if columns.per_class
                 else (OUT_NORM,))
    cut = slice(columns.first, columns.first + columns.count)
    units = int(shown.params.b1.shape[0])

    def shown_columns(snap: Snapshot) -> np.ndarray:
        p = snap.params
        out = p.W2.T if columns.per_class else outgoing_norms(p.W2, centred, units)[:, None]
        return np.column_stack([p.W1[:, cut], p.b1, out])

    names = (*features[cut], "b", *out_names)
    listed, listed_values = names, None
    if inputs > 2:  # a table: the selected unit's numbers from the window on, by name
        p = printed.params
        out_listed = (("out",) if outputs == 1 else classes if metrics.positions_of(p) == 1
                      else (OUT_NORM,))
        listed = (*features[columns.first:], "b", *out_listed)
        out_values = (p.W2.T if len(out_listed) == outputs
                      else outgoing_norms(p.W2, centred, units)[:, None])
        listed_values = np.column_stack([p.W1[:, columns.first:], p.b1, out_values])
    return _Units(levels=quantize_diverging(shown_columns(shown), view.scale),
                  dead=np.asarray(shown.dead, dtype=bool), printed=shown_columns(printed),
                  names=names, outgoing=len(out_names), listed=listed,
                  listed_values=listed_values)


def _header_names(names: Sequence[str], outgoing: int, cell_w: int) -> tuple[str, ...]:
    """The column headers: features cut to the cell, class names cut but told apart."""
    head, tail = names[: len(names) - outgoing], names[len(names) - outgoing:]
    if outgoing > 1:
        tail = short_names(tail, cell_w)
    return (*head, *tail)


def rows_width(snapshot: Snapshot, width: int, height: int, mode: ColorMode) -> int:
    """The width of the rows: the panel's, less the selected unit's picture beside them
    (image data on a panel of PICTURE_MIN_WIDTH columns and more)."""
    image = unit_picture(snapshot)
    if image is None or width < PICTURE_MIN_WIDTH:
        return width
    zoom = largest_zoom(image, width, height - 2, mode, most=PICTURE_ZOOM)
    return width - picture_size(image, zoom, mode)[0] - PICTURE_GAP if zoom else width


def _picture_lines(shown: Snapshot, view: WeightsView, image: tuple[int, int], columns: int,
                   height: int) -> list[PixelLine | TextLine | None]:
    """The selected unit's picture on the rows' colour scale, under a title line."""
    unit = min(view.selected, int(shown.params.b1.shape[0]) - 1)
    zoom = largest_zoom(image, columns, height - 2, view.mode, most=PICTURE_ZOOM)
    levels = quantize_diverging(shown.params.W1[unit].reshape(image), view.scale)
    title = TextLine(f"{unit_name(unit, short=True)} in {image[0]}×{image[1]}"[:columns],
                     bold=True)
    return [None, title, *pixel_lines(levels, zoom, view.mode)]


def _label_width(hidden: int) -> int:
    return len(f"u{hidden}") + 3  # "▸", "†" and a space


def _fit_lines(hidden: int, columns: Columns, width: int, height: int) -> _Geometry:
    """Which fixed lines fit: the unit rows come first, then the selected unit's
    numbers, the legend and the column headers; a table's selected unit takes up to
    LISTED_LINES lines of what is left."""
    show_selected = height >= 2
    show_legend = height >= 3
    show_header = height >= 4
    rows = height - show_selected - show_legend - show_header
    label_w = _label_width(hidden)
    cell_w, gap = columns.cell_w, columns.gap
    number_w = _number_width(cell_w, gap)
    if hidden > rows:
        # A line or two short of a row per unit: rather than scroll, give up the
        # bottom line (the selected row prints its numbers anyway) and the headers.
        numbers_fit = number_w >= MIN_NUMBER_WIDTH
        optional = (["selected"] if show_selected and numbers_fit else []) + (
            ["header"] if show_header else []
        )
        for count in range(1, len(optional) + 1):
            if hidden <= rows + count:
                show_selected = show_selected and "selected" not in optional[:count]
                show_header = show_header and "header" not in optional[:count]
                rows += count
                break
    selected_lines = int(show_selected)
    if show_selected and columns.inputs > 2:
        selected_lines += min(LISTED_LINES - 1, max(0, rows - hidden))
        rows -= selected_lines - 1
    return _Geometry(rows, show_legend, show_header, show_selected, label_w, cell_w, gap,
                     number_w, selected_lines)


def scroll_top(selected: int, top: int, hidden: int, visible: int, per_line: int) -> int:
    """The first unit shown: keeps the selected unit in view, moving the window from
    ``top`` as little as possible."""
    if visible >= hidden or visible <= 0:
        return 0
    top = min(top, hidden - visible)
    if selected < top:
        top = selected
    elif selected >= top + visible:
        top = selected - visible + 1
    top = max(0, top)
    # Half-block lines start on an even unit; rounding down must not push the
    # selection off the bottom (then the window starts one line later instead).
    top -= top % per_line
    if selected >= top + visible:
        top += per_line
    return top


def _legend_line(units: _Units, view: WeightsView, width: int, window: str,
                 any_dead: bool, short_window: str = "") -> LegendLine:
    """The legend: the colour range, then the notes that fit (which units and features
    are shown first, in ``short_window``'s words when ``window``'s do not fit)."""
    text = format_scale(view.scale or 1.0)
    # Each level gets two cells when there is room, one otherwise.
    fixed = len("w −") + len(text) + len(" +") + len(text) + 2
    # When the rows scroll, which units are shown matters more than the notes; a
    # dagger on screen must be explained before the zero dot.
    wanted = [f"  {window}"] if window else []
    if any_dead:
        # A constant unit (no weights in, one out) is daggered too: "in" keeps the
        # note true for it.
        constant = any(units.is_constant(unit) for unit in np.flatnonzero(units.dead))
        wanted.append(f"  † {NO_WEIGHTS} in" if constant else f"  † {NO_WEIGHTS}")
    wanted.append("  · = 0")
    # Two cells per level when they fit besides the notes that must be read (which
    # units are shown, what † means); in mono they carry the sign: "-▓", "+▓".
    needed = sum(len(note) for note in wanted[:-1])
    per_level = 2 if width - fixed - needed >= 2 * DIVERGING_LEVELS else 1
    room = width - fixed - per_level * DIVERGING_LEVELS
    notes: list[str] = []
    if window and short_window and len(wanted[0]) > room:
        wanted[0] = f"  {short_window}"
    for note in wanted:
        if len(note) <= room:
            notes.append(note)
            room -= len(note)
    return LegendLine(text, per_level, tuple(notes), view.mode)


def _row_line(units: _Units, selected_unit: int, unit: int, geometry: _Geometry,
              number_w: int, labelled: bool = True, part: str = "full") -> RowLine:
    """One unit's row; ``number_w`` > 0 prints the selected unit's values in it."""
    selected = unit == selected_unit
    dead = bool(units.dead[unit]) if unit < len(units.dead) else False
    numbers: tuple[str, ...] = ()
    if selected and number_w and labelled:
        numbers = tuple(format_fit(v, number_w) for v in units.printed[unit].tolist())
    return RowLine(unit, selected, dead, tuple(units.levels[unit].tolist()), numbers,
                   geometry.label_w, geometry.cell_w, geometry.gap, labelled, part)


def _half_row_line(units: _Units, selected_unit: int, unit: int,
                   geometry: _Geometry) -> HalfRowLine:
    # Two units per line: "▀" takes the upper unit's colour as foreground and the
    # lower unit's as background.  The label names the selected unit when it is one
    # of the two (so it is in the record: moving from u1 to u2 changes this line).
    levels = units.levels
    lower = unit + 1 if unit + 1 < len(levels) else None
    lower_levels = tuple(levels[lower].tolist()) if lower is not None else ()
    selected = selected_unit in (unit, lower)
    label_unit = selected_unit if selected else unit
    return HalfRowLine(label_unit, tuple(levels[unit].tolist()), lower_levels, selected,
                       bool(units.dead[label_unit]), geometry.label_w, geometry.cell_w,
                       geometry.gap)


def _selected_lines(units: _Units, unit: int, width: int, count: int
                    ) -> list[SelectedLine | BlankLine]:
    """The selected unit's numbers on ``count`` lines: a toy's (or a dead unit's) on
    one, a table's by feature name from the window on, as many as fit."""
    values = units.listed_values
    if values is None or unit >= len(values) or bool(units.dead[unit]):
        return [_selected_line(units, unit, width),
                *[BlankLine(f"sel-{i}") for i in range(1, count)]]
    room = width - len(f"▸u{unit + 1} ") - 1
    lines: list[list[tuple[str, str]]] = [[]]
    used = 0
    for name, value in zip(units.listed, values[unit].tolist(), strict=True):
        number = format_fit(value, 6) + "  "
        # A whole name reads better than more numbers; it is cut only when it cannot
        # share even an empty line with its number (and then says so with an ellipsis).
        part = (f"{fit_name(name, room - len(number) - 1)} ", number)
        size = len(part[0]) + len(part[1])
        if used + size - 2 > room:
            if len(lines) == count:
                break
            lines.append([])
            used = 0
        lines[-1].append(part)
        used += size
    records: list[SelectedLine | BlankLine] = [
        SelectedLine(unit, tuple(parts), False, i == 0) for i, parts in enumerate(lines)]
    return records + [BlankLine(f"sel-{i}") for i in range(len(records), count)]


def fit_name(name: str, width: int) -> str:
    """``name`` whole when it fits ``width`` characters, else cut with an ellipsis."""
    return name if len(name) <= width else name[: max(width - 1, 0)] + "…"


def _selected_line(units: _Units, unit: int, width: int) -> SelectedLine | BlankLine:
    if unit >= len(units.printed):
        return BlankLine("sel-none")
    dead = bool(units.dead[unit])
    room = width - len(f"▸u{unit + 1} ") - 1
    row = units.printed[unit]
    inputs = len(units.names) - 1 - units.outgoing  # the bias's column
    if dead and units.is_constant(unit) and units.outgoing > 1:
        # No weights in, a vector out: it adds the same φ(b)·v to every output.
        bias = float(row[inputs])
        bodies = [f"constant: no weights in · b {format_fit(bias, 7)}", "constant"]
    elif dead and units.is_constant(unit):
        # No weights in, one out: it adds the same v·φ(b) to every output.
        out, bias = float(row[-1]), float(row[inputs])
        bodies = [f"constant: no weights in · b {format_fit(bias, 7)} · out "
                  f"{format_fit(out, 7)}", f"constant · out {format_fit(out, 6)}",
                  "constant"]
    elif dead:
        # Only the bias can be nonzero: say so, and show it.
        bias = float(row[inputs])
        if bias:
            bodies = [f"{NO_WEIGHTS} in or out · bias {format_fit(bias, 7)}",
                      f"{NO_WEIGHTS} · b {format_fit(bias, 6)}", NO_WEIGHTS]
        else:
            bodies = [f"{NO_WEIGHTS} in or out, bias 0", f"{NO_WEIGHTS}, b 0", NO_WEIGHTS]
    else:
        return SelectedLine(unit, _fitting_numbers(units.names, row.tolist(), room), dead)
    body = next((b for b in bodies if len(b) <= room), bodies[-1])
    return SelectedLine(unit, (("", body),), dead)


def _fitting_numbers(names: Sequence[str], values: list[float], room: int
                     ) -> tuple[tuple[str, str], ...]:
    """The selected unit's values, as verbose as ``room`` allows (names, precision)."""
    parts: list[tuple[str, str]] = []
    for with_names, digits_width, sep in ((True, 7, "  "), (True, 7, " "), (True, 6, " "),
                                          (False, 7, " "), (False, 6, " "), (False, 5, " "),
                                          (False, 4, " ")):
        parts = [
            (f"{name} " if with_names else "", format_fit(v, digits_width) + sep)
            for name, v in zip(names, values, strict=True)
        ]
        if sum(len(a) + len(b) for a, b in parts) - len(sep) <= room:
            break
    return tuple(parts)


# -- painting: a record's segments ---------------------------------------------------------


def paint_weights(line: WeightsLine, styles: StyleCache) -> list[Segment]:
    """The segments of one of the panel's lines."""
    match line:
        case LegendLine():
            segs = [Segment("w ", styles.text(bold=True)),
                    Segment(f"{MINUS}{line.text} ", styles.text())]
            segs += [_cell_segment(styles, level, line.per_level, "")
                     for level in range(DIVERGING_LEVELS)]
            segs.append(Segment(f" +{line.text}", styles.text()))
            return segs + [Segment(note, styles.text(dim=True)) for note in line.notes]
        case HeaderLine():
            text = " " * line.label_w + (" " * line.gap).join(
                n[: line.cell_w].center(line.cell_w) for n in line.names)
            return [Segment(text, styles.text(bold=True))]
        case RowLine():
            return _paint_row(line, styles)
        case HalfRowLine():
            segs = [_label_segment(styles, line.label_unit, line.selected, line.dead,
                                   line.label_w)]
            sep = Segment(" " * line.gap, styles.text()) if line.gap else None
            for col, top_level in enumerate(line.upper_levels):
                if col and sep is not None:
                    segs.append(sep)
                bottom = line.lower_levels[col] if line.lower_levels else None
                segs.append(Segment("▀" * line.cell_w, _half_style(styles, top_level, bottom)))
            return segs
        case SelectedLine():
            head = f"▸u{line.unit + 1} "
            segs = ([Segment(head, styles.text(bold=True, reverse=True)),
                     Segment(" ", styles.text())] if line.first
                    else [Segment(" " * (len(head) + 1), styles.text())])
            for name, value in line.parts:
                if name:
                    segs.append(Segment(name, styles.text(dim=True)))
                segs.append(Segment(value, styles.text(bold=not line.dead, dim=line.dead)))
            return segs
        case BesideLine():
            return _paint_beside(line, styles)
    return paint_line(line, styles)


def _paint_beside(line: BesideLine, styles: StyleCache) -> list[Segment]:
    """A line of the rows cut or padded to its width, then the picture's line."""
    inner = Segment.adjust_line_length(paint_weights(line.inner, styles), line.inner_w,
                                       styles.text())
    segs = [*inner, Segment(" " * PICTURE_GAP, styles.text())]
    if isinstance(line.right, PixelLine):
        segs += paint_pixels(line.right, styles)
    elif isinstance(line.right, TextLine):
        segs += paint_line(line.right, styles)
    return segs


def _paint_row(line: RowLine, styles: StyleCache) -> list[Segment]:
    if line.labelled:
        segs = [_label_segment(styles, line.unit, line.selected, line.dead, line.label_w)]
    else:
        segs = [Segment(" " * line.label_w, styles.text())]
    sep = Segment(" " * line.gap, styles.text()) if line.gap else None
    for col, level in enumerate(line.levels):
        if col and sep is not None:
            segs.append(sep)
        if line.part == "half":
            segs.append(_bottom_edge_segment(styles, level, line.cell_w))
        else:
            number = line.numbers[col] if line.numbers else ""
            segs.append(_cell_segment(styles, level, line.cell_w, number))
    return segs


def _label_segment(styles: StyleCache, unit: int, selected: bool, dead: bool,
                   width: int) -> Segment:
    text = ("▸" if selected else " ") + f"u{unit + 1}" + ("†" if dead else "")
    style = styles.text(bold=selected, dim=dead and not selected, reverse=selected)
    return Segment(text.ljust(width - 1)[: width - 1] + " ", style)


def _cell_segment(styles: StyleCache, level: int, width: int, number: str) -> Segment:
    """One heatmap cell: a coloured block, or (16 colours, mono) sign + shading glyphs
    coloured by sign."""
    mode = styles.mode
    if mode == "mono":
        text = number.center(width) if number else diverging_glyphs(level, width)
        return Segment(text, styles.text(bold=bool(number)))
    if mode == "ansi16":
        if number:
            # Black on the bright sign colour; the gap keeps numbers apart.
            style = styles.get(("num16", level), lambda: Style(
                bgcolor=diverging_color(level, mode), color="#000000", bold=True))
            return Segment(number.center(width), style)
        style = styles.get(
            ("glyph16", level), lambda: Style(color=diverging_color(level, mode))
        )
        return Segment(diverging_glyphs(level, width), style)
    if number:
        style = styles.get(
            ("num", level),
            lambda: Style(
                bgcolor=diverging_color(level, mode),
                color=diverging_text_color(level),
                bold=True,
            ),
        )
        return Segment(number.center(width), style)
    if level == ZERO_LEVEL:
        style = styles.get(
            ("zero",),
            lambda: Style(bgcolor=diverging_color(ZERO_LEVEL, mode), color=ZERO_DOT_FULL),
        )
        return Segment("·".center(width), style)
    style = styles.get(("cell", level), lambda: Style(bgcolor=diverging_color(level, mode)))
    return Segment(" " * width, style)


def _bottom_edge_segment(styles: StyleCache, level: int, width: int) -> Segment:
    """The last line of a tall row: colour in the upper half only (a gap below)."""
    if uses_glyphs(styles.mode):
        return Segment(" " * width, styles.text())
    return Segment("▀" * width, _half_style(styles, level, None))


def _half_style(styles: StyleCache, top: int, bottom: int | None) -> Style:
    mode = styles.mode
    # An exact zero (level 9) has the neutral colour; the "·" needs a whole cell.
    return styles.get(
        ("half", top, bottom),
        lambda: Style(
            color=diverging_color(top, mode),
            bgcolor=None if bottom is None else diverging_color(bottom, mode),
        ),
    )


def _cell_geometry(room: int, ncols: int) -> tuple[int, int]:
    """Cell width and the gap between cells for ``ncols`` columns in ``room`` cells.

    Cells are at most MAX_CELL_WIDTH wide (big enough to read on a projector, narrow
    enough that the numbers of the selected row stay near their colour); a one-cell gap
    separates columns when there is room for it.
    """
    if ncols <= 0:
        return 1, 0
    with_gap = (room - (ncols - 1)) // ncols
    if with_gap >= 2:
        return min(with_gap, MAX_CELL_WIDTH), 1
    return max(1, room // ncols), 0


def _number_width(cell_w: int, gap: int) -> int:
    """Characters a printed number may take in a cell: all of it when a gap separates
    the cells, else one is kept free so neighbouring numbers do not run together."""
    return cell_w if gap else cell_w - 1

