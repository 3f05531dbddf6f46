"""Forward and backward passes of the one-hidden-layer MLP (docs/maths.md).

Shapes follow torch.nn.Linear: W1 (H, D), b1 (H,), W2 (C, H), b2 (C,) with C outputs
(C = 1 for a binary logit or a regression).

Exactness: two hidden units with identical parameters must get bit-identical
gradients.  A BLAS matrix product does not promise that: its kernels give edge rows
another summation order or FMA use (seen: dz @ X differs by an ulp between identical
rows for H = 5, 6, 7, 10, 13, 33).  So every product that mixes one unit's numbers
with a sum runs on unit-major (H, N) arrays through numpy's own einsum loops
(``optimize=False``, never BLAS), which reduce every row with the very same sequence
of operations, or through elementwise ufuncs.  Identical units stay identical; the
test suite checks it for many H and N.  Only the output sum over units, the same for
every unit, uses a BLAS product.  That is the one-output kernel
(:func:`loss_and_grads_unit_major`), kept byte for byte because every toy's recorded
outputs depend on its rounding.

The wide kernel (:func:`loss_and_grads_wide`, for C > 1 outputs or D > 2 inputs:
:func:`kernel_for`) makes exactness hold by
construction instead, and so may use BLAS everywhere: it finds the distinct units by
their bytes (:func:`distinct_units`), computes every product once per distinct unit and
scatters the results back, so equal units get the very same computed numbers and stay
the same bytes.  (Two units equal in value but not in bytes, −0.0 against +0.0, would
be computed apart; no init or update makes such a pair.)
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01

SYMMETRIES = ("odd", "odd_plus_constant", "positive_scale", "linear")
"""The ways a hidden unit's parameters u = (w, b, v) can change without changing the
network's function, one per activation (see docs/maths.md, "Symmetries of a unit"):

* ``odd``: φ(−z) = −φ(z), so u and −u compute the same function (tanh);
* ``odd_plus_constant``: φ(−z) = 1 − φ(z), so u and −u agree up to a shift of b2 (sigmoid);
* ``positive_scale``: φ(αz) = αφ(z) for α > 0, so (w, b, v) → (αw, αb, v/α) (relu,
  leaky relu);
