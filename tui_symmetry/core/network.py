"""Forward and backward passes of the one-hidden-layer MLP (DESIGN §2).

Shapes follow torch.nn.Linear: W1 (H, D), b1 (H,), W2 (1, H), b2 (1,).

Exactness: two hidden units with identical parameters must get bit-identical
gradients.  A BLAS matrix product does not promise that: its kernels give edge rows
another summation order or FMA use (seen: dz @ X differs by an ulp between identical
rows for H = 5, 6, 7, 10, 13, 33).  So every product that mixes one unit's numbers
with a sum runs on unit-major (H, N) arrays through numpy's own einsum loops
(``optimize=False``, never BLAS), which reduce every row with the very same sequence
of operations, or through elementwise ufuncs.  Identical units stay identical; the
test suite checks it for many H and N.  Only the output sum over units, the same for
every unit, uses a BLAS product.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

LEAKY_SLOPE = 0.01
ODD_ACTIVATIONS = frozenset({"tanh", "linear"})


@dataclass(frozen=True)
class Params:
    """The four parameter arrays.

    A Snapshot holds read-only copies; the Trainer's own are views into its flat
    parameter buffers (see Layout) and change as it trains.
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


# Activations and their derivatives write into given buffers:
# on (H, N) arrays of a few hundred KB, fresh temporaries cost more than the maths
# (the allocator hands pages back and faults them in again on every call).


