"""The split tracker (core/splits.py): its movement bound, its raw events and the
lasting splits and merges derived from them (docs/maths.md, "Splits")."""

from __future__ import annotations

import itertools

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
    # similarity may then have moved by β.  Move every coordinate of every unit by as
    # much as that allows, each in the direction that changes the pair's similarity
    # most, with zero outgoing weights (watched, so they stay) on none, one or both.
    rng = np.random.default_rng(11)
    layout = ParamLayout(2, 2)
    worst = 0.0
    for trial in range(240):
        units = rng.standard_normal((2, 4)) * rng.uniform(0.05, 3.0, (2, 1))
        units[: trial % 3, 3] = 0.0
        tracker = SplitTracker(layout, activation, _theta(units))
        budget = float(10 ** rng.uniform(-4, -0.7))
        tracker._set_scale(units, np.ones(2, dtype=bool))
        allowed = tracker._relative(budget)
        sigma = np.minimum(np.linalg.norm(units[:, :2], axis=1),
                           np.where(units[:, 3] == 0, np.inf, np.abs(units[:, 3])))
        before = similarity_matrix(units, activation)[0, 1]
        direction = np.zeros_like(units)
        for i, k in itertools.product(range(2), range(4)):
            nudge = units.copy()
            nudge[i, k] += 1e-7 * sigma[i]
            direction[i, k] = np.sign(similarity_matrix(nudge, activation)[0, 1] - before)
        direction[:, 3] *= units[:, 3] != 0
        for sign in (1.0, -1.0):
            moved = units + sign * direction * (allowed * sigma)[:, None]
            change = abs(similarity_matrix(moved, activation)[0, 1] - before)
            worst = max(worst, change / budget)
            assert change <= budget, (trial, change, budget)
    assert worst > 0.3  # the moves went a good part of the way
