"""Deterministic screenshots of the app: ``python -m tui_symmetry.app.screenshots DIR``.

Each scene is a config, a number of training steps and some keys, rendered (at 120×40
unless it says otherwise) with a :class:`~tui_symmetry.runner.SyncRunner` (no clocks,
no rates), so the same code always gives the same SVG.  ``make screenshots`` writes
them to ``screenshots/`` for the README.  The snapshot tests render :data:`SCENES`;
:data:`README_SCENES` are pictures for the README only (the suite is at its time budget).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from textual.pilot import Pilot

from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.app.compare_screen import CompareScreen
from tui_symmetry.app.experiment_screen import ExperimentScreen, open_experiment
from tui_symmetry.core.config import Config
from tui_symmetry.experiments.registry import get_experiment
from tui_symmetry.runner import SyncRunner
from tui_symmetry.scenarios import Scenario, get_scenario
from tui_symmetry.settings import View

SIZE = (120, 40)
PLAY_CHUNK = 100
"""Steps per frame while a lecture scene plays to the step where it pauses itself."""
PLAY_TRIES = 3_000
"""Looks (every 0.01 s) at a playing scene before giving up."""
COMPARE_TRIES = 600
"""Looks (every 0.05 s) for the compare screen before giving up: half a minute."""
EXPERIMENT_TRIES = 200
"""Looks (every 0.01 s) for the experiment screen's first picture before giving up."""


@dataclass(frozen=True)
class Scene:
    """One screenshot: what to train, how far, which keys to press, and what it shows.

    ``view`` is the view the app opens on, ``scenario`` the lecture scene it starts in
    (its caption shows; ``config`` should be that scene's), ``present`` presentation
    mode.  ``compare`` (setting, value) opens the in-app compare of the run against the
    same with that one setting changed, both trained ``steps`` steps from 0.
    ``experiment`` opens that experiment on the run (``x``, Enter: with the scene's
    options when its lecture scene names it) and steps every run of it exactly to its
    last step, so the picture shows the final result and verdict.
    """

    config: Config
    steps: int
    caption: str
    keys: tuple[str, ...] = field(default_factory=tuple)
    size: tuple[int, int] = SIZE
    view: View = "all"
    scenario: Scenario | None = None
    present: bool = False
    compare: tuple[str, Any] | None = None
    experiment: str | None = None


def scene_of(name: str, steps: int | None = None, **options: Any) -> Scene:
    """A screenshot of the lecture scene ``name`` (tui_symmetry/scenarios.py) at ``steps``.

    The picture's caption is the scene's own; by default it is taken at the scene's
    point step, where the caption's claim holds.
    """
    scenario = get_scenario(name)
    options.setdefault("view", scenario.view)
    return Scene(scenario.config, scenario.point_step if steps is None else steps,
                 scenario.caption, scenario=scenario, **options)


def experiment_scene(name: str) -> Scene:
    """A screenshot of the experiment the lecture scene ``name`` names (``x``, Enter on
    it), opened on the scene's settings before its run trains and stepped to the end."""
    scenario = get_scenario(name)
    assert scenario.experiment is not None, f"{name} names no experiment"
    experiment = scenario.experiment[0]
    caption = (f"x, Enter in scene {name}: the experiment {get_experiment(experiment).title}"
               " on the scene's settings, every run at its last step.")
    return Scene(scenario.config, 0, caption, view=scenario.view, scenario=scenario,
                 experiment=experiment)


SCENES: dict[str, Scene] = {
    "default": Scene(
        Config(),
        2_500,
        "The defaults: eight copies of one unit plus a 1e-4 nudge sat on the loss plateau "
        "for ~1,500 steps, then the nudge grew, the units split and the loss dropped.",
    ),
    "symmetric": Scene(
        Config(epsilon=0.0),
        3_000,
        "Symmetric init without a nudge: identical units get identical gradients, so after "
        "3,000 steps the similarity matrix is all ones and there is 1 distinct unit of 8.",
    ),
    "xavier": Scene(
        Config(init="xavier"),
        3_000,
        "Xavier init: every unit starts different, the units split at once and the loss "
        "falls fastest.",
    ),
    "help": Scene(
        Config(),
        2_500,
        "The help screen (? or F1) lists every key.",
        keys=("question_mark",),
    ),
}


