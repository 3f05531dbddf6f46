"""Every split of a run at its exact step, for the price of a max-norm per step.

One rule everywhere: a split is a step at which the number of distinct units
(:func:`tui_symmetry.core.metrics.distinct_units`) rises; it is recorded as
(step, k_before, k_after).  Computing distinct units at every step would cost as much
as the step itself, so the tracker proves, step by step, that the count cannot have
changed, and computes it only when it cannot prove that.

The proof.  The count depends on the parameters only through (a) which units are left
out (no incoming weights), (b) which live pairs are alike (S_ij ≥ threshold), and (c)
inside each connected part of that graph which is not a clique, the order of the
distances 1 − S_ij of its alike pairs (complete linkage merges in that order; a clique
is one group whatever the order; see metrics.count_groups).  At each evaluation the
tracker notes the budget β: the smallest distance of any S_ij from the threshold and,
for (c), half the smallest gap between those distances.

Each S_ij is a cosine of canonical unit directions (tui_symmetry.core.similarity).  A
unit at distance ρ from the nearest point where its direction is undefined (ρ = ‖u‖
for the sign-flip measures, ‖[w, b]‖ for the rescaling ones) turns by at most
asin(r/ρ) when it moves by r < ρ; so after moving a path of length P since the
evaluation it has turned by at most X/√(1 − X²), X = P/(ρ − P), and every S_ij has
moved by at most twice that (half of it for positive_scale, whose cosine averages the
direction with the fixed sign of v).  No unit moves further than √(D + 2) times the
largest change of any parameter, so the tracker only adds up ‖Δθ‖_∞ per step, and
evaluates when the bound reaches β, or when a unit may have reached a state change:
its incoming weights reaching zero (P ≥ ‖w‖) or, for rescaling, its outgoing weight
changing sign (P ≥ |v|).  Exact zeros that define the current state (a unit without
incoming weights; a zero outgoing weight under rescaling) are watched directly.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.metrics import (
    SAME_UNIT_THRESHOLD,
    count_groups,
    is_union_of_cliques,
)
from tui_symmetry.core.network import Layout
from tui_symmetry.core.similarity import absolute, similarity_matrix, symmetry_of

# Rounding in the computed similarities: a budget is trusted only above this.
_ROUNDING_SLACK = 1e-12


class SplitTracker:
    """Follows the number of distinct units of one run and records every rise.

    Call :meth:`observe` after every step with the parameters before and after it.
    ``evaluations`` counts the steps at which the similarities were computed.
    """

    def __init__(self, layout: Layout, activation: str, theta: np.ndarray, step: int = 0,
                 threshold: float = SAME_UNIT_THRESHOLD) -> None:
        self.layout = layout
        self.activation = activation
        self.threshold = threshold
        symmetry = symmetry_of(activation)
        self._rescaling = not absolute(symmetry)
        # How much of a direction's turn reaches a pair's similarity (see module doc).
        self._pair_factor = 0.5 if symmetry == "positive_scale" else 1.0
        H, D = layout.hidden, layout.inputs
        self._n_block = H * (D + 1)
        # Flat positions in theta of each unit's incoming weights and outgoing weight.
        self._w1_at = np.arange(self._n_block).reshape(H, D + 1)[:, :D]
        self._w2_at = self._n_block + np.arange(H)
        self.splits: list[tuple[int, int, int]] = []
        self.evaluations = 0
        self.distinct = 0
        self._diff = np.empty(layout.size)
        # 1/σ for every parameter of a live unit (σ: see _set_budget), 0 elsewhere.
        self._scale = np.zeros(layout.size)
        self._scale_block = self._scale[: self._n_block].reshape(H, D + 1)
        self._scale_w2 = self._scale[self._n_block : self._n_block + H]
        self._root_k = math.sqrt(D + 2)
        self._moved = self._step_moved = 0.0
        self._safe = 0.0
        self._watch = self._dead_watch = np.zeros(0, dtype=np.intp)
        self._live: np.ndarray | None = None
        self._alike: np.ndarray | None = None
        self._order: np.ndarray | None = None
        self._pairs: np.ndarray | None = None
        self._evaluate(theta, step)

    @property
    def first_split(self) -> int | None:
        """The step of the first split, or None."""
        return self.splits[0][0] if self.splits else None

    def observe(self, old: np.ndarray, new: np.ndarray, step: int) -> None:
        """Account for the step from ``old`` to ``new`` parameters, which is ``step``."""
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
        self._evaluate(new, step)

    def _evaluate(self, theta: np.ndarray, step: int) -> None:
        self.evaluations += 1
        H, D = self.layout.hidden, self.layout.inputs
        # unit_vectors() of these parameters, and the very similarity computation that
        # metrics.summarize makes: the counts agree to the bit.
        units = np.empty((H, D + 2))
        units[:, : D + 1] = theta[: self._n_block].reshape(H, D + 1)
        units[:, D + 1] = theta[self._n_block : self._n_block + H]
        S = similarity_matrix(units, self.activation)
        live = units[:, :D].any(axis=1)
        live_changed = self._live is None or not (live == self._live).all()
        if live.all():
            S_live = S
        else:
            idx = np.flatnonzero(live)
            S_live = S[np.ix_(idx, idx)]
        n = len(S_live)
        alike = S_live >= self.threshold
        same = not live_changed and (alike == self._alike).all()
        margin = np.abs(S_live - self.threshold)
        margin.flat[:: n + 1] = np.inf
        budget = float(margin.min()) if n > 1 else math.inf
        order = None
        if n > 1 and not (same and self._pairs is None):
            if not same:
                self._pairs = _ambiguous_pairs(alike)
            if self._pairs is not None:
                distances = 1.0 - S_live.ravel()[self._pairs]
                rank = np.argsort(distances, kind="stable")
                order = self._pairs[rank]
                same = same and (order == self._order).all()
                if len(order) > 1:
                    if self._affords_a_step(budget):
                        budget = min(budget, float(np.diff(distances[rank]).min()) / 2.0)
                    else:
                        budget = 0.0  # evaluated next step anyway: no need to refine
        count = self.distinct if same else count_groups(S_live, self.threshold)
        if self._live is not None and count > self.distinct:
            self.splits.append((step, self.distinct, count))
        self.distinct = count
        self._alike, self._order = alike, order
        if live_changed:
            self._live = live
            self._dead_watch = self._w1_at[~live].ravel()
        self._set_budget(units, live, budget - _ROUNDING_SLACK)

    def _affords_a_step(self, budget: float) -> bool:
        """Whether ``budget`` would outlast another step like the last one.

        If not, the next step is evaluated anyway and the budget need not be refined.
        """
        return self._relative(budget - _ROUNDING_SLACK) > self._step_moved

    def _relative(self, budget: float) -> float:
        """The largest Σ max_k |Δθ_k|/σ that keeps every similarity within ``budget``.

        A unit that moved a path r·σ has turned by at most X/√(1 − X²) with
        X = r/(1 − r), and a pair's similarity by κ times twice that; r is at most
        √(D + 2) times the sum observe() keeps.
        """
        if math.isinf(budget):
            relative = 1.0  # no pair to compare: only a state change matters
        elif budget <= 0.0:
            return 0.0
        else:
            beta = budget / self._pair_factor
            x = beta / math.sqrt(4.0 + beta * beta)  # 2x/√(1 − x²) = β
            relative = x / (1.0 + x)
        return relative / self._root_k

    def _set_budget(self, units: np.ndarray, live: np.ndarray, budget: float) -> None:
        """Note how far the parameters may move before the next evaluation.

        Each unit gets a scale σ_i: its distance to a state change (‖w‖, or
        min(‖w‖, |v|) under rescaling), which is also at most its distance to a point
        where its direction is undefined.  observe() adds up max_k |Δθ_k|/σ_unit(k).
        """
        self._safe = self._relative(budget)
        self._moved = 0.0
        if self._safe <= 0.0:
            return  # the next step is evaluated whatever the scale says
        D = self.layout.inputs
        w = units[:, :D]
        sigma = np.sqrt(np.einsum("ij,ij->i", w, w))
        self._watch = self._dead_watch
        if self._rescaling:
            v = np.abs(units[:, -1])
            zero_v = live & (v == 0.0)
            if zero_v.any():
                # An undefined direction: watch v itself; σ stays ‖w‖.
                self._watch = np.concatenate([self._dead_watch, self._w2_at[zero_v]])
                v = np.where(zero_v, np.inf, v)
            np.minimum(sigma, v, out=sigma)
        if len(self._dead_watch):
            sigma[~live] = np.inf  # watched instead
        np.divide(1.0, sigma, out=sigma)
        self._scale_block[:] = sigma[:, None]
        self._scale_w2[:] = sigma


def _ambiguous_pairs(alike: np.ndarray) -> np.ndarray | None:
    """The alike pairs whose order complete linkage depends on; None if there are none.

    Only parts of the alike graph that are not cliques matter: the units with a
    neighbour whose neighbours differ from their own (a clique has none; a connected
    part that is not a clique has only such units).  Returns flat indices into the
    (n, n) matrix, i < j.
    """
    if is_union_of_cliques(alike):
        return None
    A = alike.astype(np.float64)
    shared = A @ A  # |N(i) ∩ N(j)|; the diagonal holds |N(i)|
    degree = np.diag(shared)
    differs = alike & ((shared != degree[:, None]) | (shared != degree[None, :]))
    ambiguous = differs.any(axis=1)
    return np.flatnonzero(np.triu(alike & ambiguous[:, None] & ambiguous[None, :], 1))
