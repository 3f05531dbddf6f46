"""Snapshot tests (pytest-textual-snapshot) of the app's main states at 120×40 and 80×24.

Deterministic: a SyncRunner trained an exact number of steps, no clocks, no rates, the
loss plot redrawn at once.  The 120×40 scenes are the README screenshots themselves.
Update after an intended change with ``pytest tests/test_app_snapshots.py --snapshot-update``
and look at the report.
"""

from __future__ import annotations

import pytest
from textual.pilot import Pilot

from tui_symmetry.app.screenshots import SCENES, Scene, make_app, prepare
from tui_symmetry.core import Config
from tui_symmetry.scenarios import SCENARIOS


def scene_runner(scene: Scene):
    """A run_before hook that trains and presses what ``scene`` says."""

    async def run_before(pilot: Pilot) -> None:
        await prepare(pilot.app, scene, pilot)  # type: ignore[arg-type]

    return run_before


@pytest.mark.parametrize("name", sorted(SCENES))
def test_screenshot_scenes_120x40(snap_compare, name: str):
    scene = SCENES[name]
    assert snap_compare(make_app(scene), terminal_size=(120, 40),
                        run_before=scene_runner(scene))


SMALL_SCENES = {
    "weights": Scene(Config(), 2_500, "80×24 starts on the weights view"),
    "units": Scene(Config(), 2_500, "the units gallery", keys=("4",)),
    "gradients": Scene(Config(), 2_500, "the gradients view", keys=("5",)),
    "loss": Scene(Config(), 2_500, "the loss view", keys=("2",)),
    "settings": Scene(Config(), 2_500, "the settings view, first setting focused",
                      keys=("3",)),
    "help": Scene(Config(), 0, "help at 80×24", keys=("f1",)),
}


@pytest.mark.parametrize("name", sorted(SMALL_SCENES))
def test_small_terminal_80x24(snap_compare, name: str):
    scene = SMALL_SCENES[name]
    assert snap_compare(make_app(scene), terminal_size=(80, 24),
                        run_before=scene_runner(scene))


def test_diverged_120x40(snap_compare):
    scene = Scene(Config(dataset="sine", lr=50.0), 1_000, "diverged: paused, last finite state")
    assert snap_compare(make_app(scene), terminal_size=(120, 40),
                        run_before=scene_runner(scene))


def test_live_change_then_reset_notice_120x40(snap_compare):
    scene = Scene(Config(), 500, "one live change, then a reset: one notice, the last",
                  keys=("plus", "i"))
    assert snap_compare(make_app(scene), terminal_size=(120, 40),
                        run_before=scene_runner(scene))


def test_smallest_terminal_keeps_state_and_speed_cap_60x20(snap_compare):
    scene = Scene(Config(), 2_500, "60×20 with a speed cap: the status keeps cap and state",
                  keys=("less_than_sign", "less_than_sign"))
    assert snap_compare(make_app(scene), terminal_size=(60, 20),
                        run_before=scene_runner(scene))


def test_too_small_terminal(snap_compare):
    scene = Scene(Config(), 0, "below the minimum size")
    assert snap_compare(make_app(scene), terminal_size=(50, 16),
                        run_before=scene_runner(scene))


def test_filters_view_of_a_conv_run_100x30(snap_compare, no_one_unit_search):
    """View 6 at 100×30: eight 3 × 3 kernels at zoom 4 beside their maps on the image."""
    scene = Scene(SCENARIOS["filters-differ"].config, 20, "the filters of a conv run",
                  view="filters")
    assert snap_compare(make_app(scene), terminal_size=(100, 30),
                        run_before=scene_runner(scene))
