"""The loss panel's figures (app/widgets/loss.py ``loss_figures``), read without mounting.

Every word and number the loss panel prints is a field of a figure computed from the
snapshot: the honest-display claims on its titles and legends are checked here on the
figures, each against a second way of getting the same number (the snapshot's own
fields, or the history's arithmetic), with no app and no plotext.
"""

from __future__ import annotations

import dataclasses
import math

import numpy as np
import pytest
from conftest import small_snapshot

from tui_symmetry.app.widgets.loss import (
    CLIP_DECADES,
    CLIP_FACTOR,
    CURVE_STYLES,
    LossView,
    Series,
    VLine,
    loss_figures,
)
from tui_symmetry.core.snapshot import Snapshot

WIDTHS = (80, 40)
"""Columns of the loss plot and of the symmetry plot, side by side at 120 columns."""


def history_snapshot(loss: np.ndarray, test: np.ndarray | None = None, **changes: object
                     ) -> Snapshot:
    """A snapshot whose history is ``loss`` (and ``test``) over steps 0, 10, 20, ...
    with a symmetry index falling from 1 and a spread growing from 1e-4."""
    steps = np.arange(len(loss)) * 10
    history = {"step": steps, "loss": loss,
               "test_loss": np.full(len(loss), np.nan) if test is None else test,
               "symmetry_index": np.linspace(1.0, 0.4, len(loss)),
               "spread": np.geomspace(1e-4, 1e-1, len(loss))}
    base = small_snapshot(0)
    return dataclasses.replace(base, history=history, step=int(steps[-1]), **changes)


FALLING = np.linspace(0.7, 0.1, 10)


def labels(figure) -> list[str]:
    return [label for label, _, _ in figure.legend]


def test_a_rising_test_loss_is_news_in_the_loss_title() -> None:
    test = np.array([0.7, 0.5, 0.4, 0.35, 0.34, 0.36, 0.38, 0.41, 0.45, 0.5])
    rising = loss_figures(history_snapshot(FALLING, test), LossView(), WIDTHS).loss
    assert rising.titles[0] == "loss (linear) · test loss rising: overfitting"
    assert rising.title_is_news and "overfitting" in rising.titles  # the shortest word
    falling = loss_figures(history_snapshot(FALLING, np.linspace(0.7, 0.2, 10)),
                           LossView(), WIDTHS).loss
    assert falling.titles == ("loss (linear)",) and not falling.title_is_news
    assert labels(falling) == ["train", "test"]


@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
def test_a_spike_is_clipped_at_the_ceiling_the_title_and_the_axis_name(log: bool) -> None:
    loss = FALLING.copy()
    loss[5] = 1e12
    figure = loss_figures(history_snapshot(loss), LossView(log_scale=log), WIDTHS).loss
    # The ceiling, a second way: the first loss times the factor (decades on log).
    ceiling = 0.7 * (10.0**CLIP_DECADES if log else CLIP_FACTOR)
    assert figure.titles[0] == f"loss ({'log' if log else 'linear'}) · clipped above " + (
        "7k" if log else "7")
    assert figure.title_is_news
    axis = dict(figure.value_axes)["left"]
    assert axis.ceiling == pytest.approx(ceiling) and axis.log == log
    train = next(s for s in figure.series if s.color == CURVE_STYLES["full"].train.color)
    top = math.log10(ceiling) if log else ceiling
    assert float(np.max(train.y)) == pytest.approx(top)  # drawn on the top edge
    assert len(train.x) == len(loss)  # the spike's point is kept, not dropped


def test_a_lasting_split_is_marked_on_both_plots_and_named_on_the_symmetry_plot() -> None:
    snap = history_snapshot(FALLING, splits=((40, 1, 2),))
    figures = loss_figures(snap, LossView(), WIDTHS)
    assert figures.symmetry is not None
    assert figures.symmetry.titles[0] == "symmetry index · split at 40"
    assert "split 40" in figures.symmetry.titles  # the shortest wording
    for figure in (figures.loss, figures.symmetry):
        assert [mark.step for mark in figure.vlines] == [40.0]
    # Side by side the loss title leaves the split to the symmetry plot.
    assert all("split" not in title for title in figures.loss.titles)


