"""When two units count as alike (docs/contracts.md, "Metrics"): the weight measure
agrees with the function measure (what the units compute over the inputs) on the cases
that used to fool it, and says on screen what it leaves out (sizes)."""

from __future__ import annotations

import numpy as np
import pytest

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, unit_vectors
from tui_symmetry.core.network import with_ones
from tui_symmetry.core.saddle import largest_chord
from tui_symmetry.core.similarity import (
    function_similarity,
    measure_name,
    pair_similarity,
    similarity_matrix,
)

UNIT = np.array([0.8, -0.5, 0.3, 1.2])
X = np.random.default_rng(0).uniform(-1.5, 1.5, (200, 2))
SIGN_FLIP = ("tanh", "sigmoid")


def _both(pair: np.ndarray, activation: str) -> tuple[float, float]:
    """(weight similarity, function similarity) of the two units of ``pair``."""
    S = similarity_matrix(pair, activation)[0, 1]
    F = function_similarity(pair[:, :-1], pair[:, -1], activation, with_ones(X))[0, 1]
    return float(S), float(F)


@pytest.mark.parametrize("activation", SIGN_FLIP)
def test_sizes_are_not_compared_and_the_measure_says_so(activation: str) -> None:
    # u and 3u point the same way: one unit by the weight measure.  What they compute
    # depends on the size only where φ bends: tiny, they are the same up to scale; at
    # the size of trained units, tanh(3z) saturates where tanh(z) does not.
    small = _both(np.array([0.01 * UNIT, 0.03 * UNIT]), activation)
    assert small[0] == pytest.approx(1.0) and small[1] > 0.999
    weights, function = _both(np.array([UNIT, 3 * UNIT]), activation)
    assert weights == pytest.approx(1.0) and function < SAME_UNIT_THRESHOLD
    # So the measure's name, on screen and in train's summary, says what it leaves out.
    assert "sizes not compared" in measure_name(activation)


@pytest.mark.parametrize("activation", [*SIGN_FLIP, "relu", "leaky_relu"])
def test_units_that_cancel_are_not_alike(activation: str) -> None:
    # (w, b, v) and (w, b, −v) add up to nothing: correlation −1.  With a small v
    # |cos| of the raw vectors gave 0.9998; every measure now scores the pair 0.
    pair = np.array([[0.8, -0.5, 0.3, 0.01], [0.8, -0.5, 0.3, -0.01]])
    weights, function = _both(pair, activation)
    assert function == pytest.approx(-1.0)
    assert weights == pytest.approx(0.0, abs=1e-15)


@pytest.mark.parametrize("activation", SIGN_FLIP)
def test_a_unit_and_its_negative_stay_one_unit(activation: str) -> None:
    weights, function = _both(np.array([UNIT, -UNIT]), activation)
    assert weights == pytest.approx(1.0, abs=1e-15)
    # sigmoid's −u differs from u by a constant, which correlation ignores.
    assert function == pytest.approx(1.0, abs=1e-12)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_identical_units_whose_outgoing_weight_is_zero_stay_alike(activation: str) -> None:
    # L1 can pin v to exactly zero; copies are still copies.
    unit = np.array([0.8, -0.5, 0.3, 0.0])
    units = np.array([unit, unit, [0.1, 0.9, -0.2, 0.0], [0.8, -0.5, 0.3, 0.7]])
    S = similarity_matrix(units, activation)
    assert S[0, 1] == 1.0
    assert S[0, 2] < SAME_UNIT_THRESHOLD
    if activation != "linear":  # linear: a zero v keeps the incoming direction (e ∝ [w, b])
        assert S[0, 3] < SAME_UNIT_THRESHOLD  # nothing out against something out
    np.testing.assert_array_equal(S, S.T)


@pytest.mark.parametrize("activation", SIGN_FLIP)
def test_the_measure_is_the_absolute_balanced_cosine(activation: str) -> None:
    rng = np.random.default_rng(4)
    units = rng.standard_normal((5, 4))
    units[3, 3] = 0.0
    S = similarity_matrix(units, activation)
    for i, j in [(0, 1), (1, 2), (0, 3), (2, 4)]:
        p, q = units[i, :3], units[j, :3]
        cos = p @ q / np.sqrt((p @ p) * (q @ q))
        si, sj = np.sign(units[i, 3]), np.sign(units[j, 3])
        expected = abs(cos + si * sj) / np.sqrt((1 + si * si) * (1 + sj * sj))
        assert S[i, j] == pytest.approx(expected, rel=1e-14)
    assert ((S >= 0) & (S <= 1)).all()


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_a_stack_of_networks_gives_each_one_its_similarities_to_the_bit(
        activation: str) -> None:
    # The split tracker evaluates many steps at once and must agree with every snapshot.
    rng = np.random.default_rng(8)
    stack = rng.standard_normal((7, 9, 4)) * rng.uniform(1e-3, 1e3, (7, 1, 1))
    stack[2, 4, 3] = 0.0
    batched = similarity_matrix(stack, activation)
    for k in range(len(stack)):
        assert np.array_equal(batched[k], similarity_matrix(stack[k], activation))


@pytest.mark.parametrize(("activation", "config"), [
    ("tanh", Config(dataset="circles", epsilon=0.01, seed=2)),
    ("sigmoid", Config(dataset="spiral", epsilon=0.01, activation="sigmoid")),
])
def test_units_alike_by_weights_compute_nearly_the_same_after_training(
        activation: str, config: Config) -> None:
    trainer = Trainer(config.replace(activation=activation))
    trainer.step(300)
    units = unit_vectors(trainer.params)
    S = similarity_matrix(units, activation)
    F = function_similarity(units[:, :-1], units[:, -1], activation, trainer._XT)
    upper = np.triu_indices(len(units), 1)
    alike = S[upper] >= SAME_UNIT_THRESHOLD
    assert alike.any()
    assert F[upper][alike].min() > 0.98


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_largest_chord_is_the_least_similar_pair(activation: str) -> None:
    # The saddle extrapolates the chord to the split: it must be √(2·(1 − S)) of the
    # same measure, computed from differences so that it is exact near S = 1.
    rng = np.random.default_rng(2)
    base = rng.standard_normal(4)
    units = base + 1e-3 * rng.standard_normal((6, 4))
    units[1] = -units[1] if activation in SIGN_FLIP else units[1]
    live = np.ones(6, dtype=bool)
    S = similarity_matrix(units, activation)
    chord = largest_chord(units, live, activation)
    assert chord == pytest.approx(np.sqrt(2 * (1 - S.min())), rel=1e-6)


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_chosen_pairs_get_the_bits_of_the_whole_matrix(activation: str) -> None:
    # The split tracker computes only the pairs it cannot vouch for, at many steps at
    # once; they must be the snapshot's numbers to the bit.
    rng = np.random.default_rng(9)
    stack = rng.standard_normal((5, 7, 4)) * rng.uniform(1e-3, 1e3, (5, 1, 1))
    stack[1, 2, 3] = 0.0
    first, second = np.array([0, 2, 3, 6, 4]), np.array([1, 5, 3, 0, 2])
    chosen = pair_similarity(stack, activation, first, second)
    whole = similarity_matrix(stack, activation)
    assert np.array_equal(chosen, whole[:, first, second])
