"""The symmetry theorem, bit for bit, and what breaks it (docs/maths.md).

Units that start identical get identical gradients, so they must stay *bit-identical*
under every optimizer, L1, L2, tie and minibatching, for any H.  Odd H matter: a BLAS
kernel may round identical rows differently.  Dropout, gradient noise, ε and random
init are per-unit randomness and must break the tie.
"""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.data import TOY_DATASETS
from tui_symmetry.core.metrics import max_unit_gap, unit_vectors
from tui_symmetry.core.trainer import DIVERGED_LOSS
from tui_symmetry.export import run_document

HIDDEN = (1, 2, 5, 6, 7, 10, 13, 33, 256)
OPTIMIZERS = {"sgd": 0.2, "momentum": 0.05, "adam": 0.02}  # name -> learning rate
REGULARIZERS = {
    "none": {},
    "l1": {"l1": 0.01},
    "l2": {"l2": 0.05},
    "tie": {"tie": 0.5},
    "all": {"l1": 0.005, "l2": 0.02, "tie": 0.3},
}
# 39 and 201 samples leave an odd number of training points (31, 161): odd widths
# give reductions a ragged tail; 39 with batch 16 also gives a short last batch.
SAMPLES = (39, 200, 201)

GRID = list(itertools.product(HIDDEN, OPTIMIZERS, REGULARIZERS, (0, 16)))


def _grid_case(index: int) -> tuple[str, str, int]:
    """(activation, dataset, samples) for grid case ``index``: every one of each occurs."""
    return (
        ACTIVATIONS[index % len(ACTIVATIONS)],
        TOY_DATASETS[index % len(TOY_DATASETS)],
        SAMPLES[index % len(SAMPLES)],
    )


def _steps_for(hidden: int) -> int:
    """Fewer steps for the widest net: the check is per step, not per minute."""
    return 100 if hidden >= 256 else 200


def _all_units_gap(trainer: Trainer) -> float:
    """max_unit_gap over every unit, dead ones included (the snapshot skips dead units)."""
    return max_unit_gap(unit_vectors(trainer.params))


def test_grid_covers_every_activation_and_dataset() -> None:
    cases = {_grid_case(i) for i in range(len(GRID))}
    assert {a for a, _, _ in cases} == set(ACTIVATIONS)
    assert {d for _, d, _ in cases} == set(TOY_DATASETS)
    assert {s for _, _, s in cases} == set(SAMPLES)


@pytest.mark.parametrize(
    ("index", "hidden", "optimizer", "regularizer", "batch_size"),
    [(i, *case) for i, case in enumerate(GRID)],
    ids=[f"H{h}-{o}-{r}-b{b}" for h, o, r, b in GRID],
)
def test_symmetric_init_stays_bit_identical(index: int, hidden: int, optimizer: str,
                                            regularizer: str, batch_size: int) -> None:
    activation, dataset, samples = _grid_case(index)
    config = Config(
        init="symmetric", epsilon=0.0, hidden=hidden, optimizer=optimizer,
        lr=OPTIMIZERS[optimizer], batch_size=batch_size, activation=activation,
        dataset=dataset, samples=samples, seed=index, **REGULARIZERS[regularizer],
    )
    trainer = Trainer(config)
    assert trainer.snapshot().max_unit_gap == 0.0
    steps = _steps_for(hidden)
    assert trainer.step(steps) == steps
    snap = trainer.snapshot()
    assert not snap.diverged
    assert snap.max_unit_gap == 0.0
    assert _all_units_gap(trainer) == 0.0
    if hidden > 1 and snap.dead_units < hidden:
        # cos of a vector with itself is 1 up to rounding of the normalization.
        assert snap.symmetry_index == pytest.approx(1.0, abs=1e-12)
        assert snap.distinct_units == 1
    # Training really moved the parameters (the check is not about a frozen net).
    moved = np.max(np.abs(trainer.theta - trainer.param_layout.pack(trainer.initial_params)))
    assert moved > 1e-4


