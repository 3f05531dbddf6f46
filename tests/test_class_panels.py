"""Tests of the per-class text pieces: class names cut to a cell (app/widgets/classes.py),
a unit's mean activation per class as bars and as a tile's label, and the confusion
matrix panel's lines (app/widgets/confusion.py).  Read without mounting anything
(``records_text``); every number checked a second way."""

from __future__ import annotations

import numpy as np
import pytest
from rich.style import Style

from tui_symmetry.app.numbers import format_fit
from tui_symmetry.app.widgets._lines import records_text
from tui_symmetry.app.widgets._palette import StyleCache
from tui_symmetry.app.widgets._pixels import largest_zoom, picture_size
from tui_symmetry.app.widgets.classes import (
    bar_text,
    class_bar_lines,
    min_bars_width,
    paint_class_bars,
    short_names,
    tile_label,
)
from tui_symmetry.app.widgets.confusion import (
    ClassAccuracyLine,
    ConfusionRow,
    confusion_lines,
    paint_confusion,
)
from tui_symmetry.app.widgets.units import gallery_layout
from tui_symmetry.core.pictures import accuracy_of, class_means, confusion_matrix, top_classes

DIGITS = tuple(str(c) for c in range(10))
WINE = ("class_0", "class_1", "class_2")
IRIS = ("setosa", "versicolor", "virginica")


def _confusion(seed: int, classes: int = 10, rows: int = 360, right: float = 0.8):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, classes, size=rows)
    predicted = np.where(rng.random(rows) < right, labels, rng.integers(0, classes, size=rows))
    return labels, predicted, confusion_matrix(labels, predicted, classes)


# -- names ------------------------------------------------------------------------------------


def test_names_are_cut_to_the_cell_and_stay_told_apart():
    assert short_names(DIGITS, 3) == DIGITS
    assert short_names(IRIS, 3) == ("set", "ver", "vir")
    assert short_names(WINE, 3) == ("0", "1", "2")  # the shared "class_" says nothing
    names = short_names(("abcd1", "abcd2", "xbcd1"), 2)
    assert len(set(names)) == 3 and all(len(n) <= 2 for n in names)


# -- class means as bars ----------------------------------------------------------------------


def test_unsigned_bars_grow_from_the_left_in_half_cells():
    assert bar_text(1.0, 1.0, 5, signed=False) == "█████"
    assert bar_text(0.5, 1.0, 5, signed=False) == "██▌  "
    assert bar_text(0.0, 1.0, 5, signed=False) == "     "
    assert bar_text(float("nan"), 1.0, 5, signed=False) == "     "


def test_signed_bars_grow_both_ways_from_an_axis_so_the_sign_reads_without_colour():
    assert bar_text(1.0, 1.0, 7, signed=True) == "   │███"
    assert bar_text(-1.0, 1.0, 7, signed=True) == "███│   "
    assert bar_text(-0.5, 1.0, 7, signed=True) == " ▐█│   "
    assert bar_text(0.5, 1.0, 7, signed=True) == "   │█▌ "


def _hidden(seed: int, hidden: int = 4, rows: int = 120, classes: int = 10):
    rng = np.random.default_rng(seed)
    return np.tanh(rng.normal(size=(hidden, rows))), rng.integers(0, classes, size=rows)


@pytest.mark.parametrize("seed", [0, 1])
def test_class_bars_print_each_classs_mean_and_draw_it_to_scale(seed: int):
    hidden, labels = _hidden(seed)
    means = class_means(hidden, labels, 10)
    extent = float(np.nanmax(np.abs(means)))
    lines = class_bar_lines(means[2], DIGITS, extent, signed=True, width=16)
    text = records_text(lines, paint_class_bars, "mono")
    assert len(text) == 10 and all(len(line) <= 16 for line in text)
    for c, line in enumerate(text):
        second = hidden[2, labels == c].mean()  # the mean a second way
        assert line == f"{c} {bar_text(second, extent, 9, True)} {format_fit(second, 4)}"


def test_the_bar_colour_carries_the_sign_in_colour_modes():
    styles = StyleCache()
    styles.reset_if_changed(Style(), "full")
    up, down = class_bar_lines(np.array([0.5, -0.5]), ("a", "b"), 1.0, signed=True, width=15)
    colour = {line.name: next(s.style.color for s in paint_class_bars(line, styles)
                              if "█" in s.text) for line in (up, down)}
    assert colour["a"] != colour["b"]


def test_a_class_without_rows_says_so_instead_of_drawing_a_zero():
    (line,) = class_bar_lines(np.array([np.nan]), ("7",), 1.0, signed=False, width=12)
    (text,) = records_text([line], paint_class_bars, "mono")
    assert text.rstrip().endswith("—") and "█" not in text


def test_a_tiles_label_names_the_units_strongest_class():
    means = np.array([[0.1, 0.82, 0.3], [np.nan, np.nan, np.nan]])
    best, value = top_classes(means)
    assert tile_label(6, int(best[0]), float(value[0]), IRIS, 12) == "u7 ↑ver +.82"
    assert tile_label(6, int(best[0]), float(value[0]), IRIS, 8) == "u7 ↑ver"
    assert tile_label(1, int(best[1]), float(value[1]), IRIS, 12) == "u2 —"


