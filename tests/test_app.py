"""Functional tests of the app through Textual's Pilot, with a deterministic SyncRunner.

Every key binding, live reconfiguration versus reset, settings editing by keyboard,
divergence, resizing down to 20×8, a dead training process, and 2,000 random keys.
Two tests use the real ProcessRunner: one through Pilot, one running the command in
a pseudo-terminal.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import fcntl
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
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import textual.app
from textual.command import CommandPalette
from textual.pilot import Pilot
from textual.widgets import Input

import tui_symmetry.export
from tui_symmetry.app.app import MIN_SIZE, SymmetryApp, format_status
from tui_symmetry.app.controls import NumberInput, SettingSelect, nudge
from tui_symmetry.app.screens import HelpScreen
from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.config import FIELD_BY_NAME
from tui_symmetry.runner import ProcessRunner, SyncRunner

TEST_CONFIG = Config(samples=80, hidden=6, seed=1)


class RecordingApp(SymmetryApp):
    """The app, plus a record of every notification it shows."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, severity: str = "information",
               **kwargs: Any) -> None:
        self.messages.append((severity, str(message)))
        super().notify(message, *args, severity=severity, **kwargs)

    @property
    def errors(self) -> list[str]:
        return [text for severity, text in self.messages if severity == "error"]

    @property
    def last_message(self) -> str:
        return self.messages[-1][1] if self.messages else ""


def make_app(config: Config = TEST_CONFIG, steps_per_poll: int = 0,
             runner: SyncRunner | None = None) -> RecordingApp:
    return RecordingApp(
        config,
        runner=runner or SyncRunner(config, steps_per_poll=steps_per_poll),
        show_rates=False,
        loss_interval=0.0,
    )


