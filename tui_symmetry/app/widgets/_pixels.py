"""An h × w picture of quantized weights drawn in terminal cells, enlarged by a zoom.

Full colour: half-blocks.  A cell ``▀`` is two pixels, the upper one its foreground
and the lower one its background; a terminal cell is about twice as tall as wide, so
one column × one half-line is a square pixel.  At zoom z every pixel is z columns ×
z half-lines: the 8 × 8 digits are 8 × 4 cells at zoom 1, 16 × 8 at 2, 24 × 12 at 3
(the selected unit on a projector at 100×30).  A picture of odd height leaves the last
line's lower half to the terminal's own background.

16 colours and ``NO_COLOR``: nine colours cannot be told apart there, so each pixel is
a whole cell holding a glyph that carries both its sign and its size (``#=~-`` below
zero, ``░▒▓█`` above, densest at the ends; 16 colours also colour them by sign).  At
zoom z a pixel is z columns × ⌈z/2⌉ lines, about square again.

Colours: the diverging scale of the weights panel (``_palette``), quantized to its nine
levels over one shared range for every unit (core/pictures.py ``UnitImages.scale``), so
pictures compare and the middle level is zero.  An exact zero (``ZERO_LEVEL``, what L1
leaves) is the neutral grey, and a cell whose two halves are both exact zeros shows a
``·`` on it, as the weights panel does; in glyph modes an exact zero is always ``·``,
while a weight merely near zero is blank.

Records and painters, as every panel: ``pixel_lines`` cuts a picture into
``PixelLine`` records (levels as bytes: equal lines are one cached strip), and
``paint_pixels`` draws one with the panel's ``StyleCache``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.widgets._heatmap import merged_segments
from tui_symmetry.app.widgets._palette import (
    DIVERGING_LEVELS,
    DIVERGING_MID,
    ZERO_DOT_FULL,
    ZERO_LEVEL,
    ColorMode,
    StyleCache,
    diverging_color,
    uses_glyphs,
)

NO_PIXEL = 0xFF
"""The lower half of the last line of a picture of odd height: not part of it."""
MAX_ZOOM = 3
"""The biggest enlargement: 24 × 12 cells for an 8 × 8 picture, readable on a projector;
bigger shows nothing new and costs bytes at every change."""
ZERO_GLYPH = "·"
"""An exact zero (the legend says "· = 0")."""
PIXEL_GLYPHS = ("#", "=", "~", "-", " ", "░", "▒", "▓", "█")
"""One cell per level 0 … 8 in the glyph modes: a family of its own for each sign, so
the sign reads without colour, denser as |w| grows; near zero is blank.  (Not the units
gallery's glyphs, whose level 3 is a "·": here "·" must mean an exact zero.)"""


@dataclass(frozen=True)
class PixelLine:
    """One line of a picture: per column, the level of the upper half and of the lower
    half (``NO_PIXEL`` below the picture); in the glyph modes ``bottom`` is empty."""

    top: bytes
    bottom: bytes


@dataclass(frozen=True)
class PixelLegend:
    """The pictures' colour scale: its two ends, every level, and what "·" means."""

    low: str
    high: str


def picture_size(shape: tuple[int, int], zoom: int, mode: ColorMode) -> tuple[int, int]:
    """(columns, lines) an h × w picture takes at ``zoom`` in colour ``mode``."""
    h, w = shape
    if uses_glyphs(mode):
        return w * zoom, h * math.ceil(zoom / 2)
    return w * zoom, math.ceil(h * zoom / 2)


def largest_zoom(shape: tuple[int, int], width: int, height: int, mode: ColorMode,
                 most: int = MAX_ZOOM) -> int:
    """The biggest zoom (at most ``most``) whose picture fits ``width`` × ``height``
    cells; 0 when not even zoom 1 does."""
    for zoom in range(most, 0, -1):
        columns, lines = picture_size(shape, zoom, mode)
        if columns <= width and lines <= height:
            return zoom
    return 0


def pixel_lines(levels: np.ndarray, zoom: int, mode: ColorMode) -> tuple[PixelLine, ...]:
    """The lines of the picture whose diverging levels are ``levels`` (h, w), every pixel
    enlarged ``zoom`` times (see the module's doc for the shapes)."""
    levels = np.asarray(levels).astype(np.uint8)
    wide = np.repeat(levels, zoom, axis=1)
    if uses_glyphs(mode):
        tall = np.repeat(wide, math.ceil(zoom / 2), axis=0)
        return tuple(PixelLine(row.tobytes(), b"") for row in tall)
    halves = np.repeat(wide, zoom, axis=0)
    if len(halves) % 2:
        halves = np.vstack([halves, np.full((1, halves.shape[1]), NO_PIXEL, np.uint8)])
    return tuple(PixelLine(halves[i].tobytes(), halves[i + 1].tobytes())
                 for i in range(0, len(halves), 2))


def paint_pixels(line: PixelLine | PixelLegend, styles: StyleCache) -> list[Segment]:
    """The segments of a picture's line (or of its legend), equal neighbours merged."""
    if isinstance(line, PixelLegend):
        return _paint_legend(line, styles)
    if uses_glyphs(styles.mode):
        return merged_segments(_glyph_cell(level, styles) for level in line.top)
    # A line cut for glyphs (no lower halves) still paints: its pixels as upper halves.
    bottom = line.bottom or bytes([NO_PIXEL]) * len(line.top)
    return merged_segments(_half_cell(upper, lower, styles)
                           for upper, lower in zip(line.top, bottom, strict=True))


def _half_cell(upper: int, lower: int, styles: StyleCache) -> tuple[str, Style]:
    """A full-colour cell: two pixels, or one pixel over the terminal's background."""
    mode = styles.mode
    if lower == NO_PIXEL:
        return "▀", styles.get(("px", upper), lambda: Style(color=diverging_color(upper, mode)))
    if upper == lower == ZERO_LEVEL:
        return ZERO_GLYPH, styles.get(("px0",), lambda: Style(
            color=ZERO_DOT_FULL, bgcolor=diverging_color(ZERO_LEVEL, mode)))
    top, bottom = diverging_color(upper, mode), diverging_color(lower, mode)
    if top == bottom:  # a background-only blank is about half the bytes
        return " ", styles.get(("pxbg", bottom), lambda: Style(bgcolor=bottom))
    return "▀", styles.get(("pxhalf", top, bottom), lambda: Style(color=top, bgcolor=bottom))


def _glyph_cell(level: int, styles: StyleCache) -> tuple[str, Style]:
    """A glyph-mode cell: the level's glyph, coloured by sign in 16 colours."""
    glyph = ZERO_GLYPH if level == ZERO_LEVEL else PIXEL_GLYPHS[level]
    if styles.mode == "mono":
        return glyph, styles.text()
    return glyph, styles.get(("pxglyph", level),
                             lambda: Style(color=diverging_color(level, styles.mode)))


def _paint_legend(legend: PixelLegend, styles: StyleCache) -> list[Segment]:
    """``−0.5 ▇▇▇▇▇▇▇▇▇ +0.5  · = 0``: one cell per level, both ends, the zero."""
    if uses_glyphs(styles.mode):
        cells = [_glyph_cell(level, styles) for level in range(DIVERGING_LEVELS)]
        zero = _glyph_cell(ZERO_LEVEL, styles)
    else:
        cells = [_half_cell(level, level, styles) for level in range(DIVERGING_LEVELS)]
        zero = _half_cell(ZERO_LEVEL, ZERO_LEVEL, styles)
    text = styles.text()
    return [Segment(legend.low + " ", text), *merged_segments(cells),
            Segment(" " + legend.high + "  ", text), Segment(*zero),
            Segment(" = 0", styles.text(dim=True))]


assert len(PIXEL_GLYPHS) == DIVERGING_LEVELS and PIXEL_GLYPHS[DIVERGING_MID] == " "