@pytest.mark.parametrize("hidden", [5, 7, 33])
def test_symmetry_survives_live_changes(hidden: int) -> None:
    """Changing lr, batch size and penalties mid-run keeps identical units identical."""
    trainer = Trainer(Config(init="symmetric", epsilon=0.0, hidden=hidden, optimizer="momentum",
                             lr=0.05, samples=201, activation="tanh", dataset="moons"))
    trainer.step(40)
    trainer.apply_live(lr=0.1, batch_size=10, l1=0.002)
    trainer.step(40)
    trainer.apply_live(tie=1.0, l2=0.1, batch_size=0, momentum=0.5)
    trainer.step(40)
    assert trainer.snapshot().max_unit_gap == 0.0
    assert _all_units_gap(trainer) == 0.0


BREAKERS = {
    "dropout": {"init": "symmetric", "dropout": 0.3},
    "grad_noise": {"init": "symmetric", "grad_noise": 0.05},
    "epsilon": {"init": "symmetric", "epsilon": 1e-3},
    "xavier": {"init": "xavier"},
    "he": {"init": "he"},
    "orthogonal": {"init": "orthogonal"},
}


@pytest.mark.parametrize("breaker", list(BREAKERS))
def test_breakers_break_symmetry(breaker: str) -> None:
    settings = {"epsilon": 0.0, **BREAKERS[breaker]}
    config = Config(hidden=6, optimizer="adam", lr=0.03, activation="tanh", dataset="xor",
                    samples=200, **settings)
    trainer = Trainer(config)
    trainer.step(300)
    snap = trainer.snapshot()
    assert not snap.diverged
    assert snap.max_unit_gap > 0.0
    assert snap.symmetry_index < 1.0
    if breaker in ("dropout", "grad_noise", "epsilon"):
        # The same run without the breaker stays exactly symmetric: the breaker did it.
        clean = {k: v for k, v in BREAKERS[breaker].items() if k == "init"}
        control = Trainer(config.replace(dropout=0.0, grad_noise=0.0, epsilon=0.0, **clean))
        control.step(300)
        assert control.snapshot().max_unit_gap == 0.0
        assert snap.max_unit_gap > 1e-6


def test_broken_symmetry_grows_into_distinct_units() -> None:
    """A tiny ε on the xor saddle grows into more than one distinct unit."""
    trainer = Trainer(Config(init="symmetric", epsilon=1e-4, hidden=8, optimizer="adam",
                             lr=0.05, dataset="xor", activation="tanh", samples=200))
    gap0 = trainer.snapshot().max_unit_gap
    trainer.step(1500)
    snap = trainer.snapshot()
    assert snap.max_unit_gap > 100 * gap0
    assert snap.distinct_units >= 2


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_l1_gives_exact_zeros(optimizer: str) -> None:
    config = Config(init="xavier", epsilon=0.0, hidden=12, optimizer=optimizer,
                    lr=OPTIMIZERS[optimizer], l1=0.05, dataset="blobs", samples=200)
    trainer = Trainer(config)
    layout = trainer.param_layout
    initial_zeros = np.count_nonzero(layout.pack(trainer.initial_params)[layout.weights] == 0.0)
    trainer.step(300)
    weights = trainer.theta[layout.weights]
    zeros = np.count_nonzero(weights == 0.0)
    assert initial_zeros == 0
    assert zeros >= 3
    # Exact zeros, not a cloud of tiny values around zero.
    assert np.all((weights == 0.0) | (np.abs(weights) > 1e-12))
    # Without L1 the same run has no exact zeros.
    plain = Trainer(config.replace(l1=0.0))
    plain.step(300)
    assert np.count_nonzero(plain.theta[layout.weights] == 0.0) == 0


