"""The Gradient panel: how hard, and how differently, the loss pushes each hidden unit.

Left, the H×H matrix of gradient gaps ‖g_i − g_j‖ (core/gradients.py: the data-loss
gradient of each unit on the whole training set) in the similarity order, drawn like
the Similarity panel's matrix and read the same way: bright is alike.  An exactly-zero
gap -- two units the loss cannot tell apart, as copies are -- is the top colour (the
similarity panel's "same unit"); nonzero gaps darken with their size on a log scale,
half a decade per level, relative to the largest gap.  So while the units are copies
the matrix is one bright square, and the first gap that opens shows at once, however
small.  Right, each unit's gradient norm ‖g_i‖ as a bar.  Underneath, how many pairs
still have identical gradients and the largest gap.
"""

from __future__ import annotations

import functools
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import format_compact, unit_name
from tui_symmetry.app.widgets._heatmap import fit_cells, longest_fitting, merged_segments
from tui_symmetry.app.widgets._lines import LinePanel, LineSpec, TextLine, paint_line
from tui_symmetry.app.widgets._palette import (
    SEQUENTIAL_GLYPHS,
    SEQUENTIAL_LEVELS,
    ColorMode,
    StableScale,
    StyleCache,
    sequential_color,
    uses_glyphs,
)
from tui_symmetry.app.widgets._throttle import Schedule

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

IDENTICAL_LEVEL = SEQUENTIAL_LEVELS - 1
"""An exactly-zero gap: the top of the sequential scale."""
GAP_DECADES = 4.0
"""Nonzero gaps span this many decades below the largest (half a decade per level);
anything smaller shares the lightest nonzero level."""
BAR_EIGHTHS = " ▏▎▍▌▋▊▉█"
MATRIX_SHARE = 0.6
"""Most of the width the matrix takes; the bars get the rest."""
MIN_BARS_WIDTH = 16


def quantize_gaps(gaps: np.ndarray, top: float) -> np.ndarray:
    """Levels 0..9 of the sequential scale: 9 is exactly 0, then half a decade per
    level downwards from ``top`` (8: at most top·1e-4 ... 0: above top/√10).

    Non-finite gaps (a run about to overflow) count as the largest.
    """
    gaps = np.asarray(gaps, dtype=float)
    with np.errstate(divide="ignore", invalid="ignore"):
        ratio = np.log10(gaps / top)
    steps = np.floor(-2.0 * np.nan_to_num(ratio, nan=0.0, posinf=0.0, neginf=0.0))
    levels = np.clip(steps, 0, IDENTICAL_LEVEL - 1).astype(np.int8)
    levels[gaps == 0] = IDENTICAL_LEVEL
    return levels


