"""Compare in the app: modal, trained by a runner of its own, keys that act on it.

The app's runner here is a SyncRunner, so compare's is one too (``Runner.sibling``):
nothing trains unless a key or the test steps it, and every picture is the same on
every machine.  The real process runner training a pair is tested in test_runner.py.
"""

from __future__ import annotations

import pytest
from conftest import TEST_CONFIG, Drive, MakeApp, RecordingApp, panel_lines, wait_until
from textual.command import CommandList, CommandPalette
from textual.pilot import Pilot

from tui_symmetry.app import keys
from tui_symmetry.app.compare_screen import CompareScreen
from tui_symmetry.app.screens import HelpScreen
from tui_symmetry.core.config import Config
from tui_symmetry.experiments.compare import compare, verdict
from tui_symmetry.experiments.lockstep import Lockstep, PairConfig
from tui_symmetry.runner import SyncRunner

SYMMETRIC = TEST_CONFIG.replace(init="symmetric", epsilon=0.0)


async def open_compare(pilot: Pilot, app: RecordingApp) -> CompareScreen:
    """Compare the app's run with the same run from a Xavier start."""
    app.compare_with("init", "xavier")
    await wait_until(pilot, lambda: isinstance(app.screen, CompareScreen))
    screen = app.screen
    assert isinstance(screen, CompareScreen)
    await wait_until(pilot, lambda: screen.snapshots is not None)
    return screen


def compare_step(screen: CompareScreen) -> tuple[int, int]:
    """The step each side shows."""
    assert screen.snapshots is not None
    return (screen.snapshots.a.step, screen.snapshots.b.step)


def drawn_status(screen: CompareScreen) -> str:
    """The comparison's status line as drawn."""
    return str(screen.status_line.render())


def test_compare_shows_a_and_b_and_the_matching(make_app: MakeApp, drive: Drive):
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        app.compare_with("init", "symmetric")  # nothing would differ: refused
        assert "already" in app.notice and app.screen is app.main_screen
        screen = await open_compare(pilot, app)
        await pilot.press("S")
        assert screen.snapshots is not None
        a, b = screen.snapshots.sides
        assert a.step == b.step == 100
        assert (a.config, b.config) == (SYMMETRIC, SYMMETRIC.replace(init="xavier"))
        assert "B: init → xavier" in str(screen.title_line.render())
        verdict_text = str(screen.verdict_line.render())
        assert verdict_text.startswith("step 100  ·  A: 1 distinct unit") and " · B: " in (
            verdict_text)
        assert str(screen.matching_line.render()).startswith("B matched to A: ")
        weights_b = panel_lines(screen.weights[1])
        assert any(line.startswith("▸u1") for line in weights_b)

    drive(app, script)


def test_keys_in_compare_never_reach_the_hidden_run(make_app: MakeApp, drive: Drive):
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        await pilot.press("S", "s", "s")  # the run: step 102, paused, linear loss plot
        version, log_scale = app.snapshot.version, app.main_screen.loss_panel.log_scale
        await open_compare(pilot, app)
        await pilot.press("s", "S", "r", "l", "space", "R", "i", "o", "p", "pagedown")
        await pilot.pause()
        # The run behind: same picture, same step, same plot scale, still paused.
        assert app.runner.latest().step == 102 and app.runner.config == SYMMETRIC
        assert app.snapshot.version == version
        assert app.main_screen.loss_panel.log_scale == log_scale
        assert app.controller.state == "paused" and app.scene is None
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        assert app.controller.state == "paused" and app.snapshot.step == 102
        assert app.status.startswith("step 102 ") and app.status.endswith("· paused")

    drive(app, script)


def test_keys_in_compare_act_on_compare(make_app: MakeApp, drive: Drive):
    """Space plays and pauses, s and S step both runs exactly, r restarts them."""
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        assert compare_step(screen) == (0, 0) and screen.controller.state == "running"
        await pilot.press("s")
        assert compare_step(screen) == (1, 1) and screen.controller.state == "paused"
        await pilot.press("S")
        assert compare_step(screen) == (101, 101)
        await pilot.press("r")
        assert compare_step(screen) == (0, 0) and screen.notice_line.text == (
            "restarted: A and B from step 0")
        await pilot.press("space")
        assert screen.controller.state == "running"
        await pilot.pause()
        assert drawn_status(screen).endswith("running")
        await pilot.press("space")
        assert screen.controller.state == "paused"
        await pilot.pause()
        assert drawn_status(screen).endswith("paused")

    drive(app, script)


