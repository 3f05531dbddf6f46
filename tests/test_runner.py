"""The runners: SyncRunner (in the caller) and ProcessRunner (a child process).

The child's logic (:class:`TrainingProcess`) is driven in this process with a fake clock,
so the speed cap, the dispatch and the version counter are tested without timing.  The
few tests that spawn a real child only wait for conditions, never for a fixed time, and
assert bounds that a busy machine can only make easier to meet.
"""

from __future__ import annotations

import dataclasses
import multiprocessing
import os
import pickle
import queue
import signal
import subprocess
import sys
import textwrap
import threading
import time
from collections.abc import Iterator
from multiprocessing.connection import Connection
from typing import Any

import numpy as np
import pytest
from conftest import FakeClock, RecordingOutbox, process_env, wait_for

from tui_symmetry.core import Config, ConfigError, Trainer, one_unit
from tui_symmetry.experiments.lockstep import Lockstep, PairConfig, PairSnapshot
from tui_symmetry.runner import ProcessRunner, Runner, RunnerError, SyncRunner
from tui_symmetry.runner import child as child_module
from tui_symmetry.runner import search as search_module
from tui_symmetry.runner.child import TrainingProcess
from tui_symmetry.runner.messages import (
    ApplyLive,
    Close,
    CommandError,
    Export,
    ExportReply,
    Fatal,
    Pause,
    Play,
    Reply,
    Reset,
    SetSpeed,
    SnapshotReply,
    Step,
)
from tui_symmetry.runner.rate import RateMeter, SpeedCap
from tui_symmetry.runner.search import SearchApart

SMALL = Config(samples=64, hidden=4, seed=3)


def params_equal(a, b) -> bool:
    return all(np.array_equal(x, y) for x, y in zip(a.as_tuple(), b.as_tuple(), strict=True))


@pytest.fixture
def pipe() -> Iterator[tuple[Connection, Connection]]:
    """(parent end, child end) of a real pipe, closed afterwards."""
    parent, child = multiprocessing.Pipe(duplex=True)
    yield parent, child
    parent.close()
    child.close()


def make_child(
    conn: Connection, config: Config = SMALL, **settings: Any
) -> tuple[TrainingProcess, RecordingOutbox, FakeClock]:
    clock = FakeClock(start=0.0)
    outbox = RecordingOutbox()
    process = TrainingProcess(conn, config, clock=clock, outbox=outbox, learn_one_unit=False,
                              **settings)
    return process, outbox, clock


# -- messages -------------------------------------------------------------------------------


def test_messages_cross_the_pipe_unchanged(pipe):
    parent, child = pipe
    commands = [Play(1), Pause(2), Step(3, 25), SetSpeed(4, 10.0), SetSpeed(5, None),
                Reset(6, SMALL.replace(hidden=6)), ApplyLive(7, {"lr": 0.5}), Export(8),
                Close()]
    for command in commands:
        parent.send(command)
        assert child.recv() == command
    snapshot = Trainer(SMALL).snapshot()
    replies = [ExportReply(1, {"format": "x"}), CommandError(2, "ValueError: no"),
               Fatal(3, "MemoryError: ")]
    for reply in replies:
        child.send(reply)
        assert parent.recv() == reply
    child.send(SnapshotReply(4, snapshot))
    received = parent.recv()
    assert isinstance(received, SnapshotReply) and received.seq == 4
    assert params_equal(received.snapshot.params, snapshot.params)


def test_messages_are_frozen():
    step = Step(1, 5)
    with pytest.raises(dataclasses.FrozenInstanceError):
        step.n = 6  # type: ignore[misc]
    assert not hasattr(step, "__dict__")  # slots: small to pickle, no stray attributes
    assert pickle.loads(pickle.dumps(step)) == step


# -- the child's dispatch ----------------------------------------------------------------------