def test_strong_l1_kills_units_and_dead_units_are_counted() -> None:
    trainer = Trainer(Config(init="xavier", epsilon=0.0, hidden=10, optimizer="sgd", lr=0.1,
                             l1=3.0,
                             dataset="blobs", samples=100))
    trainer.step(50)
    snap = trainer.snapshot()
    assert snap.dead_units == 10
    assert np.all(snap.params.W1 == 0.0)
    assert np.all(snap.params.W2 == 0.0)
    assert math.isnan(snap.symmetry_index)  # undefined: an all-dead net is not "1.000"


@pytest.mark.parametrize("optimizer", list(OPTIMIZERS))
def test_tanh_zero_init_on_xor_stays_at_ln2(optimizer: str) -> None:
    """All-zero tanh weights: every gradient but b2's is zero and b2's is zero by balance."""
    trainer = Trainer(Config(init="zeros", epsilon=0.0, activation="tanh", dataset="xor",
                             samples=200,
                             optimizer=optimizer, lr=0.5, hidden=8))
    trainer.step(3000)
    snap = trainer.snapshot()
    assert abs(snap.loss - math.log(2.0)) < 1e-12
    assert abs(snap.test_loss - math.log(2.0)) < 1e-12
    assert np.all(snap.params.W1 == 0.0)
    assert np.all(snap.params.W2 == 0.0)
    assert np.all(snap.params.b1 == 0.0)
    assert abs(snap.params.b2[0]) < 1e-12
    history = snap.history["loss"]
    assert np.all(np.abs(history - math.log(2.0)) < 1e-12)


def test_divergence_stops_training_and_keeps_finite_state() -> None:
    trainer = Trainer(Config(dataset="sine", activation="relu", optimizer="sgd", lr=50.0,
                             init="xavier", samples=200))
    ran = trainer.step(1000)
    assert 0 < ran < 1000
    snap = trainer.snapshot()
    assert snap.diverged
    assert snap.step == trainer.step_count <= ran
    for array in snap.params.as_tuple():
        assert np.all(np.isfinite(array))
    assert np.all(np.isfinite(trainer.theta))
    # The state kept is the last sane one: its loss is a number, not an overflow.
    assert math.isfinite(snap.loss) and snap.loss <= DIVERGED_LOSS
    changes = trainer.changes
    assert trainer.step(10) == 0
    assert trainer.step_count == snap.step
    assert trainer.changes == changes
    assert run_document(trainer)["diverged"] is True


def test_a_loss_that_explodes_without_overflowing_is_divergence() -> None:
    """Xavier with tie 11: lr·tie > 2 makes the pull overshoot, growing ~x1e4 a step
    through every finite number; without the DIVERGED_LOSS cut it would train on for
    thousands of steps of meaningless numbers before anything overflowed."""
    config = Config(init="xavier", tie=11)
    trainer = Trainer(config)
    ran = trainer.step(3000)
    assert trainer.diverged
    assert ran < 3000
    snap = trainer.snapshot()
    assert snap.diverged and snap.step == trainer.step_count
    assert math.isfinite(snap.loss) and snap.loss <= DIVERGED_LOSS
    assert np.all(np.isfinite(trainer.theta))
    # It is the cut that stopped it, not an overflow: one more step from the state kept
    # gives a finite loss above the cut.
    probe = Trainer(config)
    probe.step(snap.step + 1)
    assert probe.diverged is False
    assert DIVERGED_LOSS < probe.train_loss() < math.inf


@pytest.mark.parametrize("activation", ACTIVATIONS)
@pytest.mark.parametrize("dataset", ["xor", "linear"])
def test_no_legal_start_comes_near_the_divergence_cut(activation: str, dataset: str) -> None:
    """The largest weights a Config allows, every unit alike and adding up: the loss
    at the start stays far below DIVERGED_LOSS, so the cut only ever ends runs that
    trained their way up there."""
    config = Config(dataset=dataset, activation=activation, init="constant", init_scale=10,
                    hidden=256, epsilon=10)
    loss = Trainer(config).train_loss()
    assert 1.0 < loss < DIVERGED_LOSS * 1e-15
