"""Regularizers, in the order one training step applies them (docs/maths.md).

L2, tie and gradient noise change the gradient; L1 is a proximal step applied to
the weights after the optimizer, which lands weights on exact zeros.  Dropout masks
are drawn here too; the network applies them.  All work in place on the flat
vectors of a :class:`~tui_symmetry.core.network.ParamLayout`.
"""

from __future__ import annotations

import numpy as np

from tui_symmetry.core.network import ParamLayout


def add_l2(grad: np.ndarray, theta: np.ndarray, layout: ParamLayout, l2: float) -> None:
    """g_W += l2·W for W1 and W2 (torch's weight_decay on the weights only)."""
    w = layout.weights
    grad[w] += l2 * theta[w]


def add_tie(grad: np.ndarray, theta: np.ndarray, layout: ParamLayout, tie: float) -> None:
    """g_{u_i} += tie·(u_i − ū): pulls every unit [W1[i,:], b1[i], W2[:,i]] to the mean unit."""
    p, g = layout.views(theta), layout.views(grad)
    gW1, gb1, gW2 = g.W1, g.b1, g.W2  # views into grad: += writes through
    gW1 += tie * (p.W1 - p.W1.mean(axis=0))
    gb1 += tie * (p.b1 - p.b1.mean())
    # ū's outgoing part: per output (and per pooled cell of a conv filter's block)
    shape = (layout.outputs, layout.hidden, layout.positions)
    W2 = p.W2.reshape(shape)
    gW2.reshape(shape)[...] += tie * (W2 - W2.mean(axis=1, keepdims=True))


def add_grad_noise(grad: np.ndarray, layout: ParamLayout, scale: float,
                   rng: np.random.Generator) -> None:
    """g += scale·ξ with ξ ~ N(0, 1) fresh for every entry of W1, b1 and W2 (not b2)."""
    part = layout.per_unit
    grad[part] += scale * rng.standard_normal(part.stop - part.start)


def l1_prox(theta: np.ndarray, layout: ParamLayout, threshold: float) -> None:
    """W ← sign(W)·max(|W| − threshold, 0) on W1, W2; threshold is lr·l1."""
    w = layout.weights
    weights = theta[w]
    theta[w] = np.sign(weights) * np.maximum(np.abs(weights) - threshold, 0.0)


def dropout_mask(shape: tuple[int, int], p: float, rng: np.random.Generator) -> np.ndarray:
    """Inverted-dropout mask m/(1−p), fresh per sample and unit."""
    keep = 1.0 - p
    mask = (rng.random(shape) < keep).astype(float)
    mask *= 1.0 / keep
    return mask