def drive(app: SymmetryApp, script: Callable[[Pilot], Awaitable[None]],
          size: tuple[int, int] = (120, 40)) -> None:
    """Run ``script`` against ``app`` in a headless terminal of ``size``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


def status(app: SymmetryApp) -> str:
    return str(app.status_bar.render())


# -- the status line ----------------------------------------------------------------------


def test_status_line_has_the_documented_shape():
    snapshot = SyncRunner(Config(hidden=8)).latest()
    text = format_status(snapshot, "running")
    assert text.startswith("step 0 · loss ")
    assert " · symmetry 1.000 · distinct 1/8 · — steps/s · running" in text
    fast = dataclasses.replace(snapshot, step=12_400, steps_per_s=9_812.0)
    assert format_status(fast, "paused").startswith("step 12,400 · loss ")
    assert "· 9,800 steps/s · paused" in format_status(fast, "paused")
    assert "— steps/s" in format_status(fast, "paused", show_rate=False)
    narrow = format_status(fast, "diverged — press r to reset", width=78)
    assert len(narrow) <= 78 and narrow.endswith("diverged — press r to reset")
    assert narrow.startswith("step 12,400 · loss ")


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
    for field in spec.values():  # every nudge of every default is a valid value
        value = getattr(Config(), field.name)
        for direction in (1, -1):
            field.coerce(nudge(field, value, direction))


# -- run keys -----------------------------------------------------------------------------


def test_space_plays_and_pauses():
    app = make_app(steps_per_poll=5)

    async def script(pilot: Pilot) -> None:
        assert status(app).endswith("paused")
        await pilot.press("space")
        await pilot.pause(0.2)
        assert app.runner.running
        assert status(app).endswith("running")
        assert app.snapshot.step > 0
        await pilot.press("space")
        await pilot.pause()
        stopped = app.snapshot.step
        await pilot.pause(0.2)
        assert app.snapshot.step == stopped
        assert status(app).endswith("paused")

    drive(app, script)


@pytest.mark.parametrize(("keys", "steps"), [("s", 1), ("full_stop", 1), ("S", 100), ("n", 100)])
def test_step_keys_pause_and_step_exactly(keys: str, steps: int):
    app = make_app(steps_per_poll=3)

    async def script(pilot: Pilot) -> None:
        await pilot.press("space")
        await pilot.pause(0.1)
        assert app.runner.running
        await pilot.press(keys)
        await pilot.pause()
        assert not app.runner.running
        before = app.snapshot.step
        await pilot.press(keys)
        await pilot.pause()
        assert app.snapshot.step == before + steps
        assert status(app).startswith(f"step {before + steps:,} · loss ")

    drive(app, script)


def test_reset_restarts_the_same_run():
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
        assert app.last_message.startswith("reset")

    drive(app, script)


@pytest.mark.parametrize("key", ["R", "N"])
def test_new_seed(key: str):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S", key)
        await pilot.pause()
        assert app.config.seed == TEST_CONFIG.seed + 1
        assert app.snapshot.step == 0
        assert app.snapshot.config.seed == TEST_CONFIG.seed + 1
        assert app.last_message == f"reset: seed → {TEST_CONFIG.seed + 1}"

    drive(app, script)


@pytest.mark.parametrize("key", ["question_mark", "f1"])
def test_help_screen_lists_every_binding(key: str):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press(key)
        await pilot.pause()
        assert isinstance(app.screen, HelpScreen)
        table_text = " ".join(
            f"{keys} {what}" for _, rows in app.screen.sections for keys, what in rows
        )
        for binding in app.BINDINGS:
            assert binding.tooltip and binding.tooltip in table_text
            assert binding.id and binding.description  # every binding: id + description
        await pilot.press(key)  # the same key closes it
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)
        await pilot.press(key, "escape")
        await pilot.pause()
        assert not isinstance(app.screen, HelpScreen)

    drive(app, script)


def test_q_quits_and_closes_the_runner():
    runner = SyncRunner(TEST_CONFIG)
    app = make_app(runner=runner)

    async def script(pilot: Pilot) -> None:
        await pilot.press("q")
        await pilot.pause()

    drive(app, script)
    assert app.return_code == 0
    assert runner.closed


def test_export_writes_the_run(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.chdir(tmp_path)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S", "e")
        await app.workers.wait_for_complete()
        await pilot.pause()

    drive(app, script)
    files = list(tmp_path.glob("*.json"))
    assert [f.name for f in files] == ["tui-symmetry-xor-h6-step100.json"]
    document = json.loads(files[0].read_text())
    assert document["step"] == 100
    assert document["config"]["hidden"] == 6
    assert app.last_message == f"exported {files[0]}"


def test_export_failure_is_reported(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    def disk_full(path: object, document: object) -> None:
        raise OSError(28, "No space left on device")

    monkeypatch.chdir(tmp_path)
    monkeypatch.setattr(tui_symmetry.export, "write_json_atomic", disk_full)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("e")
        await app.workers.wait_for_complete()
        await pilot.pause()
        assert app.is_running
        await pilot.press("S")  # and the run goes on
        await pilot.pause()
        assert app.snapshot.step == 100

    drive(app, script)
    assert app.errors == ["export failed: [Errno 28] No space left on device"]
    assert list(tmp_path.iterdir()) == []


# -- view keys ------------------------------------------------------------------------------


def test_similarity_order_and_log_scale_toggles():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        order = app.similarity_panel.by_similarity
        log = app.loss_panel.log_scale
        await pilot.press("o", "l")
        assert app.similarity_panel.by_similarity is not order
        assert app.loss_panel.log_scale is not log
        await pilot.press("o", "l")
        assert app.similarity_panel.by_similarity is order
        assert app.loss_panel.log_scale is log

    drive(app, script)


def test_unit_selection_keys():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        panel = app.weights_panel
        assert panel.selected_unit == 0
        await pilot.press("down", "j")
        assert panel.selected_unit == 2
        await pilot.press("k")
        assert panel.selected_unit == 1
        await pilot.press("up", "up")  # wraps around
        assert panel.selected_unit == TEST_CONFIG.hidden - 1

    drive(app, script)


def test_view_keys_switch_panels():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.shown_view == "all" and not app.view_bar.display
        assert app.loss_panel.display and app.weights_panel.region.width > 0
        await pilot.press("2")
        await pilot.pause()
        assert app.shown_view == "loss" and app.view_bar.display
        assert app.weights_panel.region.width == 0
        assert app.loss_panel.region.width > 0
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.focused, SettingSelect)  # settings view: ready to edit
        await pilot.press("escape")
        assert app.focused is None
        await pilot.press("1")
        await pilot.pause()
        assert app.weights_panel.region.width > 0 and app.loss_panel.region.width == 0
        await pilot.press("0")
        await pilot.pause()
        assert app.shown_view == "all" and not app.view_bar.display

    drive(app, script)


@pytest.mark.parametrize(("size", "view"), [((100, 30), "all"), ((99, 30), "units"),
                                           ((100, 29), "units"), ((200, 60), "all")])
def test_which_sizes_show_every_panel(size: tuple[int, int], view: str):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.shown_view == view
        panels = [app.weights_panel, app.similarity_panel, app.loss_panel,
                  *app.settings_panels]
        shown = [panel.region.width > 0 and panel.region.height > 0 for panel in panels]
        assert all(shown) if view == "all" else shown == [True, True, False, False, False,
                                                           False]

    drive(app, script, size=size)


def test_small_terminal_shows_one_view_at_a_time():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.effective_view == "units"  # "all" does not fit in 80×24
        assert "1 Units" in str(app.view_bar.render())
        assert "0 All" not in str(app.view_bar.render())
        assert app.weights_panel.region.width > 0
        assert app.similarity_panel.region.width > 0
        await pilot.press("3")
        await pilot.pause()
        rows = [control.region for panel in app.settings_panels for control in panel.controls]
        assert all(region.height == 1 for region in rows)  # every setting visible at 80×24
        await pilot.press("escape", "2")
        await pilot.pause()
        assert app.shown_view == "loss"
        assert app.loss_panel.region.height >= 10

    drive(app, script, size=(80, 24))


# -- settings by key ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("key", "name", "direction"),
    [("i", "init", 1), ("I", "init", -1), ("d", "dataset", 1), ("a", "activation", 1),
     ("m", "optimizer", 1)],
)
def test_cycle_keys_reset_with_the_next_choice(key: str, name: str, direction: int):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        expected = nudge(FIELD_BY_NAME[name], getattr(TEST_CONFIG, name), direction)
        await pilot.press(key)
        await pilot.pause()
        assert getattr(app.config, name) == expected
        assert app.snapshot.step == 0
        assert getattr(app.snapshot.config, name) == expected
        assert app.last_message == f"reset: {name} → {expected}"
        select = app.screen.query_one(f"#setting-{name}", SettingSelect)
        assert select.value == expected

    drive(app, script)


@pytest.mark.parametrize(("key", "direction"), [("plus", 1), ("equals_sign", 1), ("minus", -1)])
def test_learning_rate_keys_apply_live(key: str, direction: int):
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        params = app.snapshot.params
        await pilot.press(key)
        await pilot.pause()
        expected = nudge(FIELD_BY_NAME["lr"], TEST_CONFIG.lr, direction)
        assert app.config.lr == expected
        assert app.snapshot.config.lr == expected
        assert app.snapshot.step == 100  # live: no reset
        assert np.array_equal(app.snapshot.params.W1, params.W1)
        assert "(live" in app.last_message
        lr_input = app.screen.query_one("#setting-lr", NumberInput)
        assert float(lr_input.value) == expected

    drive(app, script)


def test_live_change_mid_run_matches_the_engine():
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


def test_architecture_change_resets_and_says_so():
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
        assert app.last_message == "reset: hidden → 3"

    drive(app, script)


def test_bad_value_is_refused_with_one_line():
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
        assert box.value == "0"  # the box shows what is applied
        assert app.is_running

    drive(app, script)


def test_arrow_keys_nudge_the_focused_number():
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
        assert app.weights_panel.selected_unit == 0  # arrows went to the box, not the units

    drive(app, script)


def test_fast_arrows_then_enter_land_on_the_last_value(monkeypatch: pytest.MonkeyPatch):
    """Keys faster than the app applies them (auto-repeat) must not jump back."""
    monkeypatch.setattr(textual.app, "wait_for_idle", _settle_once)
    app = make_app()

    async def script(pilot: Pilot) -> None:
        app.screen.query_one("#setting-samples", NumberInput).focus()
        await pilot.pause()
        await pilot.press("down", "down", "down", "enter")
        await pilot.pause()
        assert app.config.samples == TEST_CONFIG.samples - 3
        assert app.snapshot.config.samples == TEST_CONFIG.samples - 3

    drive(app, script)


def test_select_by_keyboard_resets():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("3")
        await pilot.pause()
        assert isinstance(app.focused, SettingSelect) and app.focused.id == "setting-init"
        await pilot.press("enter", "down", "enter")
        await pilot.pause()
        expected = nudge(FIELD_BY_NAME["init"], TEST_CONFIG.init, 1)
        assert app.config.init == expected
        assert app.last_message == f"reset: init → {expected}"

    drive(app, script)


def test_command_palette_offers_actions_and_settings():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("ctrl+p")
        await pilot.pause()
        assert isinstance(app.screen, CommandPalette)
        await pilot.press(*"Init: xavier")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.config.init == "xavier"
        await pilot.press("ctrl+p")
        await pilot.press(*"tie 0.25")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.config.tie == 0.25
        await pilot.press("ctrl+p")
        await pilot.press(*"Pause and run 100")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.snapshot.step == 100

    drive(app, script)


def test_palette_edit_command_focuses_the_setting_on_a_small_screen():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        assert app.shown_view == "units"
        await pilot.press("ctrl+p", *"Edit learning rate")
        await pilot.pause(0.5)
        await pilot.press("enter")
        await pilot.pause()
        assert app.shown_view == "settings"
        assert isinstance(app.focused, NumberInput) and app.focused.id == "setting-lr"
        await pilot.press(*"0.05", "enter")
        await pilot.pause()
        assert app.config.lr == 0.05

    drive(app, script, size=(80, 24))


def test_palette_lists_every_action_and_choice():
    from tui_symmetry.app.commands import SymmetryCommands

    app = make_app()

    async def script(pilot: Pilot) -> None:
        provider = SymmetryCommands(app.screen)
        titles = [title for title, _, _ in provider._commands()]
        for binding in app.BINDINGS:
            assert binding.tooltip in titles
        assert "Init: symmetric" in titles and "Optimizer: adam" in titles
        assert any(title.startswith("Edit learning rate") for title in titles)
        direct = provider._direct_setting("lr 0.05")
        assert direct is not None and direct.text == "Set learning rate = 0.05"
        assert provider._direct_setting("lr banana") is None

    drive(app, script)


# -- divergence, failures, sizes -------------------------------------------------------------


def test_divergence_pauses_and_r_recovers():
    config = Config(dataset="sine", lr=50.0, samples=80)
    app = make_app(config, steps_per_poll=50)

    async def script(pilot: Pilot) -> None:
        await pilot.press("space")
        await pilot.pause(0.3)
        assert app.snapshot.diverged
        assert not app.runner.running
        assert status(app).endswith("diverged — press r to reset")
        assert any("diverged" in error for error in app.errors)
        assert np.isfinite(app.snapshot.params.W1).all()  # the last finite picture
        await pilot.press("space")  # cannot play on
        await pilot.pause()
        assert not app.runner.running
        for _ in range(8):
            await pilot.press("minus")  # 50 → 20 → ... → 0.1: a sane learning rate
        assert app.config.lr == 0.1
        await pilot.press("r")
        await pilot.pause(0.2)
        assert not app.snapshot.diverged
        assert app.runner.running  # it was running before it diverged
        assert "diverged" not in status(app)

    drive(app, script)


def test_divergence_while_stepping_by_hand_stays_paused_after_reset():
    app = make_app(Config(dataset="sine", lr=50.0, samples=80))

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        assert app.snapshot.diverged and status(app).endswith("press r to reset")
        await pilot.press("s")  # stepping on is refused too
        await pilot.pause()
        assert app.snapshot.diverged
        await pilot.press("r")
        await pilot.pause()
        assert not app.snapshot.diverged and app.snapshot.step == 0
        assert not app.runner.running
        assert status(app).endswith("paused")

    drive(app, script)


class DyingRunner(SyncRunner):
    """A SyncRunner whose 'process' dies once, to test the app's recovery."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.dead = False
        self.restarts = 0

    @property
    def failure(self) -> str | None:
        return "the training process stopped unexpectedly (exit code -9)" if self.dead else None

    def restart(self) -> None:
        self.dead = False
        self.restarts += 1
        super().restart()


