"""Quantized colour scales shared by the heatmap panels.

Why quantize: a heatmap redrawn 20 times a second over SSH must be cheap to send.  With
a handful of discrete levels, neighbouring cells of the same level share one Rich
``Style`` (Rich merges the run into one escape sequence), a converged run produces the
same integer levels step after step (so nothing is rebuilt or re-sent), and the legend
can name every level honestly.

Three colour modes:

* ``"full"``   -- 24-bit / 256-colour terminals: hand-picked hex palettes (Rich downgrades
  them to the 256-colour cube cleanly).
* ``"ansi16"`` -- 16-colour terminals: too few colours for the levels, so cells carry
  them in glyphs as in mono, coloured by sign (weights) or by ANSI colour (similarity).
* ``"mono"``   -- ``NO_COLOR`` (or no colour at all): colours are stripped by the terminal
  or by Textual, so values are carried by glyphs (sign + shading density).
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable
from typing import Literal

import numpy as np
from rich.style import Style
from textual.widget import Widget

from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD

ColorMode = Literal["full", "ansi16", "mono"]
COLOR_MODES: tuple[ColorMode, ...] = ("full", "ansi16", "mono")

# -- diverging scale (weights) ------------------------------------------------------------

DIVERGING_LEVELS = 9
"""Levels 0..8: 0 = most negative, 4 = near zero (|w| < scale/8), 8 = most positive."""
ZERO_LEVEL = 9
"""An exactly-zero weight (L1 makes these); drawn as the neutral colour with a dot."""
DIVERGING_MID = DIVERGING_LEVELS // 2

# A blue/red scale in the spirit of Crameri's "berlin" (colour-blind safe: it varies
# along the blue-orange axis and in lightness), designed in CIELAB for a dark background:
# lightness grows with |w| (L* 40 at zero to 84 at the ends) so strong weights stand out
# and the greyscale fallback (Textual's Monochrome filter) still maps |w| to brightness,
# while even the near-zero grey keeps a contrast of about 2.9:1 with a near-black
# background (a projector washes out anything darker) and each level about 1.4:1 with
# its neighbours.
DIVERGING_FULL = (
    "#91d9ff",
    "#37bbff",
    "#3b9bd3",
    "#527b9b",
    "#5e5e5e",
    "#996d5d",
    "#cd8065",
    "#f89877",
    "#ffc0a6",
)
ZERO_DOT_FULL = "#dcdcdc"
"""The "·" of an exactly-zero weight, on the near-zero grey."""
# 16 colours cannot carry nine levels (terminal themes remap them, and dark blue is
# invisible on a projector): cells are drawn with the mono glyphs (sign + shading
# density) in one bright colour per sign.  Exact RGB values of Rich's standard palette,
# so the downgrade to the terminal's 16 colours is exact.  (Not ANSI colour *names*:
# Textual first converts those to its theme's RGB, and the downgrade of that can land
# on a different colour.)
ANSI16_NEGATIVE = "#55ffff"  # bright cyan
ANSI16_POSITIVE = "#ff5555"  # bright red
ANSI16_NEUTRAL = "#aaaaaa"  # white (light grey): the "·" of an exact zero
# Mono: a sign and a shading density ("░▒▓█") per level; near zero is blank.
DENSITY = ("", "░", "▒", "▓", "█")

# -- sequential scale (similarity 0..1) ----------------------------------------------------

SEQUENTIAL_EDGES = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, SAME_UNIT_THRESHOLD)
"""Upper bin edges: level 0 is S < 0.2, ..., level 8 is 0.9 <= S < 0.99 and the top
level 9 is S >= SAME_UNIT_THRESHOLD -- exactly the "same unit" of distinct_units."""
SEQUENTIAL_LEVELS = len(SEQUENTIAL_EDGES) + 1
DEAD_LEVEL = SEQUENTIAL_LEVELS
"""A dead unit's row / column in the similarity matrix."""

