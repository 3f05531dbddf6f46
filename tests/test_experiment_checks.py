"""Many seeds and the barrier, each number checked a second way: the Hungarian
matching against brute force over every pairing, planted recurrences, the weight-space
pair means against compare's matched_mean; the aligned B against B itself (the same
outputs), the line's ends against the runs' own losses and its inside against the
independent reference implementation."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
from reference_mlp import data_loss as reference_loss
from reference_mlp import forward

from tui_symmetry.core import Config, Trainer
from tui_symmetry.core.barrier import TS, align, alignment, barrier, data_loss
from tui_symmetry.core.config import ConfigError
from tui_symmetry.core.init import init_params
from tui_symmetry.core.matching import matched_mean
from tui_symmetry.core.network import Params, with_ones
from tui_symmetry.core.recurrence import (
    FUNCTION,
    WEIGHTS,
    cross_block,
    match,
    pair_means,
    recurrence,
)
from tui_symmetry.core.similarity import row_directions
from tui_symmetry.experiments import registry
from tui_symmetry.experiments.barrier import barriers
from tui_symmetry.experiments.baseline import run_seeds
from tui_symmetry.experiments.registry import ExperimentJob, ExperimentRun

SMALL = Config(samples=40, hidden=5, seed=3, init="xavier", epsilon=0.0)
ACTIVATIONS = ("tanh", "relu", "sigmoid", "leaky_relu", "linear")


def trained(config: Config, steps: int, start_seed: int | None = None) -> Trainer:
    trainer = Trainer(config, start_seed=start_seed)
    trainer.step(steps)
    return trainer


def as_dict(params: Params) -> dict[str, np.ndarray]:
    return {"W1": params.W1, "b1": params.b1, "W2": params.W2, "b2": params.b2}


def relabelled(params: Params, perm: np.ndarray, signs: np.ndarray) -> Params:
    """Unit j of the result is unit perm[j] turned by signs[j] (±1; tanh: same function)."""
    return Params(params.W1[perm] * signs[:, None], params.b1[perm] * signs,
                  params.W2[:, perm] * signs[None, :], params.b2.copy())


# -- many seeds ------------------------------------------------------------------------------


@pytest.mark.parametrize("space", [WEIGHTS, FUNCTION])
def test_the_hungarian_pairing_is_the_best_of_every_pairing(space: str) -> None:
    """Brute force over all 5! pairings of two unrelated runs' units."""
    a, b = (trained(SMALL, 60, seed).params for seed in (3, 11))
    XT1 = with_ones(Trainer(SMALL).data.X_train)
    S = cross_block(a, b, "tanh", space, XT1)
    b_for_a, similarities = match(a, b, "tanh", space, XT1)
    best = max(sum(S[i, j] for i, j in enumerate(perm))
               for perm in itertools.permutations(range(5)))
    assert similarities.sum() == pytest.approx(best, abs=1e-12)
    assert np.array_equal(similarities, S[np.arange(5), b_for_a])


def test_planted_copies_recur_in_every_run_exactly() -> None:
    """K relabelled, sign-turned copies of one tanh network: every unit of run 1 is
    found in every other run, at similarity 1, at its planted place."""
    base = trained(SMALL, 200).params
    rng = np.random.default_rng(0)
    perms = [rng.permutation(5) for _ in range(3)]
    runs = [base] + [relabelled(base, perm, rng.choice([-1.0, 1.0], 5)) for perm in perms]
    XT1 = with_ones(Trainer(SMALL).data.X_train)
    for space, tolerance in ((WEIGHTS, 1e-12), (FUNCTION, 1e-12)):
        found = recurrence(runs, pair_means(runs, "tanh", space, XT1), "tanh", space, XT1)
        assert np.abs(found.untrained_means - 1.0).max() <= tolerance
        assert np.abs(found.matched - 1.0).max() <= tolerance
        assert found.recurs.tolist() == [3] * 5
        for k, perm in enumerate(perms):  # unit i of run 1 is unit argsort(perm)[i] there
            assert found.partner[:, k].tolist() == np.argsort(perm).tolist()


def test_weight_space_pair_means_are_compare_s_matched_means() -> None:
    job = ExperimentJob.of("seeds", SMALL, 50, runs=3, space="weights")
    run = ExperimentRun(job)
    run.step(50)
    result = run.snapshot().result
    params = [t.params for t in run.trainers]
    expected = [matched_mean(params[i], params[j], "tanh") for i, j in ((0, 1), (0, 2), (1, 2))]
    assert result.recurrence.pair_means == pytest.approx(expected, abs=1e-15)
    starts = [init_params(SMALL.replace(seed=seed)) for seed in result.seeds]
    untrained = [matched_mean(starts[i], starts[j], "tanh") for i, j in ((0, 1), (0, 2), (1, 2))]
    assert result.recurrence.untrained_means == pytest.approx(untrained, abs=1e-15)
    document = result.to_dict()
    assert document["recurs"] == [int(np.sum(np.array(row) >= 0.9))
                                  for row in document["matched"]]


