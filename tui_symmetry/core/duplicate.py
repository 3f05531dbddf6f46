"""Duplicate a unit (Fukumizu & Amari 2000): a line of networks with one loss, and the
curvature that says whether the two copies stay together.

Unit i of a network, (w̃_i, v_i), is copied; the copy and the original share v_i as
λ·v_i and (1 − λ)·v_i.  Both compute φ(w̃_i·x̃), so the output λ·v_i·φ + (1 − λ)·v_i·φ =
v_i·φ is the same for every λ: a whole line of networks with the same loss.
:func:`grow` adds the copy as a new unit (H → H + 1: the smaller network's function,
hence its loss, exactly); :func:`replace` overwrites unit j with it (H stays; what unit
j did is lost, and the loss says how much).

The separating directions.  Moving the copies apart while keeping the output fixed to
first order means λ·δw̃_i + (1 − λ)·δw̃_j = 0 and δv_i + δv_j = 0: with n = √(λ² + (1 − λ)²),

    δw̃_i = (1 − λ)/n · d_w,   δw̃_j = −λ/n · d_w,   δv_i = d_v/√2,   δv_j = −d_v/√2,

an orthonormal basis P(λ) of a K-dimensional subspace (K = D + 1 + C, one column per
coordinate of d = [d_w, d_v]).  On it the Gauss–Newton part of the Hessian vanishes
(the output does not move) and what remains is the residual-weighted curvature of the
one unit, B = Σ_n r_n A_n (core/saddle.py), scaled:

    Pᵀ ∇²L P = [[λ(1 − λ)/n² · B_ww, B_wv/(√2·n)], [B_vw/(√2·n), 0]]

(plus the L2 and tie penalties).  At a critical point of the smaller network with
v_i ≠ 0, B_wv = Σ_n r_n φ'(z_n) x̃_n = ∇_w̃ L / v_i = 0, so the matrix is λ(1 − λ)/n²·B_ww:
inside 0 < λ < 1 the sign pattern of B_ww, outside it the opposite, and 0 at λ = 0, 1.
Its smallest eigenvalue is the "pair curvature": negative, the copies drift apart
(the point is a saddle); positive, they are pulled back together.  This module
computes the matrix from exact Hessian-vector products of the whole network
(saddle.hessian_terms), not from the formula above, which the tests check it against.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.metrics import unit_vectors
from tui_symmetry.core.network import (
    LOSSES,
    Params,
    loss_and_grads,
    target_rows,
    unit_shape,
    with_ones,
)
from tui_symmetry.core.saddle import hessian_terms, lanczos_smallest, outgoing_basis

LAMBDAS = np.linspace(-0.5, 1.5, 21)
"""The line's points a duplicate experiment reads: the segment [0, 1] and half of it
again on each side, where the sign of λ(1 − λ) flips."""


def grow(params: Params, i: int, lam: float) -> Params:
    """H → H + 1: a new last unit, a copy of unit ``i``; the outgoing weights become
    λ·v_i (unit i) and (1 − λ)·v_i (the copy).  The function is unchanged for every λ."""
    _check_unit(params, i)
    v = params.W2[:, i]
    W2 = np.column_stack([params.W2, (1.0 - lam) * v])
    W2[:, i] = lam * v
    return Params(np.vstack([params.W1, params.W1[i]]), np.append(params.b1, params.b1[i]),
                  W2, params.b2.copy())


def replace(params: Params, i: int, j: int, lam: float) -> Params:
    """H stays: unit ``j`` becomes a copy of unit ``i`` with (1 − λ)·v_i, unit i keeps
    λ·v_i.  What unit j computed is lost (the loss says how much)."""
    _check_unit(params, i)
    _check_unit(params, j)
    if i == j:
        raise ValueError(f"unit {i + 1} cannot be replaced by a copy of itself")
    W1, b1, W2 = params.W1.copy(), params.b1.copy(), params.W2.copy()
    v = params.W2[:, i].copy()
    W1[j], b1[j] = W1[i], b1[i]
    W2[:, i], W2[:, j] = lam * v, (1.0 - lam) * v
    return Params(W1, b1, W2, params.b2.copy())


def _check_unit(params: Params, i: int) -> None:
    H = params.W1.shape[0]
    if not 0 <= i < H:
        raise ValueError(f"unit {i + 1} does not exist: the network has units 1 to {H}")


@dataclass(frozen=True)
class Surface:
    """The training loss of one run's data, as a function of parameters of any width."""

    X: np.ndarray
    y: np.ndarray
    activation: str
    loss: str
    config: Config

    @classmethod
    def of(cls, config: Config, X: np.ndarray, y: np.ndarray) -> Surface:
        """The training loss of ``config`` (its activation, loss, L2 and tie) on X, y."""
        return cls(X, y, config.activation, config.loss, config)

    def value(self, params: Params) -> float:
        """The data loss (no penalties: what the loss plot shows)."""
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            return loss_and_grads(params, self.X, self.y, self.activation, self.loss)[0]

    def gradient_norm(self, params: Params) -> float:
        """‖∇L‖ of the data loss over every parameter: how far from a critical point."""
        grads = loss_and_grads(params, self.X, self.y, self.activation, self.loss)[1]
        return float(math.sqrt(sum(float(np.sum(g * g)) for g in grads.as_tuple())))


