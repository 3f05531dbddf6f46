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

import time
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import MINUS, format_fit, format_scale
from tui_symmetry.app.widgets._lines import LinePanel, LineSpec
from tui_symmetry.app.widgets._palette import (
    DIVERGING_LEVELS,
    ZERO_DOT_FULL,
    ZERO_LEVEL,
    ColorMode,
    StableScale,
    diverging_color,
    diverging_glyphs,
    diverging_text_color,
    quantize_diverging,
    uses_glyphs,
)
from tui_symmetry.app.widgets._throttle import Schedule

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

_FULL, _HALF = "full", "half"
MAX_ROW_HEIGHT = 3
MAX_CELL_WIDTH = 12
MIN_NUMBER_WIDTH = 4
"""Narrowest printed weight: "+.05", "−1.2" (format_fit)."""
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
        self._key: tuple | None = None
        self._selected = 0
        self._top = 0  # first unit shown when the rows scroll
        self._scale = StableScale()
        self._values = np.zeros((0, 0))  # (H, D + 2): the unit vectors
        self._printed = np.zeros((0, 0))  # the values the numbers show (throttled)
        self._levels = np.zeros((0, 0), dtype=np.int8)
        self._dead = np.zeros(0, dtype=bool)
        self._input_dim = 0

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
        hidden = len(self._values)
        if hidden == 0:
            return
        self._selected = min(max(int(unit), 0), hidden - 1)
        self._printed = self._values  # a key press shows current numbers at once
        self._redraw()

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot``; a cheap no-op when its version and step are unchanged."""
        key = (snapshot.version, snapshot.step, snapshot.config)
        if key == self._key:
            return
        p = snapshot.params
        values = np.column_stack([p.W1, p.b1, p.W2[0]])
        hidden = len(values)
        if self._key is not None and (snapshot.step < self._key[1] or hidden != len(self._values)):
            self._scale.reset()  # a reset network: let the colour range start afresh
        self._key = key
        self._snapshot = snapshot
        if hidden != len(self._values):
            self._top = 0
        self._selected = min(self._selected, max(hidden - 1, 0))
        self._values = values
        self._input_dim = p.W1.shape[1]
        self._dead = np.asarray(snapshot.dead, dtype=bool)
        finite = values[np.isfinite(values)]
        scale = self._scale.update(float(np.abs(finite).max()) if finite.size else 0.0)
        self._levels = quantize_diverging(values, scale)
        if self._text_due() or self._printed.shape != values.shape:
            self._printed = values
        self._redraw()

    def _catch_up_text(self) -> bool:
        if self._printed is self._values:
            return False
        self._printed = self._values
        return True

    # -- layout --------------------------------------------------------------------------------

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        hidden, ncols = self._levels.shape if self._levels.ndim == 2 else (0, 0)
        if hidden == 0:
            return [self._empty_spec()]
        # Which fixed lines fit: the unit rows come first, then the selected unit's
        # numbers, the legend and the column headers.
        show_selected = height >= 2
        show_legend = height >= 3
        show_header = height >= 4
        rows = height - show_selected - show_legend - show_header
        label_w = len(f"u{hidden}") + 3  # "▸", "†" and a space
        cell_w, gap = _cell_geometry(width - label_w, ncols)
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
        glyphs = uses_glyphs(self._styles.mode)
        row_h = 1  # lines per unit: taller rows when a big panel has the room
        if hidden <= rows or glyphs:
            mode, per_line = _FULL, 1
            row_h = max(1, min(MAX_ROW_HEIGHT, rows // hidden))
        else:
            mode, per_line = _HALF, 2
        visible = min(hidden, (rows // row_h) * per_line)
        top = self._scroll_top(hidden, visible, per_line)
        numbers_in_row = mode == _FULL and number_w >= MIN_NUMBER_WIDTH
        last = min(top + visible, hidden) - 1
        window = "" if visible >= hidden else f"u{top + 1}-{last + 1} of {hidden}"
        shown = self._dead[top : last + 1]

        specs: list[LineSpec] = []
        if show_legend:
            specs.append(self._legend_spec(width, window, bool(shown.any())))
        if show_header:
            specs.append(self._header_spec(label_w, cell_w, gap))
        for line in range(rows):
            first = top + (line // row_h) * per_line
            if first >= top + visible:
                specs.append((("blank",), list))
            elif mode == _FULL:
                # A tall row: label and numbers on its first line; its last line is
                # drawn in upper half-blocks, leaving a half-line gap between units.
                sub = line % row_h
                part = "half" if row_h > 1 and sub == row_h - 1 else "full"
                specs.append(self._row_spec(
                    first, label_w, cell_w, gap, number_w if numbers_in_row else 0,
                    sub == 0, part,
                ))
            else:
                specs.append(self._half_row_spec(first, label_w, cell_w, gap))
        if show_selected:
            specs.append(self._selected_spec(width))
        return specs

    def _scroll_top(self, hidden: int, visible: int, per_line: int) -> int:
        """Keep the selected unit in view, moving the window as little as possible."""
        if visible >= hidden or visible <= 0:
            self._top = 0
            return 0
        selected = self._selected
        top = min(self._top, hidden - visible)
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
        self._top = top
        return top

    # -- lines -------------------------------------------------------------------------------

    def _legend_spec(self, width: int, window: str, any_dead: bool) -> LineSpec:
        scale = self._scale.value or 1.0
        text = format_scale(scale)
        mode = self._styles.mode
        # Each level gets two cells when there is room, one otherwise.
        fixed = len("w −") + len(text) + len(" +") + len(text) + 2
        # When the rows scroll, which units are shown matters more than the notes; a
        # dagger on screen must be explained before the zero dot.
        wanted = [f"  {window}"] if window else []
        if any_dead:
            # A constant unit (no weights in, one out) is daggered too: "in" keeps the
            # note true for it.
            constant = any(self._is_constant(unit) for unit in np.flatnonzero(self._dead))
            wanted.append(f"  † {NO_WEIGHTS} in" if constant else f"  † {NO_WEIGHTS}")
        wanted.append("  · = 0")
        # Two cells per level when they fit besides the notes that must be read (which
        # units are shown, what † means); in mono they carry the sign: "-▓", "+▓".
        needed = sum(len(note) for note in wanted[:-1])
        per_level = 2 if width - fixed - needed >= 2 * DIVERGING_LEVELS else 1
        room = width - fixed - per_level * DIVERGING_LEVELS
        notes: list[str] = []
        for note in wanted:
            if len(note) <= room:
                notes.append(note)
                room -= len(note)
        key = ("legend", text, per_level, tuple(notes), mode)

        def build() -> list[Segment]:
            styles = self._styles
            segs = [Segment("w ", styles.text(bold=True)),
                    Segment(f"{MINUS}{text} ", styles.text())]
            for level in range(DIVERGING_LEVELS):
                segs.append(self._cell_segment(level, per_level, ""))
            segs.append(Segment(f" +{text}", styles.text()))
            for note in notes:
                segs.append(Segment(note, styles.text(dim=True)))
            return segs

        return key, build

    def _header_spec(self, label_w: int, cell_w: int, gap: int) -> LineSpec:
        names = self._column_names()
        key = ("header", label_w, cell_w, gap, tuple(names))

        def build() -> list[Segment]:
            style = self._styles.text(bold=True)
            text = " " * label_w + (" " * gap).join(n[:cell_w].center(cell_w) for n in names)
            return [Segment(text, style)]

        return key, build

    def _row_spec(
        self,
        unit: int,
        label_w: int,
        cell_w: int,
        gap: int,
        number_w: int,
        labelled: bool = True,
        part: str = "full",
    ) -> LineSpec:
        """One unit's row; ``number_w`` > 0 prints the selected unit's values in it."""
        selected = unit == self._selected
        dead = bool(self._dead[unit]) if unit < len(self._dead) else False
        levels = tuple(self._levels[unit].tolist())
        numbers: tuple[str, ...] = ()
        if selected and number_w and labelled:
            numbers = tuple(format_fit(v, number_w) for v in self._printed[unit].tolist())
        key = ("row", unit, selected, dead, levels, numbers, label_w, cell_w, gap, labelled, part)

        def build() -> list[Segment]:
            if labelled:
                segs = [self._label_segment(unit, selected, dead, label_w)]
            else:
                segs = [Segment(" " * label_w, self._styles.text())]
            sep = Segment(" " * gap, self._styles.text()) if gap else None
            for col, level in enumerate(levels):
                if col and sep is not None:
                    segs.append(sep)
                if part == "half":
                    segs.append(self._bottom_edge_segment(level, cell_w))
                else:
                    number = numbers[col] if numbers else ""
                    segs.append(self._cell_segment(level, cell_w, number))
            return segs

        return key, build

    def _half_row_spec(self, unit: int, label_w: int, cell_w: int, gap: int) -> LineSpec:
        # Two units per line: "▀" takes the upper unit's colour as foreground and the
        # lower unit's as background.  The label names the selected unit when it is one
        # of the two (so it is in the key: moving from u1 to u2 changes this line).
        lower = unit + 1 if unit + 1 < len(self._levels) else None
        upper_levels = tuple(self._levels[unit].tolist())
        lower_levels = tuple(self._levels[lower].tolist()) if lower is not None else ()
        selected = self._selected in (unit, lower)
        label_unit = self._selected if selected else unit
        dead = bool(self._dead[label_unit])
        key = ("half", label_unit, upper_levels, lower_levels, selected, dead, label_w, cell_w,
               gap)

        def build() -> list[Segment]:
            segs = [self._label_segment(label_unit, selected, dead, label_w)]
            sep = Segment(" " * gap, self._styles.text()) if gap else None
            for col, top_level in enumerate(upper_levels):
                if col and sep is not None:
                    segs.append(sep)
                bottom = lower_levels[col] if lower_levels else None
                segs.append(Segment("▀" * cell_w, self._half_style(top_level, bottom)))
            return segs

        return key, build

    def _selected_spec(self, width: int) -> LineSpec:
        unit = self._selected
        if unit >= len(self._values):
            return ("sel-none",), list
        dead = bool(self._dead[unit])
        head = f"▸u{unit + 1} "
        room = width - len(head) - 1
        if dead and self._is_constant(unit):
            # No weights in, one out: it adds the same v·φ(b) to every output.
            row = self._printed[unit]
            out, bias = float(row[-1]), float(row[self._input_dim])
            bodies = [f"constant: no weights in · b {format_fit(bias, 7)} · out "
                      f"{format_fit(out, 7)}", f"constant · out {format_fit(out, 6)}",
                      "constant"]
            body = next((b for b in bodies if len(b) <= room), bodies[-1])
            parts: list[tuple[str, str]] = [("", body)]
        elif dead:
            # Only the bias can be nonzero: say so, and show it.
            bias = float(self._printed[unit][self._input_dim])
            if bias:
                bodies = [f"{NO_WEIGHTS} in or out · bias {format_fit(bias, 7)}",
                          f"{NO_WEIGHTS} · b {format_fit(bias, 6)}", NO_WEIGHTS]
            else:
                bodies = [f"{NO_WEIGHTS} in or out, bias 0", f"{NO_WEIGHTS}, b 0", NO_WEIGHTS]
            body = next((b for b in bodies if len(b) <= room), bodies[-1])
            parts = [("", body)]
        else:
            parts = self._fitting_numbers(self._printed[unit].tolist(), room)
        key = ("selected", unit, tuple(parts), dead)

        def build() -> list[Segment]:
            styles = self._styles
            segs = [Segment(head, styles.text(bold=True, reverse=True)),
                    Segment(" ", styles.text())]
            for name, value in parts:
                if name:
                    segs.append(Segment(name, styles.text(dim=True)))
                segs.append(Segment(value, styles.text(bold=not dead, dim=dead)))
            return segs

        return key, build

    def _fitting_numbers(self, values: list[float], room: int) -> list[tuple[str, str]]:
        """The selected unit's values, as verbose as ``room`` allows (names, precision)."""
        names = self._column_names()
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
        return parts

    # -- segments ----------------------------------------------------------------------------

    def _column_names(self) -> list[str]:
        d = self._input_dim
        inputs = ["x"] if d == 1 else [f"x{i}" for i in range(d)]
        return [*inputs, "b", "out"]

    def _is_constant(self, unit: int) -> bool:
        """A unit with no weights in but an outgoing weight (metrics.CONSTANT)."""
        printed = self._printed
        return unit < len(printed) and float(printed[unit][-1]) != 0.0

    def _label_segment(self, unit: int, selected: bool, dead: bool, width: int) -> Segment:
        text = ("▸" if selected else " ") + f"u{unit + 1}" + ("†" if dead else "")
        style = self._styles.text(bold=selected, dim=dead and not selected, reverse=selected)
        return Segment(text.ljust(width - 1)[: width - 1] + " ", style)

    def _cell_segment(self, level: int, width: int, number: str) -> Segment:
        """One heatmap cell: a coloured block, or (16 colours, mono) sign + shading glyphs
        coloured by sign."""
        mode = self._styles.mode
        if mode == "mono":
            text = number.center(width) if number else diverging_glyphs(level, width)
            return Segment(text, self._styles.text(bold=bool(number)))
        if mode == "ansi16":
            if number:
                # Black on the bright sign colour; the gap keeps numbers apart.
                style = self._styles.get(("num16", level), lambda: Style(
                    bgcolor=diverging_color(level, mode), color="#000000", bold=True))
                return Segment(number.center(width), style)
            style = self._styles.get(
                ("glyph16", level), lambda: Style(color=diverging_color(level, mode))
            )
            return Segment(diverging_glyphs(level, width), style)
        if number:
            style = self._styles.get(
                ("num", level),
                lambda: Style(
                    bgcolor=diverging_color(level, mode),
                    color=diverging_text_color(level),
                    bold=True,
                ),
            )
            return Segment(number.center(width), style)
        if level == ZERO_LEVEL:
            style = self._styles.get(
                ("zero",),
                lambda: Style(bgcolor=diverging_color(ZERO_LEVEL, mode), color=ZERO_DOT_FULL),
            )
            return Segment("·".center(width), style)
        style = self._styles.get(
            ("cell", level), lambda: Style(bgcolor=diverging_color(level, mode))
        )
        return Segment(" " * width, style)

    def _bottom_edge_segment(self, level: int, width: int) -> Segment:
        """The last line of a tall row: colour in the upper half only (a gap below)."""
        if uses_glyphs(self._styles.mode):
            return Segment(" " * width, self._styles.text())
        return Segment("▀" * width, self._half_style(level, None))

    def _half_style(self, top: int, bottom: int | None) -> Style:
        mode = self._styles.mode
        # An exact zero (level 9) has the neutral colour; the "·" needs a whole cell.
        return self._styles.get(
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

