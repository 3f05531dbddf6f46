"""How alike the hidden units are: the per-snapshot unit metrics (docs/contracts.md, "Metrics").

A unit is the vector u_i = [W1[i,:], b1[i], W2[:,i]]: everything that makes unit i
compute what it computes.  The similarity of two units respects the symmetries of the
activation (see :mod:`tui_symmetry.core.similarity`).

A unit without incoming weights is not a feature of the input: with no weights at all
it is dead, with only an outgoing weight it adds a constant.  Both are left out of the
similarity summaries (``dead`` below).  A ReLU unit that is never active on the
training data is reported as inactive but kept: its weights still say what it is.
"""

from __future__ import annotations

import functools
import math

import numpy as np

from tui_symmetry.core.network import Params, UnitShape, unit_shape
from tui_symmetry.core.similarity import similarity_matrix

SAME_UNIT_THRESHOLD = 0.99

OPTIMAL_ORDER_MAX_UNITS = 128
"""Up to this many units the similarity order is scipy's optimal leaf ordering (H = 256
would cost ~50 ms a picture); above it, the average-linkage tree's own leaf order."""

# Unit states (unit_states); every unit has exactly one.
LIVE, NO_WEIGHTS, CONSTANT, INACTIVE = 0, 1, 2, 3
STATE_NAMES = ("live", "no weights", "constant", "inactive")


def positions_of(params: Params) -> int:
    """P, the outgoing weights per unit and output: 1 for an MLP's units, a conv
    filter's pooled cells (W2 is (C, K·P), filter-major: core/conv.py)."""
    return params.W2.shape[1] // max(1, params.W1.shape[0])


def outgoing_rows(params: Params) -> np.ndarray:
    """(H, C·P): each unit's outgoing weights as one row, W2[:, i] (P = 1) or a
    filter's block W2[:, kP:(k+1)P] read row-major."""
    C, H = params.W2.shape[0], params.W1.shape[0]
    P = positions_of(params)
    if P == 1:
        return params.W2.T
    return params.W2.reshape(C, H, P).transpose(1, 0, 2).reshape(H, C * P)


def unit_vectors(params: Params) -> np.ndarray:
    """(H, D + 1 + C·P): one row [W1[i, :], b1[i], outgoing] per hidden unit or filter."""
    return np.column_stack([params.W1, params.b1, outgoing_rows(params)])


def shape_of(params: Params) -> UnitShape:
    """The UnitShape of ``params``'s unit rows (C > 1 outputs: softmax classes)."""
    return unit_shape(params.W2.shape[0], positions=positions_of(params))


def outgoing_weights(params: Params) -> np.ndarray:
    """What a unit sends on: W2[0] (H,) for one output of an MLP, else the outgoing
    vectors v̄ (H, C·P), centred under softmax (similarity.contributions reads either)."""
    if params.W2.shape[0] == 1 and positions_of(params) == 1:
        return np.asarray(params.W2[0], dtype=float)
    return shape_of(params).outgoing_vectors(outgoing_rows(params))


def dead_mask(params: Params) -> np.ndarray:
    """True for units with no incoming weights (no weights at all, or constant).

    These are left out of the symmetry index and of distinct units: a unit that does
    not look at the input is not alike or unlike any feature.
    """
    return ~(params.W1 != 0).any(axis=1)


def unit_states(params: Params, activation: str, XT1: np.ndarray | None = None) -> np.ndarray:
    """Each unit's state (H,) int8: LIVE, NO_WEIGHTS, CONSTANT or INACTIVE.

    NO_WEIGHTS: every incoming and outgoing weight is zero (a bias may remain).
    CONSTANT: no incoming weights but an outgoing one: it adds v·φ(b) to the outputs
    (under softmax an outgoing vector v ∝ 1 changes nothing: it counts as none).
    INACTIVE: a ReLU unit with z ≤ 0 on every input of ``XT1`` ([Xᵀ; 1], the training
    inputs): it outputs 0 and gets no gradient from full-batch training.
    """
    has_in = (params.W1 != 0).any(axis=1)
    has_out = (shape_of(params).outgoing_vectors(outgoing_rows(params)) != 0).any(axis=1)
    states = np.full(len(has_in), LIVE, dtype=np.int8)
    states[~has_in & ~has_out] = NO_WEIGHTS
    states[~has_in & has_out] = CONSTANT
    if activation == "relu" and XT1 is not None and XT1.shape[1] > 0:
        block = np.column_stack([params.W1, params.b1])
        columns = XT1.reshape(XT1.shape[0], -1)  # a conv's patches: (k² + 1, Q, N)
        with np.errstate(over="ignore", invalid="ignore"):
            never = ~((block @ columns) > 0.0).any(axis=1)
        states[has_in & never] = INACTIVE
    return states


