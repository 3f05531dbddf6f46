"""The conv layer (core/conv.py): its gradient, exactness for copies of a filter, an
independent build agreeing with it, and the permutation of filters (docs/maths.md,
"Filters").  Small digits runs (N ≤ 200 images) and few steps: each claim needs no more.
"""

from __future__ import annotations

import itertools
from typing import Any

import numpy as np
import pytest
import reference_conv
import reference_mlp
from conftest import numeric_gradient

from tui_symmetry.core import (
    Config,
    ConfigError,
    Trainer,
    chance,
    conv,
    metrics,
    one_unit,
    saddle,
    similarity,
)
from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.data import DATASETS
from tui_symmetry.core.init import draw_params
from tui_symmetry.core.metrics import max_unit_gap, shape_of, unit_vectors
from tui_symmetry.core.network import (
    ACTIVATIONS,
    LOSSES,
    ParamLayout,
    Params,
    UnitMajorViews,
    one_hot,
)
from tui_symmetry.core.similarity import FUNCTION, function_similarity, similarity_matrix

DIGITS = Config(dataset="digits", samples=120, arch="conv", filters=4, kernel=3,
                init="xavier", epsilon=0.0, lr=0.5)


def _synthetic(n: int, side: int, classes: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, side, side)), rng.integers(0, classes, n)


def _conv_layout(K: int, k: int, C: int, side: int = 8) -> ParamLayout:
    return ParamLayout(K, k * k, C, conv.pooled_cells(side, k))


def _loss_and_grad(layout: ParamLayout, theta: np.ndarray, PT: np.ndarray, target: np.ndarray,
                   activation: str, loss: str) -> tuple[float, np.ndarray]:
    grad = UnitMajorViews(layout, np.zeros(layout.size))
    ws = conv.conv_workspace(layout.hidden, PT.shape[1], PT.shape[2])
    value = conv.loss_and_grads_conv(UnitMajorViews(layout, theta.copy()), PT, target,
                                     ACTIVATIONS[activation], LOSSES[loss], grad, ws)
    return value, grad.theta


# -- the gradient ---------------------------------------------------------------------------

@pytest.mark.parametrize(("activation", "loss", "C", "k"), [
    ("tanh", "softmax", 4, 3), ("sigmoid", "bce", 1, 5), ("leaky_relu", "mse", 1, 3),
    ("linear", "softmax", 3, 5)])
def test_the_conv_gradient_matches_central_differences(activation, loss, C, k) -> None:
    images, labels = _synthetic(5, 8, max(C, 2), seed=3)
    layout = _conv_layout(3, k, C)
    theta = np.random.default_rng(4).normal(scale=0.5, size=layout.size)
    target = one_hot(labels, C) if loss == "softmax" else labels[None, :].astype(float)
    PT = conv.patches(images, k)
    _, grad = _loss_and_grad(layout, theta, PT, target, activation, loss)
    numeric = numeric_gradient(
        lambda t: _loss_and_grad(layout, t, PT, target, activation, loss)[0], theta)
    np.testing.assert_allclose(grad, numeric, rtol=1e-6, atol=1e-8)


def test_patches_hold_every_window_and_a_row_of_ones() -> None:
    images = np.arange(2 * 8 * 8, dtype=float).reshape(2, 8, 8)
    PT = conv.patches(images, 3)
    assert PT.shape == (10, 36, 2) and PT.flags.c_contiguous
    # position q = i·6 + j of image 1, kernel entry a·3 + b is pixel (i + a, j + b)
    assert PT[1 * 3 + 2, 2 * 6 + 4, 1] == images[1, 2 + 1, 4 + 2]
    assert (PT[-1] == 1.0).all()


# -- exactness: copies of a filter stay bit-identical --------------------------------------

LEARNING_RATES = {"sgd": 0.5, "momentum": 0.05, "adam": 0.02}
PENALTIES = {"none": {}, "l1": {"l1": 0.01}, "l2": {"l2": 0.05}, "tie": {"tie": 0.5}}
GRID = [  # every optimizer with every batch and every penalty, K spread over them
    (opt, batch, penalty, K)
    for (opt, batch, penalty), K in zip(
        itertools.product(LEARNING_RATES, (0, 7), PENALTIES),
        itertools.cycle((2, 5, 16)), strict=False)
]


