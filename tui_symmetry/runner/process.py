"""Run a Trainer away from the UI's event loop and hand back immutable snapshots.

Two runners share one interface (:class:`Runner`):

* :class:`ProcessRunner` owns the Trainer in a child process (spawned: safe next to
  the UI's threads).  A tiny-matrix training step is mostly Python, so a thread would
  fight the UI for the GIL (measured on two cores: a thread worker reached 20–45 % of
  the bare engine's rate; this child process ~100 %, see benchmarks/bench_app.py).
  The child trains flat out in chunks of ~15 ms and handles commands between chunks.
  After a chunk it publishes a snapshot at most ``publish_hz`` times a second (at
  once after a command) into a one-slot outbox: a sender thread pickles and sends
  whatever is newest, so an unsent older picture is simply replaced, training never
  waits for the pipe, and nothing stale queues up.  In the parent a reader thread
  keeps only the newest snapshot, so :meth:`ProcessRunner.latest` is a lookup.
* :class:`SyncRunner` trains in the caller, only when asked.  Tests and the screenshot
  script use it: the same steps always give the same pictures.

Every snapshot a runner returns carries a *runner-wide* ``version`` that grows with
each new picture, across resets too (a fresh Trainer starts counting at zero again,
which would make "unchanged?" checks by version miss a reset).
"""

from __future__ import annotations

import contextlib
import dataclasses
import math
import multiprocessing
import os
import signal
import sys
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection
from typing import Any

from tui_symmetry.core.config import Config
from tui_symmetry.core.trainer import Snapshot, Trainer
from tui_symmetry.runner.protocol import RunnerError

CHUNK_SECONDS = 0.015
"""Target wall time of one chunk of steps in the child: commands wait at most this long."""

RATE_WINDOW_S = 1.0
"""steps/s is measured over roughly this much recent wall time."""


class RateMeter:
    """steps per second over a sliding window of recent (time, step) samples."""

    def __init__(
        self, window: float = RATE_WINDOW_S, clock: Callable[[], float] = time.perf_counter
    ) -> None:
        self.window = window
        self.clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def clear(self) -> None:
        self._samples.clear()

    def add(self, step: int) -> None:
        now = self.clock()
        samples = self._samples
        samples.append((now, step))
        # Keep one sample older than the window so the span always covers it.
        while len(samples) > 2 and now - samples[1][0] > self.window:
            samples.popleft()

    @property
    def value(self) -> float:
        samples = self._samples
        if len(samples) < 2:
            return 0.0
        (t0, s0), (t1, s1) = samples[0], samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


# -- the process runner --------------------------------------------------------------


class _Outbox:
    """What the child still has to send: replies in order, then only the newest picture."""

    def __init__(self) -> None:
        self._cond = threading.Condition()
        self._replies: deque[tuple] = deque()
        self._snapshot: tuple | None = None
        self._closed = False

    def reply(self, message: tuple) -> None:
        with self._cond:
            self._replies.append(message)
            self._cond.notify()

    def publish(self, message: tuple) -> None:
        with self._cond:
            self._snapshot = message  # an unsent older picture is simply dropped
            self._cond.notify()

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._cond.notify()

    def get(self) -> tuple | None:
        """The next message to send; None once closed and empty."""
        with self._cond:
            while not (self._replies or self._snapshot or self._closed):
                self._cond.wait()
            if self._replies:
                return self._replies.popleft()
            if self._snapshot is not None:
                message, self._snapshot = self._snapshot, None
                return message
            return None


def _send_loop(conn: Connection, outbox: _Outbox) -> None:
    # Sending (pickling, and blocking while the parent is slow to read) happens here,
    # not in the training loop: a big snapshot (H = 256 is a 512 KB matrix) would
    # otherwise stall training for as long as the parent takes to read it.
    try:
        while (message := outbox.get()) is not None:
            conn.send(message)
    except (BrokenPipeError, ConnectionResetError, EOFError, OSError):
        return


