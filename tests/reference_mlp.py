"""An independent, minimal implementation of docs/maths.md, used to check the engine.

Written from the maths alone: it imports nothing from ``tui_symmetry``.
It uses plain matrix products (``z = X W1ᵀ + b1``) where the engine uses its
unit-major kernels, keeps the four parameters as four separate arrays the way
``torch.optim`` does, and spells every update rule out as torch documents it.

:func:`replay` takes an export document (docs/contracts.md, "Export") and re-runs the full-batch
training from ``initial_params`` for ``step`` steps, returning the final parameters.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import numpy as np

PARAM_NAMES = ("W1", "b1", "W2", "b2")
WEIGHT_NAMES = ("W1", "W2")
REGRESSION_DATASETS = ("sine", "linear", "teacher")
LEAKY_SLOPE = 0.01
ADAM_BETAS = (0.9, 0.999)
ADAM_EPS = 1e-8

Params = dict[str, np.ndarray]


# -- forward / loss / backward -------------------------------------------------------


def phi(name: str, z: np.ndarray) -> np.ndarray:
    """The hidden activation φ(z)."""
    if name == "tanh":
        return np.tanh(z)
    if name == "relu":
        return np.where(z > 0.0, z, 0.0)
    if name == "sigmoid":
        return 1.0 / (1.0 + np.exp(-z))
    if name == "linear":
        return z
    if name == "leaky_relu":
        return np.where(z > 0.0, z, LEAKY_SLOPE * z)
    raise ValueError(f"unknown activation {name!r}")


def phi_prime(name: str, z: np.ndarray) -> np.ndarray:
    """φ'(z), with the subgradient 0 (relu) or 0.01 (leaky relu) at z = 0."""
    if name == "tanh":
        return 1.0 - np.tanh(z) ** 2
    if name == "relu":
        return (z > 0.0).astype(float)
    if name == "sigmoid":
        s = 1.0 / (1.0 + np.exp(-z))
        return s * (1.0 - s)
    if name == "linear":
        return np.ones_like(z)
    if name == "leaky_relu":
        return np.where(z > 0.0, 1.0, LEAKY_SLOPE)
    raise ValueError(f"unknown activation {name!r}")


def forward(params: Params, X: np.ndarray, activation: str) -> tuple[np.ndarray, ...]:
    """(z, a, out) for inputs X (N, D): z = X W1ᵀ + b1, a = φ(z), out = a W2ᵀ + b2."""
    z = X @ params["W1"].T + params["b1"]
    a = phi(activation, z)
    out = a @ params["W2"].T + params["b2"]
    return z, a, out