def test_each_command_does_its_job(pipe):
    process, outbox, _ = make_child(pipe[1], playing=False)
    process.handle(Play(1))
    assert process.playing and process.seq == 1 and process.answered
    process.handle(Pause(2))
    assert not process.playing
    process.handle(Step(3, 7))
    assert process.trainer.step_count == 7
    process.handle(SetSpeed(4, 10.0))
    assert process.cap.steps_per_s == 10.0
    process.handle(SetSpeed(5, None))
    assert not process.cap.capped
    process.handle(ApplyLive(6, {"lr": 0.5}))
    assert process.trainer.config.lr == 0.5
    process.handle(Export(7))
    assert isinstance(outbox.sent[-1], ExportReply) and outbox.sent[-1].seq == 7
    assert outbox.sent[-1].document["step"] == 7
    process.handle(Reset(8, SMALL.replace(hidden=6)))
    assert process.trainer.step_count == 0 and process.trainer.config.hidden == 6
    assert not process.closed
    process.handle(Close())
    assert process.closed and process.seq == 8  # Close is not counted


def test_a_failing_command_is_reported_and_the_run_goes_on(pipe):
    process, outbox, _ = make_child(pipe[1], playing=False)
    process.handle(Step(1, 3))
    process.handle(ApplyLive(2, {"hidden": 9}))  # not a live setting
    process.handle(SetSpeed(3, -1.0))

    @dataclasses.dataclass(frozen=True)
    class Unknown:
        seq: int

    process.handle(Unknown(4))  # type: ignore[arg-type]
    errors = [m for m in outbox.sent if isinstance(m, CommandError)]
    assert [e.seq for e in errors] == [2, 3, 4]
    assert errors[0].text.startswith("ConfigError:") and "hidden" in errors[0].text
    assert "Unknown" in errors[2].text
    assert process.trainer.step_count == 3
    assert process.trainer.config.hidden == SMALL.hidden


def test_a_crash_is_reported_before_the_child_exits(pipe):
    parent, child = pipe

    class Broken(TrainingProcess):
        def train(self) -> int:
            raise RuntimeError("boom")

    process = Broken(child, SMALL, playing=True)
    assert process.run() == 1
    replies = []
    while parent.poll(1.0):
        replies.append(parent.recv())
        if isinstance(replies[-1], Fatal):
            break
    assert replies[-1] == Fatal(0, "RuntimeError: boom")


# -- speed: steps due under a cap --------------------------------------------------------------


def test_speed_cap_lets_through_only_the_steps_due():
    clock = FakeClock(start=0.0)
    cap = SpeedCap(4.0, clock)  # one step every 0.25 s
    assert cap.capped
    assert cap.due() == 1  # the first step comes at once
    cap.took(1)
    assert cap.due() == 0
    assert cap.wait() == pytest.approx(0.25)
    clock.advance(0.125)
    assert cap.due() == 0
    assert cap.wait() == pytest.approx(0.125)
    clock.advance(0.125)
    assert cap.due() == 1
    assert cap.wait() == 0.0
    cap.took(1)
    # After a long stall (a busy machine) it does not burst through the backlog.
    clock.advance(100.0)
    assert cap.due() == 1  # max(1, 4 steps/s · 0.25 s)
    fast = SpeedCap(1000.0, clock)
    fast.took(1)
    clock.advance(100.0)
    assert fast.due() == 250
    # A restart (play, reset) begins the cap again.
    fast.took(250)
    fast.restart()
    assert fast.due() == 1


def test_speed_cap_never_exceeds_its_rate():
    clock = FakeClock(start=0.0)
    cap = SpeedCap(10.0, clock)
    ran = 0
    for tick in range(2000):  # uneven waits, as a busy machine would give
        clock.advance(0.001 * (1 + tick % 7))
        n = cap.due()
        cap.took(n)
        ran += n
    assert 0 < ran <= 1 + 10.0 * clock.now
    assert ran >= 10.0 * clock.now - 1


def test_full_speed_is_no_cap():
    cap = SpeedCap(None, FakeClock(start=0.0))
    assert not cap.capped and cap.wait() == 0.0
    with pytest.raises(ValueError, match="positive"):
        SpeedCap(0.0)


