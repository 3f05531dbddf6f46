"""App benchmark (docs/architecture.md): the real app in a pseudo-terminal, measured in one run.

It starts ``python -m tui_symmetry`` (the default config, 120×40, --fps 20) under a pty,
reads every byte the app writes, and measures:

1. training rate in the app vs the bare engine: the app's steps/s comes from the step
   counts in the status line it draws (first vs last in the window), the engine's from
   ``Trainer.step`` on the same config in this process, timed just before and just after
   the app run (the mean of the two, so load from other processes hits both alike).
   The number of status-line redraws per second shows the view's refresh rate.
2. key press to updated screen, while training: the time from writing a key to the pty
   until the bytes of its effect arrive: space → the word "paused" in the status line
   (then space again to resume), and 2 → the view bar of the loss view (then 0 back to
   all panels: a full relayout).
3. bytes written to the terminal per second while training in the default view.
4. launch to first full frame: from fork to the first frame holding the status line,
   the panel titles and the footer.

Run with ``make bench`` (or ``python benchmarks/bench_app.py``).  Takes about 40 s.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import fcntl  # noqa: E402
import pty  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import struct  # noqa: E402
import sys  # noqa: E402
import termios  # noqa: E402
import time  # noqa: E402

from tui_symmetry.core import Config, Trainer  # noqa: E402

COLUMNS, ROWS = 120, 40
FPS = 20
WARMUP_S = 2.0
RATE_WINDOW_S = 10.0
KEY_TRIALS = 40
ENGINE_SECONDS = 3.0

TARGET_RATIO = 0.6
TARGET_REFRESH_HZ = 15.0
TARGET_KEY_P95_MS = 50.0
TARGET_BYTES_PER_S = 40_000
TARGET_FIRST_FRAME_S = 1.5

STEP_RE = re.compile(rb"step ([\d,]+) \xc2\xb7 loss")  # "step 12,400 · loss" in UTF-8
FIRST_FRAME_MARKERS = (b"Similarity", b"Weights", b"Loss", b"steps/s", b"palette")


class PtyApp:
    """The app in a pseudo-terminal; every byte it writes is kept with its arrival time."""

    def __init__(self, argv: list[str]) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the app
            winsize = struct.pack("HHHH", ROWS, COLUMNS, 0, 0)
            fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, winsize)
            env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
            env.pop("NO_COLOR", None)
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.chunks: list[tuple[float, bytes]] = []
        self.buffer = bytearray()

    def pump(self, seconds: float) -> None:
        """Read output for ``seconds``."""
        self.read_until(lambda: False, seconds)

    def read_until(self, done, timeout: float) -> bool:
        """Read output until ``done()`` holds (True) or ``timeout`` passes (False)."""
        deadline = time.perf_counter() + timeout
        while True:
            if done():
                return True
            left = deadline - time.perf_counter()
            if left <= 0:
                return False
            ready, _, _ = select.select([self.fd], [], [], min(left, 0.05))
            if ready:
                try:
                    data = os.read(self.fd, 65536)
                except OSError:
                    return done()
                if not data:
                    return done()
                self.chunks.append((time.perf_counter(), data))
                self.buffer += data

    def send(self, keys: bytes) -> float:
        now = time.perf_counter()
        os.write(self.fd, keys)
        return now

    def close(self) -> None:
        self.send(b"q")
        end = time.perf_counter() + 5
        while time.perf_counter() < end:
            self.pump(0.1)
            pid, _ = os.waitpid(self.pid, os.WNOHANG)
            if pid:
                break
        else:
            os.kill(self.pid, signal.SIGKILL)
            os.waitpid(self.pid, 0)
        os.close(self.fd)

    def bytes_between(self, start: float, end: float) -> int:
        return sum(len(data) for t, data in self.chunks if start <= t < end)

    def steps_between(self, start: float, end: float) -> list[tuple[float, int]]:
        """(arrival time, step) of every status-line step count in the window."""
        found = []
        for t, data in self.chunks:
            if start <= t < end:
                found.extend((t, int(m.group(1).replace(b",", b""))) for m in
                             STEP_RE.finditer(data))
        return found


def engine_rate(config: Config, seconds: float) -> float:
    """Bare Trainer.step steps/s on ``config`` (after a short warm-up)."""
    trainer = Trainer(config)
    trainer.step(2000)
    done, start = 0, time.perf_counter()
    chunk = 500
    while time.perf_counter() - start < seconds:
        done += trainer.step(chunk)
    return done / (time.perf_counter() - start)


def key_latency(app: PtyApp, press: bytes, marker: bytes, undo: bytes, undo_marker: bytes,
                trials: int) -> list[float]:
    """Milliseconds from writing ``press`` until ``marker`` shows up in the output."""
    samples = []
    for _ in range(trials):
        app.pump(0.25)  # let training and redrawing go on between presses
        mark = len(app.buffer)
        sent = app.send(press)
        if app.read_until(lambda m=mark: marker in app.buffer[m:], 2.0):
            samples.append((app.chunks[-1][0] - sent) * 1000)
        mark = len(app.buffer)
        app.send(undo)
        app.read_until(lambda m=mark: undo_marker in app.buffer[m:], 2.0)
    return samples


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def main() -> int:
    config = Config()
    print(f"app benchmark: default config ({config.dataset}, H={config.hidden}, "
          f"{config.optimizer}, lr={config.lr}), {COLUMNS}x{ROWS}, --fps {FPS}")
    engine_before = engine_rate(config, ENGINE_SECONDS)

    app = PtyApp([sys.executable, "-m", "tui_symmetry", "--fps", str(FPS)])
    try:
        # (4) launch to first full frame.
        first = app.read_until(lambda: all(m in app.buffer for m in FIRST_FRAME_MARKERS), 15)
        first_frame_s = app.chunks[-1][0] - app.started if first else float("nan")

        # (1) and (3): steady state, default view, training flat out.
        app.pump(WARMUP_S)
        window_start = time.perf_counter()
        app.pump(RATE_WINDOW_S)
        window_end = time.perf_counter()
        steps = app.steps_between(window_start, window_end)
        if len(steps) >= 2:
            (t0, s0), (t1, s1) = steps[0], steps[-1]
            app_rate = (s1 - s0) / (t1 - t0)
        else:
            app_rate = float("nan")
        refresh_hz = len(steps) / (window_end - window_start)
        bytes_per_s = app.bytes_between(window_start, window_end) / (window_end - window_start)

        # (2) key press to updated screen, while training.
        pause_ms = key_latency(app, b" ", b"paused", b" ", b"running", KEY_TRIALS)
        view_ms = key_latency(app, b"2", b"3 Settings", b"0", b"Similarity", KEY_TRIALS // 2)
    finally:
        app.close()
    engine_after = engine_rate(config, ENGINE_SECONDS)
    engine = (engine_before + engine_after) / 2
    ratio = app_rate / engine

    print()
    print(f"(1) bare engine:           {engine:10,.0f} steps/s "
          f"(before {engine_before:,.0f}, after {engine_after:,.0f})")
    print(f"    app, training:         {app_rate:10,.0f} steps/s over {RATE_WINDOW_S:.0f} s")
    print(f"    ratio app / engine:    {ratio:10.2f}   target >= {TARGET_RATIO}   "
          f"{verdict(ratio >= TARGET_RATIO)}")
    print(f"    view refreshes:        {refresh_hz:10.1f} /s  target >= {TARGET_REFRESH_HZ}   "
          f"{verdict(refresh_hz >= TARGET_REFRESH_HZ)}")
    if pause_ms:
        print(f"(2) key to screen, space (pause): p50 {statistics.median(pause_ms):5.1f} ms, "
              f"p95 {p95(pause_ms):5.1f} ms  target p95 <= {TARGET_KEY_P95_MS:.0f} ms   "
              f"{verdict(p95(pause_ms) <= TARGET_KEY_P95_MS)}   ({len(pause_ms)} presses)")
    else:
        print("(2) key to screen: no answer to space   MISSED")
    if view_ms:
        print(f"    key to screen, 2 (view switch, full relayout): "
              f"p50 {statistics.median(view_ms):5.1f} ms, p95 {p95(view_ms):5.1f} ms "
              f"({len(view_ms)} presses)")
    print(f"(3) terminal output:       {bytes_per_s / 1000:10.1f} KB/s  target <= "
          f"{TARGET_BYTES_PER_S / 1000:.0f} KB/s   {verdict(bytes_per_s <= TARGET_BYTES_PER_S)}")
    print(f"(4) launch to first frame: {first_frame_s:10.2f} s     target <= "
          f"{TARGET_FIRST_FRAME_S} s   {verdict(first_frame_s <= TARGET_FIRST_FRAME_S)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
