"""Every split of a run at its exact step, for the price of a max-norm per step.

The tracker records every change of the number of distinct units
(:func:`tui_symmetry.core.metrics.distinct_units`) at its exact step, rises and falls,
as (step, k_before, k_after): the raw *events*.  The splits and merges a run reports
are the lasting ones derived from them (:mod:`tui_symmetry.core.lasting`: a change
that holds for LASTING_STEPS steps).  Computing distinct units after every step would
cost as much as the step, so the tracker works in two modes.

**Proving nothing changed.**  The count depends on the parameters only through (a)
which units are left out (no incoming weights), (b) which live pairs are alike
(S_ij ≥ threshold) and (c) inside each connected part of that graph that is not a
clique, the order of the distances 1 − S_ij of its alike pairs (complete linkage
merges in that order; a clique is one group in any order; see metrics.count_groups).
After an exact evaluation the tracker notes the budget β: the smallest distance of any
live S_ij from the threshold and, for (c), half the smallest gap between those
distances; while no S_ij can have moved by β, nothing can change.  Each S_ij is a
cosine (absolute for tanh and sigmoid) of canonical unit rows
(tui_symmetry.core.similarity): [ŵ, sgn v] for relu, leaky relu, tanh and sigmoid,
with ŵ the direction of [w, b], or ±ŵ for linear.  Give unit i the scale
σ_i = min(‖w_i‖, |v_i|): a unit that moves less than σ_i keeps its state (its incoming
weights cannot reach zero, its outgoing weight cannot change sign), and its direction
ŵ, undefined only closer to zero, turns by at most asin(r/σ_i) when it moves by r.
So after a path r·σ_i the direction has turned by at most X/√(1 − X²),
X = r/(1 − r), and ŵ_i·ŵ_j has moved by at most twice that.  For the rows [ŵ, s] the
cosine is (ŵ_i·ŵ_j + s_i s_j)/N_ij with the signs fixed, N_ij = 2 when both outgoing
weights are nonzero, √2 when one is zero and 1 when both are, so a pair's similarity
moves by at most 2/N_ij times the turn (an absolute value moves nothing further); the
tracker takes the largest 1/N_ij among its live units.  A unit's path is at most
√(D + 2) times the sum over steps of its largest parameter change, so the tracker adds
up max_k |Δθ_k|/σ_unit(k) — one subtraction, one product and a max per step — and
while that stays within what β allows nothing can change.
Exact zeros that define the state (a unit without incoming weights, a zero outgoing
weight) are watched directly.

**Evaluating every step, in batches.**  When the bound cannot cover even a few steps
(pairs hovering at the threshold) the tracker keeps a copy of each step's parameters
and evaluates them together every few dozen steps, or whenever it is read: the
similarities are computed by elementwise operations in a fixed order, so a stack of
steps gives each step's similarities to the bit (see similarity._squares), and the
count is recomputed only at steps where (a)–(c) changed.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.lasting import LASTING_STEPS, Change, LastingChanges, LastingCount
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, count_groups, is_union_of_cliques
from tui_symmetry.core.network import ParamLayout
from tui_symmetry.core.similarity import sign_flip, similarity_matrix, symmetry_of

# Rounding in the computed similarities: a budget is trusted only above this.
_ROUNDING_SLACK = 1e-12
# Steps evaluated together: at most this many, and at most this many similarity
# entries (steps × H² × (D + 2)) in one batch.
MAX_BATCH = 64
BATCH_ENTRIES = 1_000_000
# Leave batch mode once the bound covers at least this many steps like the last one.
STEPS_TO_LEAVE_BATCHING = 4
SQRT_HALF = math.sqrt(0.5)


class SplitTracker:
    """Follows the number of distinct units of one run and records every change.

    Call :meth:`observe` after every step with the parameters before and after it;
    read :attr:`events`, :meth:`changes` and :attr:`distinct` (reading evaluates any
    steps still held).  ``evaluations`` counts the steps whose similarities were
    computed.
    """

    def __init__(self, layout: ParamLayout, activation: str, theta: np.ndarray, step: int = 0,
                 threshold: float = SAME_UNIT_THRESHOLD, window: int = LASTING_STEPS) -> None:
        self.layout = layout
        self.activation = activation
        self.threshold = threshold
        # Canonical rows [ŵ, sgn v] (else ±ŵ): how much of a direction's turn reaches a
        # pair's similarity, 1/N_ij, depends on which outgoing weights are zero (see
        # the module doc); set with the scales.
        symmetry = symmetry_of(activation)
        self._balanced = symmetry == "positive_scale" or sign_flip(symmetry)
        self._pair_factor = 1.0
        H, D = layout.hidden, layout.inputs
        self._n_block = H * (D + 1)
        self._root_k = math.sqrt(D + 2)
        # Flat positions in theta of each unit's incoming weights and outgoing weight.
        self._w1_at = np.arange(self._n_block).reshape(H, D + 1)[:, :D]
        self._w2_at = self._n_block + np.arange(H)
        self._events: list[Change] = []
        self._distinct = 0
        self.evaluations = 0
        # Bound mode: 1/σ per parameter of a live unit (0 elsewhere), the sum observe()
        # keeps, and the most that sum may reach before the next evaluation.
        self._bounding = False
        self._diff = np.empty(layout.size)
        self._scale = np.zeros(layout.size)
        self._scale_block = self._scale[: self._n_block].reshape(H, D + 1)
        self._scale_w2 = self._scale[self._n_block : self._n_block + H]
        self._moved = self._step_moved = 0.0
        self._safe = 0.0
        self._watch = np.zeros(0, dtype=np.intp)
        # Batch mode: the held steps.
        size = max(1, min(MAX_BATCH, BATCH_ENTRIES // (H * H * (D + 2))))
        self._held = np.empty((size, layout.size))
        self._held_steps = np.empty(size, dtype=np.int64)
        self._n_held = 0
        # The state at the last evaluated step: live units, alike pairs, linkage order.
        self._live: np.ndarray | None = None
        self._alike: np.ndarray | None = None
        self._pairs: tuple[np.ndarray, np.ndarray] | None = None
        self._order: np.ndarray | None = None
        self._last_theta, self._last_step = theta.copy(), step
        self.step = step  # the last step observed
        self._evaluate(theta[None, :], np.array([step]))
        self._lasting = LastingCount(self._distinct, window)

    @property
    def events(self) -> list[Change]:
        """Every change of the count so far, rises and falls: (step, k_before, k_after)."""
        self.flush()
        return self._events

    def changes(self, step: int | None = None) -> LastingChanges:
        """The lasting splits and merges as known at ``step`` (default: the last step
        observed), and those still pending; events after ``step`` are left out."""
        self.flush()
        return self._lasting.at(self.step if step is None else step)

    @property
    def splits(self) -> tuple[Change, ...]:
        """The lasting splits so far: (step, k_before, k_after)."""
        return self.changes().splits

    @property
    def distinct(self) -> int:
        """Distinct units after the last observed step."""
        self.flush()
        return self._distinct

    @property
    def first_split(self) -> int | None:
        """The step of the first lasting split, or None."""
        return self.changes().split_step

    def observe(self, old: np.ndarray, new: np.ndarray, step: int) -> None:
        """Account for the step from ``old`` to ``new`` parameters, which is ``step``."""
        self.step = step
        if self._bounding:
            d = self._diff
            np.subtract(new, old, out=d)
            d *= self._scale
            moved = max(d.max(), -d.min())
            if not moved < math.inf and not np.isfinite(new).all():
                return  # the run diverges: the trainer stops and rolls this step back
            self._step_moved = moved
            self._moved += moved
            if self._moved < self._safe and not (len(self._watch) and new[self._watch].any()):
                return
            self._bounding = False
        self._held[self._n_held] = new
        self._held_steps[self._n_held] = step
        self._n_held += 1
        if self._n_held == len(self._held):
            self.flush()

    def flush(self) -> None:
        """Evaluate the held steps now."""
        n, self._n_held = self._n_held, 0
        if n:
            self._evaluate(self._held[:n], self._held_steps[:n])

    # -- exact evaluation -------------------------------------------------------------------

    def _evaluate(self, thetas: np.ndarray, steps: np.ndarray) -> None:
        finite = np.isfinite(thetas).all(axis=1)
        if not finite.all():
            # A diverged step and anything after it are rolled back by the trainer.
            keep = int(np.argmin(finite))
            thetas, steps = thetas[:keep], steps[:keep]
            if not keep:
                return
        n = len(thetas)
        self.evaluations += n
        H, D = self.layout.hidden, self.layout.inputs
        units = np.empty((n, H, D + 2))
        units[..., : D + 1] = thetas[:, : self._n_block].reshape(n, H, D + 1)
        units[..., D + 1] = thetas[:, self._n_block : self._n_block + H]
        S = similarity_matrix(units, self.activation)
        live = units[..., :D].any(axis=-1)
        alike = np.greater_equal(S, self.threshold)
        alike &= live[:, :, None] & live[:, None, :]
        same_live = (live == np.concatenate([self._live_row(live), live[:-1]])).all(axis=1)
        same_alike = (alike == np.concatenate([self._alike_row(alike), alike[:-1]])).all(
            axis=(1, 2))
        b = 0
        while b < n:
            # A segment of steps with the same live units and alike pairs.
            end = b + 1
            while end < n and same_live[end] and same_alike[end]:
                end += 1
            unchanged = bool(same_live[b] and same_alike[b]) and self._live is not None
            if not unchanged:
                self._pairs = _ambiguous_pairs(alike[b], live[b])
            changes = [] if unchanged else [b]
            order = None
            if self._pairs is not None:
                i, j = self._pairs
                rank = np.argsort(1.0 - S[b:end, i, j], axis=1, kind="stable")
                orders = np.stack([i[rank], j[rank]], axis=-1)  # (steps, pairs, 2)
                if unchanged and (self._order is None
                                  or not np.array_equal(orders[0], self._order)):
                    changes.append(b)
                changes += list(b + 1 + np.flatnonzero(
                    (orders[1:] != orders[:-1]).any(axis=(1, 2))))
                order = orders[-1]
            for t in changes:
                idx = np.flatnonzero(live[t])
                count = count_groups(S[t][np.ix_(idx, idx)], self.threshold)
                if self._live is not None and count != self._distinct:
                    self._record(int(steps[t]), self._distinct, count)
                self._distinct = count
                self._live = live[t]
            self._live, self._alike, self._order = live[end - 1], alike[end - 1], order
            b = end
        if n > 1:
            previous = thetas[-2]
        elif steps[-1] == self._last_step + 1:
            previous = self._last_theta
        else:
            previous = None
        self._last_theta, self._last_step = thetas[-1].copy(), int(steps[-1])
        self._decide_mode(units[-1], S[-1], live[-1], thetas[-1], previous)

    def _record(self, step: int, before: int, after: int) -> None:
        self._events.append((step, before, after))
        self._lasting.add(step, before, after)

    def _live_row(self, live: np.ndarray) -> np.ndarray:
        return (live[:1] if self._live is None else self._live[None]).copy()

    def _alike_row(self, alike: np.ndarray) -> np.ndarray:
        return (~alike[:1] if self._alike is None else self._alike[None]).copy()

    # -- the bound --------------------------------------------------------------------------

    def _decide_mode(self, units: np.ndarray, S: np.ndarray, live: np.ndarray,
                     theta: np.ndarray, previous: np.ndarray | None) -> None:
        """Bound the next steps if the budget at this state covers a few like the last.

        ``previous`` holds the parameters one step before ``theta``, if known.
        """
        idx = np.flatnonzero(live)
        budget = math.inf
        if len(idx) > 1:
            margin = np.abs(S[np.ix_(idx, idx)] - self.threshold)
            margin.flat[:: len(idx) + 1] = np.inf
            budget = float(margin.min())
        if self._pairs is not None and len(self._pairs[0]) > 1:
            i, j = self._pairs
            budget = min(budget, float(np.diff(np.sort(1.0 - S[i, j])).min()) / 2.0)
        self._set_scale(units, live)
        self._safe = self._relative(budget - _ROUNDING_SLACK)
        if previous is not None:
            d = self._diff
            np.subtract(theta, previous, out=d)
            d *= self._scale
            self._step_moved = max(d.max(), -d.min())
        self._moved = 0.0
        self._bounding = self._safe > STEPS_TO_LEAVE_BATCHING * self._step_moved

    def _relative(self, budget: float) -> float:
        """The largest Σ max_k |Δθ_k|/σ that keeps every similarity within ``budget``."""
        if math.isinf(budget):
            relative = 1.0  # no pair to compare: only a state change matters
        elif budget <= 0.0:
            return 0.0
        else:
            beta = budget / self._pair_factor
            x = beta / math.sqrt(4.0 + beta * beta)  # 2x/√(1 − x²) = β
            relative = x / (1.0 + x)
        return relative / self._root_k

    def _set_scale(self, units: np.ndarray, live: np.ndarray) -> None:
        """σ per unit (see the module doc) and the exact zeros to watch."""
        D = self.layout.inputs
        w = units[:, :D]
        sigma = np.sqrt(np.einsum("ij,ij->i", w, w))
        v = np.abs(units[:, -1])
        zero_v = live & (v == 0.0)
        # An undefined sign: watch v itself.
        self._watch = np.concatenate([self._w1_at[~live].ravel(), self._w2_at[zero_v]])
        np.minimum(sigma, np.where(zero_v, np.inf, v), out=sigma)
        if self._balanced:  # 1/N_ij at its largest over live pairs
            self._pair_factor = (0.5, SQRT_HALF, 1.0)[min(int(np.count_nonzero(zero_v)), 2)]
        sigma[~live] = np.inf  # watched instead
        np.divide(1.0, sigma, out=sigma)
        self._scale_block[:] = sigma[:, None]
        self._scale_w2[:] = sigma


def _ambiguous_pairs(alike: np.ndarray, live: np.ndarray
                     ) -> tuple[np.ndarray, np.ndarray] | None:
    """The alike pairs whose order complete linkage depends on; None if there are none.

    Only parts of the alike graph (over live units) that are not cliques matter: the
    units with a neighbour whose neighbours differ from their own (a clique has none;
    a connected part that is not a clique has only such units).  Returns index arrays
    (i, j), i < j, into the full unit matrix.
    """
    idx = np.flatnonzero(live)
    sub = alike[np.ix_(idx, idx)].copy()
    np.fill_diagonal(sub, True)
    if len(idx) < 2 or is_union_of_cliques(sub):
        return None
    A = sub.astype(np.float64)
    shared = A @ A  # |N(i) ∩ N(j)|; the diagonal holds |N(i)|
    degree = np.diag(shared)
    differs = sub & ((shared != degree[:, None]) | (shared != degree[None, :]))
    ambiguous = differs.any(axis=1)
    i, j = np.nonzero(np.triu(sub & ambiguous[:, None] & ambiguous[None, :], 1))
    return idx[i], idx[j]
