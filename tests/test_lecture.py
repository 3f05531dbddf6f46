"""The lecture in the app: scenes with captions, the picker, pausing at a scene's step,
presentation mode, and the shareable state (command line, TOML config, SVG screenshot).
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from conftest import new_app, run_script, screen_lines, wait_until
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui_symmetry import cli
from tui_symmetry.app import keys
from tui_symmetry.app.controller import RunController
from tui_symmetry.app.lecture import ScenePicker
from tui_symmetry.app.screenshots import README_SCENES
from tui_symmetry.app.share import write_config
from tui_symmetry.cli import app as cli_app
from tui_symmetry.cli import errors, parsing
from tui_symmetry.core import Config
from tui_symmetry.runner import SyncRunner
from tui_symmetry.scenarios import SCENARIOS, SCENE_NAMES, get_scenario, listing
from tui_symmetry.settings import DEFAULT_FPS, app_view, command_line

NAMES = list(SCENARIOS)


def scene_app(name: str, steps_per_poll: int = 0, **kwargs):
    scenario = get_scenario(name)
    runner = SyncRunner(scenario.config, steps_per_poll=steps_per_poll)
    kwargs.setdefault("speed", scenario.speed)  # as the CLI passes it
    return new_app(scenario.config, runner=runner, scenario=scenario, **kwargs), scenario


def test_no_scene_no_caption_box():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        assert not app.main_screen.caption_area.display
        assert app.main_screen.caption_panel.text == ""

    run_script(app, script)


def test_scene_caption_shows_and_page_keys_walk_the_lecture():
    app, scenario = scene_app("epsilon-split")

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        assert screen.caption_area.display
        assert screen.caption_area.region.height >= 4  # title + caption drawn, not clipped
        assert scenario.title in screen.caption_panel.text
        assert f"3/{len(NAMES)} · epsilon-split" in str(screen.caption_area.border_title)
        await pilot.press("pagedown")
        following = SCENARIOS[NAMES[NAMES.index("epsilon-split") + 1]]
        assert app.config == following.config
        assert app.controller.speed == following.speed
        assert app.controller.playing
        assert app.snapshot.step == 0
        assert following.title in screen.caption_panel.text
        await pilot.press("pageup", "pageup")
        assert app.config == SCENARIOS[NAMES[1]].config

    run_script(app, script)


def test_picker_opens_the_chosen_scene_and_esc_closes_it():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ScenePicker))
        await pilot.press("escape")
        await wait_until(pilot, lambda: not isinstance(app.screen, ScenePicker))
        assert app.scene is None
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ScenePicker))
        app.screen.query_one(OptionList).highlighted = NAMES.index("zero-stuck")
        await pilot.press("enter")
        await wait_until(pilot, lambda: app.scene is not None)
        assert app.config == SCENARIOS["zero-stuck"].config
        assert SCENARIOS["zero-stuck"].title in app.main_screen.caption_panel.text

    run_script(app, script)


def test_enter_twice_in_the_scene_picker_opens_one_scene_and_the_app_stays_up():
    app = new_app()

    async def script(pilot: Pilot) -> None:
        await pilot.press("c")
        await wait_until(pilot, lambda: isinstance(app.screen, ScenePicker))
        options = app.screen.query_one(OptionList)
        for _ in range(2):  # the second Enter queued before the first one's answer
            options.post_message(OptionList.OptionSelected(
                options, options.get_option_at_index(2), 2))
        await wait_until(pilot, lambda: app.scene is not None)
        await pilot.pause()
        assert app.is_running and app.scene.name == NAMES[2]
        assert not isinstance(app.screen, ScenePicker)

    run_script(app, script)
    assert app.return_code is None


def test_a_scene_pauses_itself_exactly_at_its_step():
    # 100 steps a poll and a point at 250: the controller must not run on to 300.
    base = get_scenario("zero-stuck")
    scenario = replace(base, pause_at=250, point_step=250)
    runner = SyncRunner(scenario.config, steps_per_poll=100)
    app = new_app(scenario.config, runner=runner, scenario=scenario, autoplay=True)

    async def script(pilot: Pilot) -> None:
        for _ in range(5):
            app.poll_now()
        assert app.snapshot.step == 250
        assert app.controller.state == "paused"
        status = app.main_screen.caption_panel.status
        assert status.plain.startswith(" paused at step 250 ")
        assert "paused at step 250" in str(app.main_screen.caption_area.border_subtitle)
        await pilot.press("space")  # plays on past the point, no second pause
        for _ in range(3):
            app.poll_now()
        assert app.snapshot.step > 250
        assert "paused at step" not in app.main_screen.caption_panel.status.plain

    run_script(app, script)


def test_presentation_hides_the_settings_and_footer_and_keeps_the_status():
    app, _ = scene_app("symmetric-stays", present=True)  # the scene's view: all

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        loss_height = screen.loss_area.region.height
        # Presenting, the loss plot takes the larger share of the rows.
        assert loss_height > screen.units_area.region.height
        assert not screen.settings_area.display and not screen.footer.display
        assert screen.caption_area.display and screen.status_bar.display
        assert "step 0" in app.status
        await pilot.press("P")
        await pilot.pause()
        assert screen.settings_area.display and screen.footer.display
        assert screen.loss_area.region.height < loss_height  # presenting, it had more
        await pilot.press("f5")
        assert not screen.settings_area.display
        await pilot.pause()
        assert "Training" not in "\n".join(screen_lines(app))  # no settings drawn

    run_script(app, script, size=(100, 30))


def _parse(line: str):
    words = shlex.split(line)
    assert words[0] == "tui-symmetry"
    args = cli_app.build_app_parser().parse_args(words[1:])
    return parsing.build_config(args), parsing.app_options(args)[1]


def test_y_shows_a_command_line_that_reproduces_the_settings_and_speed():
    app, scenario = scene_app("epsilon-split")

    async def script(pilot: Pilot) -> None:
        await pilot.press("y")
        assert _parse(app.command_line()) == (scenario.config, scenario.speed)
        assert app.notice == f"copied: {app.command_line()}"
        await pilot.press("plus", "plus", "R", "less_than_sign", "d")  # lr, seed, speed, data
        changed = app.config
        assert changed != scenario.config
        await pilot.press("y")
        assert _parse(app.command_line()) == (changed, app.controller.speed)
        assert "--scenario epsilon-split" in app.command_line()

    run_script(app, script)


def test_command_line_without_a_scene_names_only_what_differs():
    config = Config(epsilon=1.25e-7, dataset="spiral", activation="leaky_relu")
    line = command_line(config, None, None)
    assert line == ("tui-symmetry --dataset spiral --activation leaky_relu "
                    "--epsilon 1.25e-07")
    assert _parse(line) == (config, None)
    assert _parse(command_line(Config(), get_scenario("zero-stuck"), None)) == (Config(), None)


def test_w_writes_toml_that_config_loads_and_f12_an_svg(tmp_path: Path):
    app, scenario = scene_app("sine-basis", save_dir=tmp_path)

    async def script(pilot: Pilot) -> None:
        await pilot.press("plus")
        await pilot.press("w")
        files = list(tmp_path.glob("*.toml"))
        assert [f.name for f in files] == ["tui-symmetry-sine-basis-h12-seed0.config.toml"]
        assert str(files[0]) in app.notice
        args = cli_app.build_app_parser().parse_args(["--config", str(files[0])])
        assert parsing.build_config(args) == app.config != scenario.config
        await pilot.press("f12")
        svgs = list(tmp_path.glob("*.svg"))
        # The scene opens its view, the units: the name says so.
        assert [svg.name for svg in svgs] == [
            "tui-symmetry-sine-basis-h12-seed0-step0-units.svg"]
        assert svgs[0].read_text().startswith("<svg")
        assert str(svgs[0]) in app.notice
        assert not list(tmp_path.glob(".*"))  # no temp files left behind

    run_script(app, script)


def test_write_errors_are_one_line_and_the_app_stays_up(tmp_path: Path):
    missing = tmp_path / "gone"
    app, _ = scene_app("epsilon-split", save_dir=missing)

    async def script(pilot: Pilot) -> None:
        await pilot.press("w")
        await pilot.press("f12")
        assert app.errors == [f"config not saved: the directory {missing} does not exist",
                              f"screenshot not saved: the directory {missing} does not exist"]
        await pilot.press("s")
        assert app.snapshot.step == 1  # still running
        assert not missing.exists()

    run_script(app, script)


@pytest.mark.parametrize(("change", "named"), [
    (("hidden = 12", "hiden = 12"), "'hiden'"),
    (("lr = 0.2", "lr = -1.0"), "lr"),
    (("seed = 0", "seed = = 0"), "invalid TOML"),
])
def test_a_bad_saved_config_is_one_line_naming_the_key(tmp_path: Path, change, named):
    path, _ = write_config(tmp_path, get_scenario("sine-basis").config)
    path.write_text(path.read_text().replace(*change))
    with pytest.raises(errors.UsageError) as error:
        parsing.build_config(cli_app.build_app_parser().parse_args(["--config", str(path)]))
    assert named in str(error.value) and "\n" not in str(error.value)


def test_the_runner_is_told_to_hold_at_the_point_however_far_a_poll_jumps():
    config = get_scenario("zero-stuck").config
    runner = SyncRunner(config, steps_per_poll=40)  # 40 steps a poll: 80, then 95
    controller = RunController(runner, autoplay=True)
    controller.set_pause_at(95)
    controller.start()
    notices = [controller.observe(runner.latest()) for _ in range(4)]
    assert runner.latest().step == 95 and controller.paused_at == 95
    assert controller.state == "paused"
    assert [n.text for n in notices if n] == ["the scene pauses at step 95: space plays on"]
    controller.step(10)  # past the point by hand: playing on holds nowhere
    controller.observe(runner.latest())
    controller.play()
    controller.observe(runner.latest())
    assert controller.playing and runner.latest().step > 105


def test_cli_hands_the_scene_and_present_to_the_app(monkeypatch: pytest.MonkeyPatch):
    calls: list[dict[str, Any]] = []

    def run_app(config: Config, **options: Any) -> int:
        calls.append({"config": config, **options})
        return 0

    monkeypatch.setattr("tui_symmetry.app.run_app", run_app)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    assert cli.main(["--scenario", "l1-prunes", "--present", "--lr", "0.5"]) == 0
    scenario = get_scenario("l1-prunes")
    assert calls == [{"config": scenario.config.replace(lr=0.5), "fps": DEFAULT_FPS,
                      "speed": scenario.speed, "scenario": scenario, "present": True,
                      "view": scenario.view}]
    assert cli.main(["--scenario", "l1-prunes", "--view", "units"]) == 0  # asked for
    assert calls[-1]["view"] == "units"


README = Path(__file__).resolve().parents[1] / "README.md"


def test_one_scene_order_everywhere():
    # The README's fifteen-minute plan, PgDn (SCENE_NAMES) and `tui-symmetry scenarios`.
    plan = re.findall(r"^\| [\d–]+ \| `([a-z0-9-]+)` \|", README.read_text(), re.MULTILINE)
    assert plan == NAMES == list(SCENE_NAMES)
    assert [line.split()[0] for line in listing().splitlines()] == NAMES


# -- every scene shows what its caption says, at 100×30 in presentation mode ---------------

PRESENT_SIZE = (100, 30)
MIN_PLOT_ROWS = 6
"""Rows of curves a plot the caption points at must have at 100×30 (3 were unreadable)."""


def plot_rows(plot: Any, label: str) -> int:
    """Rows inside the frame of ``plot``; its legend names ``label`` above the frame."""
    lines = plot.plain_text().splitlines()
    top = next(i for i, line in enumerate(lines) if "┌" in line)
    bottom = next(i for i, line in enumerate(lines) if "└" in line)
    legend = [i for i, line in enumerate(lines) if f" {label}" in line]
    assert legend and legend[0] < top, f"the legend is not above the curves:\n{lines}"
    return bottom - top - 1


def watched(screen: Any, status: str, text: str) -> dict[str, Callable[[], bool]]:
    """What a caption may ask the room to watch, and how to see that the screen shows it."""
    loss, gallery = screen.loss_panel, screen.gallery

    def plot(name: str, label: str) -> bool:
        return (loss.region.height > 0
                and plot_rows(getattr(loss, name), label) >= MIN_PLOT_ROWS)

    return {
        "Similarity panel": lambda: screen.similarity_panel.region.height >= 4,
        "Weights panel": lambda: screen.weights_panel.region.height >= 4,
        "one-unit line": lambda: plot("loss_plot", "one unit"),
        "spread": lambda: plot("symmetry_plot", "spread"),
        "symmetry index": lambda: plot("symmetry_plot", "sym"),
        "loss": lambda: plot("loss_plot", "train"),
        "gap": lambda: "max unit gap 0.0" in text,
        "separate the classes": lambda: gallery.region.height >= 15,
        "†": lambda: "†" in text,
        "ln 2 = 0.693": lambda: "loss 0.6931" in status,
        "kinks": lambda: gallery.region.height >= 15,
        "each unit's line": lambda: gallery.region.height >= 15,
        # A table's status line and its units as pictures (tiles labelled u7 ↑3 .82).
        "distinct 1/16": lambda: "distinct 1/16" in status,
        "distinct 16/16": lambda: "distinct 16/16" in status,
        "training digits": lambda: "train accuracy" in status,
        "picture": lambda: gallery.region.height >= 15 and "↑" in text,
        # A conv run's filters view: the kernels and their maps, the status line's count.
        "kernels": lambda: screen.filters_panel.region.height >= 15 and "‖v‖" in text,
        "distinct 1/8": lambda: "distinct 1/8" in status,
        "distinct 8/8": lambda: "distinct 8/8" in status,
    }


@pytest.mark.parametrize("name", NAMES)
def test_each_scene_opens_its_view_and_shows_what_its_caption_names(
        name: str, request: pytest.FixtureRequest):
    scenario = get_scenario(name)
    if scenario.config.is_table:  # seconds on the digits; no table scene names its line
        assert "one-unit line" not in scenario.caption
        request.getfixturevalue("no_one_unit_search")
    runner = SyncRunner(scenario.config, steps_per_poll=scenario.pause_at or 0)
    app = new_app(scenario.config, runner=runner, scenario=scenario, present=True,
                  autoplay=True)

    async def script(pilot: Pilot) -> None:
        app.poll_now()  # one poll trains to the scene's point, where it holds and pauses
        await pilot.pause()
        screen = app.main_screen
        assert app.controller.paused_at == scenario.pause_at
        assert screen.shown_view == scenario.view
        text = "\n".join(screen_lines(app))
        shows = watched(screen, app.status, text)
        named = [thing for thing in shows if thing in scenario.caption]
        assert named, "the caption names nothing the test knows to look for"
        assert [thing for thing in named if not shows[thing]()] == []
        # The caption box leaves the view most of the screen.
        assert screen.caption_area.region.height <= 7

    run_script(app, script, size=PRESENT_SIZE)


def test_present_opens_the_view_of_the_readme_picture(monkeypatch: pytest.MonkeyPatch):
    row = next(line for line in README.read_text().splitlines()
               if "screenshots/present.svg" in line)
    command = re.search(r"`(tui-symmetry [^`]*--present[^`]*)`", row)
    assert command, row
    calls: list[dict[str, Any]] = []
    monkeypatch.setattr("tui_symmetry.app.run_app",
                        lambda config, **options: calls.append(options) or 0)
    monkeypatch.setattr(cli_app, "has_terminal", lambda: True)
    assert cli.main(shlex.split(command.group(1))[1:]) == 0
    picture = README_SCENES["present"]
    assert calls[0]["present"] and calls[0]["scenario"] is picture.scenario
    assert calls[0]["view"] == picture.view == "loss"


def test_help_promises_only_what_presenting_does():
    present = next(key for key in keys.KEYS if key.action == "screen.toggle_present")
    for text in (present.help, cli_app.build_app_parser().format_help()):
        assert "big units view" not in text


def test_the_apps_first_view_is_asked_for_or_the_scenes_or_all():
    scene = next(s for s in SCENARIOS.values() if s.view != "all")
    assert app_view(None, None, DEFAULT_FPS) == "all"
    assert app_view(None, scene, DEFAULT_FPS) == scene.view
    assert app_view("loss", scene, 1) == "loss"
    with pytest.raises(ValueError, match=re.escape(
            "view must be one of all, weights, loss, settings, units, gradients, filters, not "
            "'nope'")):
        app_view("nope", None, DEFAULT_FPS)  # type: ignore[arg-type]
    for fps in (0.5, 61):
        with pytest.raises(ValueError, match=re.escape(f"fps must be within 1..60, not {fps}")):
            app_view(None, None, fps)
