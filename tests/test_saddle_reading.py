"""The saddle reading, fresh and honest: when it is read, what it forecasts, and the words
it is said in, in the panel and in `train`'s summary.

The child is driven with a fake clock and training is stepped explicitly, so nothing
here depends on how fast the machine is.
"""

from __future__ import annotations

import dataclasses
import math
import multiprocessing

import numpy as np
import pytest
from conftest import RecordingOutbox

from tui_symmetry.app.numbers import format_signed
from tui_symmetry.app.widgets.saddle import format_steps, saddle_lines
from tui_symmetry.cli.report import summary_rows
from tui_symmetry.core import instruments as instruments_module
from tui_symmetry.core.config import Config
from tui_symmetry.core.saddle import (
    SaddleReading,
    forecast_split,
    reading_words,
    round_outward,
    sign_approach,
)
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.runner.child import TrainingProcess
from tui_symmetry.runner.messages import Pause
from tui_symmetry.scenarios import get_scenario

CHORD_AT_SPLIT = math.sqrt(2 * (1 - 0.99))  # similarity 0.99: the split (core/saddle.py)
FAST = Config(seed=5, epsilon=1e-3)
"""xor from copies nudged by 1e-3: the units split at step 581 (their incoming directions
part), with forecasts from step ~250 when read every 50 steps."""
FAST_SPLIT = 581


def fresh_snapshot(trainer: Trainer, steps: int) -> Snapshot:
    """The trainer's snapshot after ``steps`` more steps (its saddle read at that step)."""
    trainer.step(steps)
    return trainer.snapshot()


def capped_snapshots(trainer: Trainer, until: int, every: int = 50) -> list[Snapshot]:
    """Snapshots every ``every`` steps up to step ``until``, as the app takes them under a
    cap of twice that many steps a second (each reads the saddle at its own step)."""
    shown = []
    while trainer.step_count < until:
        shown.append(fresh_snapshot(trainer, min(every, until - trainer.step_count)))
    return shown


FORECAST_STEP = 400
"""A step of FAST at which the forecast, read every 50 steps, gives a range."""


def forecast_snapshot() -> tuple[Trainer, Snapshot]:
    """FAST read every 50 steps up to FORECAST_STEP: the trainer and its last picture."""
    trainer = Trainer(FAST)
    snap = capped_snapshots(trainer, FORECAST_STEP)[-1]
    assert snap.predicted_split_range is not None
    return trainer, snap


def text(snapshot: Snapshot, width: int = 200, max_lines: int = 3) -> str:
    return " ".join(saddle_lines(snapshot, width, max_lines))


def train_row(snapshot: Snapshot) -> str:
    """The saddle / between units row of `train`'s summary of ``snapshot``."""
    rows = dict(summary_rows(snapshot.summary(), snapshot.step, 0.5, None, has_test=True))
    return rows.get("saddle") or rows.get("between units") or ""


# -- when the reading is taken ------------------------------------------------------------


def drive_capped_child(speed: float, seconds: float, tick: float) -> list[Snapshot]:
    """A child training Config() under a cap, on a fake clock: its pictures."""
    parent, child = multiprocessing.Pipe(duplex=True)
    clock_now = [0.0]
    outbox = RecordingOutbox()
    try:
        process = TrainingProcess(child, Config(), playing=True, speed=speed, publish_hz=30.0,
                                  clock=lambda: clock_now[0], outbox=outbox,
                                  learn_one_unit=False)
        for _ in range(round(seconds / tick)):
            trained = process.train()
            if process.publish_due(trained):
                process.publish()
            process.wait_time()  # the real loop idles this long for the next step
            clock_now[0] += tick
    finally:
        parent.close()
        child.close()
    return [message.snapshot for message in outbox.snapshots()]


def test_a_capped_child_reads_the_saddle_at_least_twice_a_second():
    tick = 1 / 32  # exact in binary: no step slips a tick
    snapshots = drive_capped_child(100.0, 4.0, tick)
    assert snapshots[-1].step >= 390
    # Half a second of the cap's steps, plus the tick a picture may wait for (the cost
    # model alone spaces this run's readings ~575 steps apart).
    oldest = max(snap.step - snap.saddle_step for snap in snapshots)
    assert oldest <= 100 * (0.5 + tick)
    assert len({snap.saddle_step for snap in snapshots}) >= 4 * 2


