"""The confusion matrix of a classifier: counts, true classes as rows (text records).

Shown as (NO_COLOR; the diagonal is in reverse video, so it reads without colour)::

    test accuracy 93.1 % · rows true, columns predicted
        0  1  2  3 …
      0 35  ·  ·  1
      1  · 33  2  · …

The accuracy is the matrix's own (its diagonal over its sum), so it is the accuracy of
the split the matrix counts (core/pictures.py: ``confusion_matrix``, ``accuracy_of``),
and the title names that split.  A zero count is a dim ``·``.  When the matrix does not
fit the area (10 classes take 32 columns and 12 lines while every count has at most
two digits, as on the digits' test split of 360 rows; 42 with three digits), each
class's accuracy is listed instead, in as many columns as fit: ``3  94.4 % 34/36``
(rows of that class predicted right / rows of that class).
"""

from __future__ import annotations

import functools
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
from rich.segment import Segment

from tui_symmetry.app.numbers import format_fixed
from tui_symmetry.app.widgets._heatmap import longest_fitting
from tui_symmetry.app.widgets._lines import LinePanel, LineSpec, TextLine, paint_line
from tui_symmetry.app.widgets._palette import StyleCache
from tui_symmetry.app.widgets.classes import NO_MEAN, short_names
from tui_symmetry.core.pictures import accuracy_of

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot

MIN_CELL_WIDTH = 3
"""A count's cell: its digits and a space before them (" 35"; " 178" when a count has
three digits)."""
ROW_NAME_WIDTH = 6
"""Characters of a class name heading a row ("setosa", "versic")."""
ZERO_COUNT = "·"
ENTRY_GAP = 2
"""Spaces between two classes' accuracies on one line."""
MIN_CLASSES = 3
"""The fewest classes for which the loss view shows the matrix (a softmax run)."""


@dataclass(frozen=True)
class ConfusionHeader:
    """The predicted classes over the columns."""

    names: tuple[str, ...]
    label_w: int
    cell_w: int


@dataclass(frozen=True)
class ConfusionRow:
    """One true class: its name, then how often each class was predicted for it."""

    name: str
    counts: tuple[int, ...]
    true_class: int
    label_w: int
    cell_w: int


@dataclass(frozen=True)
class ClassAccuracyLine:
    """Classes' accuracies side by side: (name, rows predicted right, rows) each."""

    entries: tuple[tuple[str, int, int], ...]
    label_w: int
    count_w: int
    width: int


ConfusionLine = TextLine | ConfusionHeader | ConfusionRow | ClassAccuracyLine


def _percent(right: int, total: int) -> str:
    return f"{format_fixed(100 * right / total, 1)} %" if total else NO_MEAN


def confusion_lines(confusion: np.ndarray, classes: Sequence[str], split: str, width: int,
                    height: int) -> tuple[ConfusionLine, ...]:
    """The panel's lines for ``confusion`` (C, C) counts (rows = true class) of the
    ``split`` named in the title, in ``width`` × ``height`` cells."""
    counts = np.asarray(confusion, dtype=np.int64)
    if height <= 0 or width <= 0:
        return ()
    accuracy = accuracy_of(counts)
    pct = NO_MEAN if accuracy is None else f"{format_fixed(100 * accuracy, 1)} %"
    title = longest_fitting(width, [
        f"{split} accuracy {pct} · rows true, columns predicted",
        f"{split} accuracy {pct} · rows true", f"{split} accuracy {pct}", pct])
    lines: list[ConfusionLine] = [TextLine(title[:width], bold=True)]
    cell_w = max(MIN_CELL_WIDTH, len(str(int(counts.max(initial=0)))) + 1)
    row_names = short_names(classes, ROW_NAME_WIDTH)
    label_w = max(len(name) for name in row_names) + 1
    if label_w + len(classes) * cell_w <= width and len(classes) + 2 <= height:
        lines.append(ConfusionHeader(short_names(classes, cell_w - 1), label_w, cell_w))
        lines += [ConfusionRow(name, tuple(int(n) for n in counts[c]), c, label_w, cell_w)
                  for c, name in enumerate(row_names)]
        return tuple(lines)
    return (*lines, *_accuracy_lines(counts, row_names, width, height - 1))


