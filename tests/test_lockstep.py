"""Lockstep: two runs stepped together, each exactly the run it would be on its own."""

from __future__ import annotations

import numpy as np

from tui_symmetry.core import Config, Trainer
from tui_symmetry.experiments.compare import compare
from tui_symmetry.experiments.lockstep import Lockstep, PairConfig

SMALL = Config(samples=64, hidden=4, seed=5)


def test_each_run_of_a_pair_is_the_run_alone_and_the_matching_the_commands():
    pair = PairConfig(SMALL.replace(init="symmetric", epsilon=0.0), SMALL.replace(init="he"))
    lockstep = Lockstep(pair)
    assert lockstep.step(30) == 30 and lockstep.step(45) == 45  # chunks change nothing
    picture = lockstep.snapshot(version=3, steps_per_s=12.0)
    assert (picture.step, picture.version, picture.steps_per_s) == (75, 3, 12.0)
    for side, config in zip(picture.sides, pair.sides, strict=True):
        alone = Trainer(config)
        alone.step(75)
        assert side.version == 3
        assert all(np.array_equal(x, y) for x, y in zip(side.params.as_tuple(),
                                                         alone.params.as_tuple(), strict=True))
    result = compare(pair.a, pair.b, 75)  # the command's own lockstep loop
    assert picture.matching.mean == result.matching.mean
    assert np.array_equal(picture.matching.b_for_a, result.matching.b_for_a)


def test_a_run_that_diverges_stops_and_the_other_trains_on():
    pair = PairConfig(Config(dataset="sine", lr=50.0, samples=40, hidden=4),
                      Config(dataset="sine", lr=0.01, samples=40, hidden=4))
    lockstep = Lockstep(pair)
    changes = lockstep.changes
    assert lockstep.step(200) == 200
    picture = lockstep.snapshot()
    assert picture.a.diverged and not picture.b.diverged and not picture.diverged
    assert picture.a.step < 200 and picture.b.step == picture.step == 200
    assert lockstep.changes > changes
    assert lockstep.one_unit_loss is None
    lockstep.learn_one_unit_loss()
    assert lockstep.one_unit_loss is not None
