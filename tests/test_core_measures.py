"""Unit measures with a vector of outgoing weights (docs/maths.md, "Many classes").

A unit of a C-output network is u_i = [w̃_i │ v_i], v_i = W2[:, i].  Under softmax v_i and
v_i + α·1 compute the same, so the measures read the centred v̄_i.  The networks here are
built from arrays (no dataset needed); one output keeps the toys' bits, checked against
a frozen copy of the one-output measure.
"""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.special import logsumexp

from tui_symmetry.core import metrics
from tui_symmetry.core.config import Config
from tui_symmetry.core.gradients import gradient_gaps, unit_gradients
from tui_symmetry.core.network import (
    ONE_OUTPUT,
    ParamLayout,
    Params,
    UnitShape,
    loss_and_grads,
    one_hot,
    unit_shape,
    with_ones,
)
from tui_symmetry.core.one_unit import search
from tui_symmetry.core.saddle import SaddleMeter, _VectorTerms, helmert_basis, outgoing_basis
from tui_symmetry.core.similarity import (
    SIGN_FLIP,
    canonical_units,
    function_similarity,
    pair_similarity,
    row_directions,
    separation_matrix,
    similarity_matrix,
)
from tui_symmetry.core.splits import SplitTracker

SOFTMAX = UnitShape(4, centred=True)
SYMMETRY_OF = {"tanh": "odd", "sigmoid": "odd_plus_constant", "relu": "positive_scale",
               "leaky_relu": "positive_scale", "linear": "linear"}


def _frozen_one_output_canonical(units: np.ndarray, symmetry: str) -> np.ndarray:
    """canonical_units as it was for one output (kept here to pin the toys' bits)."""
    incoming = row_directions(units[..., :-1])
    sign = np.sign(units[..., -1])
    if symmetry in ("positive_scale", *SIGN_FLIP):
        return np.concatenate([incoming, sign[..., None]], axis=-1)
    return incoming * np.where(sign == 0.0, 1.0, sign)[..., None]


def _units(H: int, K: int, seed: int) -> np.ndarray:
    rng = np.random.default_rng([seed, H, K])
    units = rng.normal(size=(H, K))
    units[1] = units[0]  # a copy
    units[2, -1] = 0.0  # no outgoing weight (one output) / one zero entry
    units[3] *= 1e200  # rows whose squares overflow
    units[4] *= 1e-200  # and underflow
    return units


@pytest.mark.parametrize("symmetry", sorted(set(SYMMETRY_OF.values())))
def test_one_output_measure_keeps_its_bits(symmetry: str) -> None:
    units = _units(7, 4, 0)
    np.testing.assert_array_equal(canonical_units(units, symmetry, ONE_OUTPUT),
                                  _frozen_one_output_canonical(units, symmetry))
    assert unit_shape(1) == ONE_OUTPUT and unit_shape(1, "bce") == ONE_OUTPUT


def _moved(units: np.ndarray, i: int, activation: str, shape: UnitShape) -> list[np.ndarray]:
    """Unit i moved along each symmetry the activation and the loss have."""
    C = shape.outgoing
    moved = []
    w, v = units[i, :-C], units[i, -C:]
    for alpha in (0.3, 7.0):  # (αw̃, v/α)
        if SYMMETRY_OF[activation] in ("positive_scale", "linear"):
            moved.append(np.r_[alpha * w, v / alpha])
    if SYMMETRY_OF[activation] in ("odd", "odd_plus_constant", "linear"):
        moved.append(np.r_[-w, -v])  # sigmoid: b2 absorbs the rest
    if SYMMETRY_OF[activation] == "linear":
        moved.append(np.r_[-2.0 * w, -v / 2.0])
    if shape.centred:
        moved.append(np.r_[w, v + 3.7])  # the softmax gauge
    result = []
    for row in moved:
        changed = units.copy()
        changed[i] = row
        result.append(changed)
    return result


