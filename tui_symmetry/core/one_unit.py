"""The one-unit optimum: the best loss a network of identical units can reach.

H identical units (w, b, v) compute H·v·φ(w·x + b) + b2: exactly one unit with outgoing
weight H·v.  So the best training loss over networks whose units are all identical is
the best training loss of a one-unit network, whatever H.  A run whose units never
split ends on (or above) it; going below it is what splitting buys — the reason the fit
rewards units that differ.

The one-unit network has D + 3 parameters; its optimum is found by L-BFGS with the
exact gradient from several fixed random starts (the problem is not convex), keeping
the best.  It depends only on the training data and the activation, so it is computed
once per combination of them and cached.  On separable data the infimum (0) is not
attained; the value is then what the optimizer reaches in its iteration budget.
"""

from __future__ import annotations

import math

import numpy as np

from tui_symmetry.core.config import Config
from tui_symmetry.core.data import make_dataset
from tui_symmetry.core.network import ACTIVATIONS

STARTS = 32
SCOUT_ITERATIONS = 40
FINALISTS = 3
START_SEED = 20_240_607
MAX_ITERATIONS = 1_000
GRADIENT_TOL = 1e-10

_DATA_FIELDS = ("dataset", "samples", "noise", "test_fraction", "seed", "activation")
_CACHE: dict[tuple, float] = {}
_CACHE_SIZE = 512


def one_unit_loss(config: Config) -> float:
    """The best training loss of a one-unit network on ``config``'s data (cached)."""
    key = tuple(getattr(config, name) for name in _DATA_FIELDS)
    value = _CACHE.get(key)
    if value is None:
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        value = _CACHE[key] = optimize_one_unit(config)[0]
    return value


def cached_one_unit_loss(config: Config) -> float | None:
    """The cached value of :func:`one_unit_loss`, or None when not computed yet."""
    return _CACHE.get(tuple(getattr(config, name) for name in _DATA_FIELDS))


def _loss_and_grad(theta: np.ndarray, XT1: np.ndarray, y: np.ndarray, activation: str,
                   regression: bool) -> tuple[float, np.ndarray]:
    """Loss and gradient of the one-unit network theta = [w, b, v, b2]."""
    D1 = XT1.shape[0]
    w, v, b2 = theta[:D1], theta[D1], theta[D1 + 1]
    z = w @ XT1
    phi = ACTIVATIONS[activation]
    a = phi.forward(z, np.empty_like(z))
    f = v * a + b2
    inv_n = 1.0 / len(y)
    if regression:
        diff = f - y
        loss = float(diff @ diff) * inv_n
        r = 2.0 * diff * inv_n
    else:
        softplus = np.logaddexp(0.0, f)
        loss = float(np.sum(softplus - f * y)) * inv_n
        r = (np.exp(f - softplus) - y) * inv_n
    slope = phi.derivative(z, a, np.empty_like(z))
    rv = r * v if slope is None else r * v * slope
    grad = np.empty_like(theta)
    grad[:D1] = XT1 @ rv
    grad[D1] = r @ a
    grad[D1 + 1] = r.sum()
    return loss, grad


def optimize_one_unit(config: Config) -> tuple[float, np.ndarray]:
    """(best loss, best [w, b, v, b2]) of a one-unit network on ``config``'s data.

    Many short runs from fixed random starts, then the most promising few run on to
    convergence: the landscape has several basins (a ReLU unit may start dead, or in
    a worse kink), and a short run already tells which basin it is in.
    """
    from scipy.optimize import minimize

    data = make_dataset(config)
    X, y = data.X_train, data.y_train[:, 0]
    XT1 = np.vstack([X.T, np.ones(len(X))])
    args = (XT1, y, config.activation, config.is_regression)
    rng = np.random.default_rng(START_SEED)
    size = XT1.shape[0] + 2
    # w ~ N(0, 1), b ~ N(0, 2²) (so a ReLU start is sometimes on everywhere), v ~ N(0, 1),
    # b2 = 0.
    scales = np.ones(size)
    scales[size - 3] = 2.0
    scales[size - 1] = 0.0
    starts = rng.standard_normal((STARTS, size)) * scales
    best_loss, best = math.inf, np.zeros(size)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        scouts = []
        for start in starts:
            result = minimize(_loss_and_grad, start, args=args, jac=True, method="L-BFGS-B",
                              options={"maxiter": SCOUT_ITERATIONS, "gtol": GRADIENT_TOL})
            scouts.append((float(result.fun), result.x))
        scouts.sort(key=lambda item: item[0] if math.isfinite(item[0]) else math.inf)
        for _, x in scouts[:FINALISTS]:
            result = minimize(_loss_and_grad, x, args=args, jac=True, method="L-BFGS-B",
                              options={"maxiter": MAX_ITERATIONS, "gtol": GRADIENT_TOL})
            loss = _loss_and_grad(result.x, *args)[0]
            if math.isfinite(loss) and loss < best_loss:
                best_loss, best = loss, result.x
    return best_loss, best
