"""The training process: one Trainer, trained in chunks, commands obeyed between chunks.

Why a process and not a thread: a tiny-matrix training step is mostly Python, so a
thread would fight the UI for the GIL (measured on two cores: a thread worker reached
20–45 % of the bare engine's rate; a child process about 100 %, see
benchmarks/bench_app.py).

Why chunks: at full speed the child trains about ``chunk_seconds`` (15 ms) of steps,
then looks at the pipe, so a command waits at most one chunk and the per-chunk overhead
stays negligible.  Under a speed cap (:class:`~tui_symmetry.runner.rate.SpeedCap`) it
trains only the steps that are due and sleeps until the next one by blocking on the
pipe with a timeout, so commands still take effect at once.  A paused run blocks on the
pipe too: it burns no CPU.

Snapshots cost metrics and pickling, so while training flat out they go out at the
view's rate (``publish_hz``) only; answers to commands go out at once, and under a slow
cap every step goes out (at 1 step/s each step must be seen).  Each new picture gets the
next number of one version counter that survives resets, so "is this picture new?" is
one integer comparison in the parent.

The child ends when it is told to (Close), when the parent's end of the pipe closes
(EOF: the parent exited or was killed), or when its parent process changes (re-parented
after a kill, in case something else still holds the pipe open).  Ctrl+C and a terminal
hang-up are the parent's to handle: it closes the child in order.
"""

from __future__ import annotations

import contextlib
import math
import os
import signal
import threading
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

import numpy as np

from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.experiments.lockstep import Lockstep, PairSnapshot
from tui_symmetry.experiments.registry import ExperimentSnapshot
from tui_symmetry.export import run_document
from tui_symmetry.runner.messages import (
    ApplyLive,
    Close,
    Command,
    CommandError,
    Export,
    ExportReply,
    Fatal,
    Pause,
    Permute,
    Play,
    Reset,
    SelectImage,
    SetSpeed,
    SnapshotReply,
    Step,
    describe,
)
from tui_symmetry.runner.outbox import Outbox, send_loop
from tui_symmetry.runner.protocol import Job, Picture, TrainerFactory
from tui_symmetry.runner.rate import Clock, RateMeter, SpeedCap
from tui_symmetry.runner.search import SearchApart

CHUNK_SECONDS = 0.015
"""Target wall time of one chunk of steps: a command waits at most about this long."""

IDLE_CHECK_S = 1.0
"""A paused child still wakes this often to see whether its parent is alive."""

MAX_CHUNK = 1_000_000
"""Most steps in one chunk, whatever the timing says."""

PICTURE_SHARE_INV = 20
"""While training flat out, pictures take at most about 1/this of the child's time."""

READING_INTERVAL_S = 0.5
"""Under a speed cap the child idles between steps, so it has the time to read the saddle
(core/saddle.py) this often in wall time, whatever the reading's cost model would allow:
at 100 steps/s that model spaces readings ~575 steps apart, almost six seconds."""

PARENTS_SIGNALS = (signal.SIGINT, signal.SIGHUP)
"""Ctrl+C and a terminal hang-up: the parent handles them and closes the child."""


class ParentGone(Exception):
    """The parent process went away without closing the pipe."""


