"""App benchmark (docs/architecture.md): the real app in a pseudo-terminal, every figure
from one run.

It starts ``python -m tui_symmetry`` (120×40, --fps 20) under a pty, reads every byte the
app writes, and measures:

1. launch to first full frame: from fork to the first frame holding the panel titles,
   the status line and the footer; the median of LAUNCHES launches (the machine's
   noise moves one launch by a few hundred ms).  The package's bytecode is compiled
   first, as Python does on any first run (a machine with PYTHONDONTWRITEBYTECODE set
   would otherwise compile every module at every launch).
2. key press to updated screen, while training: from writing a key to the pty until the
   bytes of its effect arrive.  Space → the word "paused" in the status line (then
   space again to resume); 2 → the first frame of the loss view (its border title on
   the top row: every panel moves, a full relayout), then 0 back to all panels.
3. bytes written to the terminal per second while training in the default view.
4. training rate in the app vs the bare engine at H = 8, 64 and 256: the app's steps/s
   from the step counts in the status line it draws (first vs last in the window), the
   engine's from ``Trainer.step`` in this process over the very same steps of the same
   run (a run's cost per step changes as it goes: see engine_rate_over).  The same
   60,000 bare steps take anywhere from 3 to 4.6 s on this kind of machine, one run to
   the next, so each ratio is the median of RATE_ROUNDS (app window, engine) pairs.
5. the units and gradients views, each opened with ``--view``: bytes per second, space
   p95, and how busy the app's process and its training process keep their cores (the
   training process computes the same in every view: the views' own cost is the UI's
   share, and it takes nothing from training while it stays well under one core).

6. the digits (``--dataset digits --hidden 32``: 1,797 images of 64 pixels, ten classes,
   the table read before the first frame): launch to first frame (median of LAUNCHES);
   in the all, units (each unit's weights as a picture) and loss (the confusion matrix)
   views the bytes per second and space p95, and in the all view 2 → the loss view's
   first frame; the training rate against the bare engine as in 4, from launch and
   once the one-unit search is done (the loss plot's legend names its line: until
   then the search runs beside training, in a process of its own at a lower
   priority: runner/search.py).  And that an xor
   launch never imports the table reader (``tui_symmetry.core.tables``): the app and its
   training process run with PYTHONPROFILEIMPORTTIME, which makes Python write a line
   for every module it imports to stderr (the pty); the digits launch is the control
   that those lines arrive and name the module when it is imported.
7. a conv net on the digits (``--arch conv --filters 8``: eight 3 × 3 filters): launch to
   first frame (median of LAUNCHES); in the filters view (``--view filters``, key 6) the
   bytes per second, space p95 and → (the next image: its number on screen) p95; the
   training rate against the bare engine as in 4.
8. the experiment screen (``x``, then the first of the list: many seeds, eight runs of
   the default settings with a Xavier start, trained in a training process of their
   own), capped at 100 steps/s (``<`` twice) and run again (``r``) so that its runs
   train through every figure (flat out, 3,000 steps are done in seconds): bytes per
   second (the table is redrawn at most every 0.5 s while they train, the status line
   at every picture), and space → "paused" in its status line and back (p95).
   Its rate: the same job from Enter to "done" against ``experiment seeds --json``
   headless, whole wall times of three interleaved rounds (both include starting the
   runs' process and the matching).

Run with ``make bench`` (or ``python benchmarks/bench_app.py``).  About twelve minutes.  The
figures depend on the machine and on what else runs on it: read the ratios, and run it
on a quiet machine before comparing with the targets.
"""

from __future__ import annotations

import os

for _var in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ.setdefault(_var, "1")

import compileall  # noqa: E402
import contextlib  # noqa: E402
import fcntl  # noqa: E402
import pty  # noqa: E402
import re  # noqa: E402
import select  # noqa: E402
import signal  # noqa: E402
import statistics  # noqa: E402
import struct  # noqa: E402
import subprocess  # noqa: E402
import sys  # noqa: E402
import termios  # noqa: E402
import time  # noqa: E402
from collections.abc import Callable  # noqa: E402

import tui_symmetry  # noqa: E402
from tui_symmetry.core import Config, Trainer  # noqa: E402

