"""The activation registry: each record's maps are right and its symmetry is the true one.

A unit's symmetry (docs/maths.md, "Symmetries of a unit") says which changes of its
parameters u = (w, b, v) leave the network's function alone.  Each declared symmetry is
checked both ways: the changes it names keep the output, and the ones it does not name
change it, so no record claims too much or too little.
"""

from __future__ import annotations

import numpy as np
import pytest
import reference_mlp

from tui_symmetry.core import config
from tui_symmetry.core.network import (
    ACTIVATIONS,
    SYMMETRIES,
    Activation,
    ParamLayout,
    Params,
    UnitMajorViews,
    Workspace,
    output_unit_major,
    with_ones,
)

H, D, N = 5, 2, 64


def _problem(seed: int) -> tuple[Params, np.ndarray]:
    rng = np.random.default_rng(seed)
    params = Params(W1=rng.normal(0.0, 1.0, (H, D)), b1=rng.normal(0.0, 0.5, H),
                    W2=rng.normal(0.0, 1.0, (1, H)), b2=rng.normal(0.0, 0.5, 1))
    return params, rng.uniform(-2.0, 2.0, (N, D))


def _output(params: Params, X: np.ndarray, name: str) -> np.ndarray:
    """The engine's output on X, through the registry record ``name``."""
    layout = ParamLayout(H, D)
    views = UnitMajorViews(layout, layout.pack(params))
    return output_unit_major(views, with_ones(X), ACTIVATIONS[name], Workspace(H, len(X)))


def _change_unit(params: Params, unit: int, alpha: float, b2_shift: float = 0.0) -> Params:
    """Unit ``unit``'s (w, b, v) → (αw, αb, v/α); b2 += b2_shift."""
    p = params.copy()
    p.W1[unit] *= alpha
    p.b1[unit] *= alpha
    p.W2[0, unit] /= alpha
    p.b2[0] += b2_shift
    return p


def test_the_registry_is_where_config_gets_its_names() -> None:
    assert tuple(ACTIVATIONS) == config.ACTIVATIONS
    assert all(name == record.name for name, record in ACTIVATIONS.items())
    assert {record.symmetry for record in ACTIVATIONS.values()} == set(SYMMETRIES)


def test_an_unknown_symmetry_is_refused() -> None:
    record = ACTIVATIONS["tanh"]
    with pytest.raises(ValueError, match="symmetry"):
        Activation("odd_ish", record.forward, record.derivative, "odd-ish", record.derivatives)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_forward_and_derivative_match_the_reference(name: str) -> None:
    record = ACTIVATIONS[name]
    z = np.linspace(-30.0, 30.0, 241).reshape(1, -1)  # the kink at 0 included
    a_buffer, slope_buffer = np.empty_like(z), np.empty_like(z)
    a = record.forward(z, a_buffer)
    np.testing.assert_allclose(a, reference_mlp.phi(name, z), rtol=1e-15, atol=1e-15)
    # Written into the buffer given, except linear, whose φ(z) is z itself.
    assert a is (z if name == "linear" else a_buffer)
    slope = record.derivative(z, a, slope_buffer)
    if name == "linear":
        assert slope is None  # "all ones": the caller skips the multiplication
    else:
        assert slope is slope_buffer
        np.testing.assert_allclose(slope, reference_mlp.phi_prime(name, z), rtol=1e-12,
                                   atol=1e-15)


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_is_odd_means_a_unit_and_its_negative_compute_the_same(name: str) -> None:
    params, X = _problem(1)
    same = np.allclose(_output(_change_unit(params, 2, -1.0), X, name), _output(params, X, name),
                       rtol=1e-12, atol=1e-12)
    assert ACTIVATIONS[name].is_odd == same
    assert ACTIVATIONS[name].is_odd == (ACTIVATIONS[name].symmetry in ("odd", "linear"))


# The changes each symmetry names: (α, with b2 shifted by the unit's v) → keeps output?
CHANGES = {
    "negate": (-1.0, False),
    "negate and shift b2": (-1.0, True),
    "scale up": (2.5, False),
    "scale down": (0.3, False),
    "negate and scale": (-2.5, False),
}
KEPT_BY = {
    "odd": {"negate"},
    "odd_plus_constant": {"negate and shift b2"},
    "positive_scale": {"scale up", "scale down"},
    "linear": {"negate", "scale up", "scale down", "negate and scale"},
}


@pytest.mark.parametrize("change", list(CHANGES))
@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_each_symmetry_keeps_exactly_the_changes_it_names(name: str, change: str) -> None:
    params, X = _problem(2)
    alpha, shift_b2 = CHANGES[change]
    unit = 3
    # σ(−z) = 1 − σ(z): negating a sigmoid unit moves its v·σ onto the bias by v.
    shift = float(params.W2[0, unit]) if shift_b2 else 0.0
    changed = _output(_change_unit(params, unit, alpha, shift), X, name)
    kept = np.allclose(changed, _output(params, X, name), rtol=1e-12, atol=1e-12)
    assert kept == (change in KEPT_BY[ACTIVATIONS[name].symmetry])


@pytest.mark.parametrize("name", list(ACTIVATIONS))
def test_the_second_derivative_is_the_slope_of_the_first(name: str):
    """φ, φ′, φ″ of ``derivatives`` against the forward map, the in-place derivative and
    a central difference of φ′ (away from relu's and leaky relu's kink at 0)."""
    record = ACTIVATIONS[name]
    z = np.linspace(-3.0, 3.0, 241)
    z = z[np.abs(z) > 1e-3]
    phi, d1, d2 = record.derivatives(z)
    np.testing.assert_allclose(phi, record.forward(z, np.empty_like(z)), rtol=1e-12, atol=0)
    in_place = record.derivative(z, phi, np.empty_like(z))
    np.testing.assert_allclose(d1, np.ones_like(z) if in_place is None else in_place,
                               rtol=1e-12, atol=0)
    h = 1e-5
    slope = (record.derivatives(z + h)[1] - record.derivatives(z - h)[1]) / (2 * h)
    np.testing.assert_allclose(d2, slope, rtol=1e-6, atol=1e-8)
