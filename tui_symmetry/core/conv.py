"""A tiny convolutional layer on images: K filters are K units (docs/maths.md, "Filters").

The network (torch layout: ``nn.Conv2d(1, K, k)``, ``nn.AvgPool2d(2)``, ``nn.Linear(K·P, C)``):
K filters of k × k with a bias, stride 1, no padding, on h × w images, so each filter
has an S × S feature map (S = h − k + 1; Q = S² patch positions); the hidden activation;
2 × 2 average pooling (stride 2: P = (S/2)² pooled cells); a linear layer from the K·P
pooled values, filter-major, to the C outputs.

The parameters live in a :class:`~tui_symmetry.core.network.ParamLayout` with
``hidden`` = K, ``inputs`` = k² and ``positions`` = P, so a filter is a unit: its row
[kernel, bias] in the (K, k² + 1) block F̃ = [Wc | bc], its outgoing block
V_k = W2[:, kP:(k+1)P] (C, P), and W2 (C, K·P) is exactly torch's ``Linear`` weight.

Inputs are the *patches* Πᵀ (k² + 1, Q, N), C-ordered, made once per dataset
(:func:`patches`): every k × k window of every image as a column, plus a row of ones for
the bias, positions before samples so that pooling slices whole rows of samples.

Exactness: two filters with the same bytes [F̃_k, V_k] must stay the same bytes.  As in
the MLP's wide kernel, the distinct filters are found by their bytes
(network.distinct_units), every product runs once per distinct filter (BLAS is free to
round a tile's edge rows its own way) and the results are scattered back.  Pooling and
its adjoint are elementwise slices, the same operations for every filter, written as one
fixed expression (never ``mean(axis=…)``, whose summation order numpy may choose).
"""

from __future__ import annotations

import math

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view

from tui_symmetry.core.network import (
    Activation,
    Loss,
    Params,
    UnitMajorViews,
    Workspace,
    distinct_units,
)

KERNEL_SIZES = (3, 5)
"""The filter sizes offered: on the 8 × 8 digits both leave an even map (6 × 6, 4 × 4),
which 2 × 2 pooling covers exactly."""


def map_side(image_side: int, kernel: int) -> int:
    """S, the side of a filter's feature map (valid convolution, stride 1)."""
    return image_side - kernel + 1