def symmetry_index(S: np.ndarray, live: np.ndarray) -> float:
    """Mean off-diagonal similarity over live units; NaN (undefined) with fewer than two."""
    idx = np.flatnonzero(live)
    k = len(idx)
    if k < 2:
        return math.nan
    sub = S[np.ix_(idx, idx)]
    return float((sub.sum() - np.trace(sub)) / (k * (k - 1)))


def count_groups(S: np.ndarray, threshold: float = SAME_UNIT_THRESHOLD) -> int:
    """Groups of units that are all alike pairwise (S ≥ threshold), by complete linkage.

    Complete linkage on the distance 1 − S, cut at 1 − threshold, so no group holds
    two units less alike than the threshold: a chain of pairwise-close units spread
    out is several groups, not one.  The heights of complete linkage never decrease,
    so the groups at the cut are n minus the merges at or below it.

    The graph "alike" (S ≥ threshold) decides the answer alone when each of its
    connected parts is all alike (a union of cliques): then those parts are the
    groups, whatever the order of merging.  That is checked first
    (:func:`is_union_of_cliques`); scipy's linkage runs only otherwise.
    1 − S is exact near the threshold (Sterbenz), so S ≥ threshold and
    1 − S ≤ 1 − threshold agree to the bit.
    """
    n = S.shape[0]
    if n < 2:
        return n
    alike = np.greater_equal(S, threshold)
    np.fill_diagonal(alike, True)
    if is_union_of_cliques(alike):
        # Count each clique once, at its lowest index.
        return int(np.count_nonzero(alike.argmax(axis=1) == np.arange(n)))
    from scipy.cluster.hierarchy import linkage

    distance = 1.0 - S[_upper_triangle(n)]
    np.maximum(distance, 0.0, out=distance)
    heights = linkage(distance, method="complete")[:, 2]
    return n - int(np.count_nonzero(heights <= 1.0 - threshold))


def is_union_of_cliques(alike: np.ndarray) -> bool:
    """True when the reflexive graph ``alike`` is a union of cliques (alike is transitive).

    Exactly when each unit's row equals the row of its first alike unit m(i): if
    j ~ i then j ~ m(i), so m(j) ≤ m(i), and likewise m(i) ≤ m(j); alike units then
    share their first alike unit and so their rows.
    """
    return bool((alike == alike[alike.argmax(axis=1)]).all())


@functools.lru_cache(maxsize=64)
def _upper_triangle(n: int) -> tuple[np.ndarray, np.ndarray]:
    """np.triu_indices(n, 1), which is slow to make afresh at every count."""
    return np.triu_indices(n, 1)


def distinct_units(S: np.ndarray, live: np.ndarray,
                   threshold: float = SAME_UNIT_THRESHOLD) -> int:
    """Number of groups of pairwise-alike live units (see :func:`count_groups`)."""
    idx = np.flatnonzero(live)
    return count_groups(S[np.ix_(idx, idx)], threshold)


def max_unit_gap(units: np.ndarray) -> float:
    """max over pairs i<j of max_k |u_ik − u_jk|; exactly 0.0 means bit-identical units.

    The largest gap in any coordinate is that coordinate's max minus its min.
    """
    if len(units) < 2:
        return 0.0
    return float(np.max(units.max(axis=0) - units.min(axis=0)))


