"""The honest numbers of one run, kept beside its training state for its snapshots.

A Trainer owns one :class:`Instruments`: it tells it about every step (so splits are
recorded at their exact step) and asks it for the extra snapshot fields: chance level,
the similarity measure's name, unit states, the saddle reading, the lasting splits and
merges with the raw changes of the count, and the one-unit optimum (read from its
cache; computing it is the caller's choice, see
:func:`tui_symmetry.core.one_unit.one_unit_loss`).
"""

from __future__ import annotations

import math
from collections import deque
from typing import Any

import numpy as np

from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import Config
from tui_symmetry.core.network import ParamLayout
from tui_symmetry.core.saddle import (
    OP_OVERHEAD,
    SaddleMeter,
    SaddleReading,
    forecast_split,
    spread,
)
from tui_symmetry.core.similarity import measure_name
from tui_symmetry.core.splits import SplitTracker

# Numpy calls in one training step (for the cost model of saddle readings).
STEP_OPS = 25
# Saddle readings take at most about 1/this of the training time (the app's training
# rate must stay within 0.8x of the bare engine's, pictures and all).
# Measured with a snapshot every 50-600 steps (as the app takes them): readings took
# 1.9-2.6 % of the training time at H = 8, 32, 64 and 256.
SADDLE_SHARE_INV = 50


NO_READING = -1
"""A ``max_age`` (Trainer.snapshot's ``max_reading_age``) that takes no reading now: the
picture carries the last one, at its step, or none yet (a runner's first picture, drawn
before the training process is up: a conv's reading costs over a second)."""

READINGS_KEPT = 64
"""Saddle readings kept for forecasts: a forecast compares the newest with those as far
back as it looks ahead (saddle.forecast_split)."""


UNREAD = SaddleReading(NO_READING, math.nan, None, None)
"""No reading yet: a snapshot with it has no saddle step (its words say "not read yet")."""