class TrainingProcess:
    """The child's side of the runner: owns the Trainer, obeys commands, publishes.

    ``clock`` drives the speed cap and the rate meter (tests pass a fake one);
    ``parent_alive`` is asked whenever a wait on the pipe times out; ``make_trainer``
    builds what is trained from ``config`` and each reset's (a Lockstep pair for
    compare: the same loop trains both runs step for step).
    """

    def __init__(
        self,
        conn: Connection,
        config: Job,
        *,
        playing: bool = True,
        speed: float | None = None,
        publish_hz: float = 30.0,
        chunk_seconds: float = CHUNK_SECONDS,
        first_version: int = 1,
        clock: Clock = time.perf_counter,
        parent_alive: Callable[[], bool] = lambda: True,
        outbox: Outbox | None = None,
        learn_one_unit: bool = True,
        make_trainer: TrainerFactory = Trainer,
    ) -> None:
        self.conn = conn
        # Off in the tests that drive this class with a fake clock: the background
        # thread's extra picture would land at a moment no fake clock decides.
        self.learn_one_unit = learn_one_unit
        self.outbox = outbox if outbox is not None else Outbox()
        self.clock = clock
        self.parent_alive = parent_alive
        self.make_trainer = make_trainer
        self.trainer = make_trainer(config)
        self.playing = playing
        self.until: int | None = None  # the step to hold at while playing (Play.until)
        self.cap = SpeedCap(speed, clock)
        self.rate = RateMeter(clock=clock)
        self.publish_hz = publish_hz
        self.chunk_seconds = chunk_seconds
        self.chunk = 8
        self.seq = 0  # the last command handled: every reply carries it
        self.version = first_version - 1  # the last version given to a snapshot
        self.answered = True  # something changed that the parent must see now (step 0)
        self.closed = False
        self.image_index = 0  # the filters view's image (SelectImage): kept across resets
        self._last_publish = -math.inf
        self._picture_seconds = 0.0  # what the last picture cost, pickling included
        self._shown: Picture | None = None  # the last picture taken, reused while current
        self._shown_key: tuple[int, float, bool] = (-1, 0.0, False)
        self._one_unit: threading.Thread | None = None  # waiting for the one-unit optimum
        self._search = SearchApart()  # which a process of its own computes
        # The last saddle readings shown (their steps, one per run, and when they were
        # new), and whether the child has idled under a cap since: then it has the time
        # for fresh ones.
        self._read_steps: tuple[int | None, ...] = ()
        self._read_at = -math.inf
        self._idled = False

    # -- the loop --------------------------------------------------------------------------

    def run(self) -> int:
        """Train and obey until closed or orphaned; the exit code (1 after a Fatal)."""
        sender = threading.Thread(
            target=send_loop, args=(self.conn, self.outbox), name="tui-symmetry-sender",
            daemon=True,
        )
        sender.start()
        try:
            while not self.closed:
                self.receive(self.wait_time())
                if self.closed:
                    break
                trained = self.train()
                if self.publish_due(trained):
                    self.publish()
            return 0
        except (EOFError, BrokenPipeError, ConnectionResetError, ParentGone):
            return 0  # the parent went away: nobody to train for
        except Exception as exc:
            # Say why before dying: the parent shows it (our stderr goes nowhere).
            self.outbox.reply(Fatal(self.seq, describe(exc)))
            return 1
        finally:
            self._search.close()
            self.outbox.close()
            sender.join(1.0)

    def wait_time(self) -> float | None:
        """How long the next look at the pipe may block."""
        if self.answered:
            return 0.0
        if self.playing and not self.trainer.diverged and not self.holding:
            wait = self.cap.wait()  # 0.0 at full speed
            self._idled = self._idled or wait > 0.0
            return wait
        return IDLE_CHECK_S

    @property
    def holding(self) -> bool:
        """Playing, but at the step Play said to hold at."""
        return self.until is not None and self.trainer.step_count >= self.until

    def receive(self, timeout: float | None) -> None:
        """Wait up to ``timeout`` for commands, then obey all that are there."""
        if not self.conn.poll(timeout):
            if not self.parent_alive():
                raise ParentGone
            return
        while True:
            self.handle(self.conn.recv())
            if self.closed or not self.conn.poll(0):
                return

    # -- commands --------------------------------------------------------------------------

    def handle(self, command: Command) -> None:
        """Obey one command; one that fails is reported and the run goes on unchanged."""
        if isinstance(command, Close):
            self.closed = True
            return
        self.seq = command.seq
        owed, self.answered = self.answered, True
        try:
            if self.dispatch(command):
                self.answered = owed  # its reply is sent: no new picture owed for it
        except Exception as exc:
            self.outbox.reply(CommandError(command.seq, describe(exc)))

    def dispatch(self, command: Command) -> bool:
        """The job each command asks for (errors are raised to :meth:`handle`); True
        when it has sent its own reply already (else the next picture answers it)."""
        match command:
            case Play(until=until):
                self.play(until)
            case Pause():
                self.pause()
            case Step(n=n):
                self.trainer.step(n)
            case SetSpeed(steps_per_s=steps_per_s):
                self.set_speed(steps_per_s)
            case Reset(config=config):
                self.reset(config)
            case ApplyLive(changes=changes):
                self.trainer.apply_live(**changes)
            case Permute(perm=perm):
                self.trainer.permute_units(np.asarray(perm))
            case SelectImage(index=index):
                return self.select_image(index)
            case Export(seq=seq):
                self.outbox.reply(ExportReply(seq, run_document(self.trainer)))
            case _:
                raise TypeError(f"unknown command {command!r}")
        return False

    def play(self, until: int | None = None) -> None:
        self.playing = True
        self.until = until
        self.cap.restart()
        self.rate.clear()

    def pause(self) -> None:
        self.playing = False
        self.rate.clear()

    def set_speed(self, steps_per_s: float | None) -> None:
        self.cap = SpeedCap(steps_per_s, self.clock)
        self.rate.clear()

    def select_image(self, index: int) -> bool:
        """Picture the filters' maps on training image ``index`` from now on.  The last
        picture taken of this trainer gets that image's fields, computed from its own
        parameters, and goes out at once, before any more training (a whole new
        snapshot of a conv run costs a hundred times more, and a key must not wait for
        the next chunk); True when it went.  While training, the pictures that follow
        show the newer steps on that image."""
        self.image_index = index
        shown, trainer = self._shown, self.trainer
        if not (isinstance(trainer, Trainer) and isinstance(shown, Snapshot)):
            self._shown = None  # a picture on that image, even while paused
            return False
        self.version += 1
        self._shown = trainer.on_image(shown, index, self.version)
        self.outbox.publish(SnapshotReply(self.seq, self._shown))
        self._last_publish = self.clock()
        return True

    def reset(self, config: Job) -> None:
        """A fresh Trainer; the play state, speed cap and version counter carry on."""
        self.trainer = self.make_trainer(config)
        self._shown = None  # its change counter starts again: never reuse the old picture
        self.cap.restart()
        self.rate.clear()

    # -- training and publishing -----------------------------------------------------------

    def train(self) -> int:
        """Train what is due now: one chunk at full speed, the due steps under a cap.

        Returns how many steps ran.  Divergence stops training but not the play state:
        that belongs to the app's controller, which sees ``snapshot.diverged``.
        """
        trainer = self.trainer
        if not self.playing or trainer.diverged:
            return 0
        n = min(self.chunk, self.cap.due()) if self.cap.capped else self.chunk
        if self.until is not None:
            n = min(n, self.until - trainer.step_count)
        if n <= 0:
            return 0
        started = self.clock()
        ran = trainer.step(n)
        elapsed = self.clock() - started
        self.cap.took(n)
        self.rate.add(trainer.step_count)
        self._resize_chunk(n, elapsed)
        if trainer.diverged or self.holding:
            self.answered = True  # show the divergence, or the step held at, at once
        return ran

    def _resize_chunk(self, n: int, elapsed: float) -> None:
        # The next chunk should take about chunk_seconds; change by at most 2x at a time
        # so one slow chunk (the machine was busy) does not swing it wildly.
        if elapsed <= 0:
            return
        target = n * self.chunk_seconds / elapsed
        chunk = min(2.0 * self.chunk, max(0.5 * self.chunk, target))
        self.chunk = max(1, min(MAX_CHUNK, int(chunk)))

    def publish_due(self, trained: int) -> bool:
        """Whether to send a picture now."""
        if self.answered:
            return True
        if trained <= 0:
            return False
        steps_per_s = self.cap.steps_per_s
        if steps_per_s is not None and steps_per_s <= self.publish_hz:
            return True  # a slow cap: every step must be seen
        # A picture of a big network costs milliseconds (metrics, unit maps, pickling in
        # the sender thread, which holds the interpreter lock too): while training flat
        # out, space them so they take at most 1/PICTURE_SHARE_INV of the time.
        interval = max(1.0 / self.publish_hz, PICTURE_SHARE_INV * self._picture_seconds)
        return self.clock() - self._last_publish >= interval

    def publish(self) -> None:
        """Offer the newest picture to the parent (a new version only if it changed)."""
        steps_per_s = self.rate.value if self.playing else 0.0
        one_unit_known = self.trainer.one_unit_loss is not None
        key = (self.trainer.changes, steps_per_s, one_unit_known)
        if self._shown is None or key != self._shown_key:
            self.version += 1
            started = self.clock()
            age = self._reading_age(started)
            self._shown = (self.trainer.snapshot(self.version, steps_per_s, age,
                                                 image_index=self.image_index)
                           if isinstance(self.trainer, Trainer)
                           else self.trainer.snapshot(self.version, steps_per_s, age))
            read_steps = tuple(side.saddle_step for side in sides_of(self._shown))
            if read_steps != self._read_steps:
                self._read_steps, self._read_at = read_steps, started
                self._idled = False
            # Smoothed: one costly picture (the first computes the chance level, some
            # take a saddle reading) must not stall the pictures that follow.
            cost = self.clock() - started
            self._picture_seconds += 0.2 * (cost - self._picture_seconds)
            self._shown_key = key
        self.outbox.publish(SnapshotReply(self.seq, self._shown))
        self._last_publish = self.clock()
        self.answered = False
        if not one_unit_known and self.learn_one_unit:
            self._start_one_unit(self.trainer)

    def _reading_age(self, now: float) -> int | None:
        """How old the next picture's saddle reading may be, in steps: 0 (read it now)
        when training rests (paused, holding at a step, diverged) or once
        READING_INTERVAL_S has passed since the last one and the child idled meanwhile
        (a cap slower than training); else None (the reading's own spacing, ~2 % of
        the training time: a picture must not stall training)."""
        resting = not self.playing or self.holding or self.trainer.diverged
        if resting or (self._idled and now - self._read_at >= READING_INTERVAL_S):
            return 0
        return None

    def _start_one_unit(self, trainer: Trainer | Lockstep) -> None:
        """Compute the one-unit optimum (core/one_unit.py, ~0.2–2.4 s) off the training
        loop, once per dataset and activation: a thread waits for it while a process of
        its own searches (runner/search.py: a thread searching would hold the
        interpreter lock training needs).  The next picture after it is done carries it
        (``snapshot.one_unit_loss``).  A failure leaves it unknown."""
        if self._one_unit is not None and self._one_unit.is_alive():
            return  # one at a time; a later publish starts the next config's

        def work() -> None:
            with contextlib.suppress(Exception):
                trainer.learn_one_unit_loss(self._search)
            self.answered = True  # publish the picture that has it, even when paused

        self._one_unit = threading.Thread(target=work, name="tui-symmetry-one-unit",
                                          daemon=True)
        self._one_unit.start()