@pytest.mark.parametrize("activation", list(SYMMETRY_OF))
def test_c_output_similarity_is_blind_to_each_symmetry(activation: str) -> None:
    units = np.random.default_rng(len(activation)).normal(size=(6, 3 + 1 + 4))
    units[1] = units[0]
    S = similarity_matrix(units, activation, SOFTMAX)
    assert S[0, 1] == pytest.approx(1.0, abs=1e-15)
    lowest = 0.0 if activation in ("tanh", "sigmoid") else -1.0
    assert np.all(S <= 1.0) and np.all(lowest <= S)
    for i in (0, 3):
        for changed in _moved(units, i, activation, SOFTMAX):
            np.testing.assert_allclose(similarity_matrix(changed, activation, SOFTMAX), S,
                                       atol=1e-12)
    first, second = np.array([0, 2, 5]), np.array([1, 4, 3])
    np.testing.assert_array_equal(
        pair_similarity(units, activation, first, second, SOFTMAX), S[first, second])
    chord = separation_matrix(units, activation, SOFTMAX)
    np.testing.assert_allclose(1.0 - chord**2 / 2.0, S, atol=1e-12)


@pytest.mark.parametrize("centred", [True, False])
def test_c_output_measures_read_the_whole_outgoing_vector(centred: bool) -> None:
    shape = UnitShape(3, centred)
    rng = np.random.default_rng(int(centred))
    units = rng.normal(size=(5, 2 + 1 + 3))
    v = shape.outgoing_vectors(units)
    if centred:
        np.testing.assert_allclose(v.sum(axis=1), 0.0, atol=1e-15)
    w_hat, v_hat = row_directions(units[:, :3]), row_directions(v)
    balanced = (w_hat @ w_hat.T + v_hat @ v_hat.T) / 2.0
    S = similarity_matrix(units, "relu", shape)
    np.testing.assert_allclose(S, np.where(np.eye(5) == 1, 1.0, balanced), atol=1e-14)
    np.testing.assert_allclose(similarity_matrix(units, "tanh", shape),
                               np.where(np.eye(5) == 1, 1.0, np.abs(balanced)), atol=1e-14)
    # linear: the Frobenius cosine of the rank-one matrices v̂ ŵᵀ
    np.testing.assert_allclose(similarity_matrix(units, "linear", shape),
                               np.where(np.eye(5) == 1, 1.0,
                                        (w_hat @ w_hat.T) * (v_hat @ v_hat.T)), atol=1e-14)
    # the opposite outgoing vector: a unit that cancels the other scores 0 for tanh
    cancel = units.copy()
    cancel[1, :3], cancel[1, 3:] = units[0, :3], -units[0, 3:]
    assert similarity_matrix(cancel, "tanh", shape)[0, 1] == pytest.approx(0.0, abs=1e-15)


def test_a_unit_whose_outgoing_vector_softmax_cannot_see_has_none() -> None:
    params = Params(np.array([[1.0, 2.0], [0.0, 0.0], [0.0, 0.0]]), np.zeros(3),
                    np.array([[0.5, 0.4, 0.0], [0.5, 0.4, 0.0], [0.5, 0.4, 1.0]]),
                    np.zeros(3))
    # unit 0: v ∝ 1 but incoming weights → live; unit 1: v ∝ 1 and none in → no weights;
    # unit 2: no incoming weights, v not ∝ 1 → a constant shift of the class scores
    states = metrics.unit_states(params, "tanh")
    assert list(states) == [metrics.LIVE, metrics.NO_WEIGHTS, metrics.CONSTANT]
    assert metrics.shape_of(params) == SOFTMAX.__class__(3, True)


def _params(H: int, D: int, C: int, seed: int) -> Params:
    rng = np.random.default_rng([seed, H, D, C])
    return Params(rng.normal(size=(H, D)), rng.normal(size=H), rng.normal(size=(C, H)),
                  rng.normal(size=C))