def softmax(out: np.ndarray) -> np.ndarray:
    """Row-wise softmax of logits (N, C), shifted by each row's largest logit."""
    e = np.exp(out - out.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def data_loss(out: np.ndarray, y: np.ndarray, loss: str) -> float:
    """MSELoss, BCEWithLogitsLoss (stable form) or CrossEntropyLoss against one-hot rows
    y (N, C), each the mean over the batch."""
    if loss == "mse":
        return float(np.mean((out - y) ** 2))
    if loss == "softmax":
        # −log softmax(o)[y] = logsumexp(o) − o[y], with logsumexp shifted by the max.
        top = out.max(axis=1)
        lse = top + np.log(np.exp(out - top[:, None]).sum(axis=1))
        return float(np.mean(lse - (out * y).sum(axis=1)))
    # BCE with logits: max(o, 0) − o·y + log(1 + exp(−|o|)).
    return float(np.mean(np.maximum(out, 0.0) - out * y + np.log1p(np.exp(-np.abs(out)))))


def loss_and_grads(params: Params, X: np.ndarray, y: np.ndarray, activation: str,
                   loss_name: str) -> tuple[float, Params]:
    """The data loss ``loss_name`` (mse, bce, softmax) on (X, y) and its gradient by
    backprop; y is (N, 1), or one-hot rows (N, C) for softmax."""
    n = X.shape[0]
    z, a, out = forward(params, X, activation)
    loss = data_loss(out, y, loss_name)
    if loss_name == "mse":
        d_out = 2.0 * (out - y) / n
    elif loss_name == "softmax":
        d_out = (softmax(out) - y) / n
    else:
        d_out = (1.0 / (1.0 + np.exp(-out)) - y) / n
    grads = {
        "W2": d_out.T @ a,
        "b2": d_out.sum(axis=0),
    }
    d_z = (d_out @ params["W2"]) * phi_prime(activation, z)
    grads["W1"] = d_z.T @ X
    grads["b1"] = d_z.sum(axis=0)
    return loss, grads


# -- regularizers ----------------------------------------------------------------------


def add_l2(grads: Params, params: Params, l2: float) -> None:
    """g_W += l2·W on the weights W1, W2 (not the biases)."""
    for name in WEIGHT_NAMES:
        grads[name] = grads[name] + l2 * params[name]


def add_tie(grads: Params, params: Params, tie: float) -> None:
    """g_{u_i} += tie·(u_i − ū) with u_i = [W1[i, :], b1[i], W2[:, i]]."""
    units = np.concatenate([params["W1"], params["b1"][:, None], params["W2"].T], axis=1)
    pull = tie * (units - units.mean(axis=0, keepdims=True))
    d = params["W1"].shape[1]
    grads["W1"] = grads["W1"] + pull[:, :d]
    grads["b1"] = grads["b1"] + pull[:, d]
    grads["W2"] = grads["W2"] + pull[:, d + 1:].T


def l1_prox(params: Params, threshold: float) -> None:
    """W ← sign(W)·max(|W| − threshold, 0) on W1 and W2."""
    for name in WEIGHT_NAMES:
        w = params[name]
        params[name] = np.sign(w) * np.maximum(np.abs(w) - threshold, 0.0)


# -- optimizers, one state per parameter, as in torch.optim -----------------------------


class SGD:
    """torch.optim.SGD: p ← p − lr·g.

    With momentum μ (dampening 0): b ← μ·b + g (b = g on the first step), p ← p − lr·b.
    """

    def __init__(self, lr: float, momentum: float = 0.0) -> None:
        self.lr = lr
        self.momentum = momentum
        self.buffers: dict[str, np.ndarray] = {}

    def step(self, params: Params, grads: Params) -> None:
        """Update ``params`` in place (array by array) from ``grads``."""
        for name in PARAM_NAMES:
            g = grads[name]
            if self.momentum:
                buf = self.buffers.get(name)
                buf = g.copy() if buf is None else self.momentum * buf + g
                self.buffers[name] = buf
                g = buf
            params[name] = params[name] - self.lr * g


class Adam:
    """torch.optim.Adam, betas (0.9, 0.999), eps 1e-8, bias-corrected."""

    def __init__(self, lr: float) -> None:
        self.lr = lr
        self.t = 0
        self.m: dict[str, np.ndarray] = {}
        self.v: dict[str, np.ndarray] = {}

    def step(self, params: Params, grads: Params) -> None:
        """Update ``params`` in place (array by array) from ``grads``."""
        beta1, beta2 = ADAM_BETAS
        self.t += 1
        bias1 = 1.0 - beta1**self.t
        bias2 = 1.0 - beta2**self.t
        for name in PARAM_NAMES:
            g = grads[name]
            m = beta1 * self.m.get(name, np.zeros_like(g)) + (1.0 - beta1) * g
            v = beta2 * self.v.get(name, np.zeros_like(g)) + (1.0 - beta2) * g * g
            self.m[name], self.v[name] = m, v
            denom = np.sqrt(v) / math.sqrt(bias2) + ADAM_EPS
            params[name] = params[name] - (self.lr / bias1) * m / denom


def make_optimizer(config: Mapping[str, Any]) -> SGD | Adam:
    """The optimizer named by ``config`` with its learning rate (and momentum)."""
    name = config["optimizer"]
    if name == "sgd":
        return SGD(config["lr"])
    if name == "momentum":
        return SGD(config["lr"], config["momentum"])
    if name == "adam":
        return Adam(config["lr"])
    raise ValueError(f"unknown optimizer {name!r}")


# -- replay -----------------------------------------------------------------------------


def params_from_lists(values: Mapping[str, Any]) -> Params:
    """Float64 arrays from the JSON lists of an export."""
    return {name: np.array(values[name], dtype=np.float64) for name in PARAM_NAMES}


def loss_name(document: Mapping[str, Any]) -> str:
    """The export's loss: MSE for a regression, softmax for a table of three or more
    classes (its ``data_source`` says), BCE otherwise."""
    source = document.get("data_source") or {}
    if document["config"]["dataset"] in REGRESSION_DATASETS or source.get("task") == "regression":
        return "mse"
    return "softmax" if source.get("task") == "classes" else "bce"


def targets(document: Mapping[str, Any], labels: Any) -> np.ndarray:
    """The export's y as the loss reads it: (N, 1), or one-hot rows (N, C) of the labels."""
    if loss_name(document) == "softmax":
        return np.eye(len(document["data_source"]["classes"]))[np.array(labels, dtype=int)]
    return np.array(labels, dtype=np.float64).reshape(-1, 1)


def train_step(params: Params, X: np.ndarray, y: np.ndarray, config: Mapping[str, Any],
               optimizer: SGD | Adam, loss: str) -> float:
    """One full-batch step in the update order of docs/maths.md; returns the loss before it."""
    loss, grads = loss_and_grads(params, X, y, config["activation"], loss)
    if config["l2"]:
        add_l2(grads, params, config["l2"])
    if config["tie"]:
        add_tie(grads, params, config["tie"])
    optimizer.step(params, grads)
    if config["l1"]:
        l1_prox(params, optimizer.lr * config["l1"])
    return loss


def replay(document: Mapping[str, Any]) -> Params:
    """Re-run a full-batch export from its initial parameters; return the final parameters.

    Live setting changes recorded in ``config_changes`` are applied before the step
    they are stamped with.  Runs that drew random numbers while training (dropout,
    gradient noise, minibatches) cannot be replayed from the file and raise ValueError.
    """
    if document["format"] != "tui-symmetry-run" or document["version"] != 1:
        raise ValueError("not a tui-symmetry-run version 1 export")
    config = dict(document["config"])
    changes = sorted(document.get("config_changes", []), key=lambda change: change["step"])
    for settings in [config, *changes]:
        if settings.get("dropout") or settings.get("grad_noise") or settings.get("batch_size"):
            raise ValueError("only deterministic full-batch runs can be replayed")
    data = document["data"]
    X = np.array(data["X_train"], dtype=np.float64)
    y = targets(document, data["y_train"])
    loss = loss_name(document)
    params = params_from_lists(document["initial_params"])
    optimizer = make_optimizer(config)
    pending = list(changes)
    for step in range(document["step"]):
        while pending and pending[0]["step"] == step:
            change = pending.pop(0)
            config.update({k: v for k, v in change.items() if k != "step"})
            optimizer.lr = config["lr"]
            if isinstance(optimizer, SGD) and config["optimizer"] == "momentum":
                optimizer.momentum = config["momentum"]
        train_step(params, X, y, config, optimizer, loss)
    return params
