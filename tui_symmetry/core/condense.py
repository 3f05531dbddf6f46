"""Condensation at small initialization: the directions the units' input weights take.

From a tiny random start the units' incoming weights w_i (rows of W1, the bias left
out) first turn onto a few shared directions, and only later spread (Luo, Xu et al.
2021; Zhou et al. 2022).  Zhou et al. bound the number of directions at that stage by
2p, p the multiplicity of φ at 0 (φ's first p − 1 derivatives vanish there, the p-th
does not), for smooth φ with φ(0) = 0.  This module reads the directions:

* :func:`input_directions`: ŵ_i = w_i/‖w_i‖ (a zero row stays 0 and counts nowhere);
* :func:`angles`: for two inputs the angle atan2(w_i2, w_i1) of each unit;
* :func:`count_directions`: the number of distinct directions, by complete linkage on
  the signed cosine of ŵ cut at ``threshold`` (metrics.count_groups, the same rule as
  distinct units): d and −d are two directions, as in the bound;
* :func:`leading_directions`: for more inputs, each unit's |cos| to the k leading
  right singular vectors of the ŵ rows (what a picture of many inputs can show).
"""

from __future__ import annotations

import numpy as np

from tui_symmetry.core.metrics import count_groups
from tui_symmetry.core.network import ACTIVATIONS, Params

DIRECTION_THRESHOLD = 0.99
"""Two units point the same way when the cosine of their input weights is ≥ this: the
threshold of alike units (metrics.SAME_UNIT_THRESHOLD), about 8.1° apart at most."""

MULTIPLICITY_AT_ZERO: dict[str, int | None] = {
    "tanh": 1, "linear": 1, "sigmoid": None, "relu": None, "leaky_relu": None,
}
"""p for each activation where Zhou et al.'s bound applies (smooth, φ(0) = 0: tanh and
linear have φ'(0) ≠ 0, p = 1); None where it does not: sigmoid (φ(0) = 1/2), relu and
leaky relu (not smooth at 0)."""


def direction_bound(activation: str) -> int | None:
    """2p: the most directions the theory allows at the condensed stage, or None."""
    if activation not in ACTIVATIONS:
        raise ValueError(f"unknown activation {activation!r}")
    p = MULTIPLICITY_AT_ZERO.get(activation)
    return None if p is None else 2 * p


def input_directions(params: Params) -> np.ndarray:
    """(H, D): each unit's incoming weights scaled to length 1 (zero rows stay 0)."""
    W1 = np.asarray(params.W1, dtype=float)
    norms = np.linalg.norm(W1, axis=1, keepdims=True)
    return np.divide(W1, norms, out=np.zeros_like(W1), where=norms > 0)


def angles(params: Params) -> np.ndarray:
    """(H,) radians in (−π, π]: the angle of (w_i1, w_i2); two inputs only."""
    if params.W1.shape[1] != 2:
        raise ValueError(f"angles need 2 inputs, not {params.W1.shape[1]}")
    return np.arctan2(params.W1[:, 1], params.W1[:, 0])


def count_directions(params: Params, threshold: float = DIRECTION_THRESHOLD) -> int:
    """Distinct directions of the units' input weights (units with w = 0 left out)."""
    directions = input_directions(params)
    live = (directions != 0).any(axis=1)
    d = directions[live]
    return count_groups(np.clip(d @ d.T, -1.0, 1.0), threshold)


def leading_directions(params: Params, k: int = 3) -> np.ndarray:
    """(H, k'): each unit's |cos| to the k' = min(k, D, H) leading right singular
    vectors of the ŵ rows (the directions most units share)."""
    directions = input_directions(params)
    k = min(k, *directions.shape)
    _, _, Vt = np.linalg.svd(directions, full_matrices=False)
    return np.abs(directions @ Vt[:k].T)