def test_at_full_speed_the_reading_keeps_its_cost_spacing():
    parent, child = multiprocessing.Pipe(duplex=True)
    clock_now = [0.0]
    outbox = RecordingOutbox()
    try:
        process = TrainingProcess(child, Config(), playing=True, publish_hz=10.0,
                                  clock=lambda: clock_now[0], outbox=outbox,
                                  learn_one_unit=False)
        for _ in range(100):  # chunks of 8 steps (the fake clock never resizes them)
            if process.publish_due(process.train()):
                process.publish()
            assert process.wait_time() == 0.0  # flat out: it never idles
            clock_now[0] += 0.05
    finally:
        parent.close()
        child.close()
    snapshots = [message.snapshot for message in outbox.snapshots()]
    assert process.trainer.step_count == 800 and snapshots[-1].step > 700
    # Nothing idles: readings only as the cost model spaces them (~2 % of the time).
    stride = process.trainer.instruments._stride(Config())
    assert stride > 100
    assert len({snap.saddle_step for snap in snapshots}) <= 800 // stride + 2


def test_a_paused_child_shows_a_reading_of_its_very_step():
    parent, child = multiprocessing.Pipe(duplex=True)
    clock_now = [0.0]
    outbox = RecordingOutbox()
    try:
        process = TrainingProcess(child, Config(), playing=True, clock=lambda: clock_now[0],
                                  outbox=outbox, learn_one_unit=False)
        process.publish()
        for _ in range(40):  # chunks of 8 steps, flat out: readings ~575 steps apart
            process.train()
            clock_now[0] += 0.015
        process.publish()
        assert outbox.snapshots()[-1].snapshot.saddle_step < process.trainer.step_count
        process.handle(Pause(1))
        process.publish()  # training rests: the child has the time
    finally:
        parent.close()
        child.close()
    shown = outbox.snapshots()[-1].snapshot
    assert shown.step == 320 and shown.saddle_step == 320


def test_the_reading_is_taken_at_the_same_steps_however_training_is_chunked():
    # Config(): readings on their own at steps 0, 575 and 1,150; units split at 1,548.
    whole, chunked = Trainer(Config()), Trainer(Config())
    whole.step(1_150)
    while chunked.step_count < 1_150:
        chunked.step(min(97, 1_150 - chunked.step_count))
    summary = whole.snapshot().summary()
    assert summary == chunked.snapshot().summary()
    # Readings taken on their own while nobody looked: `train` reports a forecast.
    assert summary["predicted_split_range"] is not None


# -- the forecast -------------------------------------------------------------------------


def steps_to_reach(start: float, end: float, rate: float) -> int:
    """Steps of growth by e^rate each until ``start`` reaches ``end``, counted one by one."""
    n, value = 0, start
    while value < end:
        n, value = n + 1, value * math.exp(rate)
    return n


def test_a_forecast_spans_the_steps_left_at_both_rates():
    # The chord doubled in 100 steps (measured rate ln 2 / 100) while the curvature's
    # rate held at 0.01 a step: no drift, so the range is a factor 1.25 beyond both.
    before = SaddleReading(100, 1.0, -0.05, 0.01, chord=0.01)
    now = SaddleReading(200, 1.0, -0.05, 0.01, chord=0.02)
    forecast = forecast_split([before], now, CHORD_AT_SPLIT)

    # A second way: step through the growth until the chord passes the split.
    fast = steps_to_reach(0.02, CHORD_AT_SPLIT, 0.01)
    slow = steps_to_reach(0.02, CHORD_AT_SPLIT, math.log(2) / 100)
    assert forecast.predicted_split_step == 200 + fast
    first, last = forecast.split_range
    assert first == pytest.approx(200 + fast / 1.25, abs=1)
    assert last == pytest.approx(200 + slow * 1.25, abs=1)


def test_no_forecast_while_the_rate_moves_fast_or_the_chord_does_not_grow():
    now = SaddleReading(200, 1.0, -0.05, 0.01, chord=0.02)
    softened = SaddleReading(100, 1.0, -0.2, 0.04, chord=0.01)  # the rate fell to a quarter
    assert forecast_split([softened], now, CHORD_AT_SPLIT).split_range is None
    shrinking = SaddleReading(100, 1.0, -0.05, 0.01, chord=0.03)
    assert forecast_split([shrinking], now, CHORD_AT_SPLIT).split_range is None
    alone = SaddleReading(200, 1.0, -0.05, 0.01, chord=0.02)
    assert forecast_split([alone], now, CHORD_AT_SPLIT).split_range is None  # same step