def activate(name: str, z: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """a = phi(z), written into ``out`` when given (for linear, z itself is returned)."""
    if out is None:
        out = np.empty_like(z)
    if name == "tanh":
        np.tanh(z, out=out)
    elif name == "relu":
        np.maximum(z, 0.0, out=out)
    elif name == "sigmoid":
        # 1 / (1 + exp(-z)) without overflow: (1 + tanh(z / 2)) / 2.
        np.multiply(z, 0.5, out=out)
        np.tanh(out, out=out)
        out += 1.0
        out *= 0.5
    elif name == "leaky_relu":
        np.multiply(z, LEAKY_SLOPE, out=out)
        np.maximum(z, out, out=out)
    elif name == "linear":
        return z
    else:
        raise ValueError(f"unknown activation {name!r}")
    return out


def derivative(name: str, z: np.ndarray, a: np.ndarray, out: np.ndarray) -> np.ndarray | None:
    """phi'(z) written into ``out``; None for linear, whose derivative is all ones."""
    if name == "tanh":
        np.multiply(a, a, out=out)
        np.subtract(1.0, out, out=out)
    elif name == "relu":
        np.greater(z, 0.0, out=out)
    elif name == "sigmoid":
        np.subtract(1.0, a, out=out)
        out *= a
    elif name == "leaky_relu":
        np.greater(z, 0.0, out=out)
        out *= 1.0 - LEAKY_SLOPE
        out += LEAKY_SLOPE
    elif name == "linear":
        return None
    else:
        raise ValueError(f"unknown activation {name!r}")
    return out


class Layout:
    """Where each parameter lives in one flat vector theta = [W1 | b1, W2, b2].

    Unit i's incoming weights and bias sit together as row i of an (H, D + 1) block,
    so the forward pass is one product with the inputs plus a row of ones, and the
    backward pass fills the block's gradient in one reduction.  Optimizers and
    penalties work on the one flat array (a tiny network's step is mostly per-call
    overhead).  ``weights`` indexes W1 and W2, the entries L1 and L2 act on.
    """

    def __init__(self, hidden: int, inputs: int) -> None:
        self.hidden, self.inputs = hidden, inputs
        n_block = hidden * (inputs + 1)
        self.size = n_block + hidden + 1
        self._block = slice(0, n_block)
        self._w2 = slice(n_block, n_block + hidden)
        is_weight = np.ones(self.size, dtype=bool)
        is_weight[inputs : n_block : inputs + 1] = False  # b1
        is_weight[-1] = False  # b2
        self.weights = np.flatnonzero(is_weight)
        self.per_unit = slice(0, self.size - 1)  # W1, b1, W2: what gradient noise touches

    def block(self, theta: np.ndarray) -> np.ndarray:
        """The (H, D + 1) view [W1 | b1] of ``theta``."""
        return theta[self._block].reshape(self.hidden, self.inputs + 1)

    def views(self, theta: np.ndarray) -> Params:
        """Params whose arrays are views into ``theta`` (no copy)."""
        block = self.block(theta)
        return Params(
            block[:, : self.inputs],
            block[:, self.inputs],
            theta[self._w2].reshape(1, self.hidden),
            theta[-1:],
        )

    def pack(self, params: Params) -> np.ndarray:
        theta = np.empty(self.size)
        for target, source in zip(self.views(theta).as_tuple(), params.as_tuple(), strict=True):
            target[...] = source
        return theta


class UnitMajor:
    """Views into one flat vector shaped for the unit-major kernel; built once, reused.

    ``block`` is [W1 | b1] (H, D + 1); ``w2_col`` is W2 as an (H, 1) column that
    broadcasts against (1, N) rows and ``w2_row`` W2 as an (H,) vector.
    """

    __slots__ = ("W2", "b2", "block", "theta", "w2_col", "w2_row")

    def __init__(self, layout: Layout, theta: np.ndarray) -> None:
        self.theta = theta
        self.block = layout.block(theta)
        p = layout.views(theta)
        self.W2, self.b2 = p.W2, p.b2
        self.w2_col = p.W2.T
        self.w2_row = p.W2[0]


class Workspace:
    """Scratch (H, N) buffers for one batch width, reused from step to step."""

    __slots__ = ("a", "t1", "t2", "z")

    def __init__(self, hidden: int, n: int) -> None:
        self.z = np.empty((hidden, n))
        self.a = np.empty((hidden, n))
        self.t1 = np.empty((hidden, n))
        self.t2 = np.empty((hidden, n))


def with_ones(X: np.ndarray) -> np.ndarray:
    """[Xᵀ; 1]: the (D + 1, N) C-ordered input rows plus a row of ones for the bias."""
    XT1 = np.ones((X.shape[1] + 1, X.shape[0]))
    XT1[:-1] = X.T
    return XT1


def hidden_t(p: UnitMajor, XT1: np.ndarray, activation: str,
             ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """(zᵀ, aᵀ), both (H, N), in the workspace's buffers (aᵀ is zᵀ for linear).

    zᵀ = [W1 | b1] [Xᵀ; 1] through einsum's own loops (never BLAS; see the module doc).
    """
    zT = np.einsum("hk,kn->hn", p.block, XT1, out=ws.z, optimize=False)
    return zT, activate(activation, zT, ws.a)


def output_t(p: UnitMajor, XT1: np.ndarray, activation: str, ws: Workspace) -> np.ndarray:
    """The network's output on a batch, (1, N), without dropout."""
    out = p.W2 @ hidden_t(p, XT1, activation, ws)[1]
    out += p.b2
    return out


def loss_and_grads_t(
    p: UnitMajor,
    XT1: np.ndarray,
    yT: np.ndarray,
    activation: str,
    regression: bool,
    g: UnitMajor,
    ws: Workspace,
    maskT: np.ndarray | None = None,
) -> float:
    """The data loss on a batch; its gradient is written into the arrays of ``g``.

    XT1 is [Xᵀ; 1] (D + 1, N) and yT (1, N), both C-ordered; ``ws`` has buffers of
    width N.  ``maskT`` (H, N), when given, holds the dropout mask already scaled to
    m / (1 − p): it multiplies the hidden activations on the way forward and their
    gradient on the way back.

    Backward, per unit h and input row k of [Xᵀ; 1]:
        d loss / d[W1 | b1][h, k] = W2[h] · Σ_n s[h, n] · (delta_out[n] · XT1[k, n])
    with s = mask · phi'(z): the (H, N) product W2 · delta_out is never formed.
    """
    inv_n = 1.0 / XT1.shape[1]
    zT, aT = hidden_t(p, XT1, activation, ws)
    a_used = aT if maskT is None else np.multiply(aT, maskT, out=ws.t2)
    out = p.W2 @ a_used
    out += p.b2
    if regression:
        diff = out - yT
        loss = float(np.add.reduce(diff * diff, axis=None)) * inv_n
        delta_out = diff * (2.0 * inv_n)
    else:
        softplus = np.logaddexp(0.0, out)
        loss = float(np.add.reduce(softplus - out * yT, axis=None)) * inv_n
        # sigmoid(out) = exp(out − softplus(out)): no overflow for large logits.
        delta_out = np.exp(out - softplus)
        delta_out -= yT
        delta_out *= inv_n
    np.einsum("hn,n->h", a_used, delta_out[0], out=g.w2_row, optimize=False)
    np.add.reduce(delta_out, axis=1, out=g.b2)
    weighted_inputs = XT1 * delta_out
    s = derivative(activation, zT, aT, ws.t1)
    if maskT is not None:
        s = maskT if s is None else np.multiply(s, maskT, out=s)
    if s is None:
        np.multiply(p.w2_col, np.add.reduce(weighted_inputs, axis=1), out=g.block)
    else:
        np.einsum("hn,kn->hk", s, weighted_inputs, out=g.block, optimize=False)
        g.block *= p.w2_col
    return loss


def _unit_major(params: Params) -> tuple[Layout, UnitMajor]:
    layout = Layout(params.W1.shape[0], params.W1.shape[1])
    return layout, UnitMajor(layout, layout.pack(params))


def _transpose(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X.T)


def bce_with_logits(out: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss), computed stably."""
    return float(np.mean(np.logaddexp(0.0, out) - out * y))


def mse(out: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (torch.nn.MSELoss)."""
    diff = out - y
    return float(np.mean(diff * diff))


def loss_and_grads(
    params: Params,
    X: np.ndarray,
    y: np.ndarray,
    activation: str,
    regression: bool,
    dropout_mask: np.ndarray | None = None,
) -> tuple[float, Params]:
    """The data loss on X (N, D), y (N, 1) and its gradient for every parameter.

    ``dropout_mask`` is (N, H) and already scaled to m / (1 − p).
    """
    layout, p = _unit_major(params)
    grad = UnitMajor(layout, np.empty(layout.size))
    maskT = None if dropout_mask is None else _transpose(dropout_mask)
    ws = Workspace(layout.hidden, len(X))
    loss = loss_and_grads_t(p, with_ones(X), _transpose(y), activation, regression, grad, ws,
                            maskT)
    return loss, layout.views(grad.theta).copy()
