"""Shared fixtures: an app on a SyncRunner, a driver, waiting, and real child processes.

Nothing here depends on how fast the machine is: training is stepped explicitly (or a
fixed number of steps per poll), and waiting means letting Textual process its
messages a bounded number of times until a condition holds, never sleeping for a
guessed amount of wall time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import math
import os
import re
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import textual.app
import textual.constants
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

import tui_symmetry
from tui_symmetry.app import prepare_interpreter_for_ui
from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.app.widgets._throttle import FakeClock, FakeTimers  # noqa: F401 (shared)
from tui_symmetry.core import Config, Trainer, metrics
from tui_symmetry.core.network import Params
from tui_symmetry.core.snapshot import Snapshot
from tui_symmetry.runner import Runner, SyncRunner
from tui_symmetry.runner.messages import Reply, SnapshotReply
from tui_symmetry.runner.outbox import Outbox


def pytest_configure(config: pytest.Config) -> None:
    """Every test process (each xdist worker too) runs the app as ``run_app`` does, and
    in-process apps never wait for an animation.

    The interpreter tuning (garbage collection rarer, the heap frozen) cut the CPU time
    of the app tests by a quarter (paired runs).  Textual's scroll animations (Home,
    End, page keys in help and the lists) made every such key wait about a second for
    the last frame: with animations off a scroll goes straight to where it ends, the
    position the tests read.  Real processes (the pseudo-terminal tests) keep them.
    """
    prepare_interpreter_for_ui()
    textual.constants.TEXTUAL_ANIMATIONS = "none"  # read by each App as it is made


CPU_LOG = os.environ.get("TUI_SYMMETRY_TEST_CPU")
"""A file each test process appends its tests' CPU seconds to (opt-in, for finding the
suite's costs on a machine too loaded for wall time: ``benchmarks/suite_cpu.py``)."""


def _cpu_now() -> float:
    """CPU seconds (user + system) of this process and its reaped children."""
    import resource

    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    return time.process_time() + children.ru_utime + children.ru_stime


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> Any:
    """With ``TUI_SYMMETRY_TEST_CPU`` set: the CPU each test used, setup and teardown
    included (a module fixture's cost lands on the first test that asks for it)."""
    if not CPU_LOG:
        yield
        return
    start = _cpu_now()
    yield
    with open(CPU_LOG, "a") as log:  # one short line per write: workers may share the file
        log.write(f"{_cpu_now() - start:.4f}\t{item.nodeid}\n")


TEST_CONFIG = Config(samples=80, hidden=6, seed=1)
"""A small run: every step is fast, every picture is the same."""

DEFAULT_SIZE = (120, 40)

CHECKOUT = str(Path(tui_symmetry.__file__).resolve().parents[1])
"""The checkout under test, for child processes started in a scratch directory: without
it on their path they would import whichever tui_symmetry is installed."""


def process_env() -> dict[str, str]:
    """The environment for ``python -m tui_symmetry``: this checkout first on the path."""
    path = os.environ.get("PYTHONPATH")
    return {**os.environ, "PYTHONPATH": CHECKOUT + (os.pathsep + path if path else "")}


def proc_stat(pid: int | str) -> list[str]:
    """The fields of /proc/PID/stat after the command (state first); OSError when gone."""
    # The command may hold spaces: the fields start after the last ')'.
    return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()


def processes_in_session(session: int) -> list[int]:
    """Ids of live processes whose session id is ``session`` (Linux /proc)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = proc_stat(entry.name)
        except OSError:
            continue  # gone meanwhile
        if fields[0] != "Z" and int(fields[3]) == session:
            found.append(int(entry.name))
    return found


def cpu_seconds(pid: int) -> float:
    """User + system CPU time process ``pid`` has used so far (Linux /proc)."""
    fields = proc_stat(pid)
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def wait_for(predicate: Callable[[], bool], timeout: float = 180.0) -> None:
    """Poll ``predicate`` until it holds, for another process to get somewhere; fail
    the test after ``timeout`` seconds (generous: only a broken run gets near it)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            pytest.fail("condition not reached in time")
        time.sleep(0.01)