COLUMNS, ROWS = 120, 40
FPS = 20
WARMUP_S = 2.0
RATE_WINDOW_S = 5.0
KEY_TRIALS = 60
LAUNCHES = 5
RATE_ROUNDS = 7
HIDDEN_SIZES = (8, 64, 256)
OTHER_VIEWS = ("units", "gradients")
"""Views measured too (bytes, space p95, cores busy), each opened with --view."""
DIGITS_ARGS = ("--dataset", "digits", "--hidden", "32")
"""The digits rows' launch (the front end reads every row: samples 1,797)."""
DIGITS_VIEWS = ("all", "units", "loss")
CONV_ARGS = ("--dataset", "digits", "--arch", "conv", "--filters", "8")
"""The conv rows' launch: eight 3 × 3 filters on every digit."""
TABLE_READER = b"tui_symmetry.core.tables"
ONE_UNIT_DRAWN = b"one unit"
"""The loss plot's legend names the one-unit line once its search is done: on the
digits that search takes seconds of CPU beside training (an upper bound found by
L-BFGS from many starts on 1,438 images) in a process of its own (runner/search.py)."""
SEARCH_TIMEOUT_S = 120.0

TARGET_RATIO = 0.8
TARGET_KEY_P95_MS = 50.0
EXPERIMENT_SETTLE_S = 1.5
"""After the experiment screen opens and restarts: its first full frame is not counted."""
TARGET_BYTES_PER_S = 40_000
TARGET_FIRST_FRAME_S = 1.0

STEP_RE = re.compile(rb"step ([\d,]+) \xc2\xb7 loss")  # "step 12,400 · loss" in UTF-8
FIRST_FRAME_MARKERS = (b"Similarity", b"Weights", b" Loss ", b"steps/s", b"palette")
CURSOR_RE = re.compile(rb"\x1b\[(\d+);(\d+)H")
SGR_RE = re.compile(rb"\x1b\[[0-9;:]*m")


def top_row_has(data: bytes, word: bytes) -> bool:
    """True when ``data`` draws the terminal's top row and ``word`` is on it."""
    for match in CURSOR_RE.finditer(data):
        if match.group(1) != b"1":
            continue
        rest = data[match.end():]
        following = CURSOR_RE.search(rest)
        row = rest[: following.start()] if following else rest
        if word in SGR_RE.sub(b"", row):
            return True
    return False


class PtyApp:
    """The app in a pseudo-terminal; every byte it writes is kept with its arrival time."""

    def first_frame(self, timeout: float = 15.0) -> bool:
        """Read until a full first frame is there."""
        return self.read_until(
            lambda: all(m in self.buffer for m in FIRST_FRAME_MARKERS), timeout)

    def __init__(self, argv: list[str]) -> None:
        self.started = time.perf_counter()
        pid, fd = pty.fork()
        if pid == 0:  # the child: become the app
            winsize = struct.pack("HHHH", ROWS, COLUMNS, 0, 0)
            fcntl.ioctl(sys.stdout.fileno(), termios.TIOCSWINSZ, winsize)
            env = dict(os.environ, TERM="xterm-256color", COLORTERM="truecolor")
            for name in ("NO_COLOR", "COLUMNS", "LINES"):  # the pty's size, not the caller's
                env.pop(name, None)
            os.execvpe(argv[0], argv, env)
        self.pid, self.fd = pid, fd
        self.chunks: list[tuple[float, bytes]] = []
        self.buffer = bytearray()

    def pump(self, seconds: float) -> None:
        """Read output for ``seconds``."""
        self.read_until(lambda: False, seconds)

    def read_until(self, done: Callable[[], bool], timeout: float) -> bool:
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
        end = time.perf_counter() + 10
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

    def rate(self, seconds: float) -> tuple[float, float, float]:
        """(steps/s, status redraws/s, bytes/s) over the next ``seconds``."""
        steps_per_s, redraws, bytes_per_s, _ = self.rate_window(seconds)
        return steps_per_s, redraws, bytes_per_s

    def rate_window(self, seconds: float
                    ) -> tuple[float, float, float, tuple[int, int] | None]:
        """rate() plus the (first, last) training step seen in the window."""
        start = time.perf_counter()
        self.pump(seconds)
        end = time.perf_counter()
        steps = self.steps_between(start, end)
        window = None
        if len(steps) >= 2:
            (t0, s0), (t1, s1) = steps[0], steps[-1]
            steps_per_s = (s1 - s0) / (t1 - t0)
            window = (s0, s1)
        else:
            steps_per_s = float("nan")
        return steps_per_s, len(steps) / (end - start), self.bytes_between(start, end) / (
            end - start), window


