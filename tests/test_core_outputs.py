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
from conftest import numeric_gradient
from scipy.special import logsumexp

from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.init import INIT_SCHEMES, draw_params
from tui_symmetry.core.network import (
    ACTIVATIONS,
    LOSSES,
    ParamLayout,
    Params,
    loss_and_grads,
    one_hot,
)


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


# -- losses ------------------------------------------------------------------------------




def _targets(loss: str, C: int, N: int, rng: np.random.Generator) -> np.ndarray:
    """What loss_and_grads takes: class labels (N,) for softmax, (N, C) rows otherwise."""
    if loss == "softmax":
        labels = np.arange(N) % C  # every class present
        return rng.permutation(labels)
    if loss == "bce":
        return (rng.random((N, C)) < 0.5).astype(float)
    return rng.normal(size=(N, C))


def _cross_entropy(out: np.ndarray, labels: np.ndarray) -> float:
    """torch's CrossEntropyLoss on logits (N, C), written from its definition."""
    return float(np.mean(logsumexp(out, axis=1) - out[np.arange(len(labels)), labels]))


@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
@pytest.mark.parametrize(("loss", "C"), [("softmax", 5), ("softmax", 2), ("bce", 3),
                                         ("mse", 2)])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_c_output_gradient_matches_finite_differences(activation: str, loss: str, C: int,
                                                      dropout: bool) -> None:
    rng = np.random.default_rng([len(activation), C, int(dropout)])
    H, D, N = 4, 3, 11
    params = _random_params(H, D, C, seed=C)
    X = rng.uniform(-1.5, 1.5, (N, D))
    y = _targets(loss, C, N, rng)
    mask = (rng.random((N, H)) < 0.6) / 0.6 if dropout else None
    layout = ParamLayout(H, D, C)
    theta = layout.pack(params)

    def objective(t: np.ndarray) -> float:
        return loss_and_grads(layout.views(t), X, y, activation, loss, mask)[0]

    value, grads = loss_and_grads(params, X, y, activation, loss, mask)
    numeric = numeric_gradient(objective, theta)
    np.testing.assert_allclose(layout.pack(grads), numeric, rtol=1e-6, atol=1e-9)
    assert np.count_nonzero(np.abs(numeric) > 1e-6) > theta.size // 2
    if loss == "softmax" and not dropout:
        a = ACTIVATIONS[activation].forward(X @ params.W1.T + params.b1, np.empty((N, H)))
        assert value == pytest.approx(_cross_entropy(a @ params.W2.T + params.b2, y),
                                      rel=1e-13)
        # the gauge: a W2 column's class mean and b2's mean get no gradient
        np.testing.assert_allclose(grads.W2.sum(axis=0), 0.0, atol=1e-15)
        assert abs(grads.b2.sum()) < 1e-15


def test_softmax_loss_is_finite_for_huge_logits_and_blind_to_a_shift() -> None:
    labels = np.array([0, 2, 1, 2])
    out = np.array([[1e4, -3.0, 0.0, 2.0], [0.0, 1e4, -1e4, 2.0], [5.0, 1e4, 1e3, 2.0]])
    Y = one_hot(labels, 3)
    value, delta = LOSSES["softmax"].value_and_delta(out, Y, 0.25)
    assert value == pytest.approx(_cross_entropy(out.T, labels), rel=1e-15)
    assert np.isfinite(delta).all()
    shifted, delta_shifted = LOSSES["softmax"].value_and_delta(out + 7.5, Y, 0.25)
    assert shifted == pytest.approx(value, rel=1e-15)
    np.testing.assert_allclose(delta_shifted, delta, atol=1e-16)
    np.testing.assert_allclose(delta.sum(axis=0), 0.0, atol=1e-16)
    assert LOSSES["softmax"].value(out, Y) == pytest.approx(value, rel=1e-15)


@pytest.mark.parametrize(("loss", "C"), [("softmax", 4), ("bce", 1), ("mse", 1)])
def test_curvature_terms_are_the_derivatives_of_the_delta(loss: str, C: int) -> None:
    """r is ∂ℓ/∂f / N, Q·J its derivative along J, and q_norm bounds ‖Q_n‖ per sample."""
    rng = np.random.default_rng(C)
    N = 7
    out = rng.normal(0.0, 2.0, (C, N))
    y = _targets(loss, C, N, rng)
    target = one_hot(y, C) if loss == "softmax" else np.ascontiguousarray(y.T)
    record = LOSSES[loss]
    inv_n = 1.0 / N
    r, q_times, q_norm = record.hessian_terms(out, target, inv_n)
    np.testing.assert_allclose(r, record.value_and_delta(out, target, inv_n)[1], rtol=1e-12)
    J = rng.normal(size=(3, C, N))
    h = 1e-6
    for m in range(3):
        numeric = (record.value_and_delta(out + h * J[m], target, inv_n)[1]
                   - record.value_and_delta(out - h * J[m], target, inv_n)[1]) / (2 * h)
        np.testing.assert_allclose(q_times(J)[m], numeric, rtol=1e-6, atol=1e-10)
    for n in range(N):
        basis = np.zeros((C, C, N))
        basis[np.arange(C), np.arange(C), n] = 1.0
        Q_n = q_times(basis)[:, :, n]  # column c: Q_n e_c
        np.testing.assert_allclose(Q_n, Q_n.T, atol=1e-17)
        assert np.abs(np.linalg.eigvalsh(Q_n)).max() <= q_norm[n] * (1 + 1e-12)
