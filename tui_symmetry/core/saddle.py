"""The saddle instrument: why units that start alike drift apart, measured.

Where all units are identical the network is a one-unit network in disguise, and that
point is a saddle of the loss: along the directions in which units *differ*, the loss
curves downward, so any difference grows until the units split.  This module measures
the two numbers that say so, per snapshot:

* the **spread** ‖U − ū‖ of the units (rows u_i = [w_i, b_i, v_i]; ū their mean), and
* the **curvature** λ: the smallest eigenvalue of the Hessian of the training loss
  restricted to perturbations δU with Σ_i δu_i = 0 (and δb2 = 0) — the directions in
  which units differ.  λ < 0: differences grow; λ > 0: units are pulled together.

The Hessian.  With x̃ = [x; 1], unit i computes v_i·φ(z_i), z_i = w̃_i·x̃ (w̃_i = [w_i, b_i]),
the output is f = Σ_i v_i φ(z_i) + b2 and the loss L = (1/N)·Σ_n ℓ(f_n).  Writing
r_n = ℓ'(f_n)/N, q_n = ℓ''(f_n)/N and g_in = ∂f_n/∂u_i = [v_i φ'(z_in) x̃_n, φ(z_in)],

    ∂²L/∂u_i∂u_j = Σ_n q_n g_in g_jnᵀ + δ_ij Σ_n r_n A_in,
    A_in = [[v_i φ''(z_in) x̃_n x̃_nᵀ, φ'(z_in) x̃_n], [φ'(z_in) x̃_nᵀ, 0]],

because f is a sum over units (no cross second derivatives).  L2 (gradient + l2·W)
adds l2 on the weight coordinates; the tie penalty (gradient + tie·(u_i − ū)) adds
tie·(δ_ij − 1/H); dropout, gradient noise and L1 are not smooth terms and are left out.

At an exactly symmetric point every g_in is the same g_n and every A_in the same A_n,
so ∂²L/∂u_i∂u_j = G + δ_ij·B with G = Σ q g gᵀ and B = Σ r A (+ the penalties).  A
perturbation with Σ_i δu_i = 0 kills every G term: the restricted Hessian is I ⊗ B,
one small (D + 2) × (D + 2) matrix per unit, the same for all, and λ = λ_min(B).  Only
the residual-weighted curvature of a single unit decides whether identical units stay
identical — the Gauss–Newton part, always ≥ 0, cannot act on differences.

Away from that point the restricted Hessian is built from exact Hessian-vector
products (the formula above, applied to a batch of directions) in an orthonormal
basis of the difference subspace (Helmert columns ⊗ I): densely while that is small,
otherwise by a few Lanczos iterations warm-started from the last eigenvector.

Growth.  Linearised plain SGD multiplies a difference along the eigenvector of λ by
(1 − lr·λ) per step: it grows ×e every 1/ln(1 − lr·λ) steps (≈ 1/(lr·|λ|) while lr·|λ|
is small).  For SGD with momentum μ the factor is the largest root of
ρ² − (1 + μ − lr·λ)ρ + μ = 0.  Adam has no such fixed factor: no prediction.

Zero.  λ is computed from sums over the training points whose terms can cancel (a linear
network at its least-squares fit has exactly flat directions, and reads ~1e-15).  A λ
within the rounding error of those sums (``_Terms.rounding_bound``) cannot be told from
zero and reads as exactly 0: differences neither grow nor shrink, to second order.

The split forecast.  The units stop being all alike when the largest chord ‖ĉ_i − ĉ_j‖
between canonical unit directions (similarity S = 1 − chord²/2,
similarity.separation_matrix) exceeds √(2·(1 − threshold)).  For tanh and sigmoid the
canonical direction is [ŵ, sgn v]/√2 (the balanced cosine), so that happens in one of
two ways: the incoming directions part (the chord is then ‖ŵ_i − ŵ_j‖/√2 and grows
smoothly), or one unit's outgoing weight v reaches zero and its sign leaves the others
(S drops at once from ≈ 1 to 0.71 at v = 0 and to ≈ 0 past it, however alike the
incoming directions still are: the default run splits this way).  The chord cannot see
the second way coming; the size of |v| can (:func:`sign_approach`).  At the current rate
each gets there in ln(1/x)/rate steps (x = 1 at the split), but one instant's rate is a
poor guide: the curvature softens as the one-unit fit improves (on moons from ×e every
12 steps to ×e every 2,400), and a difference along a unit's own incoming direction does
not turn [ŵ], so the chord often grows more slowly than the curvature says.
:func:`forecast_split` therefore compares readings and gives a range: from the steps
left at the curvature's rate to those at the rate each way really moved, widened by how
much the rate itself has been moving (see its docstring; measured in docs/maths.md, "The
split forecast").
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.metrics import SAME_UNIT_THRESHOLD, unit_vectors
from tui_symmetry.core.network import (
    ACTIVATIONS,
    LOSSES,
    ONE_OUTPUT,
    ParamLayout,
    UnitShape,
    unit_shape,
)
from tui_symmetry.core.optim import OPTIMIZERS
from tui_symmetry.core.similarity import separation_matrix

# The dense path builds the restricted Hessian from this many direction × unit × input
# entries at most; beyond it, Lanczos on single Hessian-vector products.
DENSE_MAX_ENTRIES = 200_000
LANCZOS_ITERATIONS = 40
LANCZOS_TOL = 1e-7
# A cost model in "array elements" for spacing readings out (SaddleMeter.work): a numpy
# call costs about as much as touching this many elements, whatever its size.
OP_OVERHEAD = 2_000
HVP_OPS = 24  # numpy calls in one Hessian-vector product, the basis changes included
LANCZOS_STEP_OPS = 12  # and in the rest of one Lanczos step (orthogonalising, eigh of T)
CHORD_OPS = 16  # numpy calls of largest_chord and sign_approach, each over <= H² · K elements
# How much larger than its first-order estimate the rounding error of λ is allowed to be
# before λ counts as a number rather than zero (see rounding_bound).
ROUNDING_SAFETY = 4.0

KINKED = ("relu", "leaky_relu")
"""Activations with a kink: a training point crossing a unit's kink changes the curvature
at once, so the rate of one reading says little about the next: no split forecast.
(Measured with a first version of forecast_split on xor: its range held the split in
68 % of ReLU's readings, against 98 % for the smooth activations.)"""

# The split forecast (forecast_split), chosen from measurements (docs/maths.md): the range
# reaches at least this far beyond the steps left at either rate (a factor 1.25)...
FORECAST_MARGIN = 0.25
# ...and further by this many times the rate's own drift, carried over the steps left
# (measured as far back as the forecast looks ahead)...
FORECAST_DRIFT = 2.0
# ...and there is no forecast once that would make it wider than a factor 2 either side.
FORECAST_MAX_WIDENING = 1.0


@dataclass(frozen=True)
class SaddleReading:
    """One measurement of the saddle (see the module doc), taken at ``step``.

    While all units are alike and their differences grow, it measures how near they are
    to splitting along each of the two ways a split comes about (what a forecast
    extrapolates): ``chord``, the largest chord between the units' canonical directions,
    and ``sign_approach`` (:func:`sign_approach`), how far the outgoing weight nearest
    zero has come toward it.  The forecast itself needs two readings
    (:func:`forecast_split`): ``predicted_split_step`` is where the nearer of the two
    reaches the split at the current rate, ``split_range`` the range (first, last step)
    the split is expected in; both None without a forecast.
    """

    step: int
    spread: float
    curvature: float | None
    growth_rate: float | None
    predicted_split_step: int | None = None
    chord: float | None = None
    split_range: tuple[int, int] | None = None
    sign_approach: float | None = None

    @property
    def efold_steps(self) -> float | None:
        """Steps for the differences to grow ×e (None unless they grow)."""
        if self.growth_rate is None or not self.growth_rate > 0:
            return None
        return 1.0 / self.growth_rate


def spread(units: np.ndarray) -> float:
    """‖U − ū‖ (Frobenius): how far the units are from being all identical."""
    if len(units) == 0:
        return 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        return float(np.linalg.norm(units - units.mean(axis=0)))


def helmert_basis(H: int) -> np.ndarray:
    """(H, H − 1) orthonormal columns orthogonal to the all-ones vector."""
    Q = np.zeros((H, H - 1))
    for k in range(1, H):
        Q[:k, k - 1] = 1.0 / math.sqrt(k * (k + 1))
        Q[k, k - 1] = -k / math.sqrt(k * (k + 1))
    return Q


class _Terms:
    """Everything the Hessian of the data loss needs at one point."""

    def __init__(self, units: np.ndarray, b2: float, XT1: np.ndarray, yT: np.ndarray,
                 activation: str, loss: str) -> None:
        D1 = XT1.shape[0]
        self.XT1 = XT1
        self.v = units[:, -1]
        z = units[:, :D1] @ XT1
        self.a, self.d1, self.d2 = ACTIVATIONS[activation].derivatives(z)
        f = self.v @ self.a + b2
        # one output: Q_n is the number q_n (its norm)
        r, _, self.q = LOSSES[loss].hessian_terms(f[None], yT, 1.0 / XT1.shape[1])
        self.r = r[0]

    def hvp(self, dU: np.ndarray) -> np.ndarray:
        """The data-loss Hessian times a batch of unit perturbations (m, H, K)."""
        D1 = self.XT1.shape[0]
        dW, dv = dU[..., :D1], dU[..., D1]
        P = np.einsum("mhk,kn->mhn", dW, self.XT1)  # x̃_n·δw̃_i
        vd1 = self.v[:, None] * self.d1
        J = np.einsum("hn,mhn->mn", vd1, P) + np.einsum("hn,mh->mn", self.a, dv)
        qJ = self.q * J
        rd1 = self.r * self.d1
        C = (qJ[:, None, :] * vd1 + (self.v[:, None] * self.d2 * self.r) * P
             + rd1 * dv[..., None])
        out = np.empty_like(dU)
        out[..., :D1] = np.einsum("mhn,kn->mhk", C, self.XT1)
        out[..., D1] = np.einsum("mn,hn->mh", qJ, self.a) + np.einsum("hn,mhn->mh", rd1, P)
        return out

    def rounding_bound(self, penalty: np.ndarray, dim: int) -> float:
        """How far rounding can move λ: a first-order bound, times ROUNDING_SAFETY.

        Every entry of the restricted Hessian is a sum over the N training points (and
        over the H units, through the basis) of terms no larger than those of
        Σ_n q_n·max_i ‖g_in‖² + Σ_n |r_n|·max_i ‖A_in‖ (+ the penalties), so rounding
        moves an entry by at most about (N + H)·ε times that, and an eigenvalue of the
        dim × dim matrix by at most dim times as much.  The terms themselves may
        cancel to nothing (a linear network at its least-squares fit): a λ inside this
        bound cannot be told from zero.
        """
        norms = np.sqrt(np.einsum("kn,kn->n", self.XT1, self.XT1))  # ‖x̃_n‖
        v = np.abs(self.v)[:, None]
        gauss_newton = ((v * self.d1 * norms) ** 2 + self.a ** 2).max(axis=0)
        residual = (v * np.abs(self.d2) * norms**2
                    + math.sqrt(2.0) * np.abs(self.d1) * norms).max(axis=0)
        scale = float(np.abs(self.q) @ gauss_newton + np.abs(self.r) @ residual
                      + np.abs(penalty).max())
        H, N = self.a.shape
        return ROUNDING_SAFETY * (N + H) * dim * np.finfo(float).eps * scale

    def unit_block(self) -> np.ndarray:
        """B = Σ_n r_n A_n for unit 0 (at a symmetric point: every unit's block)."""
        D1 = self.XT1.shape[0]
        X = self.XT1
        v, r = self.v[0], self.r
        K = D1 + 1
        B = np.zeros((K, K))
        B[:D1, :D1] = (X * (r * v * self.d2[0])) @ X.T
        cross = X @ (r * self.d1[0])
        B[:D1, D1] = cross
        B[D1, :D1] = cross
        return B


class _VectorTerms:
    """The Hessian terms of a network with C > 1 outputs (docs/maths.md, "Many classes"):
    r_n ∈ R^C, Q_n a C × C operator, ∂f_n/∂u_i = [v_i φ'(z_in) x̃_nᵀ │ φ(z_in) I_C].

    Four BLAS contractions per batch of directions: no bit-exactness is needed here.
    """

    def __init__(self, units: np.ndarray, b2: np.ndarray, XT1: np.ndarray,
                 target: np.ndarray, activation: str, loss: str) -> None:
        D1 = XT1.shape[0]
        self.XT1 = XT1
        self.w, self.v = units[:, :D1], units[:, D1:]  # (H, D + 1), (H, C)
        self.a, self.d1, self.d2 = ACTIVATIONS[activation].derivatives(self.w @ XT1)
        f = self.v.T @ self.a + b2[:, None]
        self.r, self.q_times, self.q_norm = LOSSES[loss].hessian_terms(
            f, target, 1.0 / XT1.shape[1])
        self.vr = self.v @ self.r  # (H, N): v_h · r_n

    def hvp(self, dU: np.ndarray) -> np.ndarray:
        """The data-loss Hessian times a batch of unit perturbations (m, H, D + 1 + C)."""
        D1 = self.XT1.shape[0]
        dW, dV = dU[..., :D1], dU[..., D1:]
        P = dW @ self.XT1  # (m, H, N): x̃_n·δw̃_h
        d1P = self.d1 * P
        J = self.v.T @ d1P + np.swapaxes(dV, -1, -2) @ self.a  # (m, C, N): δf_n
        QJ = self.q_times(J)
        G = (self.v @ QJ) * self.d1 + (self.vr * self.d2) * P + self.d1 * (dV @ self.r)
        out = np.empty_like(dU)
        out[..., :D1] = G @ self.XT1.T
        out[..., D1:] = self.a @ np.swapaxes(QJ, -1, -2) + d1P @ self.r.T
        return out

    def unit_block(self) -> np.ndarray:
        """B = Σ_n A_n for unit 0 (at a symmetric point: every unit's block), (K, K)."""
        D1 = self.XT1.shape[0]
        X = self.XT1
        K = D1 + self.v.shape[1]
        B = np.zeros((K, K))
        B[:D1, :D1] = (X * (self.vr[0] * self.d2[0])) @ X.T
        cross = (X * self.d1[0]) @ self.r.T
        B[:D1, D1:] = cross
        B[D1:, :D1] = cross.T
        return B

    def rounding_bound(self, penalty: np.ndarray, dim: int) -> float:
        """As _Terms.rounding_bound, with ‖g_in‖² = ‖v_i‖²φ'²‖x̃‖² + Cφ² and
        ‖A_in‖ ≤ ‖r_n‖ (‖v_i‖|φ''|‖x̃‖² + √2|φ'|‖x̃‖)."""
        norms = np.sqrt(np.einsum("kn,kn->n", self.XT1, self.XT1))
        v = np.sqrt(np.einsum("hc,hc->h", self.v, self.v))[:, None]
        C = self.v.shape[1]
        gauss_newton = ((v * self.d1 * norms) ** 2 + C * self.a ** 2).max(axis=0)
        residual = (v * np.abs(self.d2) * norms**2
                    + math.sqrt(2.0) * np.abs(self.d1) * norms).max(axis=0)
        r_norms = np.sqrt(np.einsum("cn,cn->n", self.r, self.r))
        scale = float(self.q_norm @ gauss_newton + r_norms @ residual
                      + np.abs(penalty).max())
        H, N = self.a.shape
        return ROUNDING_SAFETY * (N + H) * dim * np.finfo(float).eps * scale


class _ConvTerms(_VectorTerms):
    """The Hessian terms of a conv layer's filters (docs/maths.md, "Filters"): the
    terms of _VectorTerms with a position axis.  Filter h at position q of image n has
    z_hqn = w̃_h·Π_qn; its pooled cells m_h = Pool φ(z_h) (P × Q, 1/4 per window) reach
    the outputs through its block V_h (C, P): f_n = Σ_h V_h m_hn + b2.  Then

        ∂f_n/∂w̃_h = Σ_q (V_h Pool)[:, q] φ′(z_hqn) Π_qnᵀ,   ∂f_n/∂V_h = I_C ⊗ m_hnᵀ,

    and the residual block sums over q the terms (r_n·(V_h Pool)[:, q]) φ″ Π Πᵀ and
    r_{n,c} Pool[p, q] φ′ Π.  The MLP's terms are the case Q = P = 1, Pool = [1].
    """

    def __init__(self, units: np.ndarray, b2: np.ndarray, PT: np.ndarray,
                 target: np.ndarray, activation: str, loss: str, positions: int) -> None:
        D1, Q, N = PT.shape
        H, C, P = len(units), target.shape[0], positions
        self.XT1, self.P = PT, P
        self.X2 = PT.reshape(D1, Q * N)
        side, half = math.isqrt(Q), math.isqrt(P)
        pool = np.zeros((P, side, side))
        for i in range(half):
            for j in range(half):
                pool[i * half + j, 2 * i:2 * i + 2, 2 * j:2 * j + 2] = 0.25
        self.pool = pool.reshape(P, Q)
        self.w, self.V = units[:, :D1], units[:, D1:].reshape(H, C, P)
        self.v = units[:, D1:]  # (H, C·P): for the rounding bound's ‖V_h‖
        z = (self.w @ self.X2).reshape(H, Q, N)
        self.a, self.d1, self.d2 = ACTIVATIONS[activation].derivatives(z)
        self.m = self.pool @ self.a  # (H, P, N)
        f = np.einsum("hcp,hpn->cn", self.V, self.m) + b2[:, None]
        self.r, self.q_times, self.q_norm = LOSSES[loss].hessian_terms(f, target, 1.0 / N)
        self.s = self._up(np.einsum("hcp,cn->hpn", self.V, self.r))  # (H, Q, N)

    def _up(self, x: np.ndarray) -> np.ndarray:
        """Poolᵀ x: each pooled cell's value (..., P, N) back on its window's positions,
        times 1/4 (..., Q, N)."""
        return self.pool.T @ x

    def hvp(self, dU: np.ndarray) -> np.ndarray:
        """The data-loss Hessian times a batch of filter perturbations (m, H, D1 + C·P)."""
        D1, Q, N = self.XT1.shape
        m, H = dU.shape[:2]
        C, P = self.V.shape[1], self.P
        dW, dV = dU[..., :D1], dU[..., D1:].reshape(m, H, C, P)
        Pz = (dW @ self.X2).reshape(m, H, Q, N)  # Π_qn·δw̃_h
        d1Pz = self.d1 * Pz
        dm = self.pool @ d1Pz  # (m, H, P, N)
        J = (np.einsum("hcp,mhpn->mcn", self.V, dm)
             + np.einsum("mhcp,hpn->mcn", dV, self.m))  # δf (m, C, N)
        QJ = self.q_times(J)
        G = (self.d1 * self._up(np.einsum("hcp,mcn->mhpn", self.V, QJ))
             + (self.s * self.d2) * Pz
             + self.d1 * self._up(np.einsum("mhcp,cn->mhpn", dV, self.r)))
        out = np.empty_like(dU)
        out[..., :D1] = G.reshape(m, H, Q * N) @ self.X2.T
        out_v = (np.einsum("mcn,hpn->mhcp", QJ, self.m)
                 + np.einsum("cn,mhpn->mhcp", self.r, dm))
        out[..., D1:] = out_v.reshape(m, H, C * P)
        return out

    def unit_block(self) -> np.ndarray:
        """B = Σ_n A_n for filter 0 (at a symmetric point: every filter's block), (K, K)."""
        D1 = self.XT1.shape[0]
        C, P = self.V.shape[1], self.P
        K = D1 + C * P
        X = self.X2
        B = np.zeros((K, K))
        B[:D1, :D1] = (X * (self.s[0] * self.d2[0]).ravel()) @ X.T
        # Σ_q Pool[p, q] φ′(z_q) Π_q per cell p and image n, then against r_c
        weighted = np.einsum("dqn,pq,qn->dpn", self.XT1, self.pool, self.d1[0])
        cross = np.einsum("dpn,cn->dcp", weighted, self.r).reshape(D1, C * P)
        B[:D1, D1:] = cross
        B[D1:, :D1] = cross.T
        return B

    def rounding_bound(self, penalty: np.ndarray, dim: int) -> float:
        """As _VectorTerms.rounding_bound, each position's terms summed in absolute value
        (a bound on the norms of ∂f_n/∂u_h and of the residual block)."""
        _, Q, N = self.XT1.shape
        norms = np.sqrt(np.einsum("dqn,dqn->qn", self.XT1, self.XT1))  # ‖Π_qn‖
        v = np.sqrt(np.einsum("hk,hk->h", self.v, self.v))[:, None]
        C, P = self.V.shape[1], self.P
        first = np.einsum("hqn,qn->hn", np.abs(self.d1), norms) * 0.25
        second = np.einsum("hqn,qn->hn", np.abs(self.d2), norms**2) * 0.25
        gauss_newton = ((v * first) ** 2 + C * np.einsum("hpn,hpn->hn", self.m, self.m)
                        ).max(axis=0)
        residual = (v * second + math.sqrt(2.0 * P) * first).max(axis=0)
        r_norms = np.sqrt(np.einsum("cn,cn->n", self.r, self.r))
        scale = float(self.q_norm @ gauss_newton + r_norms @ residual
                      + np.abs(penalty).max())
        H = self.w.shape[0]
        return ROUNDING_SAFETY * (N * Q + H) * dim * np.finfo(float).eps * scale


def hessian_terms(units: np.ndarray, b2: float | np.ndarray, XT1: np.ndarray,
                  target: np.ndarray, activation: str, loss: str) -> _Terms | _VectorTerms:
    """The data loss's Hessian terms at ``units`` (H, D + 1 + C), whose ``hvp`` multiplies
    batches of unit perturbations (m, H, K): b2 a number for one output, (C,) for more.
    Conv filters: ``XT1`` the patches (k² + 1, Q, N), rows (H, k² + 1 + C·P)."""
    if XT1.ndim == 3:
        positions = (units.shape[1] - XT1.shape[0]) // target.shape[0]
        return _ConvTerms(units, np.asarray(b2, dtype=float), XT1, target, activation, loss,
                          positions)
    if units.shape[1] - XT1.shape[0] == 1:
        return _Terms(units, float(b2), XT1, target, activation, loss)
    return _VectorTerms(units, np.asarray(b2, dtype=float), XT1, target, activation, loss)


def outgoing_basis(D1: int, shape: UnitShape) -> np.ndarray | None:
    """T (K, K'): the unit coordinates the curvature is read in.  Under softmax v ⊥ 1
    (Helmert columns): v + α·1 changes nothing, so [0, 1_C] is an exact null direction
    of the Hessian that would pin λ at ≤ 0; a filter's block has that gauge in each of
    its P cells (Helmert ⊗ I_P).  None: every coordinate (T = I)."""
    if not shape.centred:
        return None
    C, P = shape.outgoing, shape.positions
    T = np.zeros((D1 + C * P, D1 + (C - 1) * P))
    T[:D1, :D1] = np.eye(D1)
    T[D1:, D1:] = np.kron(helmert_basis(C), np.eye(P))
    return T


def _penalty_diagonal(K: int, D: int, config: Config) -> np.ndarray:
    """The L2 and tie terms of the restricted Hessian, per unit coordinate [w, b, v]
    (v: the last K − D − 1)."""
    diag = np.full(K, float(config.tie))
    diag[:D] += config.l2
    diag[D + 1:] += config.l2
    return diag


def reading_name(distinct_units: int) -> str:
    """What the reading is called: "saddle" while every unit is alike (the all-alike
    point is the saddle), "between units" once they have split (the same curvature, at
    a point that is no longer that saddle)."""
    return "saddle" if distinct_units <= 1 else "between units"


Wordings = tuple[str, ...]
"""One piece of a sentence in several wordings, longest first."""

JOINERS = ("→ ", "· ", ", ")
"""What a piece after the first starts with; a piece that opens a line drops it."""


def join_words(line: str, word: str) -> str:
    """``line`` followed by the piece ``word`` ("," joins without a space)."""
    return line + word if word.startswith(", ") else f"{line} {word}"


def reading_words(summary: Mapping[str, Any], signed: Callable[[float], str],
                  steps: Callable[[float], str], named: bool = True) -> list[Wordings]:
    """The saddle reading of ``summary`` (Snapshot.summary()) in words, for every
    surface that shows it: pieces, each in wordings longest first; [] with no reading.

    ``signed`` writes a curvature with its sign, ``steps`` a step count; ``named`` puts
    the reading's name (:func:`reading_name`) in front.  The sentence says what can
    happen: a curvature of exactly 0 (λ within rounding, see the module doc) moves
    nothing; exact copies have no difference to grow, and without dropout or gradient
    noise none can ever start; a forecast is a range of steps, at the current rate
    (:func:`forecast_split`).  A reading older than the summary's step says its step;
    a summary with no reading yet (``saddle_step`` null, not diverged) says so.
    """
    if summary.get("saddle_step") is None and not summary.get("diverged"):
        return [_not_read(summary, named)]
    curvature = summary.get("saddle_curvature")
    if curvature is None or not math.isfinite(curvature):
        return []
    pieces = [_head(summary, "0" if curvature == 0 else signed(curvature), steps, named)]
    efold = summary.get("efold_steps")
    e = None if efold is None else steps(efold)
    if curvature == 0:
        pieces.append(("→ differences neither grow nor shrink", "→ neither grow nor shrink",
                       "→ no growth"))
    elif curvature > 0:
        pieces.append(("→ units are pulled together", "→ pulled together"))
    elif summary.get("max_unit_gap") == 0.0:  # exact copies: nothing to grow yet
        pieces.append(("→ differences would grow",) if e is None else
                      (f"→ differences would grow ×e every {e} steps",
                       f"→ would grow ×e every {e} steps", f"→ would grow ×e/{e} steps"))
        config = summary.get("config") or {}
        if not (config.get("dropout") or config.get("grad_noise")):
            pieces.append((", but these units are exact copies: none can start",
                           ", but exact copies: none can start", ", none can start"))
    else:
        pieces.append(("→ differences grow", "→ grow") if e is None else
                      (f"→ differences grow ×e every {e} steps", f"→ grow ×e every {e} steps",
                       f"→ ×e every {e} steps", f"×e/{e} steps"))
        forecast = _forecast_words(summary, steps)
        if forecast:
            pieces.append(forecast)
    return pieces


def _not_read(summary: Mapping[str, Any], named: bool) -> Wordings:
    """A picture made before the run's first reading (a runner's first, drawn before its
    training process is up) says that it has none, not a number."""
    if not named:
        return ("curvature not read yet",)
    name = reading_name(summary["distinct_units"])
    return (f"{name}: curvature not read yet", f"{name}: not read yet", "λ: not yet")


def _head(summary: Mapping[str, Any], c: str, steps: Callable[[float], str],
          named: bool) -> Wordings:
    """The curvature, named, with the step it was read at when that is not the last."""
    at = summary.get("saddle_step")
    stale = at is not None and at != summary.get("step")
    if not named:
        return (f"curvature {c}" + (f" at step {at:,}" if stale else ""),)
    name = reading_name(summary["distinct_units"])
    if not stale:
        zero = " (to rounding)" if c == "0" else ""
        return (f"{name}: curvature {c}{zero}", f"{name}: curvature {c}", f"{name} λ {c}",
                f"λ {c}")
    return (f"{name} at step {at:,}: curvature {c}", f"{name} at step {at:,}: λ {c}",
            f"λ {c} at step {at:,}", f"λ {c} @{at:,}")


def _forecast_words(summary: Mapping[str, Any], steps: Callable[[float], str]) -> Wordings:
    """The forecast range, rounded outward; "by" once its start is past."""
    span = summary.get("predicted_split_range")
    if not span:
        return ()
    first, last = round_outward(*span)
    if first <= summary["step"]:
        return (f"· split at the current rate: by step {last:,}", f"· split by step {last:,}",
                f"· split by {steps(last)}")
    return (f"· split at the current rate: steps {first:,}–{last:,}",
            f"· split ≈ steps {first:,}–{last:,}", f"· split ≈ {first:,}–{last:,}",
            f"· split ≈{steps(first)}–{steps(last)}")


def round_outward(first: int, last: int) -> tuple[int, int]:
    """``first`` down and ``last`` up to two digits of the range's width: as precise as
    the forecast is (1,424–1,466 stays, 1,083–2,207 reads 1,000–2,300)."""
    unit = 10 ** max(0, len(str(max(1, last - first))) - 2)
    return first // unit * unit, -(-last // unit) * unit


def growth_rate(curvature: float, config: Config) -> float | None:
    """ln of the per-step growth factor of differences along the softest direction."""
    if curvature == 0.0:
        return 0.0  # a factor of exactly 1 (np.roots would give 1 ± an ulp)
    return OPTIMIZERS[config.optimizer].log_growth(config.lr, config.momentum, curvature)


def largest_chord(units: np.ndarray, live: np.ndarray, activation: str,
                  shape: UnitShape = ONE_OUTPUT) -> float:
    """max over live pairs of the chord √(2·(1 − S)) of the similarity measure.

    Computed from differences (similarity.separation_matrix), so it stays exact where
    1 − S is below rounding, and it grows in proportion to the units' differences.
    """
    if np.count_nonzero(live) < 2:
        return 0.0
    return float(separation_matrix(units[live], activation, shape).max())


def sign_approach(outgoing: np.ndarray) -> float | None:
    """1 − min|v| / mean|v| over the outgoing weights ``v`` of the live units.

    How far the outgoing weight nearest zero has come from the units' mean size toward
    zero: the similarity weighs the sign of v as much as the incoming direction, so the
    units split the moment one v reaches zero (value 1), however alike their incoming
    directions still are.  Its distance from the mean is a difference between units,
    which grows with the others.  None when every v is zero (no sign to lose).
    Computed as mean(|v| − min|v|) / mean|v|, which is exactly 0 for equal sizes (a mean
    of equal numbers may round off them): exact copies have nothing to forecast.
    """
    sizes = np.abs(outgoing)
    mean = float(sizes.mean()) if len(sizes) else 0.0
    if not mean > 0.0:
        return None
    return float((sizes - sizes.min()).mean()) / mean


class SaddleMeter:
    """Measures the saddle of one run; keeps its last eigenvector for a warm start."""

    def __init__(self, layout: ParamLayout, XT1: np.ndarray, yT: np.ndarray, activation: str,
                 loss: str, threshold: float = SAME_UNIT_THRESHOLD) -> None:
        self.layout = layout
        self.XT1, self.yT = XT1, yT
        self.activation, self.loss = activation, loss
        self.chord_at_split = math.sqrt(2.0 * (1.0 - threshold))
        H = layout.hidden
        self.Q = helmert_basis(H)
        self.shape = unit_shape(layout.outputs, loss, layout.positions)
        self.T = outgoing_basis(layout.inputs + 1, self.shape)
        self._last_vector: np.ndarray | None = None
        self.last_work = 0  # work of the last curvature, in array elements (see OP_OVERHEAD)

    def curvature(self, units: np.ndarray, b2: float | np.ndarray,
                  config: Config) -> float | None:
        """λ: the smallest eigenvalue of the Hessian restricted to unit differences
        (b2: a number for one output, the vector (C,) for more)."""
        H, K = units.shape
        if H < 2 or not np.isfinite(units).all():
            return None
        if self.layout.outputs > 1 or self.layout.positions > 1:
            return self._vector_curvature(units, np.asarray(b2, dtype=float), config)
        D = K - 2
        penalty = _penalty_diagonal(K, D, config)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            terms = _Terms(units, b2, self.XT1, self.yT, self.activation, self.loss)
            if (units == units[0]).all():
                B = terms.unit_block() + np.diag(penalty)
                value = float(np.linalg.eigvalsh(B)[0])
                self.last_work = HVP_OPS * (OP_OVERHEAD + H * self.XT1[0].size)
                dim = K
            else:
                value = self._restricted_min(terms, H, K, penalty)
                dim = (H - 1) * K
            bound = terms.rounding_bound(penalty, dim)
        if not math.isfinite(value):
            return None
        return 0.0 if abs(value) <= bound else value

    def _vector_curvature(self, units: np.ndarray, b2: np.ndarray,
                          config: Config) -> float | None:
        """λ for C > 1 outputs, read in the coordinates ``self.T`` (v ⊥ 1 under softmax:
        the directions softmax can see)."""
        H, K = units.shape
        D1 = self.layout.inputs + 1
        full = _penalty_diagonal(K, D1 - 1, config)
        T = self.T
        # Tᵀ diag T: the outgoing block of the diagonal is (l2 + tie)·I, Helmert keeps it
        penalty = full if T is None else np.r_[full[:D1], full[D1:][: T.shape[1] - D1]]
        k = len(penalty)
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            terms = hessian_terms(units, b2, self.XT1, self.yT, self.activation, self.loss)
            if (units == units[0]).all():
                B = terms.unit_block()
                if T is not None:
                    B = T.T @ B @ T
                value = float(np.linalg.eigvalsh(B + np.diag(penalty))[0])
                self.last_work = HVP_OPS * (OP_OVERHEAD + H * self.XT1[0].size * k)
                dim = k
            else:
                value = self._restricted_min(terms, H, k, penalty, T)
                dim = (H - 1) * k
            bound = terms.rounding_bound(penalty, dim)
        if not math.isfinite(value):
            return None
        return 0.0 if abs(value) <= bound else value

    def _restricted_min(self, terms: _Terms | _VectorTerms, H: int, K: int,
                        penalty: np.ndarray, T: np.ndarray | None = None) -> float:
        n = (H - 1) * K
        Q = self.Q

        def apply(Y: np.ndarray) -> np.ndarray:  # (m, H − 1, K) -> (m, H − 1, K)
            # Matrix products (BLAS), not einsum: einsum loops over H² · K in C without
            # BLAS, 2 ms a vector at H = 256 (a reading took 80 ms).
            if T is None:
                HdU = terms.hvp(Q @ Y)
            else:  # K coordinates per unit in the basis T
                HdU = terms.hvp((Q @ Y) @ T.T) @ T
            return Q.T @ HdU + Y * penalty

        entries = H * self.XT1[0].size  # samples (a conv's: positions × samples)
        # Each apply also maps through the basis and back: 2 · H · n elements per vector,
        # which outgrows the Hessian-vector product itself as H grows.
        basis = 2 * H * n
        if n * entries <= DENSE_MAX_ENTRIES:
            R = apply(np.eye(n).reshape(n, H - 1, K)).reshape(n, n)
            values, vectors = np.linalg.eigh(0.5 * (R + R.T))
            self._last_vector = vectors[:, 0]
            self.last_work = HVP_OPS * (OP_OVERHEAD + n * entries) + n * basis + n**3
            return float(values[0])
        calls = 0

        def matvec(y: np.ndarray) -> np.ndarray:
            nonlocal calls
            calls += 1
            return apply(y.reshape(1, H - 1, K)).reshape(n)

        start = self._last_vector
        if start is None or len(start) != n:
            start = np.random.default_rng(0).standard_normal(n)
        value, vector = lanczos_smallest(matvec, start, LANCZOS_ITERATIONS, LANCZOS_TOL)
        self._last_vector = vector
        # Per Lanczos step: one product, and reorthogonalising against up to all earlier
        # vectors (2 passes of 2 · steps · n).
        step_work = (HVP_OPS * (OP_OVERHEAD + entries) + basis
                     + LANCZOS_STEP_OPS * OP_OVERHEAD + 4 * calls * n)
        self.last_work = calls * step_work
        return value

    def measure(self, theta: np.ndarray, config: Config, step: int,
                all_alike: bool) -> SaddleReading:
        """Spread, curvature, growth rate and (while all units are alike and their
        differences grow, for a smooth activation) how near they are to a split: the
        largest chord and the sign approach, which a forecast extrapolates."""
        params = self.layout.views(theta)
        units = unit_vectors(params)
        spread_now = spread(units)
        b2 = float(params.b2[0]) if self.layout.outputs == 1 else params.b2.copy()
        curvature = self.curvature(units, b2, config)
        rate = None if curvature is None else growth_rate(curvature, config)
        chord = approach = None
        if all_alike and rate is not None and rate > 0 and self.activation not in KINKED:
            live = (params.W1 != 0).any(axis=1)
            chord = largest_chord(units, live, config.activation, self.shape)
            if self.layout.outputs == 1:  # one weight's sign; a vector has no such way
                approach = sign_approach(units[live, -1])
            H, K = units.shape
            self.last_work += CHORD_OPS * (OP_OVERHEAD + H * H * K)
        return SaddleReading(step, spread_now, curvature, rate, chord=chord,
                             sign_approach=approach)


def split_progress(reading: SaddleReading,
                   chord_at_split: float) -> tuple[float | None, float | None]:
    """How near a reading's units are to splitting, along each way a split comes about,
    1 at the split: (largest chord / ``chord_at_split``, sign approach); None where not
    measured."""
    chord = None if reading.chord is None else reading.chord / chord_at_split
    return chord, reading.sign_approach


def forecast_split(earlier: Sequence[SaddleReading], current: SaddleReading,
                   chord_at_split: float) -> SaddleReading:
    """``current`` with a split forecast from it and ``earlier`` readings (oldest first,
    all before it, of the same settings), if they bear one out.

    Units split along whichever way gets there first (:func:`split_progress`): the
    largest chord reaching ``chord_at_split`` or an outgoing weight reaching zero.  For
    each way x (1 at the split) the readings give two paces:

    * at the current rate g, R = ln(1/x)/g steps;
    * at the rate x itself grew since the last reading, Δ steps back, m = ln(x/x₀)/Δ,
      often slower than g: that way's split comes somewhere around R and ln(1/x)/m.

    The rate moves: against each reading i as far back as the forecast looks ahead
    (the nearer way's R, and at least the last reading) it changed by |g − g_i|/g over
    s − s_i steps; carried on over the R steps to come, the largest of these is the
    drift, and u = FORECAST_MARGIN + FORECAST_DRIFT·drift.  The range runs from the
    soonest of all the paces, shortened by a factor 1 + u, to the soonest of the ways'
    latest paces, lengthened by 1 + u.  No forecast when u exceeds
    FORECAST_MAX_WIDENING (the rate still changes fast: early on), or when neither way
    grew since the last reading.

    Measured on xor, circles and moons, in and out of sample (docs/maths.md, "The split
    forecast"): the lasting split fell inside the range in 99.9 % of the readings that
    gave one (98.4 % with sigmoid).
    """
    if not earlier:
        return current
    last = earlier[-1]
    g, span = current.growth_rate, current.step - last.step
    if g is None or not g > 0 or span <= 0:
        return current
    ways = []  # per way: steps left at the current rate, the soonest and latest paces
    for x0, x in zip(split_progress(last, chord_at_split),
                     split_progress(current, chord_at_split), strict=True):
        if x is None or not 0.0 < x < 1.0:
            continue
        to_go = -math.log(x)
        rates = [g, math.log(x / x0) / span] if x0 is not None and 0.0 < x0 < x else [g, 0.0]
        soonest = to_go / max(rates)
        latest = to_go / min(rates) if min(rates) > 0 else math.inf
        ways.append((to_go / g, soonest, latest))
    if not ways:
        return current
    left = min(way[0] for way in ways)
    latest = min(way[2] for way in ways)
    if not math.isfinite(latest):
        return current
    drift = _rate_drift(earlier, current, left)
    if drift is None:
        return current
    widening = FORECAST_MARGIN + FORECAST_DRIFT * drift
    if widening > FORECAST_MAX_WIDENING:
        return current
    soonest = min(way[1] for way in ways)
    first = current.step + max(1, math.floor(soonest / (1.0 + widening)))
    final = current.step + math.ceil(latest * (1.0 + widening))
    point = current.step + math.ceil(left)
    return replace(current, predicted_split_step=point, split_range=(first, final))


def _rate_drift(earlier: Sequence[SaddleReading], current: SaddleReading,
                ahead: float) -> float | None:
    """The largest |g − g_i|/g · ahead/(s − s_i) over the earlier readings as far back
    as ``ahead`` steps (and at least the last): the rate's change carried over the steps
    to come.  None if one of them has no rate."""
    g = current.growth_rate
    drift = 0.0
    for reading in reversed(earlier):
        back = current.step - reading.step
        if reading is not earlier[-1] and back > ahead:
            break
        if reading.growth_rate is None or back <= 0:
            return None
        drift = max(drift, abs(g - reading.growth_rate) / g * ahead / back)
    return drift


def lanczos_smallest(matvec, start: np.ndarray, iterations: int,
                     tol: float) -> tuple[float, np.ndarray]:
    """Smallest eigenvalue and eigenvector of a symmetric operator, by Lanczos.

    Full reorthogonalisation (the Krylov space is small); stops when the Ritz pair's
    residual is below ``tol`` times the largest Ritz value seen.
    """
    n = len(start)
    steps = min(iterations, n)
    V = np.zeros((steps + 1, n))
    alpha = np.zeros(steps)
    beta = np.zeros(steps)
    V[0] = start / np.linalg.norm(start)
    value, vector = math.nan, V[0]
    for j in range(steps):
        w = matvec(V[j])
        alpha[j] = V[j] @ w
        w -= V[: j + 1].T @ (V[: j + 1] @ w)
        w -= V[: j + 1].T @ (V[: j + 1] @ w)
        beta[j] = np.linalg.norm(w)
        T = np.diag(alpha[: j + 1]) + np.diag(beta[:j], 1) + np.diag(beta[:j], -1)
        values, vectors = np.linalg.eigh(T)
        value = float(values[0])
        vector = vectors[:, 0] @ V[: j + 1]
        scale = max(abs(values[0]), abs(values[-1]), 1e-300)
        if beta[j] * abs(vectors[-1, 0]) <= tol * scale or beta[j] == 0.0:
            break
        V[j + 1] = w / beta[j]
    return value, vector / np.linalg.norm(vector)