def test_capped_child_trains_and_shows_every_step(pipe):
    # 8 steps/s and 1/16 s ticks: every time is exact in binary, so no step slips a tick.
    process, outbox, clock = make_child(pipe[1], playing=True, speed=8.0, publish_hz=30.0)
    seen = []
    for _ in range(25):  # ticks at t = 0, 1/16, ..., 1.5 (fake) s
        trained = process.train()
        if process.publish_due(trained):
            process.publish()
            seen.append(outbox.snapshots()[-1].snapshot.step)
        clock.advance(0.0625)
    assert process.trainer.step_count == 13  # at t = 0, 0.125, ..., 1.5 s
    assert seen == list(range(1, 14))  # each step, one picture each
    assert process.wait_time() == pytest.approx(0.0625)  # the nap until the next step


def test_full_speed_child_trains_chunks_and_publishes_at_the_view_rate(pipe):
    process, _, clock = make_child(pipe[1], playing=True, publish_hz=10.0)
    assert process.wait_time() == 0.0  # step 0 still to show
    process.publish()
    assert process.wait_time() == 0.0  # playing flat out: never wait on the pipe
    trained = process.train()
    assert trained == 8  # a first chunk (the clock did not move: no resizing)
    assert not process.publish_due(trained)  # 0 s since the last picture
    clock.advance(0.1)
    assert process.publish_due(process.train())
    process.handle(Pause(1))
    process.publish()
    assert process.wait_time() == child_module.IDLE_CHECK_S  # paused: block, burn no CPU


def test_a_child_told_to_hold_at_a_step_trains_to_it_exactly_and_idles(pipe):
    process, _, _ = make_child(pipe[1], playing=False)
    process.handle(Play(1, until=20))
    process.publish()
    trained = [process.train() for _ in range(6)]  # chunks of 8: 8, 8, then the 4 left
    assert trained == [8, 8, 4, 0, 0, 0] and process.trainer.step_count == 20
    assert process.holding and process.answered  # the step held at is shown at once
    process.publish()
    assert process.wait_time() == child_module.IDLE_CHECK_S  # holding: burn no CPU
    process.handle(Step(2, 5))  # stepping by hand goes past it
    assert process.trainer.step_count == 25
    process.handle(Play(3))  # a Play without a step to hold at trains on
    assert process.train() > 0


def test_divergence_stops_training_but_not_the_play_state(pipe):
    process, _, _ = make_child(pipe[1], Config(dataset="sine", lr=50.0), playing=True)
    for _ in range(200):
        process.train()
        if process.trainer.diverged:
            break
    assert process.trainer.diverged and process.answered  # shown at once
    stopped_at = process.trainer.step_count
    assert process.train() == 0 and process.trainer.step_count == stopped_at
    assert process.wait_time() == 0.0
    process.publish()
    assert process.wait_time() == child_module.IDLE_CHECK_S  # nothing to do: idle
    # The play state is the app's: a reset while playing trains again.
    process.handle(Reset(1, SMALL))
    assert process.playing and process.train() > 0


# -- versions ----------------------------------------------------------------------------------


def test_versions_grow_across_resets_in_the_child(pipe):
    process, outbox, _ = make_child(pipe[1], playing=False, first_version=5)
    process.publish()
    process.handle(Step(1, 3))
    process.publish()
    process.publish()  # nothing changed: the same picture again, same version
    process.handle(Reset(2, SMALL.replace(init="xavier")))
    process.publish()
    process.handle(Step(3, 1))
    process.publish()
    versions = [m.snapshot.version for m in outbox.snapshots()]
    steps = [m.snapshot.step for m in outbox.snapshots()]
    assert versions == [5, 6, 6, 7, 8]
    assert steps == [0, 3, 3, 0, 1]
    assert outbox.snapshots()[1].snapshot is outbox.snapshots()[2].snapshot
    assert [m.seq for m in outbox.snapshots()] == [0, 1, 1, 2, 3]


# -- the reset race ----------------------------------------------------------------------------


