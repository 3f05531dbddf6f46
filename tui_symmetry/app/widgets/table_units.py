"""The units gallery of a table: each unit as the picture of its incoming weights
(image data, the digits) or as its mean activation per class (every other table).

Image data: one tile per unit, its 8 × 8 weights in half-blocks on one colour scale for
every unit (core/pictures.py ``UnitImages.scale``), exact zeros marked, under a label
naming the class the unit is most active on (``u7 ↑3 +.82``); the big tile is the
selected unit, enlarged (zoom 3, 24 × 12 cells, from 100×30 up), with its mean
activation per class beside it as bars.  Other tables: each tile is the unit's class
bars, and the big tile is the confusion matrix.  Tiles follow ``snapshot.order`` (alike
units side by side), so copies show as runs of identical tiles: their weights, and so
their pictures, class means and labels, are bit-identical.

Records only (no numbers are computed here: pictures, class means and the best class
come from core/pictures.py); the gallery (units.py) cuts its column strips from them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tui_symmetry.app.numbers import format_scale, unit_name
from tui_symmetry.app.widgets._lines import TextLine
from tui_symmetry.app.widgets._palette import ColorMode, quantize_diverging
from tui_symmetry.app.widgets._pixels import (
    MAX_ZOOM,
    PixelLegend,
    PixelLine,
    largest_zoom,
    picture_size,
    pixel_lines,
)
from tui_symmetry.app.widgets.classes import (
    ClassBarLine,
    class_bar_lines,
    min_bars_width,
    tile_label,
)
from tui_symmetry.app.widgets.confusion import ConfusionLine, confusion_lines
from tui_symmetry.core.pictures import UnitPictures, top_classes

BIG_SHARE = 0.6
"""Most of the gallery's width the big tile takes."""
BARS_WIDTH = 18
"""The selected unit's class bars beside its big picture: ``3 ███████▌ +.82``."""
BIG_GAP = 2
"""Columns between the big picture and its bars."""
MIN_TILE_WIDTH = 11
"""A tile is at least its label's width (``u16 ↑3``), whatever its picture's."""
BAR_TILE_WIDTH = 16
"""A tile of class bars (non-image tables)."""
MAX_TILE_ZOOM = 2
"""The unit tiles' biggest zoom: 16 × 8 cells for the digits, when few units leave room."""
CONFUSION_WIDTH = 40
"""The big tile of a non-image table: its confusion matrix."""


@dataclass(frozen=True)
class TableLayout:
    """Where the tiles go: the big tile (``big_width`` × ``big_lines`` under a title
    line; 0 wide: none), the unit tiles (a label line over ``tile_lines``) in
    ``columns`` × ``rows``, and the pictures' zooms (0 without pictures)."""

    big_width: int
    big_lines: int
    big_zoom: int
    tile_width: int
    tile_lines: int
    tile_zoom: int
    columns: int
    rows: int

    @property
    def per_page(self) -> int:
        return self.columns * self.rows

    @property
    def strip_widths(self) -> tuple[int, ...]:
        """The width of each column strip: the big tile's, then the tiles'."""
        big = [self.big_width + BIG_GAP] if self.big_width else []
        return (*big, *[self.tile_width + 1] * self.columns)


def table_layout(width: int, body: int, hidden: int, image: tuple[int, int] | None,
                 classes: Sequence[str], mode: ColorMode) -> TableLayout:
    """The layout of a ``width`` × ``body`` area for ``hidden`` units of a table: the
    biggest big tile (zoom 3, then 2) beside which every unit fits on one page, else
    the big tile at zoom 2 and pages of tiles."""
    layout = None
    for most in (MAX_ZOOM, 2):
        big_width, big_lines, big_zoom = _big_tile(width, body, image, classes, mode, most)
        layout = _tiles_beside(width, body, hidden, image, classes, mode,
                               (big_width, big_lines, big_zoom))
        if layout.per_page >= hidden or image is None:
            break
    assert layout is not None
    if layout.big_width and layout.per_page == 0:  # no room for a tile beside it
        return _tiles_beside(width, body, hidden, image, classes, mode, (0, 0, 0))
    return layout