def similarity_order(S: np.ndarray, previous: np.ndarray | None = None,
                     margin: float = 0.02) -> np.ndarray:
    """An order of the units that puts similar units next to each other (seriation).

    Average-linkage clustering of the distances 1 − S with scipy, its leaves put in the
    optimal leaf ordering (adjacent leaves as alike as the tree allows; for up to
    OPTIMAL_ORDER_MAX_UNITS units, beyond which it costs tens of ms and the plain leaf
    order is used).  The new order is aligned to ``previous``: kept when ``previous`` is
    nearly as good (neighbour similarity within ``margin`` per link), else read in the
    direction that moves the units least, so the display does not flicker or flip
    while training nudges the numbers.
    """
    H = S.shape[0]
    if H <= 2:
        return np.arange(H)
    valid_previous = (
        previous is not None and len(previous) == H and sorted(previous) == list(range(H))
    )
    if (S >= SAME_UNIT_THRESHOLD).all():  # copies (a symmetric start): any order will do
        return np.asarray(previous) if valid_previous else np.arange(H)
    # Imported here, like count_groups' linkage: scipy.cluster costs a quarter of a
    # second at start-up, which the app's first frame should not wait for.
    from scipy.cluster.hierarchy import leaves_list, linkage, optimal_leaf_ordering
    from scipy.spatial.distance import squareform

    distance = 1.0 - np.clip(S, 0.0, 1.0)
    np.fill_diagonal(distance, 0.0)
    condensed = squareform(0.5 * (distance + distance.T), checks=False)
    tree = linkage(condensed, method="average")
    if H <= OPTIMAL_ORDER_MAX_UNITS:
        tree = optimal_leaf_ordering(tree, condensed)
    candidate = leaves_list(tree)
    if not valid_previous:
        return candidate
    previous = np.asarray(previous)
    if _chain_score(S, previous) >= _chain_score(S, candidate) - margin * (H - 1):
        return previous
    # The reversed order is as good: take the direction closer to what was on screen.
    place = np.empty(H, dtype=int)
    place[previous] = np.arange(H)
    reverse = candidate[::-1]
    moves = np.abs(place[candidate] - np.arange(H)).sum()
    if np.abs(place[reverse] - np.arange(H)).sum() < moves:
        return reverse
    return candidate


def _chain_score(S: np.ndarray, order: np.ndarray) -> float:
    order = np.asarray(order)
    return float(S[order[:-1], order[1:]].sum())


def summarize(params: Params, activation: str, XT1: np.ndarray | None = None) -> dict:
    """All the unit metrics of ``params`` at once (shared by snapshots and history).

    ``XT1`` ([Xᵀ; 1], the training inputs) is needed only to find inactive ReLU units.
    ``dead`` marks the units left out (no incoming weights); ``dead_units`` counts them,
    ``constant_units`` those of them that still have an outgoing weight.
    """
    units = unit_vectors(params)
    S = similarity_matrix(units, activation, shape_of(params))
    states = unit_states(params, activation, XT1)
    dead = dead_mask(params)
    live = ~dead
    return {
        "units": units,
        "similarity": S,
        "dead": dead,
        "states": states,
        "symmetry_index": (float(S[0, 1]) if copies(units) and live.all()
                           else symmetry_index(S, live)),
        "distinct_units": distinct_units(S, live),
        "dead_units": int(np.count_nonzero(dead)),  # no weights, or constant
        "constant_units": int(np.count_nonzero(states == CONSTANT)),
        "inactive_units": int(np.count_nonzero(states == INACTIVE)),
        "max_unit_gap": max_unit_gap(units[live]),
    }


def symmetry_index_of(params: Params, activation: str) -> float:
    """Just the symmetry index: the cheap path used for every history point."""
    units, live = unit_vectors(params), ~dead_mask(params)
    if copies(units) and live.all():  # from one pair: no H × H matrix every step
        return float(similarity_matrix(units[:2], activation, shape_of(params))[0, 1])
    S = similarity_matrix(units, activation, shape_of(params))
    return symmetry_index(S, live)


def copies(units: np.ndarray) -> bool:
    """Whether there are two units or more and every unit's row is a bit-identical copy
    of the first (a symmetric start keeps them so).  Then every pair reads the same
    similarity, each built from its own two rows, and their mean, the symmetry index,
    is that one number (a sum of H² of them would round it)."""
    bits = np.ascontiguousarray(units).view(np.int64)  # -0.0 is no copy of 0.0
    return len(units) > 1 and bool((bits == bits[:1]).all())
