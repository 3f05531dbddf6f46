"""A run's scalars over training (loss, test loss, symmetry index, spread), in memory
that stays flat however long the run goes."""

from __future__ import annotations

import math

import numpy as np

HISTORY_CAPACITY = 1024
HISTORY_FIELDS = ("step", "loss", "test_loss", "symmetry_index", "spread")


class History:
    """Scalars over training in a fixed-size buffer whose resolution halves as it fills.

    Points are kept at every ``stride``-th step.  When the buffer is full, every other
    point is dropped and the stride doubles, so memory stays flat however long a run
    goes and the whole run is always covered.
    """

    def __init__(self, capacity: int = HISTORY_CAPACITY) -> None:
        if capacity < 2 or capacity % 2:
            raise ValueError("capacity must be an even number >= 2")
        self.capacity = capacity
        self.stride = 1
        self.size = 0
        self.step = np.zeros(capacity, dtype=np.int64)
        self.values = np.zeros((len(HISTORY_FIELDS) - 1, capacity))  # all but the step

    def next_step(self) -> int:
        """The next step that will be recorded."""
        if self.size == 0:
            return 0
        last = int(self.step[self.size - 1])
        return last + self.stride

    def append(self, step: int, loss: float, test_loss: float, symmetry: float,
               spread: float = math.nan) -> None:
        """Record a point; steps off the current grid (before next_step()) are ignored.

        ``spread`` is ‖U − ū‖ of the units (core/saddle.py): its log grows linearly
        near the symmetric saddle, at the rate the saddle instrument predicts.
        """
        if step < self.next_step() or step % self.stride:
            return
        if self.size == self.capacity:
            half = self.capacity // 2
            self.step[:half] = self.step[0::2]
            self.values[:, :half] = self.values[:, 0::2]
            self.size = half
            self.stride *= 2
            if step < self.next_step():
                return
        self.step[self.size] = step
        self.values[:, self.size] = (loss, test_loss, symmetry, spread)
        self.size += 1

    def arrays(self) -> dict[str, np.ndarray]:
        """Read-only copies of the recorded points."""
        out = {"step": self.step[: self.size].copy()}
        for name, row in zip(HISTORY_FIELDS[1:], self.values, strict=True):
            out[name] = row[: self.size].copy()
        for array in out.values():
            array.flags.writeable = False
        return out

    @property
    def nbytes(self) -> int:
        return self.step.nbytes + self.values.nbytes
