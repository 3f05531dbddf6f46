"""Shared fixtures: an app on a SyncRunner, a driver, waiting, and real child processes.

Nothing here depends on how fast the machine is: training is stepped explicitly (or a
fixed number of steps per poll), and waiting means letting Textual process its
messages a bounded number of times until a condition holds, never sleeping for a
guessed amount of wall time.
"""

from __future__ import annotations

import asyncio
import os
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
import textual.app
from textual.app import App, ComposeResult
from textual.pilot import Pilot
from textual.widget import Widget

import tui_symmetry
from tui_symmetry.app.app import SymmetryApp
from tui_symmetry.core import Config
from tui_symmetry.runner import Runner, SyncRunner

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


class FakeClock:
    """A clock that moves only when told to (``start`` seconds at first)."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


class PanelApp(App[None]):
    """Mounts the given widgets one above the other: a panel tested on its own."""

    CSS = "Screen { layout: vertical; }"

    def __init__(self, *widgets: Widget) -> None:
        super().__init__()
        self.widgets = widgets

    def compose(self) -> ComposeResult:
        yield from self.widgets


def run_panels(widgets: tuple[Widget, ...] | Widget, body: Script,
               size: tuple[int, int]) -> None:
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
