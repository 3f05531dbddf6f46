"""Per-unit gradients: how hard, and how differently, the loss pushes each hidden unit.

Unit i's gradient is g_i = [dW1[i, :], db1[i], dW2[:, i]], the derivative of the loss
with respect to the unit vector u_i of docs/contracts.md ("Metrics").  Two units with
identical parameters get identical gradients (docs/maths.md, "Why identical units stay
identical"), so the gap ‖g_i − g_j‖ is exactly 0.0 while they are copies; it is the
first place a split shows.

Which gradient: the *data loss* on the whole training set, without dropout and without
the penalties.  The penalties are left out because the question is what the data does
to the units (L2, L1 and the tie treat copies alike anyway), and dropout masks, gradient
noise and minibatches because they are random: they would make copies look different
for one step and not for the next.  On the full set the numbers depend only on the
state, so a paused or recorded state always shows the same gaps.
"""

from __future__ import annotations

import numpy as np

from tui_symmetry.core.metrics import unit_vectors
from tui_symmetry.core.network import Params, loss_and_grads


def unit_gradients(params: Params, X: np.ndarray, y: np.ndarray, activation: str,
                   loss: str) -> np.ndarray:
    """(H, D + 1 + C): row i is g_i, the data-loss gradient of unit i on X (N, D) and y
    (what network.loss_and_grads takes for ``loss``)."""
    _, grads = loss_and_grads(params, X, y, activation, loss)
    return unit_vectors(grads)


def gradient_norms(unit_grads: np.ndarray) -> np.ndarray:
    """(H,): ‖g_i‖, equal for equal rows (every row is reduced the same way)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.sqrt(np.einsum("hk,hk->h", unit_grads, unit_grads, optimize=False))


def gradient_gaps(unit_grads: np.ndarray) -> np.ndarray:
    """(H, H) float32: ‖g_i − g_j‖, exactly 0.0 if and only if rows i and j are equal.

    The differences are formed entry by entry, not from norms and dot products, whose
    rounding would leave a tiny nonzero gap between equal rows.  The result is float32
    (half the bytes a snapshot carries across to the app; a picture needs no more), and
    a gap too small for it (or whose square underflows) is kept at float32's smallest
    positive value, so that 0.0 means "identical" and nothing else.
    """
    hidden = unit_grads.shape[0]
    squares = np.zeros((hidden, hidden))
    diff = np.empty((hidden, hidden))
    with np.errstate(over="ignore", invalid="ignore"):
        for column in unit_grads.T:
            np.subtract.outer(column, column, out=diff)
            np.multiply(diff, diff, out=diff)
            squares += diff
        gaps = np.sqrt(squares, out=squares).astype(np.float32)
    zero = gaps == 0
    if np.count_nonzero(zero) > hidden:  # zeros beyond the diagonal: copies, or underflow
        # Equal rows share an id, unequal ones do not.
        _, row_id = np.unique(unit_grads, axis=0, return_inverse=True)
        row_id = row_id.reshape(-1)
        gaps[zero & (row_id[:, None] != row_id[None, :])] = np.nextafter(np.float32(0),
                                                                          np.float32(1))
    return gaps