class FakeChild:
    """A connection whose far end answers a Reset at once, before send() returns.

    That is the worst case of the race: the reply reaches the reader thread while
    reset() is still inside its send.  The reader must keep it.
    """

    def __init__(self, runner: ProcessRunner) -> None:
        self.answer_resets = True
        self.replies: queue.Queue[Reply | None] = queue.Queue()
        self.sent: list[Any] = []
        self.taken = threading.Event()
        runner.set_listener(self.taken.set)

    def send(self, command: Any) -> None:
        self.sent.append(command)
        if isinstance(command, Reset) and self.answer_resets:
            snapshot = Trainer(command.config).snapshot(version=100 + command.seq)
            self.deliver(SnapshotReply(command.seq, snapshot))

    def deliver(self, reply: Reply) -> None:
        """Hand ``reply`` to the reader and wait until it has filed it."""
        self.taken.clear()
        self.replies.put(reply)
        assert self.taken.wait(5.0), "the reader did not take the reply"

    def recv(self) -> Reply:
        reply = self.replies.get()
        if reply is None:
            raise EOFError
        return reply

    def close(self) -> None:
        self.replies.put(None)


def test_a_reset_answered_at_once_is_shown():
    runner = ProcessRunner(SMALL, autoplay=False)
    fake = FakeChild(runner)
    runner._attach(fake, None)  # type: ignore[arg-type]
    try:
        runner.reset(SMALL.replace(hidden=6))
        snapshot = runner.latest()
        assert snapshot.config.hidden == 6  # not the previous network
        assert snapshot.version == 101
        assert not runner.pending
    finally:
        runner.close()


def test_snapshots_from_before_the_newest_reset_are_dropped():
    runner = ProcessRunner(SMALL, autoplay=False)
    fake = FakeChild(runner)
    runner._attach(fake, None)  # type: ignore[arg-type]
    try:
        runner.step(1)  # seq 1
        before = Trainer(SMALL).snapshot(version=7)
        fake.deliver(SnapshotReply(1, before))
        assert runner.latest() is before
        # Fast i, I: both resets are sent before the child answers the first.
        fake.answer_resets = False
        runner.reset(SMALL.replace(hidden=5))  # seq 2
        runner.reset(SMALL.replace(hidden=6))  # seq 3
        first = Trainer(SMALL.replace(hidden=5)).snapshot(version=8)
        fake.deliver(SnapshotReply(2, first))
        assert runner.latest() is before  # the network of reset 2 is already gone
        assert runner.pending
        second = Trainer(SMALL.replace(hidden=6)).snapshot(version=9)
        fake.deliver(SnapshotReply(3, second))
        assert runner.latest() is second
        assert not runner.pending
    finally:
        runner.close()


def test_the_listener_hears_of_a_dead_child():
    runner = ProcessRunner(SMALL, autoplay=False)
    fake = FakeChild(runner)
    runner._attach(fake, None)  # type: ignore[arg-type]
    try:
        fake.replies.put(Fatal(0, "MemoryError: out of memory"))
        fake.taken.clear()
        fake.close()
        assert fake.taken.wait(5.0)
        assert runner.failure is not None and "MemoryError: out of memory" in runner.failure
        runner.play()  # commands to a dead child are dropped, not raised
        with pytest.raises(RunnerError, match="MemoryError"):
            runner.export(timeout=1.0)
    finally:
        runner.close()


# -- the child ends with its parent ------------------------------------------------------------


def run_in_thread(process: TrainingProcess) -> tuple[threading.Thread, list[int]]:
    codes: list[int] = []
    thread = threading.Thread(target=lambda: codes.append(process.run()), daemon=True)
    thread.start()
    return thread, codes


@pytest.mark.parametrize("playing", [True, False])
def test_child_stops_when_the_parent_closes_the_pipe(pipe, playing):
    parent, child = pipe
    process = TrainingProcess(child, SMALL, playing=playing)
    thread, codes = run_in_thread(process)
    assert isinstance(parent.recv(), SnapshotReply)  # it is up
    parent.close()
    thread.join(10.0)
    assert not thread.is_alive() and codes == [0]


def test_child_stops_when_orphaned_with_the_pipe_still_open(pipe, monkeypatch):
    parent, child = pipe
    monkeypatch.setattr(child_module, "IDLE_CHECK_S", 0.01)
    alive = threading.Event()
    alive.set()
    process = TrainingProcess(child, SMALL, playing=False, parent_alive=alive.is_set)
    thread, codes = run_in_thread(process)
    assert isinstance(parent.recv(), SnapshotReply)
    assert thread.is_alive()
    alive.clear()  # re-parented: the original parent is gone
    thread.join(10.0)
    assert not thread.is_alive() and codes == [0]