* ``linear``: φ(z) = z, so any α ≠ 0 rescales (w, b, v) → (αw, αb, v/α); linear is odd too.
"""


@dataclass(frozen=True)
class Activation:
    """One hidden activation φ: its forward map, its derivative and its symmetry.

    ``forward(z, out)`` writes φ(z) into ``out`` and returns it; linear returns ``z``
    itself.  ``derivative(z, a, out)`` writes φ'(z) into ``out`` (``a`` is φ(z), which
    tanh and sigmoid reuse) and returns it, or returns None when φ' is 1 everywhere, so
    the caller skips a multiplication by ones.  Both write into given buffers: on
    (H, N) arrays of a few hundred KB, fresh temporaries cost more than the maths (the
    allocator hands pages back and faults them in again on every call).
    ``derivatives(z)`` returns new arrays (φ, φ′, φ″) at z: the saddle reading's
    curvature needs φ″ (core/saddle.py), once per reading, not per step.
    """

    name: str
    forward: Callable[[np.ndarray, np.ndarray], np.ndarray]
    derivative: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray | None]
    symmetry: str
    derivatives: Callable[[np.ndarray], tuple[np.ndarray, np.ndarray, np.ndarray]]

    def __post_init__(self) -> None:
        if self.symmetry not in SYMMETRIES:
            raise ValueError(f"{self.name}: unknown symmetry {self.symmetry!r}")

    @property
    def is_odd(self) -> bool:
        """True when u and −u compute the same function (tanh, linear)."""
        return self.symmetry in ("odd", "linear")


# Each activation's forward map sits next to its derivative.


def _tanh(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.tanh(z, out=out)


def _tanh_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.multiply(a, a, out=out)  # 1 − tanh²
    return np.subtract(1.0, out, out=out)


def _tanh_derivatives(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = np.tanh(z)
    d1 = 1.0 - a * a
    return a, d1, -2.0 * a * d1


def _relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.maximum(z, 0.0, out=out)


def _relu_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    return np.greater(z, 0.0, out=out)  # the subgradient 0 at the kink


def _relu_derivatives(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return np.maximum(z, 0.0), (z > 0.0).astype(float), np.zeros_like(z)


def _sigmoid(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    # 1 / (1 + exp(−z)) without overflow: (1 + tanh(z / 2)) / 2.
    np.multiply(z, 0.5, out=out)
    np.tanh(out, out=out)
    out += 1.0
    out *= 0.5
    return out


def _sigmoid_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.subtract(1.0, a, out=out)  # σ(1 − σ)
    out *= a
    return out


def _sigmoid_derivatives(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    a = 0.5 * (1.0 + np.tanh(0.5 * z))
    d1 = a * (1.0 - a)
    return a, d1, d1 * (1.0 - 2.0 * a)


def _leaky_relu(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.multiply(z, LEAKY_SLOPE, out=out)
    return np.maximum(z, out, out=out)


def _leaky_relu_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray:
    np.greater(z, 0.0, out=out)  # 1 above the kink, LEAKY_SLOPE at and below it
    out *= 1.0 - LEAKY_SLOPE
    out += LEAKY_SLOPE
    return out


def _leaky_relu_derivatives(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    d1 = np.where(z > 0.0, 1.0, LEAKY_SLOPE)
    return z * d1, d1, np.zeros_like(z)


def _linear(z: np.ndarray, out: np.ndarray) -> np.ndarray:
    return z


def _linear_derivative(z: np.ndarray, a: np.ndarray, out: np.ndarray) -> None:
    return None


def _linear_derivatives(z: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    return z.copy(), np.ones_like(z), np.zeros_like(z)


ACTIVATIONS: dict[str, Activation] = {
    record.name: record
    for record in (
        Activation("tanh", _tanh, _tanh_derivative, "odd", _tanh_derivatives),
        Activation("relu", _relu, _relu_derivative, "positive_scale", _relu_derivatives),
        Activation("sigmoid", _sigmoid, _sigmoid_derivative, "odd_plus_constant",
                   _sigmoid_derivatives),
        Activation("linear", _linear, _linear_derivative, "linear", _linear_derivatives),
        Activation("leaky_relu", _leaky_relu, _leaky_relu_derivative, "positive_scale",
                   _leaky_relu_derivatives),
    )
}
"""Every hidden activation by name, in the order menus list them."""


# -- losses ---------------------------------------------------------------------------------
#
# Every loss reads the outputs and the targets unit-major: out (C, N) and a target of the
# same shape (the one-hot rows for softmax), and is the mean over the batch, as PyTorch's.

Curvature = tuple[np.ndarray, Callable[[np.ndarray], np.ndarray], np.ndarray]
"""(r, q_times, q_norm) of a loss at the outputs: r (C, N) = ∂ℓ_n/∂f / N, q_times(J)
applies Q_n = ∂²ℓ_n/∂f² / N to J (..., C, N) sample by sample, q_norm (N,) ≥ ‖Q_n‖."""


def _bce_delta(out: np.ndarray, yT: np.ndarray, inv_n: float) -> tuple[float, np.ndarray]:
    softplus = np.logaddexp(0.0, out)
    loss = float(np.add.reduce(softplus - out * yT, axis=None)) * inv_n
    # sigmoid(out) = exp(out − softplus(out)): no overflow for large logits.
    delta_out = np.exp(out - softplus)
    delta_out -= yT
    delta_out *= inv_n
    return loss, delta_out


def _mse_delta(out: np.ndarray, yT: np.ndarray, inv_n: float) -> tuple[float, np.ndarray]:
    diff = out - yT
    loss = float(np.add.reduce(diff * diff, axis=None)) * inv_n
    return loss, diff * (2.0 * inv_n)


def _softmax_parts(out: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(out − m, exp(out − m), Σ_c exp(out − m)) per sample, m the largest logit: no
    overflow however large the logits."""
    shifted = out - out.max(axis=0)
    e = np.exp(shifted)
    return shifted, e, np.add.reduce(e, axis=0)


