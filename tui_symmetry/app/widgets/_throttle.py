"""The one redraw throttle: at most one update per interval, or a byte budget.

Printed numbers change with every training step and pictures cost bytes on every
change, so the panels hold updates back and bring them up to date with one trailing
update.  :class:`Throttle` is that rule for all of them: ``due()`` says whether an update
may happen now, ``spend()`` records one, and ``hold()`` schedules the trailing update
(once) when it may not.  Time comes from an injected clock and the trailing update from
an injected ``schedule``, so a test drives both without waiting on the wall clock
(:class:`FakeClock` and :class:`FakeTimers`, which tests and benchmarks share).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import Any, Protocol

Clock = Callable[[], float]
"""Seconds from an arbitrary origin (``time.monotonic``, or a test's fake clock)."""

Schedule = Callable[[float, Callable[[], None]], Callable[[], None]]
"""``schedule(delay, fn)`` calls ``fn`` once after ``delay`` seconds; it returns a
function that cancels the call (a widget's ``set_timer(...).stop``)."""

Limit = float | Callable[[], float]
"""An interval or a rate, or a function read at each check (a value that depends on
whether the app is headless, or a public attribute a test may change)."""


def _reader(limit: Limit) -> Callable[[], float]:
    """``limit`` as a function (a number is read as itself)."""
    if callable(limit):
        return limit
    value = float(limit)
    return lambda: value


class Throttle:
    """When an update may happen: an interval between updates or a token bucket.

    Build one with :meth:`every` (at most one update per ``interval`` seconds) or
    :meth:`budget` (updates cost bytes; ``rate`` bytes per second, ``burst`` seconds of
    them saved up).  A limit of 0 or less means no throttle: always due.
    """

    def __init__(self, clock: Clock, *, interval: Limit | None = None,
                 rate: Limit | None = None, burst: float = 1.0) -> None:
        if (interval is None) == (rate is None):
            raise ValueError("a throttle has an interval or a rate, not both")
        self._clock = clock
        self._interval = None if interval is None else _reader(interval)
        self._rate = None if rate is None else _reader(rate)
        self._burst = burst
        self._last = -math.inf  # every: the time of the last update
        self.tokens = 0.0  # budget: bytes that may be spent now (negative: in debt)
        self._token_time: float | None = None
        self._cancel: Callable[[], None] | None = None

    @classmethod
    def every(cls, interval: Limit, clock: Clock) -> Throttle:
        """At most one update per ``interval`` seconds."""
        return cls(clock, interval=interval)

    @classmethod
    def budget(cls, rate: Limit, burst: float, clock: Clock) -> Throttle:
        """Updates paid from a bucket of ``rate`` per second that holds ``burst`` seconds'
        worth; the first check finds it full, and a spend may leave it in debt."""
        return cls(clock, rate=rate, burst=burst)

    def wait(self) -> float:
        """Seconds until an update may happen (0 or less: now)."""
        now = self._clock()
        if self._interval is not None:
            interval = self._interval()
            return -math.inf if interval <= 0 else self._last + interval - now
        rate = self._rate() if self._rate is not None else 0.0
        if rate <= 0:
            return -math.inf
        capacity = rate * self._burst
        if self._token_time is None:
            self.tokens = capacity
        else:  # refilling twice at one time adds nothing: wait() may be asked again
            self.tokens = min(capacity, self.tokens + (now - self._token_time) * rate)
        self._token_time = now
        return -self.tokens / rate

    def due(self) -> bool:
        """May an update happen now?"""
        if self._interval is not None:
            # Asked as "has the interval passed" (not "wait() <= 0"): at an exact boundary
            # the two can differ in the last bit, and the numbers' schedule is kept.
            interval = self._interval()
            return interval <= 0 or self._clock() - self._last >= interval
        return self.wait() <= 0

    def spend(self, cost: float = 1.0) -> None:
        """Record an update: an interval starts now, or ``cost`` leaves the bucket."""
        if self._interval is not None:
            self._last = self._clock()
        elif self._rate is not None and self._rate() > 0:
            self.tokens -= cost

    def hold(self, flush: Callable[[], None], schedule: Schedule) -> None:
        """Call ``flush`` once the update is due (a trailing update; one at a time)."""
        if self._cancel is not None:
            return

        def fire() -> None:
            self._cancel = None
            flush()

        self._cancel = schedule(max(self.wait(), 0.0), fire)

    def cancel(self) -> None:
        """Drop the trailing update, if one is scheduled."""
        if self._cancel is not None:
            cancel, self._cancel = self._cancel, None
            cancel()

    @property
    def pending(self) -> bool:
        """True while a trailing update is scheduled."""
        return self._cancel is not None


def timer_schedule(widget: _Timers, name: str | None = None) -> Schedule:
    """The schedule of a mounted widget: a Textual timer (``name`` shows in its repr)."""
    return lambda delay, fn: widget.set_timer(delay, fn, name=name).stop


class _Timers(Protocol):
    """What :func:`timer_schedule` needs of a widget (Textual's ``set_timer``)."""

    def set_timer(self, delay: float, callback: Callable[[], None], *,
                  name: str | None = None) -> Any: ...


class FakeClock:
    """A clock that moves only when told to (``start`` seconds at first): the
    :data:`Clock` of tests and benchmarks, which must not depend on the machine's speed."""

    def __init__(self, start: float = 1000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` on."""
        self.now += seconds


class FakeTimers:
    """Timers on a fake clock: :meth:`schedule` is a widget's injected
    :data:`Schedule`, and the calls it holds run only when the clock has reached them
    and :meth:`fire_due` is called (a test, or a benchmark's simulated frames)."""

    def __init__(self, clock: Clock) -> None:
        self.clock = clock
        self.waiting: list[tuple[float, int, Callable[[], None]]] = []
        self._count = 0

    def schedule(self, delay: float, fn: Callable[[], None]) -> Callable[[], None]:
        """Call ``fn`` once ``delay`` seconds have passed on the clock; returns a cancel."""
        self._count += 1
        entry = (self.clock() + delay, self._count, fn)
        self.waiting.append(entry)

        def cancel() -> None:
            if entry in self.waiting:
                self.waiting.remove(entry)

        return cancel

    def fire_due(self) -> int:
        """Run every call whose time has come, earliest first; how many ran."""
        fired = 0
        while due := sorted(entry for entry in self.waiting if entry[0] <= self.clock()):
            entry = due[0]
            self.waiting.remove(entry)
            entry[2]()
            fired += 1
        return fired
