"""Polish a network to a critical point of its training loss: L-BFGS on every parameter.

Gradient descent at a fixed rate stops short of a critical point (and the duplicate
experiment's curvature formula holds there); a teacher's students are judged by the
loss they can reach, not by how far a fixed number of steps took them.  The objective
is the data loss the engine computes (network.loss_and_grads), no penalties.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core.network import ParamLayout, Params, loss_and_grads

MAX_ITERATIONS = 4_000
GRADIENT_TOL = 1e-10
VALUE_TOL = 1e-15


@dataclass(frozen=True)
class Polished:
    """Where L-BFGS stopped: the parameters, their data loss and ‖∇L‖."""

    params: Params
    loss: float
    gradient_norm: float


def polish(params: Params, X: np.ndarray, y: np.ndarray, activation: str, loss: str,
           iterations: int = MAX_ITERATIONS) -> Polished:
    """L-BFGS from ``params`` on the data loss ``loss`` of X, y (scipy's L-BFGS-B without
    bounds, up to ``iterations`` iterations)."""
    from scipy.optimize import minimize

    layout = ParamLayout(params.W1.shape[0], params.W1.shape[1], params.W2.shape[0])

    def objective(theta: np.ndarray) -> tuple[float, np.ndarray]:
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            value, grads = loss_and_grads(layout.views(theta), X, y, activation, loss)
        if not math.isfinite(value):
            return math.inf, np.zeros_like(theta)
        return value, layout.pack(grads)

    result = minimize(objective, layout.pack(params), jac=True, method="L-BFGS-B",
                      options={"maxiter": iterations, "gtol": GRADIENT_TOL,
                               "ftol": VALUE_TOL, "maxcor": 20})
    value, grad = objective(result.x)
    found = layout.views(np.array(result.x)).copy()
    return Polished(found, value, float(np.linalg.norm(grad)))
