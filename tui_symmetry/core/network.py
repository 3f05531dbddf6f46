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

    @classmethod
    def from_lists(cls, values: dict[str, list]) -> Params:
        return cls(
            W1=np.array(values["W1"], dtype=float),
            b1=np.array(values["b1"], dtype=float),
            W2=np.array(values["W2"], dtype=float),
            b2=np.array(values["b2"], dtype=float),
        )


# Activations write into a given buffer and multiply a gradient by phi'(z) in place:
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


def multiply_by_derivative(name: str, delta: np.ndarray, z: np.ndarray, a: np.ndarray,
                           scratch: np.ndarray) -> None:
    """delta *= phi'(z), in place; ``scratch`` is a buffer of delta's shape."""
    if name == "tanh":
        np.multiply(a, a, out=scratch)
        np.subtract(1.0, scratch, out=scratch)
        delta *= scratch
    elif name == "relu":
        np.multiply(delta, 0.0, out=delta, where=z <= 0.0)
    elif name == "sigmoid":
        np.subtract(1.0, a, out=scratch)
        scratch *= a
        delta *= scratch
    elif name == "leaky_relu":
        np.multiply(delta, LEAKY_SLOPE, out=delta, where=z <= 0.0)
    elif name != "linear":
        raise ValueError(f"unknown activation {name!r}")


class Layout:
    """Where each parameter lives in one flat vector theta = [W1, W2, b1, b2].

    Optimizers and penalties then work on one array instead of four (a tiny network's
    step is mostly per-call overhead), and the weights W1, W2 form one contiguous
    slice for L2 and L1.
    """

    def __init__(self, hidden: int, inputs: int) -> None:
        self.hidden, self.inputs = hidden, inputs
        n_w1 = hidden * inputs
        self.weights = slice(0, n_w1 + hidden)
        self.per_unit = slice(0, n_w1 + 2 * hidden)  # W1, W2, b1: what grad noise touches
        self._w1 = slice(0, n_w1)
        self._w2 = slice(n_w1, n_w1 + hidden)
        self._b1 = slice(n_w1 + hidden, n_w1 + 2 * hidden)
        self.size = n_w1 + 2 * hidden + 1

    def views(self, theta: np.ndarray) -> Params:
        """Params whose arrays are views into ``theta`` (no copy)."""
        return Params(
            theta[self._w1].reshape(self.hidden, self.inputs),
            theta[self._b1],
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

    ``b1_col`` and ``w2_col`` are (H, 1) columns that broadcast against (1, N) rows;
    ``w2_row`` is W2 as an (H,) vector.
    """

    __slots__ = ("W1", "W2", "b1", "b1_col", "b2", "theta", "w2_col", "w2_row")

    def __init__(self, layout: Layout, theta: np.ndarray) -> None:
        p = layout.views(theta)
        self.theta = theta
        self.W1, self.b1, self.W2, self.b2 = p.W1, p.b1, p.W2, p.b2
        self.b1_col = p.b1[:, None]
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


def hidden_preactivation_t(p: UnitMajor, XT: np.ndarray, out: np.ndarray) -> np.ndarray:
    """zᵀ = W1 Xᵀ + b1 into ``out`` (H, N)."""
    np.einsum("hd,dn->hn", p.W1, XT, out=out, optimize=False)
    out += p.b1_col
    return out


def hidden_t(p: UnitMajor, XT: np.ndarray, activation: str,
             ws: Workspace) -> tuple[np.ndarray, np.ndarray]:
    """(zᵀ, aᵀ), both (H, N), in the workspace's buffers (aᵀ is zᵀ for linear)."""
    zT = hidden_preactivation_t(p, XT, ws.z)
    return zT, activate(activation, zT, ws.a)


def output_t(p: UnitMajor, XT: np.ndarray, activation: str, ws: Workspace) -> np.ndarray:
    """The network's output on a batch, (1, N), without dropout."""
    out = p.W2 @ hidden_t(p, XT, activation, ws)[1]
    out += p.b2
    return out


def loss_and_grads_t(
    p: UnitMajor,
    XT: np.ndarray,
    yT: np.ndarray,
    activation: str,
    regression: bool,
    g: UnitMajor,
    ws: Workspace,
    maskT: np.ndarray | None = None,
) -> float:
    """The data loss on a batch; its gradient is written into the arrays of ``g``.

    XT is (D, N) and yT (1, N), both C-ordered; ``ws`` has buffers of width N.
    ``maskT`` (H, N), when given, holds the dropout mask already scaled to m / (1 − p):
    it multiplies the hidden activations on the way forward and their gradient on
    the way back.
    """
    inv_n = 1.0 / XT.shape[1]
    zT, aT = hidden_t(p, XT, activation, ws)
    if maskT is None:
        a_used = aT
    else:
        a_used = np.multiply(aT, maskT, out=ws.t2)
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
    # a_used may live in ws.t2, which the derivative below reuses: take gW2 first.
    np.einsum("hn,n->h", a_used, delta_out[0], out=g.w2_row, optimize=False)
    np.add.reduce(delta_out, axis=1, out=g.b2)
    delta_zT = np.multiply(p.w2_col, delta_out, out=ws.t1)
    if maskT is not None:
        delta_zT *= maskT
    multiply_by_derivative(activation, delta_zT, zT, aT, ws.t2)
    np.einsum("hn,dn->hd", delta_zT, XT, out=g.W1, optimize=False)
    np.add.reduce(delta_zT, axis=1, out=g.b1)
    return loss


def _unit_major(params: Params) -> tuple[Layout, UnitMajor]:
    layout = Layout(params.W1.shape[0], params.W1.shape[1])
    return layout, UnitMajor(layout, layout.pack(params))


def _transpose(X: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(X.T)


def hidden_activations(params: Params, X: np.ndarray, activation: str) -> np.ndarray:
    """a = phi(z), (N, H), without dropout: what each unit computes on X (N, D)."""
    _, p = _unit_major(params)
    zT = hidden_preactivation_t(p, _transpose(X), np.empty((params.W1.shape[0], len(X))))
    return activate(activation, zT).T


def forward(params: Params, X: np.ndarray, activation: str) -> np.ndarray:
    """The network's output (logits or predictions), (N, 1), without dropout."""
    return hidden_activations(params, X, activation) @ params.W2.T + params.b2


def bce_with_logits(out: np.ndarray, y: np.ndarray) -> float:
    """Mean binary cross-entropy on logits (torch.nn.BCEWithLogitsLoss), computed stably."""
    return float(np.mean(np.logaddexp(0.0, out) - out * y))


def mse(out: np.ndarray, y: np.ndarray) -> float:
    """Mean squared error (torch.nn.MSELoss)."""
    diff = out - y
    return float(np.mean(diff * diff))


def loss_value(params: Params, X: np.ndarray, y: np.ndarray, activation: str,
               regression: bool) -> float:
    """The data loss of ``params`` on (X, y), without dropout; NaN for no points."""
    if len(X) == 0:
        return float("nan")
    out = forward(params, X, activation)
    return mse(out, y) if regression else bce_with_logits(out, y)


def accuracy(params: Params, X: np.ndarray, y: np.ndarray, activation: str) -> float:
    """Share of points whose logit has the sign of their 0/1 label."""
    if len(X) == 0:
        return float("nan")
    out = forward(params, X, activation)
    return float(np.mean((out > 0.0) == (y > 0.5)))


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
    loss = loss_and_grads_t(p, _transpose(X), _transpose(y), activation, regression, grad, ws,
                            maskT)
    return loss, layout.views(grad.theta).copy()
