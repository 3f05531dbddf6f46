"""Duplicate a unit (core/duplicate.py): the line of networks with one loss, and the
curvature along the directions that separate the copies, each checked a second way."""

from __future__ import annotations

import math

import numpy as np
import pytest
import reference_mlp as ref

from tui_symmetry.cli import main
from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.duplicate import (
    LAMBDAS,
    Surface,
    grow,
    line_losses,
    pair_curvature,
    replace,
    separating_basis,
)
from tui_symmetry.core.metrics import max_unit_gap, unit_vectors
from tui_symmetry.core.network import Params
from tui_symmetry.core.polish import polish
from tui_symmetry.core.saddle import hessian_terms
from tui_symmetry.experiments import duplicate as experiment
from tui_symmetry.experiments.registry import ExperimentJob
from tui_symmetry.export import run_document

SMALL = Config(dataset="xor", hidden=2, init="xavier", epsilon=0.0, lr=0.5, seed=3)
"""A start whose polished weights stay moderate (|v| ≈ 150): at other seeds L-BFGS
heads for the limit of growing weights (|v| ≈ 1e4), where rounding alone moves the
loss along the line by 1e-12."""


@pytest.fixture(scope="module")
def critical() -> tuple[Surface, Params]:
    """xor, tanh, 2 units trained 300 steps then polished by L-BFGS to a critical point."""
    trainer = Trainer(SMALL)
    trainer.step(300)
    data = trainer.data
    found = polish(trainer.params.copy(), data.X_train, data.y_train, "tanh", "bce")
    assert found.gradient_norm < 1e-5
    return Surface.of(SMALL, data.X_train, data.y_train), found.params


def _reference_loss(surface: Surface, params: Params) -> float:
    arrays = {name: np.asarray(value) for name, value in params.to_lists().items()}
    return ref.data_loss(ref.forward(arrays, surface.X, surface.activation)[2], surface.y,
                         surface.loss)


def test_a_grown_network_has_one_loss_along_the_whole_line(critical) -> None:
    surface, params = critical
    before = surface.value(params)
    losses = line_losses(surface, params, 0, LAMBDAS)
    assert np.abs(losses - before).max() <= 1e-12
    for lam in (0.3, 1.5):  # the second build's forward pass agrees
        assert abs(_reference_loss(surface, grow(params, 0, lam)) - before) <= 1e-12
    grown = grow(params, 0, 0.25)
    assert grown.W1.shape == (3, 2)
    np.testing.assert_array_equal(grown.W1[2], params.W1[0])
    assert grown.W2[0, 0] + grown.W2[0, 2] == pytest.approx(params.W2[0, 0], abs=0)


def test_replacing_a_unit_is_flat_along_the_line_but_costs_loss(critical) -> None:
    surface, params = critical
    losses = line_losses(surface, params, 0, LAMBDAS, into=1)
    assert np.ptp(losses) <= 1e-12
    assert losses[0] > surface.value(params) + 1e-3  # what unit 2 did is lost
    assert losses[0] == pytest.approx(_reference_loss(surface, replace(params, 0, 1, -0.5)),
                                      abs=1e-12)
    with pytest.raises(ValueError, match="unit 1 cannot be replaced by a copy of itself"):
        replace(params, 0, 0, 0.5)
    with pytest.raises(ValueError, match="unit 5 does not exist"):
        grow(params, 4, 0.5)


@pytest.mark.parametrize("lam", [0.5, 0.25, -0.5, 1.5])
def test_the_pair_curvature_is_the_loss_bending_along_its_eigenvectors(critical,
                                                                         lam: float) -> None:
    surface, params = critical
    grown = grow(params, 0, lam)
    reading = pair_curvature(surface, grown, 0, 2, lam)
    values, vectors = np.linalg.eigh(reading.matrix)
    P_i, P_j = separating_basis(lam, 4, 3)
    h = 1e-4
    base = surface.value(grown)
    for index in (0, -1):  # smallest and largest: a second difference of the loss
        d = vectors[:, index]
        step = np.zeros((3, 4))
        step[0], step[2] = P_i @ d, P_j @ d
        assert np.linalg.norm(step) == pytest.approx(1.0)

        def moved(sign: float, d_units: np.ndarray = step) -> float:
            units = unit_vectors(grown) + sign * h * d_units
            return surface.value(Params(units[:, :2], units[:, 2], units[:, 3][None],
                                        grown.b2))

        bend = (moved(1.0) + moved(-1.0) - 2.0 * base) / h**2
        assert bend == pytest.approx(values[index], rel=1e-4, abs=2e-6)


