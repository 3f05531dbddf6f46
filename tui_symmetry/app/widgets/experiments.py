"""What the experiment screen draws of an experiment's result: a table (text) or a
plot (a Figure the loss panel's SafePlot draws), one function per experiment in
:data:`EXPERIMENT_VIEWS`.  An experiment without one shows its report's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rich.text import Text

from tui_symmetry.app.widgets.loss import CURVE_STYLES, Figure, Series, ValueAxis

Drawing = Text | Figure
"""A table as text, or a plot."""


def rows_text(result: Any) -> Text:
    """The report's ``label  value`` rows (an experiment without a view of its own)."""
    rows = result.rows()
    width = max(len(label) for label, _ in rows)
    return Text("\n".join(f"{label:<{width}}  {value}" for label, value in rows))


def _shade(value: float) -> str:
    """A cell's background by its matched similarity: the darker, the less alike."""
    level = round(40 + 120 * min(1.0, max(0.0, value)))
    return f"on rgb({level // 3},{level // 2},{level})"


def _two_places(value: float) -> str:
    """``.97``, ``-.17``, ``1.00``: two decimals in four characters (no leading 0)."""
    text = f"{value:.2f}"
    return text.replace("0.", ".", 1) if text.lstrip("-").startswith("0.") else text


def seeds_table(result: Any) -> Text:
    """Rows: run 1's units; columns: runs 2 … K, each cell the unit's partner there and
    their matched similarity (`` 3: .97``, shaded by it), then in how many runs the
    unit recurs: 70 columns for the default 8 runs, 134 for 16 (cropped on the right
    in a narrower terminal; the command line's report and --json have them all)."""
    rec = result.recurrence
    others = result.others
    text = Text()
    header = "unit  " + "".join(f"{f'run {k}':>8}" for k in range(2, others + 2))
    text.append(header + "  recurs\n", style="bold")
    rows = zip(rec.matched, rec.partner, rec.recurs, strict=True)
    for unit, (row, partners, count) in enumerate(rows, start=1):
        text.append(f"{unit:>4}  ")
        for value, partner in zip(row, partners, strict=True):
            text.append(f" {partner + 1:>2}:{_two_places(value):>4}", style=_shade(value))
        mark = "  all" if count == others else "  none" if count == 0 else ""
        text.append(f"  {count:>2}/{others}{mark}\n")
    trained, untrained = rec.trained, rec.untrained
    text.append(f"cell: partner:similarity ({result.space} space); recurs where ≥ "
                f"{rec.threshold:g}\n")
    text.append(f"trained pairs {trained[0]:.3f} ± {trained[1]:.3f} · untrained starts "
                f"{untrained[0]:.3f} ± {untrained[1]:.3f}")
    return text


def barrier_figure(result: Any) -> Figure:
    """The loss along t from A to B, before and after B's units are matched to A's."""
    styles = CURVE_STYLES["full"]
    before, after = result.pair.before, result.pair.after
    values = np.concatenate([before.losses, after.losses])
    values = values[np.isfinite(values)]
    low = float(values.min()) if len(values) else 0.0
    high = float(values.max()) if len(values) else 1.0
    curves = ((f"before matching (barrier {before.height:.3g})", before, styles.test),
              (f"after (barrier {after.height:.3g})", after, styles.train))
    marks = tuple(Series(line.t, line.losses, style.color, style.marker)
                  for _, line, style in curves)
    legend = tuple((label, style.marker, style.color) for label, _, style in curves)
    return Figure(marks, ("loss along θ(t) = (1 − t)·θ_A + t·θ_B, t from A (0) to B (1)",
                          "loss from A (t = 0) to B (t = 1)"), False, legend,
                  (("left", ValueAxis(min(0.0, low), low, high)),), (0.0, 1.0))


EXPERIMENT_VIEWS: dict[str, Callable[[Any], Drawing]] = {
    "seeds": seeds_table,
    "barrier": barrier_figure,
}
"""Each experiment's drawing of its result (by the names of experiments/registry.py)."""


def drawing_of(name: str, result: Any) -> Drawing:
    """What the screen draws of ``result``: the experiment's own view, else its rows."""
    return EXPERIMENT_VIEWS.get(name, rows_text)(result)
