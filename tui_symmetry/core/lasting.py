"""Lasting splits and merges: the changes of the count of distinct units that hold.

The split tracker (core/splits.py) records every change of the number of distinct
units at its exact step, rises and falls alike: its *events* ``(step, k_before,
k_after)``.  Units whose similarity hovers at the threshold cross it back and forth,
and a crossing that is undone a few dozen steps later is not what anyone calls a
split.  The *lasting* count follows the raw count with a debounce of ``window`` steps
on every level k (docs/maths.md, "Lasting splits"):

* the count reaching k or more at step t (from below k) is a lasting split to k when
  it stays ≥ k through step t + window − 1; the split is dated t, the exact crossing;
* the count falling below k at step t is a lasting merge when it stays < k through
  step t + window − 1, dated t;
* anything else leaves the lasting level where it was.

Per level this is a two-state debounce, and the lasting count (the highest level that
is on) changes only at raw events: a rise from a to b at t lifts it to min(b, m) if
that is above it, m the least raw count over [t, t + window − 1]; a fall to b lowers it
to max(b, M), M the largest count over that window, if that is below it.  Whether a
change lasts is known ``window − 1`` steps after it; until then it is *pending*: the
change the lasting count makes if the raw count stays where it is now.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

Change = tuple[int, int, int]
"""(step, k_before, k_after) of the count of distinct units."""

LASTING_STEPS = 100
"""How long a change of the count must hold to last (the window of the module doc)."""


@dataclass(frozen=True)
class LastingChanges:
    """The lasting changes known at a step: decided ones and those still pending."""

    splits: tuple[Change, ...]
    merges: tuple[Change, ...]
    not_yet_lasting: tuple[Change, ...]

    @property
    def split_step(self) -> int | None:
        """The step of the first lasting split, or None."""
        return self.splits[0][0] if self.splits else None


class LastingCount:
    """The lasting count of one run, fed its raw events in order (cheap to ask often).

    Each event is looked at once, when its window has closed; a question costs a
    binary search and the events of the last ``window`` steps.
    """

    def __init__(self, start_count: int, window: int) -> None:
        if window < 1:
            raise ValueError("window must be at least 1 step")
        self.start_count = start_count
        self.window = window
        self._steps: list[int] = []
        self._after: list[int] = []
        self._before: list[int] = []
        self._decided: list[Change] = []
        self._decided_steps: list[int] = []
        self._next = 0  # the first event not yet decided
        self._level = start_count  # the lasting count after the decided events

    def add(self, step: int, before: int, after: int) -> None:
        """Record the raw change at ``step`` (steps strictly increasing)."""
        if self._steps and step <= self._steps[-1]:
            raise ValueError(f"events out of order: {step} after {self._steps[-1]}")
        self._steps.append(step)
        self._before.append(before)
        self._after.append(after)

    def at(self, last_step: int) -> LastingChanges:
        """The lasting changes as known at ``last_step`` (every raw event up to it added).

        Events after ``last_step`` (a step rolled back) are left out.
        """
        W = self.window
        while self._next < len(self._steps) and self._steps[self._next] + W - 1 <= last_step:
            self._decide(self._next)
            self._next += 1
        decided = self._decided[: bisect.bisect_right(self._decided_steps, last_step - W + 1)]
        level = decided[-1][2] if decided else self.start_count
        first = bisect.bisect_right(self._steps, last_step - W + 1)
        stop = bisect.bisect_right(self._steps, last_step)
        pending = _pending(self._after[first:stop], self._before[first:stop],
                           self._steps[first:stop], level)
        return LastingChanges(
            splits=tuple(c for c in decided if c[2] > c[1]),
            merges=tuple(c for c in decided if c[2] < c[1]),
            not_yet_lasting=tuple(pending),
        )

    def _decide(self, i: int) -> None:
        """The lasting change at event ``i``, whose window has closed, if any."""
        step, after, level = self._steps[i], self._after[i], self._level
        end = step + self.window - 1
        j = i
        if after > self._before[i]:  # a rise: the least count over the window
            target = after
            while j < len(self._steps) and self._steps[j] <= end and target > level:
                target = min(target, self._after[j])
                j += 1
            moved = target > level
        else:  # a fall: the largest count over the window
            target = after
            while j < len(self._steps) and self._steps[j] <= end and target < level:
                target = max(target, self._after[j])
                j += 1
            moved = target < level
        if moved:
            self._decided.append((step, level, target))
            self._decided_steps.append(step)
            self._level = target


def _pending(after: Sequence[int], before: Sequence[int], steps: Sequence[int],
             level: int) -> list[Change]:
    """The lasting changes of events whose windows are still open, if the count held.

    Each open window reaches past the last event, so its least (largest) count is the
    least (largest) count from its event to the last one.
    """
    n = len(after)
    low, high = list(after), list(after)
    for k in range(n - 2, -1, -1):
        low[k] = min(low[k], low[k + 1])
        high[k] = max(high[k], high[k + 1])
    changes = []
    for k in range(n):
        target = min(after[k], low[k]) if after[k] > before[k] else max(after[k], high[k])
        if target != level and (target > level) == (after[k] > before[k]):
            changes.append((steps[k], level, target))
            level = target
    return changes


def lasting_changes(events: Iterable[Change], start_count: int, last_step: int,
                    window: int) -> LastingChanges:
    """The lasting splits and merges of a run from its raw events (see the module doc).

    ``start_count`` is the count before the first event, ``last_step`` the last step
    the count is known at.
    """
    count = LastingCount(start_count, window)
    for step, before, after in events:
        count.add(step, before, after)
    return count.at(last_step)
