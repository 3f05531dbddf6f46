"""The split tracker (core/splits.py): its movement bound, its raw events and the
lasting splits and merges derived from them (docs/maths.md, "Splits")."""

from __future__ import annotations

import numpy as np
import pytest

from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.network import ParamLayout
from tui_symmetry.core.similarity import similarity_matrix
from tui_symmetry.core.splits import SplitTracker


def _theta(units: np.ndarray) -> np.ndarray:
    """A flat parameter vector (network.ParamLayout) holding ``units`` (H, D + 2)."""
    return np.concatenate([units[:, :-1].ravel(), units[:, -1], [0.0]])


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_movement_bound_holds_for_every_measure(activation: str) -> None:
    # The tracker skips evaluations while Σ max|Δθ|/σ stays below _relative(β): no
    # similarity may then have moved by β.  Move units as far as that allows, towards
    # and away from each other and shrinking, and check.
    rng = np.random.default_rng(11)
    layout = ParamLayout(6, 2)
    worst = 0.0
    for trial in range(300):
        units = rng.standard_normal((6, 4)) * rng.uniform(0.05, 3.0, (6, 1))
        if trial % 3 == 0:
            units[rng.integers(0, 6), 3] = 0.0  # a zero outgoing weight (watched)
        tracker = SplitTracker(layout, activation, _theta(units))
        budget = float(rng.uniform(1e-4, 0.2))
        tracker._set_scale(units, np.ones(6, dtype=bool))
        allowed = tracker._relative(budget)
        sigma = np.minimum(np.linalg.norm(units[:, :2], axis=1),
                           np.where(units[:, 3] == 0, np.inf, np.abs(units[:, 3])))
        # Each coordinate moves by at most allowed·σ in all: the tracker's own sum.
        step = rng.choice([-1.0, 1.0], (6, 4)) * (allowed * sigma)[:, None]
        step[:, 3] *= units[:, 3] != 0  # a zero v is watched, not bounded
        if trial % 2:
            step[:, :3] = -np.sign(units[:, :3]) * np.abs(step[:, :3])  # shrink
        moved = similarity_matrix(units + step, activation)
        change = float(np.abs(moved - similarity_matrix(units, activation)).max())
        worst = max(worst, change / budget)
        assert change <= budget, (trial, change, budget)
    assert worst > 0.05  # the moves were not negligibly small
