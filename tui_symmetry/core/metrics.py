"""How alike the hidden units are (docs/contracts.md, "Metrics").

A unit is the vector u_i = [W1[i,:], b1[i], W2[:,i]]: everything that makes unit i
compute what it computes.  Units whose weights in and out are all zero are dead and
left out of the similarity summaries.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.network import ACTIVATIONS, Params

ODD_ACTIVATIONS = frozenset(name for name, record in ACTIVATIONS.items() if record.is_odd)

SAME_UNIT_THRESHOLD = 0.99


def unit_vectors(params: Params) -> np.ndarray:
    """(H, D + 2): one row per hidden unit."""
    return np.column_stack([params.W1, params.b1, params.W2[0]])


def dead_mask(params: Params) -> np.ndarray:
    """True for units whose incoming and outgoing weights are all exactly zero."""
    return ~(params.W1 != 0).any(axis=1) & (params.W2[0] == 0)


def similarity_matrix(units: np.ndarray, odd: bool) -> np.ndarray:
    """S_ij = cos(u_i, u_j), or |cos| when the activation is odd (u and −u are one unit).

    Zero vectors get similarity 0 to everything (1 to themselves).
    """
    # Scale each row by its largest entry first so that huge weights (a run about to
    # diverge) do not overflow the squared norm.
    peak = np.abs(units).max(axis=1, initial=0.0)
    scaled = units / np.where(peak > 0, peak, 1.0)[:, None]
    norms = np.sqrt(np.einsum("ij,ij->i", scaled, scaled))
    unit_dirs = scaled / np.where(norms > 0, norms, 1.0)[:, None]
    S = unit_dirs @ unit_dirs.T
    np.clip(S, -1.0, 1.0, out=S)
    if odd:
        S = np.abs(S)
    np.fill_diagonal(S, 1.0)
    return S


def symmetry_index(S: np.ndarray, live: np.ndarray) -> float:
    """Mean off-diagonal similarity over live units; 1.0 with fewer than two."""
    idx = np.flatnonzero(live)
    k = len(idx)
    if k < 2:
        return 1.0
    sub = S[np.ix_(idx, idx)]
    return float((sub.sum() - np.trace(sub)) / (k * (k - 1)))


def chance_level(dim: int, odd: bool) -> float:
    """Expected similarity of two random directions in ``dim`` dimensions.

    E|cos| = Γ(k/2) / (√π Γ((k+1)/2)) for odd activations (0.5 at k = 3); E cos = 0 else.
    """
    if not odd:
        return 0.0
    return math.exp(math.lgamma(dim / 2) - math.lgamma((dim + 1) / 2)) / math.sqrt(math.pi)


def distinct_units(S: np.ndarray, live: np.ndarray,
                   threshold: float = SAME_UNIT_THRESHOLD) -> int:
    """Number of groups when live units are linked wherever S_ij ≥ threshold."""
    idx = np.flatnonzero(live)
    linked = S[np.ix_(idx, idx)] >= threshold
    seen = np.zeros(len(idx), dtype=bool)
    groups = 0
    for start in range(len(idx)):
        if seen[start]:
            continue
        groups += 1
        frontier = [start]
        seen[start] = True
        while frontier:
            i = frontier.pop()
            for j in np.flatnonzero(linked[i] & ~seen):
                seen[j] = True
                frontier.append(int(j))
    return groups


def max_unit_gap(units: np.ndarray) -> float:
    """max over pairs i<j of max_k |u_ik − u_jk|; exactly 0.0 means bit-identical units.

    The largest gap in any coordinate is that coordinate's max minus its min.
    """
    if len(units) < 2:
        return 0.0
    return float(np.max(units.max(axis=0) - units.min(axis=0)))


def similarity_order(S: np.ndarray, previous: np.ndarray | None = None,
                     margin: float = 0.02) -> np.ndarray:
    """An order of the units that puts similar units next to each other.

    Greedy chain: start at the unit most similar to all others, then repeatedly go to
    the most similar unvisited unit (similarities rounded to 2 decimals, ties to the
    lower index, so tiny changes do not reshuffle).  When ``previous`` is given and is
    nearly as good (neighbour similarity within ``margin`` per link), it is kept, so
    the display does not flicker while training nudges the numbers.
    """
    H = S.shape[0]
    if H <= 2:
        return np.arange(H)
    rounded = np.round(S, 2)
    order = [int(np.argmax(rounded.sum(axis=1)))]
    visited = np.zeros(H, dtype=bool)
    visited[order[0]] = True
    for _ in range(H - 1):
        row = np.where(visited, -np.inf, rounded[order[-1]])
        nxt = int(np.argmax(row))
        order.append(nxt)
        visited[nxt] = True
    candidate = np.array(order)
    keep_previous = (
        previous is not None
        and len(previous) == H
        and sorted(previous) == list(range(H))
        and _chain_score(S, previous) >= _chain_score(S, candidate) - margin * (H - 1)
    )
    if keep_previous:
        return np.asarray(previous)
    return candidate


def _chain_score(S: np.ndarray, order: np.ndarray) -> float:
    order = np.asarray(order)
    return float(S[order[:-1], order[1:]].sum())


def summarize(params: Params, activation: str) -> dict:
    """All the unit metrics of ``params`` at once (shared by snapshots and history)."""
    units = unit_vectors(params)
    odd = activation in ODD_ACTIVATIONS
    S = similarity_matrix(units, odd)
    dead = dead_mask(params)
    live = ~dead
    return {
        "units": units,
        "similarity": S,
        "dead": dead,
        "symmetry_index": symmetry_index(S, live),
        "chance_level": chance_level(units.shape[1], odd),
        "distinct_units": distinct_units(S, live),
        "dead_units": int(dead.sum()),
        "max_unit_gap": max_unit_gap(units[live]),
    }


def symmetry_index_of(params: Params, activation: str) -> float:
    """Just the symmetry index: the cheap path used for every history point."""
    S = similarity_matrix(unit_vectors(params), activation in ODD_ACTIVATIONS)
    return symmetry_index(S, ~dead_mask(params))
