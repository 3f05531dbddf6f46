"""The one-unit optimum: the best loss a network of identical units can reach.

H identical units (w, b, v) compute H·v·φ(w·x + b) + b2: exactly one unit with outgoing
weight H·v.  So the best training loss over networks whose units are all identical is
the best training loss of a one-unit network, whatever H.  A run whose units never
split ends on (or above) it; going below it is what splitting buys — the reason the fit
rewards units that differ.

The one-unit network has D + 3 parameters and many basins, so its optimum is searched
for in two ways, and the lower result is kept:

* **with finite weights:** L-BFGS with the exact gradient from many fixed starts (half
  of them put the unit's kink or step through a training point), the most promising
  run on to convergence;
* **where the best is a limit** (classification): as the weights grow, a tanh or
  sigmoid unit becomes a step, cutting the plane in two along a line with a constant
  output on each side; a ReLU unit's output grows without bound on one side of a line,
  which pays only if that side holds one class alone; any unit fits data that a line
  separates with a loss falling to 0.  Their losses tend to the class entropies of the
  two sides, so the best of these limits is found exactly by trying every split of the
  training points by a line (each line through two points, each of those two on either
  side: O(N² log N)); beyond 1,000 points, the lines through a fixed sample of them
  (ANCHOR_WORK).

An optimizer's result is an upper bound of the best loss, never more: a run of
identical units that goes lower is itself a better bound (core/trainer.py takes the
minimum).

When the best is approached only as the weights grow, ``weights_grow`` says so: the
best is one of those limits, or the best the finite search finds with every parameter
within ±BOUND is higher (by GROWTH_TOL) than without that bound — the loss still falls
as weights grow there (an output weight growing while the unit works in an ever smaller
part of its curve does that).

It depends only on the training data and the activation, so it is computed once per
combination of them and cached.  Sigmoid and tanh units compute the same functions
(σ(z) = (1 + tanh(z/2))/2: the sigmoid unit (2w, 2b, 2v, b2 − v) is the tanh unit
(w, b, v, b2)), so they share one optimum.

**One filter** (arch conv, :func:`conv_search`): K identical filters compute one filter
with outgoing block K·V, so the best loss of identical filters is the best loss of a
one-filter network (k² + 1 + C·P + C parameters), found by the same finite and bounded
searches (its objective is the conv kernel itself, with K = 1): an upper bound, as for
a unit with many inputs or outputs.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from tui_symmetry.core import conv
from tui_symmetry.core.config import Config
from tui_symmetry.core.data import data_key, make_dataset
from tui_symmetry.core.network import (
    ACTIVATIONS,
    LOSSES,
    ParamLayout,
    UnitMajorViews,
    one_hot,
)

STARTS = 48
"""Random starts of the finite search."""
SCOUT_ITERATIONS = 40
"""L-BFGS iterations of each start: enough to tell which basin it is in."""
FINALISTS = 6
"""The best scouts, run on for FINAL_ITERATIONS."""
FINAL_ITERATIONS = 200
WINNERS = 2
"""The best finalists, run on to convergence (up to MAX_ITERATIONS)."""
CUT_STARTS = 2
"""The best limits (lines) also start a finite run: it finds any refinement of a step."""
START_SEED = 20_240_607
MAX_ITERATIONS = 2_000
GRADIENT_TOL = 1e-12
VALUE_TOL = 1e-15
"""L-BFGS's relative-decrease stop, far below its default (2e-9): along a valley whose
loss falls by 1e-9 per unit of weight (tanh on moons) the default stopped 1.4e-4 high."""
BOUND = 30.0
"""Every parameter within ±BOUND: the bounded search.  One unit on these datasets
(inputs within about ±2) that reaches its best with finite weights does so within it
(the largest seen: 27, a leaky ReLU unit on moons, before balancing); homogeneous units
(ReLU, leaky ReLU, linear) are balanced first, |v| = ‖(w, b)‖, which changes nothing
they compute."""
GROWTH_TOL = 1e-7
"""How much lower than the bounded best the best must be to say the loss still falls
as weights grow (far above L-BFGS's convergence noise, ~1e-12)."""
ANCHOR_WORK = 1_000_000
"""The lines tried go through two training points, one of them an anchor: every point
while there are at most 1,000 (all lines), beyond that as many fixed ones as keep the
anchors times the points near ANCHOR_WORK, and at least MIN_ANCHORS (the limit found is
then an upper bound too)."""
MIN_ANCHORS = 50

_SAME_UNITS = {"sigmoid": "tanh"}
"""Activations whose one-unit networks compute the same functions as another's."""
_CACHE: dict[tuple, OneUnitOptimum] = {}
_CACHE_SIZE = 512


@dataclass(frozen=True)
class OneUnitOptimum:
    """The best loss of one unit found on a run's training data, and how it is reached."""

    loss: float
    """The lowest training loss found: an upper bound of the best loss of one unit."""
    theta: np.ndarray
    """[w, b, v, b2] of the lowest loss reached with finite weights, for the config's
    activation."""
    finite_loss: float
    """The loss at ``theta``: ``loss`` itself unless that is a limit."""
    bounded_loss: float
    """The lowest loss found with every parameter within ±BOUND."""
    limit_loss: float
    """The best of the limits as weights grow (inf where none applies)."""
    weights_grow: bool
    """True when ``loss`` is approached only as weights grow (see the module)."""
    bound: str = "exact"
    """"exact": the limits as weights grow were searched through (one output, at most two
    inputs); "upper": with more inputs or outputs no exact search exists, and ``loss`` is
    only the best found (an upper bound of the best loss of one unit)."""


Optimizer = Callable[[Config], OneUnitOptimum]
"""What finds the optimum of a config on a cache miss: :func:`optimize` itself, or
something that runs it elsewhere (runner/search.py: in a process of its own)."""


def one_unit_optimum(config: Config, find: Optimizer | None = None) -> OneUnitOptimum:
    """The one-unit (for arch conv: one-filter) optimum on ``config``'s training data
    (cached in this process; ``find`` computes it on a miss, :func:`optimize` by
    default)."""
    activation = config.activation
    # A filter's sigmoid flip moves Σ_p V[:, p] into b2: filters are searched per activation.
    shared = activation if config.is_conv else _SAME_UNITS.get(activation, activation)
    network = ("conv", config.kernel) if config.is_conv else ()
    key = (*data_key(config), *network, shared)
    found = _CACHE.get(key)
    if found is None:
        found = (find or optimize)(config.replace(activation=shared))
        if len(_CACHE) >= _CACHE_SIZE:
            _CACHE.clear()
        _CACHE[key] = found
    if activation == "sigmoid" and not config.is_conv:
        return _as_sigmoid(found, config.output_dim)
    return found


def one_unit_loss(config: Config) -> float:
    """The best training loss of a one-unit network on ``config``'s data (cached)."""
    return one_unit_optimum(config).loss


def _as_sigmoid(found: OneUnitOptimum, outputs: int = 1) -> OneUnitOptimum:
    """A tanh unit's optimum as the sigmoid unit computing the same function."""
    C = outputs
    w, v, b2 = found.theta[:-2 * C], found.theta[-2 * C:-C], found.theta[-C:]
    theta = np.concatenate([2.0 * w, 2.0 * v, b2 - v])
    return OneUnitOptimum(found.loss, theta, found.finite_loss, found.bounded_loss,
                          found.limit_loss, found.weights_grow, found.bound)


def _output_loss(f: np.ndarray, y: np.ndarray, loss: str) -> tuple[float, np.ndarray]:
    """Mean loss of the outputs ``f`` (N,) against ``y`` and its gradient in ``f``
    (N,): squared error for "mse", BCE with logits for "bce" (network.LOSSES; here on
    one output with BLAS dot products, the optimum's own rounding)."""
    inv_n = 1.0 / len(y)
    if loss == "mse":
        diff = f - y
        return float(diff @ diff) * inv_n, 2.0 * diff * inv_n
    softplus = np.logaddexp(0.0, f)
    return float(np.sum(softplus - f * y)) * inv_n, (np.exp(f - softplus) - y) * inv_n


def _loss_and_grad(theta: np.ndarray, XT1: np.ndarray, y: np.ndarray, activation: str,
                   loss: str) -> tuple[float, np.ndarray]:
    """Loss and gradient of the one-unit network theta = [w, b, v, b2]."""
    D1 = XT1.shape[0]
    w, v, b2 = theta[:D1], theta[D1], theta[D1 + 1]
    z = w @ XT1
    phi = ACTIVATIONS[activation]
    a = phi.forward(z, np.empty_like(z))
    f = v * a + b2
    value, r = _output_loss(f, y, loss)
    slope = phi.derivative(z, a, np.empty_like(z))
    rv = r * v if slope is None else r * v * slope
    grad = np.empty_like(theta)
    grad[:D1] = XT1 @ rv
    grad[D1] = r @ a
    grad[D1 + 1] = r.sum()
    return value, grad


def _vector_loss_and_grad(theta: np.ndarray, XT1: np.ndarray, target: np.ndarray,
                          activation: str, loss: str) -> tuple[float, np.ndarray]:
    """Loss and gradient of the one-unit network with C outputs, theta = [w, b, v, b2]
    with v, b2 ∈ R^C, against the (C, N) target (network.LOSSES)."""
    D1, C = XT1.shape[0], target.shape[0]
    w, v, b2 = theta[:D1], theta[D1:D1 + C], theta[D1 + C:]
    z = w @ XT1
    phi = ACTIVATIONS[activation]
    a = phi.forward(z, np.empty_like(z))
    f = v[:, None] * a + b2[:, None]
    value, delta = LOSSES[loss].value_and_delta(f, target, 1.0 / XT1.shape[1])
    slope = phi.derivative(z, a, np.empty_like(z))
    back = v @ delta if slope is None else (v @ delta) * slope
    return value, np.concatenate([XT1 @ back, delta @ a, delta.sum(axis=1)])


def _filter_loss_and_grad(theta: np.ndarray, PT: np.ndarray, target: np.ndarray,
                          activation: str, loss: str) -> tuple[float, np.ndarray]:
    """Loss and gradient of the one-filter network theta = [F̃, V (C, P) row-major, b2]
    on the patches PT (k² + 1, Q, N): the conv kernel itself, with K = 1."""
    C, D1 = target.shape[0], PT.shape[0]
    layout = ParamLayout(1, D1 - 1, C, (len(theta) - D1 - C) // C)
    grad = UnitMajorViews(layout, np.empty(layout.size))
    value = conv.loss_and_grads_conv(UnitMajorViews(layout, theta), PT, target,
                                     ACTIVATIONS[activation], LOSSES[loss], grad,
                                     conv.conv_workspace(1, PT.shape[1], PT.shape[2]))
    return value, grad.theta


@dataclass(frozen=True)
class _Problem:
    """One unit on one training set: [Xᵀ; 1] (D + 1, N), the targets (N,) for one
    output, (C, N) rows for C, the activation and the loss.  One filter: the patches
    (k² + 1, Q, N) in place of [Xᵀ; 1], and ``positions`` P outgoing weights per output."""

    XT1: np.ndarray
    y: np.ndarray
    activation: str
    loss: str
    outputs: int = 1
    positions: int = 1

    @property
    def args(self) -> tuple:
        return (self.XT1, self.y, self.activation, self.loss)

    @property
    def objective(self) -> Callable[..., tuple[float, np.ndarray]]:
        """The loss and gradient of this unit's parameters (one output or C; a filter)."""
        if self.positions > 1:
            return _filter_loss_and_grad
        return _loss_and_grad if self.outputs == 1 else _vector_loss_and_grad

    def descend(self, start: np.ndarray, iterations: int,
                bound: float | None = None) -> tuple[float, np.ndarray]:
        """(loss, parameters) after L-BFGS from ``start``, within ±bound if given."""
        from scipy.optimize import minimize

        bounds = None if bound is None else [(-bound, bound)] * len(start)
        result = minimize(self.objective, start, args=self.args, jac=True,
                          method="L-BFGS-B", bounds=bounds,
                          options={"maxiter": iterations, "gtol": GRADIENT_TOL,
                                   "ftol": VALUE_TOL})
        loss = self.objective(result.x, *self.args)[0]
        return (loss if math.isfinite(loss) else math.inf), result.x

    def balanced(self, theta: np.ndarray) -> np.ndarray:
        """``theta`` with ‖v‖ = ‖(w, b)‖ for a homogeneous unit (the same function)."""
        if ACTIVATIONS[self.activation].symmetry not in ("positive_scale", "linear"):
            return theta
        D1, C = self.XT1.shape[0], self.outputs * self.positions
        inner = float(np.linalg.norm(theta[:D1]))
        outer = abs(float(theta[D1])) if C == 1 else float(np.linalg.norm(theta[D1:D1 + C]))
        if inner == 0.0 or outer == 0.0:
            return theta
        scale = math.sqrt(outer / inner)
        out = theta.copy()
        out[:D1] *= scale
        out[D1:D1 + C] /= scale
        return out


def _random_starts(XT1: np.ndarray, count: int, rng: np.random.Generator,
                   outputs: int = 1, positions: int = 1) -> np.ndarray:
    """``count`` starts [w, b, v, b2]: w ~ N(0, 1), b ~ N(0, 2²) (so a ReLU start is
    sometimes on everywhere), v ~ N(0, 1) (C·P of them), b2 = 0; every other one three
    times sharper, its kink or step through a random training point (a filter: through
    a random patch)."""
    D1 = XT1.shape[0]
    columns = XT1.reshape(D1, -1)
    out = outputs * positions
    starts = rng.standard_normal((count, D1 + out + outputs))
    starts[:, D1 - 1] *= 2.0
    starts[:, D1 + out:] = 0.0
    sharp = starts[1::2]
    sharp[:, : D1 - 1] *= 3.0
    points = columns[: D1 - 1, rng.integers(0, columns.shape[1], len(sharp))].T
    sharp[:, D1 - 1] = -np.sum(sharp[:, : D1 - 1] * points, axis=1)
    return starts


# -- the limits: splits of the plane by a line -----------------------------------------------

_FAMILIES = {"tanh": "step", "relu": "cut"}
"""What one unit becomes as its weights grow: a step (constant on each side of a line),
or a cut (growing without bound on one side: only one class may be there).  Every other
unit (and these too) reaches 0 on data that a line separates."""


@dataclass(frozen=True)
class _Split:
    """The training points split by a line: the loss its limit tends to, and the line."""

    loss: float
    point: np.ndarray
    """A training point on the line."""
    normal: np.ndarray
    """The line's unit normal, pointing into the side called "in"."""
    share_in: float
    """The share of class 1 among the points on the "in" side (and on the line there)."""
    share_out: float


def _split_losses(family: str, n_in: np.ndarray, pos_in: np.ndarray, n: int,
                  positives: int, xlogx: np.ndarray) -> np.ndarray:
    """The loss each split's limit tends to (inf where the family cannot use it).

    Counts are integers, and k points of which j are of class 1, at their best constant
    logit, have the cross-entropy k·H(j/k) = k ln k − j ln j − (k − j) ln(k − j): three
    look-ups in ``xlogx`` (k ln k for k = 0 … n) instead of logarithms.
    """
    n_out, pos_out = n - n_in, positives - pos_in
    outside = xlogx[n_out] - xlogx[pos_out] - xlogx[n_out - pos_out]
    if family == "step":
        inside = xlogx[n_in] - xlogx[pos_in] - xlogx[n_in - pos_in]
        return np.maximum(inside + outside, 0.0) / n  # ≥ 0 up to rounding
    pure_in = (pos_in == 0) | (pos_in == n_in)
    if family == "cut":
        return np.where(pure_in, np.maximum(outside, 0.0) / n, math.inf)
    return np.where(pure_in & ((pos_out == 0) | (pos_out == n_out)), 0.0, math.inf)


def _best_splits(X: np.ndarray, y: np.ndarray, family: str,
                 anchors: np.ndarray) -> list[_Split]:
    """For each anchor point, the best split by a line through it and another point.

    Around the anchor, the other points sorted by angle: the line towards the point at
    angle a has on its left exactly the points with angles in (a, a + π), counted for
    all lines at once with cumulative sums.  Each of the two points on the line goes to
    either side, and either side may be "in": eight splits per line.
    """
    classes = np.rint(y).astype(np.int64)
    n, positives = len(y), int(classes.sum())
    counts = np.arange(n + 1, dtype=float)
    xlogx = counts * np.log(np.maximum(counts, 1.0))
    ends = np.array([[0, 0], [1, 0], [0, 1], [1, 1]])  # anchor, partner on the left
    splits = []
    for i in anchors:
        offsets = np.delete(X - X[i], i, axis=0)
        angles = np.arctan2(offsets[:, 1], offsets[:, 0])
        order = np.argsort(angles, kind="stable")
        angles, labels, offsets = angles[order], np.delete(classes, i)[order], offsets[order]
        m = len(angles)
        cumulative = np.concatenate([[0], np.cumsum(np.concatenate([labels, labels]))])
        first = np.arange(1, m + 1)
        last = np.maximum(np.searchsorted(np.concatenate([angles, angles + 2 * np.pi]),
                                          angles + np.pi, side="left"), first)
        n_in = (last - first)[None, :] + ends.sum(axis=1)[:, None]
        pos_in = ((cumulative[last] - cumulative[first])[None, :] + ends[:, :1] * classes[i]
                  + ends[:, 1:] * labels[None, :])
        n_in = np.concatenate([n_in, n - n_in])  # the right-hand side "in" too
        pos_in = np.concatenate([pos_in, positives - pos_in])
        losses = _split_losses(family, n_in, pos_in, n, positives, xlogx)
        variant, partner = np.unravel_index(int(np.argmin(losses)), losses.shape)
        loss = float(losses[variant, partner])
        if not math.isfinite(loss):
            continue
        direction = offsets[partner] / np.linalg.norm(offsets[partner])
        normal = np.array([-direction[1], direction[0]]) * (1.0 if variant < 4 else -1.0)
        count, pos = int(n_in[variant, partner]), int(pos_in[variant, partner])
        splits.append(_Split(loss, X[i], normal, pos / count if count else 0.5,
                             (positives - pos) / (n - count) if n - count else 0.5))
    splits.sort(key=lambda split: split.loss)
    return splits


def _split_start(split: _Split, family: str) -> np.ndarray:
    """A finite unit close to ``split``'s limit: [w, b, v, b2] for L-BFGS to go on from."""
    def logit(share: float) -> float:
        share = min(max(share, 1e-4), 1 - 1e-4)
        return math.log(share / (1 - share))

    sharpness = 10.0
    w = sharpness * split.normal
    b = -float(w @ split.point)
    inside, outside = logit(split.share_in), logit(split.share_out)
    if family == "step":  # tanh: ±1 on the two sides
        v, b2 = (inside - outside) / 2, (inside + outside) / 2
    else:  # grows on the "in" side from the outside's constant
        v, b2 = math.copysign(1.0, inside - outside), outside
    return np.concatenate([w, [b, v, b2]])


# -- a limit as the bias grows: the exponential unit ---------------------------------------

EXP_STARTS = 4
"""Random starts of the exponential unit's search."""


def _exp_loss_and_grad(theta: np.ndarray, X: np.ndarray, y: np.ndarray,
                       loss: str) -> tuple[float, np.ndarray]:
    """Loss and gradient of α + β·exp(k·x), theta = [k, α, β].

    What v·tanh(w·x + b) + b2 tends to as b → −∞ with v·e^(2b) fixed: tanh(b + u) =
    −1 + 2e^(2b + 2u) + O(e^(4b)), so α = b2 − v, β = 2v·e^(2b), k = 2w (and b → +∞ is
    the same with −k).  The weights grow without bound on the way.
    """
    D = X.shape[1]
    k, alpha, beta = theta[:D], theta[D], theta[D + 1]
    e = np.exp(X @ k)
    f = alpha + beta * e
    value, r = _output_loss(f, y, loss)
    grad = np.empty_like(theta)
    grad[:D] = X.T @ (r * beta * e)
    grad[D] = r.sum()
    grad[D + 1] = r @ e
    return value, grad


def _exp_limit(X: np.ndarray, y: np.ndarray, loss: str,
               rng: np.random.Generator) -> float:
    """The best loss of the exponential unit (tanh and sigmoid units' limit), from
    EXP_STARTS fixed starts."""
    from scipy.optimize import minimize

    best = math.inf
    for start in rng.standard_normal((EXP_STARTS, X.shape[1] + 2)):
        result = minimize(_exp_loss_and_grad, start, args=(X, y, loss), jac=True,
                          method="L-BFGS-B", options={"maxiter": MAX_ITERATIONS,
                                                      "gtol": GRADIENT_TOL, "ftol": VALUE_TOL})
        value = _exp_loss_and_grad(result.x, X, y, loss)[0]
        if math.isfinite(value):
            best = min(best, value)
    return best


# -- the search ------------------------------------------------------------------------------


def optimize(config: Config) -> OneUnitOptimum:
    """Search for the one-unit optimum on ``config``'s training data (see the module);
    for arch conv, the one-filter optimum (:func:`conv_search`)."""
    if config.is_conv:
        return _optimize_conv(config)
    data = make_dataset(config)
    y = data.y_train[:, 0] if config.output_dim == 1 else data.y_train
    return search(data.X_train, y, config.activation, config.loss, config.output_dim)


def search(X: np.ndarray, y: np.ndarray, activation: str, loss: str,
           outputs: int = 1) -> OneUnitOptimum:
    """The one-unit optimum on training inputs X (N, D) and targets y: (N,) for one
    output, class labels (N,) under softmax or (N, C) rows otherwise (not cached)."""
    if outputs > 1:
        return _vector_search(X, y, activation, loss, outputs)
    problem = _Problem(np.vstack([X.T, np.ones(len(X))]), y, activation, loss)
    rng = np.random.default_rng(START_SEED)
    family = _FAMILIES.get(activation, "separable")
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        splits: list[_Split] = []
        if problem.loss == "bce" and X.shape[1] == 2:
            anchors = np.arange(len(y))
            most = max(MIN_ANCHORS, ANCHOR_WORK // len(y))
            if len(y) > most:
                anchors = np.sort(rng.choice(len(y), most, replace=False))
            splits = _best_splits(X, y, family, anchors)
        limit_loss = splits[0].loss if splits else math.inf
        if family == "step":
            limit_loss = min(limit_loss, _exp_limit(X, y, problem.loss, rng))
        extra = [_split_start(split, family) for split in splits[:CUT_STARTS]]
        finals = _finite_search(problem, rng, extra)
        bounded_loss, bounded_theta = _bounded(problem, finals)
    finite_loss, theta = min(finals[0], (bounded_loss, bounded_theta),
                             key=lambda found: found[0])
    best = min(finite_loss, limit_loss)
    weights_grow = (limit_loss <= finite_loss + GROWTH_TOL
                    or bounded_loss > best + GROWTH_TOL)
    return OneUnitOptimum(best, theta, finite_loss, bounded_loss, limit_loss, weights_grow,
                          "exact" if X.shape[1] <= 2 else "upper")


def _vector_search(X: np.ndarray, y: np.ndarray, activation: str, loss: str,
                   outputs: int) -> OneUnitOptimum:
    """The finite and the bounded search for a unit with C outputs: no limit search (the
    best split of the inputs into two cells is combinatorial beyond the plane), so the
    result is an upper bound."""
    target = one_hot(y, outputs) if LOSSES[loss].labels else np.ascontiguousarray(y.T)
    return _upper_search(_Problem(np.vstack([X.T, np.ones(len(X))]), target, activation,
                                  loss, outputs))


def _optimize_conv(config: Config) -> OneUnitOptimum:
    """The one-filter optimum on ``config``'s training images (not cached)."""
    data = make_dataset(config)
    images = data.X_train.reshape(len(data.X_train), *config.shape.image)
    return conv_search(conv.patches(images, config.kernel), data.y_train, config.activation,
                       config.loss, config.output_dim)


def conv_search(PT: np.ndarray, y: np.ndarray, activation: str, loss: str,
                outputs: int) -> OneUnitOptimum:
    """The best loss found for one filter on the patches PT (k² + 1, Q, N) of the
    training images with targets ``y`` (labels under softmax, else (N, C) rows): the
    finite and the bounded search, an upper bound (module doc)."""
    target = one_hot(y, outputs) if LOSSES[loss].labels else np.ascontiguousarray(y.T)
    positions = (math.isqrt(PT.shape[1]) // 2) ** 2
    return _upper_search(_Problem(PT, target, activation, loss, outputs, positions))


def _upper_search(problem: _Problem) -> OneUnitOptimum:
    """The finite and bounded searches of ``problem``; their best as an upper bound."""
    rng = np.random.default_rng(START_SEED)
    with np.errstate(over="ignore", invalid="ignore", divide="ignore", under="ignore"):
        finals = _finite_search(problem, rng, [])
        bounded_loss, bounded_theta = _bounded(problem, finals)
    finite_loss, theta = min(finals[0], (bounded_loss, bounded_theta),
                             key=lambda found: found[0])
    return OneUnitOptimum(finite_loss, theta, finite_loss, bounded_loss, math.inf,
                          bounded_loss > finite_loss + GROWTH_TOL, "upper")


def _finite_search(problem: _Problem, rng: np.random.Generator,
                   extra: list[np.ndarray]) -> list[tuple[float, np.ndarray]]:
    """(loss, parameters) of the finite search's finalists, best first: the scouts from
    random starts, the best of them and the ``extra`` starts run on, the best few of
    those to convergence."""
    scouts = sorted((problem.descend(start, SCOUT_ITERATIONS)
                     for start in _random_starts(problem.XT1, STARTS, rng,
                                                 problem.outputs, problem.positions)),
                    key=lambda found: found[0])
    starts = [x for _, x in scouts[:FINALISTS]] + extra
    finals = sorted((problem.descend(x, FINAL_ITERATIONS) for x in starts),
                    key=lambda found: found[0])
    finals[:WINNERS] = [problem.descend(x, MAX_ITERATIONS) for _, x in finals[:WINNERS]]
    return sorted(finals, key=lambda found: found[0])


def _bounded(problem: _Problem,
             finals: list[tuple[float, np.ndarray]]) -> tuple[float, np.ndarray]:
    """The best (loss, parameters) with every parameter within ±BOUND: the finite
    search's results that lie there once balanced, and what L-BFGS finds within ±BOUND
    from the best result shrunk into that box."""
    inside = [(loss, theta) for loss, theta in
              ((loss, problem.balanced(theta)) for loss, theta in finals)
              if np.max(np.abs(theta)) <= BOUND]
    best = problem.balanced(finals[0][1])
    shrunk = best * (BOUND / max(BOUND, float(np.max(np.abs(best)))))
    inside.append(problem.descend(shrunk, MAX_ITERATIONS, BOUND))
    return min(inside, key=lambda found: found[0])