def test_an_outgoing_weight_nearing_zero_ends_the_range_before_the_chord_would():
    # The sign approach doubled from 0.25 to 0.5 in 100 steps, as did the chord, which is
    # still far from the split: the split comes with the nearer way, v reaching zero.
    before = SaddleReading(100, 1.0, -0.05, 0.01, chord=0.001, sign_approach=0.25)
    now = SaddleReading(200, 1.0, -0.05, 0.01, chord=0.002, sign_approach=0.5)
    forecast = forecast_split([before], now, CHORD_AT_SPLIT)
    # A second way: step until min|v| is 0 (the approach reaches 1).
    fast, slow = steps_to_reach(0.5, 1.0, 0.01), steps_to_reach(0.5, 1.0, math.log(2) / 100)
    assert forecast.predicted_split_step == 200 + fast
    first, last = forecast.split_range
    assert first == pytest.approx(200 + fast / 1.25, abs=1)
    assert last == pytest.approx(200 + slow * 1.25, abs=1)
    chord_only = forecast_split([dataclasses.replace(before, sign_approach=None)],
                                dataclasses.replace(now, sign_approach=None), CHORD_AT_SPLIT)
    assert chord_only.split_range[0] > last  # the chord alone would promise it too late


def test_exact_copies_have_no_sign_approach_and_take_no_readings_on_their_own():
    trainer = Trainer(Config(init="symmetric", epsilon=0.0, seed=3))
    for _ in range(4):
        snap = fresh_snapshot(trainer, 25)
        reading = trainer.instruments._readings[-1][1]
        assert snap.max_unit_gap == 0.0 and reading.chord == 0.0
        assert reading.sign_approach == 0.0 and snap.predicted_split_range is None
        assert trainer.instruments.steps_to_reading(trainer.step_count, trainer.config) is None
    for size in np.linspace(0.01, 3.0, 300):  # a mean of equal sizes may round off them
        assert sign_approach(np.full(7, -size)) == 0.0


def test_a_rate_that_only_seems_steady_because_it_turns_gives_no_forecast():
    now = SaddleReading(200, 1.0, -0.05, 0.01, chord=0.001)  # ~500 steps to go
    just_before = SaddleReading(100, 1.0, -0.05, 0.0101, chord=0.0004)
    assert forecast_split([just_before], now, CHORD_AT_SPLIT).split_range is not None
    # 200 steps back, well within the 500 ahead, the rate was twice as fast.
    long_before = SaddleReading(0, 1.0, -0.1, 0.02, chord=0.0001)
    assert forecast_split([long_before, just_before], now, CHORD_AT_SPLIT).split_range is None


def test_a_forecast_reads_as_precise_as_it_is():
    assert round_outward(1_424, 1_466) == (1_424, 1_466)  # 42 steps wide: every step
    assert round_outward(1_083, 2_207) == (1_000, 2_300)  # 1,124 wide: hundreds
    assert round_outward(920, 3_356) == (900, 3_400)


@pytest.mark.parametrize("seed", [5, 9])
def test_the_forecast_holds_the_split_on_other_seeds(seed: int):
    """Read every 25 steps (under a cap of 50 steps/s) while every unit is alike (the only
    time a forecast is shown), every range holds the first lasting split."""
    trainer = Trainer(FAST.replace(seed=seed))
    instruments = trainer.instruments
    readings = []
    while instruments.splits.first_split is None:  # known 100 steps after its crossing
        if instruments.splits.distinct == 1:
            readings.append(instruments.reading(trainer.theta, trainer.step_count,
                                                trainer.config, True, max_age=0))
        trainer.step(25)
    split = instruments.splits.first_split
    assert readings[0].split_range is None  # one instant's rate: no forecast
    given = [reading.split_range for reading in readings if reading.split_range]
    assert len(given) >= 6
    assert all(first <= split <= last for first, last in given), (split, given)


def test_the_default_run_forecasts_the_split_an_outgoing_weight_makes():
    """Config() splits at step 1,548 because one unit's outgoing weight reaches zero while
    the incoming directions are still alike: the forecast must see that way too."""
    trainer = Trainer(Config())
    shown = capped_snapshots(trainer, 1_540, every=20)
    given = [snap for snap in shown if snap.predicted_split_range]
    assert {1_500, 1_540} <= {snap.step for snap in given}
    for snap in given:
        first, last = snap.predicted_split_range
        assert snap.step < first <= 1_548 <= last, (snap.step, first, last)
    # A second way: at the crossing the incoming directions are still within the split
    # (cos ≥ 0.98, that is similarity ≥ 0.99 with equal signs), but the signs of the
    # outgoing weights no longer agree.
    trainer.step(1_548 - trainer.step_count)
    params = trainer.params
    directions = np.column_stack([params.W1, params.b1])
    directions /= np.linalg.norm(directions, axis=1, keepdims=True)
    assert (directions @ directions.T).min() >= 0.98
    assert len(set(np.sign(params.W2[0]))) > 1
    trainer.step(100)  # the steps the split must hold to last
    split = trainer.snapshot()
    assert split.split_step == 1_548 and split.unit_events[0] == (1_548, 1, 2)


