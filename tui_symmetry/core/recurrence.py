"""Which units recur over many runs: K runs of one configuration from different seeds
on the same data, run 1's units matched to every other run's (docs/maths.md, "Many
seeds").

Li et al. (2015, "Convergent learning") asked whether networks trained from different
starts learn the same units.  Here each unit of run 1 gets its best partner in every
other run by the Hungarian matching compare uses (core/matching.py), scored in
function space (the correlation over the training inputs of two units' contributions
v·φ(z), core/similarity.py) or in weight space (the similarity panel's measure).  A unit
*recurs* in a run when its matched similarity there reaches :data:`RECUR_THRESHOLD`.

A maximum over pairings is high even for unrelated networks, so the numbers come with
two baselines: the matched mean between every pair of the *trained* runs, and the same
between their *untrained* starts.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core import metrics
from tui_symmetry.core.matching import assign, cross_similarity
from tui_symmetry.core.network import Params
from tui_symmetry.core.similarity import FUNCTION, SPACES, WEIGHTS, function_similarity

RECUR_THRESHOLD = 0.9
"""A unit recurs in a run when its matched similarity there is at least this."""

__all__ = ["FUNCTION", "RECUR_THRESHOLD", "SPACES", "WEIGHTS", "Recurrence", "cross_block",
           "match", "pair_means", "recurrence"]


def cross_block(params_a: Params, params_b: Params, activation: str, space: str,
                XT1: np.ndarray) -> np.ndarray:
    """S_ab (H_a, H_b): every unit of A against every unit of B, in ``space``.

    Weights: compare's measure (matching.cross_similarity).  Function: the off-diagonal
    block of ``function_similarity`` of both runs' units stacked, over the inputs
    ``XT1`` ([Xᵀ; 1], (D + 1, N)).
    """
    if space == WEIGHTS:
        return cross_similarity(metrics.unit_vectors(params_a), metrics.unit_vectors(params_b),
                                activation, metrics.shape_of(params_a))
    if space != FUNCTION:
        raise ValueError(f"unknown space {space!r}; use one of {', '.join(SPACES)}")
    block = np.vstack([np.column_stack([p.W1, p.b1]) for p in (params_a, params_b)])
    outgoing = np.concatenate([metrics.outgoing_weights(p) for p in (params_a, params_b)])
    joint = function_similarity(block, outgoing, activation, XT1)
    hidden_a = params_a.W1.shape[0]
    return joint[:hidden_a, hidden_a:]


def match(params_a: Params, params_b: Params, activation: str, space: str,
          XT1: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(b_for_a, the similarity of each pair): the pairing with the largest total
    similarity (runs of one configuration: every unit is paired)."""
    S = cross_block(params_a, params_b, activation, space, XT1)
    b_for_a = assign(S)
    return b_for_a, S[np.arange(len(b_for_a)), b_for_a]


@dataclass(frozen=True, eq=False)
class Recurrence:
    """Run 1's units against K − 1 other runs, and the two baselines."""

    matched: np.ndarray
    """(H, K − 1): unit i of run 1 against its partner in run k + 2."""
    partner: np.ndarray
    """(H, K − 1) int: that partner (from 0)."""
    pair_means: np.ndarray
    """(K(K − 1)/2,): the matched mean of every pair of trained runs."""
    untrained_means: np.ndarray
    """The same between the runs' untrained starts."""
    threshold: float = RECUR_THRESHOLD

    @property
    def recurs(self) -> np.ndarray:
        """(H,) int: in how many other runs each unit of run 1 recurs."""
        return np.count_nonzero(self.matched >= self.threshold, axis=1)

    @property
    def trained(self) -> tuple[float, float]:
        """(mean, std) of the matched mean over pairs of trained runs."""
        return float(self.pair_means.mean()), float(self.pair_means.std())

    @property
    def untrained(self) -> tuple[float, float]:
        """(mean, std) of the matched mean over pairs of untrained starts."""
        return float(self.untrained_means.mean()), float(self.untrained_means.std())


def pair_means(runs: Sequence[Params], activation: str, space: str,
               XT1: np.ndarray) -> np.ndarray:
    """The matched mean of every pair of ``runs`` (K(K − 1)/2, in the order (1, 2),
    (1, 3), …, (2, 3), …)."""
    with np.errstate(all="ignore"):
        return np.array([match(runs[i], runs[j], activation, space, XT1)[1].mean()
                         for i in range(len(runs)) for j in range(i + 1, len(runs))])


def recurrence(trained: Sequence[Params], untrained_means: np.ndarray, activation: str,
               space: str, XT1: np.ndarray, threshold: float = RECUR_THRESHOLD) -> Recurrence:
    """Run 1's units (``trained[0]``) matched in every other trained run, with the
    matched mean of every pair of ``trained`` runs; ``untrained_means`` is
    :func:`pair_means` of their starts (which never change: a caller computes them
    once).  At least two runs, all of one configuration."""
    if len(trained) < 2:
        raise ValueError("recurrence needs at least two runs")
    with np.errstate(all="ignore"):
        pairs = [match(trained[0], other, activation, space, XT1) for other in trained[1:]]
    partner = np.column_stack([b_for_a for b_for_a, _ in pairs])
    matched = np.column_stack([similarity for _, similarity in pairs])
    return Recurrence(matched, partner, pair_means(trained, activation, space, XT1),
                      np.asarray(untrained_means, dtype=float), threshold)
