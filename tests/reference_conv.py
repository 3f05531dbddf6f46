"""An independent, minimal implementation of the conv layer of docs/maths.md ("Filters").

Written from the maths alone: it imports nothing from ``tui_symmetry``.  Where the engine
makes patches once (im2col) and runs one product per distinct filter, this loops over
the map positions (i, j) and the pooling windows, with the parameters in torch's shapes
(``Wc`` (K, 1, k, k), ``bc`` (K,), ``W2`` (C, K·P), ``b2`` (C,)).  The activation, the
losses and the optimizers are reference_mlp's (each written from torch's documentation).

:func:`replay_conv` re-runs a full-batch conv export (docs/contracts.md, "Export").
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np
import reference_mlp as ref

CONV_NAMES = ("Wc", "bc", "W2", "b2")

Params = dict[str, np.ndarray]


def forward(params: Params, images: np.ndarray, activation: str) -> tuple[np.ndarray, ...]:
    """(z (N, K, S, S), pooled (N, K, S/2, S/2), out (N, C)) for images (N, h, w)."""
    Wc, bc = params["Wc"], params["bc"]
    K, _, k, _ = Wc.shape
    n, h, _ = images.shape
    side = h - k + 1
    z = np.empty((n, K, side, side))
    for i in range(side):
        for j in range(side):
            window = images[:, i:i + k, j:j + k].reshape(n, k * k)
            z[:, :, i, j] = window @ Wc.reshape(K, k * k).T + bc
    a = ref.phi(activation, z)
    half = side // 2
    pooled = np.empty((n, K, half, half))
    for i in range(half):
        for j in range(half):
            pooled[:, :, i, j] = a[:, :, 2 * i:2 * i + 2, 2 * j:2 * j + 2].mean(axis=(2, 3))
    out = pooled.reshape(n, -1) @ params["W2"].T + params["b2"]
    return z, pooled, out


def loss_and_grads(params: Params, images: np.ndarray, y: np.ndarray, activation: str,
                   loss_name: str) -> tuple[float, Params]:
    """The data loss on (images, y) and its gradient by backprop through the loops; y is
    (N, 1), or one-hot rows (N, C) for softmax."""
    n = images.shape[0]
    Wc = params["Wc"]
    K, _, k, _ = Wc.shape
    z, pooled, out = forward(params, images, activation)
    loss = ref.data_loss(out, y, loss_name)
    if loss_name == "softmax":
        d_out = (ref.softmax(out) - y) / n
    elif loss_name == "mse":
        d_out = 2.0 * (out - y) / n
    else:
        d_out = (1.0 / (1.0 + np.exp(-out)) - y) / n
    grads = {"W2": d_out.T @ pooled.reshape(n, -1), "b2": d_out.sum(axis=0)}
    d_pooled = (d_out @ params["W2"]).reshape(pooled.shape)
    side = z.shape[2]
    d_a = np.zeros_like(z)
    for i in range(side):
        for j in range(side):
            d_a[:, :, i, j] = d_pooled[:, :, i // 2, j // 2] / 4.0
    d_z = d_a * ref.phi_prime(activation, z)
    g_w = np.zeros((K, k * k))
    for i in range(side):
        for j in range(side):
            window = images[:, i:i + k, j:j + k].reshape(n, k * k)
            g_w += d_z[:, :, i, j].T @ window
    grads["Wc"] = g_w.reshape(K, 1, k, k)
    grads["bc"] = d_z.sum(axis=(0, 2, 3))
    return loss, grads


def add_tie(grads: Params, params: Params, tie: float) -> None:
    """g_{u_k} += tie·(u_k − ū) with u_k = [Wc[k], bc[k], W2[:, kP:(k+1)P]]."""
    K = params["bc"].shape[0]
    C = params["W2"].shape[0]
    blocks = params["W2"].reshape(C, K, -1)
    grads["Wc"] = grads["Wc"] + tie * (params["Wc"] - params["Wc"].mean(axis=0))
    grads["bc"] = grads["bc"] + tie * (params["bc"] - params["bc"].mean())
    pull = tie * (blocks - blocks.mean(axis=1, keepdims=True))
    grads["W2"] = grads["W2"] + pull.reshape(C, -1)


def _as_mlp_names(values: Params) -> Params:
    """The same arrays under reference_mlp's names, so its optimizers and L1/L2 (which
    treat every array entry by entry, W1 and W2 as the weights) apply unchanged."""
    return {"W1": values["Wc"], "b1": values["bc"], "W2": values["W2"], "b2": values["b2"]}


def _as_conv_names(values: Params) -> Params:
    return {"Wc": values["W1"], "bc": values["b1"], "W2": values["W2"], "b2": values["b2"]}


def train_step(params: Params, images: np.ndarray, y: np.ndarray, config: Mapping[str, Any],
               optimizer: ref.SGD | ref.Adam, loss: str) -> tuple[float, Params]:
    """One full-batch step in the update order of docs/maths.md: (loss before it, the new
    parameters)."""
    value, grads = loss_and_grads(params, images, y, config["activation"], loss)
    if config.get("tie"):
        add_tie(grads, params, config["tie"])
    mlp_params, mlp_grads = _as_mlp_names(params), _as_mlp_names(grads)
    if config.get("l2"):
        ref.add_l2(mlp_grads, mlp_params, config["l2"])
    optimizer.step(mlp_params, mlp_grads)
    if config.get("l1"):
        ref.l1_prox(mlp_params, optimizer.lr * config["l1"])
    return value, _as_conv_names(mlp_params)


def replay_conv(document: Mapping[str, Any]) -> Params:
    """Re-run a full-batch conv export from its initial parameters; the final parameters.

    Only a run without live changes, minibatches or gradient noise (ValueError otherwise).
    """
    config = dict(document["config"])
    if document.get("config_changes") or config.get("grad_noise") or config.get("batch_size"):
        raise ValueError("only deterministic full-batch runs without changes can be replayed")
    data = document["data"]
    side = math.isqrt(len(data["X_train"][0]))
    images = np.array(data["X_train"], dtype=np.float64).reshape(-1, side, side)
    y = ref.targets(document, data["y_train"])
    loss = ref.loss_name(document)
    params = {name: np.array(document["initial_params"][name], dtype=np.float64)
              for name in CONV_NAMES}
    optimizer = ref.make_optimizer(config)
    for _ in range(document["step"]):
        params = train_step(params, images, y, config, optimizer, loss)[1]
    return params
