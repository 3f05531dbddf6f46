"""The loss barrier between two runs, before and after B's units are matched to A's
(docs/maths.md, "The barrier between two runs").

Two runs of one configuration from different starts reach similar losses with
different units.  Along the straight line θ(t) = (1 − t)·θ_A + t·θ_B the loss rises; its
*height* is the largest rise above the straight line between the two end losses,
max_t L(θ(t)) − ((1 − t)·L_A + t·L_B) (Entezari et al. 2022).  Hidden units have no
names, so B with its units reordered to A's (and, for odd activations, each matched
unit turned to A's sign) is the same network as B; the line to that B is another line,
and the barrier along it is usually far lower (Ainsworth et al. 2023, "Git Re-Basin":
weight matching).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core import metrics
from tui_symmetry.core.matching import assign, cross_similarity
from tui_symmetry.core.network import Params, loss_and_grads
from tui_symmetry.core.similarity import row_directions, sign_flip, symmetry_of

TS = np.round(np.linspace(0.0, 1.0, 21), 12)
"""The points t of the line where the loss is read (both ends included)."""

LossOf = Callable[[Params], float]


@dataclass(frozen=True, eq=False)
class Barrier:
    """The loss along θ(t) and the barrier's height."""

    t: np.ndarray
    losses: np.ndarray

    @property
    def height(self) -> float:
        """max_t L(θ(t)) − ((1 − t)·L(θ(0)) + t·L(θ(1))): 0 for a loss that never rises
        above the straight line between its ends."""
        line = (1.0 - self.t) * self.losses[0] + self.t * self.losses[-1]
        return float(np.max(self.losses - line))


def data_loss(X: np.ndarray, y: np.ndarray, activation: str, loss: str) -> LossOf:
    """The data loss on (X, y) as a function of the parameters (no penalty, no
    dropout: what ``Trainer.train_loss`` reads)."""
    def loss_of(params: Params) -> float:
        with np.errstate(all="ignore"):
            return loss_and_grads(params, X, y, activation, loss)[0]
    return loss_of


def interpolate(params_a: Params, params_b: Params, t: float) -> Params:
    """(1 − t)·θ_A + t·θ_B, array by array."""
    return Params(*((1.0 - t) * a + t * b
                    for a, b in zip(params_a.as_tuple(), params_b.as_tuple(), strict=True)))


def barrier(loss_of: LossOf, params_a: Params, params_b: Params,
            ts: np.ndarray = TS) -> Barrier:
    """The loss at every t of ``ts`` along the line from A to B.  The ends are A and B
    themselves (t = 0 and 1 give their own arrays), so L(0) and L(1) are their losses."""
    losses = np.array([loss_of(params_a if t == 0.0 else params_b if t == 1.0
                               else interpolate(params_a, params_b, t)) for t in ts])
    return Barrier(np.asarray(ts, dtype=float), losses)


@dataclass(frozen=True, eq=False)
class Alignment:
    """B's units matched to A's: ``b_for_a[i]`` is A's unit i's partner, ``flipped[i]``
    whether it was turned to −u (odd activations only)."""

    b_for_a: np.ndarray
    flipped: np.ndarray


def alignment(params_a: Params, params_b: Params, activation: str) -> Alignment:
    """The pairing with the largest total similarity (compare's measure, which for odd
    activations does not see signs) and, for odd activations, the sign of each pair:
    a pair whose signed cosine (input side plus outgoing side, as the measure adds them)
    is negative is flipped.  Equal widths only."""
    units_a, units_b = metrics.unit_vectors(params_a), metrics.unit_vectors(params_b)
    if units_a.shape != units_b.shape:
        raise ValueError(f"runs of {len(units_a)} and {len(units_b)} units cannot be aligned")
    b_for_a = assign(cross_similarity(units_a, units_b, activation, metrics.shape_of(params_a)))
    flipped = np.zeros(len(b_for_a), dtype=bool)
    if sign_flip(symmetry_of(activation)):
        inputs = params_a.W1.shape[1] + 1
        paired = units_b[b_for_a]
        signed = (np.sum(row_directions(units_a[:, :inputs])
                         * row_directions(paired[:, :inputs]), axis=1)
                  + np.sum(row_directions(units_a[:, inputs:])
                           * row_directions(paired[:, inputs:]), axis=1))
        flipped = signed < 0
    return Alignment(b_for_a, flipped)


def align(params_a: Params, params_b: Params, activation: str) -> Params:
    """B with its units reordered to A's and, for odd activations, turned to A's sign:
    the same network as B (the same outputs on every input).  Turning a unit is
    (w, b, v) → (−w, −b, −v); for sigmoid, σ(−z) = 1 − σ(z), so the output bias takes
    the unit's v back (b₂ ← b₂ + v)."""
    found = alignment(params_a, params_b, activation)
    sign = np.where(found.flipped, -1.0, 1.0)
    order = found.b_for_a
    W1 = params_b.W1[order] * sign[:, None]
    b1 = params_b.b1[order] * sign
    W2 = params_b.W2[:, order] * sign[None, :]
    b2 = params_b.b2.copy()
    if symmetry_of(activation) == "odd_plus_constant":
        b2 = b2 + params_b.W2[:, order][:, found.flipped].sum(axis=1)
    return Params(W1, b1, W2, b2)