# viridis (perceptually uniform, colour-blind safe), one colour per level.
SEQUENTIAL_FULL = (
    "#440154",
    "#482878",
    "#3e4989",
    "#31688e",
    "#26828e",
    "#1f9e89",
    "#35b779",
    "#6ece58",
    "#b5de2b",
    "#fde725",
)
SEQUENTIAL_ANSI16 = (
    "#0000aa",  # blue
    "#0000aa",
    "#aa00aa",  # magenta
    "#aa00aa",
    "#00aaaa",  # cyan
    "#00aaaa",
    "#00aa00",  # green
    "#00aa00",
    "#ffff55",  # bright yellow
    "#ffffff",  # bright white: "the same unit"
)
SEQUENTIAL_GLYPHS = (" ", " ", "·", "·", "░", "░", "▒", "▒", "▓", "█")
DEAD_FULL = "#5a5a5a"
DEAD_ANSI16 = "#555555"
DEAD_GLYPH = "×"


def uses_glyphs(mode: ColorMode) -> bool:
    """True when heatmap cells carry their value in glyphs rather than in colour alone."""
    return mode != "full"


def detect_color_mode(widget: Widget) -> ColorMode:
    """The colour mode of the terminal the widget's app draws to.

    ``NO_COLOR`` (https://no-color.org, honoured by Textual as ``app.no_color``) wins;
    then the colour system Rich detected for the app's console.
    """
    if os.environ.get("NO_COLOR"):
        return "mono"
    try:
        app = widget.app
    except Exception:  # not mounted yet: no app to ask
        return "full"
    if getattr(app, "no_color", False):
        return "mono"
    if getattr(app, "is_headless", False):
        # Tests and screenshots: no terminal to ask; draw the full palette so the
        # result does not depend on the TERM of whoever runs them.
        return "full"
    system = getattr(app.console, "color_system", "truecolor")
    if system is None:
        return "mono"
    if system in ("standard", "windows"):
        return "ansi16"
    return "full"


# -- quantization ---------------------------------------------------------------------------


def quantize_diverging(values: np.ndarray, scale: float) -> np.ndarray:
    """Map values in [-scale, scale] to levels 0..8; exact zeros to ZERO_LEVEL.

    Non-finite values land on the neutral level rather than crashing the view.
    """
    values = np.asarray(values, dtype=float)
    with np.errstate(invalid="ignore"):
        x = np.nan_to_num(values / scale, nan=0.0, posinf=1.0, neginf=-1.0)
    np.clip(x, -1.0, 1.0, out=x)
    levels = (np.rint(x * DIVERGING_MID) + DIVERGING_MID).astype(np.int8)
    levels[values == 0] = ZERO_LEVEL
    return levels


def quantize_sequential(values: np.ndarray) -> np.ndarray:
    """Map similarities to levels 0..9 (negative values clip to level 0)."""
    values = np.nan_to_num(np.asarray(values, dtype=float), nan=0.0)
    return np.searchsorted(SEQUENTIAL_EDGES, values, side="right").astype(np.int8)


# -- a robust, non-flickering symmetric scale ------------------------------------------------

# Scale steps: fine enough that the colours use most of the range, few enough that the
# legend rarely changes (each change re-colours every cell and repaints the panel).
_NICE = (1.0, 1.5, 2.0, 3.0, 4.0, 5.0, 6.0, 8.0)


def nice_ceil(x: float) -> float:
    """The smallest "nice" number (1, 1.5, 2, 3, 4, 5, 6, 8 times 10^k) that is >= x."""
    if not math.isfinite(x) or x <= 0:
        return 1.0
    exponent = math.floor(math.log10(x))
    for _ in range(2):
        base = 10.0**exponent
        for nice in _NICE:
            candidate = nice * base
            if candidate >= x * (1 - 1e-12):
                return float(f"{candidate:.12g}")
        exponent += 1
    return float(f"{10.0**exponent:.12g}")