Script = Callable[[Pilot], Awaitable[None]]


class RecordingApp(SymmetryApp):
    """The app, plus a record of every notice it shows (severity, text)."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.messages: list[tuple[str, str]] = []

    def notify(self, message: str, *args: Any, severity: Any = "information",
               **kwargs: Any) -> None:
        self.messages.append((severity, str(message)))
        super().notify(message, *args, severity=severity, **kwargs)

    @property
    def errors(self) -> list[str]:
        return [text for severity, text in self.messages if severity == "error"]

    @property
    def last_message(self) -> str:
        return self.messages[-1][1] if self.messages else ""

    @property
    def status(self) -> str:
        """The status line as drawn."""
        return self.main_screen.status_bar.text

    @property
    def notice(self) -> str:
        """The notice line as drawn ("" when clear)."""
        return self.main_screen.notice_line.text


def new_app(config: Config = TEST_CONFIG, steps_per_poll: int = 0,
            runner: Runner | None = None, **kwargs: Any) -> RecordingApp:
    """An app on a deterministic SyncRunner, paused, without rates, plots drawn at once.

    Its clock stands still unless a test passes one it moves: how long a test takes
    never turns into a stall of training on screen.
    """
    options: dict[str, Any] = {"autoplay": False, "show_rates": False, "numbers_interval": 0.0,
                               "clock": FakeClock()}
    options.update(kwargs)
    return RecordingApp(
        config, runner=runner or SyncRunner(config, steps_per_poll=steps_per_poll),
        **options,
    )


def run_script(app: SymmetryApp, script: Script, size: tuple[int, int] = DEFAULT_SIZE) -> None:
    """Run ``script(pilot)`` against ``app`` in a headless terminal of ``size``."""

    async def main() -> None:
        async with app.run_test(size=size) as pilot:
            await pilot.pause()
            await script(pilot)

    asyncio.run(main())


class PanelApp(App[None]):
    """Mounts the given widgets one above the other: a panel tested on its own."""

    CSS = "Screen { layout: vertical; }"

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


def run_panels(widgets: tuple[Widget, ...] | Widget, body: Script,
               size: tuple[int, int] = (80, 24)) -> None:
    """Run ``body(pilot)`` in a :class:`PanelApp` of ``size`` holding just ``widgets``."""
    widgets = widgets if isinstance(widgets, tuple) else (widgets,)

    async def main() -> None:
        async with PanelApp(*widgets).run_test(size=size) as pilot:
            await pilot.pause()
            await body(pilot)

    asyncio.run(main())


def panel_lines(widget: Widget) -> list[str]:
    """The text of every line a Line API widget draws."""
    return [widget.render_line(y).text for y in range(widget.size.height)]


def panel_text(widget: Widget) -> str:
    """Everything a Line API widget draws, one line of text per row."""
    return "\n".join(panel_lines(widget))


def unit_line(panel: Widget, unit: int) -> str:
    """The weights heatmap row labelled ``u<unit>`` (fails when the unit is not drawn)."""
    label = re.compile(rf"^[ ▸]u{unit + 1}\b")
    rows = [line for line in panel_lines(panel)[:-1] if label.match(line)]
    assert rows, f"u{unit + 1} is not drawn:\n" + panel_text(panel)
    return rows[0]


def screen_lines(app: App) -> list[str]:
    """The text of every line on screen, as the terminal would show it."""
    return [strip.text for strip in app.screen._compositor.render_strips()]


MakeApp = Callable[..., RecordingApp]
Drive = Callable[..., None]


@pytest.fixture
def make_app() -> MakeApp:
    """:func:`new_app`: ``make_app(config, steps_per_poll=0, runner=None, **app_kwargs)``."""
    return new_app


@pytest.fixture
def drive() -> Drive:
    """:func:`run_script`: ``drive(app, script, size=(120, 40))``."""
    return run_script


async def wait_until(pilot: Pilot, predicate: Callable[[], bool], *, tries: int = 200,
                     delay: float | None = None) -> None:
    """Let the app process its messages until ``predicate()`` holds (at most ``tries``).

    ``delay`` (seconds per try) is for waiting on another process; the default waits
    on nothing but Textual's own queue.
    """
    for _ in range(tries):
        if predicate():
            return
        await pilot.pause(delay)
    if not predicate():
        pytest.fail("condition not reached")


async def _settle_once(*args: Any, **kwargs: Any) -> None:
    # Pilot waits for ~20 ms of process idleness after every key (Textual's
    # wait_for_idle); thousands of keys would spend most of a minute sleeping.
    # Yielding to the loop keeps the keys in order; tests await the screen themselves.
    for _ in range(3):
        await asyncio.sleep(0)


@pytest.fixture
def quick_keys(monkeypatch: pytest.MonkeyPatch) -> None:
    """Pilot presses keys without waiting for idleness after each (fast key bursts)."""
    monkeypatch.setattr(textual.app, "wait_for_idle", _settle_once)


# -- snapshots of small seeded runs (cached for the session: a Trainer is deterministic) --

SMALL = {"samples": 80, "hidden": 8, "seed": 1}
"""The settings of the panel tests' small run (``small_snapshot``)."""

