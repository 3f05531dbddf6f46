"""Every change of the number of distinct units at its exact step, for a few
vector operations per step.

The tracker records every change of the number of distinct units
(:func:`tui_symmetry.core.metrics.distinct_units`) at its exact step, rises and falls,
as (step, k_before, k_after): the raw *events*.  The splits and merges a run reports
are the lasting ones derived from them (:mod:`tui_symmetry.core.lasting`: a change
that holds for LASTING_STEPS steps).  Computing distinct units after every step would
cost as much as the step; the tracker proves, pair by pair, that nothing changed, and
computes only what it cannot vouch for.

**What the count depends on.**  (a) Which units are left out (no incoming weights),
(b) which live pairs are alike (S_ij ≥ threshold) and (c) inside each connected part
of that graph that is not a clique, the sequence of merges complete linkage makes
(a clique is one group whatever the order; see metrics.count_groups).  Complete
linkage merges next, among the pairs of clusters whose cross pairs are all alike, the
one whose farthest cross pair is nearest (its height D).  So the sequence stays the
same while every cluster pair that competed with a merge keeps a larger D than the
merge it lost to, the last it competed with: one comparison per competitor
(:class:`MergeOrder`), and the merges' heights then rise by themselves.

**How far a similarity can move.**  Each S_ij is a cosine (absolute for tanh and
sigmoid) of canonical unit rows (tui_symmetry.core.similarity): [ŵ, sgn v] for relu,
leaky relu, tanh and sigmoid, with ŵ the direction of p = [w, b], or ±ŵ for linear.
At an exact evaluation (an *anchor*) the tracker notes each live unit's ‖w_i‖ and
|v_i|.  Its direction ŵ turns at the rate ‖dp‖/‖p‖, and ‖p‖ ≥ ‖w‖ ≥ ‖w_i‖ − ℓ after a
path ℓ of p, so after a path ρ·‖w_i‖ it has turned by at most τ = −ln(1 − ρ) radians,
and between two moments by at most the difference of τ; its incoming weights cannot
reach zero while ρ < 1, and v keeps its sign while v has moved less than |v_i|.  A
cosine of two directions moves by at most the sum of their turns; for the rows [ŵ, s]
the similarity is (ŵ_i·ŵ_j + s_i s_j)/N_ij with the signs fixed, N_ij = 2 when both
outgoing weights are nonzero, √2 when one is zero and 1 when both are (linear: 1), and
an absolute value moves nothing further.  Per step the tracker adds up the largest
change of any w or b relative to its unit's ‖w_i‖ (r) and of any v relative to its
|v_i| (r_v): one subtraction, one product, one absolute value and two maxima.  Every
unit's p has then moved at most √(D + 1)·r·‖w_i‖, so with τ = −ln(1 − √(D + 1)·r) every
S_ij has moved by at most 2(τ − τ′)/N_ij since a moment with τ′.  Each pair keeps one
number, its limit λ_ij = N_ij·μ_ij + 2τ′ for a margin μ_ij: it is safe while
2τ < λ_ij, and the pairs in doubt are the first ones of the list sorted by limit.
Margins: a pair's distance from the threshold, and for the pairs of (c) also half the
smallest slack of the merge sequence.

**What it cannot vouch for.**  Once a pair is in doubt, the tracker keeps a copy of
each step's parameters and computes the pairs in doubt (with those near their limits,
and all of (c) once one of them is in doubt) for the held steps together, every few
hundred steps or whenever it is read: their similarities are the same bits as in a
full evaluation (each is built from its two units alone, in a fixed order).  At each
held step in turn it checks for a pair that crossed the threshold (then: a full
evaluation there, a new anchor, and the later held steps accounted for from it) and
the merge sequence (a recount with scipy's linkage where it changed).  A path of half
a scale (√(D + 1)·r or r_v reaching 1/2) and an exact zero that defines the state (a
unit without incoming weights, a zero outgoing weight, watched directly) each bring a
full evaluation too.  Steps are accounted for in order, so the first step at which
anything can have changed is the step that is looked at.
"""

