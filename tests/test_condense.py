"""Condensation (core/condense.py): the units' input-weight directions and their count,
each checked a second way."""

from __future__ import annotations

import math

import numpy as np
import pytest
from scipy.cluster.hierarchy import fcluster, linkage

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.condense import (
    DIRECTION_THRESHOLD,
    MULTIPLICITY_AT_ZERO,
    angles,
    count_directions,
    direction_bound,
    input_directions,
    leading_directions,
)
from tui_symmetry.core.network import ACTIVATIONS, Params
from tui_symmetry.experiments import condense
from tui_symmetry.experiments.registry import ExperimentJob


def _params(W1: np.ndarray) -> Params:
    H = len(W1)
    return Params(np.asarray(W1, dtype=float), np.zeros(H), np.ones((1, H)), np.zeros(1))


def _planted(directions_deg: list[float], per: int, jitter_deg: float,
             rng: np.random.Generator) -> Params:
    """``per`` units around each of the angles, each turned by up to ±jitter and of a
    random length (lengths do not count)."""
    theta = np.repeat(np.radians(directions_deg), per)
    theta = theta + np.radians(rng.uniform(-jitter_deg, jitter_deg, theta.shape))
    length = rng.uniform(1e-4, 3.0, theta.shape)
    return _params(length[:, None] * np.column_stack([np.cos(theta), np.sin(theta)]))


def _gap_count(params: Params) -> int:
    """Second way, for two inputs: the units' angles around the circle, cut at every gap
    wider than the threshold's angle (planted clusters narrower than it)."""
    a = np.sort(angles(params))
    gaps = np.diff(np.r_[a, a[0] + 2 * math.pi])
    return max(1, int(np.count_nonzero(gaps > math.acos(DIRECTION_THRESHOLD))))


def _scipy_count(params: Params) -> int:
    """Third way: scipy's complete linkage on 1 − cos, cut by fcluster at the distance."""
    d = input_directions(params)
    distance = np.clip(1.0 - d @ d.T, 0.0, None)[np.triu_indices(len(d), 1)]
    tree = linkage(distance, method="complete")
    return int(fcluster(tree, 1.0 - DIRECTION_THRESHOLD, criterion="distance").max())


@pytest.mark.parametrize(("planted", "expected"), [
    ([30.0], 1), ([30.0, 210.0], 2), ([0.0, 90.0, 180.0, 270.0], 4),
    ([10.0, 50.0, 100.0, 200.0, 300.0], 5),
])
def test_planted_directions_are_counted_three_ways(planted: list[float],
                                                   expected: int) -> None:
    params = _planted(planted, 4, 2.0, np.random.default_rng(len(planted)))
    assert count_directions(params) == expected
    assert _gap_count(params) == expected
    assert _scipy_count(params) == expected


def test_opposite_directions_count_twice_and_zero_rows_not_at_all() -> None:
    params = _params([[1.0, 2.0], [-2.0, -4.0], [0.0, 0.0], [3.0, 6.0]])
    assert count_directions(params) == 2
    d = input_directions(params)
    np.testing.assert_array_equal(d[2], [0.0, 0.0])
    np.testing.assert_allclose(np.linalg.norm(d[[0, 1, 3]], axis=1), 1.0)
    np.testing.assert_allclose(angles(params), np.arctan2(params.W1[:, 1], params.W1[:, 0]))


def test_leading_directions_find_the_shared_axis_with_many_inputs() -> None:
    rng = np.random.default_rng(0)
    axis = rng.standard_normal(6)
    axis /= np.linalg.norm(axis)
    W1 = np.outer(rng.choice([-1.0, 1.0], 5) * rng.uniform(0.5, 2, 5), axis)
    W1 += 1e-3 * rng.standard_normal(W1.shape)
    cosines = leading_directions(_params(W1), k=3)
    assert cosines.shape == (5, 3)
    assert (cosines[:, 0] > 0.999).all()  # every unit on the leading direction ±
    with pytest.raises(ValueError, match="angles need 2 inputs, not 6"):
        angles(_params(W1))


def test_the_bound_is_twice_the_multiplicity_where_the_theory_applies() -> None:
    assert set(MULTIPLICITY_AT_ZERO) == set(ACTIVATIONS)
    assert direction_bound("tanh") == 2
    assert direction_bound("relu") is None and direction_bound("sigmoid") is None
    for name, p in MULTIPLICITY_AT_ZERO.items():
        if p is None:
            continue
        act = ACTIVATIONS[name]  # φ(0) = 0 and φ'(0) ≠ 0: p = 1
        z = np.zeros((1, 1))
        a, d1, _ = act.derivatives(z)
        assert a[0, 0] == 0.0 and d1[0, 0] != 0.0 and p == 1


def test_the_experiment_records_the_same_directions_however_it_is_stepped() -> None:
    """Chunked as a runner chunks it, the trace holds the counts a run stepped by hand
    gives at every multiple of ``every``, counted again by scipy's clustering."""
    config = Config(hidden=8, init="xavier", init_scale=0.001, epsilon=0.0, seed=1)
    job = ExperimentJob.of("condense", config, 200, every=40)
    (traced,) = condense.start(job)
    for n in (7, 50, 33, 110):
        traced.step(n)
    result = condense.measure(job, [traced])
    plain = Trainer(config)
    for k, step in enumerate(range(0, 201, 40)):
        plain.step(step - plain.step_count)
        assert result.steps[k] == step
        assert result.counts[k] == count_directions(plain.params) == _scipy_count(plain.params)
        np.testing.assert_allclose(result.angles[k], np.degrees(angles(plain.params)))
    document = result.to_dict()
    assert document["counts"] == result.counts.tolist() and document["bound"] == 2
    assert document["fewest"] == result.counts.min()


def test_the_trace_thins_itself_past_its_limit(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(condense, "MAX_RECORDS", 4)
    job = ExperimentJob.of("condense", Config(hidden=3, seed=2), 60, every=10)
    (traced,) = condense.start(job)
    traced.step(60)
    steps = condense.measure(job, [traced]).steps
    assert len(steps) <= 5 and steps[0] == 0 and steps[-1] == 60
    assert (np.diff(steps) == np.diff(steps)[0]).all()
