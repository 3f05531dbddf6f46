"""The Similarity panel: the H×H unit similarity matrix S (docs/maths.md) as a heatmap.

Each matrix cell is drawn square: in full colour, half-block cells (``▀``: foreground =
upper row, background = lower row) pack two matrix rows into one terminal line; with 16
colours or none (``NO_COLOR``) one row per line, two characters per column, shaded
``·░▒▓█`` (and coloured, with 16 colours).  Large H are averaged over k×k blocks so the
whole matrix always fits.

By default units are shown in *similarity order* (``snapshot.order``: similar units next
to each other, so groups of copies appear as bright blocks on the diagonal); the toggle
switches to plain unit order.  Under the matrix: the symmetry index with its chance level
and the number of distinct units, shortened to fit the panel's width.
"""

from __future__ import annotations

import functools
import math
import time
import warnings
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import filter_name, format_fixed, unit_name
from tui_symmetry.app.widgets._heatmap import fit_cells as _fit
from tui_symmetry.app.widgets._heatmap import longest_fitting as _longest_fitting
from tui_symmetry.app.widgets._heatmap import merged_segments
from tui_symmetry.app.widgets._lines import BlankLine, LinePanel, LineSpec, TextLine, paint_line
from tui_symmetry.app.widgets._palette import (
    DEAD_GLYPH,
    DEAD_LEVEL,
    SEQUENTIAL_GLYPHS,
    SEQUENTIAL_LEVELS,
    ColorMode,
    StyleCache,
    quantize_sequential,
    sequential_color,
    uses_glyphs,
)
from tui_symmetry.app.widgets._throttle import Schedule
from tui_symmetry.app.widgets.saddle import saddle_lines
from tui_symmetry.core.function_space import FunctionSpace, SpaceView
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD
from tui_symmetry.core.similarity import (
    FUNCTION,
    WEIGHTS,
    measure_name,
    sign_flip,
    symmetry_of,
)

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

def _dead_parts(snap: Any) -> list[tuple[str, str, str]]:
    """(long, short, shortest) wordings of each kind of unit that does not take part.

    "no weights": nothing in or out; "constant": no weights in but one out (it adds a
    constant to every output); "inactive": a ReLU unit never active on the data.
    """
    constant = int(getattr(snap, "constant_units", 0) or 0)
    inactive = int(getattr(snap, "inactive_units", 0) or 0)
    none = int(snap.dead_units) - constant
    parts = []
    if none > 0:
        parts.append((f"{none} with no weights", f"{none} no weights", f"{none}{DEAD_GLYPH}"))
    if constant > 0:
        parts.append((f"{constant} constant", f"{constant} const.", f"{constant}c"))
    if inactive > 0:
        parts.append((f"{inactive} inactive", f"{inactive} inactive", f"{inactive}i"))
    return parts