def test_dead_runner_is_reported_and_restarted():
    runner = DyingRunner(TEST_CONFIG)
    app = make_app(runner=runner)

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        await pilot.pause()
        runner.dead = True
        await pilot.pause(0.2)
        assert runner.restarts == 1
        assert app.errors and "stopped unexpectedly" in app.errors[-1]
        assert app.snapshot.step == 0
        await pilot.press("S")
        await pilot.pause()
        assert app.snapshot.step == 100

    drive(app, script)


def test_resizing_down_to_20x8_and_back():
    app = make_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("S")
        for size in [(100, 30), (80, 24), (MIN_SIZE[0], MIN_SIZE[1]), (59, 19), (40, 12),
                     (20, 8), (21, 9), (80, 24), (200, 60), (120, 40)]:
            await pilot.resize_terminal(*size)
            await pilot.pause()
            too_small = size[0] < MIN_SIZE[0] or size[1] < MIN_SIZE[1]
            assert app.too_small is too_small
            assert app.main_area.display is not too_small
            message = str(app.too_small_message.render())
            if too_small:
                assert f"enlarge the terminal to at least {MIN_SIZE[0]}×{MIN_SIZE[1]}" in message
                await pilot.press("o", "j", "3", "1", "0")  # keys keep working
        assert app.weights_panel.region.width > 0
        assert app.loss_panel.region.width > 0
        assert app.snapshot.step > 0
        for keys in (["question_mark"], ["ctrl+p"], ["3", "tab", "enter"]):  # other screens
            await pilot.press(*keys)
            for size in [(20, 8), (45, 12), (80, 24), (120, 40)]:
                await pilot.resize_terminal(*size)
                await pilot.pause()
            await pilot.press("escape", "escape")
            await pilot.pause()
        assert app.screen is app.screen_stack[0]

    drive(app, script, size=(120, 40))