README_SCENES: dict[str, Scene] = {
    "units-2d": Scene(
        Config(),
        2_500,
        "The units gallery (key 4) on xor after the split: one tile per hidden unit, "
        "units that are still alike draw alike tiles, beside the output map with the "
        "data points and the decision boundary.",
        view="units",
    ),
    "units-1d": Scene(
        get_scenario("sine-basis").config,
        get_scenario("sine-basis").point_step,
        "The units gallery on the 1-D sine regression: each ReLU unit's curve, and the "
        "network's fit through the data.",
        view="units",
    ),
    "compare": Scene(
        Config(init="symmetric", epsilon=0.0),
        3_000,
        "Compare in the app (palette: Compare with …): symmetric init without a nudge "
        "(A) against Xavier (B), same data and seed, 3,000 steps each.",
        compare=("init", "xavier"),
    ),
    # What `tui-symmetry --scenario epsilon-split --present` shows at the scene's pause:
    # its view, the loss, where the caption points.
    "present": scene_of("epsilon-split", size=(100, 30), present=True),
    "scene-l1": scene_of("l1-prunes"),
    # Real data: the digits scenes' units as pictures, and a table's named features.
    "digits-copies": scene_of("digits-copies-stay-one"),
    "digits-units": scene_of("digits-strokes"),
    # A conv layer on the digits: its filters beside their feature maps (view 6).
    "filters": scene_of("filters-differ"),
    "wine-weights": Scene(
        Config(dataset="wine", samples=178, hidden=8, init="xavier", epsilon=0.0, lr=0.5),
        600,
        "The weights view (key 1) on wine: one column per named feature (left/right "
        "scroll them), the bias, and one outgoing weight per class.",
        view="weights",
    ),
    # The five experiments (x), each on the lecture scene that asks for it.
    "experiment-barrier": experiment_scene("barrier-matching"),
    "experiment-seeds": experiment_scene("recurring-units"),
    "experiment-duplicate": experiment_scene("duplicate-saddle"),
    "experiment-condense": experiment_scene("small-init-condenses"),
    "experiment-teacher": experiment_scene("teacher-width"),
}


def plays_to_pause(scene: Scene) -> bool:
    """Whether ``scene`` is played until its lecture scene pauses itself at ``steps``.

    Then the caption says "paused at step …", as it does for the lecturer; the
    controller steps the last stretch exactly, so the picture does not depend on how
    many frames the run took.
    """
    return scene.scenario is not None and scene.scenario.pause_at == scene.steps


def make_app(scene: Scene) -> SymmetryApp:
    """The app for ``scene``: synchronous runner, no rates, loss plot redrawn every frame."""
    steps_per_poll = PLAY_CHUNK if plays_to_pause(scene) else 0
    return SymmetryApp(
        scene.config,
        runner=SyncRunner(scene.config, steps_per_poll=steps_per_poll),
        autoplay=False,
        show_rates=False,
        numbers_interval=0.0,
        scenario=scene.scenario,
        present=scene.present,
        view=scene.view,
    )


async def prepare(app: SymmetryApp, scene: Scene, pilot: Pilot) -> None:
    """Train ``scene.steps`` and press ``scene.keys`` (used by snapshot tests as well)."""
    if plays_to_pause(scene):
        await pilot.press("space")
        for _ in range(PLAY_TRIES):
            if app.controller.paused_at is not None:
                break
            await pilot.pause(0.01)
        else:
            raise TimeoutError(f"the scene did not pause itself at step {scene.steps:,}")
        app.poll_now()
    else:
        app.runner.step(scene.steps)
        app.poll_now()
    await pilot.pause()
    if scene.keys:
        await pilot.press(*scene.keys)
    await pilot.pause()
    if scene.experiment is not None:
        await open_experiment_to_end(app, scene.experiment, pilot)


async def open_experiment_to_end(app: SymmetryApp, name: str, pilot: Pilot) -> None:
    """Open experiment ``name`` on the app's run and step it to its last step.

    The app's SyncRunner gives the experiment a SyncRunner, stepped exactly, so the
    picture does not depend on how fast the machine is.
    """
    open_experiment(app, name)
    for _ in range(EXPERIMENT_TRIES):
        if isinstance(app.screen, ExperimentScreen) and app.screen.picture is not None:
            break
        await pilot.pause(0.01)
    else:
        raise TimeoutError(f"the {name} experiment did not open")
    screen = app.screen
    screen.action_step(screen.job.steps)
    await pilot.pause()


async def open_compare(app: SymmetryApp, scene: Scene, pilot: Pilot) -> None:
    """Open the compare of ``scene`` and step both runs ``scene.steps`` steps.

    The app's SyncRunner gives compare a SyncRunner too, so the picture does not depend
    on how fast the machine is; stepping pauses the comparison, as ``S`` does.
    """
    assert scene.compare is not None
    app.compare_with(*scene.compare)
    for _ in range(COMPARE_TRIES):
        if isinstance(app.screen, CompareScreen) and app.screen.snapshots is not None:
            break
        await pilot.pause(0.05)
    else:
        raise TimeoutError("compare did not open")
    screen = app.screen
    screen.action_step(scene.steps)
    await pilot.pause()


async def capture(scene: Scene, path: Path) -> None:
    """Render ``scene`` and save it as an SVG at ``path``."""
    app = make_app(scene)
    async with app.run_test(size=scene.size) as pilot:
        await pilot.pause()
        if scene.compare is None:
            await prepare(app, scene, pilot)
        else:
            await open_compare(app, scene, pilot)
        app.save_screenshot(filename=path.name, path=str(path.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui_symmetry.app.screenshots",
        description="Write the README screenshots (deterministic SVGs) into DIR.",
    )
    parser.add_argument("directory", type=Path, metavar="DIR")
    scenes = {**SCENES, **README_SCENES}
    parser.add_argument("--only", choices=sorted(scenes), action="append",
                        help="render only this scene (repeatable)")
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    for name in args.only or scenes:
        path = args.directory / f"{name}.svg"
        asyncio.run(capture(scenes[name], path))
        print(f"{path}: {scenes[name].caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