def _softmax_delta(out: np.ndarray, Y: np.ndarray, inv_n: float) -> tuple[float, np.ndarray]:
    shifted, e, total = _softmax_parts(out)
    # logsumexp(out_n) − out_n[y_n] = log Σ exp(out − m) − (out − m)[y_n]
    picked = np.add.reduce(shifted * Y, axis=0)
    loss = float(np.add.reduce(np.log(total) - picked)) * inv_n
    delta_out = np.divide(e, total, out=e)
    delta_out -= Y
    delta_out *= inv_n
    return loss, delta_out


def _diagonal_curvature(r: np.ndarray, q: np.ndarray) -> Curvature:
    """Q_n = q_n (C = 1: one number per sample)."""
    return r, (lambda J: q * J), q[0]


def _bce_curvature(out: np.ndarray, yT: np.ndarray, inv_n: float) -> Curvature:
    p = 0.5 * (1.0 + np.tanh(0.5 * out))
    return _diagonal_curvature((p - yT) * inv_n, p * (1.0 - p) * inv_n)


def _mse_curvature(out: np.ndarray, yT: np.ndarray, inv_n: float) -> Curvature:
    return _diagonal_curvature(2.0 * (out - yT) * inv_n, np.full_like(out, 2.0 * inv_n))


def _softmax_curvature(out: np.ndarray, Y: np.ndarray, inv_n: float) -> Curvature:
    _, e, total = _softmax_parts(out)
    p = e / total

    def q_times(J: np.ndarray) -> np.ndarray:
        pJ = p * J
        return (pJ - p * np.add.reduce(pJ, axis=-2, keepdims=True)) * inv_n

    # diag p − p pᵀ ≼ diag p, and it is positive semidefinite: ‖Q_n‖ ≤ max_c p_c / N
    return (p - Y) * inv_n, q_times, p.max(axis=0) * inv_n


def bce_with_logits(out: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss), computed stably."""
    return float(np.mean(np.logaddexp(0.0, out) - out * y))


def mse(out: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (torch.nn.MSELoss)."""
    diff = out - y
    return float(np.mean(diff * diff))


def softmax_cross_entropy(out: np.ndarray, Y: np.ndarray) -> float:
    """Mean softmax cross-entropy (torch.nn.CrossEntropyLoss) of logits out (C, N)
    against one-hot rows Y (C, N), computed stably."""
    shifted, _, total = _softmax_parts(out)
    return float(np.mean(np.log(total) - np.add.reduce(shifted * Y, axis=0)))


@dataclass(frozen=True)
class Loss:
    """One data loss: its value, its gradient in the outputs and its curvature there.

    All read out (C, N) and a target (C, N) unit-major (docs/maths.md): targets for BCE
    and MSE, the one-hot rows of the class labels for softmax (``labels``).
    ``value_and_delta(out, target, inv_n)`` is the mean loss and δ_out = ∂L/∂out (the
    start of the backward pass); ``value(out, target)`` the mean alone, for evaluation;
    ``hessian_terms(out, target, inv_n)`` the :data:`Curvature` the saddle reading needs.
    """

    name: str
    value: Callable[[np.ndarray, np.ndarray], float]
    value_and_delta: Callable[[np.ndarray, np.ndarray, float], tuple[float, np.ndarray]]
    hessian_terms: Callable[[np.ndarray, np.ndarray, float], Curvature]
    labels: bool = False
    shift_invariant: bool = False
    """The loss sees only differences of the outputs (softmax): a unit's outgoing vector
    v and v + α·1 compute the same, and every measure reads v centred."""


LOSSES: dict[str, Loss] = {
    record.name: record
    for record in (
        Loss("bce", bce_with_logits, _bce_delta, _bce_curvature),
        Loss("mse", mse, _mse_delta, _mse_curvature),
        Loss("softmax", softmax_cross_entropy, _softmax_delta, _softmax_curvature,
             labels=True, shift_invariant=True),
    )
}
"""Every data loss by name: BCE with logits (binary, one output), MSE (regression) and
softmax cross-entropy (C classes, integer labels)."""


