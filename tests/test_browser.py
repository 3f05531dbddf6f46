"""End to end in a real browser: ``tui-symmetry serve`` seen through headless Chromium.

Run with ``make test-browser`` (it installs Debian's chromium when missing); ``make
test`` leaves this file out (marker ``browser``), so it works where no browser can be
installed.  The test drives Chromium over the DevTools protocol with aiohttp's
websocket client (aiohttp comes with textual-serve): no browser download, no driver.

What the page shows is read from xterm.js's own screen buffer, the text the terminal
in the page holds.  textual-serve keeps its terminal object out of reach (a local
variable of its bundle), so a script that runs before the page's own code catches the
object when it is built: the first assignment of ``fitAddon`` on the object that owns
the terminal.  If a textual-serve upgrade renames that, the test says so plainly.

No step waits a fixed time for something to happen: every wait polls the screen until
its condition holds, with a generous deadline that only a broken run reaches.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import process_env

aiohttp = pytest.importorskip("aiohttp", reason="aiohttp (it comes with textual-serve) "
                              "drives the browser")


def find_chromium() -> str | None:
    """Debian's chromium, where it is installed."""
    found = shutil.which("chromium")
    if found is None and os.access("/usr/bin/chromium", os.X_OK):
        found = "/usr/bin/chromium"
    return found


CHROMIUM = find_chromium()

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(
        CHROMIUM is None,
        reason="no chromium on this machine: `make test-browser` installs Debian's "
        "chromium (apt-get install chromium)",
    ),
]

# Deadlines for things that take a second or two on an idle machine; only a broken
# run (or a badly overloaded one) gets near them.
START_SECONDS = 60.0
CHANGE_SECONDS = 30.0
# How long the step counter must stand still to count as paused: three changes of the
# numbers on screen while training (main_screen.NUMBERS_INTERVAL, 0.5 s).
STILL_SECONDS = 1.5
POLL_SECONDS = 0.2

CHROMIUM_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
    "--disable-component-update", "--disable-sync", "--no-first-run",
    "--remote-debugging-port=0", "--window-size=1400,900",
]

# Runs in the page before its own scripts (Page.addScriptToEvaluateOnNewDocument).
CATCH_TERMINAL = """
Object.defineProperty(Object.prototype, "fitAddon", {
  configurable: true,
  set(value) {
    Object.defineProperty(this, "fitAddon",
      {value, writable: true, configurable: true, enumerable: true});
    if (this.terminal && this.terminal.buffer) { window.__tuiTerminal = this.terminal; }
  },
});
"""

READ_SCREEN = """
(() => {
  const terminal = window.__tuiTerminal;
  if (!terminal) { return null; }
  const buffer = terminal.buffer.active;
  const lines = [];
  for (let row = 0; row < buffer.length; row++) {
    lines.push(buffer.getLine(row).translateToString(true));
  }
  return lines.join("\\n");
})()
"""

STEP = re.compile(r"\bstep ([\d,]+)")


def free_port() -> int:
    """A loopback port nobody listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def status_step(screen: str) -> int | None:
    """The step counter of the status line (its last ``step N`` on screen)."""
    found = STEP.findall(screen)
    return int(found[-1].replace(",", "")) if found else None


class DevTools:
    """The few DevTools protocol calls this test needs, over one page's websocket."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.last_id = 0

    async def call(self, method: str, **params: Any) -> dict[str, Any]:
        self.last_id += 1
        call_id = self.last_id
        await self.ws.send_json({"id": call_id, "method": method, "params": params})
        async for message in self.ws:
            answer = json.loads(message.data)
            if answer.get("id") == call_id:
                if "error" in answer:
                    raise RuntimeError(f"{method}: {answer['error']}")
                return answer["result"]
        raise RuntimeError(f"{method}: the browser closed the connection")

    async def screen(self) -> str | None:
        result = await self.call("Runtime.evaluate", expression=READ_SCREEN,
                                 returnByValue=True)
        return result["result"].get("value")

    async def press(self, key: str, code: str, key_code: int) -> None:
        """A real key press in the page: keyDown (with its text) and keyUp."""
        await self.call("Input.dispatchKeyEvent", type="keyDown", key=key, code=code,
                        text=key, windowsVirtualKeyCode=key_code)
        await self.call("Input.dispatchKeyEvent", type="keyUp", key=key, code=code,
                        windowsVirtualKeyCode=key_code)

    async def screenshot(self, path: Path) -> None:
        result = await self.call("Page.captureScreenshot")
        path.write_bytes(base64.b64decode(result["data"]))


async def wait_for(devtools: DevTools, what: str, seconds: float,
                   condition: Callable[[str], bool]) -> str:
    """Poll the screen until ``condition`` holds; fail with the last screen if never."""
    deadline = time.monotonic() + seconds
    screen = ""
    while time.monotonic() < deadline:
        screen = await devtools.screen() or ""
        if condition(screen):
            return screen
        await asyncio.sleep(POLL_SECONDS)
    pytest.fail(f"the page never showed {what} within {seconds:.0f} s; last screen:\n"
                f"{screen}")


async def wait_still(devtools: DevTools) -> int:
    """The step counter once it has stood still for STILL_SECONDS."""
    deadline = time.monotonic() + CHANGE_SECONDS
    screen = await devtools.screen() or ""
    step, since = status_step(screen), time.monotonic()
    while time.monotonic() < deadline:
        await asyncio.sleep(POLL_SECONDS)
        screen = await devtools.screen() or ""
        now = status_step(screen)
        if now != step:
            step, since = now, time.monotonic()
        elif step is not None and time.monotonic() - since >= STILL_SECONDS:
            return step
    pytest.fail(f"the step counter never stood still after pausing; last screen:\n{screen}")