def _accuracy_lines(counts: np.ndarray, names: Sequence[str], width: int,
                    room: int) -> list[ConfusionLine]:
    """Each class's accuracy (diagonal / row), as many to a line as fit, in ``room``
    lines; a last line says how many did not fit."""
    if room <= 0:
        return []
    entries = [(name, int(counts[c, c]), int(counts[c].sum())) for c, name in enumerate(names)]
    label_w = max(len(name) for name in names)
    count_w = len(str(max(total for _, _, total in entries)))
    entry_w = label_w + 1 + len("100.0 %") + 1 + 2 * count_w + 1
    per_line = max(1, (width + ENTRY_GAP) // (entry_w + ENTRY_GAP))
    needed = math.ceil(len(entries) / per_line)
    shown_lines = needed if needed <= room else room - 1
    lines: list[ConfusionLine] = [
        ClassAccuracyLine(tuple(entries[i * per_line:(i + 1) * per_line]), label_w, count_w,
                          width) for i in range(shown_lines)]
    hidden = len(entries) - shown_lines * per_line
    if hidden > 0:
        lines.append(TextLine(f"+{hidden} more classes"[:width], dim=True))
    return lines


def paint_confusion(line: ConfusionLine, styles: StyleCache) -> list[Segment]:
    """The segments of one of the panel's lines."""
    match line:
        case ConfusionHeader():
            text = " " * line.label_w + "".join(n.rjust(line.cell_w) for n in line.names)
            return [Segment(text, styles.text(bold=True))]
        case ConfusionRow():
            segs = [Segment(line.name.rjust(line.label_w - 1) + " ", styles.text(bold=True))]
            for guess, count in enumerate(line.counts):
                text = (str(count) if count else ZERO_COUNT).rjust(line.cell_w)
                right = guess == line.true_class
                segs.append(Segment(text, styles.text(bold=right, reverse=right,
                                                      dim=not right and not count)))
            return segs
        case ClassAccuracyLine():
            return _paint_accuracies(line, styles)
    return paint_line(line, styles)


def _paint_accuracies(line: ClassAccuracyLine, styles: StyleCache) -> list[Segment]:
    segs: list[Segment] = []
    used = 0
    for name, right, total in line.entries:
        parts = [(" " * ENTRY_GAP if segs else "", styles.text()),
                 (name.rjust(line.label_w) + " ", styles.text(bold=True)),
                 (_percent(right, total).rjust(len("100.0 %")) + " ", styles.text()),
                 (f"{right}/{total}".rjust(2 * line.count_w + 1), styles.text(dim=True))]
        for text, style in parts:
            text = text[: max(line.width - used, 0)]
            if text:
                segs.append(Segment(text, style))
                used += len(text)
    return segs


def shows_confusion(snapshot: Snapshot) -> bool:
    """The loss view has a confusion panel for a run of three classes or more (a
    softmax); a toy's two classes read well enough from the accuracy."""
    return snapshot.confusion is not None and len(snapshot.classes) >= MIN_CLASSES


def confusion_split(snapshot: Snapshot) -> str:
    """The split the snapshot's confusion matrix counts: the test split, or the
    training split of a run without one (core/trainer.py ``confusion``)."""
    return "train" if snapshot.test_loss is None else "test"


class ConfusionPanel(LinePanel):
    """The confusion matrix of the snapshot whose numbers are printed (the screen
    hands it no other: every line of it is numbers)."""

    def __init__(self, *, name: str | None = None, id: str | None = None,
                 classes: str | None = None) -> None:
        super().__init__(name=name, id=id, classes=classes)
        self._snapshot: Snapshot | None = None

    def show(self, snapshot: Snapshot) -> None:
        """Draw ``snapshot``'s matrix (a no-op for the one already drawn)."""
        if snapshot is self._snapshot:
            return
        self._snapshot = snapshot
        self._redraw()

    def _layout_lines(self, width: int, height: int) -> Sequence[LineSpec]:
        snap = self._snapshot
        if snap is None or snap.confusion is None:
            return [self._empty_spec()]
        styles = self._styles
        records = confusion_lines(snap.confusion, snap.classes, confusion_split(snap), width,
                                  height)
        return [(record, functools.partial(paint_confusion, record, styles))
                for record in records]