@dataclass(frozen=True)
class UnitShape:
    """How a unit's row u_i = [w̃_i │ v_i] splits: the last ``outgoing`` entries are its
    outgoing vector v_i (W2[:, i]), the rest w̃_i = [W1[i], b1[i]].

    ``centred``: the loss sees only differences of the outputs (softmax), so v_i and
    v_i + α·1 compute the same and every measure reads v̄_i = v_i − mean_c(v_i)·1.
    """

    outgoing: int = 1
    centred: bool = False
    positions: int = 1
    """P: a conv filter sends its pooled map's P cells on, so its outgoing part is the
    block V (C, P), stored row-major as C·P entries (core/conv.py); 1 for an MLP unit."""

    @property
    def out_size(self) -> int:
        """How many entries of a row are outgoing weights: C·P."""
        return self.outgoing * self.positions

    def incoming(self, units: np.ndarray) -> np.ndarray:
        """w̃ = [w, b] of every row (..., D + 1): a filter's [kernel, bias]."""
        return units[..., : units.shape[-1] - self.out_size]

    def outgoing_vectors(self, units: np.ndarray) -> np.ndarray:
        """v̄ of every row (..., C·P): v itself, or centred over the outputs, per
        position (softmax's gauge V[:, p] + α_p·1 acts on each pooled cell alone; exactly
        0 for a column ∝ 1, whose mean may round off its entries)."""
        v = units[..., units.shape[-1] - self.out_size:]
        if not self.centred:
            return v
        if self.positions == 1:
            flat = (v == v[..., :1]).all(axis=-1, keepdims=True)
            return np.where(flat, 0.0, v - v.mean(axis=-1, keepdims=True))
        block = v.reshape(*v.shape[:-1], self.outgoing, self.positions)
        flat = (block == block[..., :1, :]).all(axis=-2, keepdims=True)
        centred = np.where(flat, 0.0, block - block.mean(axis=-2, keepdims=True))
        return centred.reshape(v.shape)


ONE_OUTPUT = UnitShape()
"""The toys' units: one outgoing weight, the last entry of the row."""


def unit_shape(outputs: int, loss: str | None = None, positions: int = 1) -> UnitShape:
    """The UnitShape of a network with ``outputs`` outputs trained on ``loss`` (and P =
    ``positions`` pooled cells per conv filter).  Without a loss, C > 1 outputs are
    classes under softmax (the product offers no other C > 1 task: multi-output
    regression is out of its scope)."""
    if loss is None:
        return UnitShape(outputs, outputs > 1, positions)
    return UnitShape(outputs, LOSSES[loss].shift_invariant, positions)


def one_hot(labels: np.ndarray, classes: int) -> np.ndarray:
    """(C, N) float rows: 1 where the sample's label is the class, 0 elsewhere."""
    Y = np.zeros((classes, len(labels)))
    Y[np.asarray(labels, dtype=np.intp), np.arange(len(labels))] = 1.0
    return Y


def target_rows(y: np.ndarray, loss: Loss, outputs: int) -> np.ndarray:
    """The unit-major (C, N) target the kernels read: ``y`` (N, C) transposed, or the
    one-hot rows of the labels ``y`` (N,) for a loss on labels."""
    if loss.labels:
        return one_hot(y, outputs)
    return np.ascontiguousarray(y.T)