def test_function_similarity_of_c_outputs() -> None:
    H, D, C, N = 5, 3, 4, 30
    p = _params(H, D, C, 0)
    p.W1[1], p.b1[1], p.W2[:, 1] = p.W1[0], p.b1[0], p.W2[:, 0] + 2.5  # a copy, up to gauge
    X = np.random.default_rng(1).normal(size=(N, D))
    XT1 = with_ones(X)
    block = np.column_stack([p.W1, p.b1])
    S = function_similarity(block, metrics.outgoing_weights(p), "tanh", XT1)
    assert S[0, 1] == pytest.approx(1.0, abs=1e-12)
    # second way: correlation of each unit's centred logits contribution, written out
    a = np.tanh(X @ p.W1.T + p.b1)  # (N, H)
    v = p.W2 - p.W2.mean(axis=0)  # centred per unit over classes
    rows = []
    for i in range(H):
        contribution = np.outer(v[:, i], a[:, i])  # (C, N)
        contribution -= contribution.mean(axis=1, keepdims=True)
        rows.append(contribution.ravel() / np.linalg.norm(contribution))
    expected = np.array(rows) @ np.array(rows).T
    np.testing.assert_allclose(S, expected, atol=1e-12)
    # one output: the (H,) path is unchanged by the (H, C) one at C = 1
    q = _params(H, D, 1, 2)
    one = function_similarity(np.column_stack([q.W1, q.b1]), q.W2[0], "relu", XT1)
    as_vectors = function_similarity(np.column_stack([q.W1, q.b1]), q.W2.T.copy(), "relu",
                                     XT1)
    np.testing.assert_allclose(as_vectors, one, atol=1e-13)


def test_summaries_of_a_c_output_network() -> None:
    p = _params(6, 5, 10, 3)
    p.W1[2], p.b1[2], p.W2[:, 2] = p.W1[4], p.b1[4], p.W2[:, 4] - 1.0  # alike under softmax
    summary = metrics.summarize(p, "relu")
    assert summary["units"].shape == (6, 5 + 1 + 10)
    assert summary["similarity"][2, 4] == pytest.approx(1.0, abs=1e-14)
    assert summary["distinct_units"] == 5
    assert summary["max_unit_gap"] > 0  # the raw rows differ: they are not copies


# -- the saddle with C outputs -------------------------------------------------------------


def _softmax_problem(H: int, D: int, C: int, N: int, seed: int) -> tuple[Params, np.ndarray,
                                                                         np.ndarray]:
    p = _params(H, D, C, seed)
    rng = np.random.default_rng(seed + 100)
    return p, rng.normal(size=(N, D)), rng.permutation(np.arange(N) % C)


def _unit_gradient(p: Params, X: np.ndarray, labels: np.ndarray) -> np.ndarray:
    return metrics.unit_vectors(loss_and_grads(p, X, labels, "tanh", "softmax")[1])


def _with_units(p: Params, units: np.ndarray, D: int) -> Params:
    return Params(units[:, :D].copy(), units[:, D].copy(), units[:, D + 1:].T.copy(),
                  p.b2.copy())


@pytest.mark.parametrize("C", [3, 10])
def test_c_output_hessian_vector_product_matches_differences_of_the_gradient(C: int) -> None:
    H, D, N = 4, 3, 25
    p, X, labels = _softmax_problem(H, D, C, N, C)
    units = metrics.unit_vectors(p)
    terms = _VectorTerms(units, p.b2, with_ones(X), one_hot(labels, C), "tanh", "softmax")
    dU = np.random.default_rng(C).normal(size=(2, *units.shape))
    h = 1e-5
    for m in range(2):
        numeric = (_unit_gradient(_with_units(p, units + h * dU[m], D), X, labels)
                   - _unit_gradient(_with_units(p, units - h * dU[m], D), X, labels)) / (2 * h)
        np.testing.assert_allclose(terms.hvp(dU)[m], numeric, rtol=1e-6, atol=1e-9)
    # the softmax gauge: adding α·1 to a unit's outgoing vector is a null direction
    gauge = np.zeros((1, *units.shape))
    gauge[0, 2, D + 1:] = 1.0
    assert np.abs(terms.hvp(gauge)).max() < 1e-15
    block = terms.unit_block()
    np.testing.assert_allclose(block[:, D + 1:].sum(axis=1), 0.0, atol=1e-15)


