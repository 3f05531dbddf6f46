"""The lecture in the app: scenes with captions, the picker, pausing at a scene's step,
presentation mode, and the shareable state (command line, TOML config, SVG screenshot).
"""

from __future__ import annotations

from dataclasses import replace

from conftest import new_app, run_script, wait_until
from textual.pilot import Pilot
from textual.widgets import OptionList

from tui_symmetry.app.lecture import ScenePicker
from tui_symmetry.runner import SyncRunner
from tui_symmetry.scenarios import SCENARIOS, get_scenario

NAMES = list(SCENARIOS)


def scene_app(name: str, steps_per_poll: int = 0, **kwargs):
    scenario = get_scenario(name)
    runner = SyncRunner(scenario.config, steps_per_poll=steps_per_poll)
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
        assert "3/10 · epsilon-split" in str(screen.caption_area.border_title)
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
        assert "paused at step 250" in app.main_screen.caption_panel.text
        await pilot.press("space")  # plays on past the point, no second pause
        for _ in range(3):
            app.poll_now()
        assert app.snapshot.step > 250
        assert "paused at step" not in app.main_screen.caption_panel.text

    run_script(app, script)


def test_presentation_hides_the_settings_and_footer_and_keeps_the_status():
    app, _ = scene_app("epsilon-split", present=True)

    async def script(pilot: Pilot) -> None:
        screen = app.main_screen
        units_height = screen.units_area.region.height
        assert not screen.settings_area.display and not screen.footer.display
        assert screen.caption_area.display and screen.status_bar.display
        assert "step 0" in app.status
        await pilot.press("P")
        await pilot.pause()
        assert screen.settings_area.display and screen.footer.display
        assert screen.units_area.region.height < units_height  # presenting, it had more
        await pilot.press("f5")
        assert not screen.settings_area.display

    run_script(app, script, size=(100, 30))
