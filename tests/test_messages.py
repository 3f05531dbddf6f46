"""Messages that say everything, numbers as people read them, one snapshot per frame.

The notice line and Compare's title keep the part that matters at 80 and 120 columns;
the status line says when training stalls and shows no rate when nothing runs; every
number on screen has a real minus sign and no "-0.00"; the footer draws only whole keys;
and the numbers drawn in one frame all come from the same snapshot.
"""

from __future__ import annotations

import dataclasses
import re
import threading
from pathlib import Path
from types import SimpleNamespace

import pytest
from conftest import (
    TEST_CONFIG,
    DyingRunner,
    FakeClock,
    FakeRunner,
    FakeTimers,
    RecordingApp,
    new_app,
    panel_lines,
    run_script,
    screen_lines,
    wait_until,
)
from textual.pilot import Pilot
from textual.widgets._footer import FooterKey

from tui_symmetry.app.compare_screen import CompareScreen
from tui_symmetry.app.compare_screen import status_text as compare_status
from tui_symmetry.app.controller import STALL_SECONDS, RunController
from tui_symmetry.app.notices import deliver
from tui_symmetry.app.status import format_status
from tui_symmetry.app.widgets import _lines
from tui_symmetry.core import Config
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.runner import SyncRunner

ASCII_MINUS_NUMBER = re.compile(r"(?<![\w.])-\.?\d")
"""A hyphen used as the sign of a number ("-0.726", "-.44"); a range such as "0-2" or
a word such as "x-axis" does not match."""


def snapshot(config: Config = TEST_CONFIG, **changes):
    return dataclasses.replace(SyncRunner(config).latest(), **changes)


# -- numbers as people read them ------------------------------------------------------------


def test_a_huge_loss_is_a_power_of_ten_and_one_step_is_singular():
    huge = snapshot(loss=8148118218338192341336064.0, steps_per_s=1.0)
    text = format_status(huge, "running")
    assert "loss 8.15e24 ·" in text
    assert "· 1 step/s ·" in text
    assert "· 1 step/s cap ·" in format_status(huge, "paused", speed=1.0)
    tiny = snapshot(loss=2.149e-5)
    assert "loss 2.15e−5 ·" in format_status(tiny, "paused")


def test_a_negative_symmetry_index_has_a_real_minus_and_zero_no_sign():
    # Balanced-cosine measures (ReLU) go below zero; a mean that rounds to zero is 0.
    assert "symmetry −0.012 ·" in format_status(snapshot(symmetry_index=-0.0121), "paused")
    assert "symmetry 0.000 ·" in format_status(snapshot(symmetry_index=-0.0001), "paused")


def test_no_number_on_screen_has_an_ascii_minus_or_a_signed_zero():
    # Negative weights (the Weights panel and its legend), a chance level just below
    # zero (a ReLU start: cosines of both signs) and a negative symmetry index.
    config = Config(samples=80, hidden=6, seed=1, activation="relu", init="xavier")
    app = new_app(config)

    async def script(pilot: Pilot) -> None:
        shown = dataclasses.replace(app.runner.latest(), chance_level=-0.001,
                                    symmetry_index=-0.0123, version=99)
        app.main_screen.show(shown)
        app.main_screen.show_status(shown, "paused", None)
        await pilot.pause()
        text = "\n".join(screen_lines(app))
        assert "chance 0.00" in text and "−0.012" in text
        assert "−" in text  # the weights: some are negative
        assert not ASCII_MINUS_NUMBER.findall(text), text
        assert "-0.00" not in text and "−0.00 " not in text
        for view in ("2", "4", "5"):  # the loss, units and gradients views
            await pilot.press(view)
            await pilot.pause()
            text = "\n".join(screen_lines(app))
            assert not ASCII_MINUS_NUMBER.findall(text), text

    run_script(app, script)


# -- the status line: a stall says so; no rate when nothing runs ----------------------------


def test_a_rate_is_shown_only_while_training_runs():
    fast = snapshot(step=12_400, steps_per_s=9_812.0)
    assert "9,800 steps/s · running" in format_status(fast, "running")
    for state in ("paused", "diverged", "halted", "stalled"):
        text = format_status(fast, state)
        assert "steps/s" not in text, text
        assert "steps/s cap ·" in format_status(fast, state, speed=10.0)
    pair = SimpleNamespace(steps_per_s=9_812.0)  # Compare's status line, of a pair
    assert compare_status(pair, "running", 10.0) == (
        "9,800 steps/s each (cap 10 steps/s) · running")
    assert compare_status(pair, "paused", 10.0) == "cap 10 steps/s · paused"
    assert compare_status(pair, "stalled", None, stalled_s=4.0) == (
        "stalled: no new step for 4 s")


