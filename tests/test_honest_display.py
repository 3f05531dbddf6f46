"""The honest numbers on screen: what the panels and the status line draw.

Each test reads back the drawn text (the Line API, ``SafePlot.plain_text()``, the
status formatter) of small seeded runs, and checks it against a second computation.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing
import re

import numpy as np
from conftest import Drive, MakeApp, RecordingOutbox, with_params
from conftest import panel_lines as lines
from conftest import panel_text as screen_text
from conftest import run_panels as run
from conftest import snapshot_of as trained
from textual.pilot import Pilot

from tui_symmetry.app.status import format_status
from tui_symmetry.app.widgets import LossPanel, SimilarityPanel, WeightsPanel
from tui_symmetry.app.widgets.loss import overfitting
from tui_symmetry.core import metrics, saddle
from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import make_dataset
from tui_symmetry.core.network import Params, with_ones
from tui_symmetry.core.one_unit import one_unit_loss
from tui_symmetry.core.similarity import function_similarity
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.runner.child import TrainingProcess

SADDLE_RUN = Config(dataset="xor", init="symmetric", epsilon=1e-8)
def all_dead(snap: Snapshot) -> Snapshot:
    """``snap`` with no weights into any unit: the symmetry index is undefined."""
    p = snap.params
    dead = with_params(snap, Params(np.zeros_like(p.W1), p.b1.copy(), p.W2.copy(),
                                    p.b2.copy()))
    return dataclasses.replace(dead, constant_units=int(np.count_nonzero(p.W2)))


def test_the_summary_shows_the_configs_own_chance_level():
    config = Config(samples=80, hidden=8, seed=1, init="he")
    snap = trained(config, 0)
    assert snap.chance_level == symmetry_chance(config)
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        summary = next(line for line in lines(panel) if line.startswith("symmetry "))
        assert f"symmetry {snap.symmetry_index:.3f}" in summary
        assert f"(chance {snap.chance_level:.2f})" in summary
        # The measure in use is named (its head at least) where there is room.
        assert "|cos| of balanced units" in screen_text(panel)

    run(panel, body, size=(40, 16))


def test_an_all_dead_network_reads_a_dash_never_one():
    snap = all_dead(trained(Config(samples=80, hidden=8, seed=1, init="xavier"), 0))
    assert math.isnan(snap.symmetry_index)
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = screen_text(panel)
        assert "symmetry — (fewer than 2 live units)" in text
        assert "8 constant" in text and "1.000" not in text and "nan" not in text

    run(panel, body, size=(44, 16))
    status = format_status(snap, "paused", show_rate=False)
    assert " · symmetry — · " in status and "nan" not in status


def test_the_saddle_line_shows_negative_curvature_and_its_efold_time():
    snap = trained(SADDLE_RUN, 300)
    curvature = snap.saddle_curvature
    assert curvature is not None and curvature < 0
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = " ".join(line.strip() for line in lines(panel))
        assert f"saddle: curvature −{abs(curvature):.2g}" in text
        shown = int(re.search(r"×e every ([\d,]+) steps", text)[1].replace(",", ""))
        # A second computation: linearised SGD multiplies a difference by 1 − lr·λ a
        # step, so it grows ×e every 1/ln(1 − lr·λ) steps; shown to two digits.
        expected = 1.0 / math.log(1.0 - snap.config.lr * curvature)
        assert shown == float(f"{expected:.2g}")
        # One reading since step 0, where the rate was another: no forecast to show.
        assert snap.predicted_split_range is None and "split" not in text

    run(panel, body, size=(40, 16))


def test_after_the_split_the_reading_is_not_called_a_saddle():
    snap = trained(SADDLE_RUN.replace(epsilon=1e-4, samples=80), 3000)
    assert snap.distinct_units > 1 and snap.saddle_curvature is not None
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = " ".join(line.strip() for line in lines(panel))
        assert "between units: curvature" in text and "saddle" not in text

    run(panel, body, size=(40, 16))


def test_the_loss_plot_draws_the_one_unit_optimum_and_every_split_exactly():
    snap = trained(SADDLE_RUN.replace(epsilon=1e-4, samples=80), 3000)
    assert snap.splits, "this run splits"
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(dataclasses.replace(snap, one_unit_loss=None))
        await pilot.pause()
        assert "one unit" not in panel.loss_plot.plain_text()  # not known yet
        panel.show(dataclasses.replace(snap, one_unit_loss=one_unit_loss(snap.config),
                                       version=snap.version + 1))
        await pilot.pause()
        assert "one unit" in panel.loss_plot.plain_text()
        assert f"split at {snap.splits[0][0]:,}" in panel.symmetry_plot.plain_text()
        assert "⢕⢕ spread" in panel.symmetry_plot.plain_text()  # log spread, right axis

    run(panel, body, size=(120, 20))


def test_the_history_records_the_spread_of_the_units():
    trainer = Trainer(SADDLE_RUN)
    trainer.step(40)
    history = trainer.history.arrays()
    # Step 0 is recorded with the starting parameters.
    assert history["step"][0] == 0
    assert history["spread"][0] == saddle.spread(metrics.unit_vectors(trainer.initial_params))
    assert history["spread"][0] < history["spread"][-1]  # near the saddle: it grows


def test_a_rising_test_loss_under_a_falling_training_loss_is_called_overfitting():
    steps = np.arange(0, 100, 10)
    train = np.linspace(0.7, 0.1, len(steps))
    test = np.array([0.7, 0.5, 0.4, 0.35, 0.34, 0.36, 0.38, 0.41, 0.45, 0.5])
    history = {"step": steps, "loss": train, "test_loss": test,
               "symmetry_index": np.full(len(steps), 0.5)}
    assert overfitting(history)
    assert not overfitting({**history, "test_loss": np.linspace(0.7, 0.2, len(steps))})
    snap = dataclasses.replace(trained(Config(samples=80, hidden=8, seed=1), 90),
                               history=history)
    panel = LossPanel(min_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        assert "test loss rising: overfitting" in panel.loss_plot.plain_text()

    run(panel, body, size=(120, 20))


def test_f_shows_the_similarity_of_what_units_compute(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        panel = app.main_screen.similarity_panel
        await pilot.press("f")
        await pilot.pause()
        snap = app.main_screen.snapshot
        p = snap.params
        XT1 = with_ones(make_dataset(snap.config).X_train)
        S = function_similarity(np.column_stack([p.W1, p.b1]), p.W2[0], snap.config.activation,
                                XT1)
        index = metrics.symmetry_index(S, ~snap.dead)
        text = screen_text(panel)
        assert panel.space == "function" and f"function symmetry {index:.3f}" in text
        assert "corr" in text
        await pilot.press("f")
        await pilot.pause()
        assert f"symmetry {snap.symmetry_index:.3f}" in screen_text(panel)

    drive(app, script)


def test_the_training_process_fills_in_the_one_unit_optimum_a_moment_later():
    parent, child = multiprocessing.Pipe(duplex=True)
    config = Config(samples=64, hidden=4, seed=11)  # data no other test asks about
    outbox = RecordingOutbox()
    try:
        process = TrainingProcess(child, config, playing=False, outbox=outbox)
        process.publish()
        assert outbox.snapshots()[0].snapshot.one_unit_loss is None  # not waited for
        process._one_unit.join(180)  # a subprocess at a low priority: the machine may be busy
        assert process.answered  # the finished computation asks for a new picture
        process.publish()
        last = outbox.snapshots()[-1].snapshot
        assert last.one_unit_loss == one_unit_loss(config)
        assert last.version == outbox.snapshots()[0].snapshot.version + 1
    finally:
        parent.close()
        child.close()


def test_a_constant_unit_is_called_constant_not_weightless():
    snap = trained(Config(samples=80, hidden=8, seed=1, init="xavier"), 0)
    p = snap.params
    W1 = p.W1.copy()
    W1[2] = 0.0  # no weights in; its outgoing weight stays
    snap = dataclasses.replace(with_params(snap, Params(W1, p.b1.copy(), p.W2.copy(),
                                                        p.b2.copy())), constant_units=1)
    weights, similarity = WeightsPanel(text_interval=0), SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        weights.show(snap)
        similarity.show(snap)
        weights.select(2)
        await pilot.pause()
        assert "† no weights in" in lines(weights)[0]
        assert lines(weights)[-1].startswith("▸u3") and "constant" in lines(weights)[-1]
        assert "1 constant" in screen_text(similarity)
        assert "with no weights" not in screen_text(similarity)

    run((weights, similarity), body, size=(80, 30))