class GradientPanel(LinePanel):
    """Gradient gaps between units (a heatmap) and each unit's gradient norm (bars).

    Args:
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"``; ``None`` detects.
        text_interval: minimum seconds between updates of the printed numbers; as for
            the other panels.
        by_similarity: rows in similarity order (default) or unit order.
        clock: the time source of that throttle (tests inject a fake one).
        schedule: how its trailing update is scheduled (tests inject fake timers).
        name, id, classes, disabled: as for any Textual widget.
    """

    def __init__(
        self,
        *,
        color_mode: ColorMode | None = None,
        text_interval: float | None = None,
        by_similarity: bool = True,
        clock: Callable[[], float] = time.monotonic,
        schedule: Schedule | None = None,
        name: str | None = None,
        id: str | None = None,
        classes: str | None = None,
        disabled: bool = False,
    ) -> None:
        super().__init__(color_mode=color_mode, text_interval=text_interval, clock=clock,
                         schedule=schedule, name=name, id=id, classes=classes, disabled=disabled)
        self._by_similarity = by_similarity
        self._snapshot: Snapshot | None = None
        self._printed: Snapshot | None = None
        self._key: tuple | None = None
        self._selected = 0
        self._top = 0  # first unit of the bars when they scroll
        self._gap_scale = StableScale(floor=1e-300)
        self._norm_scale = StableScale(floor=1e-300)
        self._grid_key: tuple | None = None
        self._grid = np.zeros((0, 0), dtype=np.int8)

    # -- public API --------------------------------------------------------------------------

    @property
    def selected_unit(self) -> int:
        """Index of the selected hidden unit."""
        return self._selected

    @property
    def by_similarity(self) -> bool:
        """True when units are shown in similarity order, False for unit order."""
        return self._by_similarity

    @property
    def gap_scale(self) -> float | None:
        """The largest gap the colours are relative to (None before data)."""
        return self._gap_scale.value

    def select(self, unit: int) -> None:
        """Select hidden unit ``unit`` (0-based): its bar and matrix row are marked."""
        hidden = self._hidden()
        if hidden:
            self._selected = min(max(int(unit), 0), hidden - 1)
            self._printed = self._snapshot
            self._redraw()

    def toggle_order(self) -> None:
        """Switch between similarity order and unit order."""
        self._by_similarity = not self._by_similarity
        self._grid_key = None
        self._redraw()

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot``; a cheap no-op when its version and step are unchanged."""
        key = (snapshot.version, snapshot.step, snapshot.config)
        if key == self._key:
            return
        if self._key is not None and (snapshot.config != self._key[2]
                                      or snapshot.step < self._key[1]):
            self._gap_scale.reset()
            self._norm_scale.reset()
        self._key = key
        self._snapshot = snapshot
        self._selected = min(self._selected, max(self._hidden() - 1, 0))
        # On its own a gap opening or closing shows at once; on a screen whose numbers
        # change together (a gate), it waits for them like every other number.
        news = (self.numbers_gate is None and self._printed is not None
                and _new_gaps(self._printed, snapshot))
        if self._printed is None or self._text_due() or news:
            self._print(snapshot)
        self._grid_key = None
        self._redraw()

    def _catch_up_text(self) -> bool:
        if self._printed is self._snapshot or self._snapshot is None:
            return False
        self._print(self._snapshot)
        return True

    def _print(self, snapshot: Snapshot) -> None:
        """Make ``snapshot`` the one the panel draws: matrix, bars and numbers, and the
        scales.  It changes at most ``text_interval`` apart (a picture that followed
        every snapshot repainted most lines 20 times a second: 49 KB/s at 120×40),
        except that a gap opening or closing exactly shows at once."""
        self._printed = snapshot
        self._grid_key = None
        if snapshot.grad_gaps is not None and snapshot.grad_norms is not None:
            # All-zero gaps (copies) have no scale to show: it starts at the first gap.
            largest_gap = _finite_max(snapshot.grad_gaps)
            if largest_gap > 0:
                self._gap_scale.update(largest_gap)
            self._norm_scale.update(_finite_max(snapshot.grad_norms))

    # -- layout --------------------------------------------------------------------------------

    def _hidden(self) -> int:
        return 0 if self._snapshot is None else int(self._snapshot.params.b1.shape[0])

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        snap = self._snapshot
        if snap is None:
            return [self._empty_spec()]
        view = GradientsView(self._selected, self._by_similarity, self._styles.mode,
                             self._top, self._gap_scale.value, self._norm_scale.value)
        records, self._top = gradient_lines(snap, self._printed or snap, view, width, height,
                                            grid_of=self._cached_grid)
        styles = self._styles
        return [(record, functools.partial(paint_gradients, record, styles))
                for record in records]

    def _cached_grid(self, printed: Snapshot, order: np.ndarray, block: int) -> np.ndarray:
        """:func:`gap_grid`, computed once per printed snapshot, geometry and order."""
        key = (block, self._by_similarity)
        if key != self._grid_key:
            self._grid = gap_grid(printed, order, self._gap_scale.value, block)
            self._grid_key = key
        return self._grid


# -- the text: records of (snapshot, view state) -------------------------------------------


@dataclass(frozen=True)
class GradientsView:
    """What the Gradient panel shows besides the snapshots: the view state."""

    selected: int
    by_similarity: bool
    mode: ColorMode
    scroll_top: int
    """The first unit of the bars when they scroll (kept while the selection shows)."""
    gap_scale: float | None
    """The largest gap the colours are relative to (the panel's StableScale)."""
    norm_scale: float | None
    """The norm a full bar stands for (the panel's StableScale)."""


@dataclass(frozen=True)
class MatrixPart:
    """The matrix's share of a body line: its upper (and lower) row of gap levels."""

    top: bytes
    bottom: bytes
    col_w: int
    label: str
    selected: bool
    label_w: int
    mono: bool


@dataclass(frozen=True)
class BarPart:
    """One unit's gradient-norm bar, in eighths of a cell, and its number."""

    label: str
    selected: bool
    label_w: int
    eighths: int
    bar_w: int
    value: str


@dataclass(frozen=True)
class BarText:
    """The bars' header (bold), or a blank line under the bars."""

    text: str
    bold: bool


@dataclass(frozen=True)
class BodyLine:
    """A line of the body: the matrix's part (if any) beside the bars' part."""

    left: MatrixPart | None
    left_w: int
    right: BarPart | BarText
    right_w: int


@dataclass(frozen=True)
class CopiesLegend:
    """The legend while every gap is exactly 0: no scale to show."""

    mode: ColorMode
    note: str


@dataclass(frozen=True)
class GapLegend:
    """``|gi-gj| =0 █  1.5e-6 ▇▇▇▇▇▇▇▇▇ 0.015  log``: the scale's ends in numbers."""

    mode: ColorMode
    low: str
    top: float
    notes: str


GradientsLine = BodyLine | CopiesLegend | GapLegend | TextLine

GridOf = Callable[["Snapshot", np.ndarray, int], np.ndarray]
"""(printed, order, block) -> the displayed gap levels: :func:`gap_grid` or a cached copy."""


def gradient_lines(shown: Snapshot, printed: Snapshot, view: GradientsView, width: int,
                   height: int, grid_of: GridOf | None = None
                   ) -> tuple[list[GradientsLine], int]:
    """The panel's lines, top to bottom, and the bars' scroll top: the order of ``shown``,
    the matrix, bars and numbers of ``printed`` (which lags it when throttled)."""
    if shown.grad_gaps is None or shown.grad_norms is None:
        return [TextLine("no gradients in this snapshot", dim=True)], view.scroll_top
    hidden = int(shown.params.b1.shape[0])
    legend = height >= 4
    summary = height >= 2
    body = height - legend - summary
    mono = uses_glyphs(view.mode)
    bars_w = max(MIN_BARS_WIDTH, width - int(width * MATRIX_SHARE))
    matrix_w = width - bars_w - 2
    if matrix_w < 8:
        matrix_w, bars_w = 0, width
    order = display_order(shown, view.by_similarity)
    grid = grid_of or (lambda p, o, b: gap_grid(p, o, view.gap_scale, b))
    left = (_matrix_parts(printed, view, order, grid, matrix_w, body, hidden, mono)
            if matrix_w else [])
    right, top = _bar_parts(shown, printed, view, order, bars_w, body, hidden)
    lines: list[GradientsLine] = []
    if legend:
        lines.append(_legend_line(shown, view, width))
    for y in range(body):
        lines.append(BodyLine(left[y] if y < len(left) else None, matrix_w, right[y], bars_w))
    if summary:
        lines.append(_summary_line(printed, width))
    return lines, top


def display_order(shown: Snapshot, by_similarity: bool) -> np.ndarray:
    """The units' order on screen: the similarity order, or unit order."""
    hidden = int(shown.params.b1.shape[0])
    if by_similarity and len(shown.order) == hidden:
        return np.asarray(shown.order)
    return np.arange(hidden)


def _matrix_parts(printed: Snapshot, view: GradientsView, order: np.ndarray, grid_of: GridOf,
                  width: int, lines: int, hidden: int, mono: bool) -> list[MatrixPart]:
    rows_per_line = 1 if mono else 2
    chars_per_row = 2 if mono else 1
    label_w = len(unit_name(hidden - 1, short=True)) + 1
    block, cell = fit_cells(hidden, lines * rows_per_line, width - label_w, chars_per_row)
    if block != 1 or cell % rows_per_line:
        label_w = 0
        block, cell = fit_cells(hidden, lines * rows_per_line, width, chars_per_row)
    grid = grid_of(printed, order, block)
    n = grid.shape[0]
    col_w = cell * chars_per_row
    parts: list[MatrixPart] = []
    for line in range(lines):
        sub_top = line * rows_per_line
        i_top = sub_top // cell
        if i_top >= n:
            break
        i_bot = None if mono else (sub_top + 1) // cell
        top = grid[i_top].tobytes()
        bottom = grid[i_bot].tobytes() if i_bot is not None and i_bot < n else b""
        label, selected = "", False
        if label_w and sub_top % cell == 0:
            unit = int(order[i_top])
            label, selected = unit_name(unit, short=True), unit == view.selected
        parts.append(MatrixPart(top, bottom, col_w, label, selected, label_w, mono))
    return parts


def gap_grid(printed: Snapshot, order: np.ndarray, gap_scale: float | None, block: int
             ) -> np.ndarray:
    """Gap levels in display order, k×k blocks shown by their largest gap."""
    gaps = np.asarray(printed.grad_gaps, dtype=float)[np.ix_(order, order)]
    levels = quantize_gaps(gaps, gap_scale or 1.0)
    if block > 1:
        hidden = len(order)
        n = math.ceil(hidden / block)
        pad = n * block - hidden
        padded = np.pad(levels, ((0, pad), (0, pad)), constant_values=IDENTICAL_LEVEL)
        levels = padded.reshape(n, block, n, block).min(axis=(1, 3))
    return levels


def _bar_parts(shown: Snapshot, printed: Snapshot, view: GradientsView, order: np.ndarray,
               width: int, lines: int, hidden: int) -> tuple[list[BarPart | BarText], int]:
    """One bar per line: the header, then the units in display order (scrolling)."""
    rows = max(lines - 1, 0)
    top = bars_top(order, view.selected, view.scroll_top, hidden, rows)
    norms = printed.grad_norms
    scale = view.norm_scale or 1.0
    shown_units = (f"  {top + 1}-{min(top + rows, hidden)} of {hidden}" if rows < hidden
                   else "")
    header = longest_fitting(width, [f"|grad| per unit, 0-{format_compact(scale, 2)}"
                                     + shown_units, "|grad| per unit" + shown_units, "|grad|"])
    parts: list[BarPart | BarText] = [BarText(header, True)] if lines else []
    label_w = len(unit_name(hidden - 1, short=True)) + 2
    value_w = 8
    bar_w = max(width - label_w - value_w, 1)
    for position in range(top, min(top + rows, hidden)):
        unit = int(order[position])
        # The bar and its number show the same (printed) snapshot: they agree, and
        # bars that followed every snapshot at 1/8 of a cell repainted every line
        # 20 times a second (49 KB/s at 120×40, over the 40 KB/s budget).
        norm = (float(norms[unit]) if norms is not None and unit < len(norms)
                else float(shown.grad_norms[unit]))
        eighths = 0 if not math.isfinite(norm) else round(min(norm / scale, 1.0) * bar_w * 8)
        parts.append(BarPart(unit_name(unit, short=True), unit == view.selected, label_w,
                             eighths, bar_w, format_compact(norm, 2)))
    while len(parts) < lines:
        parts.append(BarText("", False))
    return parts, top


def bars_top(order: np.ndarray, selected: int, top: int, hidden: int, rows: int) -> int:
    """The first bar shown: keeps the selected unit in view, moving from ``top`` as
    little as possible."""
    if rows <= 0 or rows >= hidden:
        return 0
    position = int(np.flatnonzero(order == selected)[0])
    top = min(top, hidden - rows)
    if position < top:
        top = position
    elif position >= top + rows:
        top = position - rows + 1
    return max(0, top)


def _legend_line(shown: Snapshot, view: GradientsView, width: int
                 ) -> CopiesLegend | GapLegend:
    top = view.gap_scale
    if top is None or _finite_max(shown.grad_gaps) == 0:
        # Nothing but copies: no nonzero gap to put on a scale.
        note = longest_fitting(width - 12, ["  every gap is exactly 0: identical gradients",
                                            "  every gap is 0", ""])
        return CopiesLegend(view.mode, note)
    low = format_compact(top * 10.0**-GAP_DECADES, 2)
    notes = longest_fitting(
        width - 24 - len(low) - len(format_compact(top, 2)),
        ["  log, ½ decade per level; bright = alike", "  log, ½ decade per level",
         "  log", ""])
    return GapLegend(view.mode, low, top, notes)


def _summary_line(printed: Snapshot, width: int) -> TextLine:
    gaps = np.asarray(printed.grad_gaps)
    hidden = gaps.shape[0]
    pairs = hidden * (hidden - 1) // 2
    upper = gaps[np.triu_indices(hidden, 1)]
    identical = int(np.count_nonzero(upper == 0))
    largest = format_compact(_finite_max(upper), 3) if upper.size else "0"
    return TextLine(longest_fitting(width, [
        f"identical gradients: {identical} of {pairs} pairs  · largest gap {largest}",
        f"identical: {identical}/{pairs} pairs · largest {largest}",
        f"same {identical}/{pairs} · max {largest}",
    ]), bold=True)


# -- painting: a record's segments ---------------------------------------------------------


def paint_gradients(line: GradientsLine, styles: StyleCache) -> list[Segment]:
    """The segments of one of the panel's lines."""
    match line:
        case BodyLine():
            segs: list[Segment] = []
            if line.left_w:
                matrix = _matrix_segments(line.left, styles) if line.left is not None else []
                used = sum(segment.cell_length for segment in matrix)
                segs += matrix
                segs.append(Segment(" " * max(line.left_w + 2 - used, 0), styles.text()))
            return segs + _bar_segments(line.right, styles)
        case CopiesLegend():
            return [Segment("|gi-gj| ", styles.text(bold=True)), Segment("=0 ", styles.text()),
                    _legend_cell(styles, IDENTICAL_LEVEL),
                    Segment(line.note, styles.text(dim=True))]
        case GapLegend():
            segs = [Segment("|gi-gj| ", styles.text(bold=True)), Segment("=0 ", styles.text()),
                    _legend_cell(styles, IDENTICAL_LEVEL),
                    Segment(f"  {line.low} ", styles.text())]
            segs += [_legend_cell(styles, level) for level in range(IDENTICAL_LEVEL - 1, -1, -1)]
            segs.append(Segment(f" {format_compact(line.top, 2)}", styles.text()))
            segs.append(Segment(line.notes, styles.text(dim=True)))
            return segs
    return paint_line(line, styles)


def _matrix_segments(part: MatrixPart, styles: StyleCache) -> list[Segment]:
    segs: list[Segment] = []
    if part.label_w:
        selected = part.selected
        text = ("▸" if selected else " ") + part.label
        segs.append(Segment(text.ljust(part.label_w)[: part.label_w],
                            styles.text(dim=not selected, bold=selected, reverse=selected)))
    bottom = part.bottom
    segs.extend(merged_segments(
        _cell(styles, upper, bottom[j] if bottom else None, part.col_w, part.mono)
        for j, upper in enumerate(part.top)
    ))
    return segs


def _cell(styles: StyleCache, upper: int, lower: int | None, width: int, mono: bool
          ) -> tuple[str, Style]:
    mode = styles.mode
    if mono:
        style = (styles.text() if mode == "mono" else styles.get(
            ("glyph", upper), lambda: Style(color=sequential_color(upper, mode))))
        return SEQUENTIAL_GLYPHS[upper] * width, style
    return "▀" * width, styles.get(("half", upper, lower), lambda: Style(
        color=sequential_color(upper, mode),
        bgcolor=None if lower is None else sequential_color(lower, mode)))


def _bar_segments(part: BarPart | BarText, styles: StyleCache) -> list[Segment]:
    if isinstance(part, BarText):
        return [Segment(part.text, styles.text(bold=part.bold, dim=not part.bold))]
    full, rest = divmod(part.eighths, 8)
    bar = "█" * full + (BAR_EIGHTHS[rest] if rest else "")
    head = (("▸" if part.selected else " ") + part.label).ljust(part.label_w)
    return [Segment(head, styles.text(bold=part.selected, reverse=part.selected,
                                      dim=not part.selected)),
            Segment(bar.ljust(part.bar_w), styles.text()),
            Segment(" " + part.value, styles.text(dim=True))]


def _legend_cell(styles: StyleCache, level: int) -> Segment:
    mode = styles.mode
    if uses_glyphs(mode):
        text, style = _cell(styles, level, None, 1, True)
        return Segment(text, style)
    return Segment(" ", styles.get(("legend", level),
                                   lambda: Style(bgcolor=sequential_color(level, mode))))


def _new_gaps(shown: Snapshot, new: Snapshot) -> bool:
    """True when a gradient gap between two units became nonzero or zero exactly (the
    moment units part, or a penalty ties them again): that is shown at once."""
    if shown.grad_gaps is None or new.grad_gaps is None:
        return shown.grad_gaps is not new.grad_gaps
    before, after = np.asarray(shown.grad_gaps), np.asarray(new.grad_gaps)
    return before.shape != after.shape or not np.array_equal(before == 0, after == 0)


def _finite_max(values: np.ndarray) -> float:
    values = np.asarray(values, dtype=float)
    finite = values[np.isfinite(values)]
    return float(finite.max()) if finite.size else 0.0