def test_compare_trains_only_in_its_runner(make_app: MakeApp, drive: Drive):
    """No thread of the app trains: the pair's runner does, when asked (here: never
    on its own, a SyncRunner without steps per poll), and it is closed on leaving."""
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        runner = screen.runner
        assert isinstance(runner, SyncRunner) and isinstance(runner.trainer, Lockstep)
        assert runner.config == PairConfig(SYMMETRIC, SYMMETRIC.replace(init="xavier"))
        for _ in range(5):
            await pilot.pause()
        assert compare_step(screen) == (0, 0) and not app.workers
        assert screen.controller.state == "running"  # it plays, at the runner's pace
        runner.step(30)
        screen.poll()
        assert compare_step(screen) == (30, 30)
        await pilot.press("q")  # back, as Esc
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        assert runner.closed and not app.runner.closed  # type: ignore[attr-defined]

    drive(app, script)


def test_compare_plays_at_the_runs_speed_cap_and_changes_it(make_app: MakeApp,
                                                            drive: Drive):
    app = make_app(SYMMETRIC, speed=10.0)

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        runner = screen.runner
        assert isinstance(runner, SyncRunner)
        assert runner.speed == 10.0 and "(cap 10 steps/s)" in str(screen.status_line.render())
        await pilot.press("greater_than_sign")
        assert runner.speed == 100.0 and screen.controller.speed == 100.0
        assert "(cap 100 steps/s) · running" in str(screen.status_line.render())
        await pilot.press("less_than_sign", "less_than_sign")
        assert runner.speed == 1.0
        assert app.controller.speed == 10.0  # the run keeps its own cap

    drive(app, script)


def test_help_footer_and_palette_in_compare_are_compares(quick_keys: None, make_app: MakeApp,
                                                         drive: Drive):
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        footer = {binding.binding.description for binding in screen.active_bindings.values()
                  if binding.binding.show}
        assert {"Play/Pause", "Step", "Restart", "Back", "Faster", "Slower"} <= footer
        assert not footer & {"New seed", "Export", "Order", "Log"}
        await pilot.press("question_mark")
        await wait_until(pilot, lambda: isinstance(app.screen, HelpScreen))
        rows = [text for _, section in app.screen.sections for _, text in section]
        assert any("Restart the comparison" in text for text in rows)
        assert not any("initialization" in text for text in rows)  # no run settings
        await pilot.press("escape")
        await wait_until(pilot, lambda: app.screen is screen)
        await pilot.press("ctrl+p")
        await wait_until(pilot, lambda: isinstance(app.screen, CommandPalette))
        await pilot.press(*"restart")
        restart = "Restart the comparison: A and B from step 0, same data and seed"

        def titles() -> list[str]:
            commands = app.screen.query_one(CommandList)
            return [str(commands.get_option_at_index(i).hit.text)
                    for i in range(commands.option_count)]

        await wait_until(pilot, lambda: titles()[:1] == [restart])
        assert set(titles()) <= {key.help for key in keys.COMPARE_KEYS}  # nothing of the run
        screen.runner.step(5)
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.screen is screen and compare_step(screen) == (0, 0)
                         and screen.runner.latest().step == 0)
        assert app.snapshot.step == 0 and app.controller.state == "paused"
        assert drawn_status(screen).endswith("running")  # the restarted pair plays on

    drive(app, script)


