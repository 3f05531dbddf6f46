"""Tests of app/widgets/_pixels.py: an h × w picture drawn in half-block cells (full
colour) or one signed glyph per pixel (16 colours, NO_COLOR), enlarged by a zoom.
Cells are checked exactly, glyph by glyph and colour by colour, on tiny pictures."""

from __future__ import annotations

import numpy as np
import pytest
from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.widgets._palette import (
    ANSI16_NEGATIVE,
    ANSI16_NEUTRAL,
    ANSI16_POSITIVE,
    DIVERGING_FULL,
    DIVERGING_MID,
    ZERO_DOT_FULL,
    ZERO_LEVEL,
    ColorMode,
    StyleCache,
    quantize_diverging,
)
from tui_symmetry.app.widgets._pixels import (
    MAX_ZOOM,
    NO_PIXEL,
    PIXEL_GLYPHS,
    ZERO_GLYPH,
    PixelLegend,
    PixelLine,
    largest_zoom,
    paint_pixels,
    picture_size,
    pixel_lines,
)
from tui_symmetry.core.pictures import unit_images

GREY = DIVERGING_FULL[DIVERGING_MID]


def _styles(mode: ColorMode) -> StyleCache:
    styles = StyleCache()
    styles.reset_if_changed(Style(), mode)
    return styles


def _cells(line: PixelLine | PixelLegend, mode: ColorMode) -> list[tuple[str, Style]]:
    """(character, style) of every cell of a painted line."""
    return [(char, seg.style) for seg in paint_pixels(line, _styles(mode)) for char in seg.text]


def _text(levels: np.ndarray, zoom: int, mode: ColorMode) -> list[str]:
    return ["".join(c for c, _ in _cells(line, mode)) for line in pixel_lines(levels, zoom, mode)]


LEVELS_2x2 = np.array([[0, 8], [DIVERGING_MID, ZERO_LEVEL]], dtype=np.int8)
LEVELS_3x2 = np.array([[0, 8], [2, 6], [ZERO_LEVEL, 1]], dtype=np.int8)


# -- full colour: half-blocks -----------------------------------------------------------------


def test_a_2x2_picture_is_one_line_of_two_half_blocks():
    (line,) = pixel_lines(LEVELS_2x2, 1, "full")
    assert line == PixelLine(bytes([0, 8]), bytes([DIVERGING_MID, ZERO_LEVEL]))
    assert _cells(line, "full") == [
        ("▀", Style(color=DIVERGING_FULL[0], bgcolor=GREY)),  # upper −max over near 0
        ("▀", Style(color=DIVERGING_FULL[8], bgcolor=GREY)),  # upper +max over exact 0
    ]


def test_an_odd_height_leaves_the_last_lines_lower_half_empty():
    lines = pixel_lines(LEVELS_3x2, 1, "full")
    assert lines == (PixelLine(bytes([0, 8]), bytes([2, 6])),
                     PixelLine(bytes([ZERO_LEVEL, 1]), bytes([NO_PIXEL, NO_PIXEL])))
    assert _cells(lines[1], "full") == [
        ("▀", Style(color=GREY)),  # no background: the terminal's own below the picture
        ("▀", Style(color=DIVERGING_FULL[1])),
    ]


def test_a_cell_of_two_exact_zeros_is_marked_with_a_dot_on_the_neutral_grey():
    levels = np.array([[ZERO_LEVEL, 3], [ZERO_LEVEL, 3]], dtype=np.int8)
    assert _cells(pixel_lines(levels, 1, "full")[0], "full") == [
        (ZERO_GLYPH, Style(color=ZERO_DOT_FULL, bgcolor=GREY)),
        (" ", Style(bgcolor=DIVERGING_FULL[3])),  # two equal halves: a background only
    ]


def test_zoom_2_makes_each_pixel_two_columns_by_one_line():
    assert picture_size((2, 2), 2, "full") == (4, 2)
    lines = pixel_lines(LEVELS_2x2, 2, "full")
    assert lines == (PixelLine(bytes([0, 0, 8, 8]), bytes([0, 0, 8, 8])),
                     PixelLine(bytes([4, 4, ZERO_LEVEL, ZERO_LEVEL]),
                               bytes([4, 4, ZERO_LEVEL, ZERO_LEVEL])))
    assert _text(LEVELS_2x2, 2, "full") == ["    ", "  ··"]


def test_zoom_3_shares_the_middle_line_between_two_pixel_rows():
    # 3 half-lines a pixel: line 1 holds row 0's last half-line over row 1's first.
    lines = pixel_lines(LEVELS_2x2, 3, "full")
    assert picture_size((2, 2), 3, "full") == (6, 3) and len(lines) == 3
    assert lines[1] == PixelLine(bytes([0, 0, 0, 8, 8, 8]),
                                 bytes([4, 4, 4, ZERO_LEVEL, ZERO_LEVEL, ZERO_LEVEL]))
    assert _text(LEVELS_2x2, 3, "full") == ["      ", "▀▀▀▀▀▀", "   ···"]


def test_equal_neighbours_merge_into_one_segment():
    levels = np.full((2, 8), 7, dtype=np.int8)
    (line,) = pixel_lines(levels, 1, "full")
    assert paint_pixels(line, _styles("full")) == [
        Segment(" " * 8, Style(bgcolor=DIVERGING_FULL[7]))]


# -- 16 colours and NO_COLOR: one signed glyph per pixel ---------------------------------------


def test_mono_draws_one_glyph_per_pixel_and_odd_heights_need_no_half():
    assert picture_size((3, 2), 1, "mono") == (2, 3)
    assert _text(LEVELS_3x2, 1, "mono") == ["#█", "~▒", "·="]


