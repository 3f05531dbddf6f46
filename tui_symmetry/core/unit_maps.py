"""What each hidden unit computes: its activation over the input space (the units view).

For a 2-D dataset every hidden unit's activation a_i = φ(W1[i]·x + b1[i]) is sampled on
a square grid of the input plane, and the network's output (the logit) on a finer one;
for a 1-D dataset on a line of points, giving each unit's activation curve and the
network's fit.  The grid spans the data with a margin, so the points sit inside the
picture.

The maps run through the engine's own unit-major kernel (network.hidden_unit_major:
einsum rows, never BLAS), so two units with identical parameters get bit-identical
maps and identical tiles on screen.  They are made when a snapshot is taken, not per
training step, and cost well under a millisecond for H = 64 (benchmarks/bench_units.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core.data import Dataset
from tui_symmetry.core.network import (
    ACTIVATIONS,
    Activation,
    ParamLayout,
    Params,
    UnitMajorViews,
    Workspace,
    hidden_unit_major,
    with_ones,
)

MARGIN = 0.1
"""Share of the data's span added on each side of the grid."""
PLANE_SIDE = 24
"""Grid points per side of a unit's map (2-D), for up to PLANE_BUDGET // 24² units."""
PLANE_BUDGET = 64 * PLANE_SIDE**2
"""Most activation values per snapshot: beyond 64 units each map gets fewer points
(16 per side at H = 128, 12 at 256), which is all a page of small tiles can show, and
keeps the snapshot that crosses to the app small (H · side² float32 values)."""
MIN_PLANE_SIDE = 12
OUTPUT_SIDE = 32
"""Grid points per side of the output map: the one big picture of the view."""
CURVE_POINTS = 96
"""Points of each activation curve and of the fit (1-D)."""
MAX_TRAIN_POINTS = 300
MAX_TEST_POINTS = 100
"""At most this many points are carried for drawing: the first ones of the (already
shuffled) split, a uniform sample; a few hundred glyphs fill a tile anyway."""


@dataclass(frozen=True)
class UnitMaps:
    """Each hidden unit's activation and the network's output over the input space.

    2-D (``is_plane``): ``hidden`` is (H, S, S), row k at x1 = ``x1[k]`` (ascending) and
    column j at x0 = ``x0[j]``; ``output`` is the logit on its own finer grid
    (``out_x0``, ``out_x1``).  1-D: ``hidden`` is (H, G) and ``output`` the prediction
    (G,), both at ``x0``; ``x1``, ``out_x0`` and ``out_x1`` are None.  Values are
    float32 (pictures, not arithmetic); non-finite ones only for a run near overflow.

    ``train_X``/``train_y`` and ``test_X``/``test_y`` are the points to draw (a sample
    of at most MAX_TRAIN_POINTS and MAX_TEST_POINTS); ``activation`` names φ and
    ``activation_range`` is φ's range (lo, hi), infinite where φ is unbounded.
    """

    activation: str
    activation_range: tuple[float, float]
    x0: np.ndarray
    x1: np.ndarray | None
    hidden: np.ndarray
    output: np.ndarray
    out_x0: np.ndarray | None
    out_x1: np.ndarray | None
    train_X: np.ndarray
    train_y: np.ndarray
    test_X: np.ndarray
    test_y: np.ndarray

    @property
    def is_plane(self) -> bool:
        """True for a 2-D dataset (images), False for 1-D (curves)."""
        return self.x1 is not None

    @property
    def extent(self) -> tuple[float, float]:
        """(lo, hi) of the grid on every input axis (the plane is square)."""
        return float(self.x0[0]), float(self.x0[-1])


def activation_range(activation: Activation) -> tuple[float, float]:
    """φ's range (lo, hi), from φ itself at ∓infinity: (-1, 1) for tanh, (0, inf) for relu."""
    ends = np.array([-np.inf, np.inf])
    with np.errstate(invalid="ignore", over="ignore"):
        lo, hi = activation.forward(ends, np.empty(2)).tolist()
    return float(lo), float(hi)