def app_command(config: Config, view: str = "all") -> list[str]:
    """The app's command line for ``config`` (the default one but for H, or the
    digits rows' config, whose flags are DIGITS_ARGS)."""
    flags = (list(CONV_ARGS) if getattr(config, "arch", "mlp") == "conv"
             else list(DIGITS_ARGS) if config.dataset == "digits"
             else ["--hidden", str(config.hidden)])
    return [sys.executable, "-m", "tui_symmetry", "--fps", str(FPS), *flags, "--view", view]


def digits_config() -> Config:
    """The config the app runs for DIGITS_ARGS: a table takes every row unless
    --samples is given (docs/contracts.md, "Tables")."""
    config = Config(dataset="digits", hidden=32)
    return config.replace(samples=config.shape.rows)


def engine_rate_over(config: Config, first: int, last: int) -> float:
    """Bare Trainer.step steps/s over the very steps ``first`` .. ``last`` the app trained.

    A run's cost per step changes as it goes (the loss history is recorded at every step
    early on, the split tracker works hardest while units split), so the engine must be
    timed on the same stretch of the same run for the ratio to compare like with like.
    """
    trainer = Trainer(config)
    trainer.step(first)  # untimed: get to where the app's window began
    start = time.perf_counter()
    done = trainer.step(last - first)
    return done / (time.perf_counter() - start)


def key_latency(app: PtyApp, press: bytes, arrived: Callable[[bytes], bool], undo: bytes,
                undone: Callable[[bytes], bool], trials: int) -> list[float]:
    """Milliseconds from writing ``press`` until ``arrived(output since)`` holds."""
    samples = []
    for _ in range(trials):
        app.pump(0.25)  # let training and redrawing go on between presses
        mark = len(app.buffer)
        sent = app.send(press)
        if app.read_until(lambda m=mark: arrived(bytes(app.buffer[m:])), 2.0):
            samples.append((app.chunks[-1][0] - sent) * 1000)
        mark = len(app.buffer)
        app.send(undo)
        app.read_until(lambda m=mark: undone(bytes(app.buffer[m:])), 2.0)
    return samples


def p95(values: list[float]) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(0.95 * (len(ordered) - 1)))]


def verdict(ok: bool) -> str:
    return "ok" if ok else "MISSED"


def latency_line(name: str, samples: list[float]) -> str:
    if not samples:
        return f"{name}: no answer   MISSED"
    worst = p95(samples)
    return (f"{name}: p50 {statistics.median(samples):5.1f} ms, p95 {worst:5.1f} ms  "
            f"target p95 <= {TARGET_KEY_P95_MS:.0f} ms   {verdict(worst <= TARGET_KEY_P95_MS)}"
            f"   ({len(samples)} presses)")


def cpu_seconds(pid: int) -> dict[str, float]:
    """CPU seconds used so far by the app ("ui") and by its training process ("child"),
    read from /proc (empty where there is none)."""
    def used(process: str) -> float:
        with open(f"/proc/{process}/stat") as stat:
            fields = stat.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")

    try:
        found = {"ui": used(str(pid))}
        for entry in os.listdir("/proc"):
            if entry.isdigit():
                with contextlib.suppress(OSError, IndexError, ValueError):
                    with open(f"/proc/{entry}/stat") as stat:
                        parent = int(stat.read().rsplit(")", 1)[1].split()[1])
                    if parent == pid and used(entry) > 0.1:
                        found["child"] = used(entry)  # the trainer, not the idle tracker
        return found
    except OSError:
        return {}


def launch_seconds(config: Config | None = None) -> float:
    """Seconds from fork to the first full frame of one launch (NaN: none came)."""
    app = PtyApp(app_command(config or Config()))
    try:
        if not app.first_frame():
            return float("nan")
        return app.chunks[-1][0] - app.started
    finally:
        app.close()