def _child_main(
    conn: Connection,
    config: Config,
    running: bool,
    chunk_seconds: float,
    publish_interval: float,
) -> None:
    """The training process: train in chunks, obey commands, publish newest snapshots.

    Messages in are ``(seq, command, *args)`` or ``("close",)``.  Messages out are
    ``("snap", seq, running, snapshot)``, ``("export", seq, document)`` and
    ``("error", seq, text)``, where ``seq`` is the last command handled before it.
    """
    _silence_terminal()
    outbox = _Outbox()
    sender = threading.Thread(target=_send_loop, args=(conn, outbox), daemon=True)
    sender.start()
    trainer = Trainer(config)
    seq = 0
    chunk = 8
    rate = RateMeter()
    last_publish = -math.inf
    answered = True  # publish step 0 at once
    try:
        while True:
            busy = running and not trainer.diverged
            # Block while there is nothing to do: a paused run burns no CPU.
            timeout: float | None = 0.0 if busy or answered else None
            while conn.poll(timeout):
                timeout = 0.0
                message = conn.recv()
                if message[0] == "close":
                    return
                seq, command, *args = message
                answered = True
                try:
                    if command == "play":
                        running = True
                        rate.clear()
                    elif command == "pause":
                        running = False
                        rate.clear()
                    elif command == "step":
                        trainer.step(args[0])
                    elif command == "reset":
                        trainer = Trainer(args[0])
                        rate.clear()
                    elif command == "live":
                        trainer.apply_live(**args[0])
                    elif command == "export":
                        outbox.reply(("export", seq, trainer.export()))
                    else:
                        raise ValueError(f"unknown command {command!r}")
                except Exception as exc:  # one bad command must not end the run
                    outbox.reply(("error", seq, f"{type(exc).__name__}: {exc}"))
            if running and not trainer.diverged:
                started = time.perf_counter()
                trainer.step(chunk)
                elapsed = time.perf_counter() - started
                rate.add(trainer.step_count)
                # Size the next chunk to take about chunk_seconds: commands stay prompt
                # and the per-chunk overhead stays negligible.
                if elapsed > 0:
                    scale = min(2.0, max(0.5, chunk_seconds / elapsed))
                    chunk = max(1, min(1_000_000, int(chunk * scale)))
                if trainer.diverged:
                    running = False
                    answered = True
            now = time.perf_counter()
            # Snapshots cost metrics and pickling, so while training flat out they go
            # out at the view's rate only; answers to commands go out at once.
            if answered or (running and now - last_publish >= publish_interval):
                snapshot = trainer.snapshot()
                if running:
                    snapshot = dataclasses.replace(snapshot, steps_per_s=rate.value)
                outbox.publish(("snap", seq, running, snapshot))
                last_publish = now
                answered = False
    except (EOFError, BrokenPipeError, ConnectionResetError):
        return  # the parent went away: nobody to train for
    except Exception as exc:
        # Say why before dying: the parent shows it (stderr goes nowhere, see above).
        outbox.reply(("fatal", seq, f"{type(exc).__name__}: {exc}"))
        raise SystemExit(1) from None
    finally:
        outbox.close()
        sender.join(1.0)
        conn.close()


def _silence_terminal() -> None:
    """Point the child's stdout and stderr at /dev/null, and ignore Ctrl+C.

    The child inherits the app's terminal; a stray warning printed there would land in
    the middle of the UI's drawing.  Failures are reported through the pipe instead.
    A SIGINT sent to the whole process group is the parent's to handle: it closes the
    child in order (a child dying of it first would look like a crash to restart).
    """
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    devnull = os.open(os.devnull, os.O_WRONLY)
    for fd in (1, 2):
        with contextlib.suppress(OSError):
            os.dup2(devnull, fd)
    os.close(devnull)


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