class Instruments:
    """Measurements of one run: splits followed every step, the rest per snapshot."""

    def __init__(self, config: Config, layout: ParamLayout, theta: np.ndarray, XT1: np.ndarray,
                 yT: np.ndarray) -> None:
        self.layout = layout
        self.splits = SplitTracker(layout, config.activation, theta)
        self.saddle = SaddleMeter(layout, XT1, yT, config.activation, config.loss)
        # The last few readings, newest last, each with the settings it was taken under.
        self._readings: deque[tuple[Config, SaddleReading]] = deque(maxlen=READINGS_KEPT)

    def observe(self, old: np.ndarray, new: np.ndarray, step: int) -> None:
        """Called after every training step with the parameters before and after it."""
        self.splits.observe(old, new, step)

    @staticmethod
    def chance_level(config: Config) -> float:
        """The expected symmetry index of the config's random start (cached per config)."""
        return symmetry_chance(config)

    def reading(self, theta: np.ndarray, step: int, config: Config, all_alike: bool,
                max_age: int | None = None) -> SaddleReading:
        """The saddle at ``step``, or at most a few steps before.

        A reading costs some Hessian-vector products.  With ``max_age`` None it is
        retaken once the steps since the last one have cost SADDLE_SHARE_INV times as
        much (by the cost model of saddle.OP_OVERHEAD), so it never takes more than
        about 1/SADDLE_SHARE_INV of the training time; ``max_age`` (steps) retakes it
        sooner, and 0 at this very step.  Always retaken after a change of settings or
        a rollback.
        """
        limit = self._stride(config)
        if max_age is not None:
            limit = min(limit, max_age)
        last = self._readings[-1] if self._readings else None
        stale = (
            last is None
            or last[0] != config
            or not 0 <= step - last[1].step < limit
        )
        if stale:
            self._take(theta, step, config, all_alike)
        return self._readings[-1][1]

    def _last_reading(self, step: int, config: Config) -> SaddleReading:
        """The newest reading of these settings at ``step`` or before, or an empty one
        (no step, no numbers: not read yet)."""
        for old_config, old in reversed(self._readings):
            if old_config == config and old.step <= step:
                return old
        return UNREAD

    def _take(self, theta: np.ndarray, step: int, config: Config, all_alike: bool) -> None:
        """A new reading, with a forecast from the earlier ones of the same settings
        (readings of steps rolled back are dropped first)."""
        readings = self._readings
        while readings and readings[-1][1].step > step:
            readings.pop()
        reading = self.saddle.measure(theta, config, step, all_alike)
        earlier = [old for old_config, old in readings if old_config == config and old.step < step]
        reading = forecast_split(earlier, reading, self.saddle.chord_at_split)
        readings.append((config, reading))

    def steps_to_reading(self, step: int, config: Config) -> int | None:
        """Steps until the trainer should take a reading on its own; None: none due.

        A forecast compares two readings, so while one is possible (the units are all
        alike and their differences grow) readings are taken at the cost model's
        spacing even when nobody takes snapshots (``train``, ``sweep``): at the same
        steps whatever the chunks a run is trained in, so its report is reproducible.
        """
        last_config, last = self._readings[-1] if self._readings else (None, None)
        if last is None or last_config != config or last.step > step:
            return 0 if self.splits.distinct == 1 else None
        if not (last.chord or last.sign_approach):  # exact copies: nothing to forecast
            return None
        return max(0, last.step + self._stride(config) - step)

    def read_on_schedule(self, theta: np.ndarray, step: int, config: Config) -> None:
        """The reading steps_to_reading() asked for."""
        self.reading(theta, step, config, self.splits.distinct == 1)

    def _stride(self, config: Config) -> int:
        layout = self.layout
        n_train = self.saddle.XT1.shape[-1]
        columns = self.saddle.XT1[0].size // max(1, n_train)  # a conv's map positions
        batch = n_train if config.batch_size == 0 else min(config.batch_size, n_train)
        step_work = STEP_OPS * (OP_OVERHEAD + layout.hidden * batch * columns)
        return max(1, math.ceil(SADDLE_SHARE_INV * self.saddle.last_work / step_work))

    def snapshot_fields(self, theta: np.ndarray, step: int, config: Config,
                        summary: dict[str, Any], max_age: int | None = 0,
                        diverged: bool = False) -> dict[str, Any]:
        """The Snapshot fields these instruments provide, at ``step``.

        ``summary`` is metrics.summarize() of the same parameters.  Splits recorded at
        later steps (a step rolled back when a run diverges) are left out.  A diverged
        run's last state is no saddle to read: its curvature would be the rounding of
        numbers far past any meaning, so it has none.  A forecast is shown only while
        every unit is alike, and never with a step already past.
        """
        alike = summary["distinct_units"] == 1
        if diverged:
            reading = SaddleReading(step, spread(summary["units"]), None, None)
        elif max_age == NO_READING:
            reading = self._last_reading(step, config)
        else:
            reading = self.reading(theta, step, config, alike, max_age)
        point, span = reading.predicted_split_step, reading.split_range
        if not alike or span is None or span[1] <= step:
            point, span = None, None
        else:
            span = (max(span[0], step + 1), span[1])
            point = point if point is not None and point > step else None
        changes = self.splits.changes(step)
        states = summary["states"]
        states.flags.writeable = False
        return {
            "similarity_measure": measure_name(config.activation),
            "unit_states": states,
            "constant_units": summary["constant_units"],
            "inactive_units": summary["inactive_units"],
            "saddle_step": reading.step if reading.step >= 0 else None,
            "spread": reading.spread,
            "saddle_curvature": reading.curvature,
            "growth_rate": reading.growth_rate,
            "predicted_split_step": point,
            "predicted_split_range": span,
            "split_step": changes.split_step,
            "splits": changes.splits,
            "merges": changes.merges,
            "not_yet_lasting": changes.not_yet_lasting,
            "unit_events": tuple(event for event in self.splits.events if event[0] <= step),
        }