def gone(pid: int) -> bool:
    """The process has exited (a zombie waiting for a reaper counts as gone)."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[0] in ("Z", "X")
    except FileNotFoundError:
        return True
    except OSError:
        try:
            os.kill(pid, 0)
        except ProcessLookupError:
            return True
        return False


PARENT_SCRIPT = textwrap.dedent("""
    import sys, time
    from tui_symmetry.core import Config
    from tui_symmetry.runner import ProcessRunner

    runner = ProcessRunner(Config(samples=64, hidden=4, seed=3), autoplay={playing})
    runner.start()
    runner.step(1)
    deadline = time.monotonic() + 60
    while runner.latest().step == 0:
        if time.monotonic() > deadline:
            sys.exit("the child never answered")
        time.sleep(0.01)
    print(runner.pid, flush=True)
    time.sleep(600)
""")


@pytest.mark.parametrize("playing", [True, False])
def test_child_dies_with_a_killed_parent(playing):
    parent = subprocess.Popen(
        [sys.executable, "-c", PARENT_SCRIPT.format(playing=playing)],
        stdout=subprocess.PIPE, text=True, env=process_env(),
    )
    try:
        line = parent.stdout.readline() if parent.stdout else ""
        assert line.strip().isdigit(), "the parent script did not start its child"
        child_pid = int(line)
        assert not gone(child_pid)
        parent.send_signal(signal.SIGKILL)
        parent.wait(10.0)
        wait_for(lambda: gone(child_pid), timeout=60.0)
    finally:
        parent.kill()
        parent.wait(10.0)
        if parent.stdout:
            parent.stdout.close()


# -- RateMeter ---------------------------------------------------------------------------------


def test_rate_meter_uses_its_window():
    clock = FakeClock(start=0.0)
    meter = RateMeter(window=1.0, clock=clock)
    assert meter.value == 0.0
    for step in range(0, 5000, 100):
        meter.add(step)
        clock.advance(0.1)
    assert meter.value == pytest.approx(1000.0)


# -- SyncRunner --------------------------------------------------------------------------------


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


def test_a_sync_runner_trains_a_pair_step_for_step():
    pair = PairConfig(SMALL, SMALL.replace(hidden=3, activation="relu"))
    runner = SyncRunner(SMALL, steps_per_poll=7).sibling(pair, Lockstep)
    assert isinstance(runner, SyncRunner) and runner.steps_per_poll == 7
    runner.play()
    picture = runner.latest()
    assert isinstance(picture, PairSnapshot) and (picture.a.step, picture.b.step) == (7, 7)
    assert picture.a.one_unit_loss is not None and picture.b.one_unit_loss is not None
    assert picture.matching.reason is not None  # tanh and relu units are not matched
    with pytest.raises(TypeError):
        runner.apply_live(lr=0.5)


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


# -- ProcessRunner, with a real child ----------------------------------------------------------


def test_process_runner_has_the_whole_runner_protocol():
    members = {name for name in vars(Runner) if not name.startswith("_")}
    assert members <= set(dir(ProcessRunner))
    assert "running" not in dir(ProcessRunner)  # the app's controller holds that


def test_process_runner_lifecycle():
    runner = ProcessRunner(SMALL, autoplay=False, publish_hz=50)
    answers = threading.Semaphore(0)
    runner.set_listener(answers.release)
    first = runner.latest()  # made in the parent: a full frame before the child is up
    assert first.step == 0 and first.version == 0
    runner.start()
    try:
        pid = runner.pid
        assert pid is not None
        # Ctrl+C and a hang-up reach the whole process group: the parent's to handle,
        # even while the child is still starting (it is: it was spawned a moment ago).
        os.kill(pid, signal.SIGINT)
        os.kill(pid, signal.SIGHUP)
        # Paused: exact steps on request, the same numbers as the bare engine.
        runner.step(30)
        wait_for(lambda: runner.latest().step == 30)
        assert answers.acquire(timeout=60.0)  # the listener heard the answer
        assert runner.latest().version >= 1
        bare = Trainer(SMALL)
        bare.step(30)
        assert params_equal(runner.latest().params, bare.snapshot().params)

        runner.play()
        wait_for(lambda: runner.latest().step > 2000 and runner.latest().steps_per_s > 0)

        runner.apply_live(lr=0.05, tie=0.5)
        wait_for(lambda: runner.latest().config.tie == 0.5)
        assert runner.latest().config.lr == 0.05

        before_reset = runner.latest().version
        runner.reset(SMALL.replace(init="xavier", hidden=6))
        wait_for(lambda: runner.latest().config.hidden == 6)
        assert runner.latest().params.W1.shape == (6, 2)
        assert runner.latest().version > before_reset

        runner.pause()
        wait_for(lambda: not runner.pending)
        paused_at = runner.latest().step
        runner.step(2)
        wait_for(lambda: not runner.pending)
        assert runner.latest().step == paused_at + 2  # paused: only the steps asked for

        document = runner.export()
        assert document["format"] == "tui-symmetry-run"
        assert document["step"] == paused_at + 2
        assert document["config"]["hidden"] == 6
        assert runner.failure is None
    finally:
        runner.close()
    assert runner.pid is None
    wait_for(lambda: gone(pid))


def test_a_process_runner_trains_a_pair_in_lockstep_in_its_child():
    """Compare in the app: the pair trains in a child process (none of the UI's
    threads), both runs step for step, to the same numbers as each run on its own."""
    parent = ProcessRunner(SMALL, autoplay=False, publish_hz=50, chunk_seconds=0.01)
    pair = PairConfig(SMALL, SMALL.replace(init="xavier"))
    runner = parent.sibling(pair, Lockstep)
    assert isinstance(runner, ProcessRunner) and runner.pid is None  # not started
    assert (runner._publish_hz, runner._chunk_seconds) == (50, 0.01)
    first = runner.latest()
    assert isinstance(first, PairSnapshot) and first.step == 0 and first.version == 0
    runner.start()
    try:
        assert runner.pid not in (None, os.getpid())
        runner.step(40)
        wait_for(lambda: runner.latest().step == 40)
        pair_picture = runner.latest()
        for side, config in zip(pair_picture.sides, pair.sides, strict=True):
            alone = Trainer(config)
            alone.step(40)
            assert side.step == 40 and params_equal(side.params, alone.snapshot().params)
        runner.play()
        wait_for(lambda: runner.latest().step > 1000)
        picture = runner.latest()
        assert picture.a.step == picture.b.step and picture.steps_per_s > 0
        runner.reset(pair)
        wait_for(lambda: runner.latest().step < picture.step)
        assert runner.failure is None
    finally:
        runner.close()


def test_process_runner_holds_at_a_step_at_full_speed():
    """A scene's point: the training process stops on the step itself, not past it."""
    runner = ProcessRunner(SMALL, autoplay=False)
    try:
        runner.start()
        runner.play(until=3_000)
        wait_for(lambda: runner.latest().step >= 3_000)
        runner.pause()
        wait_for(lambda: not runner.pending)
        assert runner.latest().step == 3_000
    finally:
        runner.close()


