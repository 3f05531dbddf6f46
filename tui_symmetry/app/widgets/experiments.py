"""What the experiment screen draws of an experiment's result: a table (text) or a
plot (a Figure the loss panel's SafePlot draws), one function per experiment in
:data:`EXPERIMENT_VIEWS`.  An experiment without one shows its report's rows."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import numpy as np
from rich.text import Text

from tui_symmetry.app.widgets.loss import (
    CURVE_STYLES,
    VLINE_MARKER,
    Figure,
    Series,
    ValueAxis,
    VLine,
)
from tui_symmetry.core.condense import DIRECTION_THRESHOLD

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


def duplicate_figure(result: Any) -> Figure:
    """The pair curvature along λ (smallest and largest), the copy's λ marked; the loss
    along the line is flat, and its spread is in the title."""
    styles = CURVE_STYLES["full"]
    copy = result.copy
    curves = (("smallest", copy.smallest, styles.train), ("largest", copy.largest, styles.test))
    values = np.concatenate([copy.smallest, copy.largest])
    values = values[np.isfinite(values)]
    low = float(values.min()) if len(values) else 0.0
    high = float(values.max()) if len(values) else 1.0
    marks = (VLine(copy.lam, styles.split),
             *(Series(copy.lambdas, line, style.color, style.marker)
               for _, line, style in curves))
    # Short labels (the title says "pair curvature"), so that at 120 columns the legend
    # shares its line with the title that says the loss is flat; the mark is named too.
    legend = (*((label, style.marker, style.color) for label, _, style in curves),
              (f"the copy, λ = {copy.lam:g}", VLINE_MARKER, styles.split))
    flat = f"loss along λ within {copy.spread:.2g} of {copy.losses[0]:.6g}"
    return Figure(marks, (f"curvature parting the copies along λ; {flat}; the copy at "
                          f"λ = {copy.lam:g}", f"pair curvature along λ; {flat}",
                          "pair curvature along λ"), False, legend,
                  (("left", ValueAxis(min(0.0, low), low, max(high, 0.0))),),
                  (float(copy.lambdas[0]), float(copy.lambdas[-1])))


COMPASS_BINS = 36
"""Columns of the directions table: 10° each, from −180° to 180°."""


def _compass(angles: Any) -> str:
    """One row of the directions table: how many units point into each 10° column."""
    bins = np.floor((np.asarray(angles) + 180.0) / (360.0 / COMPASS_BINS)).astype(int)
    counts = np.bincount(np.clip(bins, 0, COMPASS_BINS - 1), minlength=COMPASS_BINS)
    return "".join("·" if c == 0 else str(c) if c < 10 else "+" for c in counts)


def condense_table(result: Any, rows: int = 12) -> Text:
    """A row per reading (at most ``rows``, spread over the run): where the units'
    input weights point (two inputs: 10° columns, digits = units), how many distinct
    directions, the loss."""
    picks = np.unique(np.linspace(0, len(result.steps) - 1, min(rows, len(result.steps)))
                      .round().astype(int))
    text = Text()
    compass = result.angles is not None
    if compass:
        half = COMPASS_BINS // 2
        text.append(f"{'step':>7}  {'−180°':<{half}}{'0°':<{half - 4}}180°  directions  loss\n",
                    style="bold")
    else:
        text.append(f"{'step':>7}  directions  loss\n", style="bold")
    for k in picks:
        text.append(f"{int(result.steps[k]):>7,}  ")
        if compass:
            text.append(_compass(result.angles[k]) + "  ")
        text.append(f"{int(result.counts[k]):>10}  {result.losses[k]:.4g}\n")
    bound = ("no bound applies" if result.bound is None
             else f"bound for {result.activation}: {result.bound}")
    text.append(f"input weights alike: cos ≥ {DIRECTION_THRESHOLD:g} (d, −d apart) · {bound}")
    return text


def teacher_table(result: Any) -> Text:
    """A row per width: one mark per student (● reached zero loss, ○ did not), the
    count, and the highest loss among them."""
    students = result.losses.shape[1]
    text = Text()
    text.append(f"teacher: {result.teacher_units} tanh units · noise {result.noise:g} · "
                + ("after L-BFGS" if result.polished else "L-BFGS runs at the end")
                + "\n\n", style="bold")
    for width, count, row in zip(result.widths, result.reached, result.losses, strict=True):
        marks = "".join("●" if x < result.threshold else "○" for x in row)
        text.append(f"{width:>3} units  {marks:<{students}}  {count:>2}/{students} reach "
                    f"< {result.threshold:g}   highest {np.nanmax(row):.1e}\n")
    return text


EXPERIMENT_VIEWS: dict[str, Callable[[Any], Drawing]] = {
    "seeds": seeds_table,
    "barrier": barrier_figure,
    "duplicate": duplicate_figure,
    "condense": condense_table,
    "teacher": teacher_table,
}
"""Each experiment's drawing of its result (by the names of experiments/registry.py)."""


def drawing_of(name: str, result: Any) -> Drawing:
    """What the screen draws of ``result``: the experiment's own view, else its rows."""
    return EXPERIMENT_VIEWS.get(name, rows_text)(result)