@pytest.mark.parametrize(("optimizer", "batch", "penalty", "K"), GRID)
def test_copies_of_a_filter_stay_bit_identical(optimizer, batch, penalty, K) -> None:
    config = DIGITS.replace(samples=60, filters=K, init="symmetric", epsilon=0.0,
                            optimizer=optimizer, lr=LEARNING_RATES[optimizer],
                            batch_size=batch, **PENALTIES[penalty])
    trainer = Trainer(config)
    start = unit_vectors(trainer.params).copy()
    assert trainer.step(12) == 12
    units = unit_vectors(trainer.params)
    assert not np.array_equal(units, start)  # it trained
    assert max_unit_gap(units) == 0.0


def test_every_activation_keeps_copies_of_17_filters_identical() -> None:
    for activation in ACTIVATIONS:
        trainer = Trainer(DIGITS.replace(samples=40, filters=17, init="symmetric",
                                         activation=activation, lr=0.3))
        trainer.step(5)
        assert max_unit_gap(unit_vectors(trainer.params)) == 0.0, activation


# -- an independent build -------------------------------------------------------------------

def _reference_params(params: Params, k: int) -> dict[str, np.ndarray]:
    return {name: np.array(value, dtype=float)
            for name, value in conv.torch_params(params, k).items()}


def _reference_data(trainer: Trainer) -> tuple[np.ndarray, np.ndarray]:
    config = trainer.config
    images = trainer.data.X_train.reshape(-1, *config.shape.image)
    return images, np.eye(config.output_dim)[trainer.data.y_train]


@pytest.mark.parametrize("activation", ["tanh", "relu"])
def test_one_step_agrees_with_the_loop_reference_to_1e12(activation) -> None:
    trainer = Trainer(DIGITS.replace(activation=activation, kernel=5))
    images, Y = _reference_data(trainer)
    params = _reference_params(trainer.params, 5)
    loss, reference = reference_conv.train_step(params, images, Y, trainer.config.to_dict(),
                                                reference_mlp.SGD(0.5), "softmax")
    assert trainer.train_loss() == pytest.approx(loss, abs=1e-12)
    trainer.step(1)
    ours = conv.torch_params(trainer.params, 5)
    for name in reference_conv.CONV_NAMES:
        np.testing.assert_allclose(ours[name], reference[name], rtol=0, atol=1e-12)


@pytest.mark.parametrize(("optimizer", "extra"), [
    ("adam", {"l2": 0.01, "l1": 0.001}), ("momentum", {"tie": 0.3})])
def test_a_short_run_replays_on_the_loop_reference_to_1e10(optimizer, extra) -> None:
    config = DIGITS.replace(optimizer=optimizer, lr=LEARNING_RATES[optimizer], **extra)
    trainer = Trainer(config)
    images, Y = _reference_data(trainer)
    params = _reference_params(trainer.params, 3)
    opt = reference_mlp.make_optimizer(config.to_dict())
    for _ in range(15):
        params = reference_conv.train_step(params, images, Y, config.to_dict(), opt,
                                           "softmax")[1]
    trainer.step(15)
    ours = conv.torch_params(trainer.params, 3)
    for name in reference_conv.CONV_NAMES:
        np.testing.assert_allclose(ours[name], params[name], rtol=0, atol=1e-10)


# -- permutation ----------------------------------------------------------------------------

def test_permuting_filters_with_their_blocks_leaves_the_logits_unchanged() -> None:
    trainer = Trainer(DIGITS.replace(filters=5))
    trainer.step(10)
    images, _ = _reference_data(trainer)
    before = reference_conv.forward(_reference_params(trainer.params, 3), images, "tanh")[2]
    perm = np.array([3, 0, 4, 1, 2])
    old_units = unit_vectors(trainer.params).copy()
    trainer.permute_units(perm)
    after = reference_conv.forward(_reference_params(trainer.params, 3), images, "tanh")[2]
    np.testing.assert_array_equal(unit_vectors(trainer.params), old_units[perm])
    np.testing.assert_allclose(after, before, rtol=0, atol=1e-12)
    assert not np.array_equal(trainer.params.W1, trainer.initial_params.W1[perm])  # trained


# -- every measure reads filters as units ---------------------------------------------------

SYMMETRIC_COPY = {  # filter 1 made a copy of filter 0 under the activation's symmetry
    "tanh": lambda w, V: (-w, -V),
    "relu": lambda w, V: (2.5 * w, V / 2.5),
    "linear": lambda w, V: (-0.5 * w, -2.0 * V),
}


