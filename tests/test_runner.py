"""The runners: SyncRunner (in the caller) and ProcessRunner (a child process)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections.abc import Callable

import numpy as np
import pytest

from tui_symmetry.core import Config, ConfigError, Trainer
from tui_symmetry.runner import ProcessRunner, SyncRunner
from tui_symmetry.runner.process import RateMeter

SMALL = Config(samples=64, hidden=4, seed=3)


def wait_for(predicate: Callable[[], bool], timeout: float = 15.0) -> None:
    """Poll ``predicate`` until it holds; fail the test after ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)


def params_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.as_tuple(), b.as_tuple(), strict=True))


# -- SyncRunner ------------------------------------------------------------------------------


def test_sync_runner_matches_the_bare_trainer():
    runner = SyncRunner(SMALL)
    assert runner.latest().step == 0
    runner.step(25)
    bare = Trainer(SMALL)
    bare.step(25)
    snapshot = runner.latest()
    assert snapshot.step == 25
    assert params_equal(snapshot.params, bare.snapshot().params)
    assert snapshot.steps_per_s == 0.0  # no clocks: pictures stay deterministic


def test_sync_runner_only_trains_when_asked():
    runner = SyncRunner(SMALL, steps_per_poll=7)
    assert runner.latest().step == 0  # paused: polling does not train
    runner.play()
    assert runner.latest().step == 7
    assert runner.latest().step == 14
    runner.pause()
    assert runner.latest().step == 14


def test_versions_grow_across_resets():
    runner = SyncRunner(SMALL)
    first = runner.latest()
    assert runner.latest() is first  # unchanged: the very same snapshot
    runner.reset(SMALL.replace(init="xavier"))
    after_reset = runner.latest()
    # A fresh Trainer restarts its own count; the runner's version must not.
    assert after_reset.version > first.version
    assert after_reset.config.init == "xavier"
    runner.step(1)
    assert runner.latest().version > after_reset.version


def test_apply_live_validates_in_the_caller():
    runner = SyncRunner(SMALL)
    new = runner.apply_live(lr=0.5, l2=0.01)
    assert (new.lr, new.l2) == (0.5, 0.01)
    assert runner.latest().config.lr == 0.5
    with pytest.raises(ConfigError, match="needs a reset"):
        runner.apply_live(hidden=3)
    with pytest.raises(ConfigError, match="lr"):
        runner.apply_live(lr=-1)
    assert runner.config.lr == 0.5
    assert runner.config.hidden == SMALL.hidden


def test_divergence_stops_the_sync_runner():
    config = Config(dataset="sine", lr=50.0)
    runner = SyncRunner(config, steps_per_poll=500)
    runner.play()
    snapshot = runner.latest()
    assert snapshot.diverged
    assert runner.latest().step == snapshot.step  # it stopped by itself
    assert np.isfinite(snapshot.params.W1).all()  # the last finite state is kept


def test_rate_meter_uses_its_window():
    now = [0.0]
    meter = RateMeter(window=1.0, clock=lambda: now[0])
    assert meter.value == 0.0
    for step in range(0, 5000, 100):
        meter.add(step)
        now[0] += 0.1
    assert meter.value == pytest.approx(1000.0)


# -- ProcessRunner ---------------------------------------------------------------------------


def test_process_runner_lifecycle():
    runner = ProcessRunner(SMALL, autoplay=False, publish_hz=50)
    first = runner.latest()  # made in the parent: a full frame before the child is up
    assert first.step == 0
    runner.start()
    try:
        pid = runner.pid
        assert pid is not None
        # Paused: exact steps on request, the same numbers as the bare engine.
        runner.step(30)
        wait_for(lambda: runner.latest().step == 30)
        bare = Trainer(SMALL)
        bare.step(30)
        assert params_equal(runner.latest().params, bare.snapshot().params)

        runner.play()
        wait_for(lambda: runner.latest().step > 2000 and runner.latest().steps_per_s > 0)

        runner.apply_live(lr=0.05, tie=0.5)
        wait_for(lambda: runner.latest().config.tie == 0.5)
        assert runner.latest().config.lr == 0.05

        runner.reset(SMALL.replace(init="xavier", hidden=6))
        wait_for(lambda: runner.latest().config.hidden == 6)
        assert runner.latest().params.W1.shape == (6, 2)

        runner.pause()
        wait_for(lambda: not runner.pending)
        paused_at = runner.latest().step
        time.sleep(0.1)
        assert runner.latest().step == paused_at

        document = runner.export()
        assert document["format"] == "tui-symmetry-run"
        assert document["step"] == paused_at
        assert document["config"]["hidden"] == 6
        assert runner.failure is None
    finally:
        runner.close()
    assert runner.pid is None
    with pytest.raises(ProcessLookupError):
        os.kill(pid, 0)


def test_process_runner_survives_a_dead_child():
    runner = ProcessRunner(SMALL, autoplay=True)
    runner.start()
    try:
        wait_for(lambda: runner.latest().step > 0)
        os.kill(runner.pid, signal.SIGKILL)
        wait_for(lambda: runner.failure is not None)
        assert "stopped unexpectedly" in runner.failure
        runner.play()  # commands to a dead child are dropped, not raised
        runner.restart()
        assert runner.failure is None
        assert runner.latest().step == 0
        wait_for(lambda: runner.latest().step > 0)
    finally:
        runner.close()


def test_process_runner_pauses_on_divergence():
    runner = ProcessRunner(Config(dataset="sine", lr=50.0), autoplay=True)
    runner.start()
    try:
        wait_for(lambda: runner.latest().diverged)
        assert not runner.running
        assert np.isfinite(runner.latest().params.W1).all()
    finally:
        runner.close()


def test_the_training_process_never_imports_the_ui():
    """The spawned child imports tui_symmetry.runner: it must stay numpy-only, so it
    starts fast and owns no terminal state."""
    code = (
        "import sys, tui_symmetry.runner; "
        "print(sorted({m.split('.')[0] for m in sys.modules} & {'textual', 'rich', 'plotext'}))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True)
    assert result.stdout.strip() == "[]"