def test_a_forecast_is_never_shown_past_its_steps_nor_after_the_split(monkeypatch):
    trainer, snap = forecast_snapshot()
    first, last = snap.predicted_split_range
    assert snap.step < first <= FAST_SPLIT <= last and snap.predicted_split_step > snap.step
    monkeypatch.setattr(instruments_module, "SADDLE_SHARE_INV", 10**9)  # never retaken
    trainer.step(first - trainer.step_count + 5)
    later = trainer.snapshot(max_reading_age=None)  # as a runner at full speed asks
    assert later.saddle_step == snap.step and later.distinct_units == 1
    assert later.predicted_split_range == (later.step + 1, last)  # what has passed is gone
    trainer.step(FAST_SPLIT - trainer.step_count)
    split = trainer.snapshot(max_reading_age=None)
    assert split.saddle_step == snap.step and split.distinct_units > 1
    assert split.predicted_split_step is None and split.predicted_split_range is None
    assert "split" not in text(split) and "split" not in train_row(split)


def test_a_forecast_whose_last_step_has_passed_is_dropped(monkeypatch):
    trainer, snap = forecast_snapshot()
    monkeypatch.setattr(instruments_module, "SADDLE_SHARE_INV", 10**9)
    # The same reading, had it forecast the split 5 to 10 steps on: 20 steps on it is past.
    readings = trainer.instruments._readings
    config, reading = readings[-1]
    readings[-1] = (config, dataclasses.replace(
        reading, split_range=(snap.step + 5, snap.step + 10), predicted_split_step=snap.step + 7))
    trainer.step(20)
    stale = trainer.snapshot(max_reading_age=None)
    assert stale.distinct_units == 1 and stale.saddle_step == snap.step
    assert stale.predicted_split_range is None and stale.predicted_split_step is None


# -- what the reading says ----------------------------------------------------------------


def test_a_reading_older_than_the_picture_says_its_step():
    snap = fresh_snapshot(Trainer(FAST), 150)
    old = dataclasses.replace(snap, step=snap.step + 40)
    for width in (120, 60, 36, 24):
        assert f"{snap.step:,}" in text(old, width), width
    assert f"{snap.step:,}" not in text(snap)
    assert f"at step {snap.step:,}" in train_row(old)


def test_a_narrow_panel_drops_pieces_but_never_cuts_a_number():
    _, snap = forecast_snapshot()
    copies = fresh_snapshot(Trainer(Config(init="symmetric", epsilon=0.0)), 100)
    for shown in (snap, dataclasses.replace(snap, step=snap.step + 40), copies):
        pieces = reading_words(shown.summary(), format_signed, format_steps)
        words = {word for piece in pieces for wording in piece for word in wording.split()}
        for width in range(16, 90, 2):
            for max_lines in (1, 2, 3):
                lines = saddle_lines(shown, width, max_lines)
                assert lines and len(lines) <= max_lines
                assert all(len(line) <= width for line in lines)
                for token in " ".join(lines).split():  # whole, as some wording has it
                    assert token.rstrip(",") in words, (width, max_lines, token, lines)


def test_a_split_forecast_is_said_to_be_at_the_current_rate():
    _, snap = forecast_snapshot()
    words = text(snap)
    assert "split at the current rate" in words
    assert "split" in train_row(snap) and "at the current rate" in train_row(snap)


def test_exact_copies_have_no_difference_to_grow_in_any_wording():
    snap = fresh_snapshot(Trainer(Config(init="symmetric", epsilon=0.0)), 300)
    assert snap.max_unit_gap == 0.0 and snap.saddle_curvature < 0
    efold = 1.0 / math.log(1.0 - snap.config.lr * snap.saddle_curvature)
    for width in (120, 60, 40, 30, 24):
        for max_lines in (1, 2, 3):
            words = text(snap, width, max_lines)
            # No growth is claimed of them: wherever a rate is, "would grow" is too.
            assert "×e" not in words or "would grow" in words, (width, max_lines, words)
            assert "would grow" in words or width * max_lines < 40, (width, max_lines, words)
    assert f"would grow ×e every {float(f'{efold:.2g}'):,.0f} steps" in text(snap)
    assert "none can start" in text(snap)
    assert "would grow" in train_row(snap) and "none can start" in train_row(snap)