def test_a_runner_that_keeps_dying_is_not_restarted_forever():
    runner = DyingRunner(TEST_CONFIG)
    app = make_app(runner=runner)

    async def script(pilot: Pilot) -> None:
        for _ in range(5):
            runner.dead = True
            app.poll_now()
            await pilot.pause()
        assert runner.restarts == 3
        assert runner.dead and "keeps failing" in app.errors[-1]
        await pilot.press("r")  # the user asks for another try
        await pilot.pause()
        assert runner.restarts == 4 and not runner.dead

    drive(app, script)


class CappedRunner(SyncRunner):
    """Caps steps per request: random keys can type samples=99999, hidden=256 and then
    press S; this test is about the UI surviving keys, not about training speed."""

    def step(self, n: int = 1) -> None:
        super().step(min(n, 5))


KEYS = (
    "space", "s", "full_stop", "S", "n", "r", "R", "N", "question_mark", "f1", "e", "o", "l",
    "up", "down", "j", "k", "i", "I", "d", "a", "m", "plus", "minus", "0", "1", "2", "3",
    "escape", "tab", "shift+tab", "enter", "backspace", "ctrl+p", "left", "right", "home",
    "end", "x", "y", "z", "b", "c", "1", "2", "3", "0", "f1",
)


async def _settle_once(*args: Any, **kwargs: Any) -> None:
    # Pilot waits for ~20 ms of process idleness after every key (Textual's
    # wait_for_idle); 2,000 keys would spend most of a minute sleeping.  Yielding to the
    # loop keeps the keys in order; the screen is still awaited after every batch.
    for _ in range(3):
        await asyncio.sleep(0)


