"""Training rate: measuring it (:class:`RateMeter`) and capping it (:class:`SpeedCap`).

Both take the clock as an argument, so tests drive them with a fake one and never
depend on how fast the machine is.
"""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable

Clock = Callable[[], float]
"""Seconds from any fixed origin (``time.perf_counter``, or a fake in tests)."""

RATE_WINDOW_S = 1.0
"""steps/s is measured over roughly this much recent wall time."""

MAX_BACKLOG_S = 0.25
"""A capped run that fell behind (a busy machine) catches up at most this much time's
worth of steps at once, so it never bursts through a long backlog."""

MIN_WAIT_S = 0.005
"""Shortest nap between capped steps: at 1,000 steps/s the child wakes every 5 ms and
trains the 5 steps that are due, instead of waking 1,000 times a second."""


class RateMeter:
    """Steps per second over a sliding window of recent (time, step) samples."""

    def __init__(self, window: float = RATE_WINDOW_S, clock: Clock = time.perf_counter) -> None:
        self.window = window
        self.clock = clock
        self._samples: deque[tuple[float, int]] = deque()

    def clear(self) -> None:
        """Forget the past: the rate changed (play, pause, new cap, reset)."""
        self._samples.clear()

    def add(self, step: int) -> None:
        """Record that the run is at ``step`` now."""
        now = self.clock()
        samples = self._samples
        samples.append((now, step))
        # Keep one sample older than the window so the span always covers it.
        while len(samples) > 2 and now - samples[1][0] > self.window:
            samples.popleft()

    @property
    def value(self) -> float:
        """The measured rate; 0.0 until there are two samples."""
        samples = self._samples
        if len(samples) < 2:
            return 0.0
        (t0, s0), (t1, s1) = samples[0], samples[-1]
        return (s1 - s0) / (t1 - t0) if t1 > t0 else 0.0


class SpeedCap:
    """How many steps are due under a cap of ``steps_per_s`` (None: no cap).

    A token bucket: credit grows by ``steps_per_s`` per second of the clock and each
    step spends one.  :meth:`restart` (play, a new cap, a reset) gives one step of
    credit, so the first step comes at once instead of one interval later, and then
    at most ``1 + steps_per_s · t`` steps can run in the ``t`` seconds after it.  The
    credit is capped at :data:`MAX_BACKLOG_S` worth of steps.
    """

    def __init__(
        self,
        steps_per_s: float | None,
        clock: Clock = time.perf_counter,
        *,
        max_backlog_s: float = MAX_BACKLOG_S,
        min_wait_s: float = MIN_WAIT_S,
    ) -> None:
        if steps_per_s is not None and not (math.isfinite(steps_per_s) and steps_per_s > 0):
            raise ValueError(f"a speed cap must be a positive number of steps/s, not {steps_per_s}")
        self.steps_per_s = steps_per_s
        self.clock = clock
        self._max_credit = 1.0 if steps_per_s is None else max(1.0, steps_per_s * max_backlog_s)
        self._min_wait = min_wait_s
        self._credit = 1.0
        self._then = clock()

    @property
    def capped(self) -> bool:
        """False at full speed."""
        return self.steps_per_s is not None

    def restart(self) -> None:
        """The cap begins now: one step is due at once."""
        self._credit = 1.0
        self._then = self.clock()

    def due(self) -> int:
        """Steps that may run now (only meaningful when :attr:`capped`)."""
        self._refill()
        return math.floor(self._credit)

    def took(self, n: int) -> None:
        """``n`` steps ran."""
        self._credit -= n

    def wait(self) -> float:
        """Seconds until the next step is due (0.0 if one is due now)."""
        self._refill()
        if self.steps_per_s is None or self._credit >= 1.0:
            return 0.0
        return max(self._min_wait, (1.0 - self._credit) / self.steps_per_s)

    def _refill(self) -> None:
        now = self.clock()
        if self.steps_per_s is not None:
            gained = (now - self._then) * self.steps_per_s
            self._credit = min(self._max_credit, self._credit + max(0.0, gained))
        self._then = now