def rate_round(config: Config, view: str = "all", after: bytes | None = None
               ) -> tuple[float, float, tuple[int, int]] | None:
    """(app steps/s, engine steps/s over the same steps, the steps) of one app window;
    with ``after``, the window starts WARMUP_S after those bytes are first drawn."""
    app = PtyApp(app_command(config, view))
    try:
        app.first_frame()
        if after is not None:
            app.read_until(lambda: after in app.buffer, SEARCH_TIMEOUT_S)
        app.pump(WARMUP_S)
        app_rate, _, _, window = app.rate_window(RATE_WINDOW_S)
    finally:
        app.close()
    if window is None:
        return None
    return app_rate, engine_rate_over(config, *window), window


def launch_lines(config: Config | None = None, label: str = "(1)") -> list[str]:
    """(1): launch to the first frame, median of LAUNCHES."""
    launches = sorted(launch_seconds(config) for _ in range(LAUNCHES))
    first_frame_s = statistics.median(launches)
    return [f"{label} launch to first frame:  {first_frame_s:6.2f} s      target <= "
            f"{TARGET_FIRST_FRAME_S} s   {verdict(first_frame_s <= TARGET_FIRST_FRAME_S)}"
            f"   (median of {LAUNCHES}: {', '.join(f'{t:.2f}' for t in launches)})"]


def default_config_lines() -> list[str]:
    """(2) and (3): key to screen and the bytes sent, the default config."""
    config = Config(hidden=HIDDEN_SIZES[0])
    app = PtyApp(app_command(config))
    try:
        app.first_frame()
        app.pump(WARMUP_S)
        _, refresh_hz, bytes_per_s = app.rate(RATE_WINDOW_S)
        pause_ms = key_latency(app, b" ", lambda out: b"paused" in out, b" ",
                               lambda out: b"running" in out, KEY_TRIALS)
        view_ms = key_latency(app, b"2", lambda out: top_row_has(out, b" Loss "), b"0",
                              lambda out: top_row_has(out, b" Weights "), KEY_TRIALS)
    finally:
        app.close()
    return ["(2) " + latency_line("key to screen, space (pause)          ", pause_ms),
            "    " + latency_line("key to screen, 2 (view switch, relayout)", view_ms),
            f"(3) terminal output:        {bytes_per_s / 1000:6.1f} KB/s   target <= "
            f"{TARGET_BYTES_PER_S / 1000:.0f} KB/s   "
            f"{verdict(bytes_per_s <= TARGET_BYTES_PER_S)}   "
            f"({refresh_hz:.1f} status redraws/s)"]


def rate_lines(configs: list[Config] | None = None, after: bytes | None = None
               ) -> list[str]:
    """(4): the training rate in the app against the bare engine, per size."""
    lines = []
    for config in configs or [Config(hidden=hidden) for hidden in HIDDEN_SIZES]:
        hidden = config.hidden
        rounds = [r for r in (rate_round(config, after=after) for _ in range(RATE_ROUNDS))
                  if r]
        if not rounds:
            lines.append(f"(4) H = {hidden:3d}: no steps seen in the app's windows")
            continue
        ratios = sorted(app_rate / engine for app_rate, engine, _ in rounds)
        ratio = statistics.median(ratios)
        app_rate, engine, window = rounds[0]
        lines.append(f"(4) H = {hidden:3d}: ratio {ratio:4.2f} (median of "
                     f"{', '.join(f'{r:.2f}' for r in ratios)})   target >= {TARGET_RATIO}   "
                     f"{verdict(ratio >= TARGET_RATIO)}   first round: app {app_rate:,.0f}"
                     f" steps/s, engine {engine:,.0f} over steps {window[0]:,}–{window[1]:,}")
    return lines