from __future__ import annotations

import heapq
import math

import numpy as np

from tui_symmetry.core.lasting import LASTING_STEPS, Change, LastingChanges, LastingCount
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, count_groups, is_union_of_cliques
from tui_symmetry.core.network import ParamLayout
from tui_symmetry.core.similarity import (
    pair_similarity,
    sign_flip,
    similarity_matrix,
    symmetry_of,
)

# Rounding in the computed similarities: a margin is trusted only above this.
_ROUNDING_SLACK = 1e-12
# A new anchor once the paths reach this share of the scales (the turn bound grows
# without limit as the share nears 1).
REANCHOR_SHARE = 0.5
# Steps whose pairs in doubt are computed together: at least, at most, and pair-steps at
# most.
MIN_BATCH = 64
MAX_BATCH = 256
MIN_CROSSING_GAP = 8
BATCH_PAIRS = 250_000
# Pairs this close to their limits (in τ_i + τ_j, radians) are computed with any other.
NEAR = 0.05


class MergeOrder:
    """The merge sequence of complete linkage inside the non-clique parts, and how to
    check in one pass that other distances give the same sequence (module doc, (c)).

    Built from the alike graph and the distances 1 − S of its pairs (indexed by pair
    position).  Every cluster pair it meets is a *group* whose height D is either one
    pair's distance (two single units) or the larger height of the two groups it was
    made of (complete linkage: D(X ∪ Y, Z) = max(D(X, Z), D(Y, Z))); the heights are
    computed level by level, a few vector operations for all of them.
    """

    def __init__(self, parts: list[np.ndarray], alike: np.ndarray, distance: np.ndarray,
                 pair_at: np.ndarray) -> None:
        groups = _Groups()
        chosen: list[int] = []
        rivals: list[int] = []
        rival_end: list[int] = []
        for units in parts:
            _merge_part(units.tolist(), alike, distance, pair_at, groups, chosen, rivals,
                        rival_end)
        self.leaves = np.array(groups.leaf_pairs, dtype=np.intp)
        level = np.array(groups.level, dtype=np.intp)
        left, right = np.array(groups.left, dtype=np.intp), np.array(groups.right, dtype=np.intp)
        self.leaf_at = np.flatnonzero(level == 0)  # in creation order, like the leaves
        self.joins = [(np.flatnonzero(level == k), left[level == k], right[level == k])
                      for k in range(1, int(level.max(initial=0)) + 1)]
        self.size = len(level)
        self.chosen = np.array(chosen, dtype=np.intp)
        self.rivals = np.array(rivals, dtype=np.intp)
        self.rival_end = np.array(rival_end, dtype=np.intp)

    def slack(self, distance: np.ndarray, columns: np.ndarray | None = None) -> np.ndarray:
        """For each row of ``distance`` (..., pairs): the smallest D(rival) − D(merge it
        lost to); the sequence is the anchor's where it is positive.  ``columns`` says
        where the leaves' pairs are in ``distance`` (default: at their positions)."""
        if not len(self.rivals):
            return np.full(distance.shape[:-1], math.inf)
        heights = np.empty((*distance.shape[:-1], self.size))
        heights[..., self.leaf_at] = distance[..., self.leaves if columns is None else columns]
        for at, left, right in self.joins:
            heights[..., at] = np.maximum(heights[..., left], heights[..., right])
        lost_to = heights[..., self.chosen][..., self.rival_end]
        return (heights[..., self.rivals] - lost_to).min(axis=-1)


class _Groups:
    """The cluster pairs of :class:`MergeOrder`: leaves first, then joins."""

    def __init__(self) -> None:
        self.leaf_pairs: list[int] = []
        self.left: list[int] = []
        self.right: list[int] = []
        self.level: list[int] = []

    def leaves(self, positions: list[int]) -> range:
        start, n = len(self.level), len(positions)
        self.leaf_pairs += positions
        self.left += [-1] * n
        self.right += [-1] * n
        self.level += [0] * n
        return range(start, start + n)

    def join(self, first: int, second: int) -> int:
        self.left.append(first)
        self.right.append(second)
        self.level.append(1 + max(self.level[first], self.level[second]))
        return len(self.level) - 1