@pytest.mark.parametrize("seed", [1, 7])
def test_the_pair_on_screen_is_what_the_compare_command_reports(seed: int,
                                                                make_app: MakeApp,
                                                                drive: Drive):
    """A second way to the same numbers: `tui-symmetry compare --steps 300`."""
    config = SYMMETRIC.replace(seed=seed)
    app = make_app(config)

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        await pilot.press("S", "S", "S")
        assert compare_step(screen) == (300, 300)
        result = compare(config, config.replace(init="xavier"), 300)
        assert screen.snapshots is not None
        a, b = screen.snapshots.sides
        assert (a.loss, b.loss) == (result.a.loss, result.b.loss)
        assert str(screen.verdict_line.render()) == (
            f"step 300  ·  {verdict(result.a.summary(), result.b.summary())}")
        assert screen.snapshots.matching.mean == result.matching.mean
        assert f"{result.matching.mean:.3f}" in str(screen.matching_line.render())
        assert screen.snapshots.matching.trained == result.matching.trained
        assert f"trained apart {result.matching.trained:.3f}" in str(
            screen.matching_line.render())

    drive(app, script)


def test_a_pair_that_diverges_pauses_and_r_restarts_it(make_app: MakeApp, drive: Drive):
    app = make_app(Config(dataset="sine", lr=50.0, samples=40, hidden=4))

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        await pilot.press("S")
        assert screen.snapshots is not None and screen.snapshots.diverged
        assert screen.controller.state == "diverged"
        assert screen.notice_line.text.endswith("r restarts")
        await pilot.pause()
        assert drawn_status(screen).endswith("diverged — press r to reset")
        await pilot.press("r")
        assert compare_step(screen) == (0, 0) and screen.controller.state != "diverged"
        await pilot.pause()
        assert "diverged" not in drawn_status(screen)

    drive(app, script)


def test_quitting_from_compare_stops_its_runner(make_app: MakeApp, drive: Drive):
    app = make_app(SYMMETRIC)
    runners: list[SyncRunner] = []

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        runners.append(screen.runner)  # type: ignore[arg-type]
        await pilot.press("ctrl+c")  # quits the app from compare (q goes back)

    drive(app, script)
    assert runners[0].closed and app.runner.closed  # type: ignore[attr-defined]


@pytest.mark.parametrize(("opened_by", "close"), [
    ("c", "dismiss(None)"),  # the scene picker: c, q or Esc
    ("question_mark", "dismiss"),  # help: ?, F1, q or Esc
    ("compare", "close"),  # compare: Esc or q
    ("ctrl+p", "escape"),  # the command palette: Esc
])
def test_two_close_keys_at_once_close_one_screen_and_the_app_stays_up(
        opened_by: str, close: str, make_app: MakeApp, drive: Drive):
    # The storm pressed c (open the scenes), then c and Esc in one breath: both reached
    # the picker before its first close landed, the second close popped the screen
    # under it, and the app died ("Can't pop screen"; ScreenStackError).
    app = make_app(SYMMETRIC)

    async def script(pilot: Pilot) -> None:
        if opened_by == "compare":
            await open_compare(pilot, app)
        else:
            await pilot.press(opened_by)
            await wait_until(pilot, lambda: app.screen is not app.main_screen)
        modal = app.screen
        for _ in range(2):  # the second queued before the first one's close lands
            modal.call_later(modal.run_action, close)
        await wait_until(pilot, lambda: app.screen is app.main_screen)
        await pilot.pause()
        assert app.is_running and app.screen is app.main_screen

    drive(app, script)
    assert app.return_code is None


def test_left_and_right_scroll_both_sides_features_together(make_app: MakeApp, drive: Drive):
    """A table's features scroll in Compare as in view 1: A and B show the same ones."""
    app = make_app(Config(dataset="wine", hidden=4, samples=178))

    async def script(pilot: Pilot) -> None:
        screen = await open_compare(pilot, app)
        await pilot.press("right")
        await pilot.pause()
        offsets = [panel.column_offset for panel in screen.weights]
        assert offsets[0] > 0 and offsets[0] == offsets[1]
        assert screen.notice_line.text.startswith(f"weights: features {offsets[0] + 1}-")
        await pilot.press("left")
        await pilot.pause()
        assert [panel.column_offset for panel in screen.weights] == [0, 0]
        assert app.main_screen.weights_panel.column_offset == 0  # the run behind: unmoved

    drive(app, script)
