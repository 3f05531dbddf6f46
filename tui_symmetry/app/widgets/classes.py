"""Per-class text for the table views: class names cut to a cell, a unit's mean
activation per class as bars, and a tile's label naming the unit's strongest class.

The numbers come from core/pictures.py (``class_means``, ``top_classes``); nothing here
computes one.  Bars::

    0    │██▌ +.62      signed activations (tanh, leaky ReLU): bars grow both ways
    1 ▐██│    −.58      from an axis, so the sign reads without colour
    2    │    0         (an exact 0 has no bar; a class without rows reads "—")

Unsigned activations (ReLU, sigmoid) draw bars from the left edge.  Every unit's bars
share one ``extent`` (the caller's: the largest |mean| of any unit and class, or the
activation's bound), so bars compare across units; bars move in half cells.
"""

from __future__ import annotations

import math
import os
from collections.abc import Sequence
from dataclasses import dataclass

from rich.segment import Segment
from rich.style import Style

from tui_symmetry.app.numbers import format_fit, unit_name
from tui_symmetry.app.widgets._palette import (
    DIVERGING_LEVELS,
    StyleCache,
    diverging_color,
)

NAME_WIDTH = 3
"""Characters of a class name beside a bar or in a tile's label ("ver", "set", "7")."""
VALUE_WIDTH = 4
"""A mean as format_fit writes it in four characters: "+.82", "−.05", "0"."""
MIN_BAR_CELLS = 3
"""The narrowest bar worth drawing (signed: one cell each side of the axis)."""
NO_MEAN = "—"
AXIS = "│"


def short_names(names: Sequence[str], width: int) -> tuple[str, ...]:
    """``names`` cut to ``width`` characters, still told apart.

    Cut from the start when that keeps them distinct ("setosa" → "set"); else without
    the prefix they all share ("class_0" → "0"); else by number ("0", "1", …).
    """
    cut = tuple(name[:width] for name in names)
    if len(set(cut)) == len(cut):
        return cut
    # Character by character is the point here: these are names, not paths.
    common = len(os.path.commonprefix(list(names)))  # noqa: RUF071
    rest = tuple(name[common:][:width] for name in names)
    if all(rest) and len(set(rest)) == len(rest):
        return rest
    return tuple(str(i)[:width] for i in range(len(names)))


def bar_text(value: float, extent: float, cells: int, signed: bool) -> str:
    """``value`` as a bar of ``cells`` characters on the scale 0 … ``extent``, in half
    cells (``█`` and ``▌``/``▐``).  Signed: an axis ``│`` in the middle (``cells`` odd),
    negative values to its left.  NaN or an empty scale: blank.  Values beyond
    ``extent`` are drawn to the end of their side."""
    side = (cells - 1) // 2 if signed else cells
    halves = 0
    if math.isfinite(value) and extent > 0:
        halves = min(round(abs(value) / extent * 2 * side), 2 * side)
    grown = "█" * (halves // 2)
    if not signed:
        return (grown + ("▌" if halves % 2 else "")).ljust(cells)
    right = (grown + ("▌" if halves % 2 else "")).ljust(side)
    left = (("▐" if halves % 2 else "") + grown).rjust(side)
    if value < 0:
        return left + AXIS + " " * (cells - side - 1)
    return " " * side + AXIS + right.ljust(cells - side - 1)


@dataclass(frozen=True)
class ClassBarLine:
    """One class's mean activation of the selected unit: name, bar, value."""

    name: str
    bar: str
    value: str
    sign: int  # -1, 0, +1: the bar's colour
    name_w: int


def min_bars_width(classes: Sequence[str]) -> int:
    """The narrowest width at which ``class_bar_lines`` still draws bars."""
    name_w = max((len(n) for n in short_names(classes, NAME_WIDTH)), default=1)
    return name_w + 1 + MIN_BAR_CELLS + 1 + VALUE_WIDTH


def class_bar_lines(means: Sequence[float], classes: Sequence[str], extent: float,
                    signed: bool, width: int) -> tuple[ClassBarLine, ...]:
    """One line per class: ``means`` (C,) of one unit as bars on ``±extent`` (or
    0 … ``extent`` unless ``signed``), each line at most ``width`` characters."""
    names = short_names(classes, NAME_WIDTH)
    name_w = max((len(n) for n in names), default=1)
    cells = width - name_w - 2 - VALUE_WIDTH
    if signed and cells % 2 == 0:
        cells -= 1  # the axis sits in the middle
    if cells < MIN_BAR_CELLS:
        cells = 0
    lines = []
    for name, mean in zip(names, means, strict=True):
        mean = float(mean)
        known = not math.isnan(mean)
        bar = bar_text(mean, extent, cells, signed) if cells else ""
        value = format_fit(mean, VALUE_WIDTH) if known else NO_MEAN
        sign = 0 if not known or mean == 0 else (1 if mean > 0 else -1)
        lines.append(ClassBarLine(name, bar, value, sign, name_w))
    return tuple(lines)


def paint_class_bars(line: ClassBarLine, styles: StyleCache) -> list[Segment]:
    """The segments of a class's bar line; in colour the bar is the sign's end colour
    of the weights' diverging scale."""
    level = 0 if line.sign < 0 else DIVERGING_LEVELS - 1
    mode = styles.mode
    bar_style = (styles.text() if mode == "mono" or line.sign == 0 else
                 styles.get(("classbar", level),
                            lambda: Style(color=diverging_color(level, mode))))
    segs = [Segment(line.name.ljust(line.name_w) + " ", styles.text(bold=True))]
    if line.bar:
        segs.append(Segment(line.bar, bar_style))
        segs.append(Segment(" ", styles.text()))
    segs.append(Segment(line.value.rjust(VALUE_WIDTH), styles.text(dim=line.value == NO_MEAN)))
    return segs


def tile_label(unit: int, best: int, value: float, classes: Sequence[str], width: int) -> str:
    """A unit tile's label: its name, the class it is most active on and that mean,
    ``u7 ↑3 +.82`` (shorter when ``width`` asks; ``u7 —`` when no class has a mean)."""
    name = unit_name(unit, short=True)
    if best < 0 or math.isnan(value):
        wordings = [f"{name} {NO_MEAN}"]
    else:
        label = f"{name} ↑{short_names(classes, NAME_WIDTH)[best]}"
        wordings = [f"{label} {format_fit(value, VALUE_WIDTH)}", label]
    return next((text for text in wordings if len(text) <= width), name[:width])
