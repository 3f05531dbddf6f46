""":class:`ProcessRunner`: the parent's side of training in a child process.

The Trainer lives in a spawned child (:mod:`tui_symmetry.runner.child` says why a
process and not a thread).  This side never blocks its caller: a command is a small
message down the pipe (:mod:`tui_symmetry.runner.messages`), and a reader thread keeps
only the newest snapshot in a slot that :meth:`ProcessRunner.latest` returns, so
drawing a frame is a lookup.  Only :meth:`ProcessRunner.export` waits, for the child's
answer.

Snapshots carry the version the child counts (across resets and restarts); the parent
shows it as it is.  The parent's own first picture, made before the child has even
imported numpy so the app can draw at once, is version 0.

A reset must never leave the old network on screen: the reset's number is registered
*before* the command is sent, and the reader drops only snapshots the child made before
it handled that reset.  (Clearing the slot after sending lost the child's answer when
it arrived in between: the screen then showed the previous network until the next step.)
"""

from __future__ import annotations

import contextlib
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from multiprocessing import resource_tracker
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.core.instruments import NO_READING
from tui_symmetry.core.trainer import Trainer
from tui_symmetry.runner.child import CHUNK_SECONDS, PARENTS_SIGNALS, child_main
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
    Reply,
    Reset,
    SelectImage,
    SetSpeed,
    SnapshotReply,
    Step,
)
from tui_symmetry.runner.protocol import (
    Job,
    Picture,
    RunnerError,
    TrainerFactory,
    UpdateListener,
)
from tui_symmetry.settings import parse_speed

__all__ = ["CHUNK_SECONDS", "ProcessRunner"]


def how_it_ended(exitcode: int) -> str:
    """A process's exit in words: ``exit code 1``, or ``killed by SIGKILL`` for the
    negative codes multiprocessing gives a process a signal ended."""
    if exitcode >= 0:
        return f"exit code {exitcode}"
    try:
        return f"killed by {signal.Signals(-exitcode).name}"
    except ValueError:
        return f"killed by signal {-exitcode}"