def _merge_part(units: list[int], alike: np.ndarray, distance: np.ndarray,
                pair_at: np.ndarray, groups: _Groups, chosen: list[int], rivals: list[int],
                rival_end: list[int]) -> None:
    """Complete linkage below the cut inside one part; appends its merges (``chosen``,
    in order) and every cluster pair that competed and lost (``rivals``, with the
    index in ``chosen`` of the merge that consumed one of its clusters)."""
    # Cluster pairs all of whose cross pairs are alike ("open"): (height, group), found
    # through each cluster's partners; the nearest comes off a heap.
    partners: dict[int, set[int]] = {u: set() for u in units}
    members = np.array(units)
    first, second = np.nonzero(np.triu(alike[np.ix_(members, members)], 1))
    first, second = members[first].tolist(), members[second].tolist()
    positions = pair_at[first, second]
    heights = distance[positions].tolist()
    keys = list(zip(first, second, strict=True))
    open_pairs = dict(zip(keys, zip(heights, groups.leaves(positions.tolist()), strict=True),
                          strict=True))
    for a, b in keys:
        partners[a].add(b)
        partners[b].add(a)
    heap = list(zip(heights, keys, strict=True))
    heapq.heapify(heap)
    while heap:
        height, key = heapq.heappop(heap)
        if open_pairs.get(key, (None,))[0] != height:
            continue  # consumed, or replaced
        a, b = key
        stage = len(chosen)
        chosen.append(open_pairs.pop(key)[1])
        partners[a].discard(b)
        partners[b].discard(a)
        entries: dict[int, list[tuple[float, int]]] = {}
        for side in (a, b):
            for other in partners.pop(side):
                entry = open_pairs.pop((min(side, other), max(side, other)))
                rivals.append(entry[1])
                rival_end.append(stage)
                partners[other].discard(side)
                entries.setdefault(other, []).append(entry)
        partners[a] = set()
        for other, pair in entries.items():
            if len(pair) == 2:  # both halves all alike with it: the union is too
                merged = (min(a, other), max(a, other))
                open_pairs[merged] = (max(pair[0][0], pair[1][0]),
                                      groups.join(pair[0][1], pair[1][1]))
                partners[a].add(other)
                partners[other].add(a)
                heapq.heappush(heap, (open_pairs[merged][0], merged))