class StableScale:
    """A symmetric colour range ±scale that follows max|w| without flickering.

    It grows at once (so no value is ever off the scale) but shrinks only when max|w|
    falls below ``shrink`` of the range; values are always round numbers, so the legend
    reads well and does not change with every step (after a shrink max|w| is at least
    2/3 of the new range, far from the shrink threshold, so it cannot oscillate).
    """

    def __init__(self, shrink: float = 0.35, floor: float = 1e-3) -> None:
        self.shrink = shrink
        self.floor = floor
        self.value: float | None = None

    def update(self, max_abs: float) -> float:
        """Feed the current max|w|; returns the (possibly unchanged) scale."""
        if not math.isfinite(max_abs):
            return self.value if self.value is not None else 1.0
        target = nice_ceil(max(max_abs, self.floor))
        if self.value is None or max_abs > self.value or max_abs < self.shrink * self.value:
            self.value = target
        return self.value

    def reset(self) -> None:
        self.value = None


# -- styles --------------------------------------------------------------------------------


class StyleCache:
    """Rich Styles per quantized level, built once per (base style, colour mode).

    Identical levels get the *same* Style object, which keeps Textual's and Rich's own
    caches warm and lets adjacent cells merge into one segment.
    """

    def __init__(self) -> None:
        self._base: Style | None = None
        self._mode: ColorMode | None = None
        self._styles: dict[tuple, Style] = {}

    def reset_if_changed(self, base: Style, mode: ColorMode) -> bool:
        """Drop cached styles when the widget's base style or colour mode changed."""
        if base == self._base and mode == self._mode:
            return False
        self._base, self._mode = base, mode
        self._styles.clear()
        return True

    @property
    def base(self) -> Style:
        return self._base if self._base is not None else Style()

    @property
    def mode(self) -> ColorMode:
        return self._mode or "full"

    def get(self, key: tuple, make: Callable[[], Style]) -> Style:
        """The cached style for ``key``; ``make()`` builds it (over the base) on first use."""
        style = self._styles.get(key)
        if style is None:
            style = self._styles[key] = self.base + make()
        return style

    def text(self, dim: bool = False, bold: bool = False, reverse: bool = False) -> Style:
        """Plain text in the widget's own colours."""
        return self.get(
            ("text", dim, bold, reverse), lambda: Style(dim=dim, bold=bold, reverse=reverse)
        )


def diverging_color(level: int, mode: ColorMode) -> str | None:
    """The colour of a diverging level: a cell's background in full colour; in 16
    colours the colour of its glyphs (one per sign); None in mono."""
    if mode == "mono":
        return None
    if mode == "ansi16":
        if level in (ZERO_LEVEL, DIVERGING_MID):
            return ANSI16_NEUTRAL
        return ANSI16_NEGATIVE if level < DIVERGING_MID else ANSI16_POSITIVE
    return DIVERGING_FULL[DIVERGING_MID if level == ZERO_LEVEL else level]


def sequential_color(level: int, mode: ColorMode) -> str | None:
    """The colour of a sequential level (None in mono mode)."""
    if mode == "mono":
        return None
    if level == DEAD_LEVEL:
        return DEAD_ANSI16 if mode == "ansi16" else DEAD_FULL
    palette = SEQUENTIAL_ANSI16 if mode == "ansi16" else SEQUENTIAL_FULL
    return palette[level]


def diverging_text_color(level: int) -> str:
    """Black on the light levels, white on the greys: numbers stay readable (contrast
    at least 4.5:1 on every level of DIVERGING_FULL and on the 16-colour signs)."""
    return "#000000" if abs(level - DIVERGING_MID) >= 2 and level != ZERO_LEVEL else "#ffffff"


def diverging_glyphs(level: int, width: int) -> str:
    """Mono rendering of a diverging cell: sign then shading, e.g. ``-▓▓▓``, ``+░░░``."""
    if width <= 0:
        return ""
    if level == ZERO_LEVEL:
        return "·".center(width)
    magnitude = abs(level - DIVERGING_MID)
    if magnitude == 0:
        return " " * width
    shade = DENSITY[magnitude]
    if width == 1:
        return shade
    sign = "-" if level < DIVERGING_MID else "+"
    return sign + shade * (width - 1)