# -- the barrier -----------------------------------------------------------------------------


@pytest.mark.parametrize("activation", ACTIVATIONS)
def test_the_aligned_b_computes_what_b_computes(activation: str) -> None:
    config = SMALL.replace(activation=activation)
    a, b = (trained(config, 80, seed).params for seed in (3, 11))
    X = Trainer(config).data.X_train
    aligned = align(a, b, activation)
    *_, out_b = forward(as_dict(b), X, activation)
    *_, out_aligned = forward(as_dict(aligned), X, activation)
    assert np.abs(out_aligned - out_b).max() <= 1e-12
    found = alignment(a, b, activation)
    assert sorted(found.b_for_a.tolist()) == list(range(5))
    assert not found.flipped.any() or activation in ("tanh", "sigmoid")


def test_the_line_s_ends_are_the_runs_and_its_inside_the_reference_s_loss() -> None:
    config = SMALL.replace(dataset="moons")
    run_a, run_b = trained(config, 150, 3), trained(config, 150, 11)
    data = run_a.data
    line = barrier(data_loss(data.X_train, data.y_train, "tanh", config.loss),
                   run_a.params, run_b.params)
    assert line.losses[0] == pytest.approx(run_a.train_loss(), abs=1e-12)
    assert line.losses[-1] == pytest.approx(run_b.train_loss(), abs=1e-12)
    y = data.y_train.reshape(-1, 1)
    for index in (6, 14):  # t = 0.3 and 0.7
        t = TS[index]
        mixed = {name: (1 - t) * a + t * b for (name, a), b in
                 zip(as_dict(run_a.params).items(), as_dict(run_b.params).values(), strict=True)}
        *_, out = forward(mixed, data.X_train, "tanh")
        assert line.losses[index] == pytest.approx(reference_loss(out, y, config.loss), abs=1e-12)
    expected = np.max(line.losses - ((1 - TS) * line.losses[0] + TS * line.losses[-1]))
    assert line.height == expected >= 0.0


def test_the_alignment_is_the_best_pairing_and_signs() -> None:
    """Brute force over 4! pairings × 2⁴ sign patterns of the signed similarity (input
    side plus outgoing side, each a cosine): the alignment reaches the maximum."""
    config = SMALL.replace(hidden=4)
    a, b = (trained(config, 80, seed).params for seed in (3, 11))
    units_a = np.column_stack([a.W1, a.b1, a.W2.T])
    units_b = np.column_stack([b.W1, b.b1, b.W2.T])

    def signed(i: int, j: int) -> float:
        return float(row_directions(units_a[i, :3]) @ row_directions(units_b[j, :3])
                     + np.sign(units_a[i, 3]) * np.sign(units_b[j, 3]))

    best = max(sum(s * signed(i, j) for i, j, s in zip(range(4), perm, signs, strict=True))
               for perm in itertools.permutations(range(4))
               for signs in itertools.product((-1.0, 1.0), repeat=4))
    found = alignment(a, b, "tanh")
    ours = sum((-1.0 if flip else 1.0) * signed(i, int(j))
               for i, (j, flip) in enumerate(zip(found.b_for_a, found.flipped, strict=True)))
    assert ours == pytest.approx(best, abs=1e-12)


def test_the_barrier_over_widths_is_each_pair_s_own_line() -> None:
    """Two widths, two pairs each: every height is the line between that pair's runs,
    trained here on their own (pair p from seeds 2p and 2p + 1 of run_seeds)."""
    config = SMALL.replace(dataset="moons")
    job = ExperimentJob.of("barrier", config, 40, widths="3,5", pairs="2")
    assert job.option("widths") == (3, 5)
    result = registry.run(job)
    seeds = run_seeds(config, 4)
    assert result.seeds == tuple(seeds) and result.widths == (3, 5)
    for index, width in enumerate((3, 5)):
        before, after = result.heights(index)
        for pair in range(2):
            a, b = (trained(config.replace(hidden=width), 40, seeds[2 * pair + k])
                    for k in (0, 1))
            line = barriers(config.replace(hidden=width), a.data.X_train, a.data.y_train,
                            a.params, b.params)
            assert (before[pair], after[pair]) == (line.before.height, line.after.height)
    document = result.to_dict()
    assert [w["hidden"] for w in document["widths"]] == [3, 5]
    assert document["widths"][1]["after_mean"] == pytest.approx(result.heights(1)[1].mean())
    assert result.verdict.startswith("after matching the barrier goes ")
    with pytest.raises(ConfigError, match=r"widths: value 2 of 2: hidden: '0' is out"):
        ExperimentJob.of("barrier", config, widths="4,0")
