"""The units and gradients views in the app, the shared unit selection, permutation and
the timeline: pilot tests on a SyncRunner, asserting what is drawn."""

from __future__ import annotations

import dataclasses

import numpy as np
from conftest import (
    TEST_CONFIG,
    Drive,
    MakeApp,
    panel_lines,
    screen_lines,
    snapshot_of,
    wait_until,
)
from textual.pilot import Pilot

from tui_symmetry.app.status import timeline_text
from tui_symmetry.app.timeline import Timeline, snapshot_nbytes
from tui_symmetry.cli.app import build_app_parser
from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.settings import VIEWS


def _visible(widget) -> bool:
    return widget.region.width > 0 and widget.region.height > 0


def test_view_takes_exactly_the_apps_views():
    """``--view`` offers the views the app has (settings.VIEWS, their one home)."""
    [action] = [a for a in build_app_parser()._actions if "--view" in a.option_strings]
    assert tuple(action.choices) == VIEWS


def test_units_view_opens_from_the_option_and_keys_switch_to_gradients(make_app: MakeApp,
                                                                        drive: Drive):
    app = make_app(view="units")

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        app.runner.step(50)
        app.poll_now()
        await wait_until(pilot, lambda: any("unit 6" in line
                                            for line in screen.gallery.rendered_lines()))
        assert screen.shown_view == "units"
        assert _visible(screen.gallery) and _visible(screen.side_weights_panel)  # 120 wide
        assert not _visible(screen.weights_panel) and not _visible(screen.gradient_panel)
        assert "4 Units" in str(screen.view_tabs.render())
        await pilot.press("5")
        await wait_until(pilot, lambda: any("identical" in line or "gap" in line
                                            for line in panel_lines(screen.gradient_panel)))
        assert not _visible(screen.gallery)
        await pilot.press("1")
        await pilot.pause()
        assert _visible(screen.weights_panel) and _visible(screen.similarity_panel)

    drive(app, script)