# -- the confusion matrix ---------------------------------------------------------------------


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_the_matrix_prints_every_count_with_true_classes_as_rows(seed: int):
    labels, predicted, confusion = _confusion(seed)
    records = confusion_lines(confusion, DIGITS, "test", 60, 14)
    text = records_text(records, paint_confusion, "mono")
    assert len(text) == 12 and all(len(line) <= 60 for line in text)
    accuracy = 100 * np.mean(labels == predicted)  # the accuracy a second way
    assert text[0].startswith(f"test accuracy {accuracy:.1f} %")
    assert text[1].split() == list(DIGITS)
    for true in range(10):
        cells = text[2 + true].split()
        assert cells[0] == str(true)
        printed = [0 if cell == "·" else int(cell) for cell in cells[1:]]
        assert printed == [int(np.sum((labels == true) & (predicted == guess)))
                           for guess in range(10)]


def test_the_diagonal_is_marked_without_colour_and_zeros_are_dots():
    confusion = np.array([[5, 0], [2, 3]])
    records = confusion_lines(confusion, ("a", "b"), "train", 40, 10)
    rows = [r for r in records if isinstance(r, ConfusionRow)]
    styles = StyleCache()
    styles.reset_if_changed(Style(), "mono")
    marked = [[s.text.strip() for s in paint_confusion(row, styles)
               if s.style.reverse and s.text.strip()] for row in rows]
    assert marked == [["5"], ["3"]]
    text = records_text(records, paint_confusion, "mono")
    assert text[0].startswith("train accuracy 80.0 %") and "·" in text[2]


@pytest.mark.parametrize("rows, needed", [(360, 32), (1797, 42)])
def test_digits_take_3_columns_a_count_digit_and_narrower_areas_get_class_accuracy(rows, needed):
    # The test split (360 rows): counts of two digits, cells of 3; the training split's
    # counts reach three digits: cells of 4.
    labels, predicted, confusion = _confusion(4, rows=rows)
    wide = confusion_lines(confusion, DIGITS, "test", needed, 12)
    assert sum(isinstance(r, ConfusionRow) for r in wide) == 10
    assert max(len(line) for line in records_text(wide[1:], paint_confusion, "mono")) == needed
    narrow = confusion_lines(confusion, DIGITS, "test", needed - 1, 12)
    assert not any(isinstance(r, ConfusionRow) for r in narrow)
    text = records_text(narrow, paint_confusion, "mono")
    assert len(text) <= 12 and all(len(line) <= needed - 1 for line in text)
    entries = [e for r in narrow if isinstance(r, ClassAccuracyLine) for e in r.entries]
    assert [e[0] for e in entries] == list(DIGITS)
    for name, right, total in entries:
        c = int(name)
        assert (right, total) == (int(np.sum((labels == c) & (predicted == c))),
                                  int(np.sum(labels == c)))
    joined = "\n".join(text)
    recall_0 = 100 * entries[0][1] / entries[0][2]
    assert f"{recall_0:.0f} %" in joined or f"{recall_0:.1f} %" in joined


def test_too_few_lines_for_the_matrix_also_falls_back_and_never_overflows():
    _, _, confusion = _confusion(5)
    for width, height in [(80, 11), (30, 6), (20, 3), (12, 1)]:
        records = confusion_lines(confusion, DIGITS, "test", width, height)
        text = records_text(records, paint_confusion, "mono")
        assert 1 <= len(text) <= height and all(len(line) <= width for line in text)
        assert not any(isinstance(r, ConfusionRow) for r in records)


def test_an_empty_split_has_no_accuracy_to_show():
    records = confusion_lines(np.zeros((3, 3), dtype=int), IRIS, "test", 40, 8)
    text = records_text(records, paint_confusion, "mono")
    assert text[0].startswith("test accuracy —") and accuracy_of(np.zeros((3, 3))) is None


# -- the 80×24 and 100×30 budgets -------------------------------------------------------------

# The units view's gallery (legend and footer lines included) and the loss view's panel,
# measured in the app at each terminal size.
GALLERY = {(80, 24): (76, 19), (100, 30): (96, 25)}
LOSS_PANEL = {(80, 24): (76, 19), (100, 30): (96, 25)}


@pytest.mark.parametrize("terminal, zoom", [((100, 30), 3), ((80, 24), 2)])
def test_the_selected_unit_fits_its_tile_picture_beside_ten_class_bars(terminal, zoom):
    # The gallery's big tile (today the output's): the biggest picture that leaves room
    # for the class bars beside it, one bar line per class.
    width, height = GALLERY[terminal]
    layout = gallery_layout(width, height - 2, 32)
    room = layout.out_width - min_bars_width(DIGITS) - 1
    assert largest_zoom((8, 8), room, layout.out_lines, "full") == zoom
    picture_w, _ = picture_size((8, 8), zoom, "full")
    bars_w = layout.out_width - picture_w - 1
    lines = class_bar_lines(np.linspace(-0.9, 0.9, 10), DIGITS, 1.0, signed=True, width=bars_w)
    text = records_text(lines, paint_class_bars, "full")
    assert len(text) <= layout.out_lines and all(len(line) <= bars_w for line in text)
    assert all(line.count("│") == 1 for line in text)  # room for a bar on every line


@pytest.mark.parametrize("terminal", [(80, 24), (100, 30)])
def test_the_digits_confusion_matrix_fits_the_loss_view(terminal):
    width, height = LOSS_PANEL[terminal]
    _, _, confusion = _confusion(6)
    # Half the panel for the matrix, the other half for the loss plot beside it.
    records = confusion_lines(confusion, DIGITS, "test", width // 2, height)
    assert sum(isinstance(r, ConfusionRow) for r in records) == 10
