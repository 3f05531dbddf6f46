"""Helpers shared by the panels that draw unit-by-unit matrices and pictures.

The Similarity and Gradient panels draw an H×H matrix the same way (square cells,
half-blocks in full colour, k×k blocks for large H); the Units gallery draws images
from the same kind of quantized cells.  What they share lives here: the cell geometry,
the run-length merge that turns equal neighbouring cells into one segment (one escape
sequence on the wire), and the choice of the longest wording that fits.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

from rich.segment import Segment
from rich.style import Style


def fit_cells(hidden: int, sub_rows: int, room: int, chars_per_row: int) -> tuple[int, int]:
    """(block, cell): average block×block units per cell; each cell ``cell`` sub-rows tall.

    Prefers the largest square cells that fit; when not even one sub-row per unit
    fits, averages k×k blocks of units.
    """
    room_rows = max(room // chars_per_row, 0)
    fit = min(sub_rows, room_rows)
    if fit <= 0:
        return max(hidden, 1), 1
    cell = fit // hidden
    if cell >= 1:
        # With half-blocks, an even cell lets every unit own whole lines (and a label).
        if chars_per_row == 1 and cell >= 2 and cell % 2:
            cell -= 1
        return 1, cell
    return math.ceil(hidden / fit), 1


def merged_segments(cells: Iterable[tuple[str, Style]]) -> list[Segment]:
    """Segments for (text, style) cells, neighbours with the *same* Style object merged.

    Styles come from a StyleCache, so equal levels share one object and the identity
    test is both exact and cheap.
    """
    segments: list[Segment] = []
    run_style: Style | None = None
    run_text = ""
    for text, style in cells:
        if style is run_style:
            run_text += text
            continue
        if run_text:
            segments.append(Segment(run_text, run_style))
        run_style, run_text = style, text
    if run_text:
        segments.append(Segment(run_text, run_style))
    return segments


def longest_fitting(width: int, wordings: Sequence[str]) -> str:
    """The first of ``wordings`` (longest first) that fits ``width``, else the last."""
    return next((text for text in wordings if len(text) <= width), wordings[-1])