def test_process_runner_caps_the_speed():
    started = time.monotonic()
    runner = ProcessRunner(SMALL, autoplay=True, speed=10.0)
    runner.start()
    try:
        wait_for(lambda: runner.latest().step > 0)
        time.sleep(1.0)
        steps = runner.latest().step
        elapsed = time.monotonic() - started  # includes start-up: the bound only loosens
        assert 0 < steps <= 10.0 * elapsed + 2
        with pytest.raises(ConfigError):
            runner.set_speed(0)
        runner.set_speed(None)
        wait_for(lambda: runner.latest().step > 10.0 * (time.monotonic() - started) + 1000)
    finally:
        runner.close()


def test_process_runner_survives_a_dead_child():
    runner = ProcessRunner(SMALL, autoplay=True)
    runner.start()
    try:
        wait_for(lambda: runner.latest().step > 0)
        last_version = runner.latest().version
        os.kill(runner.pid, signal.SIGKILL)
        wait_for(lambda: runner.failure is not None)
        # Words, not Python's "exit code -9": a lecturer reads this on the notice line.
        assert runner.failure == "the training process stopped unexpectedly (killed by SIGKILL)"
        runner.play()  # commands to a dead child are dropped, not raised
        runner.restart()
        assert runner.failure is None
        fresh = runner.latest()
        assert fresh.step == 0 and fresh.version > last_version  # versions never go back
        wait_for(lambda: runner.latest().step > 0)
        assert runner.latest().version > fresh.version
    finally:
        runner.close()


