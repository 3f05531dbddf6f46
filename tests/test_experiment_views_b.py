"""What the experiment screen draws of duplicate a unit, condensation and teacher and
width (app/widgets/experiments.py), from real results of small runs."""

from __future__ import annotations

import numpy as np

from tui_symmetry.app.widgets.experiments import (
    condense_table,
    drawing_of,
    duplicate_figure,
    teacher_table,
)
from tui_symmetry.app.widgets.loss import VLine
from tui_symmetry.core import Config
from tui_symmetry.experiments import registry
from tui_symmetry.experiments.registry import ExperimentJob


def test_the_directions_table_counts_units_in_ten_degree_columns() -> None:
    config = Config(hidden=6, init="xavier", init_scale=0.001, epsilon=0.0, seed=3)
    result = registry.run(ExperimentJob.of("condense", config, 100, every=50))
    lines = condense_table(result).plain.splitlines()
    assert lines[0].split()[:2] == ["step", "−180°"]
    rows = zip(lines[1:4], result.steps, result.angles, result.counts, strict=True)
    for line, at, angles, count in rows:
        step, compass, directions, _ = line.split()
        assert int(step.replace(",", "")) == at
        assert len(compass) == 36
        assert sum(int(c) for c in compass if c.isdigit()) == 6  # every unit, once
        column = int(np.floor((angles[0] + 180) / 10))
        assert compass[column] != "·" and int(directions) == count
    assert lines[-1].endswith("bound for tanh: 2")


def test_the_teacher_table_marks_each_student() -> None:
    config = Config(dataset="teacher", noise=0.0, init="xavier", epsilon=0.0)
    result = registry.run(ExperimentJob.of("teacher", config, 10, students=2))
    text = teacher_table(result).plain
    for width, count in zip(result.widths, result.reached, strict=True):
        row = next(line for line in text.splitlines() if line.startswith(f"{width:>3} units"))
        assert row.split()[2].count("●") == count and f"{count}/2 reach" in row


def test_the_duplicate_plot_draws_both_curvatures_along_lambda() -> None:
    config = Config(hidden=2, init="xavier")
    result = registry.run(ExperimentJob.of("duplicate", config, 5, before=50, polish="no"))
    figure = drawing_of("duplicate", result)
    assert figure.step_range == (-0.5, 1.5)
    smallest, largest = figure.series
    np.testing.assert_array_equal(smallest.y, result.copy.smallest)
    np.testing.assert_array_equal(largest.y, result.copy.largest)
    assert figure.vlines == (VLine(0.5, figure.vlines[0].color),)
    assert "loss along λ within" in duplicate_figure(result).titles[0]


def test_the_duplicate_plots_legend_names_the_copys_mark() -> None:
    """The vertical mark is the copy's λ: the legend says so in the mark's colour, and
    is short enough to share a line with the title at 120 columns."""
    config = Config(hidden=2, init="xavier")
    result = registry.run(ExperimentJob.of("duplicate", config, 5, before=50, polish="no",
                                           **{"lambda": 1.5}))
    figure = duplicate_figure(result)
    (mark,) = figure.vlines
    assert mark.step == 1.5
    assert [(label, color) for label, _, color in figure.legend
            if color == mark.color] == [("the copy, λ = 1.5", mark.color)]
    assert sum(len(label) + 5 for label, _, _ in figure.legend) <= 50