_SNAPSHOTS: dict[tuple[Config, int, int], Snapshot] = {}

# Runs that blow up: two overflow to inf; the third grows to ~4e237 without
# overflowing, which the trainer flags as diverged too.
RUNAWAY_RUNS = {
    "sine lr 50": {"dataset": "sine", "lr": 50.0},
    "linear relu momentum lr 100": {
        "dataset": "linear", "activation": "relu", "optimizer": "momentum", "lr": 100.0,
    },
    "xavier tie 11": {"init": "xavier", "tie": 11.0},
}


@pytest.fixture
def no_one_unit_search(monkeypatch: pytest.MonkeyPatch) -> None:
    """Runs skip the one-unit search (seconds on a table) where it is not what a test
    checks: the line stays unknown, as before the search ends."""
    monkeypatch.setattr(Trainer, "learn_one_unit_loss", lambda self, *find: math.nan)


def snapshot_of(config: Config, steps: int, version: int = 0) -> Snapshot:
    """The snapshot of ``config`` after ``steps`` steps, stamped ``version`` (cached)."""
    key = (config, steps, version)
    if key not in _SNAPSHOTS:
        trainer = Trainer(config)
        trainer.step(steps)
        _SNAPSHOTS[key] = trainer.snapshot(version=version)
    return _SNAPSHOTS[key]


def small_snapshot(steps: int = 0, version: int = 0, **changes: Any) -> Snapshot:
    """A snapshot of the small seeded run (:data:`SMALL` with ``changes``)."""
    return snapshot_of(Config(**{**SMALL, **changes}), steps, version)


def symmetric(steps: int = 300) -> Snapshot:
    """Identical units (no epsilon): they stay identical, S is all ones."""
    return small_snapshot(steps, init="symmetric", epsilon=0.0)


def xavier(steps: int = 1500) -> Snapshot:
    """Independent units that end up computing different things."""
    return small_snapshot(steps, init="xavier")


def runaway(name: str) -> Snapshot:
    """A run of RUNAWAY_RUNS[name] (default settings otherwise) after it blew up."""
    snap = snapshot_of(Config(**RUNAWAY_RUNS[name]), 3000)
    # It did explode, and the trainer stopped it (a loss past DIVERGED_LOSS, or an
    # overflow) keeping the last sane state.
    assert snap.diverged and np.nanmax(snap.history["loss"]) > 1e20
    return snap