def test_process_runner_stops_training_on_divergence():
    runner = ProcessRunner(Config(dataset="sine", lr=50.0), autoplay=True)
    runner.start()
    try:
        wait_for(lambda: runner.latest().diverged)
        assert np.isfinite(runner.latest().params.W1).all()
        stopped_at = runner.latest().step
        assert runner.export()["step"] == stopped_at  # it trains no more
        assert runner.latest().step == stopped_at
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


def test_the_child_searches_the_one_unit_optimum_in_a_process_of_its_own(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # A thread of the training process that searched held the interpreter lock training
    # needs (the digits trained at 0.35x the bare engine until it was done): the search
    # runs in a subprocess at a lower priority (runner/search.py), and its number is the
    # one this process finds, to the bit.
    started: list[list[str]] = []
    popen = search_module.subprocess.Popen

    def recorded(argv: list[str], **kwargs: Any) -> subprocess.Popen[bytes]:
        started.append(argv)
        return popen(argv, **kwargs)

    monkeypatch.setattr(search_module.subprocess, "Popen", recorded)
    config = Config(dataset="iris", samples=150, hidden=4)
    process = TrainingProcess(multiprocessing.Pipe()[0], config)
    process.publish()  # the first picture starts the search, as in the child
    process._one_unit.join()
    assert len(started) == 1 and "os.nice(10)" in started[0][-1]
    found = one_unit.optimize(config)
    assert process.trainer.one_unit is not None
    assert process.trainer.one_unit_loss == found.loss
    assert np.array_equal(process.trainer.one_unit.theta, found.theta)


def test_closing_the_child_ends_a_search_still_running() -> None:
    search = SearchApart()
    failed: list[Exception] = []

    def work() -> None:
        try:
            search(Config(dataset="digits", samples=1797, hidden=4))
        except RuntimeError as exc:
            failed.append(exc)

    thread = threading.Thread(target=work)
    thread.start()
    wait_for(lambda: search._process is not None)
    running = search._process
    search.close()
    thread.join()
    assert running.returncode == -signal.SIGKILL and failed
    with pytest.raises(RuntimeError, match="closed"):
        search(Config())


def test_the_one_unit_search_imports_nothing_in_its_thread():
    """The child waits for the one-unit optimum in a thread while its main thread
    trains; a module imported by both threads at once can be seen half made (the app's
    first run died of "cannot import name 'euclidean' from partially initialized module
    'scipy.spatial.distance'": the thread imported scipy.optimize while the main thread
    imported scipy.cluster at the first split).  So the thread may import nothing."""
    code = """if True:
        import sys
        from multiprocessing import Pipe
        from tui_symmetry.core.config import Config
        from tui_symmetry.core.trainer import Trainer
        from tui_symmetry.runner.child import TrainingProcess

        imported = []
        search = Trainer.learn_one_unit_loss

        def watched(self, *args):
            before = set(sys.modules)
            try:
                return search(self, *args)
            finally:
                imported.extend(sorted(set(sys.modules) - before))

        Trainer.learn_one_unit_loss = watched
        process = TrainingProcess(Pipe()[0], Config(hidden=4, samples=40))
        process.publish()  # the first picture starts the search, as in the child
        process._one_unit.join()
        assert process.trainer.one_unit_loss is not None
        print(imported)
    """
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=True, env=process_env())
    assert result.stdout.strip() == "[]"