@pytest.mark.parametrize("activation", sorted(SYMMETRIC_COPY))
def test_a_filter_and_its_symmetric_copy_are_alike_in_weights_and_function(activation) -> None:
    trainer = Trainer(DIGITS.replace(activation=activation, filters=3))
    trainer.step(5)
    p = trainer.params
    units = unit_vectors(p).copy()
    D1 = 10
    w, V = units[0, :D1], units[0, D1:].reshape(10, 9)
    w1, V1 = SYMMETRIC_COPY[activation](w, V)
    # softmax's gauge, per pooled cell: V[:, q] + α_q·1 changes nothing
    V1 = V1 + np.linspace(-1.0, 1.0, 9)[None, :]
    units[1] = np.r_[w1, V1.ravel()]
    shape = shape_of(p)
    assert shape.positions == 9 and shape.centred
    S = similarity_matrix(units, activation, shape)
    assert S[0, 1] == pytest.approx(1.0, abs=1e-12) and S[0, 2] < 0.99
    PT = trainer._XT
    outgoing = shape.outgoing_vectors(units[:, D1:])
    F = function_similarity(units[:, :D1], outgoing, activation, PT)
    assert F[0, 1] == pytest.approx(1.0, abs=1e-9) and F[0, 2] < 0.99
    # the contributions themselves agree with the loop reference's pooled maps
    contributions = similarity.contributions(units[:, :D1], outgoing, activation, PT)
    images = trainer.data.X_train.reshape(-1, 8, 8)
    one = {"Wc": w[:9].reshape(1, 1, 3, 3), "bc": w[9:],
           "W2": V, "b2": np.zeros(10)}
    pooled = reference_conv.forward(one, images, activation)[1].reshape(len(images), 9)
    centred = shape.outgoing_vectors(units[:1, D1:]).reshape(10, 9)
    np.testing.assert_allclose(contributions[0], centred @ pooled.T, atol=1e-12)


