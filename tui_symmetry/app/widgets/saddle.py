"""The saddle readout: why units that start alike drift apart, in words that fit.

The numbers come from the snapshot (core/saddle.py measures them; docs/maths.md says
why): the smallest curvature λ of the loss along the directions in which units differ,
the growth rate of those differences per step, and (while all units are alike) the
predicted split step.  This module only words them: :func:`saddle_lines` packs the
readout into at most ``max_lines`` lines of ``width`` columns, longest wording first.
"""

from __future__ import annotations

import itertools
import math
from typing import TYPE_CHECKING

from tui_symmetry.app.numbers import format_compact, format_signed
from tui_symmetry.core.saddle import reading_name

if TYPE_CHECKING:
    from tui_symmetry.core.trainer import Snapshot


def format_steps(value: float) -> str:
    """A step count: two significant digits (``350``, ``1,500``, ``24k``): an estimate."""
    rounded = float(f"{value:.2g}")
    return f"{rounded:,.0f}" if rounded < 100_000 else format_compact(rounded, 2)


def efold_steps(snapshot: Snapshot) -> float | None:
    """Steps for the differences between units to grow ×e (None unless they grow)."""
    rate = snapshot.growth_rate
    if rate is None or not rate > 0 or not math.isfinite(rate):
        return None
    return 1.0 / rate


def _pieces(snapshot: Snapshot) -> list[tuple[str, ...]] | None:
    """The readout as pieces, each a tuple of wordings (longest first); None: nothing."""
    curvature = snapshot.saddle_curvature
    if curvature is None or not math.isfinite(curvature):
        return None
    c = format_signed(curvature)
    if curvature >= 0:
        return [("units are pulled together", "pulled together"),
                (f"(curvature {c})", f"(λ {c})", f"λ {c}")]
    head = reading_name(snapshot.distinct_units)
    pieces = [(f"{head}: curvature {c}", f"{head} λ {c}", f"λ {c}")]
    efold = efold_steps(snapshot)
    # Exactly identical units have no difference to grow: say what one would do.
    grow = "grow" if snapshot.max_unit_gap != 0 else "would grow"
    if efold is None:
        pieces.append((f"→ differences {grow}", f"→ {grow}"))
    else:
        e = format_steps(efold)
        middle = "would grow" if grow != "grow" else "differences"
        pieces.append((f"→ differences {grow} ×e every {e} steps",
                       f"→ {middle} ×e every {e} steps", f"→ ×e every {e} steps",
                       f"×e/{e} steps"))
    predicted = snapshot.predicted_split_step
    if predicted is not None:
        p = f"{predicted:,}"
        pieces.append((f"· split predicted at step {p}", f"· split predicted at {p}",
                       f"· split ≈ {p}", f"· split ≈{format_compact(predicted, 2)}"))
    return pieces


def _pack(words: list[str], width: int) -> list[str]:
    """Words (pieces) greedily packed into lines; a piece that opens a line loses its
    leading joiner ("→", "·")."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) <= width:
            lines[-1] += " " + word
        else:
            lines.append(word.removeprefix("→ ").removeprefix("· "))
    return lines


def saddle_lines(snapshot: Snapshot, width: int, max_lines: int) -> list[str]:
    """The readout in at most ``max_lines`` lines of ``width``; [] when there is none.

    Every piece (curvature, growth, predicted split) keeps its longest wording that
    still lets the whole readout fit; the shortest wordings are used when nothing
    fits (a too-narrow panel cuts the end of a line rather than dropping a number).
    """
    pieces = _pieces(snapshot)
    if not pieces or max_lines <= 0 or width <= 0:
        return []
    best: tuple[int, int, list[str]] | None = None
    # Every combination of wordings (at most a few dozen): the most words that fit,
    # then the fewest lines.
    for words in itertools.product(*pieces):
        lines = _pack(list(words), width)
        if len(lines) <= max_lines and all(len(line) <= width for line in lines):
            score = (sum(map(len, words)), -len(lines), lines)
            if best is None or score[:2] > best[:2]:
                best = score
    if best is not None:
        return best[2]
    words = [piece[-1] for piece in pieces]
    lines = _pack(words, width)
    if len(lines) > max_lines:
        lines = _pack([" ".join(words)], 10**6)[:1]
    return [line[:width] for line in lines[:max_lines]]
