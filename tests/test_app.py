"""Functional tests of the app through Textual's Pilot, with a deterministic SyncRunner.

Every key binding, live reconfiguration versus reset, settings editing by keyboard,
notices, divergence, resizing down to 20×8, a dead training process and random keys.
The run controller is tested without Pilot in test_controller.py; the real process
runner and the real terminal (signals, hangups) at the end of this file.
"""

from __future__ import annotations

import collections
import contextlib
import dataclasses
import fcntl
import gc
import json
import os
import pty
import random
import select
import signal
import struct
import sys
import termios
import time
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from conftest import (
    TEST_CONFIG,
    Drive,
    DyingRunner,
    MakeApp,
    RecordingApp,
    panel_lines,
    screen_lines,
    wait_until,
)
from textual.command import CommandList, CommandPalette
from textual.events import Resize
from textual.geometry import Size
from textual.pilot import Pilot
from textual.screen import Screen
from textual.widgets import Input
from textual.widgets._toast import Toast

from tui_symmetry.app import keys
from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.app.controller import Notice
from tui_symmetry.app.controls import NumberInput, SettingSelect
from tui_symmetry.app.main_screen import MIN_SIZE, SETTINGS_WIDTH
from tui_symmetry.app.screens import HelpScreen
from tui_symmetry.app.status import format_status
from tui_symmetry.app.values import nudge
from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.config import CONTROL_FIELDS, FIELD_BY_NAME
from tui_symmetry.runner import ProcessRunner, SyncRunner
from tui_symmetry.settings import SPEEDS

# -- the status line ----------------------------------------------------------------------


def test_status_line_has_the_documented_shape():
    snapshot = SyncRunner(Config(hidden=8)).latest()
    text = format_status(snapshot, "running")
    assert text.startswith("step 0 · loss ")
    assert " · symmetry 1.000 · distinct 1/8 · — steps/s · running" in text
    fast = dataclasses.replace(snapshot, step=12_400, steps_per_s=9_812.0)
    assert format_status(fast, "paused").startswith("step 12,400 · loss ")
    assert "· 9,800 steps/s · running" in format_status(fast, "running")
    assert "— steps/s" in format_status(fast, "running", show_rate=False)
    assert format_status(fast, "paused").endswith("distinct 1/8 · paused")  # no rate
    capped = format_status(fast, "running", speed=10.0)
    assert capped.endswith("· 9,800 steps/s (cap 10) · running")
    assert format_status(fast, "running", speed=10.0, width=78).endswith(
        "· 10 steps/s cap · running")
    narrow = format_status(fast, "diverged", width=78)
    assert len(narrow) <= 78 and narrow.endswith("diverged — press r to reset")
    assert narrow.startswith("step 12,400 · loss ")
    # A measured rate under a cap of 1 step/s: two digits, never the meter's six.
    slow = dataclasses.replace(snapshot, steps_per_s=0.998499)
    assert "· 1 step/s (cap 1) · running" in format_status(slow, "running", speed=1.0)
    slower = dataclasses.replace(snapshot, steps_per_s=0.49872)
    assert "· 0.5 steps/s (cap 0.5) · running" in format_status(slower, "running",
                                                                 speed=0.5)


@pytest.mark.parametrize("width", [20, MIN_SIZE[0] - 2, 78, 118])
@pytest.mark.parametrize("state", ["running", "paused", "diverged", "halted"])
@pytest.mark.parametrize("speed", [None, 1000.0])
def test_status_keeps_the_state_and_the_cap_at_every_width(width, state, speed):
    snapshot = dataclasses.replace(SyncRunner(Config(hidden=256)).latest(),
                                   step=123_456_789, steps_per_s=123_456.0)
    text = format_status(snapshot, state, speed=speed, width=width)
    words = {"running": "running", "paused": "paused", "diverged": "diverged",
             "halted": "stopped"}
    assert words[state] in text
    assert ("cap" in text) is (speed is not None)
    assert "1,000" in text or speed is None
    if width >= MIN_SIZE[0] - 2:  # the bar's width in the smallest terminal shown
        assert len(text) <= width


def test_nudge_steps_stay_in_range():
    spec = FIELD_BY_NAME
    ladder = [0.2]
    for _ in range(3):
        ladder.append(nudge(spec["lr"], ladder[-1], 1))
    assert ladder == [0.2, 0.5, 1.0, 2.0]  # 1-2-5 decades
    assert nudge(spec["lr"], 1e-4, -1) == 1e-4  # lr > 0: the lowest step stays
    assert nudge(spec["l2"], 0.0, 1) == 1e-4 and nudge(spec["l2"], 1e-4, -1) == 0.0
    assert nudge(spec["momentum"], 0.95, 1) == 0.95  # momentum < 1
    assert nudge(spec["dropout"], 0.9, 1) == 0.95 == nudge(spec["dropout"], 0.95, 1)
    assert [nudge(spec["batch_size"], b, 1) for b in (0, 8, 32)] == [8, 16, 64]
    assert nudge(spec["batch_size"], 8, -1) == 0
    assert nudge(spec["hidden"], 256, 1) == 256 and nudge(spec["hidden"], 1, -1) == 1
    assert nudge(spec["init"], "orthogonal", 1) == "zeros"  # choices wrap around
    for field in CONTROL_FIELDS:  # every nudge of every default is a valid value
        value = getattr(Config(), field.name)
        for direction in (1, -1):
            field.coerce(nudge(field, value, direction))


# -- the key table ----------------------------------------------------------------------------