class ProcessRunner:
    """Trains in a child process; implements :class:`~tui_symmetry.runner.Runner`.

    Args:
        config: the run to train.
        autoplay: the child starts playing (else it waits for play() or step()).
        speed: the speed cap in steps/s while playing (None: full speed).
        publish_hz: most snapshots per second while training flat out (the view's rate).
        chunk_seconds: wall time of one chunk of steps, the most a command waits.
        start_method: multiprocessing start method; "spawn" is safe next to threads.
        make_trainer: builds what the child trains from ``config`` (Trainer; Lockstep
            for a pair of runs, whose config is a PairConfig).
    """

    def __init__(
        self,
        config: Job,
        *,
        autoplay: bool = True,
        speed: float | None = None,
        publish_hz: float = 30.0,
        chunk_seconds: float = CHUNK_SECONDS,
        start_method: str = "spawn",
        make_trainer: TrainerFactory = Trainer,
    ) -> None:
        self._config = config
        self._make_trainer = make_trainer
        self._start_method = start_method
        # What the last play()/pause()/set_speed() said: only used to start a child in
        # the same state (restart).  Whether training *should* run is the app's business.
        self._playing = autoplay
        self._speed = parse_speed(speed)
        self._publish_hz = publish_hz
        self._chunk_seconds = chunk_seconds
        self._context = multiprocessing.get_context(start_method)
        self._listener: UpdateListener | None = None
        self._process: BaseProcess | None = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()  # one sender at a time; seq order = send order
        self._cond = threading.Condition()  # guards everything the reader thread writes
        self._seq = 0  # the last command sent
        self._acked = 0  # the last command the child has handled
        self._reset_seq = 0  # the newest reset: older snapshots show the old network
        self._incoming: Picture | None = None
        self._exports: dict[int, dict[str, Any]] = {}
        self._errors: list[str] = []
        self._failure: str | None = None
        self._fatal: str | None = None  # the child's last words, if it had any
        self._closing = False
        # The first picture is made here, so the app has a full frame to draw before the
        # child is up (Trainer(config) is deterministic: it equals the child's step 0).
        # It takes no saddle reading (a conv's costs over a second): it says it has none
        # yet, and the child's first picture brings the reading of step 0.
        self._snapshot: Picture = make_trainer(config).snapshot(
            version=0, max_reading_age=NO_READING)

    # -- properties ------------------------------------------------------------------------

    @property
    def config(self) -> Job:
        """The configuration being trained (live changes included)."""
        return self._config

    @property
    def pending(self) -> bool:
        """True while a command has been sent that the child has not handled yet."""
        with self._cond:
            return self._acked < self._seq and self._failure is None

    @property
    def failure(self) -> str | None:
        """Why the training process stopped, or None while it works."""
        return self._failure

    @property
    def pid(self) -> int | None:
        """The child's process id (None before start())."""
        return self._process.pid if self._process is not None else None

    def set_listener(self, listener: UpdateListener | None) -> None:
        """Call ``listener`` (from the reader thread) when a reply answers a command,
        and when the child dies."""
        self._listener = listener

    def take_errors(self) -> list[str]:
        """Errors the child reported for single commands since the last call."""
        with self._cond:
            errors, self._errors = self._errors, []
        return errors

    # -- lifecycle -------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the training process and the reader thread (no-op while running)."""
        if self._process is not None:
            return
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=child_main,
            args=(child, self._config),
            kwargs={
                "playing": self._playing,
                "speed": self._speed,
                "publish_hz": self._publish_hz,
                "chunk_seconds": self._chunk_seconds,
                "first_version": self._snapshot.version + 1,
                "make_trainer": self._make_trainer,
            },
            name="tui-symmetry-trainer",
            daemon=True,
        )
        with _real_std_streams(), _parents_signals_blocked(self._context.get_start_method()):
            process.start()
        child.close()  # keep only our end, so the child's death reads as EOF
        self._attach(parent, process)

    def _attach(self, conn: Connection, process: BaseProcess | None) -> None:
        """Start reading replies from ``conn`` (the seam tests use to fake a child)."""
        with self._send_lock, self._cond:
            self._seq = self._acked = self._reset_seq = 0  # the child counts from 0 too
            self._failure = None
            self._closing = False
        self._process, self._conn = process, conn
        self._reader = threading.Thread(
            target=self._read_loop, args=(conn,), name="tui-symmetry-reader", daemon=True
        )
        self._reader.start()

    def restart(self) -> None:
        """Start a fresh child from the current config (after the old one died)."""
        self._shutdown(grace=0.2)
        with self._cond:
            incoming, self._incoming = self._incoming, None
        newest = max(self._snapshot.version, incoming.version if incoming else 0)
        # Versions keep growing across restarts too: the app compares them.
        self._snapshot = self._make_trainer(self._config).snapshot(version=newest + 1)
        self.start()

    def sibling(self, config: Job, make_trainer: TrainerFactory) -> ProcessRunner:
        """A runner like this one (rates, chunk time, start method) for another job,
        paused at full speed until its controller says otherwise; not started."""
        return ProcessRunner(config, autoplay=False, publish_hz=self._publish_hz,
                             chunk_seconds=self._chunk_seconds,
                             start_method=self._start_method, make_trainer=make_trainer)

    def close(self) -> None:
        """Ask the child to stop, then make sure it has (idempotent)."""
        self._shutdown(grace=1.0)

    def _shutdown(self, grace: float) -> None:
        process, conn, reader = self._process, self._conn, self._reader
        self._process = self._conn = self._reader = None
        with self._cond:
            self._closing = True
        if conn is not None:
            with self._send_lock, contextlib.suppress(OSError, ValueError):
                conn.send(Close())
        if process is not None:
            process.join(grace)
            if process.is_alive():
                process.terminate()
                process.join(1.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        if conn is not None:
            conn.close()  # also wakes a reader still waiting on a fake child's pipe
        if reader is not None:
            reader.join(1.0)
        if process is not None:
            with contextlib.suppress(ValueError):
                process.close()

    # -- commands --------------------------------------------------------------------------

    def play(self, until: int | None = None) -> None:
        """Train on its own (at the speed cap) until pause(); hold at step ``until``."""
        self._playing = True
        self._send(lambda seq: Play(seq, until))

    def pause(self) -> None:
        """Stop training on its own; step() still works."""
        self._playing = False
        self._send(Pause)

    def step(self, n: int = 1) -> None:
        """Run exactly ``n`` more steps."""
        if n > 0:
            self._send(lambda seq: Step(seq, int(n)))

    def set_speed(self, steps_per_s: float | None) -> None:
        """Cap the training rate while playing (None: full speed); ConfigError if invalid."""
        speed = parse_speed(steps_per_s)
        self._speed = speed
        self._send(lambda seq: SetSpeed(seq, speed))

    def reset(self, config: Job) -> None:
        """Start ``config`` from step 0; snapshots made before the reset are dropped."""
        self._config = config

        def registered(seq: int) -> Reset:
            # Under the send lock and before the send: a reply to this very reset may
            # arrive before _send returns, and must not be dropped as stale.
            with self._cond:
                self._reset_seq = seq
                self._incoming = None
            return Reset(seq, config)

        self._send(registered)

    def apply_live(self, **changes: Any) -> Config:
        """Change live fields mid-run; ConfigError (here, at once) for anything else."""
        if not isinstance(self._config, Config):
            raise TypeError("a pair of runs takes no live changes")
        new = self._config.replace_live(**changes)
        self._config = new
        self._send(lambda seq: ApplyLive(seq, dict(changes)))
        return new

    def permute(self, perm: Sequence[int]) -> None:
        """Relabel the hidden units: new unit j is old unit ``perm[j]``."""
        self._send(lambda seq: Permute(seq, tuple(int(i) for i in perm)))

    def select_image(self, index: int) -> None:
        """Picture the filters' maps on training image ``index`` (it holds across resets)."""
        self._send(lambda seq: SelectImage(seq, int(index)))

    def export(self, timeout: float = 5.0) -> dict[str, Any]:
        """The run as the export document, waiting up to ``timeout`` s for the child."""
        seq = self._send(Export)
        deadline = time.monotonic() + timeout
        with self._cond:
            while seq not in self._exports:
                if self._failure is not None:
                    raise RunnerError(self._failure)
                left = deadline - time.monotonic()
                if left <= 0:
                    raise RunnerError("the training process did not answer the export request")
                self._cond.wait(left)
            return self._exports.pop(seq)

    def latest(self) -> Picture:
        """The newest snapshot; never blocks and never touches the pipe."""
        with self._cond:
            incoming, self._incoming = self._incoming, None
        if incoming is not None:
            self._snapshot = incoming
        return self._snapshot

    # -- plumbing --------------------------------------------------------------------------

    def _send(self, make: Callable[[int], Command]) -> int:
        """Number the next command, build it with ``make(seq)`` and send it; the seq.

        ``make`` runs under the send lock, so whatever bookkeeping it does happens
        before the child can possibly answer.  Commands to a dead child are dropped.
        """
        with self._send_lock:
            self._seq += 1
            seq = self._seq
            command = make(seq)
            conn = self._conn
            if conn is not None and self._failure is None:
                try:
                    conn.send(command)
                except (OSError, ValueError):
                    self._mark_dead()
            return seq

    def _read_loop(self, conn: Connection) -> None:
        while True:
            try:
                message: Reply = conn.recv()
            except (EOFError, OSError, ValueError):
                self._mark_dead()
                return
            with self._cond:
                answered = message.seq > self._acked
                self._acked = max(self._acked, message.seq)
                self._take(message)
                self._cond.notify_all()
            listener = self._listener
            if answered and listener is not None:
                listener()

    def _take(self, message: Reply) -> None:
        """File one reply (called with the lock held)."""
        match message:
            case SnapshotReply(seq=seq, snapshot=snapshot):
                if seq >= self._reset_seq:  # older ones show the network before a reset
                    self._incoming = snapshot
            case ExportReply(seq=seq, document=document):
                self._exports[seq] = document
            case CommandError(text=text):
                self._errors.append(text)
            case Fatal(text=text):
                self._fatal = text

    def _mark_dead(self) -> None:
        with self._cond:
            if self._closing or self._failure is not None:
                return
            process = self._process
        code = None
        if process is not None:
            # The pipe can close a moment before the process is reaped: wait a little
            # for the exit code, outside the lock so latest() never waits on it.
            with contextlib.suppress(ValueError, AssertionError):
                process.join(0.2)
                code = process.exitcode
        with self._cond:
            if self._closing or self._failure is not None:
                return
            self._failure = "the training process stopped unexpectedly" + (
                f" ({how_it_ended(code)})" if code is not None else ""
            ) + (f": {self._fatal}" if self._fatal else "")
            self._fatal = None
            self._cond.notify_all()
        listener = self._listener
        if listener is not None:
            listener()

    def __enter__(self) -> ProcessRunner:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()


@contextlib.contextmanager
def _parents_signals_blocked(start_method: str) -> Iterator[None]:
    """Block Ctrl+C and hang-ups in this thread while a child is started.

    The child inherits the blocked mask through fork and exec, so a SIGINT or SIGHUP
    sent to the process group while the child is still importing numpy waits until it
    has chosen to ignore them, instead of killing it half-started.  multiprocessing's
    own resource tracker is started the same way.  Only this thread blocks them, and
    only for the moment of the start: the parent still receives them.
    """
    if start_method != "fork":
        # Starting a process first starts multiprocessing's resource tracker, which
        # *unblocks* SIGINT in this thread when done (resource_tracker.ensure_running):
        # let that happen before our block, not in the middle of it.
        resource_tracker.ensure_running()
    old = signal.pthread_sigmask(signal.SIG_BLOCK, PARENTS_SIGNALS)
    try:
        yield
    finally:
        signal.pthread_sigmask(signal.SIG_SETMASK, old)


@contextlib.contextmanager
def _real_std_streams() -> Iterator[None]:
    """Let multiprocessing see real stdout/stderr while it starts a process.

    Inside a running Textual app sys.stderr is a capture object whose fileno() is -1,
    and multiprocessing's resource tracker passes that number on: "bad value(s) in
    fds_to_keep".  That would break restarting a dead child from within the app.
    """
    saved = sys.stdout, sys.stderr
    try:
        for name in ("stdout", "stderr"):
            stream = getattr(sys, name)
            try:
                usable = stream is not None and stream.fileno() >= 0
            except (OSError, ValueError, AttributeError):
                usable = False
            if not usable:
                setattr(sys, name, getattr(sys, f"__{name}__") or open(os.devnull, "w"))  # noqa: SIM115
        yield
    finally:
        sys.stdout, sys.stderr = saved
