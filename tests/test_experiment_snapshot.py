"""The experiment screen as an SVG snapshot: the barrier's plot (both lines, the
legend with both heights), its verdict and status, at 120×40.  Deterministic: the
app's SyncRunner gives the experiment a SyncRunner, stepped exactly."""

from __future__ import annotations

from dataclasses import replace

import pytest
from textual.pilot import Pilot

from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.app.experiment_screen import ExperimentScreen, open_experiment
from tui_symmetry.app.screenshots import README_SCENES, Scene, make_app, prepare
from tui_symmetry.core import Config
from tui_symmetry.experiments.registry import EXPERIMENTS
from tui_symmetry.runner import SyncRunner
from tui_symmetry.scenarios import get_scenario

BARRIER = Config(dataset="moons", hidden=16, init="xavier", epsilon=0.0)
STEPS = 1_500


async def open_barrier(pilot: Pilot) -> None:
    app = pilot.app
    assert isinstance(app, SymmetryApp)
    open_experiment(app, "barrier")
    for _ in range(200):
        if isinstance(app.screen, ExperimentScreen) and app.screen.picture is not None:
            break
        await pilot.pause(0.01)
    screen = app.screen
    assert isinstance(screen, ExperimentScreen)
    screen.action_step(STEPS)
    await pilot.pause()
    assert screen.picture is not None and screen.picture.step == STEPS


def test_the_barrier_screen_120x40(snap_compare):
    app = SymmetryApp(BARRIER, runner=SyncRunner(BARRIER), autoplay=False,
                      show_rates=False, numbers_interval=0.0)
    assert snap_compare(app, terminal_size=(120, 40), run_before=open_barrier)


@pytest.mark.usefixtures("no_one_unit_search")
def test_a_screenshot_scene_opens_its_experiment_and_steps_it_to_the_end(drive):
    """The README's experiment pictures: the scene's run, ``x`` on its experiment (with
    the lecture scene's options), every run stepped exactly to the experiment's last
    step.  A small scene of its own keeps it cheap."""
    scenario = replace(get_scenario("duplicate-saddle"), experiment=(
        "duplicate", (("lambda", 1.5), ("before", 40), ("polish", "no"), ("steps", 30))))
    scene = Scene(scenario.config, 0, "the duplicate experiment", scenario=scenario,
                  experiment="duplicate")
    app = make_app(scene)

    async def script(pilot: Pilot) -> None:
        await prepare(app, scene, pilot)
        screen = app.screen
        assert isinstance(screen, ExperimentScreen)
        assert screen.job.option("before") == 40 and screen.job.steps == 30
        assert screen.picture is not None and screen.picture.done
        assert screen.picture.step == 30
        assert "step 30:" in str(screen.verdict_line.render())

    drive(app, script)


def test_every_readme_experiment_picture_is_its_scenes_experiment():
    shown = {scene.experiment: scene.scenario for scene in README_SCENES.values()
             if scene.experiment is not None}
    assert set(shown) == set(EXPERIMENTS)
    for name, scenario in shown.items():
        assert scenario is not None and scenario.experiment is not None
        assert scenario.experiment[0] == name
