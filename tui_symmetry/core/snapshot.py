"""Snapshot: an immutable picture of a run at one step, and the JSON summary of it that
`train --json`, compare, sweep and the export print (docs/contracts.md)."""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import numpy as np

from tui_symmetry.core.lasting import LASTING_STEPS

if TYPE_CHECKING:
    from tui_symmetry.core.config import Config
    from tui_symmetry.core.network import Params
    from tui_symmetry.core.pictures import UnitPictures
    from tui_symmetry.core.unit_maps import UnitMaps


@dataclass(frozen=True)
class Snapshot:
    """An immutable picture of a run at one step: safe to hand to another thread.

    ``version`` is stamped by whoever takes the picture (a runner counts its pictures
    across resets); ``loss``, ``test_loss`` and ``accuracy`` are on the whole train and
    test sets without dropout, None where there is nothing to measure.
    """

    config: Config
    step: int
    version: int
    diverged: bool
    params: Params
    loss: float
    test_loss: float | None
    accuracy: float | None
    similarity: np.ndarray
    order: np.ndarray
    dead: np.ndarray
    symmetry_index: float
    chance_level: float
    distinct_units: int
    dead_units: int
    max_unit_gap: float
    history: dict[str, np.ndarray] = field(repr=False)
    steps_per_s: float = 0.0
    # The units view (core/unit_maps.py, core/gradients.py): what each unit computes,
    # and the data-loss gradient on the whole training set, per unit (H,) and pairwise
    # ‖g_i − g_j‖ (H, H), exactly 0.0 between identical units.
    unit_maps: UnitMaps | None = field(default=None, repr=False)
    # Classes (core/pictures.py): their names (() for a regression; "0", "1" for a toy),
    # the confusion matrix (K, K) of the test split (the training split without one),
    # rows the true class; and a table's units per class (and as images for digits).
    classes: tuple[str, ...] = ()
    confusion: np.ndarray | None = field(default=None, repr=False)
    pictures: UnitPictures | None = field(default=None, repr=False)
    grad_norms: np.ndarray | None = field(default=None, repr=False)
    grad_gaps: np.ndarray | None = field(default=None, repr=False)
    # The honest numbers (core/instruments.py).  chance_level above is the expected
    # symmetry index of the config's own random start (core/chance.py).
    similarity_measure: str = ""
    unit_states: np.ndarray | None = field(default=None, repr=False)  # metrics.LIVE, ...
    constant_units: int = 0
    inactive_units: int = 0
    saddle_step: int | None = None  # the step spread and saddle_* were measured at
    spread: float = math.nan
    saddle_curvature: float | None = None
    growth_rate: float | None = None
    predicted_split_step: int | None = None
    predicted_split_range: tuple[int, int] | None = None  # (first, last) step: a forecast
    # Lasting splits and merges (core/lasting.py), the changes still pending, and every
    # raw change of the count: (step, k_before, k_after).
    split_step: int | None = None
    splits: tuple[tuple[int, int, int], ...] = ()
    merges: tuple[tuple[int, int, int], ...] = ()
    not_yet_lasting: tuple[tuple[int, int, int], ...] = ()
    unit_events: tuple[tuple[int, int, int], ...] = ()
    # The best loss with identical units (core/one_unit.py), once known: the optimizer's,
    # or this run's own while its units were bit-identical where that is lower
    # (one_unit_source says which); one_unit_weights_grow: approached only as weights grow.
    one_unit_loss: float | None = None
    one_unit_source: str | None = None
    one_unit_weights_grow: bool | None = None
    one_unit_bound: str | None = None  # "exact", or "upper": a bound (core/one_unit.py)
    # A conv run's filters (core/conv.py; their kernels are pictures.images, (K, k, k)):
    # every filter's feature map φ(Wc[k] ⋆ x + bc[k]) (K, S, S) float32 on the training
    # image ``image_index`` (its pixels ``image`` (h, w) as the network reads them), with
    # its true class, the class the network gives it and the softmax probability of
    # that class.  None for an MLP.
    feature_maps: np.ndarray | None = field(default=None, repr=False)
    image_index: int | None = None
    image: np.ndarray | None = field(default=None, repr=False)
    image_label: int | None = None
    image_prediction: int | None = None
    image_confidence: float | None = None
    # The step the newest live change (Trainer.apply_live) applied before, None without
    # one: a training process handles a change some steps after the step on screen.
    live_changed_at: int | None = None

    def summary(self) -> dict[str, Any]:
        """The scalar facts that `train --json` prints (docs/contracts.md).

        JSON-ready: every non-finite number is None (JSON has no NaN or Infinity).
        """
        return {
            "config": self.config.to_dict(),
            "step": self.step,
            "loss": json_float(self.loss),
            "test_loss": json_float(self.test_loss),
            "accuracy": json_float(self.accuracy),
            "outputs": int(self.params.W2.shape[0]),
            "classes": list(self.classes),
            "confusion": None if self.confusion is None else self.confusion.tolist(),
            "symmetry_index": json_float(self.symmetry_index),
            "distinct_units": self.distinct_units,
            "dead_units": self.dead_units,
            "max_unit_gap": json_float(self.max_unit_gap),
            "diverged": self.diverged,
            **_honest_summary(self),
            "steps_per_s": float(self.steps_per_s),
        }


def _honest_summary(snap: Snapshot) -> dict[str, Any]:
    """The summary's keys for the honest numbers (JSON-ready, like the rest)."""
    efold = None
    if snap.growth_rate is not None and snap.growth_rate > 0:
        efold = 1.0 / snap.growth_rate
    return {
        "symmetry_chance": json_float(snap.chance_level),
        "similarity_measure": snap.similarity_measure,
        "constant_units": snap.constant_units,
        "inactive_units": snap.inactive_units,
        "saddle_step": snap.saddle_step,
        "spread": json_float(snap.spread),
        "saddle_curvature": json_float(snap.saddle_curvature),
        "growth_rate": json_float(snap.growth_rate),
        "efold_steps": json_float(efold),
        "predicted_split_step": snap.predicted_split_step,
        "predicted_split_range": (None if snap.predicted_split_range is None
                                  else list(snap.predicted_split_range)),
        "split_step": snap.split_step,
        "splits": [list(split) for split in snap.splits],
        "merges": [list(merge) for merge in snap.merges],
        "not_yet_lasting": [list(change) for change in snap.not_yet_lasting],
        "unit_events": [list(event) for event in snap.unit_events],
        "lasting_steps": LASTING_STEPS,
        "one_unit_loss": json_float(snap.one_unit_loss),
        "one_unit_source": snap.one_unit_source,
        "one_unit_weights_grow": snap.one_unit_weights_grow,
        "one_unit_bound": snap.one_unit_bound,
    }


def json_float(value: float | None) -> float | None:
    """``value`` as JSON can hold it: None for None, NaN and the infinities."""
    if value is None or not math.isfinite(value):
        return None
    return float(value)
