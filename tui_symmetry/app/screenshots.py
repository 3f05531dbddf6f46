"""Deterministic screenshots of the app: ``python -m tui_symmetry.app.screenshots DIR``.

Each scene is a config, a number of training steps and some keys, rendered at 120×40
with a :class:`~tui_symmetry.runner.SyncRunner` (no clocks, no rates), so the same
code always gives the same SVG.  ``make screenshots`` writes them to ``screenshots/``
for the README; the snapshot tests render the same scenes.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from dataclasses import dataclass, field
from pathlib import Path

from textual.pilot import Pilot

from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.core.config import Config
from tui_symmetry.runner import SyncRunner

SIZE = (120, 40)


@dataclass(frozen=True)
class Scene:
    """One screenshot: what to train, how far, which keys to press, and what it shows."""

    config: Config
    steps: int
    caption: str
    keys: tuple[str, ...] = field(default_factory=tuple)


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


def make_app(scene: Scene) -> SymmetryApp:
    """The app for ``scene``: synchronous runner, no rates, loss plot redrawn every frame."""
    return SymmetryApp(
        scene.config,
        runner=SyncRunner(scene.config),
        autoplay=False,
        show_rates=False,
        loss_interval=0.0,
    )


async def prepare(app: SymmetryApp, scene: Scene, pilot: Pilot) -> None:
    """Train ``scene.steps`` and press ``scene.keys`` (used by snapshot tests as well)."""
    app.runner.step(scene.steps)
    app.poll_now()
    await pilot.pause()
    if scene.keys:
        await pilot.press(*scene.keys)
    await pilot.pause()


async def capture(scene: Scene, path: Path, size: tuple[int, int] = SIZE) -> None:
    """Render ``scene`` and save it as an SVG at ``path``."""
    app = make_app(scene)
    async with app.run_test(size=size) as pilot:
        await pilot.pause()
        await prepare(app, scene, pilot)
        app.save_screenshot(filename=path.name, path=str(path.parent))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="python -m tui_symmetry.app.screenshots",
        description="Write the README screenshots (deterministic SVGs) into DIR.",
    )
    parser.add_argument("directory", type=Path, metavar="DIR")
    parser.add_argument("--only", choices=sorted(SCENES), action="append",
                        help="render only this scene (repeatable)")
    args = parser.parse_args(argv)
    args.directory.mkdir(parents=True, exist_ok=True)
    for name in args.only or SCENES:
        path = args.directory / f"{name}.svg"
        asyncio.run(capture(SCENES[name], path))
        print(f"{path}: {SCENES[name].caption}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