def test_a_view_key_is_laid_out_in_its_own_handler(make_app: MakeApp, drive: Drive):
    """The new arrangement is on screen before the app handles anything else."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert _visible(screen.weights_panel) and not _visible(screen.loss_panels["loss"])
        screen.view = "loss"  # no await: no message, no timer tick in between
        assert _visible(screen.loss_panels["loss"])
        assert not _visible(screen.weights_panel) and not _visible(screen.settings_area)
        screen.present = True
        assert not _visible(screen.footer)

    drive(app, script)


def test_small_terminal_units_view_has_no_room_for_weights(make_app: MakeApp, drive: Drive):
    app = make_app(view="units")

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert _visible(screen.gallery) and not _visible(screen.side_weights_panel)

    drive(app, script, size=(80, 24))


def test_selection_is_one_unit_in_every_panel(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        await pilot.press("down", "down")  # weights view: unit order, unit 3
        await pilot.pause()
        assert screen.selected_unit == 2
        assert any(line.startswith("▸u3") for line in panel_lines(screen.weights_panel))
        similarity = panel_lines(screen.similarity_panel)
        assert any(line.startswith("▸u3") for line in similarity)
        assert any(line.strip() == "▲" for line in similarity)  # its column, marked
        await pilot.press("4", "j")  # the gallery walks its own (similarity) order
        await pilot.pause()
        order = list(app.snapshot.order)
        unit = order[(order.index(2) + 1) % len(order)]
        assert screen.selected_unit == unit == screen.gallery.selected_unit
        assert screen.gallery.rendered_lines()[-1].startswith(f"▸unit {unit + 1}")
        side = panel_lines(screen.side_weights_panel)
        assert any(line.startswith(f"▸u{unit + 1}") for line in side)
        await pilot.press("5")  # a panel shown for the first time takes the selection
        await wait_until(pilot, lambda: screen.gradient_panel.selected_unit == unit)

    drive(app, script)


def test_p_permutes_the_units_and_changes_nothing_the_network_computes(make_app: MakeApp,
                                                                        drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.runner.step(300)
        app.poll_now()
        before = app.snapshot
        await pilot.press("p")
        await wait_until(pilot, lambda: "permuted units" in app.notice)
        after = app.snapshot
        p, q = before.params, after.params
        # A permutation of the rows: same units, new labels; b2 untouched.
        perm = [int(np.flatnonzero((q.W1[j] == p.W1).all(axis=1))[0]) for j in range(6)]
        assert sorted(perm) != perm and sorted(perm) == list(range(6))
        assert np.array_equal(q.W1, p.W1[perm]) and np.array_equal(q.b1, p.b1[perm])
        assert np.array_equal(q.W2, p.W2[:, perm]) and np.array_equal(q.b2, p.b2)
        assert after.step == before.step
        # tanh, 6 units: the sum over units happens to round the same in the new order.
        assert after.loss == before.loss
        # The network's output over the input plane, as the gallery draws it.
        assert np.array_equal(after.unit_maps.output, before.unit_maps.output)
        assert f"loss {before.loss:.6g} → {after.loss:.6g} unchanged" in app.notice
        assert "output map unchanged" in app.notice
        assert any(line.startswith("▸u1") and f"{q.W1[0, 0]:+.3f}" in line
                   for line in panel_lines(app.main_screen.weights_panel))

    drive(app, script)


def test_permutation_moves_optimizer_state_so_training_goes_on_the_same():
    config = Config(samples=80, hidden=6, seed=2, optimizer="adam", lr=0.01)
    a, b = Trainer(config), Trainer(config)
    a.step(50)
    b.step(50)
    perm = np.array([3, 0, 5, 1, 4, 2])
    b.permute_units(perm)
    a.step(100)
    b.step(100)
    assert np.allclose(b.params.W1, a.params.W1[perm], rtol=1e-9, atol=1e-12)
    assert np.allclose(b.params.W2, a.params.W2[:, perm], rtol=1e-9, atol=1e-12)


def test_brackets_show_recorded_states_and_space_returns_to_live(make_app: MakeApp,
                                                                 drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        weights = {}
        for _ in range(3):
            app.runner.step(100)
            app.poll_now()
            weights[app.snapshot.step] = f"{app.snapshot.params.W1[0, 0]:+.3f}"
        await pilot.press("left_square_bracket")
        await pilot.pause()
        assert str(screen.timeline_label.render()) == ("timeline: step 200 of 300 — "
                                                      "space returns to live")
        assert app.status.startswith("step 200") or "200" in app.status.split("·")[0]
        await wait_until(pilot, lambda: any(weights[200] in line
                                            for line in panel_lines(screen.weights_panel)))
        await pilot.press("left_square_bracket", "left_square_bracket")
        await pilot.pause()
        assert "timeline: step 0 of 300" in str(screen.timeline_label.render())
        await pilot.press("right_square_bracket")
        await pilot.pause()
        assert "step 100 of 300" in str(screen.timeline_label.render())
        await pilot.press("space")  # play: back to the live run
        await pilot.pause()
        assert app.timeline.live and not screen.timeline_label.display
        assert not any("timeline:" in line for line in screen_lines(app))
        await pilot.press("space")
        await wait_until(pilot, lambda: any(weights[300] in line
                                            for line in panel_lines(screen.weights_panel)))

    drive(app, script)


def test_timeline_memory_stays_bounded_and_reaches_back_to_the_start():
    first = Trainer(TEST_CONFIG).snapshot(version=1)
    timeline = Timeline(max_count=32, max_bytes=40 * snapshot_nbytes(first))
    for i in range(10_000):
        timeline.record(dataclasses.replace(first, step=i, version=i + 1))
        assert len(timeline.snapshots) <= 32
    steps = [snap.step for snap in timeline.snapshots]
    assert steps == sorted(steps) and steps[-1] == 9_999 and steps[0] < 100
    bytes_bound = Timeline(max_count=1000, max_bytes=5 * snapshot_nbytes(first))
    for i in range(200):
        bytes_bound.record(dataclasses.replace(first, step=i, version=i + 1))
    assert len(bytes_bound.snapshots) <= 5 and bytes_bound.nbytes <= bytes_bound.max_bytes


def test_the_training_process_permutes_on_command_and_refuses_a_bad_permutation():
    import multiprocessing

    from test_runner import SMALL, make_child

    from tui_symmetry.runner.messages import CommandError, Permute, Step

    parent, child = multiprocessing.Pipe(duplex=True)
    try:
        process, outbox, _ = make_child(child, playing=False)
        process.handle(Step(1, 20))
        W1 = process.trainer.params.W1.copy()
        perm = np.roll(np.arange(SMALL.hidden), 1)
        process.handle(Permute(2, tuple(int(i) for i in perm)))
        assert np.array_equal(process.trainer.params.W1, W1[perm]) and process.seq == 2
        process.handle(Permute(3, (0, 0, *range(2, SMALL.hidden))))
        assert isinstance(outbox.sent[-1], CommandError) and "not a permutation" in (
            outbox.sent[-1].text)
        assert np.array_equal(process.trainer.params.W1, W1[perm])  # unchanged
    finally:
        parent.close()
        child.close()


def test_the_status_names_the_recorded_step_only_off_the_live_run():
    timeline = Timeline()
    states = [snapshot_of(TEST_CONFIG, steps, version=steps) for steps in (0, 2, 5)]
    for state in states:
        timeline.record(state)
    live = states[-1]
    assert timeline_text(timeline, live) is None
    shown = timeline.move(-1)
    assert shown is states[1]
    assert timeline_text(timeline, live) == "timeline: step 2 of 5 — space returns to live"
    timeline.go_live()
    assert timeline_text(timeline, live) is None