class SplitTracker:
    """Follows the number of distinct units of one run and records every change.

    Call :meth:`observe` after every step with the parameters before and after it;
    read :attr:`events`, :meth:`changes` and :attr:`distinct` (reading accounts for any
    steps still held).  ``evaluations`` counts the full evaluations, ``pair_checks``
    the steps at which the pairs in doubt were computed.
    """

    def __init__(self, layout: ParamLayout, activation: str, theta: np.ndarray, step: int = 0,
                 threshold: float = SAME_UNIT_THRESHOLD, window: int = LASTING_STEPS) -> None:
        self.layout = layout
        self.activation = activation
        self.threshold = threshold
        symmetry = symmetry_of(activation)
        # Canonical rows [ŵ, sgn v]: a pair's N_ij depends on its zero outgoing weights.
        self._balanced = symmetry == "positive_scale" or sign_flip(symmetry)
        H, D = layout.hidden, layout.inputs
        self._n_block = H * (D + 1)
        self._root_k = math.sqrt(D + 1)
        # Flat positions in theta of each unit's incoming weights and outgoing weight.
        self._w1_at = np.arange(self._n_block).reshape(H, D + 1)[:, :D]
        self._w2_at = self._n_block + np.arange(H)
        # Every pair i < j once, and where each sits in that list.
        self._first, self._second = np.triu_indices(H, 1)
        self._pair_at = np.zeros((H, H), dtype=np.intp)
        self._pair_at[self._first, self._second] = np.arange(len(self._first))
        self._pair_at[self._second, self._first] = np.arange(len(self._first))
        self._events: list[Change] = []
        self._distinct = 0
        self.evaluations = 0
        self.pair_checks = 0
        # Per step: the scaled change, each unit's largest, and the sum of those.
        self._diff = np.empty(layout.size)
        self._scale = np.zeros(layout.size)
        self._scale_block = self._scale[: self._n_block].reshape(H, D + 1)
        self._scale_w2 = self._scale[self._n_block : self._n_block + H]
        self._diff_block = self._diff[: self._n_block]
        self._diff_w2 = self._diff[self._n_block : self._n_block + H]
        self._path = self._v_path = 0.0
        # At the anchor: the similarities known, each pair's limit and N_ij.
        self._known = np.zeros(len(self._first))
        self._limit = np.full(len(self._first), math.inf)
        self._by_limit = np.arange(len(self._first))  # the pairs, lowest limit first
        self._sorted_limit = np.full(len(self._first), math.inf)
        self._norm = np.ones(len(self._first))
        self._live_pair = np.zeros(len(self._first), dtype=bool)
        self._watch = np.zeros(0, dtype=np.intp)
        self._live: np.ndarray | None = None
        self._alike: np.ndarray | None = None
        # The pairs of (c), their units, and the merge sequence they make.
        self._ambiguous = np.zeros(0, dtype=np.intp)
        self._ambiguous_units = np.zeros(0, dtype=np.intp)
        self._in_ambiguous = np.zeros(len(self._first), dtype=bool)
        self._order: MergeOrder | None = None
        # Steps held for computing the pairs in doubt together, and those pairs.
        self._held = np.empty((MAX_BATCH, layout.size))
        self._held_steps: list[int] = []
        self._in_doubt = 0  # the first pairs by limit that the held steps compute
        self._next_limit = math.inf  # the lowest limit of the pairs not in doubt
        self._batch = MIN_BATCH  # steps to hold this time
        self._anchored_at = step
        # Steps between crossings found in held steps (a running mean), and the last.
        self._crossing_gap = float(MAX_BATCH)
        self._last_crossing = step
        self.step = step  # the last step observed
        self._evaluate(theta, step)
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
        d = self._diff
        np.subtract(new, old, out=d)
        d *= self._scale
        np.abs(d, out=d)
        self._path += float(self._diff_block.max())
        self._v_path += float(self._diff_w2.max(initial=0.0))
        farthest = self._root_k * self._path
        if not farthest + self._v_path < math.inf and not np.isfinite(new).all():
            return  # the run diverges: the trainer stops and rolls this step back
        if (farthest >= REANCHOR_SHARE or self._v_path >= REANCHOR_SHARE
                or (len(self._watch) and new[self._watch].any())):
            self.flush()
            self._evaluate(new, step)
            return
        twice = -2.0 * math.log1p(-farthest)  # the largest τ_i + τ_j
        if twice >= self._next_limit:
            # These pairs may have moved by their margins, and those near it soon will.
            limits = self._sorted_limit
            self._in_doubt = int(np.searchsorted(limits, twice + NEAR, side="right"))
            self._next_limit = (float(limits[self._in_doubt]) if self._in_doubt < len(limits)
                                else math.inf)
        if not self._in_doubt:
            return  # no pair can have moved by its margin
        if not self._held_steps:
            # Margins that lasted q steps since the anchor will last about as long
            # again once anchored afresh; and the steps held after a crossing are
            # accounted for twice, so hold about as long as crossings stay apart.
            self._batch = int(min(MAX_BATCH, self._crossing_gap,
                                  max(MIN_BATCH, step - self._anchored_at)))
        self._held[len(self._held_steps)] = new
        self._held_steps.append(step)
        held = len(self._held_steps)
        if held >= self._batch or held * self._in_doubt >= BATCH_PAIRS:
            self.flush()

    def flush(self) -> None:
        """Account for the held steps now: compute the pairs in doubt at each of them."""
        if not self._held_steps:
            return
        steps, self._held_steps = self._held_steps, []
        thetas = self._held[: len(steps)].copy()  # replaying may hold steps again
        pairs = self._by_limit[: self._in_doubt]
        self._in_doubt = 0
        self._next_limit = float(self._sorted_limit[0]) if len(self._sorted_limit) else math.inf
        pairs = pairs[self._live_pair[pairs]]
        with_order = self._order is not None and bool(self._in_ambiguous[pairs].any())
        if with_order:  # the merge sequence needs them together
            pairs = np.union1d(pairs, self._ambiguous)
        now = pair_similarity(self._units(thetas), self.activation, self._first[pairs],
                              self._second[pairs])
        crossed = ((now >= self.threshold) != (self._known[pairs] >= self.threshold)).any(axis=1)
        first_crossing = int(crossed.argmax()) if crossed.any() else len(steps)
        start = 0
        while with_order:  # the merge sequence, up to the first crossing
            columns = np.searchsorted(pairs, self._order.leaves)
            slack = self._order.slack(1.0 - now[start:first_crossing], columns)
            failed = np.flatnonzero(~(slack > 0.0))
            if not len(failed):
                break
            k = start + int(failed[0])
            self._known[pairs] = now[k]
            self._recount(steps[k])
            start = k + 1
        if first_crossing < len(steps):
            # A new anchor there, and the steps after it accounted for from it.
            k = first_crossing
            self._crossing_gap = max(
                MIN_CROSSING_GAP, (self._crossing_gap + steps[k] - self._last_crossing) / 2.0)
            self._last_crossing = steps[k]
            self._evaluate(thetas[k], steps[k])
            last = self.step
            for j in range(k + 1, len(steps)):
                self.observe(thetas[j - 1], thetas[j], steps[j])
            self.flush()  # what the replay held: the caller wants every step done
            self.step = last
            return
        self.pair_checks += len(steps)
        self._known[pairs] = now[-1]
        farthest = self._root_k * self._path
        if farthest < REANCHOR_SHARE:  # else the caller anchors everything afresh next
            self._anchor(pairs, -math.log1p(-farthest))

    # -- recounting and anchoring -------------------------------------------------------------

    def _recount(self, step: int) -> None:
        """The count from the similarities known now (the alike pairs are the anchor's;
        only the merge sequence of (c) moved), and the sequence afresh."""
        H = self.layout.hidden
        S = np.ones((H, H))
        S[self._first, self._second] = self._known
        S[self._second, self._first] = self._known
        idx = np.flatnonzero(self._live)
        count = count_groups(S[np.ix_(idx, idx)], self.threshold)
        if count != self._distinct:
            self._record(step, self._distinct, count)
            self._distinct = count
        self._order = self._merge_order()

    def _anchor(self, pairs: np.ndarray, turn: float) -> None:
        """New margins and limits for ``pairs``, whose similarities are known now, when
        every unit may have turned by ``turn`` since the anchor."""
        self._anchored_at = self.step
        margin = np.abs(self._known[pairs] - self.threshold)
        if self._order is not None:
            inside = self._in_ambiguous[pairs]
            if inside.any():
                half = float(self._order.slack(1.0 - self._known)) / 2.0
                margin[inside] = np.minimum(margin[inside], half)
        limit = self._norm[pairs] * (margin - _ROUNDING_SLACK) + 2.0 * turn
        self._limit[pairs] = np.where(self._live_pair[pairs], limit, math.inf)
        self._by_limit = np.argsort(self._limit, kind="stable")
        self._sorted_limit = self._limit[self._by_limit]
        self._next_limit = float(self._sorted_limit[0]) if len(self._limit) else math.inf

    # -- full evaluation ----------------------------------------------------------------------

    def _units(self, theta: np.ndarray) -> np.ndarray:
        """The unit rows (..., H, D + 2) of parameter vectors (..., size)."""
        H, D = self.layout.hidden, self.layout.inputs
        units = np.empty((*theta.shape[:-1], H, D + 2))
        units[..., : D + 1] = theta[..., : self._n_block].reshape(*theta.shape[:-1], H, D + 1)
        units[..., D + 1] = theta[..., self._n_block : self._n_block + H]
        return units

    def _evaluate(self, theta: np.ndarray, step: int) -> None:
        """Everything at ``step``: the count (an event if it changed) and a new anchor.

        While the live units and the alike pairs are the anchor's, only the merge
        sequence of (c) can move the count, and it is rebuilt only if it did."""
        self.evaluations += 1
        units = self._units(theta)
        S = similarity_matrix(units, self.activation)
        D = self.layout.inputs
        live = units[:, :D].any(axis=1)
        alike = np.greater_equal(S, self.threshold)
        alike &= live[:, None] & live[None, :]
        self._known = S[self._first, self._second].copy()
        if (self._live is not None and np.array_equal(live, self._live)
                and np.array_equal(alike, self._alike)):
            if self._order is not None and not self._order.slack(1.0 - self._known) > 0.0:
                self._recount(step)
        else:
            idx = np.flatnonzero(live)
            count = count_groups(S[np.ix_(idx, idx)], self.threshold)
            if self._live is not None and count != self._distinct:
                self._record(step, self._distinct, count)
            self._distinct = count
            self._live, self._alike = live, alike
            self._live_pair = live[self._first] & live[self._second]
            self._find_ambiguous()
        self._set_scale(units, live)
        self._path = self._v_path = 0.0
        self._anchor(np.arange(len(self._first)), 0.0)

    def _find_ambiguous(self) -> None:
        """The pairs of (c) for the alike pairs now, and their merge sequence."""
        pairs = _ambiguous_pairs(self._alike, self._live)
        self._in_ambiguous[:] = False
        if pairs is None:
            self._ambiguous = np.zeros(0, dtype=np.intp)
            self._ambiguous_units = np.zeros(0, dtype=np.intp)
            self._order = None
        else:
            self._ambiguous = np.sort(self._pair_at[pairs[0], pairs[1]])
            self._ambiguous_units = np.unique(np.concatenate(pairs))
            self._in_ambiguous[self._ambiguous] = True
            self._order = self._merge_order()

    def _merge_order(self) -> MergeOrder:
        """The merge sequence of (c) for the similarities known now."""
        alike = self._alike
        units = self._ambiguous_units
        # The non-clique parts: connected parts of the alike graph among their units.
        label = np.full(self.layout.hidden, -1)
        parts = []
        for start in units.tolist():
            if label[start] >= 0:
                continue
            part, frontier = [start], [start]
            label[start] = len(parts)
            while frontier:
                unit = frontier.pop()
                for other in np.flatnonzero(alike[unit]).tolist():
                    if label[other] < 0:
                        label[other] = len(parts)
                        part.append(other)
                        frontier.append(other)
            parts.append(np.sort(np.array(part)))
        return MergeOrder(parts, alike, 1.0 - self._known, self._pair_at)

    def _record(self, step: int, before: int, after: int) -> None:
        self._events.append((step, before, after))
        self._lasting.add(step, before, after)

    def _set_scale(self, units: np.ndarray, live: np.ndarray) -> None:
        """The scales ‖w_i‖ and |v_i| (see the module doc), N_ij per pair and the exact
        zeros to watch."""
        D = self.layout.inputs
        w = units[:, :D]
        norm = np.sqrt(np.einsum("ij,ij->i", w, w))
        v = np.abs(units[:, -1])
        zero_v = live & (v == 0.0)
        # An undefined sign: watch v itself.
        self._watch = np.concatenate([self._w1_at[~live].ravel(), self._w2_at[zero_v]])
        if self._balanced:
            squares = np.where(zero_v, 1.0, 2.0)
            self._norm = np.sqrt(squares[self._first] * squares[self._second])
        with np.errstate(divide="ignore"):
            self._scale_block[:] = np.where(live, 1.0 / norm, 0.0)[:, None]
            self._scale_w2[:] = np.where(live & ~zero_v, 1.0 / v, 0.0)  # else watched


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
