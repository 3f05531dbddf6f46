"""Leaving cleanly when the terminal goes away: signals and a hangup-safe driver.

SIGTERM, SIGHUP and SIGINT end the app the way ``q`` does (the training process is
stopped, Textual leaves the alternate screen, turns mouse reporting off and shows the
cursor).  When an SSH link drops, the terminal is gone before the app knows: writes
fail with EIO and reads fail too.  With Textual's own driver the app then never ended
(seen with faulthandler: its shutdown blocked for good in ``WriterThread.stop``,
queueing output that nobody writes any more), and the failed read became a crash
report.  :func:`hangup_safe_driver` makes the driver drop output once the terminal is
gone and treat a failed read as the hangup it is, so the same clean exit runs, and
resume on SIGCONT only after it suspended (a stray SIGCONT made q hang).
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
from collections.abc import Callable
from typing import Any, TextIO

from textual.app import App
from textual.driver import Driver
from textual.drivers.linux_driver import LinuxDriver

HANGUP_SIGNALS: tuple[signal.Signals, ...] = (signal.SIGTERM, signal.SIGHUP, signal.SIGINT)
"""Signals that end the app like ``q`` (exit status 128 + the signal's number)."""


def install_hangup_handlers(app: App[Any], leave: Callable[[int], None]) -> None:
    """SIGTERM, SIGHUP and SIGINT call ``leave(128 + signal)``: Textual restores the terminal.

    Only in a real terminal: a headless test must not take over the test runner's
    signals.  Called from the app's running event loop (``on_mount``).
    """
    if app.is_headless:
        return
    loop = asyncio.get_running_loop()
    for signum in HANGUP_SIGNALS:
        loop.add_signal_handler(signum, leave, 128 + signum)


def remove_hangup_handlers(app: App[Any]) -> None:
    """Undo :func:`install_hangup_handlers` (``on_unmount``)."""
    if app.is_headless:
        return
    with contextlib.suppress(RuntimeError):  # the loop is already closed
        loop = asyncio.get_running_loop()
        for signum in HANGUP_SIGNALS:
            loop.remove_signal_handler(signum)


class TolerantOutput:
    """A text stream that stops writing, silently, once the terminal has gone away."""

    def __init__(self, stream: TextIO) -> None:
        self._stream = stream
        self.gone = False
        """True after a write or flush failed: everything later is dropped."""

    def write(self, text: str) -> int:
        if not self.gone:
            try:
                return self._stream.write(text)
            except (OSError, ValueError):  # EIO / EPIPE after a hangup, or closed
                self.gone = True
        return len(text)

    def flush(self) -> None:
        if not self.gone:
            try:
                self._stream.flush()
            except (OSError, ValueError):
                self.gone = True

    def __getattr__(self, name: str) -> Any:
        return getattr(self._stream, name)


def hangup_safe_driver(base: type[Driver]) -> type[Driver]:
    """``base`` made to survive a vanished terminal (Linux / macOS drivers only)."""
    if not issubclass(base, LinuxDriver):
        return base

    class HangupSafeDriver(base):  # type: ignore[valid-type, misc]
        """The Linux driver, minus the hang when the terminal disappears."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self._suspended = False  # read by the SIGCONT handler super() installs
            super().__init__(*args, **kwargs)
            self._file = TolerantOutput(self._file)

        def suspend_application_mode(self) -> None:
            self._suspended = True
            super().suspend_application_mode()

        def resume_application_mode(self) -> None:
            self._suspended = False
            super().resume_application_mode()

        def _sigcont_application(self, *args: Any) -> None:
            # Textual resumes on every SIGCONT, suspended or not.  A stray one (kill
            # -CONT, a debugger, the kernel after a hang-up) started application mode a
            # second time: two input threads read the terminal, and q then hung for
            # ever joining the one left blocked in read().
            if self._suspended:
                super()._sigcont_application(*args)

        def _run_input_thread(self) -> None:
            try:
                self.run_input_thread()
            except OSError:
                # Reading the terminal failed: it hung up.  Say so the way the kernel
                # does, so the one signal handler ends the app.
                os.kill(os.getpid(), signal.SIGHUP)
            except BaseException:
                import rich.traceback

                self._app.call_later(self._app.panic, rich.traceback.Traceback())

    HangupSafeDriver.__name__ = HangupSafeDriver.__qualname__ = f"HangupSafe{base.__name__}"
    return HangupSafeDriver