def test_the_sign_survives_without_colour():
    # Every negative level draws a glyph no positive level, no near-zero and no exact
    # zero draws, and the glyphs grow denser with |w| on both sides.
    negative = {PIXEL_GLYPHS[level] for level in range(DIVERGING_MID)}
    positive = {PIXEL_GLYPHS[level] for level in range(DIVERGING_MID + 1, 2 * DIVERGING_MID + 1)}
    assert len(negative) == len(positive) == DIVERGING_MID
    assert not negative & positive
    assert ZERO_GLYPH not in negative | positive | {PIXEL_GLYPHS[DIVERGING_MID]}
    values = np.array([[-1.0, -0.5, 0.0, 0.5, 1.0]])
    (text,) = _text(quantize_diverging(values, 1.0), 1, "mono")
    assert text == "#~·▒█"


def test_sixteen_colours_colour_the_glyphs_by_sign_and_zero_neutral():
    cells = _cells(pixel_lines(np.array([[1, ZERO_LEVEL, 7]], dtype=np.int8), 1,
                               "ansi16")[0], "ansi16")
    assert cells == [("=", Style(color=ANSI16_NEGATIVE)), (ZERO_GLYPH, Style(color=ANSI16_NEUTRAL)),
                     ("▓", Style(color=ANSI16_POSITIVE))]


def test_a_glyph_pixel_zoomed_is_repeated_and_stays_about_square():
    assert picture_size((8, 8), 2, "mono") == (16, 8)
    assert picture_size((8, 8), 3, "mono") == (24, 16)
    assert _text(LEVELS_2x2, 2, "mono") == ["##██", "  ··"]


def test_a_line_cut_for_glyphs_still_paints_in_colour():
    # A colour mode that changes between cutting and painting (the records are cached)
    # draws each glyph line's pixels as upper halves rather than failing.
    (line, _) = pixel_lines(LEVELS_2x2, 1, "mono")
    assert _cells(line, "full") == [("▀", Style(color=DIVERGING_FULL[0])),
                                    ("▀", Style(color=DIVERGING_FULL[8]))]


# -- one scale for every picture ---------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_colour_scale_is_symmetric_and_shared_by_every_unit(seed: int):
    W1 = np.random.default_rng(seed).normal(size=(3, 64))
    W1[0, 5] = 0.0
    W1[1] = -W1[0]  # a unit and its negative
    W1[2] = 0.25 * W1[0]  # a weaker copy
    images = unit_images(W1, (8, 8))
    levels = quantize_diverging(images.values, images.scale)
    mirrored = np.where(levels[0] == ZERO_LEVEL, ZERO_LEVEL, 2 * DIVERGING_MID - levels[0])
    assert np.array_equal(levels[1], mirrored)  # −w is +w's colour mirrored about zero
    strength = np.abs(levels[:, levels[0] != ZERO_LEVEL].astype(int) - DIVERGING_MID)
    assert (strength[2] <= strength[0]).all() and strength[2].sum() < strength[0].sum()
    text = [_text(levels[unit], 1, "mono") for unit in (0, 1)]
    assert text[0][0][5] == ZERO_GLYPH == text[1][0][5]  # the exact zero stays a zero


def test_zero_is_the_neutral_colour_in_every_mode():
    zero = np.full((2, 2), ZERO_LEVEL, dtype=np.int8)
    assert _cells(pixel_lines(zero, 1, "full")[0], "full")[0][1].bgcolor.name == GREY
    assert _cells(pixel_lines(zero, 1, "ansi16")[0], "ansi16")[0] == (
        ZERO_GLYPH, Style(color=ANSI16_NEUTRAL))
    glyph, style = _cells(pixel_lines(zero, 1, "mono")[0], "mono")[0]
    assert glyph == ZERO_GLYPH and style.color is None and style.bgcolor is None


def test_the_legend_names_both_ends_and_the_zero():
    legend = PixelLegend("−0.5", "+0.5")
    mono = "".join(c for c, _ in _cells(legend, "mono"))
    assert mono == "−0.5 #=~- ░▒▓█ +0.5  · = 0"
    full = _cells(legend, "full")
    assert [style.bgcolor.name for _, style in full[5:14]] == list(DIVERGING_FULL)


# -- sizes ------------------------------------------------------------------------------------


@pytest.mark.parametrize("mode", ["full", "ansi16", "mono"])
def test_every_line_is_as_wide_as_the_picture_says(mode: ColorMode):
    levels = quantize_diverging(np.random.default_rng(4).normal(size=(8, 8)), 2.0)
    for zoom in (1, 2, 3):
        lines = pixel_lines(levels, zoom, mode)
        columns, rows = picture_size((8, 8), zoom, mode)
        assert len(lines) == rows
        assert {sum(len(s.text) for s in paint_pixels(line, _styles(mode)))
                for line in lines} == {columns}


def test_largest_zoom_is_the_biggest_picture_that_fits_the_area():
    assert largest_zoom((8, 8), 24, 12, "full") == 3  # 24 × 12 cells: reads at 100×30
    assert largest_zoom((8, 8), 23, 12, "full") == 2
    assert largest_zoom((8, 8), 24, 11, "full") == 2
    assert largest_zoom((8, 8), 24, 12, "mono") == 2  # a glyph pixel at 3 is 3 × 2 cells
    assert largest_zoom((8, 8), 24, 16, "mono") == 3
    assert largest_zoom((8, 8), 500, 500, "full") == MAX_ZOOM
    assert largest_zoom((8, 8), 7, 30, "full") == 0  # not even one column a pixel