def pooled_cells(image_side: int, kernel: int) -> int:
    """P, the pooled cells per filter after 2 × 2 average pooling of the S × S map."""
    return (map_side(image_side, kernel) // 2) ** 2


def patches(images: np.ndarray, kernel: int) -> np.ndarray:
    """Πᵀ (k² + 1, Q, N), C-ordered: row a·k + b holds pixel (i + a, j + b) of every
    window at position q = i·S + j of every image (N, h, w); the last row is ones."""
    images = np.asarray(images, dtype=np.float64)
    n, h, w = images.shape
    if h != w or map_side(h, kernel) < 2 or map_side(h, kernel) % 2:
        raise ValueError(f"a {kernel}x{kernel} filter needs square images whose map has "
                         f"an even side; got {h}x{w}")
    side = map_side(h, kernel)
    windows = sliding_window_view(images, (kernel, kernel), axis=(1, 2))  # (N, S, S, k, k)
    out = np.ones((kernel * kernel + 1, side * side, n))
    out[:-1] = windows.reshape(n, side * side, kernel * kernel).transpose(2, 1, 0)
    return out


def _pool(a: np.ndarray) -> np.ndarray:
    """2 × 2 average pooling of maps (R, S, S, N) → (R, S/2, S/2, N): one fixed
    expression, the same sequence of operations for every filter (module doc)."""
    return (a[:, 0::2, 0::2] + a[:, 1::2, 0::2] + a[:, 0::2, 1::2] + a[:, 1::2, 1::2]) * 0.25


def _unpool(delta_m: np.ndarray, out: np.ndarray) -> np.ndarray:
    """The adjoint of :func:`_pool`: δ_A = δ_M · 0.25 in each of the four cells of its
    2 × 2 window; ``delta_m`` (R, S/2, S/2, N), ``out`` (R, S, S, N)."""
    quarter = delta_m * 0.25
    out[:, 0::2, 0::2] = quarter
    out[:, 1::2, 0::2] = quarter
    out[:, 0::2, 1::2] = quarter
    out[:, 1::2, 1::2] = quarter
    return out


def conv_workspace(filters: int, positions: int, n: int) -> Workspace:
    """A Workspace whose (K, Q·N) buffers hold the maps of a batch of ``n`` images."""
    return Workspace(filters, positions * n)


def filter_rows(block: np.ndarray, W2: np.ndarray, positions: int) -> np.ndarray:
    """(K, C·P): each filter's outgoing block V_k = W2[:, kP:(k+1)P], row-major."""
    K, C = block.shape[0], W2.shape[0]
    return W2.reshape(C, K, positions).transpose(1, 0, 2).reshape(K, C * positions)


def _distinct(block: np.ndarray, W2: np.ndarray, positions: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """(first, inverse) of the distinct filters [F̃_k, V_k] by their bytes."""
    return distinct_units(block, filter_rows(block, W2, positions).T)


def _side(PT: np.ndarray) -> int:
    return math.isqrt(PT.shape[1])


def maps_and_pooled(block: np.ndarray, PT: np.ndarray, activation: Activation,
                    ws: Workspace) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(Z, A, M) of the filters ``block`` (R, k² + 1): pre-activations and activations
    (R, Q·N) in the workspace's buffers, and the pooled maps M (R·P, N), filter-major."""
    D1, Q, N = PT.shape
    R, side = block.shape[0], _side(PT)
    z = np.matmul(block, PT.reshape(D1, Q * N), out=ws.z[:R])
    a = activation.forward(z, ws.a[:R])
    pooled = _pool(a.reshape(R, side, side, N))
    return z, a, pooled.reshape(R * (side // 2) ** 2, N)


def output_conv(p: UnitMajorViews, PT: np.ndarray, activation: Activation,
                ws: Workspace) -> np.ndarray:
    """The network's output on a batch of patches, (C, N)."""
    N, K = PT.shape[2], p.block.shape[0]
    P = p.W2.shape[1] // K
    first, inverse = _distinct(p.block, p.W2, P)
    pooled = maps_and_pooled(p.block[first], PT, activation, ws)[2]
    h = pooled.reshape(len(first), P, N)[inverse].reshape(K * P, N)
    out = p.W2 @ h
    out += p.b2[:, None]
    return out


def loss_and_grads_conv(
    p: UnitMajorViews,
    PT: np.ndarray,
    target: np.ndarray,
    activation: Activation,
    loss: Loss,
    g: UnitMajorViews,
    ws: Workspace,
    maskT: np.ndarray | None = None,
) -> float:
    """The data loss on a batch of a conv network; its gradient is written into ``g``.

    The kernel signature of network.Kernel: ``PT`` (k² + 1, Q, N) are the batch's patches,
    ``target`` (C, N), ``ws`` a :func:`conv_workspace` of the batch.  Dropout does not
    apply to filters (Config refuses it), so ``maskT`` must be None.

        Z = F̃ Πᵀ, A = φ(Z), M = pool(A), out = W2 M + b2
        ∂W2 = δ_out Mᵀ, ∂b2 = Σ_n δ_out, δ_M = W2ᵀ δ_out,
        δ_Z = unpool(δ_M) ⊙ φ′(Z), ∂F̃ = δ_Z Π
    each product once per distinct filter, scattered back (module doc).
    """
    if maskT is not None:
        raise ValueError("dropout does not apply to a conv layer's filters")
    D1, Q, N = PT.shape
    C, K, side = p.W2.shape[0], p.block.shape[0], _side(PT)
    half = side // 2
    P = half * half
    first, inverse = _distinct(p.block, p.W2, P)
    R = len(first)
    z, a, pooled = maps_and_pooled(p.block[first], PT, activation, ws)
    out = p.W2 @ pooled.reshape(R, P, N)[inverse].reshape(K * P, N)
    out += p.b2[:, None]
    value, delta_out = loss.value_and_delta(out, target, 1.0 / N)
    grad_w2 = (delta_out @ pooled.T).reshape(C, R, P)
    g.W2.reshape(C, K, P)[...] = grad_w2[:, inverse]
    np.add.reduce(delta_out, axis=1, out=g.b2)
    V = p.W2.reshape(C, K, P)[:, first].reshape(C, R * P)
    delta_m = (V.T @ delta_out).reshape(R, half, half, N)
    delta_z = _unpool(delta_m, ws.a_dropped[:R].reshape(R, side, side, N)).reshape(R, Q * N)
    slope = activation.derivative(z, a, ws.slope[:R])
    if slope is not None:
        delta_z *= slope
    g.block[...] = (delta_z @ PT.reshape(D1, Q * N).T)[inverse]
    return value


def pooled_maps(block: np.ndarray, PT: np.ndarray, activation: Activation) -> np.ndarray:
    """(H, P, N): every filter's pooled map on every image, in new arrays (the measures'
    path: no workspace, no exactness needed)."""
    D1, Q, N = PT.shape
    side = _side(PT)
    z = block @ PT.reshape(D1, Q * N)
    a = activation.forward(z, np.empty_like(z))
    return _pool(np.asarray(a).reshape(len(block), side, side, N)).reshape(len(block), -1, N)


def filter_activity(p: UnitMajorViews, PT: np.ndarray, activation: Activation,
                    ws: Workspace) -> np.ndarray:
    """(K, N): each filter's pooled map averaged over its P cells, per image (what the
    class panels read as a filter's activation)."""
    N, K = PT.shape[2], p.block.shape[0]
    P = p.W2.shape[1] // K
    first, inverse = _distinct(p.block, p.W2, P)
    pooled = maps_and_pooled(p.block[first], PT, activation, ws)[2]
    return pooled.reshape(len(first), P, N).mean(axis=1)[inverse]


def kernels(params: Params, kernel: int) -> np.ndarray:
    """(K, k, k): each filter's kernel as a picture, Wc[k, 0] (a view of W1)."""
    return params.W1.reshape(-1, kernel, kernel)


def feature_maps(params: Params, image: np.ndarray, kernel: int,
                 activation: Activation) -> np.ndarray:
    """(K, S, S): every filter's activation map φ(Wc[k] ⋆ image + bc[k]) on one image
    (h, w), before pooling: what the filters view draws beside each kernel."""
    PT = patches(np.asarray(image, dtype=np.float64)[None], kernel)
    block = np.column_stack([params.W1, params.b1])
    z = block @ PT.reshape(PT.shape[0], -1)
    a = activation.forward(z, np.empty_like(z))
    side = _side(PT)
    return np.array(a).reshape(-1, side, side)


def torch_params(params: Params, kernel: int) -> dict[str, np.ndarray]:
    """The conv parameters under torch's names and shapes: Wc (K, 1, k, k), bc (K,),
    W2 (C, K·P), b2 (C,)."""
    return {"Wc": params.W1.reshape(-1, 1, kernel, kernel), "bc": params.b1,
            "W2": params.W2, "b2": params.b2}


def from_torch(Wc: np.ndarray, bc: np.ndarray, W2: np.ndarray, b2: np.ndarray) -> Params:
    """Params from torch's conv arrays (the inverse of :func:`torch_params`)."""
    Wc = np.asarray(Wc, dtype=np.float64)
    return Params(Wc.reshape(Wc.shape[0], -1), np.asarray(bc, dtype=np.float64),
                  np.asarray(W2, dtype=np.float64), np.asarray(b2, dtype=np.float64))
