"""What hidden units compute, compared: the function-space similarity of a snapshot's
units, with its own order, symmetry index and count of distinct units.

A snapshot carries the weight-space measure (core/metrics.py); this one is derived from
its parameters and its config's training inputs (core/similarity.py
``function_similarity``).  It lives in a module of its own because it needs
core/metrics.py, which imports core/similarity.py.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np

from tui_symmetry.core import metrics
from tui_symmetry.core.data import data_key, make_dataset
from tui_symmetry.core.model import model_for
from tui_symmetry.core.similarity import function_similarity

if TYPE_CHECKING:
    from tui_symmetry.core.snapshot import Snapshot


@dataclass(frozen=True, eq=False)
class SpaceView:
    """The similarity of a snapshot's units in one space, and what is read from it."""

    similarity: np.ndarray
    order: np.ndarray
    symmetry_index: float
    distinct_units: int

    @classmethod
    def of_weights(cls, snap: Snapshot) -> SpaceView:
        """The weight-space measure the snapshot itself carries."""
        return cls(snap.similarity, snap.order, snap.symmetry_index, snap.distinct_units)


class FunctionSpace:
    """The similarity of what units compute (correlation of v·a over the training
    inputs), for snapshot after snapshot of a run.

    The training inputs are rebuilt only when the data settings change; the order is
    carried from one snapshot to the next (metrics.similarity_order), so groups keep
    their places; one H×N product per snapshot.
    """

    def __init__(self) -> None:
        self._data_key: tuple | None = None
        self._XT1 = np.ones((1, 0))
        self._order: np.ndarray | None = None
        self._views: dict[tuple, SpaceView] = {}

    def of(self, snap: Snapshot) -> SpaceView:
        """similarity, order, symmetry_index and distinct_units of ``snap``'s units."""
        key = (snap.version, snap.step, snap.config)
        view = self._views.get(key)
        if view is not None:
            return view
        config = snap.config
        data = data_key(config)
        if data != self._data_key:
            self._XT1 = model_for(config).inputs(make_dataset(config).X_train)
            self._data_key = data
        p = snap.params
        block = np.column_stack([p.W1, p.b1])
        S = function_similarity(block, metrics.outgoing_weights(p), config.activation,
                                self._XT1)
        live = ~np.asarray(snap.dead, dtype=bool)
        self._order = metrics.similarity_order(S, self._order)
        view = SpaceView(S, self._order, metrics.symmetry_index(S, live),
                         metrics.distinct_units(S, live))
        if len(self._views) >= 2:  # the snapshot drawn and the one printed
            self._views.clear()
        self._views[key] = view
        return view