def _restricted_by_hand(meter: SaddleMeter, units: np.ndarray, b2: np.ndarray,
                        config: Config, T: np.ndarray) -> float:
    """λ_min of (Helmert(H) ⊗ T)ᵀ (Hessian + penalties) (Helmert(H) ⊗ T), the Hessian
    built column by column from the Hessian-vector product."""
    H, K = units.shape
    terms = _VectorTerms(units, b2, meter.XT1, meter.yT, "tanh", "softmax")
    eye = np.eye(H * K).reshape(H * K, H, K)
    full = terms.hvp(eye).reshape(H * K, H * K)
    D = meter.layout.inputs
    per_unit = np.full(K, config.tie)
    per_unit[:D] += config.l2
    per_unit[D + 1:] += config.l2
    full += np.diag(np.tile(per_unit, H)) - config.tie / H * np.kron(np.ones((H, H)),
                                                                      np.eye(K))
    basis = np.kron(helmert_basis(H), T)
    restricted = basis.T @ (0.5 * (full + full.T)) @ basis
    return float(np.linalg.eigvalsh(restricted)[0])


@pytest.mark.parametrize("penalties", [{}, {"l2": 0.05, "tie": 0.3}])
def test_c_output_curvature_is_read_where_softmax_can_see(penalties: dict,
                                                          monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    H, D, C, N = 4, 2, 3, 30
    p, X, labels = _softmax_problem(H, D, C, N, 7)
    layout = ParamLayout(H, D, C)
    meter = SaddleMeter(layout, with_ones(X), one_hot(labels, C), "tanh", "softmax")
    config = Config(**penalties)
    units = metrics.unit_vectors(p)
    T = outgoing_basis(D + 1, meter.shape)
    assert T.shape == (D + 1 + C, D + C)
    expected = _restricted_by_hand(meter, units, p.b2, config, T)
    assert meter.curvature(units, p.b2, config) == pytest.approx(expected, rel=1e-9)
    monkeypatch.setattr("tui_symmetry.core.saddle.DENSE_MAX_ENTRIES", 0)  # Lanczos
    assert meter.curvature(units, p.b2, config) == pytest.approx(expected, rel=1e-6)
    # without the restriction the gauge pins λ at ≤ 0 (no penalties): an exact null vector
    if not penalties:
        unrestricted = _restricted_by_hand(meter, units, p.b2, config, np.eye(D + 1 + C))
        assert unrestricted <= 1e-15
        assert unrestricted <= expected


def test_c_output_saddle_at_copies_reads_one_block() -> None:
    H, D, C, N = 5, 3, 4, 40
    p, X, labels = _softmax_problem(H, D, C, N, 3)
    p.W1[:], p.b1[:], p.W2[:] = p.W1[0], p.b1[0], p.W2[:, :1]  # every unit a copy
    layout = ParamLayout(H, D, C)
    meter = SaddleMeter(layout, with_ones(X), one_hot(labels, C), "tanh", "softmax")
    units = metrics.unit_vectors(p)
    config = Config()
    exact = meter.curvature(units, p.b2, config)
    nudged = units + 1e-9 * np.random.default_rng(0).standard_normal(units.shape)
    assert meter.curvature(nudged, p.b2, config) == pytest.approx(exact, rel=1e-5)
    theta = layout.pack(p)
    reading = meter.measure(theta, config, 0, True)
    assert reading.curvature == exact and reading.sign_approach is None
    assert reading.chord == 0.0  # all alike: no chord between their directions


# -- the one-unit optimum with C outputs ---------------------------------------------------


def _cross_entropy(out: np.ndarray, labels: np.ndarray) -> float:
    """torch's CrossEntropyLoss on logits (N, C), from its definition."""
    return float(np.mean(logsumexp(out, axis=1) - out[np.arange(len(labels)), labels]))


def test_one_unit_with_c_outputs_is_an_upper_bound_that_copies_attain() -> None:
    D, C, N, H = 3, 3, 45, 4
    rng = np.random.default_rng(5)
    X = rng.normal(size=(N, D))
    labels = np.argmax(X @ rng.normal(size=(D, C)), axis=1)  # a linear rule: learnable
    found = search(X, labels, "tanh", "softmax", C)
    assert found.bound == "upper" and found.limit_loss == math.inf
    w, v, b2 = found.theta[:D + 1], found.theta[D + 1:D + 1 + C], found.theta[D + 1 + C:]
    # second way: the one-unit network written out, softmax as torch defines it
    out = np.tanh(X @ w[:D] + w[D])[:, None] * v + b2
    assert found.finite_loss == pytest.approx(_cross_entropy(out, labels), rel=1e-12)
    assert found.loss == found.finite_loss <= math.log(C)  # better than chance
    # H identical copies of (w̃, v/H) are that one unit: the engine gives the same loss
    copies = Params(np.tile(w[:D], (H, 1)), np.full(H, w[D]), np.tile(v[:, None] / H, H),
                    b2.copy())
    engine_loss = loss_and_grads(copies, X, labels, "tanh", "softmax")[0]
    assert engine_loss == pytest.approx(found.loss, rel=1e-12)
    # and it is a stationary point of that network: the gradient of the copies is tiny
    grads = metrics.unit_vectors(loss_and_grads(copies, X, labels, "tanh", "softmax")[1])
    assert np.abs(grads).max() < 1e-5


def test_one_unit_bound_says_exact_only_where_the_limits_were_searched() -> None:
    rng = np.random.default_rng(6)
    X2, X3 = rng.normal(size=(30, 2)), rng.normal(size=(30, 3))
    y2, y3 = (X2[:, 0] > 0).astype(float), (X3[:, 0] > 0).astype(float)
    assert search(X2, y2, "relu", "bce").bound == "exact"
    assert search(X3, y3, "relu", "bce").bound == "upper"


# -- the split tracker with C outputs ------------------------------------------------------


@pytest.mark.parametrize("activation", ["tanh", "relu", "linear"])
def test_split_tracker_with_c_outputs_equals_a_full_count_at_every_step(activation: str
                                                                       ) -> None:
    """A path from copies (and a pair alike only under the softmax gauge) to units all
    different: the tracker's events are those of counting after every step."""
    H, D, C = 6, 4, 3
    layout = ParamLayout(H, D, C)
    rng = np.random.default_rng(len(activation))
    start = layout.views(np.zeros(layout.size))
    start.W1[:], start.b1[:], start.W2[:] = rng.normal(size=D), 0.3, rng.normal(size=(C, 1))
    start.W2[:, 5] += 2.0  # the same unit as the others for softmax
    apart = rng.normal(size=layout.size)
    theta0 = layout.pack(start)
    tracker = SplitTracker(layout, activation, theta0)
    expected, previous = [], None
    old = theta0
    for step in range(61):
        theta = (1 - step / 60) ** 3 * theta0 + (1 - (1 - step / 60) ** 3) * apart
        p = layout.views(theta)
        live = ~metrics.dead_mask(p)
        count = metrics.distinct_units(
            similarity_matrix(metrics.unit_vectors(p), activation, metrics.shape_of(p)), live)
        if step == 0:
            assert count == 1 and tracker.distinct == 1
        elif count != previous:
            expected.append((step, previous, count))
        if step:
            tracker.observe(old, theta, step)
        old, previous = theta, count
    assert [tuple(e) for e in tracker.events] == expected
    assert len(expected) >= 2 and tracker.distinct == H


def test_unit_gradients_of_c_outputs_are_equal_for_copies() -> None:
    H, D, C, N = 5, 64, 10, 30
    p, X, labels = _softmax_problem(H, D, C, N, 9)
    p.W1[3], p.b1[3], p.W2[:, 3] = p.W1[1], p.b1[1], p.W2[:, 1]
    g = unit_gradients(p, X, labels, "tanh", "softmax")
    assert g.shape == (H, D + 1 + C)
    gaps = gradient_gaps(g)
    assert gaps[1, 3] == 0.0 and np.count_nonzero(gaps == 0.0) == H + 2
