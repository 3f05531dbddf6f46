"""The honest numbers, each claim as a test.

Chance of the config's own start, similarity invariant under each activation's
symmetries, groups without chaining, splits at their exact step, dead units told
apart, the saddle's restricted curvature and growth rate, the one-unit optimum.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from tui_symmetry.core import Config, Trainer, network
from tui_symmetry.core.chance import REFERENCE_INIT, symmetry_chance
from tui_symmetry.core.config import ACTIVATIONS, INITS
from tui_symmetry.core.init import init_params
from tui_symmetry.core.lasting import LASTING_STEPS, lasting_changes
from tui_symmetry.core.metrics import (
    CONSTANT,
    INACTIVE,
    LIVE,
    NO_WEIGHTS,
    SAME_UNIT_THRESHOLD,
    count_groups,
    summarize,
    symmetry_index_of,
    unit_states,
    unit_vectors,
)
from tui_symmetry.core.network import Params, loss_and_grads, with_ones
from tui_symmetry.core.one_unit import one_unit_loss
from tui_symmetry.core.saddle import SaddleMeter, forecast_split, helmert_basis
from tui_symmetry.core.similarity import (
    function_similarity,
    measure_name,
    similarity_matrix,
    symmetry_of,
)
from tui_symmetry.core.splits import SplitTracker


def _params(units: np.ndarray, b2: float = 0.1) -> Params:
    """Params from unit rows [w_1 .. w_D, b, v]."""
    units = np.asarray(units, dtype=float)
    D = units.shape[1] - 2
    return Params(units[:, :D].copy(), units[:, D].copy(), units[:, D + 1][None, :].copy(),
                  np.array([b2]))


def _output(params: Params, activation: str, X: np.ndarray) -> np.ndarray:
    z = X @ params.W1.T + params.b1
    a = network.ACTIVATIONS[activation].forward(z, np.empty_like(z))
    return a @ params.W2[0] + params.b2[0]


# -- chance ----------------------------------------------------------------------------------


@pytest.mark.parametrize("init", INITS)
def test_chance_is_the_mean_index_of_fresh_random_starts(init: str) -> None:
    config = Config(init=init)
    # Starts that copy one unit are measured against the scheme symmetric copies from.
    reference = config if init not in ("symmetric", "constant", "zeros") else config.replace(
        init=REFERENCE_INIT)
    fresh = [symmetry_index_of(init_params(reference.replace(seed=seed)), config.activation)
             for seed in range(500)]
    assert symmetry_chance(config) == pytest.approx(np.mean(fresh), abs=0.02)


def test_chance_depends_on_the_measure_not_on_the_seed() -> None:
    # tanh's measure |cos ± 1|/2 averages to exactly 1/2 over the sign of v_i·v_j,
    # whatever the incoming directions: every scheme whose outgoing weights are symmetric
    # about 0 starts at 0.5.  ReLU's balanced cosine averages to 0 there.
    xavier = symmetry_chance(Config(init="xavier"))
    for init in ("xavier", "he", "normal", "orthogonal"):
        assert symmetry_chance(Config(init=init)) == pytest.approx(0.5, abs=0.01)
    assert symmetry_chance(Config(init="he", activation="relu")) == pytest.approx(0.0, abs=0.01)
    assert symmetry_chance(Config(init="xavier", seed=7)) == xavier
    assert math.isnan(symmetry_chance(Config(hidden=1)))


# -- similarity ---------------------------------------------------------------------------------


def _transform(unit: np.ndarray, symmetry: str, rng: np.random.Generator) -> np.ndarray:
    """The unit moved by a random symmetry of its activation."""
    alpha = rng.uniform(0.2, 5.0)
    if symmetry in ("odd", "odd_plus_constant"):
        return -unit
    if symmetry == "linear":
        alpha *= rng.choice([-1.0, 1.0])
    out = unit * alpha
    out[-1] = unit[-1] / alpha
    return out


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_similarity_is_invariant_under_the_activations_symmetry(activation: str) -> None:
    rng = np.random.default_rng(3)
    symmetry = symmetry_of(activation)
    units = rng.standard_normal((6, 4))
    S = similarity_matrix(units, activation)
    X = rng.uniform(-1, 1, (50, 2))
    F = function_similarity(units[:, :3], units[:, 3], activation, with_ones(X))
    moved = units.copy()
    for i in (1, 4):
        moved[i] = _transform(units[i], symmetry, rng)
    # The move really is a symmetry: the network computes the same function (sigmoid:
    # up to the constant v that b2 absorbs).
    shift = sum(units[i, 3] for i in (1, 4)) if symmetry == "odd_plus_constant" else 0.0
    np.testing.assert_allclose(_output(_params(moved, 0.1 + shift), activation, X),
                               _output(_params(units), activation, X), atol=1e-12)
    np.testing.assert_allclose(similarity_matrix(moved, activation), S, atol=1e-12)
    np.testing.assert_allclose(
        function_similarity(moved[:, :3], moved[:, 3], activation, with_ones(X)), F,
        atol=1e-12)
    assert activation in measure_name(activation)


def test_relu_keeps_u_and_minus_u_apart_and_rescaled_units_together() -> None:
    unit = np.array([0.6, -0.3, 0.2, 1.1])
    pair = np.array([unit, -unit])
    assert similarity_matrix(pair, "relu")[0, 1] == pytest.approx(-1.0)
    assert similarity_matrix(pair, "tanh")[0, 1] == pytest.approx(1.0)
    rescaled = np.array([unit, [1.2, -0.6, 0.4, 0.55]])  # α = 2: the same ReLU unit
    assert similarity_matrix(rescaled, "relu")[0, 1] == pytest.approx(1.0)
    # tanh(2z) is not 2·tanh(z) where tanh bends, but sizes are not compared
    # (docs/maths.md, "Sizes are not compared"): one direction, one unit.
    assert similarity_matrix(rescaled, "tanh")[0, 1] == pytest.approx(1.0)


# -- distinct units -------------------------------------------------------------------------------


def test_a_chain_of_pairwise_close_units_is_not_one_group() -> None:
    # Eight unit directions 6° apart: neighbours are alike (cos 6° > 0.99), the ends are
    # 42° apart.  Linking pairs would make one group.
    angles = np.radians(np.arange(8) * 6.0)
    units = np.column_stack([np.cos(angles), np.sin(angles), np.zeros(8), np.ones(8)])
    S = similarity_matrix(units, "relu")
    assert all(S[i, i + 1] >= SAME_UNIT_THRESHOLD for i in range(7))
    groups = count_groups(S)
    assert groups >= 3
    labels = fcluster(linkage(1.0 - S[np.triu_indices(8, 1)], method="complete"),
                      1.0 - SAME_UNIT_THRESHOLD, criterion="distance")
    assert groups == labels.max()
    for label in set(labels):  # every group is alike pairwise
        members = np.flatnonzero(labels == label)
        assert S[np.ix_(members, members)].min() >= SAME_UNIT_THRESHOLD


def test_group_count_matches_scipys_fcluster_on_random_matrices() -> None:
    rng = np.random.default_rng(5)
    for _ in range(200):
        n = int(rng.integers(2, 12))
        # Units near a few centres, some pairs right around the threshold.
        centres = rng.standard_normal((3, 4))
        units = centres[rng.integers(0, 3, n)] + rng.uniform(0.0, 0.2) * rng.standard_normal(
            (n, 4))
        S = similarity_matrix(units, "tanh")
        labels = fcluster(linkage(1.0 - S[np.triu_indices(n, 1)], method="complete"),
                          1.0 - SAME_UNIT_THRESHOLD, criterion="distance")
        assert count_groups(S) == labels.max()


# -- splits -------------------------------------------------------------------------------------


def test_the_first_split_is_recorded_at_its_exact_step() -> None:
    config = Config()
    trainer = Trainer(config)
    trainer.step(3000)
    snap = trainer.snapshot()
    assert snap.splits, "the default run splits"
    step, before, after = snap.splits[0]
    assert snap.split_step == step and before == 1 and after > 1
    replay = Trainer(config)
    replay.step(step - 1)
    assert replay.snapshot().distinct_units == 1
    replay.step(1)
    assert replay.snapshot().distinct_units == after


@pytest.mark.parametrize(("activation", "changes"), [
    ("tanh", {"hidden": 12}),
    ("relu", {"l1": 0.004, "init": "xavier"}),  # units die, v reaches exact zeros
    ("linear", {"hidden": 6, "epsilon": 1e-3}),
])
def test_every_change_is_recorded_and_the_count_always_agrees(activation: str,
                                                              changes: dict) -> None:
    trainer = Trainer(Config(activation=activation, dataset="moons", **changes))
    counts = [trainer.instruments.splits.distinct]
    for _ in range(1500):
        trainer.step(1)
        summary = summarize(trainer.params, activation)
        counts.append(summary["distinct_units"])
        assert trainer.instruments.splits.distinct == counts[-1], trainer.step_count
    changed = [(step + 1, a, b) for step, (a, b) in enumerate(itertools.pairwise(counts))
               if b != a]
    snap = trainer.snapshot()
    assert list(snap.unit_events) == changed
    # The lasting ones are the raw ones debounced (core/lasting.py), every one dated at
    # a raw change.
    assert snap.splits == lasting_changes(changed, counts[0], 1500, LASTING_STEPS).splits
    assert {step for step, _, _ in snap.splits + snap.merges} <= {s for s, _, _ in changed}
    # The tracker did not simply evaluate every step.
    assert trainer.instruments.splits.evaluations < 1500


def test_a_split_at_a_rolled_back_step_is_not_reported() -> None:
    trainer = Trainer(Config())
    trainer.step(10)
    # As if the step after this one had split and then been rolled back (divergence).
    trainer.instruments.splits._record(11, 1, 2)
    snap = trainer.snapshot()
    assert snap.splits == () and snap.split_step is None
    assert snap.unit_events == () and snap.not_yet_lasting == ()
    assert trainer.instruments.splits.changes(11).not_yet_lasting == ((11, 1, 2),)


def test_tracker_counts_from_the_parameters_it_is_given() -> None:
    config = Config(init="xavier")
    trainer = Trainer(config)
    tracker = SplitTracker(trainer.param_layout, "tanh", trainer.theta)
    # Two of the eight random units point the same way with the same sign of v.
    assert tracker.distinct == trainer.snapshot().distinct_units == config.hidden - 1
    assert tracker.first_split is None


# -- dead units ---------------------------------------------------------------------------------


def test_no_weights_constant_and_inactive_units_are_told_apart() -> None:
    X = np.array([[1.0, 0.5], [0.2, 0.9], [0.7, 0.1]])
    units = np.array([
        [0.5, -0.2, 0.1, 1.0],   # live
        [0.0, 0.0, 0.3, 0.0],    # no weights (a bias only)
        [0.0, 0.0, 0.3, 0.8],    # constant: adds 0.8·φ(0.3)
        [-1.0, -1.0, -0.5, 0.4],  # never active on these inputs
    ])
    params = _params(units)
    states = unit_states(params, "relu", with_ones(X))
    np.testing.assert_array_equal(states, [LIVE, NO_WEIGHTS, CONSTANT, INACTIVE])
    # Only ReLU has a "never active": leaky ReLU still passes a gradient.
    assert unit_states(params, "leaky_relu", with_ones(X))[3] == LIVE
    summary = summarize(params, "relu", with_ones(X))
    assert (summary["dead_units"], summary["constant_units"], summary["inactive_units"]) == (
        2, 1, 1)
    np.testing.assert_array_equal(summary["dead"], [False, True, True, False])


def test_an_all_dead_network_has_no_symmetry_index() -> None:
    trainer = Trainer(Config(init="xavier", epsilon=0.0, hidden=10, l1=3.0, lr=0.1,
                             dataset="blobs", samples=100))
    trainer.step(50)
    snap = trainer.snapshot()
    assert snap.dead_units == 10
    assert math.isnan(snap.symmetry_index)
    assert snap.summary()["symmetry_index"] is None  # JSON null, shown as "—"


# -- the saddle ---------------------------------------------------------------------------------


def _finite_difference_curvature(trainer: Trainer, config: Config) -> float:
    """λ_min of the restricted Hessian by central differences of the exact gradient."""
    p = trainer.params
    U = unit_vectors(p)
    H, K = U.shape
    D = K - 2
    X, y = trainer.data.X_train, trainer.data.y_train

    def gradient(units: np.ndarray) -> np.ndarray:
        params = Params(units[:, :D].copy(), units[:, D].copy(), units[:, D + 1][None].copy(),
                        p.b2.copy())
        _, g = loss_and_grads(params, X, y, config.activation, config.loss)
        weights = units.copy()
        weights[:, D] = 0.0
        return (unit_vectors(g) + config.l2 * weights
                + config.tie * (units - units.mean(axis=0)))

    Q = helmert_basis(H)
    n = (H - 1) * K
    R = np.zeros((n, n))
    h = 1e-5
    for j in range(n):
        direction = Q @ np.eye(n)[j].reshape(H - 1, K)
        diff = gradient(U + h * direction) - gradient(U - h * direction)
        R[:, j] = (Q.T @ (diff / (2 * h))).ravel()
    return float(np.linalg.eigvalsh(0.5 * (R + R.T))[0])


@pytest.mark.parametrize(("activation", "dataset"), [
    ("tanh", "xor"), ("sigmoid", "sine"), ("relu", "moons"), ("leaky_relu", "xor"),
    ("linear", "sine"),
])
def test_restricted_curvature_matches_a_finite_difference_hessian(activation: str,
                                                                  dataset: str) -> None:
    config = Config(init="xavier", hidden=4, samples=60, l2=0.01, tie=0.05,
                    activation=activation, dataset=dataset)
    trainer = Trainer(config)
    trainer.step(40)
    meter = SaddleMeter(trainer.param_layout, with_ones(trainer.data.X_train),
                        trainer.data.y_train.T.copy(), activation, config.loss)
    p = trainer.params
    curvature = meter.curvature(unit_vectors(p), float(p.b2[0]), config)
    assert curvature == pytest.approx(_finite_difference_curvature(trainer, config),
                                      abs=1e-7)


def test_at_a_symmetric_point_one_small_block_gives_the_curvature(monkeypatch) -> None:
    config = Config(init="symmetric", epsilon=0.0, hidden=6)
    trainer = Trainer(config)
    trainer.step(200)
    p = trainer.params
    U = unit_vectors(p)
    assert np.ptp(U, axis=0).max() == 0.0
    meter = SaddleMeter(trainer.param_layout, with_ones(trainer.data.X_train),
                        trainer.data.y_train.T.copy(), "tanh", "bce")
    exact = meter.curvature(U, float(p.b2[0]), config)
    nudged = U + 1e-9 * np.random.default_rng(0).standard_normal(U.shape)
    general = meter.curvature(nudged, float(p.b2[0]), config)
    assert exact < 0  # the symmetric point is a saddle
    assert general == pytest.approx(exact, rel=1e-5)
    # The Lanczos path (large networks) agrees with the dense one.
    monkeypatch.setattr("tui_symmetry.core.saddle.DENSE_MAX_ENTRIES", 0)
    assert meter.curvature(nudged, float(p.b2[0]), config) == pytest.approx(general, rel=1e-6)


def test_measured_growth_matches_the_predicted_rate_in_the_linear_phase() -> None:
    config = Config(epsilon=1e-8)  # xor, symmetric start, plain SGD
    trainer = Trainer(config)
    meter = SaddleMeter(trainer.param_layout, with_ones(trainer.data.X_train),
                        trainer.data.y_train.T.copy(), "tanh", "bce")
    trainer.step(800)  # past the transient: the stable directions have decayed
    previous = meter.measure(trainer.theta, config, trainer.step_count, True)
    for _ in range(11):
        trainer.step(200)
        reading = meter.measure(trainer.theta, config, trainer.step_count, True)
        measured = math.log(reading.spread / previous.spread) / 200
        predicted = 0.5 * (reading.growth_rate + previous.growth_rate)
        assert measured == pytest.approx(predicted, rel=0.15), trainer.step_count
        earlier, previous = previous, reading
    # Before the split the rate has been softening fast (×e every 120 steps at step
    # 1,600, every 400 at 3,000): too fast for a forecast from the last two readings.
    assert trainer.snapshot().split_step is None
    assert forecast_split([earlier], previous, meter.chord_at_split).split_range is None


# -- the one-unit optimum -------------------------------------------------------------------------


def test_one_unit_optimum_on_xor() -> None:
    best = one_unit_loss(Config(dataset="xor", activation="tanh"))
    assert 0.49 < best < 0.51
    assert one_unit_loss(Config(dataset="xor", activation="tanh", hidden=3)) == best


@pytest.mark.parametrize(("activation", "dataset"), [
    ("tanh", "xor"), ("relu", "xor"), ("sigmoid", "moons"), ("tanh", "sine"),
])
def test_a_symmetric_run_never_beats_the_one_unit_optimum(activation: str,
                                                         dataset: str) -> None:
    config = Config(init="symmetric", epsilon=0.0, activation=activation, dataset=dataset,
                    optimizer="adam", lr=0.05)
    trainer = Trainer(config)
    trainer.step(3000)
    best = trainer.learn_one_unit_loss()
    snap = trainer.snapshot()
    assert snap.one_unit_loss == best == one_unit_loss(config)
    assert snap.max_unit_gap == 0.0
    assert snap.loss >= best - 1e-9


def test_a_run_that_splits_goes_below_the_one_unit_optimum() -> None:
    config = Config()  # xor, symmetric + 1e-4: splits after ~1500 steps
    trainer = Trainer(config)
    trainer.step(6000)
    assert trainer.snapshot().split_step is not None
    assert trainer.train_loss() < one_unit_loss(config) - 0.05


# -- the snapshot -------------------------------------------------------------------------------


def test_snapshot_and_summary_carry_the_honest_numbers() -> None:
    config = Config(init="xavier")
    trainer = Trainer(config)
    trainer.step(100)
    # Unknown until asked for, whatever any cache holds: the same steps, the same picture.
    one_unit_loss(config)
    assert trainer.snapshot().one_unit_loss is None
    trainer.learn_one_unit_loss()
    snap = trainer.snapshot()
    summary = snap.summary()
    assert summary["symmetry_chance"] == snap.chance_level == symmetry_chance(config)
    assert summary["similarity_measure"] == measure_name("tanh")
    assert summary["saddle_step"] == 100 and summary["spread"] > 0
    assert summary["saddle_curvature"] == snap.saddle_curvature
    assert summary["splits"] == [list(split) for split in snap.splits]
    assert summary["one_unit_loss"] == one_unit_loss(config)
    assert snap.unit_states is not None and not snap.unit_states.flags.writeable
