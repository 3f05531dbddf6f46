"""The unit metrics of docs/contracts.md ("Metrics") on hand-made parameters (the
measures themselves: test_core_honest.py)."""

from __future__ import annotations

import itertools
import math

import numpy as np
import pytest

from tui_symmetry.core.metrics import (
    dead_mask,
    distinct_units,
    max_unit_gap,
    similarity_order,
    summarize,
    symmetry_index,
    symmetry_index_of,
    unit_vectors,
)
from tui_symmetry.core.network import Params
from tui_symmetry.core.similarity import cosine_matrix, similarity_matrix


def _params(units: list[list[float]]) -> Params:
    """Params from unit rows [w_in_1, w_in_2, b1, w_out] (D = 2)."""
    u = np.array(units, dtype=float)
    return Params(W1=u[:, :2].copy(), b1=u[:, 2].copy(), W2=u[:, 3][None, :].copy(),
                  b2=np.array([0.25]))


def test_unit_vectors_follow_the_contract() -> None:
    params = Params(W1=np.array([[1.0, 2.0], [3.0, 4.0], [5.0, 6.0]]),
                    b1=np.array([7.0, 8.0, 9.0]), W2=np.array([[10.0, 11.0, 12.0]]),
                    b2=np.array([13.0]))
    np.testing.assert_array_equal(unit_vectors(params),
                                  [[1, 2, 7, 10], [3, 4, 8, 11], [5, 6, 9, 12]])


def test_similarity_respects_each_activations_symmetry() -> None:
    params = _params([[1.0, 0.5, -0.2, 2.0], [-1.0, -0.5, 0.2, -2.0], [0.0, 1.0, 0.0, 0.5]])
    units = unit_vectors(params)
    odd = summarize(params, "tanh")["similarity"]
    relu = summarize(params, "relu")["similarity"]
    # u and −u: the same function for tanh and sigmoid (sign flips in and out), opposite
    # units for relu; for linear only v·[w, b] counts, which −u leaves alone.
    assert odd[0, 1] == pytest.approx(1.0, abs=1e-15)
    assert summarize(params, "sigmoid")["similarity"][0, 1] == pytest.approx(1.0, abs=1e-15)
    assert relu[0, 1] == pytest.approx(-1.0, abs=1e-15)
    assert summarize(params, "leaky_relu")["similarity"][0, 1] == pytest.approx(-1.0)
    assert summarize(params, "linear")["similarity"][0, 1] == pytest.approx(1.0)
    # tanh: the balanced cosine in absolute value (−u is u): |p̂_1·p̂_2 + sgn v_1 sgn v_2|/2.
    p1, p2 = units[1, :3], units[2, :3]
    cos = p1 @ p2 / (np.linalg.norm(p1) * np.linalg.norm(p2))
    assert odd[1, 2] == pytest.approx(abs(cos + np.sign(units[1, 3] * units[2, 3])) / 2.0,
                                      rel=1e-14)
    # relu: the cosine of balanced units, (ŵ_0·ŵ_2 + sign v_0 · sign v_2) / 2.
    w0, w2 = units[0, :3], units[2, :3]
    balanced = (w0 @ w2 / (np.linalg.norm(w0) * np.linalg.norm(w2)) + 1.0) / 2.0
    assert relu[0, 2] == pytest.approx(balanced, rel=1e-14)
    for S in (odd, relu):
        np.testing.assert_array_equal(S, S.T)
        np.testing.assert_array_equal(np.diag(S), 1.0)


def test_symmetry_index_is_mean_off_diagonal_over_live_units() -> None:
    S = np.array([[1.0, 0.2, 0.4], [0.2, 1.0, 0.9], [0.4, 0.9, 1.0]])
    live = np.array([True, True, True])
    assert symmetry_index(S, live) == pytest.approx((0.2 + 0.4 + 0.9) / 3)
    assert symmetry_index(S, np.array([False, True, True])) == pytest.approx(0.9)


