"""The experiments layer on its own: the one headless loop gives the runs a Trainer
stepped by hand gives, whatever the chunks, and tells its callback where it stands."""

from __future__ import annotations

import numpy as np
import pytest

from tui_symmetry.core import Config, Trainer
from tui_symmetry.experiments import headless
from tui_symmetry.experiments.headless import Chunk, run_lockstep, train

SMALL = Config(samples=40, hidden=3, seed=2)


def _without_rate(summary: dict) -> dict:
    return {key: value for key, value in summary.items() if key != "steps_per_s"}


def _by_hand(config: Config, steps: int) -> Trainer:
    trainer = Trainer(config)
    trainer.step(steps)
    trainer.learn_one_unit_loss()
    return trainer


@pytest.mark.parametrize("steps", [0, 120])
@pytest.mark.parametrize("seed", [2, 5])
def test_train_is_a_trainer_stepped_by_hand(steps: int, seed: int,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(headless, "FIRST_CHUNK", 7)  # many uneven chunks
    monkeypatch.setattr(headless, "CHUNK_SECONDS", 0.0)
    config = SMALL.replace(seed=seed)
    result = train(config, steps)
    reference = _by_hand(config, steps).snapshot()
    assert result.timing.ran == steps == result.snapshot.step
    assert _without_rate(result.snapshot.summary()) == _without_rate(reference.summary())
    np.testing.assert_array_equal(result.snapshot.params.W1, reference.params.W1)
    assert result.snapshot.steps_per_s == result.timing.steps_per_s


def test_the_callback_sees_progress_that_never_goes_back(
        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(headless, "FIRST_CHUNK", 5)
    monkeypatch.setattr(headless, "CHUNK_SECONDS", 0.0)
    trainers = [Trainer(SMALL), Trainer(SMALL.replace(init="xavier"))]
    seen: list[Chunk] = []
    timings = run_lockstep(trainers, 60, seen.append)
    done = [chunk.done for chunk in seen]
    assert done and done == sorted(done) and all(d < 60 for d in done)
    assert all(chunk.steps == 60 and list(chunk.trainers) == trainers for chunk in seen)
    assert [timing.ran for timing in timings] == [60, 60]
    assert [trainer.step_count for trainer in trainers] == [60, 60]


def test_a_diverging_run_stops_and_the_other_goes_on() -> None:
    diverging = Trainer(Config(dataset="sine", lr=50.0, samples=40))
    steady = Trainer(SMALL)
    with np.errstate(all="ignore"):
        timings = run_lockstep([diverging, steady], 3000)
    assert diverging.diverged and timings[0].ran < 3000
    assert not steady.diverged and timings[1].ran == 3000
