"""The wide kernel (many inputs, many outputs): copies stay bit-identical, and it computes
what the one-output kernel computes (docs/maths.md, "How the engine keeps it exact").

The shipped tables arrive later, so the networks here are built from arrays: a synthetic
table of N = 40 rows, D inputs and C classes (or one output), trained by the same steps
the Trainer takes (gradient, L2, tie, optimizer, L1) through the kernel under test.
"""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.config import ACTIVATIONS
from tui_symmetry.core.data import TOY_DATASETS
from tui_symmetry.core.init import INIT_SCHEMES
from tui_symmetry.core.metrics import max_unit_gap, unit_vectors
from tui_symmetry.core.network import (
    ACTIVATIONS as ACTIVATION_RECORDS,
)
from tui_symmetry.core.network import (
    LOSSES,
    ParamLayout,
    UnitMajorViews,
    Workspace,
    distinct_units,
    kernel_for,
    loss_and_grads_unit_major,
    loss_and_grads_wide,
    one_hot,
    with_ones,
)
from tui_symmetry.core.optim import make_optimizer
from tui_symmetry.core.regularize import add_l2, add_tie, dropout_mask, l1_prox

N_ROWS = 40
STEPS = 20
LEARNING_RATES = {"sgd": 0.3, "momentum": 0.01, "adam": 0.02}
PENALTIES = {"none": {}, "l1": {"l1": 0.01}, "l2": {"l2": 0.05}, "tie": {"tie": 0.5}}
FACTORS = {
    "D": (1, 2, 3, 64),
    "C": (1, 3, 10),
    "H": (2, 5, 7, 13, 33),
    "optimizer": tuple(LEARNING_RATES),
    "batch": (0, 7),
    "penalty": tuple(PENALTIES),
    "activation": ACTIVATIONS,
}


def _pairs(case: tuple) -> set[tuple]:
    return {(i, a, j, b) for (i, a), (j, b) in itertools.combinations(enumerate(case), 2)}


def _all_pairs() -> set[tuple]:
    values = list(FACTORS.values())
    return {(i, a, j, b) for i, j in itertools.combinations(range(len(values)), 2)
            for a in values[i] for b in values[j]}


def _covering_cases() -> list[tuple]:
    """A short list of cases in which every pair of factor values occurs (greedy, from a
    fixed stream of candidates: the same list every run)."""
    values = list(FACTORS.values())
    wanted = _all_pairs()
    rng = np.random.default_rng(17)
    cases: list[tuple] = []
    while wanted:
        candidates = [tuple(v[rng.integers(len(v))] for v in values) for _ in range(300)]
        best = max(candidates, key=lambda case: len(_pairs(case) & wanted))
        cases.append(best)
        wanted -= _pairs(best)
    return cases


CASES = _covering_cases()