def test_the_controller_calls_a_wait_past_a_second_a_stall():
    clock = FakeClock()
    runner = FakeRunner(steps_per_poll=0)  # a training process that does nothing
    controller = RunController(runner, autoplay=True, clock=clock)
    controller.start()
    controller.observe(runner.latest())
    clock.advance(STALL_SECONDS * 0.9)
    assert controller.state == "running" and controller.stalled_for() is None
    clock.advance(STALL_SECONDS * 2.1)
    assert controller.state == "stalled"
    assert controller.stalled_for() == 3.0 * STALL_SECONDS
    runner.step(1)  # a step arrives: running again
    controller.observe(runner.latest())
    assert controller.state == "running"
    controller.pause()
    clock.advance(60.0)
    assert controller.state == "paused" and controller.stalled_for() is None


def test_a_slow_speed_cap_is_not_a_stall():
    clock = FakeClock()
    runner = FakeRunner(steps_per_poll=0)
    controller = RunController(runner, autoplay=True, speed=0.5, clock=clock)
    controller.start()
    clock.advance(2.0 + STALL_SECONDS * 0.9)  # a step is due every 2 s
    assert controller.state == "running"
    clock.advance(STALL_SECONDS * 0.2)
    assert controller.state == "stalled"


def test_the_status_line_says_training_stalled_and_shows_no_rate():
    clock = FakeClock()
    app = new_app(autoplay=True, show_rates=True, clock=clock)  # nothing steps while playing

    async def script(pilot: Pilot) -> None:
        app.poll_now()
        assert app.status.endswith("running")
        clock.advance(12.0)
        app.poll_now()
        assert app.status.endswith("stalled: no new step for 12 s"), app.status
        assert "steps/s" not in app.status
        app.runner.step(1)
        app.poll_now()
        assert app.status.endswith("running")

    run_script(app, script)


# -- messages that say everything -------------------------------------------------------------


def drawn_text(app, widget) -> str:
    """What ``widget`` shows on screen, its lines joined (a wrapped word is rejoined)."""
    region = widget.region
    rows = screen_lines(app)[region.y:region.bottom]
    return " ".join(row[region.x:region.right].strip() for row in rows)


def words(text: str) -> str:
    """``text`` without its spacing: wrapping may break a line at a space or in a word."""
    return "".join(text.split())


@pytest.mark.parametrize("size", [(80, 24), (120, 40)])
def test_every_notice_is_shown_whole(size, tmp_path: Path):
    runner = DyingRunner(TEST_CONFIG)
    deep = tmp_path / "lecture-notes" / "week-03" / "symmetry-breaking"
    deep.mkdir(parents=True)
    app = new_app(runner=runner, save_dir=deep)

    async def script(pilot: Pilot) -> None:
        notice = app.main_screen.notice_line

        async def shows_whole() -> None:
            await pilot.pause()
            assert words(app.notice) in words(drawn_text(app, notice)), (
                app.notice, drawn_text(app, notice))

        runner.dead = True  # the training process dies: the fresh start must be said
        app.poll_now()
        assert app.notice.endswith("started a fresh one from step 0")
        await shows_whole()
        app.request_setting("hidden", 999)  # the valid range must be read
        assert app.notice.endswith("use an integer in [1, 256]")
        await shows_whole()
        await pilot.press("plus", "plus", "R", "less_than_sign", "y")
        assert app.notice == f"copied: {app.command_line()}" and "--speed" in app.notice
        await shows_whole()
        await pilot.press("f12")  # the file's path, all of it
        assert app.notice.startswith(f"screenshot {deep}") and app.notice.endswith(".svg")
        await shows_whole()
        app.main_screen.notice_line.clear()  # a cleared notice gives its lines back
        await pilot.pause()
        assert notice.region.height == 1

    run_script(app, script, size=size)


def test_compare_title_keeps_the_way_back_at_80_columns():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        app.compare_with("init", "xavier")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await pilot.pause()
        assert "esc: back to the run" in drawn_text(app, screen.title_line)
        screen.action_close()

    run_script(app, script, size=(80, 24))


@pytest.mark.parametrize("size", [(80, 24), (100, 30), (60, 20)])
def test_the_footer_shows_only_whole_keys(size):
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.pause()
        footer = app.main_screen.footer
        keys = [key for key in footer.query(FooterKey) if key.display]
        palette = [key for key in keys if key.has_class("-command-palette")]
        assert len(palette) == 1
        row = screen_lines(app)[footer.region.y]
        for key in keys:
            if key is palette[0]:
                continue
            # Left of the palette key and whole on screen: "e Export", never "e Exp".
            assert key.region.right <= palette[0].region.x, key.description
            assert f"{key.key_display} {key.description}" in row, (key.description, row)
        assert any(key.description == "Play/Pause" for key in keys)

    run_script(app, script, size=size)