@dataclass(frozen=True)
class Params:
    """The four parameter arrays.

    A Snapshot holds read-only copies; the Trainer's own are views into its flat
    parameter buffers (see ParamLayout) and change as it trains.
    """

    W1: np.ndarray
    b1: np.ndarray
    W2: np.ndarray
    b2: np.ndarray

    def as_tuple(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        return self.W1, self.b1, self.W2, self.b2

    def copy(self) -> Params:
        return Params(self.W1.copy(), self.b1.copy(), self.W2.copy(), self.b2.copy())

    def to_lists(self) -> dict[str, list]:
        return {name: getattr(self, name).tolist() for name in ("W1", "b1", "W2", "b2")}


class ParamLayout:
    """Where each parameter lives in one flat vector theta = [W1 | b1, W2, b2].

    Unit i's incoming weights and bias sit together as row i of an (H, D + 1) block,
    so the forward pass is one product with the inputs plus a row of ones, and the
    backward pass fills the block's gradient in one reduction.  W2 (C, H) follows
    row-major and b2 (C,) last: torch's order.  Optimizers and penalties work on the
    one flat array (a tiny network's step is mostly per-call overhead).  ``weights``
    indexes W1 and W2, the entries L1 and L2 act on.
    """

    def __init__(self, hidden: int, inputs: int, outputs: int = 1, positions: int = 1) -> None:
        self.hidden, self.inputs, self.outputs = hidden, inputs, outputs
        self.positions = positions
        n_block = hidden * (inputs + 1)
        n_w2 = outputs * hidden * positions
        self.size = n_block + n_w2 + outputs
        self._block = slice(0, n_block)
        self._w2 = slice(n_block, n_block + n_w2)
        self._b2 = slice(n_block + n_w2, self.size)
        is_weight = np.ones(self.size, dtype=bool)
        is_weight[inputs : n_block : inputs + 1] = False  # b1
        is_weight[self._b2] = False
        self.weights = np.flatnonzero(is_weight)
        self.per_unit = slice(0, self._b2.start)  # W1, b1, W2: what gradient noise touches

    def unit_permutation(self, perm: np.ndarray) -> np.ndarray:
        """Indices into theta that relabel the hidden units: ``theta[index]`` has unit
        ``perm[j]``'s [W1 | b1] row and W2 column as unit j's; b2 stays."""
        index = np.arange(self.size)
        rows = index[self._block].reshape(self.hidden, self.inputs + 1)
        index[self._block] = rows[perm].ravel()
        outgoing = index[self._w2].reshape(self.outputs, self.hidden, self.positions)
        index[self._w2] = outgoing[:, perm].ravel()
        return index

    def unit_positions(self) -> np.ndarray:
        """(H, D + 1 + C·P): the flat positions in theta of each unit's row [w, b, v]
        (v: its W2 column, or a filter's outgoing block W2[:, kP:(k+1)P] row-major)."""
        H, D1, C, P = self.hidden, self.inputs + 1, self.outputs, self.positions
        n_block = H * D1
        out = (n_block + np.arange(C)[None, :, None] * (H * P)
               + np.arange(H)[:, None, None] * P + np.arange(P)[None, None, :])
        return np.column_stack([np.arange(n_block).reshape(H, D1), out.reshape(H, C * P)])

    def block(self, theta: np.ndarray) -> np.ndarray:
        """The (H, D + 1) view [W1 | b1] of ``theta``."""
        return theta[self._block].reshape(self.hidden, self.inputs + 1)

    def views(self, theta: np.ndarray) -> Params:
        """Params whose arrays are views into ``theta`` (no copy)."""
        block = self.block(theta)
        return Params(
            block[:, : self.inputs],
            block[:, self.inputs],
            theta[self._w2].reshape(self.outputs, self.hidden * self.positions),
            theta[self._b2],
        )

    def pack(self, params: Params) -> np.ndarray:
        """A new flat vector holding ``params``."""
        theta = np.empty(self.size)
        for target, source in zip(self.views(theta).as_tuple(), params.as_tuple(), strict=True):
            target[...] = source
        return theta


class UnitMajorViews:
    """Views into one flat vector, shaped the way the unit-major kernels read them.

    Built once per buffer and reused every step.  ``block`` is [W1 | b1] (H, D + 1),
    ``W2`` (C, H) and ``b2`` (C,).  For the one-output kernel, ``w2_col`` is W2 as an
    (H, C) column that broadcasts against (1, N) rows and ``w2_row`` W2's first row as
    an (H,) vector.
    """

    __slots__ = ("W2", "b2", "block", "theta", "w2_col", "w2_row")

    def __init__(self, layout: ParamLayout, theta: np.ndarray) -> None:
        self.theta = theta
        self.block = layout.block(theta)
        p = layout.views(theta)
        self.W2, self.b2 = p.W2, p.b2
        self.w2_col = p.W2.T
        self.w2_row = p.W2[0]


class Workspace:
    """Scratch (H, N) buffers for one batch width, reused from step to step.

    ``z`` and ``a`` hold the pre-activations and activations, ``slope`` the factor
    mask · φ'(z) of the backward pass, ``a_dropped`` the activations after dropout.
    """

    __slots__ = ("a", "a_dropped", "slope", "z")

    def __init__(self, hidden: int, n: int) -> None:
        self.z = np.empty((hidden, n))
        self.a = np.empty((hidden, n))
        self.slope = np.empty((hidden, n))
        self.a_dropped = np.empty((hidden, n))


def with_ones(X: np.ndarray) -> np.ndarray:
    """[Xᵀ; 1]: the (D + 1, N) C-ordered input rows plus a row of ones for the bias."""
    XT1 = np.ones((X.shape[1] + 1, X.shape[0]))
    XT1[:-1] = X.T
    return XT1


Kernel = Callable[..., float]
"""A kernel: ``(p, XT1, target, activation, loss, g, ws, maskT=None) -> loss``, the
gradient written into ``g`` (:func:`loss_and_grads_unit_major`, :func:`loss_and_grads_wide`)."""

# The kernels below work on unit-major arrays: one row per hidden unit (H, N), one
# column per sample.  A trailing T in a name (zT, XT1, yT) marks that transposed layout.


def hidden_unit_major(p: UnitMajorViews, XT1: np.ndarray, activation: Activation,
                      ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """(zᵀ, aᵀ), both (H, N), in the workspace's buffers (aᵀ is zᵀ for linear).

    zᵀ = [W1 | b1] [Xᵀ; 1] through einsum's own loops (never BLAS; see the module doc).
    """
    zT = np.einsum("hk,kn->hn", p.block, XT1, out=ws.z, optimize=False)
    return zT, activation.forward(zT, ws.a)


def output_unit_major(p: UnitMajorViews, XT1: np.ndarray, activation: Activation,
                      ws: Workspace) -> np.ndarray:
    """The network's output on a batch, (C, N), without dropout."""
    out = p.W2 @ hidden_unit_major(p, XT1, activation, ws)[1]
    out += p.b2[:, None]
    return out


def loss_and_grads_unit_major(
    p: UnitMajorViews,
    XT1: np.ndarray,
    yT: np.ndarray,
    activation: Activation,
    loss: Loss,
    g: UnitMajorViews,
    ws: Workspace,
    maskT: np.ndarray | None = None,
) -> float:
    """The data loss on a batch of a one-output network; its gradient is written into
    the arrays of ``g``.

    XT1 is [Xᵀ; 1] (D + 1, N) and yT (1, N), both C-ordered; ``ws`` has buffers of
    width N.  ``maskT`` (H, N), when given, holds the dropout mask already scaled to
    m / (1 − p): it multiplies the hidden activations on the way forward and their
    gradient on the way back.

    Backward, per unit h and input row k of [Xᵀ; 1]:
        d loss / d[W1 | b1][h, k] = W2[h] · Σ_n s[h, n] · (delta_out[n] · XT1[k, n])
    with the slope s = mask · φ'(z): the (H, N) product W2 · delta_out is never formed.
    """
    inv_n = 1.0 / XT1.shape[1]
    zT, aT = hidden_unit_major(p, XT1, activation, ws)
    a_used = aT if maskT is None else np.multiply(aT, maskT, out=ws.a_dropped)
    out = p.W2 @ a_used
    out += p.b2
    value, delta_out = loss.value_and_delta(out, yT, inv_n)
    np.einsum("hn,n->h", a_used, delta_out[0], out=g.w2_row, optimize=False)
    np.add.reduce(delta_out, axis=1, out=g.b2)
    weighted_inputs = XT1 * delta_out
    slope = activation.derivative(zT, aT, ws.slope)
    if maskT is not None:
        slope = maskT if slope is None else np.multiply(slope, maskT, out=slope)
    if slope is None:
        np.multiply(p.w2_col, np.add.reduce(weighted_inputs, axis=1), out=g.block)
    else:
        np.einsum("hn,kn->hk", slope, weighted_inputs, out=g.block, optimize=False)
        g.block *= p.w2_col
    return value


def distinct_units(block: np.ndarray, W2: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(first, inverse): the distinct units [W1 | b1 | W2ᵀ] by their bytes, the first
    index of each, and each unit's group (``rows[first][inverse]`` is ``rows``)."""
    rows = np.ascontiguousarray(np.concatenate([block, W2.T], axis=1))
    keys = rows.view(np.dtype((np.void, rows.itemsize * rows.shape[1]))).ravel()
    _, first, inverse = np.unique(keys, return_index=True, return_inverse=True)
    return first, inverse.reshape(-1)


def loss_and_grads_wide(
    p: UnitMajorViews,
    XT1: np.ndarray,
    target: np.ndarray,
    activation: Activation,
    loss: Loss,
    g: UnitMajorViews,
    ws: Workspace,
    maskT: np.ndarray | None = None,
) -> float:
    """The data loss on a batch of any network (D inputs, C outputs); its gradient is
    written into the arrays of ``g``.

    Arguments as :func:`loss_and_grads_unit_major`'s, with ``target`` (C, N).  Every
    product runs once per *distinct* unit (by its bytes) through BLAS, and the results
    are scattered back: equal units get the very same computed numbers (module doc).
    With a dropout mask every unit is its own group (the mask tells them apart).
    """
    inv_n = 1.0 / XT1.shape[1]
    if maskT is None:
        first, inverse = distinct_units(p.block, p.W2)
    else:
        first = inverse = np.arange(p.block.shape[0])
    rows = len(first)
    zu = np.matmul(p.block[first], XT1, out=ws.z[:rows])
    au = activation.forward(zu, ws.a[:rows])
    if maskT is None:
        a_used = au[inverse]
    else:
        a_used = np.multiply(au, maskT, out=ws.a_dropped)
    out = p.W2 @ a_used
    out += p.b2[:, None]
    value, delta_out = loss.value_and_delta(out, target, inv_n)
    a_first = a_used if maskT is not None else au
    g.W2[...] = (delta_out @ a_first.T)[:, inverse]
    np.add.reduce(delta_out, axis=1, out=g.b2)
    delta_z = p.W2[:, first].T @ delta_out  # ∂L/∂a of each distinct unit (rows, N)
    slope = activation.derivative(zu, au, ws.slope[:rows])
    if maskT is not None:
        slope = maskT if slope is None else np.multiply(slope, maskT, out=slope)
    if slope is not None:
        delta_z *= slope
    g.block[...] = (delta_z @ XT1.T)[inverse]
    return value


def _unit_major(params: Params) -> tuple[ParamLayout, UnitMajorViews]:
    layout = ParamLayout(params.W1.shape[0], params.W1.shape[1], params.W2.shape[0])
    return layout, UnitMajorViews(layout, layout.pack(params))


def _transpose(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X.T)


def kernel_for(layout: ParamLayout) -> Kernel:
    """The kernel that trains ``layout``: the einsum kernel for one output and at most
    two inputs (every toy: their recorded outputs depend on its rounding), the wide
    kernel otherwise (its BLAS products are what make 64 inputs and 10 classes fast)."""
    if layout.outputs == 1 and layout.inputs <= 2:
        return loss_and_grads_unit_major
    return loss_and_grads_wide


def loss_and_grads(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    loss: str,
    dropout_mask: np.ndarray | None = None,
) -> tuple[float, Params]:
    """The data loss ``loss`` (a :data:`LOSSES` name) on X (N, D) and y, and its gradient
    for every parameter.  y is (N, C), or the class labels (N,) for softmax.

    ``dropout_mask`` is (N, H) and already scaled to m / (1 − p).
    """
    layout, p = _unit_major(params)
    grad = UnitMajorViews(layout, np.empty(layout.size))
    maskT = None if dropout_mask is None else _transpose(dropout_mask)
    ws = Workspace(layout.hidden, len(X))
    record = LOSSES[loss]
    value = kernel_for(layout)(p, with_ones(X), target_rows(y, record, layout.outputs),
                               ACTIVATIONS[activation], record, grad, ws, maskT)
    return value, layout.views(grad.theta).copy()