def _problem(D: int, C: int, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """[Xᵀ; 1], the (C, N) target and the loss of a synthetic table."""
    rng = np.random.default_rng([seed, D, C])
    X = rng.normal(0.0, 1.0 / np.sqrt(D), size=(N_ROWS, D))  # ‖x‖ ≈ 1 for every D
    if C > 1:
        return with_ones(X), one_hot(np.arange(N_ROWS) % C, C), "softmax"
    loss = ("bce", "mse")[seed % 2]
    y = (X[:, :1] > 0).astype(float) if loss == "bce" else np.sin(X[:, :1])
    return with_ones(X), np.ascontiguousarray(y.T), loss


def _train(layout: ParamLayout, theta: np.ndarray, XT1: np.ndarray, target: np.ndarray,
           activation: str, loss: str, optimizer: str, batch: int, penalty: str,
           steps: int = STEPS, dropout: float = 0.0) -> np.ndarray:
    """θ after ``steps`` of the Trainer's step (core/trainer.py) through kernel_for."""
    kernel = kernel_for(layout)
    opt = make_optimizer(optimizer, LEARNING_RATES[optimizer], 0.9)
    settings = PENALTIES[penalty]
    grad = UnitMajorViews(layout, np.zeros(layout.size))
    buffers = [UnitMajorViews(layout, theta.copy()), UnitMajorViews(layout, theta.copy())]
    rng = np.random.default_rng(1)
    for step in range(steps):
        params = buffers[step % 2]
        XT, T = XT1, target
        if batch:
            idx = rng.permutation(XT1.shape[1])[:batch]
            XT, T = XT1[:, idx], target[:, idx]
        maskT = (dropout_mask((layout.hidden, XT.shape[1]), dropout, rng) if dropout
                 else None)
        kernel(params, XT, T, ACTIVATION_RECORDS[activation], LOSSES[loss], grad,
               Workspace(layout.hidden, XT.shape[1]), maskT)
        if "l2" in settings:
            add_l2(grad.theta, params.theta, layout, settings["l2"])
        if "tie" in settings:
            add_tie(grad.theta, params.theta, layout, settings["tie"])
        new_theta = buffers[1 - step % 2].theta
        opt.update(params.theta, grad.theta, new_theta)
        if "l1" in settings:
            l1_prox(new_theta, layout, opt.lr * settings["l1"])
    return buffers[steps % 2].theta


def _copies(H: int, D: int, C: int, seed: int) -> tuple[ParamLayout, np.ndarray]:
    """Every unit a copy of one symmetric-init unit, with random biases."""
    layout = ParamLayout(H, D, C)
    rng = np.random.default_rng(seed)
    W1, W2 = INIT_SCHEMES["symmetric"].weights(H, D, C, rng)
    theta = np.empty(layout.size)
    p = layout.views(theta)
    p.W1[...], p.W2[...] = W1, W2
    p.b1[...] = rng.normal()
    p.b2[...] = rng.normal(size=C)
    return layout, theta


def test_the_cases_cover_every_pair_and_each_value_twice() -> None:
    values = list(FACTORS.values())
    assert _all_pairs() <= set().union(*(_pairs(case) for case in CASES))
    for k, options in enumerate(values):
        for value in options:
            assert sum(case[k] == value for case in CASES) >= 2
    assert len(CASES) < 60  # pairwise, not the product


@pytest.mark.parametrize(("D", "C", "H", "optimizer", "batch", "penalty", "activation"),
                         CASES, ids=["-".join(map(str, case)) for case in CASES])
def test_copies_stay_bit_identical(D: int, C: int, H: int, optimizer: str, batch: int,
                                   penalty: str, activation: str) -> None:
    seed = CASES.index((D, C, H, optimizer, batch, penalty, activation))
    layout, theta = _copies(H, D, C, seed)
    XT1, target, loss = _problem(D, C, seed)
    trained = _train(layout, theta, XT1, target, activation, loss, optimizer, batch, penalty)
    assert np.isfinite(trained).all()
    assert not np.array_equal(trained, theta)  # it trained
    assert max_unit_gap(unit_vectors(layout.views(trained))) == 0.0


@pytest.mark.parametrize("H", [5, 33])
def test_copies_in_part_stay_copies_and_the_others_stay_apart(H: int) -> None:
    """Every other unit a copy of its neighbour: the rows where a BLAS tile's edge would
    round differently (H = 33 with D = 64, C = 10)."""
    D, C = 64, 10
    layout = ParamLayout(H, D, C)
    rng = np.random.default_rng(H)
    p = layout.views(rng.normal(0.0, 0.2, layout.size))
    for i in range(1, H, 2):
        p.W1[i], p.b1[i], p.W2[:, i] = p.W1[i - 1], p.b1[i - 1], p.W2[:, i - 1]
    XT1, target, _ = _problem(D, C, 0)
    trained = layout.views(_train(layout, layout.pack(p), XT1, target, "tanh", "softmax",
                                  "sgd", 0, "none", steps=40))
    units = unit_vectors(trained)
    for i in range(1, H, 2):
        assert np.array_equal(units[i], units[i - 1])
    assert len(np.unique(units, axis=0)) == (H + 1) // 2


def test_dropout_breaks_copies_in_the_wide_kernel() -> None:
    layout, theta = _copies(6, 3, 4, 0)
    XT1, target, _ = _problem(3, 4, 0)
    trained = _train(layout, theta, XT1, target, "tanh", "softmax", "sgd", 0, "none",
                     dropout=0.3)
    assert max_unit_gap(unit_vectors(layout.views(trained))) > 0.0


def test_distinct_units_groups_by_bytes() -> None:
    block = np.array([[1.0, 2.0], [1.0, 2.0], [1.0, 2.0], [0.0, 2.0], [-0.0, 2.0]])
    W2 = np.array([[1.0, 1.0, 3.0, 1.0, 1.0]])
    first, inverse = distinct_units(block, W2)
    rows = np.column_stack([block, W2.T])
    np.testing.assert_array_equal(rows[first][inverse], rows)
    groups = [inverse[i] for i in range(5)]
    assert groups[0] == groups[1] != groups[2]  # the outgoing weight tells 2 apart
    assert groups[3] != groups[4]  # −0.0 is another byte pattern: computed apart
    assert len(first) == 4


def test_the_kernel_for_a_layout() -> None:
    assert kernel_for(ParamLayout(4, 2)) is loss_and_grads_unit_major
    assert kernel_for(ParamLayout(4, 1)) is loss_and_grads_unit_major
    assert kernel_for(ParamLayout(4, 3)) is loss_and_grads_wide
    assert kernel_for(ParamLayout(4, 2, 3)) is loss_and_grads_wide


@pytest.mark.parametrize("dropout", [False, True], ids=["plain", "dropout"])
@pytest.mark.parametrize("dataset", TOY_DATASETS)
def test_wide_and_narrow_kernels_agree_on_the_toys(dataset: str, dropout: bool) -> None:
    """On every toy, a few steps in, for every activation: the same loss and gradient
    to 1e-13 of the largest gradient entry (only the order of the sums differs; far
    into training the gradient is a small difference of large terms, whose rounding
    no longer compares with it)."""
    for k, activation in enumerate(ACTIVATIONS):
        config = Config(dataset=dataset, activation=activation, init="xavier", seed=k,
                        samples=60, hidden=7)
        trainer = Trainer(config)
        trainer.step(3)
        layout = trainer.param_layout
        XT1 = with_ones(trainer.data.X_train)
        yT = np.ascontiguousarray(trainer.data.y_train.T)
        maskT = (dropout_mask((7, XT1.shape[1]), 0.3, np.random.default_rng(k)) if dropout
                 else None)
        results = []
        for kernel in (loss_and_grads_unit_major, loss_and_grads_wide):
            grad = UnitMajorViews(layout, np.zeros(layout.size))
            value = kernel(UnitMajorViews(layout, trainer.theta.copy()), XT1, yT,
                           ACTIVATION_RECORDS[activation], LOSSES[config.loss], grad,
                           Workspace(7, XT1.shape[1]), maskT)
            results.append((value, grad.theta))
        (narrow, g_narrow), (wide, g_wide) = results
        assert wide == pytest.approx(narrow, rel=1e-13, abs=1e-15)
        scale = np.abs(g_narrow).max()
        assert scale > 0
        np.testing.assert_allclose(g_wide, g_narrow, rtol=0, atol=1e-13 * scale)