def test_dead_units_are_excluded() -> None:
    # Unit 2 has no weights in or out (its bias alone does not keep it alive).
    params = _params([[1.0, 0.0, 0.0, 1.0], [0.0, 1.0, 0.0, 1.0], [0.0, 0.0, 0.7, 0.0],
                      [0.0, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dead_mask(params), [False, False, True, True])
    summary = summarize(params, "relu")
    assert summary["dead_units"] == 2
    u = unit_vectors(params)
    cos01 = u[0] @ u[1] / (np.linalg.norm(u[0]) * np.linalg.norm(u[1]))
    assert summary["symmetry_index"] == pytest.approx(cos01)
    assert summary["distinct_units"] == 2
    # The dead units differ from the live ones, but the gap is over live units only.
    assert summary["max_unit_gap"] == 1.0
    assert symmetry_index_of(params, "relu") == pytest.approx(cos01)


def test_units_without_incoming_weights_are_left_out() -> None:
    # Only an outgoing weight: a constant, not a feature of the input.  Only incoming
    # weights: alive (its outgoing weight can grow).
    params = _params([[0.0, 0.0, 0.0, 0.5], [0.3, 0.0, 0.0, 0.0]])
    np.testing.assert_array_equal(dead_mask(params), [True, False])


@pytest.mark.parametrize("live_units", [0, 1])
def test_symmetry_index_is_undefined_with_fewer_than_two_live_units(live_units: int) -> None:
    rows = [[0.0, 0.0, 0.0, 0.0]] * 3
    if live_units:
        rows[1] = [0.3, -0.4, 0.1, 0.9]
    summary = summarize(_params(rows), "tanh")
    assert math.isnan(summary["symmetry_index"])  # never "symmetry 1.000"
    assert summary["distinct_units"] == live_units
    assert summary["max_unit_gap"] == 0.0


def test_distinct_units_groups_only_units_alike_pairwise() -> None:
    # 0~1, 1~2 but S02 < 0.99: a chain, so 0,1,2 are two groups, not one; 3 alone; 4~5.
    S = np.eye(6)
    for i, j, s in [(0, 1, 0.995), (1, 2, 0.99), (0, 2, 0.97), (3, 4, 0.5), (4, 5, 0.999)]:
        S[i, j] = S[j, i] = s
    live = np.ones(6, dtype=bool)
    assert distinct_units(S, live) == 4
    live[3] = False
    assert distinct_units(S, live) == 3
    assert distinct_units(S, np.zeros(6, dtype=bool)) == 0
    assert distinct_units(np.eye(4), np.ones(4, dtype=bool)) == 4
    assert distinct_units(np.ones((4, 4)), np.ones(4, dtype=bool)) == 1


def test_distinct_units_on_params() -> None:
    base = [0.6, -0.3, 0.2, 1.1]
    scaled = [2 * v for v in base]  # same direction: same unit up to scale
    flipped = [-v for v in base]  # same unit for tanh only
    other = [0.1, 0.9, -0.5, 0.2]
    params = _params([base, scaled, flipped, other])
    assert summarize(params, "tanh")["distinct_units"] == 2
    assert summarize(params, "relu")["distinct_units"] == 3


def test_max_unit_gap() -> None:
    row = [0.1234567, -2.5e-7, 3.0, 1e-300]
    identical = unit_vectors(_params([row] * 5))
    assert max_unit_gap(identical) == 0.0
    assert summarize(_params([row] * 5), "tanh")["max_unit_gap"] == 0.0
    nudged = identical.copy()
    nudged[3, 0] = np.nextafter(nudged[3, 0], 1.0)  # one ulp
    gap = max_unit_gap(nudged)
    assert gap > 0.0
    assert gap == nudged[3, 0] - identical[3, 0]
    mixed = np.array([[0.0, 1.0], [0.5, -2.0], [0.2, 0.0]])
    assert max_unit_gap(mixed) == 3.0
    assert max_unit_gap(mixed[:1]) == 0.0


def _clustered_units(rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """Nine units in three tight clusters, listed interleaved; returns (units, cluster ids)."""
    centres = np.array([[1.0, 0.0, 0.0, 0.0], [0.0, 1.0, 0.0, 0.0], [0.0, 0.0, 1.0, 1.0]])
    labels = np.array([0, 1, 2, 0, 1, 2, 0, 1, 2])
    units = centres[labels] + 0.01 * rng.standard_normal((9, 4))
    return units, labels


def test_similarity_order_puts_similar_units_next_to_each_other() -> None:
    units, labels = _clustered_units(np.random.default_rng(1))
    order = similarity_order(cosine_matrix(units, False))
    assert sorted(order.tolist()) == list(range(9))
    ordered = labels[order]
    # Each cluster is one contiguous run: exactly two changes of cluster along the chain.
    assert int(np.count_nonzero(ordered[1:] != ordered[:-1])) == 2


def test_similarity_order_is_stable_under_tiny_perturbations() -> None:
    rng = np.random.default_rng(2)
    units, _ = _clustered_units(rng)
    first = similarity_order(cosine_matrix(units, False))
    previous = first
    for _ in range(30):
        units = units + 1e-4 * rng.standard_normal(units.shape)
        order = similarity_order(cosine_matrix(units, False), previous)
        np.testing.assert_array_equal(order, first)
        previous = order
    # Without the previous order, small noise does not reshuffle either (rounded ties).
    np.testing.assert_array_equal(similarity_order(cosine_matrix(units, False)), first)


def test_similarity_order_drops_a_previous_order_that_became_bad() -> None:
    units, labels = _clustered_units(np.random.default_rng(3))
    S = cosine_matrix(units, False)
    bad = np.arange(9)  # interleaved clusters: every neighbour is dissimilar
    order = similarity_order(S, bad)
    assert not np.array_equal(order, bad)
    ordered = labels[order]
    assert int(np.count_nonzero(ordered[1:] != ordered[:-1])) == 2
    # A previous order of the wrong length or not a permutation is ignored.
    assert sorted(similarity_order(S, np.arange(5)).tolist()) == list(range(9))
    assert sorted(similarity_order(S, np.zeros(9, dtype=int)).tolist()) == list(range(9))


@pytest.mark.parametrize("hidden", [1, 2])
def test_similarity_order_for_tiny_layers(hidden: int) -> None:
    np.testing.assert_array_equal(similarity_order(np.eye(hidden)), np.arange(hidden))


def _near_tie(cross_12: float, cross_13: float) -> np.ndarray:
    """A similar pair (2, 3), unit 1 about equally like both, unit 0 like nobody."""
    S = np.full((4, 4), 0.1)
    np.fill_diagonal(S, 1.0)
    S[2, 3] = S[3, 2] = 0.9
    S[1, 2] = S[2, 1] = cross_12
    S[1, 3] = S[3, 1] = cross_13
    return S


def test_similarity_order_keeps_previous_order_through_a_near_tie() -> None:
    before = similarity_order(_near_tie(0.606, 0.594))
    after_fresh = similarity_order(_near_tie(0.594, 0.606))
    # On its own the greedy chain flips with the near-tie ...
    assert not np.array_equal(before, after_fresh)
    # ... but given the previous order it keeps it: the display does not flicker.
    np.testing.assert_array_equal(similarity_order(_near_tie(0.594, 0.606), before), before)


def test_similarity_order_puts_each_group_of_alike_units_together() -> None:
    """Three groups of four alike units, interleaved by number: the seriation (scipy's
    average linkage with optimal leaf ordering) lays each group out in one run."""
    rng = np.random.default_rng(3)
    directions = np.linalg.qr(rng.normal(size=(4, 3)))[0].T  # three orthogonal units
    units = np.array([directions[i % 3] + 0.01 * rng.normal(size=4) for i in range(12)])
    S = cosine_matrix(units, False)
    order = similarity_order(S)
    groups = [int(unit) % 3 for unit in order]
    runs = 1 + sum(a != b for a, b in itertools.pairwise(groups))
    assert sorted(order.tolist()) == list(range(12)) and runs == 3


@pytest.mark.parametrize("activation", ["tanh", "relu", "sigmoid", "linear", "leaky_relu"])
def test_the_symmetry_index_of_copies_is_what_every_pair_reads(activation: str) -> None:
    # Bit-identical copies (a symmetric start) all read one similarity s, so their mean
    # is s itself, in the history as in a snapshot; summing the H² matrix rounds it
    # (s = 1 − 2⁻⁵² read as 1.0, or the other way).  Copies that are dead have none.
    rng = np.random.default_rng(6)
    for H in (2, 7, 64, 209, 256):
        row = rng.normal(size=4)
        params = _params([row.tolist()] * H)
        s = similarity_matrix(unit_vectors(params)[:2], activation)[0, 1]
        assert symmetry_index_of(params, activation) == s, H
        assert summarize(params, activation)["symmetry_index"] == s, H
    dead = _params([[0.0, 0.0, 0.5, 1.0]] * 5)
    assert math.isnan(symmetry_index_of(dead, activation))
    assert math.isnan(summarize(dead, activation)["symmetry_index"])