def test_copies_with_dropout_would_grow_and_dropout_can_start_them():
    snap = fresh_snapshot(Trainer(Config(init="symmetric", epsilon=0.0, dropout=0.1)), 0)
    assert snap.max_unit_gap == 0.0
    assert "would grow" in text(snap) and "none can start" not in text(snap)


def test_the_zero_stuck_reading_agrees_with_its_caption():
    scene = get_scenario("zero-stuck")
    trainer = Trainer(scene.config)
    snap = fresh_snapshot(trainer, 50)  # the same at every step: nothing ever moves
    assert trainer.params.W1.max() == trainer.params.W2.max() == 0.0
    assert snap.saddle_curvature == pytest.approx(-0.0228, abs=5e-4)
    efold = 1.0 / math.log(1.0 - snap.config.lr * snap.saddle_curvature)
    words = text(snap)
    assert f"would grow ×e every {float(f'{efold:.2g}'):,.0f} steps" in words
    assert "exact copies: none can start" in words
    assert "stays dead" in scene.caption and "for good" in scene.caption


def test_a_curvature_within_rounding_of_zero_reads_zero():
    scene = get_scenario("linear-convex")
    snap = fresh_snapshot(Trainer(scene.config), scene.point_step)
    assert snap.saddle_curvature == 0.0  # it computed −1.6e-15: flat directions
    assert snap.growth_rate == 0.0 and snap.summary()["efold_steps"] is None
    words = text(snap)
    assert "curvature 0" in words and "neither grow nor shrink" in words
    assert "differences grow" not in words and "differences grow" not in train_row(snap)
    # A small curvature that is not rounding stays what it is.
    early = fresh_snapshot(Trainer(scene.config), 200)
    assert -1e-6 < early.saddle_curvature < 0


def test_a_diverged_run_makes_no_growth_claims():
    trainer = Trainer(Config(dataset="sine", lr=50.0))
    trainer.step(100)
    snap = trainer.snapshot()
    assert snap.diverged
    assert snap.saddle_curvature is None and snap.growth_rate is None
    assert snap.predicted_split_range is None and math.isfinite(snap.spread)
    assert text(snap) == "" and train_row(snap) == ""


def _no_measuring(*_args: object, **_kwargs: object) -> SaddleReading:
    raise AssertionError("a saddle reading was taken")


def test_the_runners_first_picture_takes_no_reading_and_says_it_has_none(monkeypatch) -> None:
    """The picture the app draws its first frame from is made before the training
    process is up: a reading (40 Hessian-vector products, over a second for a conv on
    the digits) must not hold the first frame back, so it has none and says so; the
    training process's first reading (at step 0) arrives with its next picture."""
    from tui_symmetry.core.saddle import SaddleMeter
    from tui_symmetry.runner.process import ProcessRunner

    monkeypatch.setattr(SaddleMeter, "measure", _no_measuring)
    first = ProcessRunner(Config(init="symmetric")).latest()
    assert (first.step, first.saddle_step, first.saddle_curvature) == (0, None, None)
    assert first.predicted_split_step is None and math.isnan(first.spread)
    assert saddle_lines(first, 60, 3) == ["saddle: curvature not read yet"]
    assert saddle_lines(first, 12, 1) == ["λ: not yet"]
    monkeypatch.undo()
    later = Trainer(Config(init="symmetric")).snapshot()  # everyone else reads at once
    assert later.saddle_step == 0 and later.saddle_curvature is not None


def test_a_picture_that_may_not_read_shows_the_last_reading_at_its_step(monkeypatch) -> None:
    """Without a new reading a picture carries the last one, which names its step."""
    from tui_symmetry.core.instruments import NO_READING
    from tui_symmetry.core.saddle import SaddleMeter

    trainer = Trainer(FAST)
    read = fresh_snapshot(trainer, 20)
    trainer.step(30)
    monkeypatch.setattr(SaddleMeter, "measure", _no_measuring)
    shown = trainer.snapshot(max_reading_age=NO_READING)
    assert (shown.step, shown.saddle_step) == (50, 20)
    assert shown.saddle_curvature == read.saddle_curvature and shown.spread == read.spread
    assert saddle_lines(shown, 80, 1)[0].startswith("saddle at step 20: curvature ")