class SimilarityPanel(LinePanel):
    """Heatmap of unit-to-unit similarity with the symmetry summary underneath.

    Args:
        color_mode: force ``"full"``, ``"ansi16"`` or ``"mono"``; ``None`` detects the
            terminal.
        text_interval: minimum seconds between updates of the summary numbers (the
            heatmap follows every snapshot); 0 updates them every time; None (default):
            0.25 s in a terminal, 0 in a headless app (tests, screenshots).
        by_similarity: start in similarity order (default) or unit order.
        clock: the time source of the summary throttle (tests inject a fake one).
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
        self._by_similarity = by_similarity
        self._space = WEIGHTS
        self._function = FunctionSpace()
        self._snapshot: Snapshot | None = None
        self._printed: Any = None  # the snapshot the summary text shows (throttled)
        self._key: tuple | None = None
        # Cache of the displayed (ordered, block-averaged, quantized) grid per geometry.
        self._grid_key: tuple | None = None
        self._grid = np.zeros((0, 0), dtype=np.int8)
        self._selected: int | None = None

    # -- public API --------------------------------------------------------------------------

    @property
    def selected_unit(self) -> int | None:
        """Index of the marked hidden unit (None: no mark)."""
        return self._selected

    @property
    def by_similarity(self) -> bool:
        """True when units are shown in similarity order, False for unit order."""
        return self._by_similarity

    @property
    def space(self) -> str:
        """``"weights"`` (the snapshot's measure) or ``"function"`` (what units compute)."""
        return self._space

    def toggle_space(self) -> None:
        """Switch between weight-space and function-space similarity."""
        self._space = FUNCTION if self._space == WEIGHTS else WEIGHTS
        self._grid_key = None
        self._redraw()

    def _view(self, snap: Any) -> SpaceView:
        """The similarity, order, index and distinct units in the space shown."""
        if self._space == FUNCTION:
            return self._function.of(snap)
        return SpaceView.of_weights(snap)

    def toggle_order(self) -> None:
        """Switch between similarity order and unit order."""
        self._by_similarity = not self._by_similarity
        self._grid_key = None
        self._redraw()

    def select(self, unit: int | None) -> None:
        """Mark hidden unit ``unit`` (0-based): its row label, and its column underneath
        the matrix when there is a spare line; None marks nothing."""
        if unit != self._selected:
            self._selected = unit
            self._redraw()

    def show(self, snapshot: Snapshot) -> None:
        """Display ``snapshot``; a cheap no-op when its version and step are unchanged."""
        key = (snapshot.version, snapshot.step, snapshot.config)
        if key == self._key:
            return
        self._key = key
        self._snapshot = snapshot
        printed = self._printed
        if self._text_due() or printed is None or printed.config != snapshot.config:
            self._printed = snapshot
        self._grid_key = None
        self._redraw()

    def _catch_up_text(self) -> bool:
        if self._printed is self._snapshot:
            return False
        self._printed = self._snapshot
        return True

    # -- layout --------------------------------------------------------------------------------

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        snap = self._snapshot
        if snap is None:
            return [self._empty_spec()]
        view = SimilarityView(self._selected, self._by_similarity, self._space,
                              self._styles.mode)
        records = similarity_lines(snap, self._printed or snap, self._view, view, width,
                                   height, grid_of=self._cached_grid)
        styles = self._styles
        return [(record, functools.partial(paint_similarity, record, styles))
                for record in records]

    def _cached_grid(self, order: np.ndarray, block: int) -> np.ndarray:
        """:func:`display_grid`, computed once per snapshot, geometry, order and space."""
        key = (block, self._by_similarity, self._space)
        if key != self._grid_key:
            snap = self._snapshot
            assert snap is not None
            self._grid = display_grid(snap, self._view(snap), order, block)
            self._grid_key = key
        return self._grid


# -- the text: records of (snapshot, view state) -------------------------------------------


@dataclass(frozen=True)
class SimilarityView:
    """What the Similarity panel shows besides the snapshots: the view state."""

    selected: int | None
    """The marked unit (0-based), None for none."""
    by_similarity: bool
    """Units in similarity order (else unit order)."""
    space: str
    """``"weights"`` or ``"function"`` (what units compute)."""
    mode: ColorMode


@dataclass(frozen=True)
class LegendLine:
    """The colour scale, the order and what ≥ and × mean."""

    name: str
    low: str
    per_level: int
    extras: tuple[str, ...]
    mode: ColorMode


@dataclass(frozen=True)
class MatrixLine:
    """One line of the matrix: its upper (and lower, half-blocks) row of levels."""

    top: tuple[int, ...]
    bottom: tuple[int, ...]
    col_w: int
    label: str
    label_w: int
    mono: bool


@dataclass(frozen=True)
class ColumnMark:
    """The ▲ under the selected unit's column."""

    marker: str


SimilarityLine = LegendLine | MatrixLine | ColumnMark | TextLine | BlankLine

SpaceOf = Callable[[Any], SpaceView]
"""The similarity, order, index and distinct units of a snapshot in the space shown."""

GridOf = Callable[[np.ndarray, int], np.ndarray]
"""(order, block) -> the displayed grid: :func:`display_grid`, or a cached copy of it."""


def similarity_lines(shown: Snapshot, printed: Any, space_of: SpaceOf, view: SimilarityView,
                     width: int, height: int, grid_of: GridOf | None = None
                     ) -> list[SimilarityLine]:
    """The panel's lines, top to bottom: the matrix of ``shown``, the numbers of
    ``printed`` (which lags it when throttled)."""
    hidden = int(shown.similarity.shape[0])
    texts = _summary_texts(printed, space_of(printed), view.space, hidden, width)
    # The two summary lines (at the bottom) matter most, then one line of the
    # saddle readout (above them), the matrix, the legend; lines the matrix can
    # spare go to a longer saddle readout and the name of the similarity measure.
    n_text = min(len(texts), height)
    rest = height - n_text
    saddle = saddle_lines(printed, width, 3)
    n_saddle = min(1, len(saddle), rest)
    rest -= n_saddle
    show_legend = rest >= 3
    rest -= show_legend
    rows_per_line = 1 if uses_glyphs(view.mode) else 2
    spare = rest - math.ceil(hidden / rows_per_line)  # one line (or half) per unit
    if saddle and spare > 0:
        longer = saddle_lines(printed, width, n_saddle + spare)
        spare -= len(longer) - n_saddle
        saddle, n_saddle = longer, len(longer)
    saddle = saddle_lines(printed, width, n_saddle) if n_saddle < len(saddle) else saddle
    measure = _measure_text(printed, view.space, width) if spare > 0 else None
    matrix_lines = rest - (len(saddle) - min(1, len(saddle))) - (measure is not None)
    lines: list[SimilarityLine] = []
    if show_legend:
        lines.append(_legend_line(width, shown, view))
    if measure is not None:
        lines.append(TextLine(measure, False, dim=True))
    if matrix_lines > 0:
        order = _order(shown, space_of, view.by_similarity, hidden)
        grid = grid_of or (lambda o, b: display_grid(shown, space_of(shown), o, b))
        name = filter_name if shown.config.is_conv else functools.partial(unit_name, short=True)
        lines.extend(_matrix_lines(view, width, matrix_lines, hidden, order, grid, name))
    lines.extend(TextLine(text, False) for text in saddle)
    lines.extend(TextLine(text, bold) for text, bold in texts[:n_text])
    while len(lines) < height:
        lines.append(BlankLine("blank"))
    return lines[:height]


def _measure_text(snap: Any, space: str, width: int) -> str | None:
    """The similarity measure in use (snapshot.similarity_measure), shortened to fit."""
    name = str(getattr(snap, "similarity_measure", "") or "")
    if space == FUNCTION:
        name = measure_name(snap.config.activation, FUNCTION)
    if not name:
        return None
    head = name.split(" (")[0]
    wordings = [f"measure: {name}", name, f"measure: {head}", head]
    text = _longest_fitting(width, wordings)
    return text if len(text) <= width else None


def _symmetry_text(index: float, chance: float, space: str, width: int) -> str:
    """The symmetry line: the index (with its chance level in weight space), or "—"
    when it is undefined (NaN: fewer than two live units), never a number then."""
    if space == FUNCTION and math.isfinite(index):
        # The chance level is the weight measure's: no number to compare with here.
        return _longest_fitting(width, (
            f"function symmetry {format_fixed(index, 3)}",
            f"function sym {format_fixed(index, 3)}",
            f"fn sym {format_fixed(index, 2)}",
        ))
    if math.isfinite(index):
        i3, i2, c2 = format_fixed(index, 3), format_fixed(index, 2), format_fixed(chance, 2)
        return _longest_fitting(width, (
            f"symmetry {i3}  (chance {c2})",
            f"symmetry {i3} (chance {c2})",
            f"symmetry {i2} (chance {c2})",
            f"sym {i2} (chance {c2})",
            f"sym {i2} chance {c2}",
            f"sym {i2}",
        ))
    return _longest_fitting(width, (
        "symmetry — (fewer than 2 live units)",
        "symmetry — (< 2 live units)",
        "symmetry — (<2 live)",
        "sym —",
    ))


def _summary_texts(snap: Any, space_view: SpaceView, space: str, hidden: int, width: int
                   ) -> list[tuple[str, bool]]:
    """The two summary lines, each the longest wording that fits ``width``."""
    symmetry = _symmetry_text(space_view.symmetry_index, snap.chance_level, space, width)
    distinct = space_view.distinct_units
    long, short = f"distinct units {distinct} / {hidden}", f"distinct {distinct}/{hidden}"
    wordings = [long, short]
    parts = _dead_parts(snap)
    if parts:
        # Units left out of the numbers (no weights in, × in the matrix) and ReLU
        # units never active on the data: say how many of each, in as many words
        # as fit.
        words = [" · ".join(p[0] for p in parts), " · ".join(p[1] for p in parts),
                 " ".join(p[2] for p in parts)]
        wordings = [f"{long}  · {words[0]}", f"{short} · {words[0]}",
                    f"{short} · {words[1]}", f"{short} · {words[2]}", short]
    if snap.max_unit_gap == 0 and hidden - int(snap.dead_units) >= 2:
        # Live units that are copies to the last bit (docs/contracts.md,
        # max_unit_gap): said in as many words as fit, before anything else.
        wordings = [f"{wordings[0]} · max unit gap 0.0", f"{short} · max unit gap 0.0",
                    f"{short} · max gap 0.0", f"{short} · gap 0", *wordings]
    return [(symmetry, True), (_longest_fitting(width, wordings), False)]


def _legend_line(width: int, snap: Any, view: SimilarityView) -> LegendLine:
    odd = sign_flip(symmetry_of(snap.config.activation))
    # For a |cos| measure S is in 0..1; otherwise cos can be negative and
    # the colour clips it to 0, which the legend says with "≤0".
    name, low = ("|cos| ", "0 ") if odd else ("cos ", "≤0 ")
    if view.space == FUNCTION:
        name, low = ("corr ", "≤0 ")
    order = "sim. order" if view.by_similarity else "unit order"
    fixed = len(name) + len(low) + len(" 1")
    per_level = 2 if width - fixed - 2 * SEQUENTIAL_LEVELS >= 0 else 1
    room = width - fixed - per_level * SEQUENTIAL_LEVELS
    same = f"{SAME_UNIT_THRESHOLD:.2f}".lstrip("0")
    # In order of importance; each is shown if it still fits after the earlier ones.
    wanted = [f"  {order}", f"  ≥{same} = same"]
    if int(snap.dead_units):
        # × marks every unit with no weights in: nothing at all, or a constant.
        constant = int(getattr(snap, "constant_units", 0) or 0)
        what = "constant" if constant == int(snap.dead_units) else "no weights"
        wanted.append(f"  {DEAD_GLYPH} {what}")
    extras: list[str] = []
    for extra in wanted:
        if len(extra) <= room:
            extras.append(extra)
            room -= len(extra)
    # Read left to right: the scale's own note first, then the order.
    extras.sort(key=lambda extra: extra != wanted[1])
    return LegendLine(name, low, per_level, tuple(extras), view.mode)


# -- the matrix ----------------------------------------------------------------------------


def _matrix_lines(view: SimilarityView, width: int, lines: int, hidden: int,
                  order: np.ndarray, grid_of: GridOf, name: Callable[[int], str]
                  ) -> list[SimilarityLine]:
    mono = uses_glyphs(view.mode)  # one matrix row per line, drawn in glyphs
    rows_per_line = 1 if mono else 2  # half-blocks carry two matrix rows per line
    chars_per_row = 2 if mono else 1  # ... so a square cell is 1 char wide, else 2
    label_w = len(name(hidden - 1)) + 2  # "▸", the name, a space
    geometry = _fit(hidden, lines * rows_per_line, width - label_w, chars_per_row)
    # Labels need each unit to own whole lines; otherwise give their room to the cells.
    if geometry[0] != 1 or geometry[1] % rows_per_line:
        label_w = 0
        geometry = _fit(hidden, lines * rows_per_line, width, chars_per_row)
    block, cell = geometry
    grid = grid_of(order, block)
    n = grid.shape[0]
    # Square cells, stretched up to twice as wide when the panel has the width:
    # small H in a wide panel reads better as bigger cells.
    square = cell * chars_per_row
    col_w = max(square, min(2 * square, (width - label_w) // max(n, 1)))
    selected = view.selected
    out: list[SimilarityLine] = []
    for line in range(lines):
        sub_top = line * rows_per_line
        i_top = sub_top // cell
        i_bot = None if mono else (sub_top + 1) // cell
        if i_top >= n:
            break  # the summary text follows the matrix directly
        top = tuple(grid[i_top].tolist())
        bottom = tuple(grid[i_bot].tolist()) if i_bot is not None and i_bot < n else ()
        label = ""
        if label_w and sub_top % cell == 0:
            unit = int(order[i_top])
            mark = "" if selected is None else " ▸"[unit == selected]
            label = mark + name(unit)  # a conv net's filters are its units: f1 … fK
        out.append(MatrixLine(top, bottom, col_w, label, label_w, mono))
    if selected is not None and len(out) < lines and selected < hidden:
        column = int(np.flatnonzero(order == selected)[0]) // block
        out.append(ColumnMark(" " * (label_w + column * col_w) + "▲".center(col_w).rstrip()))
    return out


def _order(shown: Snapshot, space_of: SpaceOf, by_similarity: bool, hidden: int
           ) -> np.ndarray:
    if by_similarity:
        order = space_of(shown).order
        if len(order) == hidden:
            return np.asarray(order)
    return np.arange(hidden)


def display_grid(snap: Snapshot, space_view: SpaceView, order: np.ndarray, block: int
                 ) -> np.ndarray:
    """The ordered, block-averaged, quantized matrix of ``snap`` (units with no weights
    at DEAD_LEVEL)."""
    hidden = len(order)
    S = np.asarray(space_view.similarity, dtype=float)[np.ix_(order, order)]
    dead = np.asarray(snap.dead, dtype=bool)[order]
    if block > 1:
        n = math.ceil(hidden / block)
        pad = n * block - hidden
        padded = np.pad(S, ((0, pad), (0, pad)), constant_values=np.nan)
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # all-NaN padding blocks
            S = np.nanmean(padded.reshape(n, block, n, block), axis=(1, 3))
        dead_pad = np.pad(dead, (0, pad), constant_values=True)
        dead = dead_pad.reshape(n, block).all(axis=1)
    grid = quantize_sequential(S)
    grid[dead, :] = DEAD_LEVEL
    grid[:, dead] = DEAD_LEVEL
    return grid


# -- painting: a record's segments ---------------------------------------------------------


def paint_similarity(line: SimilarityLine, styles: StyleCache) -> list[Segment]:
    """The segments of one of the panel's lines."""
    match line:
        case LegendLine():
            segs = [Segment(line.name, styles.text(bold=True)),
                    Segment(line.low, styles.text())]
            segs += [_legend_cell(styles, level, line.per_level)
                     for level in range(SEQUENTIAL_LEVELS)]
            segs.append(Segment(" 1", styles.text()))
            return segs + [Segment(extra, styles.text(dim=True)) for extra in line.extras]
        case MatrixLine():
            segs = []
            if line.label_w:
                selected = line.label.startswith("▸")
                segs.append(Segment(line.label.ljust(line.label_w), styles.text(
                    dim=not selected, bold=selected, reverse=selected)))
            bottom = line.bottom
            segs.extend(merged_segments(
                _cell(styles, upper, bottom[j] if bottom else None, line.col_w, line.mono)
                for j, upper in enumerate(line.top)
            ))
            return segs
        case ColumnMark():
            return [Segment(line.marker, styles.text(bold=True))]
    return paint_line(line, styles)


def _legend_cell(styles: StyleCache, level: int, width: int) -> Segment:
    if uses_glyphs(styles.mode):
        return Segment(SEQUENTIAL_GLYPHS[level] * width, _glyph_style(styles, level))
    return Segment(" " * width, _cell_style(styles, level))


def _cell(styles: StyleCache, upper: int, lower: int | None, width: int, mono: bool
          ) -> tuple[str, Style]:
    if mono:
        glyph = DEAD_GLYPH if upper == DEAD_LEVEL else SEQUENTIAL_GLYPHS[upper]
        return glyph * width, _glyph_style(styles, upper)
    mode = styles.mode
    style = styles.get(
        ("half", upper, lower),
        lambda: Style(
            color=sequential_color(upper, mode),
            bgcolor=None if lower is None else sequential_color(lower, mode),
        ),
    )
    return "▀" * width, style


def _glyph_style(styles: StyleCache, level: int) -> Style:
    """Glyph cells: the plain text style in mono, the level's colour with 16."""
    mode = styles.mode
    if mode == "mono":
        return styles.text()
    return styles.get(("glyph", level), lambda: Style(color=sequential_color(level, mode)))


def _cell_style(styles: StyleCache, level: int) -> Style:
    mode = styles.mode
    return styles.get(("cell", level), lambda: Style(bgcolor=sequential_color(level, mode)))