def sides_of(picture: Picture) -> tuple[Snapshot, ...]:
    """The runs a picture shows (whose saddle readings it carries): one, a comparison's
    two, or an experiment's none."""
    return picture.sides if isinstance(picture, (PairSnapshot, ExperimentSnapshot)) else (picture,)


def child_main(conn: Connection, config: Job, **settings: Any) -> None:
    """Entry point of the spawned process: ``settings`` are TrainingProcess's keywords."""
    _silence_terminal()
    parent = os.getppid()
    process = TrainingProcess(
        conn, config, parent_alive=lambda: os.getppid() == parent, **settings
    )
    try:
        code = process.run()
    finally:
        conn.close()
    if code:
        raise SystemExit(code)


def _silence_terminal() -> None:
    """Point stdout and stderr at /dev/null, and leave Ctrl+C and hang-ups to the parent.

    The child inherits the app's terminal; a stray warning printed there would land in
    the middle of the UI's drawing.  Failures are reported through the pipe instead.
    SIGINT (Ctrl+C) and SIGHUP (the SSH link dropped) go to the whole process group;
    the parent handles them and closes the child in order (a child dying of them first
    would look like a crash to restart).  If the parent dies instead, the pipe's EOF
    ends the child.  The parent started us with them blocked (see
    ``process._parents_signals_blocked``), so one that arrived while Python was still
    starting is pending: ignoring before unblocking discards it.
    """
    for signum in PARENTS_SIGNALS:
        signal.signal(signum, signal.SIG_IGN)
    signal.pthread_sigmask(signal.SIG_UNBLOCK, PARENTS_SIGNALS)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(devnull, fd)
    os.close(devnull)