def test_on_the_line_the_matrix_is_the_one_unit_block_scaled_by_lambda(critical) -> None:
    """Fukumizu & Amari: λ(1 − λ)/n² times the one unit's residual curvature B_ww, and
    B_wv/(√2 n) across (0 at a critical point), from the smaller network's own terms."""
    surface, params = critical
    units = unit_vectors(params)
    terms = hessian_terms(units, float(params.b2[0]), np.vstack([surface.X.T, np.ones(
        len(surface.X))]), surface.y.T, "tanh", "bce")
    B = terms.unit_block()  # unit 0's, (D + 2) × (D + 2): [[B_ww, B_wv], [B_vw, 0]]
    for lam in (0.25, 0.5, -0.5, 1.5, 0.0, 1.0):
        n = math.hypot(lam, 1 - lam)
        expected = np.zeros((4, 4))
        expected[:3, :3] = lam * (1 - lam) / n**2 * B[:3, :3]
        expected[:3, 3] = expected[3, :3] = B[:3, 3] / (math.sqrt(2) * n)
        got = pair_curvature(surface, grow(params, 0, lam), 0, 2, lam).matrix
        np.testing.assert_allclose(got, expected, rtol=1e-7, atol=1e-12)
    assert np.abs(B[:3, 3]).max() < 1e-5  # a critical point: ∇_w̃ L / v
    inside = pair_curvature(surface, grow(params, 0, 0.5), 0, 2, 0.5)
    outside = pair_curvature(surface, grow(params, 0, 1.5), 0, 2, 1.5)
    assert inside.smallest < 0 < inside.largest  # B_ww indefinite here: saddles all along
    # outside [0, 1] the sign flips: λ(1 − λ)/n² is −0.3 at 1.5 against 0.5 at 0.5
    assert outside.smallest == pytest.approx(-0.6 * inside.largest, rel=1e-3)


def test_a_run_started_from_a_grown_network_keeps_its_copies_identical(critical) -> None:
    surface, params = critical
    grown = grow(params, 0, 0.5)
    trainer = Trainer(SMALL.replace(hidden=3, lr=0.05), start_params=grown,
                      start={"kind": "duplicate", "unit": 1, "lambda": 0.5})
    np.testing.assert_array_equal(trainer.initial_params.W1, grown.W1)
    assert trainer.train_loss() == pytest.approx(surface.value(params), abs=1e-12)
    trainer.step(200)
    copies = unit_vectors(trainer.params)[[0, 2], :3]  # the incoming parts
    assert max_unit_gap(copies) == 0.0
    with pytest.raises(ValueError, match=r"W1 is \(3, 2\), the network needs \(4, 2\)"):
        Trainer(SMALL.replace(hidden=4), start_params=grown)


def test_the_experiment_plays_from_the_copy_it_measured(capsys) -> None:
    """The experiment's line is core's line recomputed; its run starts at the copy plus
    the settings' nudge and says so in its export."""
    config = SMALL.replace(epsilon=1e-4)
    job = ExperimentJob.of("duplicate", config, 30, before=300, **{"lambda": 1.5})
    (played,) = experiment.start(job)
    result = experiment.measure(job, [played]).to_dict()
    small = Trainer(config)
    small.step(300)
    data = small.data
    found = polish(small.params.copy(), data.X_train, data.y_train, "tanh", "bce")
    surface = Surface.of(config, data.X_train, data.y_train)
    np.testing.assert_array_equal(result["line_losses"],
                                  line_losses(surface, found.params, 0, LAMBDAS))
    copy = grow(found.params, 0, 1.5)
    assert 0 < np.abs(played.initial_params.W1 - copy.W1).max() < 1e-3  # the ε nudge
    assert result["start_gap"] == pytest.approx(
        abs(played.initial_params.W1[0] - played.initial_params.W1[2]).max(), abs=1e-3)
    assert result["pair_at_lambda"][0] == pytest.approx(
        pair_curvature(surface, copy, 0, 2, 1.5).smallest)
    assert run_document(played)["start"]["lambda"] == 1.5
    assert main(["experiment", "duplicate", "--hidden", "2", "--unit", "3"]) == 2
    assert capsys.readouterr().err == ("tui-symmetry: error: unit: 3 is not a unit of this "
                                       "network (1 to 2)\n")
