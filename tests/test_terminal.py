"""terminal.py without a terminal: the hangup signals end the app like q, then go away.

The real-terminal tests (tests/test_app.py, the end) check the exit status a signal
gives; these check the handlers themselves, in this process, in microseconds.
"""

from __future__ import annotations

import asyncio
import os
import signal
from dataclasses import dataclass

from tui_symmetry.app.terminal import (
    HANGUP_SIGNALS,
    install_hangup_handlers,
    remove_hangup_handlers,
)


@dataclass
class FakeApp:
    """What the handlers read of an App: whether it draws to a real terminal."""

    is_headless: bool


def test_a_hangup_signal_leaves_with_128_plus_its_number_until_removed() -> None:
    before = {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS}
    left: list[int] = []

    async def run() -> None:
        app = FakeApp(is_headless=False)
        install_hangup_handlers(app, left.append)  # type: ignore[arg-type]
        try:
            # Sent only once a handler is known to be there: without one SIGHUP would
            # end the test process.
            assert signal.getsignal(signal.SIGHUP) != before[signal.SIGHUP]
            os.kill(os.getpid(), signal.SIGHUP)
            for _ in range(1000):  # a few loop turns: the loop reads its wake-up fd
                if left:
                    break
                await asyncio.sleep(0)
        finally:
            remove_hangup_handlers(app)  # type: ignore[arg-type]

    asyncio.run(run())
    assert left == [128 + signal.SIGHUP]
    assert {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS} == before


def test_a_headless_app_leaves_the_signals_alone() -> None:
    before = {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS}

    async def run() -> None:
        before = {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS}  # asyncio's
        install_hangup_handlers(FakeApp(is_headless=True), print)  # type: ignore[arg-type]
        assert {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS} == before
        remove_hangup_handlers(FakeApp(is_headless=True))  # type: ignore[arg-type]

    asyncio.run(run())
    assert {signum: signal.getsignal(signum) for signum in HANGUP_SIGNALS} == before
