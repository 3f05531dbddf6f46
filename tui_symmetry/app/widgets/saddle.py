"""The saddle readout: why units that start alike drift apart, in words that fit.

The numbers come from the snapshot (core/saddle.py measures them; docs/maths.md says
why): the smallest curvature λ of the loss along the directions in which units differ,
the growth rate of those differences per step, and (while all units are alike) the
forecast of the split.  The words are core.saddle.reading_words's, the same as
``train``'s summary; this module writes the numbers for a panel and packs them:
:func:`saddle_lines` fits the readout into at most ``max_lines`` lines of ``width``
columns, longest wording first.
"""

from __future__ import annotations

import itertools
from typing import TYPE_CHECKING

from tui_symmetry.app.numbers import format_compact, format_signed
from tui_symmetry.core.saddle import JOINERS, Wordings, join_words, reading_words

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot


def format_steps(value: float) -> str:
    """A step count: two significant digits (``350``, ``1,500``, ``24k``): an estimate."""
    rounded = float(f"{value:.2g}")
    return f"{rounded:,.0f}" if rounded < 100_000 else format_compact(rounded, 2)


def _pieces(snapshot: Snapshot) -> list[Wordings]:
    """The readout as pieces, each a tuple of wordings (longest first); [] for none."""
    return reading_words(snapshot.summary(), format_signed, format_steps)


def _pack(words: list[str], width: int) -> list[str]:
    """Words (pieces) greedily packed into lines; a piece that opens a line loses its
    leading joiner ("→", "·", ",")."""
    lines: list[str] = []
    for word in words:
        if lines and len(lines[-1]) + 1 + len(word) - word.startswith(", ") <= width:
            lines[-1] = join_words(lines[-1], word)
        else:
            for joiner in JOINERS:
                word = word.removeprefix(joiner)
            lines.append(word)
    return lines


def saddle_lines(snapshot: Snapshot, width: int, max_lines: int) -> list[str]:
    """The readout in at most ``max_lines`` lines of ``width``; [] when there is none.

    Every piece (curvature, growth, forecast) keeps its longest wording that still
    lets the whole readout fit.  When even the shortest wordings do not fit, pieces go
    from the end (the forecast first): a number cut in half would read as another
    number ("split ≈35" for 350–480).  Only a panel too narrow for the curvature alone
    cuts it.
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
    while len(words) > 1:
        words.pop()
        lines = _pack(words, width)
        if len(lines) <= max_lines and all(len(line) <= width for line in lines):
            return lines
    return [words[0][:width]]