class ProcessRunner:
    """Trains in a child process (spawned, so it is safe next to the UI's threads).

    The parent's side never blocks the caller: commands are small messages down the
    pipe, and a reader thread keeps the newest snapshot in a slot that :meth:`latest`
    returns.  Only :meth:`export` waits, for the child's answer.

    ``on_answer`` (optional) is called from the reader thread whenever a snapshot that
    answers a command arrives, so a UI can redraw at once instead of at its next tick.
    """

    def __init__(
        self,
        config: Config,
        *,
        autoplay: bool = True,
        publish_hz: float = 30.0,
        chunk_seconds: float = CHUNK_SECONDS,
        start_method: str = "spawn",
        on_answer: Callable[[], None] | None = None,
    ) -> None:
        self._config = config
        self._running = autoplay
        self._publish_interval = 1.0 / publish_hz
        self._chunk_seconds = chunk_seconds
        self._context = multiprocessing.get_context(start_method)
        self.on_answer = on_answer
        self._process: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._reader: threading.Thread | None = None
        self._send_lock = threading.Lock()
        self._cond = threading.Condition()  # guards everything the reader thread writes
        self._seq = 0
        self._acked = 0
        self._reset_seq = 0
        self._version = 0
        self._incoming: Snapshot | None = None
        self._exports: dict[int, dict[str, Any]] = {}
        self._errors: list[str] = []
        self._failure: str | None = None
        self._fatal: str | None = None  # the child's last words, if it had any
        self._closing = False
        # The first picture is made here, so the app has a full frame to draw before
        # the child has even imported numpy (Trainer(config) is deterministic: the
        # child's step 0 is this very picture).
        self._snapshot = self._restamp(Trainer(config).snapshot())

    # -- properties ---------------------------------------------------------------------

    @property
    def config(self) -> Config:
        return self._config

    @property
    def running(self) -> bool:
        return self._running

    @property
    def pending(self) -> bool:
        with self._cond:
            return self._acked < self._seq and self._failure is None

    @property
    def failure(self) -> str | None:
        return self._failure

    @property
    def pid(self) -> int | None:
        """The child's process id (None before start())."""
        return self._process.pid if self._process is not None else None

    def take_errors(self) -> list[str]:
        """Errors the child reported for single commands since the last call."""
        with self._cond:
            errors, self._errors = self._errors, []
        return errors

    # -- lifecycle ------------------------------------------------------------------------

    def start(self) -> None:
        """Spawn the training process and the reader thread (no-op while running)."""
        if self._process is not None:
            return
        parent, child = self._context.Pipe(duplex=True)
        process = self._context.Process(
            target=_child_main,
            args=(child, self._config, self._running, self._chunk_seconds,
                  self._publish_interval),
            name="tui-symmetry-trainer",
            daemon=True,
        )
        with _real_std_streams():
            process.start()
        child.close()  # keep only our end, so the child's death reads as EOF
        with self._cond:
            self._seq = self._acked = self._reset_seq = 0
            self._failure = None
            self._closing = False
        self._process, self._conn = process, parent
        self._reader = threading.Thread(
            target=self._read_loop, args=(parent,), name="tui-symmetry-reader", daemon=True
        )
        self._reader.start()

    def restart(self) -> None:
        """Start a fresh child from the current config (after the old one died)."""
        self._shutdown(grace=0.2)
        with self._cond:
            self._incoming = None
        self._snapshot = self._restamp(Trainer(self._config).snapshot())
        self.start()

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
                conn.send(("close",))
        if process is not None:
            process.join(grace)
            if process.is_alive():
                process.terminate()
                process.join(1.0)
            if process.is_alive():
                process.kill()
                process.join(1.0)
        if reader is not None:
            reader.join(1.0)
        if conn is not None:
            conn.close()
        if process is not None:
            with contextlib.suppress(ValueError):
                process.close()

    # -- commands ------------------------------------------------------------------------

    def play(self) -> None:
        self._running = True
        self._send("play")

    def pause(self) -> None:
        self._running = False
        self._send("pause")

    def step(self, n: int = 1) -> None:
        if n > 0:
            self._send("step", int(n))

    def reset(self, config: Config) -> None:
        self._config = config
        seq = self._send("reset", config)
        with self._cond:
            self._reset_seq = seq
            self._incoming = None  # whatever arrived before the reset is stale now

    def apply_live(self, **changes: Any) -> Config:
        new = self._config.replace_live(**changes)
        self._config = new
        self._send("live", changes)
        return new

    def export(self, timeout: float = 5.0) -> dict[str, Any]:
        """The child's Trainer.export(), waiting up to ``timeout`` seconds for it."""
        seq = self._send("export")
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

    def latest(self) -> Snapshot:
        """The newest snapshot; never blocks and never touches the pipe."""
        with self._cond:
            incoming, self._incoming = self._incoming, None
        if incoming is not None:
            self._snapshot = self._restamp(incoming)
        return self._snapshot

    # -- plumbing ------------------------------------------------------------------------

    def _send(self, command: str, *args: Any) -> int:
        with self._send_lock:
            self._seq += 1
            seq = self._seq
            conn = self._conn
            if conn is not None and self._failure is None:
                try:
                    conn.send((seq, command, *args))
                except (OSError, ValueError):
                    self._mark_dead()
            return seq

    def _read_loop(self, conn: Connection) -> None:
        while True:
            try:
                message = conn.recv()
            except (EOFError, OSError, ValueError):
                self._mark_dead()
                return
            kind, seq = message[0], message[1]
            answered = False
            with self._cond:
                answered = seq > self._acked
                self._acked = max(self._acked, seq)
                if kind == "snap":
                    if seq >= self._reset_seq:  # older ones show the network before a reset
                        snapshot: Snapshot = message[3]
                        if snapshot.diverged and not message[2]:
                            self._running = False
                        self._incoming = snapshot
                elif kind == "export":
                    self._exports[seq] = message[2]
                elif kind == "error":
                    self._errors.append(message[2])
                elif kind == "fatal":
                    self._fatal = message[2]
                self._cond.notify_all()
            if answered and self.on_answer is not None:
                self.on_answer()

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
                f" (exit code {code})" if code is not None else ""
            ) + (f": {self._fatal}" if self._fatal else "")
            self._fatal = None
            self._cond.notify_all()

    def _restamp(self, snapshot: Snapshot) -> Snapshot:
        self._version += 1
        return dataclasses.replace(snapshot, version=self._version)

    def __enter__(self) -> ProcessRunner:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()