def plane_side(hidden: int) -> int:
    """Grid points per side of a unit's map for ``hidden`` units (see PLANE_BUDGET)."""
    return max(MIN_PLANE_SIDE, min(PLANE_SIDE, math.isqrt(PLANE_BUDGET // max(hidden, 1))))


def grid_extent(data: Dataset) -> tuple[float, float]:
    """(lo, hi) covering every train and test coordinate plus MARGIN of the span."""
    coords = np.concatenate([data.X_train.ravel(), data.X_test.ravel()])
    coords = coords[np.isfinite(coords)]
    if coords.size == 0:
        return -1.0, 1.0
    lo, hi = float(coords.min()), float(coords.max())
    span = max(hi - lo, 1e-6)
    return lo - MARGIN * span, hi + MARGIN * span


def _plane(lo: float, hi: float, side: int) -> tuple[np.ndarray, np.ndarray]:
    """The axis values and the (side², 2) grid points, x0 varying fastest."""
    axis = np.linspace(lo, hi, side)
    x0, x1 = np.meshgrid(axis, axis)
    return axis, np.column_stack([x0.ravel(), x1.ravel()])


MAX_MAPPED_INPUTS = 2
"""Units are mapped over the input plane (2 inputs) or line (1); a table's D inputs have
no plane to draw, so its snapshots carry no maps."""


class UnitMapper:
    """Makes UnitMaps for one dataset and one H; the grids and buffers are built once."""

    def __init__(self, data: Dataset, hidden: int) -> None:
        self.hidden = hidden
        lo, hi = grid_extent(data)
        self._out_grid: np.ndarray | None = None
        self.out_x0: np.ndarray | None = None
        if data.X_train.shape[1] == 2:
            self.side = plane_side(hidden)
            axis, unit_points = _plane(lo, hi, self.side)
            out_axis, out_points = _plane(lo, hi, OUTPUT_SIDE)
            self.out_x0 = _frozen(out_axis)
            self._out_grid = with_ones(out_points)
            self._out_ws = Workspace(hidden, OUTPUT_SIDE**2)
        else:
            self.side = CURVE_POINTS
            axis = np.linspace(lo, hi, CURVE_POINTS)
            unit_points = axis[:, None]
        self.x0 = _frozen(axis)
        self._unit_grid = with_ones(unit_points)
        self._unit_ws = Workspace(hidden, self._unit_grid.shape[1])
        # X (n, D) and y (n,) of each split, cut to the points worth drawing.
        self._points = [
            _frozen(part)
            for X, y, cap in ((data.X_train, data.y_train, MAX_TRAIN_POINTS),
                              (data.X_test, data.y_test, MAX_TEST_POINTS))
            for part in (X[:cap], y[:cap, 0])
        ]

    def maps(self, p: UnitMajorViews, activation: str) -> UnitMaps:
        """The maps of the parameters ``p`` (the engine's unit-major views)."""
        act = ACTIVATIONS[activation]
        with np.errstate(over="ignore", invalid="ignore"):
            _, aT = hidden_unit_major(p, self._unit_grid, act, self._unit_ws)
            hidden = aT.astype(np.float32)
            if self._out_grid is None:  # 1-D: the fit on the same points as the curves
                a_out = aT
            else:
                _, a_out = hidden_unit_major(p, self._out_grid, act, self._out_ws)
                hidden = hidden.reshape(self.hidden, self.side, self.side)
            out = p.W2 @ a_out
            out += p.b2
        output = out[0].astype(np.float32)
        if self._out_grid is not None:
            output = output.reshape(OUTPUT_SIDE, OUTPUT_SIDE)
        hidden.flags.writeable = output.flags.writeable = False
        x1 = None if self._out_grid is None else self.x0
        return UnitMaps(activation, activation_range(act), self.x0, x1, hidden, output,
                        self.out_x0, self.out_x0, *self._points)


def unit_maps(params: Params, data: Dataset, activation: str) -> UnitMaps:
    """The maps of ``params`` over ``data``'s input space (a one-off UnitMapper)."""
    hidden, inputs = params.W1.shape
    layout = ParamLayout(hidden, inputs)
    return UnitMapper(data, hidden).maps(UnitMajorViews(layout, layout.pack(params)),
                                         activation)


def _frozen(array: np.ndarray) -> np.ndarray:
    """A read-only C-ordered copy: a snapshot's arrays are never written."""
    copy = np.array(array, order="C")
    copy.flags.writeable = False
    return copy