def line_losses(surface: Surface, params: Params, i: int, lams: np.ndarray,
                into: int | None = None) -> np.ndarray:
    """The loss at every λ of ``lams``: of :func:`grow` (``into`` None) or of
    :func:`replace` into unit ``into``."""
    def point(lam: float) -> Params:
        return grow(params, i, lam) if into is None else replace(params, i, into, lam)
    return np.array([surface.value(point(float(lam))) for lam in lams])


def separating_basis(lam: float, K: int, D1: int) -> tuple[np.ndarray, np.ndarray]:
    """(P_i, P_j), each (K, K): δu_i = P_i d and δu_j = P_j d for the separating
    directions d ∈ R^K at λ (module doc); together orthonormal columns."""
    n = math.hypot(lam, 1.0 - lam)
    P_i, P_j = np.zeros((K, K)), np.zeros((K, K))
    idx_w, idx_v = np.arange(D1), np.arange(D1, K)
    P_i[idx_w, idx_w], P_j[idx_w, idx_w] = (1.0 - lam) / n, -lam / n
    P_i[idx_v, idx_v], P_j[idx_v, idx_v] = 1.0 / math.sqrt(2.0), -1.0 / math.sqrt(2.0)
    return P_i, P_j


@dataclass(frozen=True)
class PairCurvature:
    """The Hessian of the training loss on the directions that separate copies i and j
    (module doc), in the orthonormal coordinates d; under softmax v ⊥ 1 (the direction
    α·1, which softmax cannot see, is left out)."""

    matrix: np.ndarray
    values: np.ndarray
    """Its eigenvalues, ascending; those within the rounding bound of the sums they are
    made of (saddle._Terms.rounding_bound) read exactly 0."""

    @property
    def smallest(self) -> float:
        """Negative: the copies drift apart (a saddle); positive: they are pulled back."""
        return float(self.values[0])

    @property
    def largest(self) -> float:
        return float(self.values[-1])


def pair_curvature(surface: Surface, params: Params, i: int, j: int,
                   lam: float) -> PairCurvature:
    """The pair curvature of copies ``i`` and ``j`` (u_i's w̃ equal to u_j's) at λ, the
    share of their summed outgoing weight that unit i holds."""
    units = unit_vectors(params)
    H, K = units.shape
    C = params.W2.shape[0]
    D1 = K - C
    XT1 = with_ones(surface.X)
    target = target_rows(surface.y, LOSSES[surface.loss], C)
    b2 = float(params.b2[0]) if C == 1 else np.asarray(params.b2, dtype=float)
    P_i, P_j = separating_basis(lam, K, D1)
    T = outgoing_basis(D1, unit_shape(C, surface.loss))
    if T is not None:  # softmax: d_v ⊥ 1
        P_i, P_j = P_i @ T, P_j @ T
    k = P_i.shape[1]
    dU = np.zeros((k, H, K))
    dU[:, i, :], dU[:, j, :] = P_i.T, P_j.T
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        terms = hessian_terms(units, b2, XT1, target, surface.activation, surface.loss)
        HdU = terms.hvp(dU) + _penalty_times(dU, surface.config, D1)
        bound = terms.rounding_bound(np.array([surface.config.l2 + surface.config.tie]), k)
    M = HdU[:, i, :] @ P_i + HdU[:, j, :] @ P_j
    M = 0.5 * (M + M.T)
    values = np.linalg.eigvalsh(M)
    # within rounding of 0 is 0, as the app's saddle reading says it (saddle.py, "Zero")
    return PairCurvature(M, np.where(np.abs(values) <= bound, 0.0, values))


def _penalty_times(dU: np.ndarray, config: Config, D1: int) -> np.ndarray:
    """The L2 and tie penalties' Hessian times unit perturbations (m, H, K): l2 on every
    weight (W1 and W2, not b1), tie·(δu_i − mean δu)."""
    out = np.zeros_like(dU)
    if config.l2:
        out += config.l2 * dU
        out[..., D1 - 1] -= config.l2 * dU[..., D1 - 1]  # b1 has no L2
    if config.tie:
        out += config.tie * (dU - dU.mean(axis=1, keepdims=True))
    return out


def largest_curvature(surface: Surface, params: Params, iterations: int = 40) -> float:
    """A lower bound on the largest eigenvalue of the data loss's Hessian: the largest
    over the units' parameters (b2 held; by interlacing no larger than the whole
    Hessian's), by Lanczos on exact Hessian-vector products.  Plain SGD at rate lr
    cannot stay at a point where lr times it exceeds 2."""
    units = unit_vectors(params)
    H, K = units.shape
    C = params.W2.shape[0]
    XT1 = with_ones(surface.X)
    target = target_rows(surface.y, LOSSES[surface.loss], C)
    b2 = float(params.b2[0]) if C == 1 else np.asarray(params.b2, dtype=float)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        terms = hessian_terms(units, b2, XT1, target, surface.activation, surface.loss)

        def minus_hessian(v: np.ndarray) -> np.ndarray:
            return -terms.hvp(v.reshape(1, H, K)).reshape(H * K)

        start = np.random.default_rng(0).standard_normal(H * K)
        value, _ = lanczos_smallest(minus_hessian, start, iterations, 1e-9)
    return -value