def test_a_split_still_pending_is_named_not_yet_lasting_and_not_marked() -> None:
    snap = history_snapshot(FALLING, not_yet_lasting=((1548, 1, 2),))
    figures = loss_figures(snap, LossView(), WIDTHS)
    assert figures.symmetry is not None
    assert figures.symmetry.titles[0] == "symmetry index · split at 1,548 not yet lasting"
    assert not figures.symmetry.vlines and not figures.loss.vlines
    merged = history_snapshot(FALLING, not_yet_lasting=((900, 2, 1),))  # a merge pending
    symmetry = loss_figures(merged, LossView(), WIDTHS).symmetry
    assert symmetry is not None and symmetry.titles == ("symmetry index",)


def test_combined_one_plot_carries_the_symmetry_and_the_split_words() -> None:
    snap = history_snapshot(FALLING, splits=((40, 1, 2),))
    figures = loss_figures(snap, LossView(arrangement="combined"), WIDTHS)
    assert figures.symmetry is None
    assert figures.loss.titles[0] == "loss (linear) · split at 40"
    assert labels(figures.loss) == ["train", "sym"]
    assert dict(figures.loss.value_axes)["right"].ticks == (0.0, 0.5, 1.0)
    right = [s for s in figures.loss.series if s.yside == "right"]
    assert len(right) == 1 and np.array_equal(right[0].y, snap.history["symmetry_index"])


@pytest.mark.parametrize("grows", [True, False])
@pytest.mark.parametrize("log", [False, True], ids=["linear", "log"])
def test_the_one_unit_line_is_flat_at_its_loss_and_its_legend_says_how(grows: bool,
                                                                         log: bool) -> None:
    snap = history_snapshot(FALLING, one_unit_loss=0.25, one_unit_weights_grow=grows)
    figure = loss_figures(snap, LossView(log_scale=log), WIDTHS).loss
    name = "one unit, as weights grow" if grows else "one unit"
    assert labels(figure) == ["train", name]
    one_unit = figure.series[-1]  # drawn last, over the curves
    assert one_unit.marker == CURVE_STYLES["full"].one_unit.marker
    assert np.all(one_unit.y == (math.log10(0.25) if log else 0.25))
    assert (one_unit.x[0], one_unit.x[-1]) == (0.0, 90.0)  # the whole step range
    unknown = loss_figures(dataclasses.replace(snap, one_unit_loss=None), LossView(), WIDTHS)
    assert labels(unknown.loss) == ["train"]


def test_a_run_that_ran_away_says_at_which_step() -> None:
    snap = history_snapshot(FALLING, diverged=True)
    figure = loss_figures(snap, LossView(), WIDTHS).loss
    assert figure.titles[0] == (
        "loss (linear) · ran away at step 90 — showing the last finite values")
    assert figure.title_is_news and figure.titles[-1] == "ran away at 90"


def test_the_symmetry_plot_draws_chance_first_and_the_spread_on_a_log_axis() -> None:
    snap = history_snapshot(FALLING)
    symmetry = loss_figures(snap, LossView(), WIDTHS).symmetry
    assert symmetry is not None
    assert labels(symmetry) == ["symmetry", "chance", "spread"]
    chance, index, spread = symmetry.series
    assert np.all(chance.y == snap.chance_level)  # under the symmetry line
    assert np.array_equal(index.y, snap.history["symmetry_index"])
    assert np.array_equal(spread.y, np.log10(snap.history["spread"]))
    right = dict(symmetry.value_axes)["right"]
    assert right.log and (right.low, right.high) == (pytest.approx(-4.0), pytest.approx(-1.0))


def test_a_mark_is_drawn_in_the_order_of_the_figure() -> None:
    """The loss plot draws its split marks over the curves, the symmetry plot under."""
    snap = history_snapshot(FALLING, splits=((40, 1, 2),))
    figures = loss_figures(snap, LossView(), WIDTHS)
    assert figures.symmetry is not None
    assert isinstance(figures.loss.marks[-1], VLine)
    assert isinstance(figures.symmetry.marks[0], VLine)
    assert all(isinstance(mark, Series) for mark in figures.symmetry.marks[1:])
