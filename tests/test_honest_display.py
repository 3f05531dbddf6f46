"""The honest numbers on screen (issue 7): what the panels and the status line draw.

Each test reads back the drawn text (the Line API, ``SafePlot.plain_text()``, the
status formatter) of small seeded runs, and checks it against a second computation.
"""

from __future__ import annotations

import dataclasses
import math
import re

import numpy as np
from textual.pilot import Pilot

from tests.test_widgets import lines, run, screen_text, with_params
from tui_symmetry.app.status import format_status
from tui_symmetry.app.widgets import SimilarityPanel
from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import Config
from tui_symmetry.core.network import Params
from tui_symmetry.core.trainer import Snapshot, Trainer

SADDLE_RUN = Config(dataset="xor", init="symmetric", epsilon=1e-8)
_CACHE: dict[tuple, Snapshot] = {}


def trained(config: Config, steps: int) -> Snapshot:
    key = (config, steps)
    if key not in _CACHE:
        trainer = Trainer(config)
        trainer.step(steps)
        _CACHE[key] = trainer.snapshot()
    return _CACHE[key]


def all_dead(snap: Snapshot) -> Snapshot:
    """``snap`` with no weights into any unit: the symmetry index is undefined."""
    p = snap.params
    dead = with_params(snap, Params(np.zeros_like(p.W1), p.b1.copy(), p.W2.copy(),
                                    p.b2.copy()))
    return dataclasses.replace(dead, constant_units=int(np.count_nonzero(p.W2)))


def test_the_summary_shows_the_configs_own_chance_level():
    config = Config(samples=80, hidden=8, seed=1, init="he")
    snap = trained(config, 0)
    assert snap.chance_level == symmetry_chance(config)
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        summary = next(line for line in lines(panel) if line.startswith("symmetry "))
        assert f"symmetry {snap.symmetry_index:.3f}" in summary
        assert f"(chance {snap.chance_level:.2f})" in summary
        # The measure in use is named (its head at least) where there is room.
        assert "|cos|" in screen_text(panel)

    run(panel, body, size=(40, 16))


def test_an_all_dead_network_reads_a_dash_never_one():
    snap = all_dead(trained(Config(samples=80, hidden=8, seed=1, init="xavier"), 0))
    assert math.isnan(snap.symmetry_index)
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = screen_text(panel)
        assert "symmetry — (fewer than 2 live units)" in text
        assert "8 constant" in text and "1.000" not in text and "nan" not in text

    run(panel, body, size=(44, 16))
    status = format_status(snap, "paused", show_rate=False)
    assert " · symmetry — · " in status and "nan" not in status


def test_the_saddle_line_shows_negative_curvature_and_its_efold_time():
    snap = trained(SADDLE_RUN, 300)
    curvature = snap.saddle_curvature
    assert curvature is not None and curvature < 0
    panel = SimilarityPanel(text_interval=0)

    async def body(pilot: Pilot) -> None:
        panel.show(snap)
        await pilot.pause()
        text = " ".join(line.strip() for line in lines(panel))
        assert f"saddle: curvature −{abs(curvature):.2g}" in text
        shown = int(re.search(r"×e every ([\d,]+) steps", text)[1].replace(",", ""))
        # A second computation: linearised SGD grows ×e every 1/(lr·|λ|) steps; shown
        # to two significant digits.
        expected = 1.0 / (snap.config.lr * abs(curvature))
        assert shown == float(f"{expected:.2g}")
        assert f"split predicted at step {snap.predicted_split_step:,}" in text

    run(panel, body, size=(40, 16))
