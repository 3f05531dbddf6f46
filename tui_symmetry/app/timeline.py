"""The timeline: a bounded record of the snapshots the app has shown, to look back at.

While paused, ``[`` and ``]`` walk through it and every panel shows the recorded state.
The record never grows past ``max_count`` snapshots or about ``max_bytes``: when full,
every other snapshot is dropped (the first and the newest stay), so the record always
reaches back to the start of the run, evenly spaced, and the states recorded since the
last thinning are denser (over 10⁶ steps it still holds the beginning).
"""

from __future__ import annotations

from dataclasses import fields

import numpy as np

from tui_symmetry.core.config import FIELDS
from tui_symmetry.core.snapshot import Snapshot

MAX_SNAPSHOTS = 256
MAX_BYTES = 64 * 1024 * 1024


def snapshot_nbytes(snapshot: Snapshot) -> int:
    """About how many bytes the arrays of ``snapshot`` hold (what a record costs)."""
    total = 0
    for spec in fields(snapshot):
        value = getattr(snapshot, spec.name)
        total += _nbytes(value)
    return total


def _nbytes(value: object) -> int:
    if isinstance(value, np.ndarray):
        return value.nbytes
    if isinstance(value, dict):
        return sum(_nbytes(item) for item in value.values())
    if isinstance(value, tuple | list):
        return sum(_nbytes(item) for item in value)
    if hasattr(value, "__dataclass_fields__"):  # Params, UnitMaps
        return sum(_nbytes(getattr(value, spec.name)) for spec in fields(value))  # type: ignore[arg-type]
    return 0


class Timeline:
    """Recorded snapshots, oldest first, and where the user is looking (None: live).

    Args:
        max_count: most snapshots kept.
        max_bytes: most bytes kept (as :func:`snapshot_nbytes` counts them).
    """

    def __init__(self, max_count: int = MAX_SNAPSHOTS, max_bytes: int = MAX_BYTES) -> None:
        if max_count < 2:
            raise ValueError("a timeline keeps at least 2 snapshots")
        self.max_count = max_count
        self.max_bytes = max_bytes
        self.snapshots: list[Snapshot] = []
        self.nbytes = 0
        self.position: int | None = None
        """Index of the snapshot being looked at, or None when showing the live run."""

    def record(self, snapshot: Snapshot) -> None:
        """Keep ``snapshot`` (a new network drops the states of the old one)."""
        last = self.snapshots[-1] if self.snapshots else None
        if last is not None and last.version == snapshot.version:
            return
        if last is not None and (snapshot.step < last.step or not _same_run(last, snapshot)):
            self.clear()  # a reset: the old network's states are not this one's past
        self.snapshots.append(snapshot)
        self.nbytes += snapshot_nbytes(snapshot)
        while len(self.snapshots) > 2 and (len(self.snapshots) > self.max_count
                                           or self.nbytes > self.max_bytes):
            self._thin()

    def clear(self) -> None:
        self.snapshots.clear()
        self.nbytes = 0
        self.position = None

    def _thin(self) -> None:
        """Drop every other snapshot (the first and the newest always stay)."""
        kept = self.snapshots[::2]
        if kept[-1] is not self.snapshots[-1]:
            kept.append(self.snapshots[-1])
        position = self.position
        if position is not None:  # keep looking at the same snapshot, or its neighbour
            looked_at = self.snapshots[position]
            position = next((i for i, snap in enumerate(kept) if snap.step >= looked_at.step),
                            len(kept) - 1)
        self.snapshots = kept
        self.nbytes = sum(snapshot_nbytes(snap) for snap in kept)
        self.position = position

    @property
    def live(self) -> bool:
        """True when the newest state is shown (not looking back)."""
        return self.position is None

    def move(self, delta: int) -> Snapshot | None:
        """Look ``delta`` records back (negative) or forward; None when back at live."""
        if not self.snapshots:
            return None
        last = len(self.snapshots) - 1
        position = last if self.position is None else self.position
        position = min(max(position + delta, 0), last)
        self.position = None if position == last and delta > 0 else position
        return None if self.position is None else self.snapshots[position]

    def go_live(self) -> None:
        self.position = None

    @property
    def newest(self) -> Snapshot | None:
        return self.snapshots[-1] if self.snapshots else None


def _same_run(a: Snapshot, b: Snapshot) -> bool:
    """Same network: live changes (learning rate ...) keep the run; others reset it."""
    return all(getattr(a.config, spec.name) == getattr(b.config, spec.name)
               for spec in FIELDS if not spec.live)