def test_every_key_is_bound_helped_and_in_the_palette(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        bound = {binding.id: binding for binding in app.BINDINGS}
        help_text = " ".join(f"{k} {what}" for _, rows in keys.help_sections_of(app)
                             for k, what in rows)
        palette = {title: action for title, action, _ in keys.palette_actions_of(app)}
        for key in keys.KEYS:
            assert bound[key.id].action == key.action
            # A pair's second key is said in its first key's row ("← / →").
            assert key.help in help_text if key.in_help else any(
                pair.help_keys and key.key_display in pair.help_keys for pair in keys.KEYS)
            assert palette[key.help] == key.action
            # "screen.view('units')" acts on the main screen, the others on the app.
            target, _, name = key.action.split("(")[0].rpartition(".")
            owner = app.main_screen if target == "screen" else app
            assert target in ("", "screen") and callable(getattr(owner, f"action_{name}", None))
        assert [name for name, _ in keys.help_sections_of(app)] == list(keys.SECTIONS)

    drive(app, script)


# -- run keys -----------------------------------------------------------------------------


def test_space_plays_and_pauses(make_app: MakeApp, drive: Drive):
    app = make_app(steps_per_poll=5)

    async def script(pilot: Pilot) -> None:
        assert app.status.endswith("paused")
        await pilot.press("space")
        await wait_until(pilot, lambda: app.snapshot.step >= 10)
        assert app.controller.playing and app.status.endswith("running")
        await pilot.press("space")
        await pilot.pause()
        assert app.status.endswith("paused")
        stopped = app.snapshot.step
        for _ in range(3):
            app.poll_now()  # polling a paused runner trains nothing
        assert app.snapshot.step == stopped

    drive(app, script)


def test_step_keys_pause_and_step_exactly(make_app: MakeApp, drive: Drive):
    app = make_app(steps_per_poll=3)

    async def script(pilot: Pilot) -> None:
        for key, steps in [("s", 1), ("full_stop", 1), ("S", 100), ("n", 100)]:
            await pilot.press("space")
            await wait_until(pilot, lambda: app.status.endswith("running"))
            await pilot.press(key)
            await pilot.pause()
            assert not app.controller.playing and app.status.endswith("paused"), key
            before = app.snapshot.step
            await pilot.press(key)
            await pilot.pause()
            assert app.snapshot.step == before + steps, key
            assert app.status.startswith(f"step {before + steps:,} · loss ")

    drive(app, script)


def test_speed_keys_step_through_the_ladder_and_show_the_cap(make_app: MakeApp,
                                                             drive: Drive):
    app = make_app()
    runner = app.runner
    assert isinstance(runner, SyncRunner)

    async def script(pilot: Pilot) -> None:
        assert runner.speed is None and "cap" not in app.status
        await pilot.press("less_than_sign")
        await pilot.pause()
        assert runner.speed == SPEEDS[-2] == app.controller.speed
        assert app.status.endswith("· 1,000 steps/s cap · paused")
        assert app.notice == "speed: at most 1,000 steps/s"
        await pilot.press(*["less_than_sign"] * len(SPEEDS))
        await pilot.pause()
        assert runner.speed == SPEEDS[0]
        assert app.status.endswith("· 1 step/s cap · paused")
        assert "slowest" in app.notice
        await pilot.press(*["greater_than_sign"] * len(SPEEDS))
        await pilot.pause()
        assert runner.speed is None and "cap" not in app.status
        assert "full speed" in app.notice

    drive(app, script)


def test_speed_option_starts_capped(make_app: MakeApp, drive: Drive):
    app = make_app(speed=10.0)

    async def script(pilot: Pilot) -> None:
        assert app.runner.speed == 10.0  # type: ignore[attr-defined]
        assert app.status.endswith("· 10 steps/s cap · paused")

    drive(app, script)


@pytest.mark.parametrize("size", [(80, 24), (60, 20)])
def test_small_terminals_keep_the_state_and_the_cap(size, make_app: MakeApp, drive: Drive):
    app = make_app(steps_per_poll=1, speed=100.0)

    async def script(pilot: Pilot) -> None:
        app.runner.step(1_000)
        app.poll_now()
        await pilot.pause()
        assert app.status.endswith("100 steps/s cap · paused")
        assert len(app.status) <= size[0] - 2
        await pilot.press("space")
        await wait_until(pilot, lambda: app.status.endswith("100 steps/s cap · running"))
        line = app.screen.get_widget_at(1, size[1] - 2)[0]
        assert line is app.main_screen.status_bar  # drawn where it should be

    drive(app, script, size=size)


def test_reset_restarts_the_same_run(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        initial = app.snapshot.params
        await pilot.press("S")
        await pilot.pause()
        assert app.snapshot.step == 100
        await pilot.press("r")
        await pilot.pause()
        assert app.snapshot.step == 0
        assert np.array_equal(app.snapshot.params.W1, initial.W1)
        assert app.notice == f"reset: same settings, seed {TEST_CONFIG.seed}"

    drive(app, script)


def test_new_seed(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        for seed, key in enumerate(["R", "N"], start=TEST_CONFIG.seed + 1):
            await pilot.press("S", key)
            await pilot.pause()
            assert app.config.seed == seed == app.snapshot.config.seed
            assert app.snapshot.step == 0
            assert app.notice == f"reset: seed → {seed}"

    drive(app, script)


def test_help_screen_opens_and_closes(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        for key in ["question_mark", "f1"]:
            await pilot.press(key)
            await pilot.pause()
            assert isinstance(app.screen, HelpScreen)
            assert app.screen.sections == keys.help_sections_of(app)
            await pilot.press(key)  # the same key closes it
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)
            await pilot.press(key, "escape")
            await pilot.pause()
            assert not isinstance(app.screen, HelpScreen)

    drive(app, script)


@pytest.mark.parametrize("key", ["q", "ctrl+c", "ctrl+q"])
def test_quit_keys_close_the_runner(key: str, make_app: MakeApp, drive: Drive):
    runner = SyncRunner(TEST_CONFIG)
    app = make_app(runner=runner)

    async def script(pilot: Pilot) -> None:
        await pilot.press(key)
        await pilot.pause()

    drive(app, script)
    assert app.return_code == 0
    assert runner.closed


def test_a_late_poll_after_quitting_is_harmless(make_app: MakeApp, drive: Drive):
    """A timer tick or a runner's answer can arrive after the screens are gone."""
    app = make_app(steps_per_poll=1)

    async def script(pilot: Pilot) -> None:
        await pilot.press("space")

    drive(app, script)
    assert not app.screen_stack and not app.main_screen.ready
    app.poll_now()
    app.tell(Notice("late"))


def test_export_writes_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                               make_app: MakeApp, drive: Drive):
    monkeypatch.chdir(tmp_path)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S", "e")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: app.notice.startswith("exported"))

    drive(app, script)
    files = list(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["tui-symmetry-xor-h6-seed1-step100.json"]
    document = json.loads(files[0].read_text())
    assert document["step"] == 100
    assert document["config"]["hidden"] == 6
    assert app.last_message == f"exported {files[0]}"


def test_export_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                    make_app: MakeApp, drive: Drive):
    def disk_full(fd: int) -> None:  # a full disk shows as late as fsync (NFS)
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(os, "fsync", disk_full)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await wait_until(pilot, lambda: "export not saved" in app.notice)
        assert app.main_screen.notice_line.severity == "error"
        await pilot.press("S")  # and the run goes on
        await pilot.pause()
        assert app.snapshot.step == 100

    drive(app, script)
    assert app.errors == ["export not saved: the disk is full"]
    assert list(tmp_path.iterdir()) == []


# -- notices ---------------------------------------------------------------------------------


def test_fast_keys_leave_one_notice_and_no_toasts(make_app: MakeApp, drive: Drive):
    """20 fast + and i presses: one line, overwritten; never a pile of toasts."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press(*["plus"] * 20)
        await pilot.pause()
        lr = app.config.lr
        assert app.notice.startswith(f"lr → {lr:g} (live") or "highest step" in app.notice
        await pilot.press(*["i"] * 10)
        await pilot.pause()
        assert app.notice == f"reset: init → {app.config.init}"
        assert not app.screen.query(Toast) and not app._notifications
        notice_lines = [w for w in app.screen.walk_children() if "reset:" in str(
            getattr(w, "text", ""))]
        assert notice_lines == [app.main_screen.notice_line]

    drive(app, script)


def test_a_notice_clears_itself(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.notify("brief", timeout=0.01)
        assert app.notice == "brief"
        await wait_until(pilot, lambda: app.notice == "", delay=0.01)

    drive(app, script)


# -- view keys ------------------------------------------------------------------------------


def test_similarity_order_and_log_scale_toggles(make_app: MakeApp, drive: Drive):
    app = make_app(dataclasses.replace(TEST_CONFIG, init="xavier"))  # units out of order

    async def script(pilot: Pilot) -> None:
        app.runner.step(300)
        app.poll_now()
        await pilot.pause()
        screen = app.main_screen
        plot = screen.loss_panel.loss_plot
        matrix = screen.similarity_panel
        before_plot = plot.plain_text()
        before_matrix = panel_lines(matrix)
        # Grouping by similarity redraws the matrix only when the order is not the units'.
        assert list(app.snapshot.order) != list(range(len(app.snapshot.order)))
        await pilot.press("l", "o")
        await pilot.pause()
        assert plot.plain_text() != before_plot  # a log axis is drawn differently
        assert panel_lines(matrix) != before_matrix  # the rows and columns are regrouped
        await pilot.press("l", "o")
        await pilot.pause()
        assert plot.plain_text() == before_plot
        assert panel_lines(matrix) == before_matrix

    drive(app, script)


def _selected_units(panel) -> list[str]:
    """The unit labels the weights panel draws with the selection mark."""
    lines = panel_lines(panel)
    return sorted({word for line in lines for word in line.split() if word.startswith("▸u")})


def test_unit_selection_keys(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        panel = app.main_screen.weights_panel
        assert _selected_units(panel) == ["▸u1"]
        for keys_, unit in [(("down", "j"), 2), (("k",), 1),
                            (("up", "up"), TEST_CONFIG.hidden - 1)]:  # wraps around
            await pilot.press(*keys_)
            await wait_until(pilot, lambda u=unit: _selected_units(panel) == [f"▸u{u + 1}"])

    drive(app, script)


def _visible(widget) -> bool:
    region = widget.region
    return region.width > 0 and region.height > 0


def test_view_keys_switch_panels(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert screen.shown_view == "all"
        assert _visible(screen.loss_panel) and _visible(screen.weights_panel)
        assert screen.settings_area.region.width == SETTINGS_WIDTH
        await pilot.press("2")
        await pilot.pause()
        assert screen.shown_view == "loss"
        assert not _visible(screen.weights_panel) and _visible(screen.loss_panel)
        assert "2 Loss" in str(screen.view_tabs.render())
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.focused, SettingSelect)  # settings view: ready to edit
        assert screen.settings_area.region.width > SETTINGS_WIDTH  # both columns
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("1")
        await pilot.pause()
        assert _visible(screen.weights_panel) and not _visible(screen.loss_panel)
        await pilot.press("0")
        await pilot.pause()
        assert screen.shown_view == "all"
        assert screen.settings_area.region.width == SETTINGS_WIDTH

    drive(app, script)


def test_a_panel_shown_again_draws_the_newest_snapshot(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("2", "S")  # trained while the weights are hidden
        await pilot.pause()
        await pilot.press("1")
        await pilot.pause()
        screen = app.main_screen
        bare = Trainer(TEST_CONFIG)
        bare.step(100)
        first_weight = f"{bare.snapshot().params.W1[0, 0]:+.3f}"
        lines = panel_lines(screen.weights_panel)
        assert any(first_weight in line for line in lines)

    drive(app, script)


def test_view_switches_never_resize_a_plot_and_show_fresh_curves(make_app: MakeApp,
                                                                   drive: Drive):
    """Each layout has its own loss panel: a switch shows cached lines at once, and the
    newest curves follow."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        await pilot.press("2")
        await wait_until(pilot, lambda: screen.loss_panel.loss_plot.plain_text().strip() != "")
        zoomed = screen.loss_panel

        def drawn_sizes() -> list[tuple[int, int]]:
            texts = [panel.loss_plot.plain_text().splitlines()
                     for panel in screen.loss_panels.values()]
            return [(len(lines[0]), len(lines)) for lines in texts]

        sizes = drawn_sizes()
        assert sizes[0] != sizes[1]
        first = zoomed.loss_plot.plain_text()
        await pilot.press("0")
        await pilot.pause()
        app.runner.step(2_000)
        app.poll_now()
        await pilot.press("2")
        await wait_until(pilot, lambda: zoomed.loss_plot.plain_text() != first)
        await pilot.press("0")
        await pilot.pause()
        assert drawn_sizes() == sizes

    drive(app, script)


@pytest.mark.parametrize(("size", "view"), [((100, 30), "all"), ((99, 30), "weights"),
                                           ((100, 29), "weights"), ((200, 60), "all")])
def test_which_sizes_show_every_panel(size: tuple[int, int], view: str, make_app: MakeApp,
                                      drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert screen.shown_view == view
        panels = [screen.weights_panel, screen.similarity_panel, screen.loss_panel,
                  *screen.settings_panels]
        shown = [_visible(panel) for panel in panels]
        assert all(shown) if view == "all" else shown == [True, True, False, False, False,
                                                           False]

    drive(app, script, size=size)


def test_small_terminal_shows_one_view_at_a_time(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert screen.shown_view == "weights"  # "all" does not fit in 80×24
        tabs = str(screen.view_tabs.render())
        assert "1 Weights" in tabs and "0 All" not in tabs
        assert _visible(screen.weights_panel) and _visible(screen.similarity_panel)
        await pilot.press("3")
        await pilot.pause()
        rows = [control.region for panel in screen.settings_panels
                for control in panel.controls]
        assert all(region.height == 1 for region in rows)  # every setting visible at 80×24
        await pilot.press("escape", "2")
        await pilot.pause()
        assert screen.shown_view == "loss"
        assert screen.loss_panel.region.height >= 10

    drive(app, script, size=(80, 24))


# -- settings by key ------------------------------------------------------------------------


def test_cycle_keys_reset_with_the_next_choice(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        for key, name, direction in [("i", "init", 1), ("I", "init", -1), ("d", "dataset", 1),
                                     ("a", "activation", 1), ("m", "optimizer", 1)]:
            await pilot.press("S")
            await pilot.pause()
            expected = nudge(FIELD_BY_NAME[name], getattr(app.config, name), direction)
            await pilot.press(key)
            await pilot.pause()
            assert getattr(app.config, name) == expected, key
            assert app.snapshot.step == 0
            assert getattr(app.snapshot.config, name) == expected
            assert app.notice == f"reset: {name} → {expected}"
            select = app.screen.query_one(f"#setting-{name}", SettingSelect)
            assert select.value == expected

    drive(app, script)


def test_learning_rate_keys_apply_live(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        params = app.snapshot.params
        for key, direction in [("plus", 1), ("equals_sign", 1), ("minus", -1)]:
            expected = nudge(FIELD_BY_NAME["lr"], app.config.lr, direction)
            await pilot.press(key)
            await pilot.pause()
            assert app.config.lr == expected == app.snapshot.config.lr, key
            assert app.snapshot.step == 100  # live: no reset
            assert np.array_equal(app.snapshot.params.W1, params.W1)
            assert app.notice == f"lr → {expected:g} (live, at step 100)"
            lr_input = app.screen.query_one("#setting-lr", NumberInput)
            assert float(lr_input.value) == expected

    drive(app, script)


class BusyRunner(SyncRunner):
    """Like the training process in the middle of a chunk: a live change lands
    ``BUSY_STEPS`` steps after the step the screen shows."""

    BUSY_STEPS = 25

    def apply_live(self, **changes: object) -> Config:
        self.step(self.BUSY_STEPS)
        return super().apply_live(**changes)


def test_a_live_change_names_the_step_it_applied_at(make_app: MakeApp, drive: Drive):
    # At full speed the change lands hundreds of steps after the step on screen: the
    # notice said "lr → 0.5 (live, at step 3,146)" where the export said 3,545.
    app = make_app(runner=BusyRunner(TEST_CONFIG))

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await wait_until(pilot, lambda: app.snapshot.step == 100)
        await pilot.press("plus")
        await wait_until(pilot, lambda: app.snapshot.step == 125)
        applied = app.runner.export()["config_changes"]
        assert applied == [{"step": 125, "lr": 0.5}]
        assert app.notice == "lr → 0.5 (live, at step 125)"

    drive(app, script)


def test_live_change_mid_run_matches_the_engine(make_app: MakeApp, drive: Drive):
    """l2 typed into its box mid-run applies at that step, without a reset."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        box = app.screen.query_one("#setting-l2", NumberInput)
        box.focus()
        await pilot.pause()
        await pilot.press(*"0.05", "enter")
        await pilot.pause()
        assert app.config.l2 == 0.05
        assert app.snapshot.step == 100
        await pilot.press("escape", "S")
        await pilot.pause()

    drive(app, script)
    bare = Trainer(TEST_CONFIG)
    bare.step(100)
    bare.apply_live(l2=0.05)
    bare.step(100)
    assert np.array_equal(app.snapshot.params.W1, bare.snapshot().params.W1)


def test_architecture_change_resets_and_says_so(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        box = app.screen.query_one("#setting-hidden", NumberInput)
        box.focus()
        await pilot.pause()
        await pilot.press(*"3", "tab")  # leaving the box applies it, like Enter
        await pilot.pause()
        assert app.config.hidden == 3
        assert app.snapshot.step == 0
        assert app.snapshot.params.W1.shape == (3, 2)
        assert app.notice == "reset: hidden → 3"

    drive(app, script)


def test_escape_drops_what_was_typed(make_app: MakeApp, drive: Drive):
    """A stray 2 typed into ε and then Esc must not reset the run with ε = 2."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        box = app.screen.query_one("#setting-epsilon", NumberInput)
        box.focus()
        await pilot.pause()
        await pilot.press("2", "escape")
        await pilot.pause()
        assert app.focused is None
        assert app.config.epsilon == TEST_CONFIG.epsilon
        assert app.snapshot.step == 100  # no reset
        assert box.value == box.applied

    drive(app, script)


def test_bad_value_is_refused_with_one_line(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        box = app.screen.query_one("#setting-dropout", NumberInput)
        box.focus()
        await pilot.pause()
        await pilot.press(*"3", "enter")
        await pilot.pause()
        assert app.config.dropout == 0.0
        assert len(app.errors) == 1
        assert "\n" not in app.errors[0] and "dropout" in app.errors[0]
        assert app.notice == app.errors[0]
        assert box.value == "0"  # the box shows what is applied

    drive(app, script)


def test_arrow_keys_nudge_the_focused_number(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        box = app.screen.query_one("#setting-tie", NumberInput)
        box.focus()
        await pilot.pause()
        await pilot.press("up")
        await pilot.pause()
        first = nudge(FIELD_BY_NAME["tie"], 0.0, 1)
        assert app.config.tie == first > 0
        await pilot.press("up")
        await pilot.pause()
        assert app.config.tie > first
        await pilot.press("down", "down")
        await pilot.pause()
        assert app.config.tie == 0.0
        assert box.value == "0"
        assert _selected_units(app.main_screen.weights_panel) == ["▸u1"]  # not the units

    drive(app, script)


def test_fast_arrows_then_enter_land_on_the_last_value(quick_keys: None, make_app: MakeApp,
                                                       drive: Drive):
    """Keys faster than the app applies them (auto-repeat) must not jump back."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.screen.query_one("#setting-samples", NumberInput).focus()
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await wait_until(pilot, lambda: app.config.samples == TEST_CONFIG.samples - 3)
        assert app.snapshot.config.samples == TEST_CONFIG.samples - 3

    drive(app, script)


def test_select_by_keyboard_resets(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("3")
        await wait_until(pilot, lambda: isinstance(app.focused, SettingSelect))
        assert app.focused is not None and app.focused.id == "setting-init"
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        expected = nudge(FIELD_BY_NAME["init"], TEST_CONFIG.init, 1)
        assert app.config.init == expected
        assert app.notice == f"reset: init → {expected}"

    drive(app, script)


# -- the command palette -------------------------------------------------------------------


def _palette_ready(app: SymmetryApp) -> bool:
    """The palette is open and composed: keys typed now reach its input."""
    screen = app.screen
    return isinstance(screen, CommandPalette) and bool(screen.query(CommandList))


async def _palette_run(pilot: Pilot, app: RecordingApp, query: str, done) -> None:
    await pilot.press("ctrl+p")
    await wait_until(pilot, lambda: _palette_ready(app))
    await pilot.press(*query)
    palette = app.screen
    await wait_until(pilot, lambda: palette.query_one(CommandList).option_count > 0,
                     delay=0.01)
    await pilot.press("enter")
    await wait_until(pilot, done)


def test_command_palette_offers_actions_and_settings(quick_keys: None, make_app: MakeApp,
                                                     drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await _palette_run(pilot, app, "Init: xavier", lambda: app.config.init == "xavier")
        await _palette_run(pilot, app, "tie 0.25", lambda: app.config.tie == 0.25)
        await _palette_run(pilot, app, "Pause and run 100",
                           lambda: app.snapshot.step == 100)
        await _palette_run(pilot, app, "Slower", lambda: app.controller.speed == SPEEDS[-2])

    drive(app, script)


def test_view_keys_run_from_the_palette_and_not_behind_help(quick_keys: None,
                                                            make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        await _palette_run(pilot, app, "Units gallery", lambda: screen.view == "units")
        await _palette_run(pilot, app, "Loss plot: linear or log",
                           lambda: screen.loss_panel.log_scale)
        await _palette_run(pilot, app, "Presentation mode", lambda: screen.present)
        assert app.notice == "presentation mode: P or F5 leaves it"
        await pilot.press("P")
        await pilot.pause()
        assert not screen.present and app.notice == "presentation mode off"
        by_similarity = screen.similarity_panel.by_similarity
        await pilot.press("question_mark")
        await pilot.pause()
        await pilot.press("2", "l", "o")  # behind help (modal): none of them acts
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen) and screen.view == "units"
        assert screen.loss_panel.log_scale
        assert screen.similarity_panel.by_similarity == by_similarity

    drive(app, script)


def test_closing_the_palette_stops_its_no_matches_countdown(make_app: MakeApp, drive: Drive):
    """Textual's palette shows "No matches found" from a timer 0.5 s after a search
    that found nothing, and left that timer running when it closed: on a loaded machine
    (the storm) it fired while the palette was being taken down, found no list
    (NoMatches: 'CommandList') and ended the app.  Closing stops it at once."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: _settled(app) and isinstance(app.screen, CommandPalette))
        palette = app.screen
        await pilot.press(*"zqzqzq")
        await wait_until(pilot, lambda: palette._no_matches_timer is not None)
        countdown = palette._no_matches_timer
        palette._action_escape()  # what Esc runs; the list is taken down after this
        assert countdown._task is None, "the countdown outlived the close"
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.pause(0.6)  # past the countdown
        assert app.is_running

    drive(app, script)
    assert app.return_code is None


def test_palette_edit_command_focuses_the_setting_on_a_small_screen(
        quick_keys: None, make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.main_screen.shown_view == "weights"
        await _palette_run(pilot, app, "Edit learning rate",
                           lambda: getattr(app.focused, "id", None) == "setting-lr")
        assert app.main_screen.shown_view == "settings"
        await pilot.press(*"0.05", "enter")
        await wait_until(pilot, lambda: app.config.lr == 0.05)
        await pilot.pause()
        drawn = "\n".join(screen_lines(app))
        assert "0.05" in drawn and "Training" in drawn  # the settings view, lr as applied

    drive(app, script, size=(80, 24))


# -- divergence, failures, sizes -------------------------------------------------------------


def test_divergence_pauses_and_r_recovers(make_app: MakeApp, drive: Drive):
    app = make_app(Config(dataset="sine", lr=50.0, samples=80), steps_per_poll=50)

    async def script(pilot: Pilot) -> None:
        await pilot.press("space")
        await wait_until(pilot, lambda: app.snapshot.diverged)
        assert app.status.endswith("diverged — press r to reset")
        assert any("diverged" in error for error in app.errors)
        assert np.isfinite(app.snapshot.params.W1).all()  # the last finite picture
        await pilot.press("space")  # cannot play on
        await pilot.pause()
        assert app.controller.state == "diverged"
        assert app.notice == "diverged: press r to reset"
        await pilot.press(*["minus"] * 8)  # 50 → 20 → ... → 0.1: a sane learning rate
        await pilot.pause()
        assert app.config.lr == 0.1
        await pilot.press("r")
        await wait_until(pilot, lambda: app.snapshot.step > 0)
        assert not app.snapshot.diverged
        assert app.status.endswith("running")  # it was running before it diverged

    drive(app, script)


def test_divergence_while_stepping_by_hand_stays_paused_after_reset(make_app: MakeApp,
                                                                     drive: Drive):
    app = make_app(Config(dataset="sine", lr=50.0, samples=80))

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        assert app.snapshot.diverged and app.status.endswith("press r to reset")
        diverged_at = app.snapshot.step
        await pilot.press("s")  # stepping on is refused too
        await pilot.pause()
        assert app.snapshot.step == diverged_at
        await pilot.press("r")
        await pilot.pause()
        assert not app.snapshot.diverged and app.snapshot.step == 0
        assert app.status.endswith("paused")

    drive(app, script)


def test_dead_runner_is_reported_and_restarted(make_app: MakeApp, drive: Drive):
    runner = DyingRunner(TEST_CONFIG)
    app = make_app(runner=runner)

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        runner.dead = True
        app.poll_now()
        await pilot.pause()
        assert runner.restarts == 1
        assert "stopped unexpectedly" in app.errors[-1] and "fresh" in app.notice
        assert app.snapshot.step == 0
        await pilot.press("S")
        await pilot.pause()
        assert app.snapshot.step == 100

    drive(app, script)


def test_a_runner_that_keeps_dying_is_not_restarted_forever(make_app: MakeApp,
                                                            drive: Drive):
    runner = DyingRunner(TEST_CONFIG)
    app = make_app(runner=runner, clock=lambda: 0.0)  # every death within the window

    async def script(pilot: Pilot) -> None:
        for _ in range(5):
            runner.dead = True
            app.poll_now()
            await pilot.pause()
        assert runner.restarts == 3
        assert runner.dead and "keeps failing" in app.errors[-1]
        assert app.status.endswith("stopped — press r to retry")
        await pilot.press("r")  # the user asks for another try
        await pilot.pause()
        assert runner.restarts == 4 and not runner.dead

    drive(app, script)


def test_resizing_down_to_20x8_and_back(make_app: MakeApp, drive: Drive):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        await pilot.press("S")
        for size in [(100, 30), (80, 24), (MIN_SIZE[0], MIN_SIZE[1]), (59, 19), (20, 8),
                     (80, 24), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            too_small = size[0] < MIN_SIZE[0] or size[1] < MIN_SIZE[1]
            assert screen.too_small is too_small
            assert _visible(screen.main_area) is not too_small
            message = str(screen.too_small_message.render())
            if too_small:
                assert f"enlarge the terminal to at least {MIN_SIZE[0]}×{MIN_SIZE[1]}" in message
                assert f"(now {size[0]}×{size[1]})" in message
                await pilot.press("o", "j", "3", "1", "0")  # keys keep working
        assert _visible(screen.weights_panel) and _visible(screen.loss_panel)
        assert app.snapshot.step == 100
        for keys_ in (["question_mark"], ["ctrl+p"], ["3", "tab", "enter"]):  # other screens
            await pilot.press(*keys_)
            for size in [(20, 8), (120, 40)]:
                await pilot.resize_terminal(*size)
                await pilot.pause()
            await pilot.press("escape", "escape")
            await wait_until(pilot, lambda: app.screen is screen)

    drive(app, script, size=(120, 40))


@pytest.mark.parametrize("opener", ["", "question_mark", "ctrl+p"])
def test_a_screen_handed_an_older_size_settles_on_the_terminals(
        opener: str, make_app: MakeApp, drive: Drive, monkeypatch: pytest.MonkeyPatch):
    """A screen can hold two resizes at once, one of them for a size the terminal no
    longer has (the terminal resized again while the screen was busy; a modal on top
    lays the screen under it out at once while the app's resize is still queued for
    it).  Textual's screen, laid out at a new size, queues a resize of that size to
    itself, so the two sizes took turns for ever: the storm's app redrew 100×30 and
    30×10 in a loop, starved every other task, ignored ctrl+q and outlived SIGHUP."""
    app = make_app()
    handled: collections.Counter[str] = collections.Counter()
    lay_out = Screen._on_resize

    async def counted(screen: Screen, event: Resize) -> None:
        handled[type(screen).__name__] += 1
        if handled[type(screen).__name__] <= 50:  # beyond: the loop; end it, fail below
            await lay_out(screen, event)

    monkeypatch.setattr(Screen, "_on_resize", counted)

    async def script(pilot: Pilot) -> None:
        if opener:  # the main screen under the help screen / the palette
            await pilot.press(opener)
            await wait_until(pilot, lambda: len(app.screen_stack) == 2 and _settled(app))
        await pilot.resize_terminal(100, 30)
        # The terminal's own resize, and the one each screen queues to itself after
        # laying out, may still be waiting on a busy machine: count only what follows.
        await wait_until(pilot, lambda: all(
            screen.size == Size(100, 30) and screen._message_queue.empty()
            for screen in app.screen_stack) and app._message_queue.empty())
        handled.clear()
        for screen in app.screen_stack:
            for size in (Size(30, 10), Size(100, 30)):
                screen.post_message(Resize(size, size))
                screen.call_later(lambda: None)  # so the second does not replace the first
        for _ in range(5):
            await pilot.pause()
        assert max(handled.values()) <= 2, handled
        assert all(screen.size == Size(100, 30) for screen in app.screen_stack)
        assert not app.main_screen.too_small

    drive(app, script, size=(120, 40))


# -- random keys -------------------------------------------------------------------------------


class CappedRunner(SyncRunner):
    """Caps steps per request: random keys can type samples=99999, hidden=256 and then
    press S; this test is about the UI surviving keys, not about training speed."""

    def step(self, n: int = 1) -> None:
        super().step(min(n, 5))


RANDOM_KEYS = (
    "space", "s", "full_stop", "S", "n", "r", "R", "N", "question_mark", "f1", "e", "o", "l",
    "up", "down", "j", "k", "i", "I", "d", "a", "m", "plus", "minus", "0", "1", "2", "3",
    "escape", "tab", "shift+tab", "enter", "backspace", "ctrl+p", "left", "right", "home",
    "end", "x", "y", "z", "b", "c", "less_than_sign", "greater_than_sign", "1", "2", "3",
    "0", "f1",
)


class StayingApp(RecordingApp):
    """Random keys can pick "Stop training and quit" in the palette: count it, stay."""

    quits = 0

    async def action_quit(self) -> None:
        self.quits += 1


def _settled(app: SymmetryApp) -> bool:
    """No screen is half-way through opening (the palette composes its list late)."""
    screen = app.screen
    return not isinstance(screen, CommandPalette) or bool(screen.query(CommandList))


@pytest.mark.parametrize("chunk", range(2))
def test_random_keys_never_crash(chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                 quick_keys: None, drive: Drive):
    """250 seeded random keys per chunk across every screen and size."""
    monkeypatch.chdir(tmp_path)  # "e" writes export files
    config = Config(samples=60, hidden=4, seed=chunk)
    app = StayingApp(config, runner=CappedRunner(config), autoplay=False, show_rates=False,
                     numbers_interval=0.0)
    rng = random.Random(1000 + chunk)
    sizes = [(120, 40), (80, 24), (60, 20), (100, 30)]

    async def script(pilot: Pilot) -> None:
        for batch in range(10):
            if batch % 3 == 0:
                await pilot.resize_terminal(*sizes[(batch // 3 + chunk) % len(sizes)])
            batch_keys = [rng.choice(RANDOM_KEYS) for _ in range(25)]
            while batch_keys:
                # Up to the next ctrl+p, then wait for the palette to be composed: keys
                # sent to a half-built palette hit Textual's NoMatches('CommandList').
                cut = batch_keys.index("ctrl+p") + 1 if "ctrl+p" in batch_keys else None
                now, batch_keys = batch_keys[:cut], batch_keys[len(batch_keys[:cut]):]
                await pilot.press(*now)
                await wait_until(pilot, lambda: _settled(app))
            assert app.is_running
        # Only the exports: the command palette cancels its own search workers (and
        # wait_for_complete([]) would wait for every worker).
        for worker in [w for w in app.workers if w.group == "export"]:
            await worker.wait()
        await pilot.pause()
        assert app.status.startswith("step ")

    drive(app, script)
    assert app.return_code is None  # ended by the test, not by an error


def test_random_keys_visit_every_screen(make_app: MakeApp, drive: Drive):
    """The random key alphabet does reach help, the palette and a setting."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        seen = set()
        for key in ["question_mark", "escape", "ctrl+p", "escape", "3", "tab", "escape"]:
            assert key in RANDOM_KEYS
            await pilot.press(key)
            await pilot.pause()
            seen.add(type(app.screen).__name__)
            if isinstance(app.screen, CommandPalette):  # or the app's own subclass of it
                seen.add("CommandPalette")
            if isinstance(app.focused, Input):
                seen.add("Input")
        assert {"HelpScreen", "CommandPalette", "MainScreen", "Input"} <= seen

    drive(app, script)


# -- the real process runner and the real terminal ----------------------------------------------


@pytest.mark.slow
def test_the_real_process_runner_trains_and_recovers_from_a_dead_child(drive: Drive):
    """The app with its default runner: trains off the event loop; a killed training
    process is reported and replaced while the app runs (spawned from inside Textual)."""
    app = RecordingApp(Config(samples=80, hidden=4), fps=30)
    runner = app.runner
    assert isinstance(runner, ProcessRunner)
    pids: list[int] = []

    async def script(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: app.snapshot.step > 500, tries=600, delay=0.05)
        await wait_until(pilot, lambda: app.status.endswith("steps/s · running"))
        await pilot.press("space")
        assert app.status.endswith("paused")
        old_pid = runner.pid
        assert old_pid is not None
        os.kill(old_pid, signal.SIGKILL)
        await wait_until(pilot, lambda: runner.pid != old_pid and runner.failure is None,
                         tries=600, delay=0.05)
        assert any("stopped unexpectedly" in error for error in app.errors)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.snapshot.step > 100, tries=600, delay=0.05)
        pids.append(old_pid)
        pids.append(runner.pid)

    drive(app, script)
    for pid in pids:
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)


class PtyApp:
    """``python -m tui_symmetry`` in a pseudo-terminal of 100×30, output recorded.

    ``python``: what follows the interpreter instead of ``-m tui_symmetry`` (a script
    that changes the app, then runs the same command line).
    """

    def __init__(self, *args: str, python: tuple[str, ...] = ("-m", "tui_symmetry")) -> None:
        pid, fd = pty.fork()
        if pid == 0:  # the child becomes the app
            fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
            env = dict(os.environ, TERM="xterm-256color")
            for name in ("COLUMNS", "LINES"):  # pytest-xdist sets them; they win over the pty
                env.pop(name, None)
            os.execvpe(sys.executable, [sys.executable, *python, *args], env)
        self.pid, self.fd = pid, fd
        self.output = bytearray()
        self.status: int | None = None

    def read_until(self, marker: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while marker not in self.output and time.monotonic() < deadline:
            if select.select([self.fd], [], [], 0.05)[0]:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:  # the app closed the terminal: it has gone
                    break
                if not data:
                    break
                self.output.extend(data)
        return marker in self.output

    def training_children(self) -> list[int]:
        """Pids of the app's child processes (the training process)."""
        children = []
        for task in Path(f"/proc/{self.pid}/task").iterdir():
            text = (task / "children").read_text()
            children.extend(int(pid) for pid in text.split())
        return children

    def wait_exit(self, timeout: float) -> int | None:
        """The exit status once the app has gone (None if it is still there)."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            pid, status = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                self.status = status
                return status
            if self.fd >= 0:
                self.read_until(b"\x00never", 0.1)
            else:
                time.sleep(0.05)
        return None

    def close_master(self) -> None:
        os.close(self.fd)
        self.fd = -1

    def kill(self) -> None:
        if self.status is None:
            with contextlib.suppress(ProcessLookupError, ChildProcessError):
                os.kill(self.pid, signal.SIGKILL)
                os.waitpid(self.pid, 0)
        if self.fd >= 0:
            os.close(self.fd)


def _gone(pid: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        time.sleep(0.05)
    return False


def _left_the_terminal_clean(output: bytes, crashed: bool = False) -> None:
    """After its last frame the app left the alternate screen, mouse off, cursor shown
    (and, unless it ``crashed``, printed no traceback)."""
    assert crashed or b"Traceback" not in output
    tail = output[output.rfind(b"\x1b[?1049h"):]
    for sequence in (b"\x1b[?1049l", b"\x1b[?1000l", b"\x1b[?25h"):
        assert sequence in tail, sequence
    assert tail.rfind(b"\x1b[?25h") > tail.rfind(b"\x1b[?25l")


def _training_started(app: PtyApp) -> list[int]:
    """Wait for the first frame of a running app; its training processes."""
    assert app.read_until(b"steps/s \xc2\xb7 running", 60), app.output[-500:]
    return app.training_children()


def _ended_with(app: PtyApp, code: int, children: list[int],
                why: str = "the app did not end") -> None:
    """The app exited with ``code`` within 30 s and left no training process behind."""
    status = app.wait_exit(30)
    assert status is not None, why
    assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == code
    assert children and all(_gone(pid, 30) for pid in children)


@pytest.mark.slow
def test_the_command_runs_in_a_real_terminal_and_quits_cleanly():
    """`python -m tui_symmetry` in a pseudo-terminal: first frame, training, q, exit 0."""
    app = PtyApp("--hidden", "4")
    try:
        children = _training_started(app)
        os.write(app.fd, b"q")
        _ended_with(app, 0, children)
    finally:
        app.kill()
    _left_the_terminal_clean(bytes(app.output))


@pytest.mark.slow
@pytest.mark.parametrize("signum", [signal.SIGTERM, signal.SIGHUP, signal.SIGINT])
def test_signals_end_the_app_like_q(signum: int):
    app = PtyApp("--hidden", "4")
    try:
        children = _training_started(app)
        os.kill(app.pid, signum)
        _ended_with(app, 128 + signum, children)
    finally:
        app.kill()
    _left_the_terminal_clean(bytes(app.output))


@pytest.mark.slow
def test_a_stray_sigcont_leaves_q_working():
    """SIGCONT without a stop before it (kill -CONT, a debugger, the kernel after a
    hang-up): Textual's driver started application mode a second time, two input
    threads read the terminal, and q then hung for ever joining the one blocked in
    read() (found by the storm, with the screen resizing between two sizes)."""
    app = PtyApp("--hidden", "4")
    try:
        children = _training_started(app)
        os.kill(app.pid, signal.SIGCONT)
        drawn = len(app.output)
        deadline = time.monotonic() + 30
        while len(app.output) == drawn and time.monotonic() < deadline:
            app.read_until(b"\x00never", 0.1)  # the app draws on after the signal
        assert len(app.output) > drawn
        os.write(app.fd, b"q")
        _ended_with(app, 0, children, "q did not end the app after a SIGCONT")
    finally:
        app.kill()
    _left_the_terminal_clean(bytes(app.output))


CRASH_ON_HELP = """
import sys
from tui_symmetry.app.app import SymmetryApp
def crash(self):
    raise RuntimeError("a deliberate crash")
SymmetryApp.action_help = crash
from tui_symmetry.cli import main
raise SystemExit(main(sys.argv[1:]))
"""
"""The app's command, with a bug planted in the help key (?)."""


@pytest.mark.slow
def test_a_crash_exits_1_with_the_terminal_restored_and_training_stopped():
    app = PtyApp("--hidden", "4", python=("-c", CRASH_ON_HELP))
    try:
        children = _training_started(app)
        os.write(app.fd, b"?")
        _ended_with(app, 1, children)
    finally:
        app.kill()
    output = bytes(app.output)
    _left_the_terminal_clean(output, crashed=True)
    left = output.rfind(b"\x1b[?1049l")
    assert output.find(b"a deliberate crash", left) > left  # the traceback, on the terminal
    assert output.rstrip().splitlines()[-1] == (
        b"tui-symmetry: error: the app stopped on an internal error (RuntimeError: a "
        b"deliberate crash); its traceback is above, and the training process was stopped")


@pytest.mark.slow
def test_a_dropped_link_ends_the_app_and_its_training():
    """The terminal disappears (SSH link dropped: the pty master closes)."""
    app = PtyApp("--hidden", "4")
    try:
        children = _training_started(app)
        app.close_master()
        status = app.wait_exit(30)
        assert status is not None, "the app is still running after its terminal went away"
        assert children and all(_gone(pid, 30) for pid in children)
    finally:
        app.kill()


def test_the_first_frame_has_the_status_line_and_the_footer_keys(make_app: MakeApp,
                                                                 drive: Drive):
    """Before the first frame is drawn (the screen's on_ready), the status line and the
    footer's keys are there with the panels, not a frame interval later."""
    from textual.widgets._footer import FooterKey

    app = make_app(fps=1)  # the app's own polls come a second apart: not them
    seen: dict[str, object] = {}
    screen = app.main_screen
    ready = screen.on_ready
    assert ready is not None

    def record() -> None:
        ready()
        seen["status"] = screen.status_bar.text
        seen["keys"] = [key.key for key in screen.footer.query(FooterKey)]

    screen.on_ready = record

    async def script(pilot: Pilot) -> None:
        assert "step 0" in str(seen["status"]) and "paused" in str(seen["status"])
        assert "space" in seen["keys"] and "q" in seen["keys"]

    drive(app, script)


def test_the_footer_keys_and_the_settings_are_made_and_styled_once(
        make_app: MakeApp, drive: Drive):
    """The screen publishes its bindings after the first frame (and asks the footer to
    recompose): the same bindings keep the same keys, each styled once as it mounts.
    The settings' compact controls are styled as they mount, not again for a class.
    A change of bindings (a setting focused) still brings its keys (Enter, Esc)."""
    from textual.widgets._footer import FooterKey

    app = make_app()
    screen = app.main_screen
    first: list[FooterKey] = []
    ready = screen.on_ready
    assert ready is not None

    def record() -> None:
        ready()
        first.extend(screen.footer.query(FooterKey))

    screen.on_ready = record
    restyled: list[object] = []
    update_styles = app.update_styles

    def spy(node: Any = None, animate: bool = True) -> None:
        restyled.append(node)
        update_styles(node, animate)

    app.update_styles = spy  # type: ignore[method-assign]

    async def script(pilot: Pilot) -> None:
        await wait_until(pilot, lambda: app.screen.footer.is_mounted)
        for _ in range(5):  # the bindings' publication and the recompose it asks for
            await pilot.pause()
        keys = list(screen.footer.query(FooterKey))
        assert keys and keys == first
        assert not [node for node in restyled if isinstance(node, FooterKey)]
        settings = screen.settings_area
        assert not [node for node in restyled if node is not None and (
            node is settings or settings in node.ancestors)]
        assert all(control.compact and control.has_class("-textual-compact")
                   for panel in screen.settings_panels for control in panel.controls)
        screen.focus_setting("lr")
        await wait_until(pilot, lambda: "enter" in [
            key.key for key in screen.footer.query(FooterKey)])

    drive(app, script)


def test_the_interpreter_is_tuned_for_the_screen():
    """prepare_interpreter_for_ui (what run_app calls before the app runs)."""
    from tui_symmetry.app import (
        UI_GC_THRESHOLDS,
        UI_SWITCH_INTERVAL_S,
        prepare_interpreter_for_ui,
    )

    thresholds, interval = gc.get_threshold(), sys.getswitchinterval()
    frozen = gc.get_freeze_count() > 0  # conftest tunes every test process the same way
    try:
        prepare_interpreter_for_ui()
        assert gc.get_freeze_count() > 10_000  # modules, classes: never garbage
        assert gc.get_threshold() == UI_GC_THRESHOLDS
        assert sys.getswitchinterval() == pytest.approx(UI_SWITCH_INTERVAL_S)
    finally:
        gc.unfreeze()
        if frozen:  # the later tests of this process keep a frozen heap
            gc.freeze()
        gc.set_threshold(*thresholds)
        sys.setswitchinterval(interval)


def test_tests_run_the_app_in_an_interpreter_tuned_like_run_app_and_without_animations():
    """conftest gives every test process what run_app gives the app (garbage collection
    as rare, the heap frozen) and turns Textual's animations off for the apps tests run
    in-process: a key that scrolls waits for its final position, not for a second of
    animation.  The first saves a quarter of the app tests' CPU time (paired runs)."""
    from tui_symmetry.app import UI_GC_THRESHOLDS

    assert gc.get_threshold() == UI_GC_THRESHOLDS
    assert RecordingApp(TEST_CONFIG, runner=SyncRunner(TEST_CONFIG)).animation_level == "none"