def with_params(snap: Snapshot, params: Params, version: int = 10_000) -> Snapshot:
    """``snap`` with hand-made parameters and metrics that agree with them."""
    summary = metrics.summarize(params, snap.config.activation)
    return dataclasses.replace(
        snap,
        params=params,
        version=version,
        similarity=summary["similarity"],
        dead=summary["dead"],
        symmetry_index=summary["symmetry_index"],
        distinct_units=summary["distinct_units"],
        dead_units=summary["dead_units"],
        order=np.arange(len(params.b1)),
    )


def without_weights(snap: Snapshot, unit: int, bias: float) -> Snapshot:
    """``snap`` with every weight in and out of ``unit`` set to 0 and its bias to ``bias``."""
    p = snap.params
    W1, b1, W2 = p.W1.copy(), p.b1.copy(), p.W2.copy()
    W1[unit] = 0.0
    W2[0, unit] = 0.0
    b1[unit] = bias
    return with_params(snap, Params(W1, b1, W2, p.b2.copy()))


# -- fakes that several test modules use ----------------------------------------------------

class RecordingOutbox(Outbox):
    """Keeps everything the child sends, in order, for the test to read."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[Reply] = []

    def reply(self, message: Reply) -> None:
        self.sent.append(message)

    def publish(self, message: SnapshotReply) -> None:
        self.sent.append(message)

    def snapshots(self) -> list[SnapshotReply]:
        return [m for m in self.sent if isinstance(m, SnapshotReply)]


class DyingRunner(SyncRunner):
    """A SyncRunner whose 'process' dies on demand, to test the app's recovery."""

    def __init__(self, config: Config) -> None:
        super().__init__(config)
        self.dead = False
        self.restarts = 0

    @property
    def failure(self) -> str | None:
        died = "the training process stopped unexpectedly (killed by SIGKILL)"
        return died if self.dead else None

    def restart(self) -> None:
        self.dead = False
        self.restarts += 1
        super().restart()


FAKE_RUN = Config(samples=60, hidden=4, seed=3)
"""The small run a :class:`FakeRunner` trains unless told otherwise."""


class FakeRunner(SyncRunner):
    """A SyncRunner that records the commands it gets and can be made to 'die'."""

    def __init__(self, config: Config = FAKE_RUN, steps_per_poll: int = 0) -> None:
        super().__init__(config, steps_per_poll=steps_per_poll)
        self.commands: list[tuple[Any, ...]] = []
        self.dead: str | None = None

    @property
    def failure(self) -> str | None:
        return self.dead

    def start(self) -> None:
        self.commands.append(("start",))

    def play(self, until: int | None = None) -> None:
        self.commands.append(("play",) if until is None else ("play", until))
        super().play(until)

    def pause(self) -> None:
        self.commands.append(("pause",))
        super().pause()

    def step(self, n: int = 1) -> None:
        self.commands.append(("step", n))
        super().step(n)

    def set_speed(self, steps_per_s: float | None) -> None:
        self.commands.append(("speed", steps_per_s))
        super().set_speed(steps_per_s)

    def reset(self, config: Config) -> None:
        self.commands.append(("reset", config.seed))
        super().reset(config)

    def restart(self) -> None:
        self.commands.append(("restart",))
        self.dead = None
        SyncRunner.reset(self, self.config)  # unrecorded: a restart is not a reset

    def last(self, n: int) -> list[tuple[Any, ...]]:
        return self.commands[-n:]


GRADIENT_STEP = 1e-6
"""The step of :func:`numeric_gradient`'s central differences."""


def numeric_gradient(f: Callable[[np.ndarray], float], theta: np.ndarray) -> np.ndarray:
    """Central differences of f at theta, one coordinate at a time (the second way of
    computing a gradient that the gradient tests check the analytic one against)."""
    grad = np.empty_like(theta)
    for k in range(theta.size):
        plus, minus = theta.copy(), theta.copy()
        plus[k] += GRADIENT_STEP
        minus[k] -= GRADIENT_STEP
        grad[k] = (f(plus) - f(minus)) / (2.0 * GRADIENT_STEP)
    return grad