def test_chance_for_filters_is_read_from_random_conv_starts(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # a coarser estimate (what it reads is checked, not how closely), kept out of the cache
    monkeypatch.setattr(chance, "MAX_DRAWS", 200)
    monkeypatch.setattr(chance, "_CACHE", {})
    config = DIGITS.replace(filters=4, init="symmetric", samples=40)
    weights = symmetry_chance(config)
    function = symmetry_chance(config, FUNCTION)
    # signed correlations of unrelated filters' contributions average about 0
    assert 0.0 < weights < 1.0 and abs(function) < 0.05
    # a second way: the mean index of 200 fresh xavier conv starts
    rng = np.random.default_rng(3)
    reference = config.replace(init="xavier")
    indices = []
    for _ in range(200):
        params = draw_params(reference, rng)
        S = similarity_matrix(unit_vectors(params), config.activation, shape_of(params))
        indices.append((S.sum() - 4) / 12)
    assert weights == pytest.approx(np.mean(indices), abs=0.03)


def test_the_gradient_per_filter_is_the_reference_gradient_of_its_row() -> None:
    trainer = Trainer(DIGITS.replace(filters=3))
    trainer.step(4)
    _, norms, gaps = trainer._unit_pictures()  # what a snapshot carries, without the rest
    images, Y = _reference_data(trainer)
    _, grads = reference_conv.loss_and_grads(_reference_params(trainer.params, 3), images, Y,
                                             "tanh", "softmax")
    rows = np.column_stack([grads["Wc"].reshape(3, 9), grads["bc"],
                            grads["W2"].reshape(10, 3, 9).transpose(1, 0, 2).reshape(3, 90)])
    np.testing.assert_allclose(norms, np.linalg.norm(rows, axis=1), rtol=1e-10)
    assert gaps.shape == (3, 3) and (gaps[~np.eye(3, dtype=bool)] > 0).all()
    copies = Trainer(DIGITS.replace(filters=3, init="symmetric"))._unit_pictures()[2]
    assert (copies == 0.0).all()


def test_the_split_tracker_counts_filters_as_a_full_count_does_at_every_step() -> None:
    config = DIGITS.replace(samples=40, filters=4, init="symmetric", epsilon=0.01, lr=2.0)
    trainer = Trainer(config)
    counts = []
    for _ in range(25):
        trainer.step(1)
        full = metrics.summarize(trainer.params, config.activation, trainer._XT)
        counts.append(full["distinct_units"])
        assert trainer.instruments.splits.distinct == counts[-1]
    assert len(set(counts)) > 1  # the count moved: there was something to track


# -- the saddle: Hessian of the filters -------------------------------------------------------

def _conv_terms(layout: ParamLayout, theta: np.ndarray, PT: np.ndarray, target: np.ndarray,
                activation: str) -> Any:
    p = layout.views(theta)
    return saddle.hessian_terms(unit_vectors(p), p.b2.copy(), PT, target, activation,
                                "softmax")


@pytest.mark.parametrize("activation", ["tanh", "sigmoid"])
def test_the_filters_hessian_vector_product_matches_finite_differences(activation) -> None:
    images, labels = _synthetic(6, 8, 3, seed=7)
    layout, PT, target = _conv_layout(3, 3, 3), conv.patches(images, 3), one_hot(labels, 3)
    rng = np.random.default_rng(8)
    theta = rng.normal(scale=0.5, size=layout.size)
    at = layout.unit_positions()
    dU = rng.normal(size=at.shape)
    direction = np.zeros(layout.size)
    direction[at] = dU
    step = 1e-5
    plus = _loss_and_grad(layout, theta + step * direction, PT, target, activation, "softmax")
    minus = _loss_and_grad(layout, theta - step * direction, PT, target, activation, "softmax")
    numeric = ((plus[1] - minus[1]) / (2 * step))[at]
    exact = _conv_terms(layout, theta, PT, target, activation).hvp(dU[None])[0]
    np.testing.assert_allclose(exact, numeric, rtol=1e-6, atol=1e-8)


def test_at_identical_filters_the_hessian_on_differences_is_the_unit_block() -> None:
    """Σ_h δu_h = 0 kills the Gauss–Newton terms: H δU = (B δu_h)_h, B one filter's block."""
    images, labels = _synthetic(6, 8, 3, seed=9)
    layout, PT, target = _conv_layout(4, 3, 3), conv.patches(images, 3), one_hot(labels, 3)
    rng = np.random.default_rng(10)
    one = rng.normal(scale=0.5, size=layout.unit_positions().shape[1])
    theta = np.zeros(layout.size)
    theta[layout.unit_positions()] = one
    theta[-3:] = rng.normal(size=3)
    terms = _conv_terms(layout, theta, PT, target, "tanh")
    e = rng.normal(size=len(one))
    dU = np.zeros((4, len(one)))
    dU[0], dU[2] = e, -e
    product = terms.hvp(dU[None])[0]
    B = terms.unit_block()
    np.testing.assert_allclose(product[0], B @ e, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(product[2], -B @ e, rtol=1e-9, atol=1e-12)
    np.testing.assert_allclose(product[[1, 3]], 0.0, atol=1e-12)


def test_the_saddle_of_copied_filters_is_the_loss_curving_down_between_two_copies() -> None:
    """The reading at copies (λ, from one filter's block) against a second way: the
    loss along δu_0 = e, δu_1 = −e (e the softest direction) curves as 2λ·t²/2."""
    config = DIGITS.replace(samples=60, filters=3, init="symmetric", epsilon=0.0)
    trainer = Trainer(config)
    snap = trainer.snapshot()
    assert snap.max_unit_gap == 0.0 and snap.saddle_curvature < 0 < snap.growth_rate
    meter = trainer.instruments.saddle
    units = unit_vectors(trainer.params)
    terms = saddle.hessian_terms(units, trainer.params.b2.copy(), meter.XT1, meter.yT,
                                 config.activation, config.loss)
    B = meter.T.T @ terms.unit_block() @ meter.T
    values, vectors = np.linalg.eigh(B)
    assert values[0] == pytest.approx(snap.saddle_curvature, rel=1e-12)
    e = meter.T @ vectors[:, 0]
    at = trainer.param_layout.unit_positions()
    direction = np.zeros(trainer.param_layout.size)
    direction[at[0]], direction[at[1]] = e, -e
    start, t = trainer.theta.copy(), 1e-4

    def loss_at(x: float) -> float:
        trainer.theta[:] = start + x * direction
        return trainer.train_loss()

    curve = (loss_at(t) + loss_at(-t) - 2 * loss_at(0.0)) / t**2
    assert curve == pytest.approx(2 * snap.saddle_curvature, rel=1e-4)


# -- the one-filter optimum ------------------------------------------------------------------

def test_the_one_filter_optimum_is_the_loss_of_identical_filters(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """K identical filters (F̃, V/K) compute one filter (F̃, V): the loss the search reports
    is that of its parameters in the loop reference, and of K copies in the engine.  Each
    image comes twice with two labels, so no filter fits them (the loss stays above 0).
    A shorter search: what is checked is what its result means, not how far it got."""
    for name, value in (("STARTS", 4), ("SCOUT_ITERATIONS", 10), ("FINALISTS", 2),
                        ("FINAL_ITERATIONS", 20), ("MAX_ITERATIONS", 60)):
        monkeypatch.setattr(one_unit, name, value)
    images, labels = _synthetic(8, 8, 3, seed=5)
    images, labels = np.concatenate([images, images]), np.r_[labels, (labels + 1) % 3]
    PT = conv.patches(images, 3)
    found = one_unit.conv_search(PT, labels, "tanh", "softmax", 3)
    theta, C, P = found.theta, 3, 9
    one = {"Wc": theta[:9].reshape(1, 1, 3, 3), "bc": theta[9:10],
           "W2": theta[10:10 + C * P].reshape(C, P), "b2": theta[-C:]}
    out = reference_conv.forward(one, images, "tanh")[2]
    assert found.finite_loss > 0.3  # ln 2 per doubled image at best
    assert reference_mlp.data_loss(out, np.eye(C)[labels], "softmax") == pytest.approx(
        found.finite_loss, rel=1e-10)
    layout = _conv_layout(3, 3, C)
    copies = Params(np.tile(one["Wc"].reshape(1, 9), (3, 1)), np.repeat(one["bc"], 3),
                    np.tile(one["W2"] / 3, (1, 3)), one["b2"])
    engine = _loss_and_grad(layout, layout.pack(copies), PT, one_hot(labels, C), "tanh",
                            "softmax")[0]
    assert engine == pytest.approx(found.finite_loss, rel=1e-10)
    assert found.bound == "upper" and found.loss <= found.bounded_loss


# -- what a conv snapshot carries -----------------------------------------------------------

def test_a_conv_snapshot_holds_kernels_and_feature_maps_of_the_chosen_image(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(chance, "MAX_DRAWS", 64)  # its chance level is not what is checked
    monkeypatch.setattr(chance, "_CACHE", {})
    trainer = Trainer(DIGITS.replace(kernel=5))
    trainer.step(3)
    snap = trainer.snapshot(image_index=7)
    assert snap.pictures.images.values.shape == (4, 5, 5)
    np.testing.assert_array_equal(snap.pictures.images.values,
                                  trainer.params.W1.reshape(4, 5, 5))
    assert snap.feature_maps.shape == (4, 4, 4) and snap.feature_maps.dtype == np.float32
    # the map at (i, j) is tanh of the kernel on the window at (i, j), plus the bias
    image = trainer.data.X_train[7].reshape(8, 8)
    kernel, bias = trainer.params.W1[2].reshape(5, 5), trainer.params.b1[2]
    expected = np.tanh((image[1:6, 3:8] * kernel).sum() + bias)
    assert snap.feature_maps[2, 1, 3] == pytest.approx(expected, abs=1e-6)
    assert snap.image_index == 7 and snap.image_label == trainer.data.y_train[7]
    assert trainer.snapshot(image_index=-1).image_index == len(trainer.data.X_train) - 1
    assert 0.0 < snap.image_confidence <= 1.0 and snap.distinct_units == 4


@pytest.mark.parametrize(("changes", "message"), [
    ({"dataset": "xor"}, "arch: conv needs image data (digits), not xor"),
    ({"dataset": "wine"}, "arch: conv needs image data (digits), not wine"),
    ({"kernel": 4}, "kernel: 4 is not one of 3, 5"),
    ({"filters": 33}, "filters: 33 is out of range; use an integer in [1, 32]"),
    ({"dropout": 0.1}, "dropout: applies to an mlp's hidden units; arch conv has none"),
])
def test_conv_settings_are_refused_in_one_line(changes, message) -> None:
    with pytest.raises(ConfigError) as caught:
        DIGITS.replace(**changes)
    assert str(caught.value) == message


def test_the_registry_knows_the_digits_pictures_without_reading_the_table() -> None:
    """arch conv is checked on DatasetSpec.image (no table read when a Config is made):
    it must be the shape the table itself says."""
    assert DATASETS["digits"].image == Config(dataset="digits").shape.image == (8, 8)
    assert [name for name, spec in DATASETS.items() if spec.image] == ["digits"]
