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
from typing import Any

import numpy as np

from tui_symmetry.core.chance import symmetry_chance
from tui_symmetry.core.config import Config
from tui_symmetry.core.network import ParamLayout
from tui_symmetry.core.saddle import OP_OVERHEAD, SaddleMeter, SaddleReading
from tui_symmetry.core.similarity import measure_name
from tui_symmetry.core.splits import SplitTracker

# Numpy calls in one training step (for the cost model of saddle readings).
STEP_OPS = 25
# Saddle readings take at most about 1/this of the training time (the app's training
# rate must stay within 0.8x of the bare engine's, pictures and all).
# Measured with a snapshot every 50-600 steps (as the app takes them): readings took
# 1.9-2.6 % of the training time at H = 8, 32, 64 and 256.
SADDLE_SHARE_INV = 50


class Instruments:
    """Measurements of one run: splits followed every step, the rest per snapshot."""

    def __init__(self, config: Config, layout: ParamLayout, theta: np.ndarray, XT1: np.ndarray,
                 yT: np.ndarray) -> None:
        self.layout = layout
        self.splits = SplitTracker(layout, config.activation, theta)
        self.saddle = SaddleMeter(layout, XT1, yT, config.activation, config.is_regression)
        self._reading: tuple[Config, SaddleReading] | None = None

    def observe(self, old: np.ndarray, new: np.ndarray, step: int) -> None:
        """Called after every training step with the parameters before and after it."""
        self.splits.observe(old, new, step)

    @staticmethod
    def chance_level(config: Config) -> float:
        """The expected symmetry index of the config's random start (cached per config)."""
        return symmetry_chance(config)

    def reading(self, theta: np.ndarray, step: int, config: Config,
                all_alike: bool) -> SaddleReading:
        """The saddle at ``step``, or at most a few steps before.

        A reading costs some Hessian-vector products; it is retaken once the steps
        since the last one have cost SADDLE_SHARE_INV times as much (by the cost model
        of saddle.OP_OVERHEAD), so it never takes more than about 1/SADDLE_SHARE_INV of
        the training time, and at every snapshot for a small network.  Always
        retaken after a change of settings or a rollback.
        """
        last = self._reading
        stale = (
            last is None
            or last[0] != config
            or not 0 <= step - last[1].step < self._stride(config)
        )
        if stale:
            self._reading = (config, self.saddle.measure(theta, config, step, all_alike))
        return self._reading[1]

    def forget_reading(self) -> None:
        """Make the next reading fresh, at the step it is asked for (a report that must
        not depend on when earlier snapshots were taken)."""
        self._reading = None

    def _stride(self, config: Config) -> int:
        layout = self.layout
        n_train = self.saddle.XT1.shape[1]
        batch = n_train if config.batch_size == 0 else min(config.batch_size, n_train)
        step_work = STEP_OPS * (OP_OVERHEAD + layout.hidden * batch)
        return max(1, math.ceil(SADDLE_SHARE_INV * self.saddle.last_work / step_work))

    def snapshot_fields(self, theta: np.ndarray, step: int, config: Config,
                        summary: dict[str, Any]) -> dict[str, Any]:
        """The Snapshot fields these instruments provide, at ``step``.

        ``summary`` is metrics.summarize() of the same parameters.  Splits recorded at
        later steps (a step rolled back when a run diverges) are left out.
        """
        reading = self.reading(theta, step, config, summary["distinct_units"] == 1)
        changes = self.splits.changes(step)
        states = summary["states"]
        states.flags.writeable = False
        return {
            "similarity_measure": measure_name(config.activation),
            "unit_states": states,
            "constant_units": summary["constant_units"],
            "inactive_units": summary["inactive_units"],
            "saddle_step": reading.step,
            "spread": reading.spread,
            "saddle_curvature": reading.curvature,
            "growth_rate": reading.growth_rate,
            "predicted_split_step": reading.predicted_split_step,
            "split_step": changes.split_step,
            "splits": changes.splits,
            "merges": changes.merges,
            "not_yet_lasting": changes.not_yet_lasting,
            "unit_events": tuple(event for event in self.splits.events if event[0] <= step),
        }