# -- one snapshot feeds every number drawn in a frame ---------------------------------------


def as_in_a_terminal(monkeypatch: pytest.MonkeyPatch) -> None:
    """Panels throttle their numbers as in a terminal (a headless app draws them all)."""
    monkeypatch.setattr(_lines, "live_default",
                        lambda widget, value, default: default if value is None else value)


def distinct_in(text: str) -> int:
    found = re.findall(r"distinct(?: units)? (\d+) ?/", text)
    assert len(found) == 1, text
    return int(found[0])


class ScriptedRunner(SyncRunner):
    """A SyncRunner whose newest snapshot is whatever the test makes it."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.next: Snapshot | None = None

    def latest(self) -> Snapshot:
        return self.next if self.next is not None else super().latest()


def test_the_status_line_and_the_panels_print_the_same_snapshot(monkeypatch):
    as_in_a_terminal(monkeypatch)
    clock = FakeClock()
    runner = ScriptedRunner(TEST_CONFIG)
    app = RecordingApp(TEST_CONFIG, runner=runner, autoplay=False, show_rates=False,
                       clock=clock)  # the app's own intervals, as in a terminal
    timers = FakeTimers(clock)
    app.main_screen.schedule = timers.schedule
    base = runner.latest()
    # A split happens between two snapshots a tenth of a second apart.
    before = dataclasses.replace(base, version=100, step=1_400, distinct_units=2,
                                 symmetry_index=0.912)
    after = dataclasses.replace(base, version=101, step=1_450, distinct_units=3,
                                symmetry_index=0.874)

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen

        async def frame(snap: Snapshot) -> tuple[str, str]:
            runner.next = snap
            app.poll_now()
            await pilot.pause()
            return app.status, "\n".join(panel_lines(screen.similarity_panel))

        clock.advance(1.0)  # long after the first frame (step 0)
        status, panel = await frame(before)
        assert distinct_in(status) == distinct_in(panel) == 2
        clock.advance(0.1)
        status, panel = await frame(after)
        assert distinct_in(status) == distinct_in(panel), (status, panel)
        assert status.split("symmetry ")[1][:5] in panel
        # The numbers wait for the trailing update, on the screen's one throttle.
        assert screen.printed is before and len(timers.waiting) == 1
        clock.advance(0.39)
        assert timers.fire_due() == 0  # not due yet: 0.5 s after the last change
        clock.advance(0.01)
        assert timers.fire_due() == 1  # the trailing update: every number moves on together
        await pilot.pause()
        panel = "\n".join(panel_lines(screen.similarity_panel))
        assert distinct_in(app.status) == distinct_in(panel) == 3
        assert screen.printed is after

    run_script(app, script)


def test_compare_panels_print_the_pair_the_verdict_is_about(monkeypatch):
    as_in_a_terminal(monkeypatch)
    app = new_app()

    async def script(pilot: Pilot) -> None:
        app.compare_with("init", "xavier")
        await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
        screen = app.screen
        await wait_until(pilot, lambda: screen.snapshots is not None)
        pair = screen.snapshots
        for distinct in (5, 6):  # two pairs in quick succession, as while training
            a = dataclasses.replace(pair.a, distinct_units=distinct,
                                    version=pair.a.version + distinct)
            screen.show(dataclasses.replace(pair, a=a, version=pair.version + distinct))
            await pilot.pause()
        verdict = drawn_text(app, screen.verdict_line)
        shown = "\n".join(panel_lines(screen.similarities[0]))
        assert "A: 6 distinct" in verdict
        assert distinct_in(shown) == 6, shown

    run_script(app, script)


class SaidLine:
    """A notice line that records what it was asked to say."""

    def __init__(self) -> None:
        self.said: list[tuple[str, str]] = []

    def say(self, text: str, severity: str, *, timeout: float | None = None,
            markup: bool = False) -> None:
        self.said.append((text, severity))


def test_a_notification_goes_to_the_notice_line_or_back_to_textual() -> None:
    line, later = SaidLine(), []
    app = SimpleNamespace(_thread_id=threading.get_ident(),
                          call_later=lambda *args, **kwargs: later.append(args))
    screen = SimpleNamespace(ready=False, notice_line=line)
    # Before the screen is up (or after it has gone): Textual's own notify takes it.
    assert not deliver(app, screen, "early", "", "warning", None, False)
    assert line.said == [] and later == []
    screen.ready = True
    assert deliver(app, screen, "now", "sweep", "error", None, False)
    assert line.said == [("sweep: now", "error")]
    # From a worker thread (the export): said on the UI thread, in order.
    worker = threading.Thread(
        target=deliver, args=(app, screen, "saved", "", "information", None, False))
    worker.start()
    worker.join()
    assert later == [(line.say, "saved", "information")] and len(line.said) == 1
