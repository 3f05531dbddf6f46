"""Finite-difference checks of the engine's gradients (docs/maths.md), in float64.

The data-loss gradient of ``network.loss_and_grads`` is checked for every activation
and both losses, alone and with each gradient regularizer (L2, tie) added the way the
trainer adds it; the regularizer gradients are also checked on their own against
their penalties.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference_mlp
from conftest import numeric_gradient

from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.network import ParamLayout, Params, loss_and_grads
from tui_symmetry.core.regularize import add_l2, add_tie

RTOL = 1e-6
ATOL = 1e-9
KINK_MARGIN = 1e-3  # keep |z| this far from relu's kink, far beyond the step of numeric_gradient


def _random_problem(activation: str, regression: bool, seed: int = 0) -> tuple[Params, ...]:
    """Random params and a small batch (X, y).

    Every pre-activation stays away from relu's kink at 0, and every unit is active
    (z > 0) on some sample and inactive on another, so no gradient is trivially zero.
    """
    rng = np.random.default_rng([seed, len(activation), int(regression)])
    H, N = 4, 9
    D = 1 if regression else 2
    while True:
        params = Params(
            W1=rng.normal(0.0, 1.0, (H, D)),
            b1=rng.normal(0.0, 0.5, H),
            W2=rng.normal(0.0, 1.0, (1, H)),
            b2=rng.normal(0.0, 0.5, 1),
        )
        X = rng.uniform(-1.5, 1.5, (N, D))
        z = X @ params.W1.T + params.b1
        mixed = np.all((z > 0).any(axis=0) & (z < 0).any(axis=0))
        if np.min(np.abs(z)) > KINK_MARGIN and mixed:
            break
    if regression:
        y = np.sin(2.0 * X[:, :1]) + 0.1 * rng.standard_normal((N, 1))
    else:
        y = (rng.random((N, 1)) < 0.5).astype(float)
    return params, X, y



def _l2_penalty(p: Params, l2: float) -> float:
    """0.5·l2·(‖W1‖² + ‖W2‖²)."""
    return 0.5 * l2 * float(np.sum(p.W1**2) + np.sum(p.W2**2))


def _tie_penalty(p: Params, tie: float) -> float:
    """0.5·tie·Σ_i ‖u_i − ū‖² with u_i = [W1[i, :], b1[i], W2[:, i]]."""
    units = np.column_stack([p.W1, p.b1, p.W2.T])
    return 0.5 * tie * float(np.sum((units - units.mean(axis=0)) ** 2))


def _regularizer_gradient(name: str, strength: float, theta: np.ndarray,
                          layout: ParamLayout) -> np.ndarray:
    """The gradient the engine adds for regularizer ``name`` to a zero gradient."""
    grad = np.zeros_like(theta)
    if name == "l2":
        add_l2(grad, theta, layout, strength)
    elif name == "tie":
        add_tie(grad, theta, layout, strength)
    return grad


def _penalty(name: str, strength: float, p: Params) -> float:
    """The penalty whose gradient regularizer ``name`` adds (0 for none)."""
    if name == "l2":
        return _l2_penalty(p, strength)
    if name == "tie":
        return _tie_penalty(p, strength)
    return 0.0


@pytest.mark.parametrize("regularizer", ["none", "l2", "tie"])
@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_total_gradient_matches_finite_differences(activation: str, loss: str,
                                                   regularizer: str) -> None:
    params, X, y = _random_problem(activation, loss == "mse")
    layout = ParamLayout(*params.W1.shape)
    theta = layout.pack(params)
    strength = 0.37

    def objective(t: np.ndarray) -> float:
        p = layout.views(t)
        value, _ = loss_and_grads(p, X, y, activation, loss)
        return value + _penalty(regularizer, strength, p)

    value, grads = loss_and_grads(params, X, y, activation, loss)
    analytic = layout.pack(grads) + _regularizer_gradient(regularizer, strength, theta, layout)
    numeric = numeric_gradient(objective, theta)

    assert value == pytest.approx(objective(theta) - _penalty(regularizer, strength, params),
                                 rel=1e-12)
    assert np.all(np.abs(analytic) < 1e3)
    np.testing.assert_allclose(analytic, numeric, rtol=RTOL, atol=ATOL)
    # Not a vacuous comparison: every parameter's gradient is genuinely non-zero here.
    assert np.count_nonzero(np.abs(numeric) > 1e-6) >= theta.size - 1


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_gradient_with_dropout_mask_matches_finite_differences(activation: str,
                                                               loss: str) -> None:
    params, X, y = _random_problem(activation, loss == "mse", seed=3)
    rng = np.random.default_rng(11)
    p_drop = 0.4
    mask = (rng.random((X.shape[0], params.W1.shape[0])) < 1 - p_drop) / (1 - p_drop)
    layout = ParamLayout(*params.W1.shape)
    theta = layout.pack(params)

    def objective(t: np.ndarray) -> float:
        return loss_and_grads(layout.views(t), X, y, activation, loss, mask)[0]

    _, grads = loss_and_grads(params, X, y, activation, loss, mask)
    np.testing.assert_allclose(layout.pack(grads), numeric_gradient(objective, theta),
                               rtol=RTOL, atol=ATOL)
    # The mask matters: without it the gradient is different.
    _, plain = loss_and_grads(params, X, y, activation, loss)
    assert not np.allclose(layout.pack(plain), layout.pack(grads))


@pytest.mark.parametrize(("name", "strength"), [("l2", 0.3), ("l2", 2.5), ("tie", 0.7),
                                                ("tie", 40.0)])
@pytest.mark.parametrize(("hidden", "inputs", "outputs"),
                         [(1, 2, 1), (5, 2, 1), (6, 1, 1), (5, 3, 4)])
def test_regularizer_gradient_matches_its_penalty(name: str, strength: float, hidden: int,
                                                  inputs: int, outputs: int) -> None:
    rng = np.random.default_rng([hidden, inputs, outputs])
    layout = ParamLayout(hidden, inputs, outputs)
    theta = rng.normal(0.0, 1.0, layout.size)

    def penalty(t: np.ndarray) -> float:
        return _penalty(name, strength, layout.views(t))

    analytic = _regularizer_gradient(name, strength, theta, layout)
    np.testing.assert_allclose(analytic, numeric_gradient(penalty, theta),
                               rtol=RTOL, atol=ATOL)
    g = layout.views(analytic)
    # b2 is nobody's business; L2 leaves the biases alone too.
    assert np.all(g.b2 == 0.0)
    if name == "l2":
        assert np.all(g.b1 == 0.0)
        np.testing.assert_array_equal(g.W1, strength * layout.views(theta).W1)
    if name == "tie" and hidden == 1:
        assert np.all(analytic == 0.0)  # one unit is its own mean


def test_regularizers_add_to_an_existing_gradient() -> None:
    """add_l2 / add_tie accumulate into the gradient (g += ...), they do not overwrite it."""
    layout = ParamLayout(3, 2)
    rng = np.random.default_rng(5)
    theta = rng.normal(size=layout.size)
    base = rng.normal(size=layout.size)
    for name in ("l2", "tie"):
        grad = base.copy()
        if name == "l2":
            add_l2(grad, theta, layout, 0.5)
        else:
            add_tie(grad, theta, layout, 0.5)
        np.testing.assert_allclose(grad - base,
                                   _regularizer_gradient(name, 0.5, theta, layout),
                                   rtol=0, atol=1e-15)


@pytest.mark.parametrize("loss", ["bce", "mse"])
@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_reference_implementation_gradients_match_finite_differences(activation: str,
                                                                     loss: str) -> None:
    """The replay reference (tests/reference_mlp.py) is itself right, not just engine-like."""
    regression = loss == "mse"
    params, X, y = _random_problem(activation, regression, seed=8)
    layout = ParamLayout(*params.W1.shape)
    theta = layout.pack(params)

    def as_dict(t: np.ndarray) -> dict[str, np.ndarray]:
        p = layout.views(t)
        return {"W1": p.W1, "b1": p.b1, "W2": p.W2, "b2": p.b2}

    def objective(t: np.ndarray) -> float:
        return reference_mlp.loss_and_grads(as_dict(t), X, y, activation, loss)[0]

    _, grads = reference_mlp.loss_and_grads(as_dict(theta), X, y, activation, loss)
    analytic = layout.pack(Params(grads["W1"], grads["b1"], grads["W2"], grads["b2"]))
    np.testing.assert_allclose(analytic, numeric_gradient(objective, theta),
                               rtol=RTOL, atol=ATOL)