def wait_listening(port: int, server: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if server.poll() is not None:
            pytest.fail(f"tui-symmetry serve exited with {server.returncode}:\n"
                        f"{log.read_text(errors='replace')}")
        with contextlib.suppress(OSError), socket.create_connection(("127.0.0.1", port), 1):
            return
        time.sleep(POLL_SECONDS)
    pytest.fail(f"tui-symmetry serve did not listen on port {port} within {START_SECONDS} s")


def devtools_port(profile: Path, browser: subprocess.Popen[bytes]) -> int:
    """The port Chromium chose for --remote-debugging-port=0 (it writes it down)."""
    marker = profile / "DevToolsActivePort"
    deadline = time.monotonic() + START_SECONDS
    while time.monotonic() < deadline:
        if browser.poll() is not None:
            pytest.fail(f"chromium exited with {browser.returncode} before it was ready")
        with contextlib.suppress(OSError, ValueError, IndexError):
            return int(marker.read_text().split()[0])
        time.sleep(POLL_SECONDS)
    pytest.fail("chromium never opened its DevTools port")


def stop(process: subprocess.Popen[bytes], first: signal.Signals) -> None:
    """End a process this test started, then whatever it left of its own session.

    The signal goes to the process alone, so it can end its children in order (and
    reap them); only what is still there afterwards is killed.
    """
    if process.poll() is None:
        process.send_signal(first)
        with contextlib.suppress(subprocess.TimeoutExpired):
            process.wait(timeout=15)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.wait(timeout=15)


@pytest.fixture
def served(tmp_path: Path) -> Any:
    """``tui-symmetry serve`` on a free loopback port: yields the page's address."""
    port = free_port()
    log = tmp_path / "serve.log"
    with log.open("wb") as out:
        server = subprocess.Popen(
            [sys.executable, "-m", "tui_symmetry", "serve", "--port", str(port)],
            cwd=tmp_path, env=process_env(), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
            start_new_session=True,
        )
    try:
        wait_listening(port, server, log)
        yield f"http://127.0.0.1:{port}/"
    finally:
        stop(server, signal.SIGINT)  # Ctrl+C: textual-serve closes every app it runs


@pytest.fixture
def chromium(tmp_path: Path) -> Any:
    """Headless Chromium with a throwaway profile: yields its DevTools port."""
    profile = tmp_path / "profile"
    profile.mkdir()
    with (tmp_path / "chromium.log").open("wb") as out:
        browser = subprocess.Popen(
            [CHROMIUM, *CHROMIUM_FLAGS, f"--user-data-dir={profile}", "about:blank"],
            stdin=subprocess.DEVNULL, stdout=out, stderr=out, start_new_session=True,
        )
    try:
        yield devtools_port(profile, browser)
    finally:
        stop(browser, signal.SIGTERM)


async def page_devtools(session: Any, port: int) -> Any:
    async with session.get(f"http://127.0.0.1:{port}/json/list") as answer:
        targets = await answer.json()
    page = next(target for target in targets if target["type"] == "page")
    return session.ws_connect(page["webSocketDebuggerUrl"], max_msg_size=0)


async def drive(url: str, port: int, shot: Path) -> dict[str, int]:
    """Open the page, see the panels, pause, press s; returns the steps seen."""
    async with aiohttp.ClientSession() as session, await page_devtools(session, port) as ws:
        devtools = DevTools(ws)
        await devtools.call("Page.enable")
        await devtools.call("Page.addScriptToEvaluateOnNewDocument", source=CATCH_TERMINAL)
        await devtools.call("Page.navigate", url=url)
        try:
            deadline = time.monotonic() + START_SECONDS
            while await devtools.screen() is None:
                if time.monotonic() > deadline:
                    pytest.fail("the page never built its terminal (textual-serve's "
                                "page changed? see CATCH_TERMINAL)")
                await asyncio.sleep(POLL_SECONDS)
            screen = await wait_for(
                devtools, "the Weights and Similarity panels and a step counter",
                START_SECONDS,
                lambda text: "Weights" in text and "Similarity" in text
                and status_step(text) is not None,
            )
            first = status_step(screen)
            assert first is not None
            # The app starts playing: the counter moves without a key.
            screen = await wait_for(devtools, "the step counter moving", CHANGE_SECONDS,
                                    lambda text: (status_step(text) or 0) > first)
            await devtools.call("Runtime.evaluate", expression="window.__tuiTerminal.focus()")
            await devtools.press(" ", "Space", 32)  # play/pause
            paused = await wait_still(devtools)
            await devtools.press("s", "KeyS", 83)  # one step
            screen = await wait_for(devtools, f"the step counter move past {paused:,}",
                                    CHANGE_SECONDS,
                                    lambda text: (status_step(text) or 0) > paused)
            stepped = status_step(screen)
            assert stepped is not None
            return {"first": first, "paused": paused, "stepped": stepped}
        finally:
            await devtools.screenshot(shot)


def test_served_app_shows_its_panels_and_answers_keys(served: str, chromium: int,
                                                      tmp_path: Path) -> None:
    steps = asyncio.run(drive(served, chromium, tmp_path / "page.png"))
    # s is one step: the counter moves by exactly one from where the pause left it.
    assert steps["stepped"] == steps["paused"] + 1, steps
