"""Networks with C outputs: the parameter layout, the inits, the unit rows (docs/maths.md,
"Many classes").

Shapes are torch's: W1 (H, D), b1 (H,), W2 (C, H), b2 (C,).  A hidden unit is
u_i = [W1[i, :], b1[i], W2[:, i]], length D + 1 + C.  C = 1 keeps every toy's bits
(the golden outputs and the other test files check that); these tests build C-output
networks directly from arrays, no dataset needed.
"""

from __future__ import annotations

import numpy as np
import pytest

from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.init import INIT_SCHEMES, draw_params
from tui_symmetry.core.network import ParamLayout, Params


def _random_params(H: int, D: int, C: int, seed: int = 0) -> Params:
    rng = np.random.default_rng([seed, H, D, C])
    return Params(rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=(C, H)),
                  rng.normal(size=C))


@pytest.mark.parametrize(("H", "D", "C"), [(4, 3, 3), (5, 2, 1), (3, 64, 10)])
def test_layout_holds_c_outputs_in_torch_order(H: int, D: int, C: int) -> None:
    layout = ParamLayout(H, D, C)
    assert layout.size == H * (D + 1) + C * H + C
    theta = np.arange(layout.size, dtype=float)
    p = layout.views(theta)
    assert p.W1.shape == (H, D) and p.b1.shape == (H,)
    assert p.W2.shape == (C, H) and p.b2.shape == (C,)
    # θ = [W1|b1 row-major │ W2 (C, H) row-major │ b2]
    np.testing.assert_array_equal(p.W2.ravel(), theta[H * (D + 1): H * (D + 1) + C * H])
    np.testing.assert_array_equal(p.b2, theta[-C:])
    is_weight = np.zeros(layout.size, dtype=bool)
    is_weight[layout.weights] = True
    assert not is_weight[-C:].any()  # every b2 entry is a bias
    assert is_weight.sum() == H * D + C * H
    assert layout.per_unit == slice(0, layout.size - C)  # gradient noise leaves b2 alone
    params = _random_params(H, D, C)
    for mine, given in zip(layout.views(layout.pack(params)).as_tuple(), params.as_tuple(),
                           strict=True):
        np.testing.assert_array_equal(mine, given)


def test_unit_permutation_moves_every_outgoing_column() -> None:
    H, D, C = 5, 3, 4
    layout = ParamLayout(H, D, C)
    params = _random_params(H, D, C, seed=1)
    perm = np.array([3, 0, 4, 1, 2])
    moved = layout.views(layout.pack(params)[layout.unit_permutation(perm)])
    np.testing.assert_array_equal(moved.W1, params.W1[perm])
    np.testing.assert_array_equal(moved.b1, params.b1[perm])
    np.testing.assert_array_equal(moved.W2, params.W2[:, perm])
    np.testing.assert_array_equal(moved.b2, params.b2)


@pytest.mark.parametrize("scheme", INIT_SCHEMES)
def test_every_init_draws_c_outgoing_rows(scheme: str) -> None:
    H, D, C = 6, 5, 3
    W1, W2 = INIT_SCHEMES[scheme].weights(H, D, C, np.random.default_rng(0))
    assert W1.shape == (H, D) and W2.shape == (C, H)
    assert np.isfinite(W2).all()
    if INIT_SCHEMES[scheme].copies_units:
        # a copy of one unit: every unit's outgoing column is the same vector
        assert (W2[:, :1] == W2).all() and (W1[:1] == W1).all()
    else:
        assert len({tuple(column) for column in W2.T}) == H


def test_init_with_one_output_makes_the_draws_it_always_made() -> None:
    """C = 1 draws the same numbers in the same order as the (1, H) draws did."""
    H, D = 7, 2
    std_in, std_out = float(np.sqrt(2.0 / (D + H))), float(np.sqrt(2.0 / (H + 1)))
    rng = np.random.default_rng(3)
    w_in, w_out = rng.normal(0.0, std_in, size=D), rng.normal(0.0, std_out)
    W1, W2 = INIT_SCHEMES["symmetric"].weights(H, D, 1, np.random.default_rng(3))
    np.testing.assert_array_equal(W1, np.tile(w_in, (H, 1)))
    np.testing.assert_array_equal(W2, np.full((1, H), w_out))
    rng = np.random.default_rng(4)
    W1_then, W2_then = rng.normal(0.0, std_in, size=(H, D)), rng.normal(0.0, std_out, size=(1, H))
    W1, W2 = INIT_SCHEMES["xavier"].weights(H, D, 1, np.random.default_rng(4))
    np.testing.assert_array_equal(W1, W1_then)
    np.testing.assert_array_equal(W2, W2_then)


def test_draw_params_gives_c_biases_and_noise(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(Config, "output_dim", property(lambda self: 3))
    config = Config(hidden=4, epsilon=1e-3, init="symmetric")
    p = draw_params(config, np.random.default_rng(0))
    assert p.W2.shape == (3, 4) and p.b2.shape == (3,)
    assert np.all(p.b2 != 0.0)  # ε reaches every output bias
    assert len({tuple(column) for column in p.W2.T}) == 4  # the nudge separates the copies


def test_unit_rows_carry_the_outgoing_column() -> None:
    H, D, C = 4, 3, 5
    params = _random_params(H, D, C, seed=2)
    params.W1[1] = 0.0
    params.W2[:, 1] = 0.0
    params.W1[2] = 0.0
    params.W2[:, 2] = 0.0
    params.W2[3, 2] = 0.5  # one class only: still an outgoing weight
    units = metrics.unit_vectors(params)
    assert units.shape == (H, D + 1 + C)
    for i in range(H):
        np.testing.assert_array_equal(units[i], np.r_[params.W1[i], params.b1[i],
                                                      params.W2[:, i]])
    states = metrics.unit_states(params, "tanh")
    assert list(states) == [metrics.LIVE, metrics.NO_WEIGHTS, metrics.CONSTANT, metrics.LIVE]