@pytest.mark.parametrize("chunk", range(4))
def test_random_keys_never_crash(chunk: int, tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """500 seeded random keys per chunk (2,000 in all) across every screen and size."""
    monkeypatch.setattr(textual.app, "wait_for_idle", _settle_once)
    monkeypatch.chdir(tmp_path)  # "e" writes export files
    config = Config(samples=60, hidden=4, seed=chunk)
    app = make_app(config, runner=CappedRunner(config))
    rng = random.Random(1000 + chunk)
    sizes = [(120, 40), (80, 24), (60, 20), (100, 30)]

    async def script(pilot: Pilot) -> None:
        for batch in range(20):
            if batch % 5 == 0:
                await pilot.resize_terminal(*sizes[(batch // 5 + chunk) % len(sizes)])
            await pilot.press(*(rng.choice(KEYS) for _ in range(25)))
            assert app.is_running
        # Only the exports: the command palette cancels its own search workers (and
        # wait_for_complete([]) would wait for every worker).
        for worker in [w for w in app.workers if w.group == "export"]:
            await worker.wait()
        await pilot.pause()
        assert str(app.status_bar.render()).startswith("step ")
        assert app.snapshot.step >= 0

    drive(app, script)
    assert app.return_code is None or app.return_code == 0


def test_random_keys_visit_every_screen():
    """The random key alphabet does reach help, the palette and a setting."""
    app = make_app()

    async def script(pilot: Pilot) -> None:
        seen = set()
        for key in ["question_mark", "escape", "ctrl+p", "escape", "3", "tab", "escape"]:
            await pilot.press(key)
            await pilot.pause()
            seen.add(type(app.screen).__name__)
            if isinstance(app.screen, CommandPalette):  # the app's own palette subclasses it
                seen.add("CommandPalette")
            if isinstance(app.focused, Input):
                seen.add("Input")
        assert {"HelpScreen", "CommandPalette", "Screen", "Input"} <= seen

    drive(app, script)


def test_the_real_process_runner_trains_and_recovers_from_a_dead_child():
    """The app with its default runner: trains off the event loop; a killed training
    process is reported and replaced while the app runs (spawned from inside Textual)."""
    app = RecordingApp(Config(samples=80, hidden=4), fps=30)
    assert isinstance(app.runner, ProcessRunner)

    async def wait_until(pilot: Pilot, predicate: Callable[[], bool]) -> None:
        for _ in range(300):
            if predicate():
                return
            await pilot.pause(0.05)
        pytest.fail("condition not reached in time")

    async def script(pilot: Pilot) -> None:
        runner = app.runner
        await wait_until(pilot, lambda: app.snapshot.step > 500)
        assert status(app).endswith("steps/s · running")
        await pilot.press("space")
        assert status(app).endswith("paused")
        old_pid = runner.pid
        os.kill(old_pid, signal.SIGKILL)
        await wait_until(pilot, lambda: runner.pid != old_pid and runner.failure is None)
        assert any("stopped unexpectedly" in error for error in app.errors)
        await pilot.press("space")
        await wait_until(pilot, lambda: app.snapshot.step > 100)
        pids.append(runner.pid)

    pids: list[int] = []
    drive(app, script)
    with pytest.raises(ProcessLookupError):
        os.kill(pids[0], 0)


def test_the_command_runs_in_a_real_terminal_and_quits_cleanly():
    """`python -m tui_symmetry` in a pseudo-terminal: first frame, training, q, exit 0."""
    pid, fd = pty.fork()
    if pid == 0:  # the child becomes the app, in a 100×30 terminal
        fcntl.ioctl(1, termios.TIOCSWINSZ, struct.pack("HHHH", 30, 100, 0, 0))
        os.execvpe(sys.executable, [sys.executable, "-m", "tui_symmetry", "--hidden", "4"],
                   dict(os.environ, TERM="xterm-256color"))
    output = bytearray()

    def read_until(marker: bytes, timeout: float) -> bool:
        deadline = time.monotonic() + timeout
        while marker not in output and time.monotonic() < deadline:
            if select.select([fd], [], [], 0.05)[0]:
                try:
                    output.extend(os.read(fd, 65536))
                except OSError:
                    break
        return marker in output

    try:
        assert read_until(b"steps/s \xc2\xb7 running", 30), output[-500:]
        os.write(fd, b"q")
        read_until(b"\x00never", 3)  # drain until the app has gone
        _, status = os.waitpid(pid, 0)
        assert os.WIFEXITED(status) and os.WEXITSTATUS(status) == 0
    finally:
        with contextlib.suppress(ProcessLookupError, ChildProcessError):
            os.kill(pid, signal.SIGKILL)
            os.waitpid(pid, 0)
        os.close(fd)
    assert b"Traceback" not in output