def view_line(view: str) -> str:
    """(5): one other view's bytes, key latency and busy cores."""
    app = PtyApp(app_command(Config(hidden=HIDDEN_SIZES[0]), view))
    try:
        app.first_frame()
        app.pump(WARMUP_S)
        before = cpu_seconds(app.pid)
        started = time.perf_counter()
        _, _, bytes_per_s, _ = app.rate_window(RATE_WINDOW_S)
        after, elapsed = cpu_seconds(app.pid), time.perf_counter() - started
        pause_ms = key_latency(app, b" ", lambda out: b"paused" in out, b" ",
                               lambda out: b"running" in out, KEY_TRIALS // 2)
    finally:
        app.close()
    worst = p95(pause_ms) if pause_ms else float("nan")
    cores = ", ".join(f"{name} {(after[name] - before[name]) / elapsed:.2f}"
                      for name in before if name in after)
    return (f"(5) --view {view:9}: {bytes_per_s / 1000:5.1f} KB/s "
            f"{verdict(bytes_per_s <= TARGET_BYTES_PER_S)}, space p95 {worst:5.1f} ms "
            f"{verdict(worst <= TARGET_KEY_P95_MS)}, cores busy: {cores or 'n/a'}")


def imports_table_reader(config: Config) -> bool | None:
    """Whether a launch of ``config`` (its app and training process, run WARMUP_S
    past the first frame) imports the table reader; None: no import lines arrived."""
    os.environ["PYTHONPROFILEIMPORTTIME"] = "1"  # inherited by the pty's child only now
    try:
        app = PtyApp(app_command(config))
    finally:
        del os.environ["PYTHONPROFILEIMPORTTIME"]
    try:
        app.first_frame()
        app.pump(WARMUP_S)
    finally:
        app.close()
    if b"import time:" not in app.buffer:
        return None
    return TABLE_READER in app.buffer


def digits_view_line(config: Config, view: str) -> str:
    """(6): bytes per second and space p95 in one view of the digits run; in the all
    view also 2 → the loss view."""
    app = PtyApp(app_command(config, view))
    try:
        app.first_frame()
        app.pump(WARMUP_S)
        _, _, bytes_per_s = app.rate(RATE_WINDOW_S)
        pause_ms = key_latency(app, b" ", lambda out: b"paused" in out, b" ",
                               lambda out: b"running" in out, KEY_TRIALS // 2)
        view_ms = (key_latency(app, b"2", lambda out: top_row_has(out, b" Loss "), b"0",
                               lambda out: top_row_has(out, b" Weights "), KEY_TRIALS // 2)
                   if view == "all" else [])
    finally:
        app.close()
    line = (f"(6) digits --view {view:5}: {bytes_per_s / 1000:5.1f} KB/s "
            f"{verdict(bytes_per_s <= TARGET_BYTES_PER_S)}; "
            + latency_line("space", pause_ms))
    if view_ms:
        line += "\n                          " + latency_line("2 (loss view)", view_ms)
    return line


def digits_lines() -> list[str]:
    """(6): the digits rows, and the xor launch that must not read tables."""
    config = digits_config()
    xor, digits = imports_table_reader(Config()), imports_table_reader(config)
    seen = {None: "no import lines seen", True: "imported", False: "not imported"}
    ok = xor is False and digits is True
    return [*launch_lines(config, "(6) digits"),
            *(digits_view_line(config, view) for view in DIGITS_VIEWS),
            *(line.replace("(4)", "(6) digits, from launch:", 1)
              for line in rate_lines([config])),
            *(line.replace("(4)", "(6) digits, one-unit search done:", 1)
              for line in rate_lines([config], after=ONE_UNIT_DRAWN)),
            f"(6) table reader: xor launch {seen[xor]}, digits launch {seen[digits]} "
            f"(the control)   {verdict(ok)}"]


def conv_config() -> Config:
    """The config the app runs for CONV_ARGS (every row of the digits, as DIGITS_ARGS)."""
    config = Config(dataset="digits", arch="conv", filters=8)  # type: ignore[call-arg]
    return config.replace(samples=config.shape.rows)


def image_shown(number: int) -> Callable[[bytes], bool]:
    """Whether output holds the filters view's "image N/" of training image ``number``."""
    word = f"image {number}/".encode()
    return lambda out: word in out


def conv_view_line(config: Config) -> str:
    """(7): bytes per second, space p95 and → p95 in the filters view of a conv run."""
    app = PtyApp(app_command(config, "filters"))
    try:
        app.first_frame()
        app.pump(WARMUP_S)
        _, _, bytes_per_s = app.rate(RATE_WINDOW_S)
        pause_ms = key_latency(app, b" ", lambda out: b"paused" in out, b" ",
                               lambda out: b"running" in out, KEY_TRIALS // 2)
        right, left = b"\x1b[C", b"\x1b[D"
        image_ms = key_latency(app, right, image_shown(2), left, image_shown(1),
                               KEY_TRIALS // 2)
    finally:
        app.close()
    return (f"(7) conv --view filters: {bytes_per_s / 1000:5.1f} KB/s "
            f"{verdict(bytes_per_s <= TARGET_BYTES_PER_S)}; "
            + latency_line("space", pause_ms) + "\n                          "
            + latency_line("→ (next image)", image_ms))


def conv_lines() -> list[str]:
    """(7): the conv rows."""
    config = conv_config()
    return [*launch_lines(config, "(7) conv"), conv_view_line(config),
            *(line.replace("(4)", "(7) conv, from launch:", 1).replace(
                f"H = {config.hidden:3d}", f"K = {config.filters}")  # type: ignore[attr-defined]
              for line in rate_lines([config]))]


def experiment_line() -> str:
    """(8): the experiment screen's bytes per second while its runs train, and space."""
    app = PtyApp([sys.executable, "-m", "tui_symmetry", "--fps", str(FPS), "--init",
                  "xavier"])
    try:
        app.first_frame()
        app.send(b"x")
        app.read_until(lambda: b"Experiments (on the run" in app.buffer, 10.0)
        mark = len(app.buffer)
        app.send(b"\r")
        opened = app.read_until(lambda: b"Experiment: many seeds" in app.buffer[mark:], 10.0)
        app.send(b"<<")  # 100 steps/s: the eight runs train through every figure below
        app.pump(0.5)
        app.send(b"r")
        app.pump(EXPERIMENT_SETTLE_S)
        _, _, bytes_per_s = app.rate(RATE_WINDOW_S)
        pause_ms = key_latency(app, b" ", lambda out: b"paused" in out, b" ",
                               lambda out: b"running" in out, KEY_TRIALS // 2)
    finally:
        app.close()
    if not opened:
        return "(8) experiment screen: did not open   MISSED"
    return (f"(8) experiment screen (many seeds, 8 runs, 100 steps/s): "
            f"{bytes_per_s / 1000:5.1f} KB/s "
            f"{verdict(bytes_per_s <= TARGET_BYTES_PER_S)}; " + latency_line("space", pause_ms))


def experiment_round() -> tuple[float, float | None]:
    """One round of (8)'s rate: the wall seconds of many seeds headless, and in the app
    from Enter to "done" (None if it did not finish)."""
    start = time.perf_counter()
    subprocess.run([sys.executable, "-m", "tui_symmetry", "experiment", "seeds", "--init",
                    "xavier", "--json"], check=True, capture_output=True)
    headless_s = time.perf_counter() - start
    app = PtyApp([sys.executable, "-m", "tui_symmetry", "--fps", str(FPS), "--init", "xavier"])
    try:
        app.first_frame()
        app.send(b"x")
        app.read_until(lambda: b"Experiments (on the run" in app.buffer, 10.0)
        mark = len(app.buffer)
        start = time.perf_counter()
        app.send(b"\r")
        done = app.read_until(lambda: "of 3,000 · done".encode() in app.buffer[mark:], 120.0)
        return headless_s, (time.perf_counter() - start) if done else None
    finally:
        app.close()


def experiment_rate_line(rounds: int = 3) -> str:
    """(8): the experiment screen's rate: many seeds (8 runs of 3,000 steps, Xavier start)
    from Enter to "done" in the app against the same job headless (``experiment seeds
    --json``), whole wall times interleaved; the ratio of the two is the rate's."""
    ratios = []
    for _ in range(rounds):
        headless_s, app_s = experiment_round()
        if app_s is None:
            return "(8) experiment screen rate: the runs did not finish   MISSED"
        ratios.append(headless_s / app_s)
    ratio = statistics.median(ratios)
    return (f"(8) experiment screen rate (many seeds, 8 x 3,000 steps) vs headless: ratio "
            f"{ratio:.2f} (median of {', '.join(f'{r:.2f}' for r in ratios)})   target >= 0.8   "
            f"{verdict(ratio >= 0.8)}")


def main() -> int:
    package = os.path.dirname(tui_symmetry.__file__)
    compileall.compile_dir(package, quiet=1)
    print(f"app benchmark: {COLUMNS}x{ROWS}, --fps {FPS}, default config "
          f"(H = {', '.join(map(str, HIDDEN_SIZES))} for the rates); {os.cpu_count()} cores, "
          f"load average {os.getloadavg()[0]:.1f}; bytecode compiled")
    lines = [*launch_lines(), *default_config_lines(), *rate_lines(),
             *(view_line(view) for view in OTHER_VIEWS), *digits_lines(), *conv_lines(),
             experiment_line(), experiment_rate_line()]
    print()
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