def _tiles_beside(width: int, body: int, hidden: int, image: tuple[int, int] | None,
                  classes: Sequence[str], mode: ColorMode, big: tuple[int, int, int]
                  ) -> TableLayout:
    """The unit tiles in the room the big tile (width, lines, zoom) leaves: zoom 2 when
    every unit fits so, else zoom 1."""
    room = width - (big[0] + BIG_GAP if big[0] else 0)
    chosen = (MIN_TILE_WIDTH, 1, 0, 0, 0)
    for zoom in ((MAX_TILE_ZOOM, 1) if image is not None else (0,)):
        if image is not None:
            columns_px, lines = picture_size(image, zoom, mode)
            tile_width = max(MIN_TILE_WIDTH, columns_px)
        else:
            tile_width, lines = max(BAR_TILE_WIDTH, min_bars_width(classes)), len(classes)
        columns = max((room + 1) // (tile_width + 1), 0)
        rows = max(body // (lines + 1), 0)
        chosen = (tile_width, lines, zoom, columns, rows)
        if columns * rows >= hidden:
            break
    tile_width, lines, zoom, columns, rows = chosen
    return TableLayout(*big, tile_width, lines, zoom, columns, rows)


def _big_tile(width: int, body: int, image: tuple[int, int] | None, classes: Sequence[str],
              mode: ColorMode, most: int) -> tuple[int, int, int]:
    """(width, lines, zoom) of the big tile: the selected unit's picture and its bars,
    or the confusion matrix; (0, 0, 0) when it does not fit (a picture: at zoom 2 at
    least, at most ``most``)."""
    share = int(width * BIG_SHARE)
    if image is None:
        big_width = min(CONFUSION_WIDTH, share)
        lines = body - 1
        return (big_width, lines, 0) if big_width >= 20 and lines >= 3 else (0, 0, 0)
    zoom = largest_zoom(image, share - BIG_GAP - BARS_WIDTH, body - 1, mode, most)
    if zoom < 2:  # no bigger than a tile: nothing to show that the tile does not
        return 0, 0, 0
    columns, lines = picture_size(image, zoom, mode)
    return columns + BIG_GAP + BARS_WIDTH, max(lines, len(classes)), zoom


@dataclass(frozen=True)
class PixelPart:
    """A line of a unit's picture in a tile ``width`` wide."""

    line: PixelLine
    width: int


@dataclass(frozen=True)
class BarPart:
    """A line of class bars (a unit's tile, or beside the big picture)."""

    line: ClassBarLine
    width: int


@dataclass(frozen=True)
class BigPart:
    """A line of the big tile: the selected unit's picture line (None below it), the
    gap, then a line of its class bars (or None)."""

    pixel: PixelLine | None
    pixel_width: int
    bar: ClassBarLine | None
    width: int


@dataclass(frozen=True)
class MatrixPart:
    """A line of the confusion matrix in the big tile."""

    line: ConfusionLine
    width: int


TablePart = PixelPart | BarPart | BigPart | MatrixPart


@dataclass(frozen=True)
class TableFrame:
    """The records of a page of a table's units (built once per snapshot and layout)."""

    labels: dict[int, str]
    tiles: dict[int, tuple[PixelLine, ...] | tuple[ClassBarLine, ...]]
    big_title: str
    big: tuple[TablePart, ...]
    legend: PixelLegend | None
    extent: float
    signed: bool


def bar_extent(pictures: UnitPictures, activation_range: tuple[float, float],
               fallback: float) -> float:
    """The bars' shared scale: the activation's bound where it has one (tanh, sigmoid:
    1), else ``fallback`` (the gallery's stable scale of the largest mean)."""
    lo, hi = activation_range
    if math.isfinite(lo) and math.isfinite(hi):
        return max(abs(lo), abs(hi))
    return fallback


def table_frame(pictures: UnitPictures, classes: Sequence[str], page_units: Sequence[int],
                layout: TableLayout, selected: int, mode: ColorMode, activation: str,
                signed: bool, extent: float, confusion: np.ndarray | None, split: str
                ) -> TableFrame:
    """The tiles of ``page_units``, their labels and the big tile's lines."""
    best, value = top_classes(pictures.class_means)
    label_w = layout.tile_width - 1  # the tile's first cell marks the selection
    labels = {unit: tile_label(unit, int(best[unit]), float(value[unit]), classes, label_w)
              for unit in page_units}
    images = pictures.images
    tiles: dict[int, tuple[PixelLine, ...] | tuple[ClassBarLine, ...]] = {}
    legend = None
    if images is not None:
        scale = images.scale or 1.0
        legend = PixelLegend(f"w −{format_scale(scale)}", f"+{format_scale(scale)}")
        for unit in page_units:
            levels = quantize_diverging(images.values[unit], scale)
            tiles[unit] = pixel_lines(levels, layout.tile_zoom, mode)
    else:
        for unit in page_units:
            tiles[unit] = class_bar_lines(pictures.class_means[unit], classes, extent, signed,
                                          layout.tile_width)
    big, title = _big_lines(pictures, classes, layout, selected, mode, activation, signed,
                            extent, confusion, split)
    return TableFrame(labels, tiles, title, big, legend, extent, signed)


def _big_lines(pictures: UnitPictures, classes: Sequence[str], layout: TableLayout,
               selected: int, mode: ColorMode, activation: str, signed: bool, extent: float,
               confusion: np.ndarray | None, split: str
               ) -> tuple[tuple[TablePart, ...], str]:
    width = layout.big_width
    if not width:
        return (), ""
    images = pictures.images
    if images is None:
        if confusion is None:
            return (), ""
        lines = confusion_lines(confusion, classes, split, width, layout.big_lines + 1)
        return tuple(MatrixPart(line, width) for line in lines), ""
    scale = images.scale or 1.0
    levels = quantize_diverging(images.values[selected], scale)
    picture = pixel_lines(levels, layout.big_zoom, mode)
    bars = class_bar_lines(pictures.class_means[selected], classes, extent, signed,
                           BARS_WIDTH)
    pixel_width = width - BIG_GAP - BARS_WIDTH
    rows = max(len(picture), len(bars))
    parts = tuple(BigPart(picture[i] if i < len(picture) else None, pixel_width,
                          bars[i] if i < len(bars) else None, width) for i in range(rows))
    title = (f"▸{unit_name(selected, short=True)} weights".ljust(pixel_width + BIG_GAP)
             + f"mean {activation} by class")
    return parts, title[:width]


def table_title(frame: TableFrame) -> TextLine:
    """The big tile's title line."""
    return TextLine(frame.big_title, bold=True)
